#include "data/token_dataset.h"

#include <vector>

#include "data/hdf5_attributes.h"

namespace knnformer {
namespace {

// Raw chunk cache per split. Random windows revisit chunks often; 32 MiB
// keeps a dataset of 16M uint16 tokens wholly in memory after warm-up.
constexpr size_t kChunkCacheBytes = size_t{32} << 20;
constexpr size_t kChunkCacheSlots = 12421;  // a prime, about 10x the chunks that fit

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
  datasets_[static_cast<size_t>(split)] = std::move(dataset);
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
  std::string model(length, '\0');
  check_hdf5(H5Dread(dataset.get(), H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, model.data()),
             where + ": cannot read");
  return model;
}

void TokenDataset::read(Split split, uint64_t offset, std::span<int32_t> out) const {
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
             where + ": cannot read tokens (file damaged? its Fletcher32 checksum may have failed)");
}

}  // namespace knnformer
