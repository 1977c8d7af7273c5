#include "data/train_val_router.h"

#include <cmath>
#include <sstream>

namespace knnformer {

void check_val_fraction(double val_fraction) {
  std::ostringstream value;
  value << val_fraction;
  require(val_fraction > 0.0 && val_fraction < 1.0,
          "--val-fraction " + value.str() + " is outside (0, 1): the val split needs some tokens, and train too");
}

uint64_t train_tokens_for(uint64_t total, double val_fraction, const std::string& output) {
  check_val_fraction(val_fraction);
  // floor(total · (1 − f)) < total for any f > 0: val always gets a token; train may not.
  const auto train = static_cast<uint64_t>(std::floor(static_cast<double>(total) * (1.0 - val_fraction)));
  std::ostringstream fraction;
  fraction << val_fraction;
  require(train > 0, output + ": the train split would be empty (" + std::to_string(total) +
                         " tokens with --val-fraction " + fraction.str() + ")");
  return train;
}

}  // namespace knnformer
