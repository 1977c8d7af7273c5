#include "train/commands.h"

namespace knnformer {

const std::vector<Command>& commands() {
  static const std::vector<Command> all = {};
  return all;
}

}  // namespace knnformer
