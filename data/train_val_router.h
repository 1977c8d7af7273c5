#pragma once
// TrainValRouter: sends one stream of tokens to the train split until it
// holds its share, and the rest to the val split, so that val is the final
// fraction of the stream (nanoGPT's convention).
//
//   TrainValRouter router(writer, train_tokens_for(total, 0.1));
//   router.append(block);  // as often as needed, blocks of any size
#include <algorithm>
#include <cstdint>
#include <span>
#include <string>

#include "data/token_dataset_writer.h"

namespace knnformer {

// The train share of a stream of total tokens: floor(total · (1 − val_fraction)),
// nanoGPT's int(n * 0.9). Throws Error, naming `output`, unless val_fraction
// lies in (0, 1) and the train split gets at least one token (val always does).
uint64_t train_tokens_for(uint64_t total, double val_fraction, const std::string& output);

// Checks a --val-fraction value on its own, before any work starts.
void check_val_fraction(double val_fraction);

class TrainValRouter {
 public:
  TrainValRouter(TokenDatasetWriter& writer, uint64_t train_tokens) : writer_(writer), train_left_(train_tokens) {}

  void append(std::span<const int32_t> tokens) {
    const size_t to_train = static_cast<size_t>(std::min<uint64_t>(train_left_, tokens.size()));
    if (to_train > 0) writer_.append(Split::train, tokens.first(to_train));
    if (to_train < tokens.size()) writer_.append(Split::val, tokens.subspan(to_train));
    train_left_ -= to_train;
  }

 private:
  TokenDatasetWriter& writer_;
  uint64_t train_left_;
};

}  // namespace knnformer
