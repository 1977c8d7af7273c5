#include "train/commands.h"

namespace knnformer {

const std::vector<Command>& commands() {
  static const std::vector<Command> all = {
      {"prepare", "build a token dataset from text files, or import nanoGPT / llm.c .bin token files", run_prepare},
      {"inspect", "show what a token dataset holds: format, vocabulary, splits, first tokens", run_inspect},
      {"train", "train a model from a config file and flags, or resume a run (--resume RUN_DIR)", run_train},
      {"eval", "val loss and perplexity of a checkpoint", run_eval},
      {"generate", "sample text from a checkpoint", run_generate},
      {"compare", "compare runs: val loss and speed against the first run, and a plot of the loss curves", run_compare},
  };
  return all;
}

}  // namespace knnformer
