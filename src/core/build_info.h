#pragma once

#include <string>

namespace actlab {

// The git commit this binary was built from ("unknown" outside a git checkout; "-dirty" suffix
// when tracked files had uncommitted changes).
std::string git_commit();

// A commit as people read it: its first 12 characters, keeping a "-dirty" suffix.
std::string short_commit(const std::string& commit);

// "1.13.0", the LibTorch version compiled against.
std::string torch_version();

std::string actlab_version();

// Which build this is, for `actlab --version`: the LibTorch version; whether CUDA is compiled in
// and with which CUDA runtime and cuDNN (as that LibTorch was built); the devices visible now.
// Several lines, no trailing newline.
std::string runtime_report();

// cuDNN's version number as "major.minor.patch" (cuDNN 9 counts major * 10000, earlier * 1000).
std::string format_cudnn_version(long version);

}  // namespace actlab
