#pragma once

#include <stdexcept>

namespace actlab {

// A problem the user can fix. The message is one line that names the problem and the fix; the
// command line prints it as "actlab: error: <message>" and exits non-zero.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace actlab
