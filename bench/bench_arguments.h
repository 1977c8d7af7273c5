#pragma once
// Command-line helpers for the benchmarks: the comma-separated lists their
// flags take, such as --T 1024,2048 or --modes knn,gumbel, and one-line
// errors for bad values.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.h"

namespace knnformer::bench {

// "a,b,c" -> {"a", "b", "c"}. An empty list or item is an Error naming the flag.
inline std::vector<std::string> split_list(const std::string& flag, const std::string& text) {
  std::vector<std::string> items;
  std::stringstream stream(text);
  for (std::string item; std::getline(stream, item, ',');) {
    require(!item.empty(), flag + " " + text + ": empty item in the comma-separated list");
    items.push_back(item);
  }
  require(!items.empty(), flag + ": expected a comma-separated list, got nothing");
  return items;
}

// "128,1024" -> {128, 1024}. An item that is not a whole number of at least
// `minimum` is an Error naming the flag.
inline std::vector<int64_t> parse_integer_list(const std::string& flag, const std::string& text, int64_t minimum) {
  std::vector<int64_t> numbers;
  for (const std::string& item : split_list(flag, text)) {
    size_t used = 0;
    int64_t number = 0;
    try {
      number = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    require(used == item.size() && number >= minimum,
            flag + " " + text + ": '" + item + "' is not a whole number >= " + std::to_string(minimum));
    numbers.push_back(number);
  }
  return numbers;
}

// Runs a benchmark's flag parsing: a bad value (an Error) is one line on
// stderr and exit status 2, as an unknown flag is.
template <class Parse>
auto parse_or_exit(const char* program, Parse parse) {
  try {
    return parse();
  } catch (const std::exception& error) {
    std::fprintf(stderr, "%s: %s\n", program, error.what());
    std::exit(2);
  }
}

}  // namespace knnformer::bench
