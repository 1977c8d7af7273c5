#pragma once
// The knnformer subcommands. Each takes the arguments after its name and
// returns the process exit code; errors are thrown as knnformer::Error and
// reported by main as one line. To add a subcommand, declare its function
// here and list it in commands.cpp.
#include <string>
#include <string_view>
#include <vector>

namespace knnformer {

using Arguments = std::vector<std::string>;

struct Command {
  std::string_view name;
  std::string_view summary;
  int (*run)(const Arguments& arguments);
};

// Every subcommand, in the order --help lists them.
const std::vector<Command>& commands();

int run_prepare(const Arguments& arguments);  // train/command_prepare.cpp
int run_inspect(const Arguments& arguments);  // train/command_inspect.cpp
int run_train(const Arguments& arguments);     // train/command_train.cpp
int run_eval(const Arguments& arguments);      // train/command_eval.cpp
int run_generate(const Arguments& arguments);  // train/command_generate.cpp
int run_compare(const Arguments& arguments);   // train/command_compare.cpp

}  // namespace knnformer
