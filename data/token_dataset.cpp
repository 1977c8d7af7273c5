#include "data/token_dataset.h"

#include <algorithm>
#include <type_traits>
#include <vector>

#include "core/memory_budget.h"
#include "data/hdf5_attributes.h"
#include "data/tokenizer_factory.h"

namespace knnformer {
namespace {

// Raw chunk cache per split. Random windows revisit chunks often; 32 MiB
// keeps a dataset of 16M uint16 tokens wholly in memory after warm-up.
constexpr size_t kChunkCacheBytes = size_t{32} << 20;
constexpr size_t kChunkCacheSlots = 12421;  // a prime, about 10x the chunks that fit

// Tokens read at a time when a file without max_token_id is scanned at open:
// 4 MiB of int32, large enough that HDF5's per-call overhead vanishes.
constexpr uint64_t kScanTokens = uint64_t{1} << 20;

PropertyListHandle cached_access() {
  PropertyListHandle access(H5Pcreate(H5P_DATASET_ACCESS), "cannot create a dataset access property list");
  check_hdf5(H5Pset_chunk_cache(access.get(), kChunkCacheSlots, kChunkCacheBytes, 1.0),
             "cannot set the chunk cache");
  return access;
}

// Reads a root attribute, naming the file in any error.
template <class Value>
std::optional<Value> optional_attribute(const std::string& file_name, hid_t file, const std::string& field,
                                        std::optional<Value> (*read)(hid_t, const std::string&)) {
  try {
    return read(file, field);
  } catch (const Error& error) {
    throw Error(file_name + ": " + error.what());
  }
}

template <class Value>
Value required_attribute(const std::string& file_name, hid_t file, const std::string& field,
                         std::optional<Value> (*read)(hid_t, const std::string&)) {
  const std::optional<Value> value = optional_attribute(file_name, file, field, read);
  require(value.has_value(), file_name + ": missing root attribute '" + field + "'");
  return *value;
}

uint64_t vector_length(const DatasetHandle& dataset, const std::string& where) {
  const DataspaceHandle space(H5Dget_space(dataset.get()), where + ": cannot read the dataspace");
  hsize_t length = 0;
  H5Sget_simple_extent_dims(space.get(), &length, nullptr);
  return length;
}

// Reads a whole vector of `length` values in blocks of kScanTokens, handing
// each to read(offset, block), whose own checks then cover every value.
template <class Value, class Read>
void scan(uint64_t length, Read&& read) {
  std::vector<Value> block(std::min(kScanTokens, length));
  for (uint64_t offset = 0; offset < length; offset += block.size())
    read(offset, std::span(block).first(std::min<uint64_t>(block.size(), length - offset)));
}

// Copies values [offset, offset + out.size()) of a 1-D dataset of `length`
// values (`what`, for errors) into out; HDF5 converts the stored type to Value's.
template <class Value>
  requires std::is_same_v<Value, int32_t> || std::is_same_v<Value, uint8_t>
void read_hyperslab(const DatasetHandle& dataset, const std::string& where, const std::string& what, uint64_t length,
                    uint64_t offset, std::span<Value> out) {
  silence_hdf5_errors();  // the batch loader reads from its prefetch thread
  require(offset <= length && out.size() <= length - offset,
          where + ": read of " + std::to_string(out.size()) + " " + what + " at " + std::to_string(offset) +
              " runs past the end (" + std::to_string(length) + " tokens)");
  if (out.empty()) return;
  const hsize_t start = offset, count = out.size();
  const DataspaceHandle file_space(H5Dget_space(dataset.get()), where + ": cannot read the dataspace");
  check_hdf5(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, &start, nullptr, &count, nullptr),
             where + ": cannot select a hyperslab");
  const DataspaceHandle memory_space(H5Screate_simple(1, &count, nullptr), "cannot create a dataspace");
  const hid_t memory_type = std::is_same_v<Value, int32_t> ? H5T_NATIVE_INT32 : H5T_NATIVE_UINT8;
  check_hdf5(H5Dread(dataset.get(), memory_type, memory_space.get(), file_space.get(), H5P_DEFAULT, out.data()),
             where + ": cannot read " + what + " " + std::to_string(offset) + " to " +
                 std::to_string(offset + out.size()) + " (file damaged? its Fletcher32 checksum may have failed)");
}

}  // namespace

TokenDataset::TokenDataset(const std::filesystem::path& path)
    : path_(path), file_(open_hdf5_file(path, H5F_ACC_RDONLY)) {
  read_header(file_.get());
  for (const Split split : kSplits) open_split(split);
  open_loss_masks();
  if (header_.tokenizer == "sentencepiece") header_.tokenizer_model = read_tokenizer_model();
  tokenizer_for_header(header_, path_.string());
  check_token_ids();
  check_loss_mask_values();
}

void TokenDataset::read_header(hid_t file) {
  const std::string name = path_.string();
  const std::optional<std::string> format = optional_attribute(name, file, "format", read_string_attribute);
  require(format == kTokenFormatName, name + ": not a knnformer token dataset (attribute 'format' is " +
                                          (format ? "'" + *format + "'" : "missing") + ", expected '" +
                                          std::string(kTokenFormatName) + "')");
  format_version_ = required_attribute(name, file, "format_version", read_int_attribute);
  require(format_version_ == kTokenFormatVersion,
          name + ": format_version " + std::to_string(format_version_) + " is not supported (expected " +
              std::to_string(kTokenFormatVersion) + ")");
  header_.vocab_size = required_attribute(name, file, "vocab_size", read_int_attribute);
  require(header_.vocab_size >= 1, name + ": vocab_size " + std::to_string(header_.vocab_size) + " must be >= 1");
  header_.tokenizer = required_attribute(name, file, "tokenizer", read_string_attribute);
  header_.eot_token = required_attribute(name, file, "eot_token", read_int_attribute);
  require(header_.eot_token >= -1 && header_.eot_token < header_.vocab_size,
          name + ": eot_token " + std::to_string(header_.eot_token) + " is outside the vocabulary");
  header_.source = required_attribute(name, file, "source", read_string_attribute);
  const std::string length_attribute = std::string(kDocumentLengthAttribute);
  const std::optional<int64_t> document_length = optional_attribute(name, file, length_attribute, read_int_attribute);
  if (!document_length) return;
  require(*document_length >= 1,
          name + ": " + length_attribute + " " + std::to_string(*document_length) + " must be at least 1");
  header_.document_length = *document_length;
}

// A 1-D dataset of integers (`expected` names them in errors).
DatasetHandle TokenDataset::open_vector(const std::string& path, const std::string& expected) const {
  const std::string where = path_.string() + ": " + path;
  DatasetHandle dataset(H5Dopen2(file_.get(), path.c_str(), cached_access().get()),
                        where + ": cannot open the dataset");
  const DataspaceHandle space(H5Dget_space(dataset.get()), where + ": cannot read the dataspace");
  require(H5Sget_simple_extent_ndims(space.get()) == 1, where + ": expected a 1-D dataset of " + expected);
  const DatatypeHandle type(H5Dget_type(dataset.get()), where + ": cannot read the datatype");
  require(H5Tget_class(type.get()) == H5T_INTEGER, where + ": expected integer " + expected);
  return dataset;
}

void TokenDataset::open_split(Split split) {
  const std::string where = path_.string() + ": " + split_path(split);
  require(H5Lexists(file_.get(), split_group(split).c_str(), H5P_DEFAULT) > 0 &&
              H5Lexists(file_.get(), split_path(split).c_str(), H5P_DEFAULT) > 0,
          path_.string() + ": missing split " + split_path(split));
  DatasetHandle dataset = open_vector(split_path(split), "token ids");
  const uint64_t length = vector_length(dataset, where);
  require(length > 0, where + ": the " + split_name(split) + " split is empty");
  sizes_[static_cast<size_t>(split)] = length;
  check_all_stored(split_path(split), dataset, length);
  check_whole_documents(split);
  datasets_[static_cast<size_t>(split)] = std::move(dataset);
}

void TokenDataset::check_whole_documents(Split split) const {
  if (document_length() == 0) return;
  const auto length = static_cast<uint64_t>(document_length());
  require(size(split) % length == 0, path_.string() + ": " + split_path(split) + ": " +
                                         std::to_string(size(split)) + " tokens are not a whole number of documents "
                                         "of document_length " + std::to_string(length));
}

// A loss mask goes with fixed-length documents, and is there for both splits
// or for neither, one value per token.
void TokenDataset::open_loss_masks() {
  const std::string name = path_.string();
  const auto present = [this](Split split) {
    return H5Lexists(file_.get(), loss_mask_path(split).c_str(), H5P_DEFAULT) > 0;
  };
  if (!present(Split::train) && !present(Split::val)) return;
  for (const Split split : kSplits)
    require(present(split), name + ": missing " + loss_mask_path(split) + " (the other split has a loss mask)");
  require(document_length() > 0, name + ": has loss masks but no " + std::string(kDocumentLengthAttribute) +
                                     " attribute (loss masks go with fixed-length documents)");
  for (const Split split : kSplits) {
    const std::string where = name + ": " + loss_mask_path(split);
    DatasetHandle mask = open_vector(loss_mask_path(split), "loss mask values");
    const uint64_t length = vector_length(mask, where);
    require(length == size(split), where + ": " + std::to_string(length) + " values for " +
                                       std::to_string(size(split)) + " tokens (expected one per token)");
    check_all_stored(loss_mask_path(split), mask, length);
    loss_masks_[static_cast<size_t>(split)] = std::move(mask);
  }
}

// HDF5 returns the fill value (0) for values whose storage was never written,
// so a length damaged upwards, or a file cut short by another tool, would
// read as silent zeros. Every chunk (or the contiguous block) the length
// needs must be there.
void TokenDataset::check_all_stored(const std::string& path, const DatasetHandle& dataset, uint64_t length) const {
  const std::string where = path_.string() + ": " + path;
  const PropertyListHandle creation(H5Dget_create_plist(dataset.get()), where + ": cannot read the storage layout");
  const H5D_layout_t layout = H5Pget_layout(creation.get());
  const DatatypeHandle type(H5Dget_type(dataset.get()), where + ": cannot read the datatype");
  const uint64_t value_bytes = H5Tget_size(type.get());
  if (layout == H5D_CHUNKED) {
    hsize_t chunk_length = 0, stored_chunks = 0;
    require(H5Pget_chunk(creation.get(), 1, &chunk_length) == 1 && chunk_length > 0,
            where + ": cannot read the chunk size");
    const DataspaceHandle space(H5Dget_space(dataset.get()), where + ": cannot read the dataspace");
    check_hdf5(H5Dget_num_chunks(dataset.get(), space.get(), &stored_chunks), where + ": cannot count the chunks");
    const uint64_t needed_chunks = (length - 1) / chunk_length + 1;
    require(stored_chunks >= needed_chunks, where + ": " + std::to_string(length) + " tokens need " +
                                                std::to_string(needed_chunks) + " chunks, the file stores " +
                                                std::to_string(stored_chunks) + " (file damaged or truncated?)");
  } else if (layout == H5D_CONTIGUOUS) {
    const uint64_t stored_bytes = H5Dget_storage_size(dataset.get());
    require(stored_bytes / value_bytes >= length, where + ": " + std::to_string(length) + " tokens need " +
                                                      std::to_string(length * value_bytes) +
                                                      " bytes, the file stores " + std::to_string(stored_bytes) +
                                                      " (file damaged or truncated?)");
  }
}

std::string TokenDataset::read_tokenizer_model() const {
  const std::string path = std::string(kTokenizerModelPath);
  const std::string where = path_.string() + ": " + path;
  require(H5Lexists(file_.get(), "/tokenizer", H5P_DEFAULT) > 0 &&
              H5Lexists(file_.get(), path.c_str(), H5P_DEFAULT) > 0,
          path_.string() + ": tokenizer is 'sentencepiece' but " + path + " is missing");
  const DatasetHandle dataset(H5Dopen2(file_.get(), path.c_str(), H5P_DEFAULT), where + ": cannot open");
  const DataspaceHandle space(H5Dget_space(dataset.get()), where + ": cannot read the dataspace");
  require(H5Sget_simple_extent_ndims(space.get()) == 1, where + ": expected a 1-D byte dataset");
  hsize_t length = 0;
  H5Sget_simple_extent_dims(space.get(), &length, nullptr);
  require_memory(static_cast<double>(length), where + " (" + std::to_string(length) + " bytes)");
  std::string model(length, '\0');
  check_hdf5(H5Dread(dataset.get(), H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, model.data()),
             where + ": cannot read");
  return model;
}

// Ids beyond the vocabulary would index past a model's embedding table, so
// they are refused when the file is opened: cheaply from max_token_id, or, in
// files without it, by reading every token once.
void TokenDataset::check_token_ids() const {
  const std::string name = path_.string(), attribute = std::string(kMaxTokenIdAttribute);
  const std::optional<int64_t> max_token_id = optional_attribute(name, file_.get(), attribute, read_int_attribute);
  if (max_token_id) {
    require(*max_token_id >= 0 && *max_token_id < header_.vocab_size,
            name + ": " + attribute + " " + std::to_string(*max_token_id) + " is outside the vocabulary [0, " +
                std::to_string(header_.vocab_size) + ") (file damaged, or written with a wrong vocab_size)");
    return;
  }
  for (const Split split : kSplits)
    scan<int32_t>(size(split), [&](uint64_t offset, std::span<int32_t> block) { read(split, offset, block); });
}

// Mask values other than 0 or 1 would weigh a token's loss arbitrarily (or
// not at all) without a word, so a file holding one is refused when opened.
void TokenDataset::check_loss_mask_values() const {
  if (!has_loss_mask()) return;
  for (const Split split : kSplits)
    scan<uint8_t>(size(split),
                  [&](uint64_t offset, std::span<uint8_t> block) { read_loss_mask(split, offset, block); });
}

void TokenDataset::check_in_vocabulary(Split split, uint64_t offset, std::span<const int32_t> tokens) const {
  const int64_t vocab_size = header_.vocab_size;
  const auto outside = std::find_if(tokens.begin(), tokens.end(),
                                    [vocab_size](int32_t token) { return token < 0 || token >= vocab_size; });
  if (outside == tokens.end()) return;
  const uint64_t position = offset + static_cast<uint64_t>(outside - tokens.begin());
  throw Error(path_.string() + ": " + split_path(split) + ": token " + std::to_string(*outside) + " at position " +
              std::to_string(position) + " is outside the vocabulary [0, " + std::to_string(vocab_size) +
              ") (file damaged?)");
}

void TokenDataset::check_binary(Split split, uint64_t offset, std::span<const uint8_t> loss_mask) const {
  const auto not_binary = std::find_if(loss_mask.begin(), loss_mask.end(), [](uint8_t value) { return value > 1; });
  if (not_binary == loss_mask.end()) return;
  const uint64_t position = offset + static_cast<uint64_t>(not_binary - loss_mask.begin());
  throw Error(path_.string() + ": " + loss_mask_path(split) + ": value " + std::to_string(*not_binary) +
              " at position " + std::to_string(position) + " is not 0 or 1 (file damaged?)");
}

void TokenDataset::read(Split split, uint64_t offset, std::span<int32_t> out) const {
  // HDF5 widens the stored uint16/uint32 ids to int32 as it reads.
  read_hyperslab(datasets_[static_cast<size_t>(split)], path_.string() + ": " + split_path(split), "tokens",
                 size(split), offset, out);
  check_in_vocabulary(split, offset, out);
}

void TokenDataset::read_loss_mask(Split split, uint64_t offset, std::span<uint8_t> out) const {
  require(has_loss_mask(), path_.string() + ": has no loss mask");
  read_hyperslab(loss_masks_[static_cast<size_t>(split)], path_.string() + ": " + loss_mask_path(split),
                 "loss mask values", size(split), offset, out);
  check_binary(split, offset, out);
}

}  // namespace knnformer
