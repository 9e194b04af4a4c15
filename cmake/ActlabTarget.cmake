# One helper declares every actlab library so that warnings, the C++ standard and the shared
# precompiled LibTorch header are set in one place, per target (never in global flags).

# The precompiled header lives in one small object library; every other target reuses it, so
# LibTorch's headers are parsed once per build instead of once per translation unit.
add_library(actlab_pch OBJECT ${PROJECT_SOURCE_DIR}/cmake/pch.cpp)
target_compile_features(actlab_pch PUBLIC cxx_std_17)
target_link_libraries(actlab_pch PUBLIC ${TORCH_LIBRARIES} fmt::fmt-header-only)
set_target_properties(actlab_pch PROPERTIES CXX_EXTENSIONS OFF)
if(ACTLAB_FUZZ)  # the precompiled header must be built with the options of its users
  target_compile_options(actlab_pch PRIVATE -fsanitize=fuzzer-no-link,address
                                            -fno-omit-frame-pointer -g)
endif()
if(ACTLAB_PCH)
  target_precompile_headers(actlab_pch PRIVATE <torch/torch.h> <fmt/format.h> <string> <vector>)
endif()

function(actlab_set_common_options target)
  target_compile_features(${target} PUBLIC cxx_std_17)
  set_target_properties(${target} PROPERTIES CXX_EXTENSIONS OFF)
  target_compile_options(${target} PRIVATE -Wall -Wextra $<$<BOOL:${ACTLAB_WERROR}>:-Werror>)
  if(ACTLAB_FUZZ)  # coverage for libFuzzer and AddressSanitizer in every actlab target
    target_compile_options(${target} PRIVATE -fsanitize=fuzzer-no-link,address
                                             -fno-omit-frame-pointer -g)
    target_link_options(${target} PUBLIC -fsanitize=address)
  endif()
  if(ACTLAB_PCH)
    target_precompile_headers(${target} REUSE_FROM actlab_pch)
  endif()
  # Loading the precompiled LibTorch header costs ~5 s per translation unit here, so sources stay
  # small files (one per activation, model, ...) but are compiled in batches.
  if(ACTLAB_UNITY_BUILD)
    set_target_properties(${target} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE 8)
  endif()
endfunction()

# actlab_add_library(<name> ALIAS <ns::name> SOURCES ... [PUBLIC_LINK ...] [PRIVATE_LINK ...])
function(actlab_add_library name)
  cmake_parse_arguments(ARG "" "ALIAS" "SOURCES;PUBLIC_LINK;PRIVATE_LINK" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  add_library(${ARG_ALIAS} ALIAS ${name})
  target_include_directories(${name} PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}>)
  target_link_libraries(${name} PUBLIC ${ARG_PUBLIC_LINK} PRIVATE ${ARG_PRIVATE_LINK})
  actlab_set_common_options(${name})
endfunction()
