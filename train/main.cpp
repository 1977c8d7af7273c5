// knnformer: a subcommand dispatcher. `knnformer --help` lists the
// subcommands; `knnformer SUBCOMMAND --help` describes one.
#include <exception>
#include <iostream>
#include <new>
#include <string>

#include "core/error.h"
#include "core/kernels/simd_target.h"
#include "train/commands.h"
#include "train/process_group.h"

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

using knnformer::ProcessGroup;

int main(int argc, char** argv) {
  const knnformer::Arguments arguments(argv + 1, argv + argc);
  if (arguments.empty() || arguments[0] == "--help" || arguments[0] == "-h") {
    print_usage(std::cout);
    return arguments.empty() ? 2 : 0;
  }
  if (arguments[0] == "--version") {
    try {
      const std::string target = knnformer::kernels::simd_target_name();
      std::cout << "knnformer " KNNFORMER_VERSION " (SIMD: " << target << "; MPI: " << ProcessGroup::implementation()
                << ")\n";
      return 0;
    } catch (const knnformer::Error& error) {  // an unknown KNNFORMER_SIMD
      std::cerr << "knnformer: error: " << error.what() << "\n";
      return 1;
    }
  }
  for (const auto& command : knnformer::commands()) {
    if (command.name != arguments[0]) continue;
    // Under mpirun, an error names its process and ends the whole job, so
    // that no other process waits forever for it (train/process_group.h).
    const bool launched_together = ProcessGroup::launched_processes() > 1;
    const auto fail = [&](const std::string& message, int status) {
      // One write of the whole line, so that the lines of processes failing together do not interleave.
      const std::string rank = launched_together ? "rank " + std::to_string(ProcessGroup::launched_rank()) + ": " : "";
      std::cerr << "knnformer " + std::string(command.name) + ": error: " + rank + message + "\n" << std::flush;
      if (launched_together) ProcessGroup::abort_job(status);
      return status;
    };
    if (launched_together && command.name != "train")
      return fail("runs as one process: start it without mpirun (train alone runs on several)", 2);
    try {
      return command.run(knnformer::Arguments(arguments.begin() + 1, arguments.end()));
    } catch (const knnformer::UsageError& error) {
      return fail(error.what(), 2);
    } catch (const std::bad_alloc&) {
      // Sizes are checked against the machine's memory before a run
      // allocates (core/memory_budget.h); this is what slips past the estimates.
      return fail("out of memory (std::bad_alloc)", 1);
    } catch (const std::exception& error) {
      return fail(error.what(), 1);
    }
  }
  std::cerr << "knnformer: error: unknown subcommand '" << arguments[0] << "' (see knnformer --help)\n";
  return 2;
}
