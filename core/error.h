#pragma once
// knnformer reports every user-facing problem (bad shapes, bad files, bad
// options) as a knnformer::Error whose message is one line that names the
// thing at fault and what was expected. The CLI prints it and exits 1.
//
// A mistake in the command line itself — an unknown or repeated option, a
// malformed value, a stray argument — is a UsageError, which the CLI reports
// the same way but with exit status 2, the convention of command-line tools
// for a wrong invocation as against a failure of the work.
#include <stdexcept>
#include <string>

namespace knnformer {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

class UsageError : public Error {
 public:
  using Error::Error;
};

// Throws Error(message) unless condition holds. For checks of user input and
// of API contracts; internal invariants use assert.
inline void require(bool condition, const std::string& message) {
  if (!condition) throw Error(message);
}

// Throws UsageError(message) unless condition holds: for checks of the command line.
inline void require_usage(bool condition, const std::string& message) {
  if (!condition) throw UsageError(message);
}

}  // namespace knnformer
