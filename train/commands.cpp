#include "train/commands.h"

namespace knnformer {

const std::vector<Command>& commands() {
  static const std::vector<Command> all = {
      {"prepare", "build a token dataset from text files, or import nanoGPT / llm.c .bin token files", run_prepare},
      {"inspect", "show what a token dataset holds: format, vocabulary, splits, first tokens", run_inspect},
  };
  return all;
}

}  // namespace knnformer
