#include "data/token_dataset.h"

#include <algorithm>
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

}  // namespace

TokenDataset::TokenDataset(const std::filesystem::path& path)
    : path_(path), file_(open_hdf5_file(path, H5F_ACC_RDONLY)) {
  read_header(file_.get());
  for (const Split split : kSplits) open_split(split);
  if (header_.tokenizer == "sentencepiece") header_.tokenizer_model = read_tokenizer_model();
  tokenizer_for_header(header_, path_.string());
  check_token_ids();
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
}

void TokenDataset::open_split(Split split) {
  const std::string where = path_.string() + ": " + split_path(split);
  require(H5Lexists(file_.get(), split_group(split).c_str(), H5P_DEFAULT) > 0 &&
              H5Lexists(file_.get(), split_path(split).c_str(), H5P_DEFAULT) > 0,
          path_.string() + ": missing split " + split_path(split));
  DatasetHandle dataset(H5Dopen2(file_.get(), split_path(split).c_str(), cached_access().get()),
                        where + ": cannot open the dataset");
  const DataspaceHandle space(H5Dget_space(dataset.get()), where + ": cannot read the dataspace");
  require(H5Sget_simple_extent_ndims(space.get()) == 1, where + ": expected a 1-D dataset of token ids");
  const DatatypeHandle type(H5Dget_type(dataset.get()), where + ": cannot read the datatype");
  require(H5Tget_class(type.get()) == H5T_INTEGER, where + ": expected integer token ids");
  hsize_t length = 0;
  H5Sget_simple_extent_dims(space.get(), &length, nullptr);
  require(length > 0, where + ": the " + split_name(split) + " split is empty");
  sizes_[static_cast<size_t>(split)] = length;
  check_all_stored(split, dataset);
  datasets_[static_cast<size_t>(split)] = std::move(dataset);
}

// HDF5 returns the fill value (0) for tokens whose storage was never written,
// so a length damaged upwards, or a file cut short by another tool, would
// read as silent zeros. Every chunk (or the contiguous block) the length
// needs must be there.
void TokenDataset::check_all_stored(Split split, const DatasetHandle& dataset) const {
  const std::string where = path_.string() + ": " + split_path(split);
  const PropertyListHandle creation(H5Dget_create_plist(dataset.get()), where + ": cannot read the storage layout");
  const H5D_layout_t layout = H5Pget_layout(creation.get());
  const DatatypeHandle type(H5Dget_type(dataset.get()), where + ": cannot read the datatype");
  const uint64_t tokens = size(split), token_bytes = H5Tget_size(type.get());
  if (layout == H5D_CHUNKED) {
    hsize_t chunk_tokens = 0, stored_chunks = 0;
    require(H5Pget_chunk(creation.get(), 1, &chunk_tokens) == 1 && chunk_tokens > 0,
            where + ": cannot read the chunk size");
    const DataspaceHandle space(H5Dget_space(dataset.get()), where + ": cannot read the dataspace");
    check_hdf5(H5Dget_num_chunks(dataset.get(), space.get(), &stored_chunks), where + ": cannot count the chunks");
    const uint64_t needed_chunks = (tokens - 1) / chunk_tokens + 1;
    require(stored_chunks >= needed_chunks, where + ": " + std::to_string(tokens) + " tokens need " +
                                                std::to_string(needed_chunks) + " chunks, the file stores " +
                                                std::to_string(stored_chunks) + " (file damaged or truncated?)");
  } else if (layout == H5D_CONTIGUOUS) {
    const uint64_t stored_bytes = H5Dget_storage_size(dataset.get());
    require(stored_bytes / token_bytes >= tokens, where + ": " + std::to_string(tokens) + " tokens need " +
                                                      std::to_string(tokens * token_bytes) +
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
  for (const Split split : kSplits) {
    std::vector<int32_t> block(std::min(kScanTokens, size(split)));
    for (uint64_t offset = 0; offset < size(split); offset += block.size())
      read(split, offset, std::span(block).first(std::min<uint64_t>(block.size(), size(split) - offset)));
  }
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

void TokenDataset::read(Split split, uint64_t offset, std::span<int32_t> out) const {
  silence_hdf5_errors();  // the batch loader calls this from its prefetch thread
  const std::string where = path_.string() + ": " + split_path(split);
  require(offset <= size(split) && out.size() <= size(split) - offset,
          where + ": read of " + std::to_string(out.size()) + " tokens at " + std::to_string(offset) +
              " runs past the end (" + std::to_string(size(split)) + " tokens)");
  if (out.empty()) return;
  const DatasetHandle& dataset = datasets_[static_cast<size_t>(split)];
  const hsize_t start = offset, count = out.size();
  const DataspaceHandle file_space(H5Dget_space(dataset.get()), where + ": cannot read the dataspace");
  check_hdf5(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, &start, nullptr, &count, nullptr),
             where + ": cannot select a hyperslab");
  const DataspaceHandle memory_space(H5Screate_simple(1, &count, nullptr), "cannot create a dataspace");
  // HDF5 widens the stored uint16/uint32 ids to int32 as it reads.
  check_hdf5(H5Dread(dataset.get(), H5T_NATIVE_INT32, memory_space.get(), file_space.get(), H5P_DEFAULT,
                     out.data()),
             where + ": cannot read tokens " + std::to_string(offset) + " to " +
                 std::to_string(offset + out.size()) + " (file damaged? its Fletcher32 checksum may have failed)");
  check_in_vocabulary(split, offset, out);
}

}  // namespace knnformer
