#include "data/token_dataset_writer.h"

#include <algorithm>
#include <system_error>

#include "data/hdf5_attributes.h"

namespace knnformer {
namespace {

// Tokens buffered per split before a write: 4 MiB, large enough that HDF5
// call overhead vanishes, small enough to keep memory flat.
constexpr size_t kFlushTokens = size_t{1} << 20;

PropertyListHandle intermediate_groups() {
  PropertyListHandle links(H5Pcreate(H5P_LINK_CREATE), "cannot create a link property list");
  check_hdf5(H5Pset_create_intermediate_group(links.get(), 1), "cannot enable intermediate groups");
  return links;
}

PropertyListHandle token_storage(const TokenDatasetWriteOptions& options, const std::string& file) {
  PropertyListHandle storage(H5Pcreate(H5P_DATASET_CREATE), "cannot create a dataset property list");
  const hsize_t chunk = static_cast<hsize_t>(options.chunk_tokens);
  check_hdf5(H5Pset_chunk(storage.get(), 1, &chunk), file + ": cannot set the chunk size");
  if (options.compression_level > 0) {
    require(H5Zfilter_avail(H5Z_FILTER_DEFLATE) > 0, file + ": this HDF5 library has no deflate compression");
    // Byte shuffling groups the high bytes of the ids together, which deflate compresses far better.
    check_hdf5(H5Pset_shuffle(storage.get()), file + ": cannot enable the shuffle filter");
    check_hdf5(H5Pset_deflate(storage.get(), static_cast<unsigned>(options.compression_level)),
               file + ": cannot enable deflate compression");
  }
  check_hdf5(H5Pset_fletcher32(storage.get()), file + ": cannot enable Fletcher32 checksums");
  return storage;
}

// Extends a 1-D dataset to `start + count` and writes `count` values of
// `memory_type` at `start`; `what` names them in an error.
void write_at_end(const DatasetHandle& dataset, hsize_t start, hsize_t count, hid_t memory_type, const void* values,
                  const std::string& where, const std::string& what) {
  const hsize_t end = start + count;
  check_hdf5(H5Dset_extent(dataset.get(), &end), where + ": cannot extend the dataset");
  const DataspaceHandle file_space(H5Dget_space(dataset.get()), where + ": cannot get the dataspace");
  check_hdf5(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, &start, nullptr, &count, nullptr),
             where + ": cannot select a hyperslab");
  const DataspaceHandle memory_space(H5Screate_simple(1, &count, nullptr), "cannot create a dataspace");
  check_hdf5(H5Dwrite(dataset.get(), memory_type, memory_space.get(), file_space.get(), H5P_DEFAULT, values),
             where + ": cannot write " + what + " (disk full?)");
}

}  // namespace

void check_output_path(const std::filesystem::path& path, bool overwrite) {
  const std::string name = path.string();
  require(!path.empty(), "no output file given");
  require(!std::filesystem::is_directory(path), name + ": is a folder, expected an output file name");
  require(overwrite || !std::filesystem::exists(path), name + ": already exists (pass --force to replace it)");
  const std::filesystem::path folder = path.parent_path();
  require(folder.empty() || std::filesystem::is_directory(folder),
          name + ": folder " + folder.string() + " does not exist");
}

TokenDatasetWriter::TokenDatasetWriter(std::filesystem::path path, const TokenDatasetHeader& header,
                                       const TokenDatasetWriteOptions& options)
    : path_(std::move(path)),
      temporary_path_(path_.string() + ".tmp"),
      overwrite_(options.overwrite),
      vocab_size_(header.vocab_size),
      narrow_(header.vocab_size <= kMaxUint16Vocab),
      document_length_(header.document_length),
      loss_mask_(options.loss_mask) {
  silence_hdf5_errors();
  const std::string name = path_.string();
  check_output_path(path_, overwrite_);
  require(header.vocab_size >= 1, name + ": vocab_size must be at least 1");
  require(header.vocab_size <= (int64_t{1} << 31), name + ": vocab_size above 2^31 is not supported");
  require(options.compression_level >= 0 && options.compression_level <= 9,
          name + ": compression level must be 0 (none) to 9");
  require(options.chunk_tokens >= 1, name + ": chunk length must be at least 1 token");
  require(document_length_ >= 0, name + ": document_length must be at least 1 (or 0: documents of any length)");
  require(!loss_mask_ || document_length_ > 0, name + ": loss masks need a document_length");

  file_ = FileHandle(H5Fcreate(temporary_path_.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT),
                     temporary_path_.string() + ": cannot create the file");
  try {
    write_string_attribute(file_.get(), "format", std::string(kTokenFormatName));
    write_int_attribute(file_.get(), "format_version", kTokenFormatVersion);
    write_int_attribute(file_.get(), "vocab_size", header.vocab_size);
    write_string_attribute(file_.get(), "tokenizer", header.tokenizer);
    write_int_attribute(file_.get(), "eot_token", header.eot_token);
    write_string_attribute(file_.get(), "source", header.source);
    if (document_length_ > 0)
      write_int_attribute(file_.get(), std::string(kDocumentLengthAttribute), document_length_);
    streams_.resize(kSplits.size());
    for (const Split split : kSplits) create_split(split, options);
    if (!header.tokenizer_model.empty()) write_tokenizer_model(header.tokenizer_model);
  } catch (...) {
    abandon();
    throw;
  }
}

TokenDatasetWriter::~TokenDatasetWriter() {
  if (!committed_) abandon();
}

void TokenDatasetWriter::create_split(Split split, const TokenDatasetWriteOptions& options) {
  const hsize_t empty = 0, unlimited = H5S_UNLIMITED;
  const DataspaceHandle space(H5Screate_simple(1, &empty, &unlimited), "cannot create a dataspace");
  const hid_t stored_type = narrow_ ? H5T_STD_U16LE : H5T_STD_U32LE;
  const std::string where = path_.string() + ": " + split_path(split);
  const PropertyListHandle storage = token_storage(options, path_.string());
  stream(split).dataset =
      DatasetHandle(H5Dcreate2(file_.get(), split_path(split).c_str(), stored_type, space.get(),
                               intermediate_groups().get(), storage.get(), H5P_DEFAULT),
                    where + ": cannot create the dataset");
  if (!loss_mask_) return;
  const std::string mask_path = loss_mask_path(split);
  stream(split).loss_mask = DatasetHandle(H5Dcreate2(file_.get(), mask_path.c_str(), H5T_STD_U8LE, space.get(),
                                                     H5P_DEFAULT, storage.get(), H5P_DEFAULT),
                                          path_.string() + ": " + mask_path + ": cannot create the dataset");
}

void TokenDatasetWriter::write_tokenizer_model(const std::string& model) {
  const hsize_t length = model.size();
  const DataspaceHandle space(H5Screate_simple(1, &length, nullptr), "cannot create a dataspace");
  const std::string path = std::string(kTokenizerModelPath);
  const DatasetHandle dataset(H5Dcreate2(file_.get(), path.c_str(), H5T_STD_U8LE, space.get(),
                                         intermediate_groups().get(), H5P_DEFAULT, H5P_DEFAULT),
                              path_.string() + ": cannot create " + path);
  check_hdf5(H5Dwrite(dataset.get(), H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, model.data()),
             path_.string() + ": cannot write " + path);
}

void TokenDatasetWriter::append(Split split, std::span<const int32_t> tokens) {
  require(!loss_mask_, path_.string() + ": this file stores a loss mask with every token; append them together");
  append_pieces(split, tokens, {});
}

void TokenDatasetWriter::append(Split split, std::span<const int32_t> tokens, std::span<const uint8_t> loss_mask) {
  const std::string name = path_.string();
  require(loss_mask_, name + ": a loss mask was given, but the file was not opened for loss masks");
  require(loss_mask.size() == tokens.size(), name + ": " + std::to_string(loss_mask.size()) +
                                                 " loss mask values for " + std::to_string(tokens.size()) +
                                                 " tokens (expected one per token)");
  const auto not_binary = std::find_if(loss_mask.begin(), loss_mask.end(), [](uint8_t value) { return value > 1; });
  if (not_binary != loss_mask.end())
    throw Error(name + ": loss mask value " + std::to_string(*not_binary) + " is not 0 or 1");
  append_pieces(split, tokens, loss_mask);
}

// Buffers tokens (and their mask values, when the file has loss masks) and
// writes them out every kFlushTokens, the two always in step.
void TokenDatasetWriter::append_pieces(Split split, std::span<const int32_t> tokens,
                                       std::span<const uint8_t> loss_mask) {
  require(!committed_, path_.string() + ": append after commit");
  if (tokens.empty()) return;
  SplitStream& target = stream(split);
  const auto outside = std::find_if(tokens.begin(), tokens.end(),
                                    [&](int32_t token) { return token < 0 || token >= vocab_size_; });
  if (outside != tokens.end())
    throw Error(path_.string() + ": token " + std::to_string(*outside) + " is outside the vocabulary [0, " +
                std::to_string(vocab_size_) + ")");
  max_token_id_ = std::max(max_token_id_, *std::max_element(tokens.begin(), tokens.end()));
  while (!tokens.empty()) {
    const size_t taken = std::min(tokens.size(), kFlushTokens - target.pending.size());
    target.pending.insert(target.pending.end(), tokens.begin(), tokens.begin() + static_cast<std::ptrdiff_t>(taken));
    tokens = tokens.subspan(taken);
    if (loss_mask_) {
      target.pending_mask.insert(target.pending_mask.end(), loss_mask.begin(),
                                 loss_mask.begin() + static_cast<std::ptrdiff_t>(taken));
      loss_mask = loss_mask.subspan(taken);
    }
    if (target.pending.size() == kFlushTokens) flush(split);
  }
}

uint64_t TokenDatasetWriter::size(Split split) const {
  return stream(split).written + stream(split).pending.size();
}

void TokenDatasetWriter::flush(Split split) {
  SplitStream& target = stream(split);
  if (target.pending.empty()) return;
  silence_hdf5_errors();  // append may be called on another thread than the constructor
  const std::string where = path_.string() + ": " + split_path(split);
  const hsize_t start = target.written, count = target.pending.size();
  if (narrow_) {
    const std::vector<uint16_t> narrowed(target.pending.begin(), target.pending.end());
    write_at_end(target.dataset, start, count, H5T_NATIVE_UINT16, narrowed.data(), where, "tokens");
  } else {
    write_at_end(target.dataset, start, count, H5T_NATIVE_UINT32, target.pending.data(), where, "tokens");
  }
  if (loss_mask_) {
    write_at_end(target.loss_mask, start, count, H5T_NATIVE_UINT8, target.pending_mask.data(),
                 path_.string() + ": " + loss_mask_path(split), "the loss mask");
    target.pending_mask.clear();
  }
  target.written = start + count;
  target.pending.clear();
}

void TokenDatasetWriter::check_whole_documents(Split split) const {
  if (document_length_ == 0) return;
  const uint64_t tokens = size(split), length = static_cast<uint64_t>(document_length_);
  require(tokens % length == 0, path_.string() + ": the " + split_name(split) + " split holds " +
                                    std::to_string(tokens) + " tokens, not a whole number of documents of " +
                                    std::to_string(length));
}

void TokenDatasetWriter::commit() {
  require(!committed_, path_.string() + ": committed twice");
  silence_hdf5_errors();
  for (const Split split : kSplits) {
    flush(split);
    require(size(split) > 0, path_.string() + ": the " + split_name(split) + " split is empty");
    check_whole_documents(split);
  }
  write_int_attribute(file_.get(), std::string(kMaxTokenIdAttribute), max_token_id_);
  for (SplitStream& split_stream : streams_)
    require(split_stream.dataset.close() && split_stream.loss_mask.close(),
            path_.string() + ": cannot close a dataset");
  require(file_.close(), temporary_path_.string() + ": cannot finish writing the file (disk full?)");
  // The output may have appeared while we worked; the rule holds at the moment of replacing too.
  check_output_path(path_, overwrite_);
  std::error_code error;
  std::filesystem::rename(temporary_path_, path_, error);
  require(!error, path_.string() + ": cannot rename " + temporary_path_.string() + " into place: " + error.message());
  committed_ = true;
}

void TokenDatasetWriter::abandon() {
  streams_.clear();
  file_.close();
  std::error_code ignored;
  std::filesystem::remove(temporary_path_, ignored);
}

}  // namespace knnformer
