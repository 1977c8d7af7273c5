#pragma once
// SentencePieceTokenizer: a subword tokenizer (BPE or unigram) from a
// SentencePiece model, trained on the corpus by train_sentencepiece
// (data/sentencepiece_training.h) and stored inside the dataset file.
//
//   const SentencePieceTokenizer tokenizer(serialized_model);
//   const std::vector<int32_t> ids = tokenizer.encode(text);
//
// The models knnformer trains keep text exact: identity normalisation, no
// added or collapsed whitespace, and byte pieces for anything outside the
// vocabulary. Their end-of-text token is SentencePiece's eos id.
#include <memory>

#include "data/tokenizer.h"

namespace sentencepiece {
class SentencePieceProcessor;
}

namespace knnformer {

class SentencePieceTokenizer final : public Tokenizer {
 public:
  // Throws Error when the bytes are not a SentencePiece model with an eos id.
  explicit SentencePieceTokenizer(std::string serialized_model);
  ~SentencePieceTokenizer() override;

  std::string name() const override { return "sentencepiece"; }
  int64_t vocab_size() const override;
  int32_t eot_token() const override;

  std::vector<int32_t> encode(std::string_view text) const override;
  std::string decode(std::span<const int32_t> tokens) const override;

  std::string serialized_model() const override { return model_; }

 private:
  std::vector<int> encode_line(std::string_view line) const;

  std::string model_;
  std::unique_ptr<sentencepiece::SentencePieceProcessor> processor_;
  std::vector<int> newline_ids_;  // how the model spells "\n"
};

}  // namespace knnformer
