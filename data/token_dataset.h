#pragma once
// TokenDataset: read access to a token dataset file (layout in data/token_format.h).
//
//   const TokenDataset dataset("data.h5");          // validates the format
//   dataset.header().vocab_size;
//   std::vector<int32_t> window(1025);
//   dataset.read(Split::train, offset, window);     // one hyperslab read
//
// Opening checks everything a reader relies on, and names the file and the
// field at fault: that it is HDF5, its format and format_version, the root
// attributes, the tokenizer they name (tokenizer_for_header), that both
// splits exist, are 1-D integer datasets, hold tokens and have them all
// stored, and that no id lies outside [0, vocab_size): from the max_token_id
// attribute when the file has it, else by reading both splits once.
//
// read() checks the ids it returns too, so damage done to a file after it was
// written is reported with the file, split and position, not found later as
// an index out of range deep inside a model.
//
// Files of fixed-length documents (document_length) are checked to hold
// whole documents in each split; their loss masks, when present, to be there
// for both splits, one value per token, each 0 or 1 (read once at open, and
// checked again on every read_loss_mask).
//
//   if (dataset.has_loss_mask()) {
//     std::vector<uint8_t> mask(dataset.document_length());
//     dataset.read_loss_mask(Split::train, document * mask.size(), mask);
//   }
//
// read() and read_loss_mask() are const and may be called from several
// threads at once (the batch loader's prefetch thread): the HDF5 build is
// thread-safe, and each call uses its own dataspaces.
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

#include "data/hdf5_handle.h"
#include "data/token_format.h"

namespace knnformer {

class TokenDataset {
 public:
  explicit TokenDataset(const std::filesystem::path& path);

  const std::filesystem::path& path() const { return path_; }
  const TokenDatasetHeader& header() const { return header_; }
  int64_t format_version() const { return format_version_; }

  // Tokens in a split.
  uint64_t size(Split split) const { return sizes_[static_cast<size_t>(split)]; }

  // Copies tokens [offset, offset + out.size()) of a split into out. Throws
  // Error naming the file, split and position of an id outside the vocabulary.
  void read(Split split, uint64_t offset, std::span<int32_t> out) const;

  // Tokens of every document when the file holds fixed-length documents; 0 when not.
  int64_t document_length() const { return header_.document_length; }

  bool has_loss_mask() const { return loss_masks_.front().valid(); }  // both splits have one, or neither

  // Copies the loss mask values of tokens [offset, offset + out.size()) of a
  // split into out. Throws Error when the file has no loss mask, or naming
  // the file, split and position of a value other than 0 or 1.
  void read_loss_mask(Split split, uint64_t offset, std::span<uint8_t> out) const;

 private:
  void read_header(hid_t file);
  DatasetHandle open_vector(const std::string& path, const std::string& expected) const;
  void open_split(Split split);
  void open_loss_masks();
  void check_whole_documents(Split split) const;
  void check_all_stored(const std::string& path, const DatasetHandle& dataset, uint64_t length) const;
  std::string read_tokenizer_model() const;
  void check_token_ids() const;
  void check_loss_mask_values() const;
  void check_in_vocabulary(Split split, uint64_t offset, std::span<const int32_t> tokens) const;
  void check_binary(Split split, uint64_t offset, std::span<const uint8_t> loss_mask) const;

  std::filesystem::path path_;
  FileHandle file_;
  int64_t format_version_ = 0;
  TokenDatasetHeader header_;
  std::array<DatasetHandle, kSplits.size()> datasets_;
  std::array<DatasetHandle, kSplits.size()> loss_masks_;  // empty handles when the file has none
  std::array<uint64_t, kSplits.size()> sizes_{};
};

}  // namespace knnformer
