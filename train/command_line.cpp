#include "train/command_line.h"

#include <algorithm>
#include <set>
#include <vector>

#include "core/error.h"
#include "core/parallel.h"

namespace knnformer {

namespace po = boost::program_options;

namespace {

// Collects the arguments no option takes, so that they can be named in the error.
constexpr const char* kStrayArguments = "stray-arguments";

std::string see_help(std::string_view command) { return " (see knnformer " + std::string(command) + " --help)"; }

void refuse_strays_and_repeats(std::string_view command, const po::parsed_options& parsed,
                               std::string_view positional_option) {
  std::set<std::string> seen;
  for (const po::option& option : parsed.options) {
    if (option.string_key == kStrayArguments)
      throw UsageError("unexpected argument '" + option.value.front() + "'" + see_help(command));
    if (option.string_key == positional_option) continue;
    require_usage(seen.insert(option.string_key).second, "--" + option.string_key + " is given more than once");
  }
}

}  // namespace

po::parsed_options parse_arguments(std::string_view command, const Arguments& arguments,
                                   const po::options_description& options, PositionalArguments positional) {
  po::options_description all;
  all.add(options).add_options()(kStrayArguments, po::value<std::vector<std::string>>());
  po::positional_options_description bare;
  if (!positional.option.empty()) bare.add(std::string(positional.option).c_str(), positional.count);
  if (positional.count >= 0) bare.add(kStrayArguments, -1);
  const int style = po::command_line_style::unix_style ^ po::command_line_style::allow_short;
  po::parsed_options parsed(&all);
  try {
    parsed = po::command_line_parser(arguments).options(all).positional(bare).style(style).run();
  } catch (const po::unknown_option& error) {
    throw UsageError("unknown option '" + error.get_option_name() + "'" + see_help(command));
  } catch (const po::error& error) {
    throw UsageError(error.what() + see_help(command));
  }
  refuse_strays_and_repeats(command, parsed, positional.option);
  parsed.description = &options;  // `all` ends here; without strays, every option parsed is one of `options`
  return parsed;
}

po::variables_map parse_flags(std::string_view command, const Arguments& arguments,
                              const po::options_description& options, PositionalArguments positional) {
  const po::parsed_options parsed = parse_arguments(command, arguments, options, positional);
  po::variables_map flags;
  try {
    po::store(parsed, flags);
    po::notify(flags);
  } catch (const po::error& error) {
    throw UsageError(error.what() + see_help(command));
  }
  return flags;
}

void add_threads_option(po::options_description& options, int64_t default_threads) {
  options.add_options()("threads", po::value<int64_t>()->default_value(default_threads), "threads (0: every core)");
}

int thread_count(const po::variables_map& flags) {
  const int64_t threads = flags["threads"].as<int64_t>();
  require_usage(threads >= 0 && threads <= kMaxThreads, "--threads: " + std::to_string(threads) +
                                                            " is out of range (expected in [0, " +
                                                            std::to_string(kMaxThreads) + "])");
  return static_cast<int>(threads);
}

}  // namespace knnformer
