#pragma once

#include <string>

namespace actlab {

// The git commit this binary was built from ("unknown" outside a git checkout; "-dirty" suffix
// when tracked files had uncommitted changes).
std::string git_commit();

// "1.13.0", the LibTorch version compiled against.
std::string torch_version();

std::string actlab_version();

}  // namespace actlab
