#pragma once

#include <stdexcept>
#include <string>

namespace actlab {

// A problem the user can fix. The message is one line that names the problem and the fix; the
// command line prints it as "actlab: error: <message>" and exits non-zero.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The first non-empty line of `text`: c10 errors and tools' outputs carry multi-line backtraces
// and help texts; a one-line message quotes only this.
inline std::string first_line(const std::string& text) {
  const auto start = text.find_first_not_of(" \n");
  if (start == std::string::npos) return "";
  return text.substr(start, text.find('\n', start) - start);
}

}  // namespace actlab
