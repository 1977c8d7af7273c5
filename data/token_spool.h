#pragma once
// TokenSpool: token ids parked in a temporary file between two passes.
//
// The val split is the last fraction of the token stream, so the writer must
// know the stream's length before it writes. Bytes give it for free; a
// SentencePiece encoding is only known once done. prepare therefore encodes
// once into a spool (4 bytes a token on disk, none in memory), then copies
// the spool into the dataset.
//
//   TokenSpool spool("data.h5.tokens.tmp");   // deleted when spool goes away
//   spool.append(tokens);
//   spool.rewind();
//   while (const size_t n = spool.read(block)) ...
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <span>

namespace knnformer {

class TokenSpool {
 public:
  explicit TokenSpool(std::filesystem::path path);
  ~TokenSpool();
  TokenSpool(const TokenSpool&) = delete;
  TokenSpool& operator=(const TokenSpool&) = delete;

  void append(std::span<const int32_t> tokens);
  uint64_t size() const { return size_; }

  // Ends writing; read() then returns the tokens from the first.
  void rewind();
  // Reads the next tokens into out; returns how many (0 at the end).
  size_t read(std::span<int32_t> out);

 private:
  std::filesystem::path path_;
  std::fstream stream_;
  uint64_t size_ = 0;
};

}  // namespace knnformer
