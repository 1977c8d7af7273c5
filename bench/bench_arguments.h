#pragma once
// Command-line helpers for the benchmarks: their flags are described with
// Boost.Program_options, as the knnformer CLI's are, and read by
// parse_flags; the comma-separated lists some flags take, such as
// --T 1024,2048 or --modes knn,gumbel, are split by split_list and
// parse_integer_list. A bad flag or value is one line on stderr and exit 2.
//
//   Options options;
//   std::string lengths = bench::integer_list_text(options.lengths);
//   po::options_description flags("bench_x flags");
//   flags.add_options()("threads", po::value(&options.threads)->default_value(options.threads), "threads")
//                      ("T", po::value(&lengths)->default_value(lengths), "sequence lengths");
//   bench::parse_flags(argc, argv, flags);   // --help prints the flags and exits 0
//   options.lengths = bench::parse_integer_list("--T", lengths, 1);
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

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

// "1024,2048": a list as its flag takes it, for the flag's default.
inline std::string integer_list_text(const std::vector<int64_t>& numbers) {
  std::string text;
  for (const int64_t number : numbers) {
    if (!text.empty()) text += ',';
    text += std::to_string(number);
  }
  return text;
}

// Reads argv into the variables `flags` names (and "--help", added here).
// --help prints the flags and exits 0; an unknown flag or a malformed value
// is an Error.
inline void parse_flags(int argc, char** argv, boost::program_options::options_description& flags) {
  namespace po = boost::program_options;
  flags.add_options()("help", "print the flags and exit");
  po::variables_map values;
  try {
    po::store(po::command_line_parser(argc, argv).options(flags).style(po::command_line_style::unix_style ^
                                                                       po::command_line_style::allow_guessing)
                  .run(),
              values);
    if (values.count("help")) {
      std::cout << flags;
      std::exit(0);
    }
    po::notify(values);
  } catch (const po::error& error) {
    throw Error(error.what());
  }
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
