#pragma once
// knnformer reports every user-facing problem (bad shapes, bad files, bad
// options) as a knnformer::Error whose message is one line that names the
// thing at fault and what was expected. The CLI prints it and exits non-zero.
#include <stdexcept>
#include <string>

namespace knnformer {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// Throws Error(message) unless condition holds. For checks of user input and
// of API contracts; internal invariants use assert.
inline void require(bool condition, const std::string& message) {
  if (!condition) throw Error(message);
}

}  // namespace knnformer
