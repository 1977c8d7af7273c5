#pragma once
// A number as text in a printf format ("%.4f", "%+.2f%%", ...): how the
// metrics file, the progress line and the compare table print figures.
#include <cstdio>
#include <string>

namespace knnformer {

inline std::string printed(const char* format, double value) {
  char text[64];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

}  // namespace knnformer
