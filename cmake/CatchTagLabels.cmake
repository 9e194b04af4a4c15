# Turns Catch2 tags into CTest labels (Catch2 2.13's catch_discover_tests cannot), so that
# `ctest -L data` or `ctest -LE slow` select tests by need. Tests tagged [cuda], [python], [tty],
# [browser], [tmpfs] or [mirror] print "SKIPPED:" on machines without CUDA, the tensorboard
# Python package, script(1), chromium, the right to mount a tmpfs or the CIFAR-10 JPEG mirror,
# and CTest reports them as skipped, not as passed.
# Included at ctest time, after the discovery file, with TEST_EXECUTABLE set.
if(NOT EXISTS "${TEST_EXECUTABLE}")
  return()
endif()
execute_process(COMMAND "${TEST_EXECUTABLE}" --list-tags OUTPUT_VARIABLE tag_listing)
string(REGEX MATCHALL "\\[[^]]+\\]" tags "${tag_listing}")
set(all_names "")
foreach(tag IN LISTS tags)
  string(REGEX REPLACE "^\\[(.*)\\]$" "\\1" label "${tag}")
  execute_process(COMMAND "${TEST_EXECUTABLE}" "${tag}" --list-test-names-only
                  OUTPUT_VARIABLE names)
  string(REPLACE "\n" ";" names "${names}")
  foreach(name IN LISTS names)
    if(NOT name STREQUAL "")
      string(MD5 key "${name}")
      list(APPEND labels_${key} "${label}")
      list(APPEND all_names "${name}")
    endif()
  endforeach()
endforeach()
list(REMOVE_DUPLICATES all_names)
foreach(name IN LISTS all_names)
  string(MD5 key "${name}")
  set_tests_properties("${name}" PROPERTIES LABELS "${labels_${key}}")
  foreach(skippable IN ITEMS cuda python tty browser tmpfs mirror)
    list(FIND labels_${key} "${skippable}" skippable_index)
    if(skippable_index GREATER -1)
      set_tests_properties("${name}" PROPERTIES SKIP_REGULAR_EXPRESSION "SKIPPED:")
    endif()
  endforeach()
endforeach()
