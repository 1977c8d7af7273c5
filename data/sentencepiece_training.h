#pragma once
// Trains a SentencePiece model on a text corpus, for
// `knnformer prepare --tokenizer sentencepiece`.
//
//   const std::string model = train_sentencepiece(corpus, {.vocab_size = 4096});
//   const SentencePieceTokenizer tokenizer(model);
//
// Training sees the corpus line by line. Memory stays bounded for any corpus
// size: SentencePiece keeps a uniform sample of at most max_sentences lines
// (drawn with the given seed). The model is set up for exact round trips
// (see SentencePieceTokenizer), with id 0 = <unk> and id 1 = end of text.
// vocab_size is an upper bound: a corpus too small to support that many
// pieces gets fewer (the tokenizer's vocab_size() tells).
#include <cstdint>
#include <string>

#include "data/text_corpus.h"

namespace knnformer {

struct SentencePieceTrainingOptions {
  int64_t vocab_size = 4096;
  std::string model_type = "bpe";  // "bpe" or "unigram"
  uint64_t seed = 0;
  int64_t max_sentences = 1'000'000;
};

// The smallest vocabulary the model layout allows: 256 byte pieces, <unk>
// and end of text, and room for at least a few learned pieces.
inline constexpr int64_t kMinSentencePieceVocab = 264;

// Returns the serialized model. Throws Error for a vocabulary too small for
// the corpus, an unknown model type, or a failure reported by SentencePiece.
std::string train_sentencepiece(const TextCorpus& corpus, const SentencePieceTrainingOptions& options);

}  // namespace knnformer
