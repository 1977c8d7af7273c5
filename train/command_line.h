#pragma once
// The command line of every subcommand, read by one parser so that each
// refuses the same mistakes with the same words (UsageError, exit status 2):
//   - an unknown option, or one without its value or with a malformed one;
//   - an option given twice (the last one silently winning hides typos in
//     long command lines);
//   - an argument that belongs to no option ("generate --checkpoint run hi"
//     is refused, not run without "hi").
// Short options are not recognised, so that "--lr -1" reads -1 as a value.
//
//   const po::parsed_options parsed = parse_arguments("train", arguments, options);
//   const po::variables_map flags = parse_flags("inspect", arguments, options, {"file", 1});
//   set_num_threads(thread_count(flags));
#include <string>
#include <string_view>

#include <boost/program_options.hpp>

#include "train/commands.h"

namespace knnformer {

// The option that takes the bare arguments, and how many it takes (-1: any).
struct PositionalArguments {
  std::string_view option;
  int count = 0;
};

// The options as given, in order; UsageError naming the mistake and
// pointing at `knnformer COMMAND --help`.
boost::program_options::parsed_options parse_arguments(std::string_view command, const Arguments& arguments,
                                                       const boost::program_options::options_description& options,
                                                       PositionalArguments positional = {});

// parse_arguments, stored in a variables_map (defaults filled in).
boost::program_options::variables_map parse_flags(std::string_view command, const Arguments& arguments,
                                                  const boost::program_options::options_description& options,
                                                  PositionalArguments positional = {});

// Adds --threads (kernels' threads, 0: every core) with its default.
void add_threads_option(boost::program_options::options_description& options, int64_t default_threads);

// The --threads value, checked against [0, kMaxThreads] (core/parallel.h; UsageError).
int thread_count(const boost::program_options::variables_map& flags);

}  // namespace knnformer
