// knnformer: a subcommand dispatcher. `knnformer --help` lists the
// subcommands; `knnformer SUBCOMMAND --help` describes one.
#include <exception>
#include <iostream>
#include <string>

#include "core/error.h"
#include "train/commands.h"

namespace {

void print_usage(std::ostream& out) {
  out << "knnformer " KNNFORMER_VERSION " — train small GPT models on CPUs with exact, kNN or sampled attention\n\n"
         "usage: knnformer SUBCOMMAND [options]    (knnformer SUBCOMMAND --help for its options)\n\n"
         "subcommands:\n";
  for (const auto& command : knnformer::commands())
    out << "  " << command.name << std::string(12 - std::min<size_t>(11, command.name.size()), ' ')
        << command.summary << "\n";
  out << "\noptions:\n  --help      this text\n  --version   the version\n";
}

}  // namespace

int main(int argc, char** argv) {
  const knnformer::Arguments arguments(argv + 1, argv + argc);
  if (arguments.empty() || arguments[0] == "--help" || arguments[0] == "-h") {
    print_usage(std::cout);
    return arguments.empty() ? 2 : 0;
  }
  if (arguments[0] == "--version") {
    std::cout << "knnformer " KNNFORMER_VERSION "\n";
    return 0;
  }
  for (const auto& command : knnformer::commands()) {
    if (command.name != arguments[0]) continue;
    try {
      return command.run(knnformer::Arguments(arguments.begin() + 1, arguments.end()));
    } catch (const std::exception& error) {
      std::cerr << "knnformer " << command.name << ": error: " << error.what() << "\n";
      return 1;
    }
  }
  std::cerr << "knnformer: error: unknown subcommand '" << arguments[0] << "' (see knnformer --help)\n";
  return 2;
}
