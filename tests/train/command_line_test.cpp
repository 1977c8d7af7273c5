#include <doctest/doctest.h>

#include "core/error.h"
#include "core/parallel.h"
#include "train/command_line.h"

using namespace knnformer;
namespace po = boost::program_options;

namespace {

po::options_description example_options() {
  po::options_description options("example");
  options.add_options()("name", po::value<std::string>(), "a name")("verbose", "a switch")(
      "file", po::value<std::string>(), "the file");
  add_threads_option(options, 1);
  return options;
}

std::string usage_error(const Arguments& arguments, PositionalArguments positional = {}) {
  try {
    parse_flags("example", arguments, example_options(), positional);
  } catch (const UsageError& error) {
    return error.what();
  }
  return "";
}

}  // namespace

TEST_CASE("command line: options, switches, a positional argument and negative values") {
  const po::variables_map flags =
      parse_flags("example", {"in.h5", "--name", "-1", "--verbose"}, example_options(), {"file", 1});
  CHECK(flags["file"].as<std::string>() == "in.h5");
  CHECK(flags["name"].as<std::string>() == "-1");
  CHECK(flags.count("verbose") == 1);
  CHECK(thread_count(flags) == 1);
}

TEST_CASE("command line: each mistake is a UsageError that names it") {
  CHECK(usage_error({"--colour", "red"}) == "unknown option '--colour' (see knnformer example --help)");
  CHECK(usage_error({"--name", "a", "--name", "b"}) == "--name is given more than once");
  CHECK(usage_error({"--name", "a", "stray"}) == "unexpected argument 'stray' (see knnformer example --help)");
  CHECK(usage_error({"a.h5", "b.h5"}, {"file", 1}) == "unexpected argument 'b.h5' (see knnformer example --help)");
  CHECK(usage_error({"--threads", "many"}).starts_with("the argument ('many') for option '--threads' is invalid"));
  CHECK(usage_error({"--name"}).find("--name") != std::string::npos);
}

TEST_CASE("command line: --threads is checked against the range every subcommand shares") {
  const auto threads = [](const std::string& value) {
    return thread_count(parse_flags("example", {"--threads", value}, example_options()));
  };
  CHECK(threads("0") == 0);
  CHECK(threads(std::to_string(kMaxThreads)) == kMaxThreads);
  CHECK_THROWS_WITH_AS(threads("100000"), "--threads: 100000 is out of range (expected in [0, 4096])", UsageError);
  CHECK_THROWS_AS(threads("-1"), UsageError);
}
