#pragma once
// ByteTokenizer: the default tokenizer. Ids 0..255 are the bytes of the
// text, so any input (UTF-8 or not) round-trips exactly; id 256 is the
// end-of-text token that separates documents. Vocabulary: 257.
//
// A byte-level model needs no training and nothing stored with the dataset;
// at the scale knnformer trains (characters of Shakespeare, the KJV) it is
// what nanoGPT's char-level configs do, with bytes in place of characters.
#include "data/tokenizer.h"

namespace knnformer {

class ByteTokenizer final : public Tokenizer {
 public:
  static constexpr int32_t kEndOfText = 256;

  std::string name() const override { return "byte"; }
  int64_t vocab_size() const override { return kEndOfText + 1; }
  int32_t eot_token() const override { return kEndOfText; }

  std::vector<int32_t> encode(std::string_view text) const override;
  std::string decode(std::span<const int32_t> tokens) const override;

  std::string serialized_model() const override { return {}; }
};

}  // namespace knnformer
