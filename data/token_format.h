#pragma once
// The layout of a knnformer token dataset (one HDF5 file), shared by its
// writer (TokenDatasetWriter) and reader (TokenDataset):
//
//   /train/tokens, /val/tokens   1-D token ids, uint16 when vocab_size <= 65536
//                                else uint32; chunked, Fletcher32-checked,
//                                optionally deflate-compressed
//   /train/loss_mask,            optional: 1-D uint8, one per token of the
//   /val/loss_mask               split, 1 where predicting that token counts
//                                in the loss; chunked and checked like the tokens
//   /tokenizer/model             the SentencePiece model (uint8 bytes), when
//                                tokenizer = "sentencepiece"
//   root attributes              format = "knnformer-tokens", format_version,
//                                vocab_size, tokenizer, eot_token, source;
//                                max_token_id, document_length (optional, see below)
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
//
// document_length (optional) says that the file holds fixed-length documents
// of this many tokens, back to back, each split's size a multiple of it (the
// synthetic tasks of data/synthetic_tasks.h). Loss masks come with it: a file
// has a mask for both splits or for neither, and only when it has
// document_length. Files without these are read as before; format_version
// stays 1.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace knnformer {

inline constexpr std::string_view kTokenFormatName = "knnformer-tokens";
inline constexpr int64_t kTokenFormatVersion = 1;
inline constexpr std::string_view kTokenizerModelPath = "/tokenizer/model";
inline constexpr std::string_view kMaxTokenIdAttribute = "max_token_id";
inline constexpr std::string_view kDocumentLengthAttribute = "document_length";

// The largest vocabulary whose ids fit the uint16 storage type.
inline constexpr int64_t kMaxUint16Vocab = 65536;

enum class Split { train, val };
inline constexpr std::array<Split, 2> kSplits = {Split::train, Split::val};

inline std::string split_name(Split split) { return split == Split::train ? "train" : "val"; }
inline std::string split_group(Split split) { return split == Split::train ? "/train" : "/val"; }
inline std::string split_path(Split split) { return split == Split::train ? "/train/tokens" : "/val/tokens"; }
inline std::string loss_mask_path(Split split) { return split_group(split) + "/loss_mask"; }

// The root attributes of a dataset, and the tokenizer model stored with it.
struct TokenDatasetHeader {
  int64_t vocab_size = 0;
  std::string tokenizer{};      // "byte", "sentencepiece", or "none" (imported ids)
  int64_t eot_token = -1;       // end-of-text id separating documents; -1 when none
  std::string source{};         // where the tokens came from, for people reading the file
  std::string tokenizer_model{};  // serialized SentencePiece model; empty for other tokenizers
  int64_t document_length = 0;    // tokens of every document when they all have one length; 0 when not
};

}  // namespace knnformer
