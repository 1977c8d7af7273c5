#pragma once
// TokenDatasetWriter: streams token ids into a new token dataset file
// (layout in data/token_format.h).
//
//   TokenDatasetWriter writer("data.h5", header, {.overwrite = false});
//   writer.append(Split::train, tokens);   // any number of times, any sizes
//   writer.append(Split::val, more_tokens);
//   writer.commit();                       // data.h5 now exists, complete
//
// The file is written as data.h5.tmp and renamed only by commit(), once every
// split holds tokens: a writer destroyed before commit (an exception, a bad
// input found half-way) deletes its temporary file, so a failed run never
// leaves a partial dataset under the real name and never replaces an existing
// one. Tokens are buffered and written in large hyperslabs, so memory stays
// bounded whatever the input size. commit() also records the largest id
// written (the max_token_id attribute), which readers check at open.
//
// Fixed-length documents: with header.document_length > 0, commit()
// requires each split to hold whole documents. Loss masks (the loss_mask
// option, which needs document_length): every append gives each token's mask
// value, 0 or 1, with it.
//
//   TokenDatasetWriter writer("copy.h5", {..., .document_length = 1025}, {.loss_mask = true});
//   writer.append(Split::train, document.tokens, document.loss_mask);
#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

#include "data/hdf5_handle.h"
#include "data/token_format.h"

namespace knnformer {

struct TokenDatasetWriteOptions {
  bool overwrite = false;        // replace an existing output file (prepare --force)
  int compression_level = 0;     // deflate level 1..9; 0 stores the tokens uncompressed
  int64_t chunk_tokens = 16384;  // HDF5 chunk length: the unit of reads, checksums and compression
  bool loss_mask = false;        // store a loss mask with the tokens (needs header.document_length)
};

// Throws unless `path` may be written: its folder exists, and it does not
// exist yet or overwrite is set. Called before any long work starts.
void check_output_path(const std::filesystem::path& path, bool overwrite);

class TokenDatasetWriter {
 public:
  TokenDatasetWriter(std::filesystem::path path, const TokenDatasetHeader& header,
                     const TokenDatasetWriteOptions& options = {});
  ~TokenDatasetWriter();
  TokenDatasetWriter(const TokenDatasetWriter&) = delete;
  TokenDatasetWriter& operator=(const TokenDatasetWriter&) = delete;

  // Appends tokens to the end of a split. Every id must lie in [0, vocab_size).
  void append(Split split, std::span<const int32_t> tokens);

  // The same for a file with loss masks: one mask value, 0 or 1, per token.
  void append(Split split, std::span<const int32_t> tokens, std::span<const uint8_t> loss_mask);

  // Tokens appended to a split so far.
  uint64_t size(Split split) const;

  // Writes what is buffered, checks that no split is empty and that each
  // holds whole documents, records the largest id, closes the file and
  // renames it to its final name.
  void commit();

 private:
  struct SplitStream {
    DatasetHandle dataset;
    DatasetHandle loss_mask;             // when the file has loss masks
    std::vector<uint32_t> pending;       // appended but not yet written
    std::vector<uint8_t> pending_mask;   // their mask values, when the file has loss masks
    uint64_t written = 0;                // tokens already in the file
  };

  SplitStream& stream(Split split) { return streams_[static_cast<size_t>(split)]; }
  const SplitStream& stream(Split split) const { return streams_[static_cast<size_t>(split)]; }
  void create_split(Split split, const TokenDatasetWriteOptions& options);
  void write_tokenizer_model(const std::string& model);
  void append_pieces(Split split, std::span<const int32_t> tokens, std::span<const uint8_t> loss_mask);
  void flush(Split split);
  void check_whole_documents(Split split) const;
  void abandon();

  std::filesystem::path path_;
  std::filesystem::path temporary_path_;
  bool overwrite_;
  int64_t vocab_size_;
  bool narrow_;  // stored as uint16
  int64_t document_length_;  // 0: documents of any length
  bool loss_mask_;
  int32_t max_token_id_ = 0;  // the largest id appended so far
  FileHandle file_;
  std::vector<SplitStream> streams_;
  bool committed_ = false;
};

}  // namespace knnformer
