#include "src/core/build_info.h"

#include <torch/version.h>

namespace actlab {

std::string git_commit() {
  return
#include "git_commit.inc"
      ;
}

std::string torch_version() {
  return TORCH_VERSION;
}

std::string actlab_version() {
  return "0.1.0";
}

}  // namespace actlab
