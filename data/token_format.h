#pragma once
// The layout of a knnformer token dataset (one HDF5 file), shared by its
// writer (TokenDatasetWriter) and reader (TokenDataset):
//
//   /train/tokens, /val/tokens   1-D token ids, uint16 when vocab_size <= 65536
//                                else uint32; chunked, Fletcher32-checked,
//                                optionally deflate-compressed
//   /tokenizer/model             the SentencePiece model (uint8 bytes), when
//                                tokenizer = "sentencepiece"
//   root attributes              format = "knnformer-tokens", format_version,
//                                vocab_size, tokenizer, eot_token, source;
//                                max_token_id (optional, see below)
//
// The val split is the final fraction of the token stream (nanoGPT's
// convention). Documents (input files) are separated by eot_token; -1 means
// the file has none (token files imported without one).
//
// max_token_id is the largest id the splits hold, written by the writer once
// every token is in. It lets a reader refuse ids beyond the vocabulary when
// the file is opened, without reading the splits. It is optional: a file
// without it (from an older knnformer or another tool) is still version 1,
// and a reader then scans the splits instead.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace knnformer {

inline constexpr std::string_view kTokenFormatName = "knnformer-tokens";
inline constexpr int64_t kTokenFormatVersion = 1;
inline constexpr std::string_view kTokenizerModelPath = "/tokenizer/model";
inline constexpr std::string_view kMaxTokenIdAttribute = "max_token_id";

// The largest vocabulary whose ids fit the uint16 storage type.
inline constexpr int64_t kMaxUint16Vocab = 65536;

enum class Split { train, val };
inline constexpr std::array<Split, 2> kSplits = {Split::train, Split::val};

inline std::string split_name(Split split) { return split == Split::train ? "train" : "val"; }
inline std::string split_group(Split split) { return split == Split::train ? "/train" : "/val"; }
inline std::string split_path(Split split) { return split == Split::train ? "/train/tokens" : "/val/tokens"; }

// The root attributes of a dataset, and the tokenizer model stored with it.
struct TokenDatasetHeader {
  int64_t vocab_size = 0;
  std::string tokenizer{};      // "byte", "sentencepiece", or "none" (imported ids)
  int64_t eot_token = -1;       // end-of-text id separating documents; -1 when none
  std::string source{};         // where the tokens came from, for people reading the file
  std::string tokenizer_model{};  // serialized SentencePiece model; empty for other tokenizers
};

}  // namespace knnformer
