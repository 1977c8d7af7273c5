#pragma once
// Tokenizer: turns text into token ids and back.
//
//   const std::unique_ptr<Tokenizer> tokenizer = load_tokenizer(dataset);  // tokenizer_factory.h
//   const std::vector<int32_t> ids = tokenizer->encode("To be, or not to be");
//   const std::string text = tokenizer->decode(ids);
//
// Implementations: ByteTokenizer (the default; ids are bytes) and
// SentencePieceTokenizer (a BPE or unigram model trained on the corpus). A
// dataset records which one made it, and a SentencePiece model is stored in
// the file, so load_tokenizer gives generation the very tokenizer the data
// was prepared with.
//
// Contract shared by both:
// - decode(encode(text)) == text: for any bytes with ByteTokenizer; for any
//   valid UTF-8 with SentencePiece (it falls back to byte pieces for
//   characters its vocabulary lacks, but reads invalid UTF-8 as U+FFFD).
// - Text may be encoded in pieces cut after a newline (how prepare streams
//   large files): the concatenated ids still decode to the whole text.
// - The end-of-text token separates documents; decode renders it as
//   kEndOfTextMarker.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace knnformer {

inline constexpr std::string_view kEndOfTextMarker = "<|endoftext|>";

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // The name stored in a dataset's 'tokenizer' attribute.
  virtual std::string name() const = 0;
  virtual int64_t vocab_size() const = 0;
  virtual int32_t eot_token() const = 0;

  virtual std::vector<int32_t> encode(std::string_view text) const = 0;
  // Throws Error for an id outside [0, vocab_size).
  virtual std::string decode(std::span<const int32_t> tokens) const = 0;

  // The model to store with a dataset; empty for tokenizers without one.
  virtual std::string serialized_model() const = 0;
};

}  // namespace knnformer
