// TokenDatasetWriter and TokenDataset: storage types, splits, the temporary
// file, refusal to overwrite, the reader's checks of format and version, of
// the tokenizer it names, of stored chunks, and of ids outside the vocabulary;
// fixed-length documents and their loss masks, written and checked.
#include <doctest/doctest.h>

#include <numeric>
#include <optional>

#include "data/hdf5_attributes.h"
#include "data/hdf5_handle.h"
#include "data/token_dataset.h"
#include "data/token_dataset_writer.h"
#include "temporary_folder.h"

namespace knnformer {
namespace {

using testing::TemporaryFolder;

TokenDatasetHeader header_with_vocab(int64_t vocab_size) {
  return {.vocab_size = vocab_size, .tokenizer = "none", .eot_token = -1, .source = "test", .tokenizer_model = {}};
}

std::vector<int32_t> read_all(const TokenDataset& dataset, Split split) {
  std::vector<int32_t> tokens(dataset.size(split));
  dataset.read(split, 0, tokens);
  return tokens;
}

size_t stored_bytes_per_token(const std::filesystem::path& path, Split split) {
  const FileHandle file = open_hdf5_file(path, H5F_ACC_RDONLY);
  const DatasetHandle dataset(H5Dopen2(file.get(), split_path(split).c_str(), H5P_DEFAULT), "open");
  const DatatypeHandle type(H5Dget_type(dataset.get()), "type");
  return H5Tget_size(type.get());
}

// What a file written by another tool holds: root attributes and splits.
struct RawDataset {
  std::string format = "knnformer-tokens";
  int64_t version = 1;
  int64_t vocab_size = 257;
  std::string tokenizer = "byte";
  int64_t eot_token = 256;
  std::optional<int64_t> max_token_id{};
  std::vector<uint16_t> train = std::vector<uint16_t>(10, 7);
  std::optional<std::vector<uint16_t>> val = std::vector<uint16_t>(10, 7);
  std::optional<int64_t> document_length{};
  std::optional<std::vector<uint8_t>> train_mask{};
  std::optional<std::vector<uint8_t>> val_mask{};
};

void write_split(hid_t file, const std::string& group_name, const std::vector<uint16_t>& tokens) {
  const hsize_t length = tokens.size();
  const DataspaceHandle space(H5Screate_simple(1, &length, nullptr), "space");
  const GroupHandle group(H5Gcreate2(file, group_name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "group");
  const DatasetHandle dataset(
      H5Dcreate2(group.get(), "tokens", H5T_STD_U16LE, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "dataset");
  check_hdf5(H5Dwrite(dataset.get(), H5T_NATIVE_UINT16, H5S_ALL, H5S_ALL, H5P_DEFAULT, tokens.data()), "write");
}

void write_loss_mask(hid_t file, Split split, const std::vector<uint8_t>& mask) {
  const hsize_t length = mask.size();
  const DataspaceHandle space(H5Screate_simple(1, &length, nullptr), "space");
  const DatasetHandle dataset(H5Dcreate2(file, loss_mask_path(split).c_str(), H5T_STD_U8LE, space.get(), H5P_DEFAULT,
                                         H5P_DEFAULT, H5P_DEFAULT),
                              "dataset");
  check_hdf5(H5Dwrite(dataset.get(), H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, mask.data()), "write");
}

void write_raw_dataset(const std::filesystem::path& path, const RawDataset& raw) {
  silence_hdf5_errors();
  const FileHandle file(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), "create");
  write_string_attribute(file.get(), "format", raw.format);
  write_int_attribute(file.get(), "format_version", raw.version);
  write_int_attribute(file.get(), "vocab_size", raw.vocab_size);
  write_string_attribute(file.get(), "tokenizer", raw.tokenizer);
  write_int_attribute(file.get(), "eot_token", raw.eot_token);
  write_string_attribute(file.get(), "source", "test");
  if (raw.max_token_id) write_int_attribute(file.get(), "max_token_id", *raw.max_token_id);
  if (raw.document_length) write_int_attribute(file.get(), "document_length", *raw.document_length);
  write_split(file.get(), "/train", raw.train);
  if (raw.val) write_split(file.get(), "/val", *raw.val);
  if (raw.train_mask) write_loss_mask(file.get(), Split::train, *raw.train_mask);
  if (raw.val_mask) write_loss_mask(file.get(), Split::val, *raw.val_mask);
}

void write_raw_dataset(const std::filesystem::path& path, const std::string& format, int64_t version,
                       bool with_val) {
  RawDataset raw{.format = format, .version = version};
  if (!with_val) raw.val.reset();
  write_raw_dataset(path, raw);
}

// Overwrites one stored token in place, as damage to the file would.
void damage_token(const std::filesystem::path& path, Split split, hsize_t position, uint16_t value) {
  const FileHandle file = open_hdf5_file(path, H5F_ACC_RDWR);
  const DatasetHandle dataset(H5Dopen2(file.get(), split_path(split).c_str(), H5P_DEFAULT), "open");
  const DataspaceHandle file_space(H5Dget_space(dataset.get()), "space");
  const hsize_t one = 1;
  check_hdf5(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, &position, nullptr, &one, nullptr), "select");
  const DataspaceHandle memory_space(H5Screate_simple(1, &one, nullptr), "memory space");
  check_hdf5(H5Dwrite(dataset.get(), H5T_NATIVE_UINT16, memory_space.get(), file_space.get(), H5P_DEFAULT, &value),
             "write");
}

TEST_CASE(
    "TokenDataset: writer streams splits in blocks and the reader returns them, uint16 when the vocabulary fits") {
  const TemporaryFolder folder;
  const auto path = folder / "tokens.h5";
  std::vector<int32_t> train(50'000), val(3'000);
  std::iota(train.begin(), train.end(), 0);
  std::iota(val.begin(), val.end(), 100);
  {
    TokenDatasetWriter writer(path, header_with_vocab(65536), {.chunk_tokens = 1000});
    // Uneven pieces, interleaved between splits.
    writer.append(Split::train, std::span(train).first(123));
    writer.append(Split::val, std::span(val).first(1));
    writer.append(Split::train, std::span(train).subspan(123));
    writer.append(Split::val, std::span(val).subspan(1));
    CHECK(writer.size(Split::train) == train.size());
    writer.commit();
  }
  const TokenDataset dataset(path);
  CHECK(dataset.header().vocab_size == 65536);
  CHECK(dataset.header().tokenizer == "none");
  CHECK(dataset.format_version() == 1);
  CHECK(read_all(dataset, Split::train) == train);
  CHECK(read_all(dataset, Split::val) == val);
  CHECK(stored_bytes_per_token(path, Split::train) == 2);

  std::vector<int32_t> slice(5);
  dataset.read(Split::train, 49'995, slice);
  CHECK(slice == std::vector<int32_t>{49995, 49996, 49997, 49998, 49999});
  CHECK_THROWS_WITH_AS(dataset.read(Split::train, 49'996, slice), doctest::Contains("runs past the end"), Error);
}

TEST_CASE("TokenDataset: writer stores uint32 ids when the vocabulary exceeds 65536, compressed if asked") {
  const TemporaryFolder folder;
  const auto path = folder / "wide.h5";
  const std::vector<int32_t> tokens = {0, 65535, 65536, 99'999, 12};
  {
    TokenDatasetWriter writer(path, header_with_vocab(100'000), {.compression_level = 6});
    writer.append(Split::train, tokens);
    writer.append(Split::val, tokens);
    writer.commit();
  }
  const TokenDataset dataset(path);
  CHECK(read_all(dataset, Split::train) == tokens);
  CHECK(stored_bytes_per_token(path, Split::val) == 4);
}

TEST_CASE("TokenDataset: writer rejects ids outside the vocabulary and leaves no file behind") {
  const TemporaryFolder folder;
  const auto path = folder / "bad.h5";
  {
    TokenDatasetWriter writer(path, header_with_vocab(257));
    CHECK(std::filesystem::exists(folder / "bad.h5.tmp"));
    const std::vector<int32_t> tokens = {1, 2, 257};
    CHECK_THROWS_WITH_AS(writer.append(Split::train, tokens), doctest::Contains("token 257 is outside"), Error);
  }
  CHECK_FALSE(std::filesystem::exists(path));
  CHECK_FALSE(std::filesystem::exists(folder / "bad.h5.tmp"));
}

TEST_CASE("TokenDataset: commit refuses an empty split, and nothing appears under the real name") {
  const TemporaryFolder folder;
  const auto path = folder / "half.h5";
  {
    TokenDatasetWriter writer(path, header_with_vocab(257));
    const std::vector<int32_t> tokens = {1, 2, 3};
    writer.append(Split::train, tokens);
    CHECK_THROWS_WITH_AS(writer.commit(), doctest::Contains("half.h5: the val split is empty"), Error);
  }
  CHECK(std::filesystem::is_empty(folder.path()));
}

TEST_CASE("TokenDataset: an existing output is kept unless overwrite is set") {
  const TemporaryFolder folder;
  const auto path = folder / "existing.h5";
  testing::write_file(path, "precious");
  CHECK_THROWS_WITH_AS(TokenDatasetWriter(path, header_with_vocab(257)), doctest::Contains("already exists"), Error);
  CHECK(std::filesystem::file_size(path) == 8);

  TokenDatasetWriter writer(path, header_with_vocab(257), {.overwrite = true});
  const std::vector<int32_t> tokens = {1, 2, 3};
  writer.append(Split::train, tokens);
  writer.append(Split::val, tokens);
  CHECK(std::filesystem::file_size(path) == 8);  // replaced only by commit
  writer.commit();
  CHECK(TokenDataset(path).size(Split::val) == 3);
}

TEST_CASE("TokenDataset: reader names the file and the problem for files of another format, version or layout") {
  const TemporaryFolder folder;
  testing::write_file(folder / "text.h5", "plain text");
  CHECK_THROWS_WITH_AS(TokenDataset(folder / "text.h5"), doctest::Contains("text.h5: not an HDF5 file"), Error);
  CHECK_THROWS_WITH_AS(TokenDataset(folder / "nothing.h5"), doctest::Contains("nothing.h5: no such file"), Error);

  write_raw_dataset(folder / "other.h5", "knnformer-checkpoint", 1, true);
  CHECK_THROWS_WITH_AS(TokenDataset(folder / "other.h5"),
                       doctest::Contains("other.h5: not a knnformer token dataset (attribute 'format' is "
                                         "'knnformer-checkpoint'"),
                       Error);
  write_raw_dataset(folder / "future.h5", "knnformer-tokens", 2, true);
  CHECK_THROWS_WITH_AS(TokenDataset(folder / "future.h5"),
                       doctest::Contains("future.h5: format_version 2 is not supported"), Error);
  write_raw_dataset(folder / "no_val.h5", "knnformer-tokens", 1, false);
  CHECK_THROWS_WITH_AS(TokenDataset(folder / "no_val.h5"), doctest::Contains("no_val.h5: missing split /val/tokens"),
                       Error);
  write_raw_dataset(folder / "fine.h5", "knnformer-tokens", 1, true);
  CHECK(TokenDataset(folder / "fine.h5").size(Split::val) == 10);
}

TEST_CASE("TokenDataset: the writer records the largest id, and a reader refuses one beyond the vocabulary at open") {
  const TemporaryFolder folder;
  const auto path = folder / "bounded.h5";
  {
    TokenDatasetWriter writer(path, header_with_vocab(300));
    writer.append(Split::train, std::vector<int32_t>{5, 299, 7});
    writer.append(Split::val, std::vector<int32_t>{12});
    writer.commit();
  }
  const FileHandle file = open_hdf5_file(path, H5F_ACC_RDONLY);
  CHECK(read_int_attribute(file.get(), "max_token_id") == 299);
  CHECK(TokenDataset(path).size(Split::train) == 3);

  write_raw_dataset(folder / "beyond.h5", {.max_token_id = 257});
  CHECK_THROWS_WITH_AS(TokenDataset(folder / "beyond.h5"),
                       doctest::Contains("beyond.h5: max_token_id 257 is outside the vocabulary [0, 257)"), Error);
}

TEST_CASE("TokenDataset: a file without max_token_id is scanned at open, naming the split and position of a bad id") {
  const TemporaryFolder folder;
  RawDataset raw;
  raw.val = std::vector<uint16_t>{1, 2, 3, 4, 5, 300, 6};
  write_raw_dataset(folder / "scanned.h5", raw);
  CHECK_THROWS_WITH_AS(TokenDataset(folder / "scanned.h5"),
                       doctest::Contains("scanned.h5: /val/tokens: token 300 at position 5 is outside the "
                                         "vocabulary [0, 257)"),
                       Error);
  raw.val = std::vector<uint16_t>{1, 2, 3, 4, 5, 256, 6};
  write_raw_dataset(folder / "clean.h5", raw);
  CHECK(TokenDataset(folder / "clean.h5").size(Split::val) == 7);
}

TEST_CASE("TokenDataset: read() names the file, split and position of an id damaged after max_token_id was written") {
  const TemporaryFolder folder;
  const auto path = folder / "damaged.h5";
  {
    TokenDatasetWriter writer(path, header_with_vocab(257));
    writer.append(Split::train, std::vector<int32_t>(100, 42));
    writer.append(Split::val, std::vector<int32_t>(10, 42));
    writer.commit();
  }
  damage_token(path, Split::train, 70, 4000);
  const TokenDataset dataset(path);  // max_token_id still says 42
  std::vector<int32_t> window(20);
  dataset.read(Split::train, 0, window);
  CHECK_THROWS_WITH_AS(dataset.read(Split::train, 60, window),
                       doctest::Contains("damaged.h5: /train/tokens: token 4000 at position 70 is outside the "
                                         "vocabulary [0, 257)"),
                       Error);
}

TEST_CASE("TokenDataset: opening checks the tokenizer the header names, as load_tokenizer does") {
  const TemporaryFolder folder;
  write_raw_dataset(folder / "byte300.h5", {.vocab_size = 300});
  CHECK_THROWS_WITH_AS(TokenDataset(folder / "byte300.h5"),
                       doctest::Contains("byte300.h5: tokenizer 'byte' expects vocab_size 257 and eot_token 256"),
                       Error);
  write_raw_dataset(folder / "unknown.h5", {.tokenizer = "tiktoken"});
  CHECK_THROWS_WITH_AS(TokenDataset(folder / "unknown.h5"),
                       doctest::Contains("unknown.h5: unknown tokenizer 'tiktoken'"), Error);
  write_raw_dataset(folder / "imported.h5", {.vocab_size = 50257, .tokenizer = "none", .eot_token = 50256});
  CHECK(TokenDataset(folder / "imported.h5").header().tokenizer == "none");
}

TEST_CASE("TokenDataset: a split whose length asks for chunks the file does not store is refused") {
  const TemporaryFolder folder;
  const auto path = folder / "short.h5";
  {
    TokenDatasetWriter writer(path, header_with_vocab(257), {.chunk_tokens = 10});
    writer.append(Split::train, std::vector<int32_t>(30, 1));
    writer.append(Split::val, std::vector<int32_t>(10, 1));
    writer.commit();
  }
  {
    // A length damaged upwards: HDF5 would return zeros for the missing chunks.
    const FileHandle file = open_hdf5_file(path, H5F_ACC_RDWR);
    const DatasetHandle dataset(H5Dopen2(file.get(), "/train/tokens", H5P_DEFAULT), "open");
    const hsize_t longer = 55;
    check_hdf5(H5Dset_extent(dataset.get(), &longer), "extend");
  }
  CHECK_THROWS_WITH_AS(TokenDataset{path},
                       doctest::Contains("short.h5: /train/tokens: 55 tokens need 6 chunks, the file stores 3"), Error);
}

TEST_CASE("TokenDataset: documents and their loss masks are written in step and read back, across flushes") {
  const TemporaryFolder folder;
  const auto path = folder / "masked.h5";
  // More than the writer buffers before a write (1M tokens), in uneven pieces.
  std::vector<int32_t> train(1'100'000), val(40);
  std::vector<uint8_t> train_mask(train.size()), val_mask(val.size());
  for (size_t i = 0; i < train.size(); ++i) {
    train[i] = static_cast<int32_t>(i % 65536);
    train_mask[i] = i % 3 == 0;
  }
  for (size_t i = 0; i < val.size(); ++i) val_mask[i] = i % 4 == 1;
  TokenDatasetHeader header = header_with_vocab(65536);
  header.document_length = 4;
  {
    TokenDatasetWriter writer(path, header, {.chunk_tokens = 4096, .loss_mask = true});
    writer.append(Split::train, std::span(train).first(1001), std::span(train_mask).first(1001));
    writer.append(Split::val, val, val_mask);
    writer.append(Split::train, std::span(train).subspan(1001), std::span(train_mask).subspan(1001));
    writer.commit();
  }
  const TokenDataset dataset(path);
  CHECK(dataset.document_length() == 4);
  CHECK(dataset.has_loss_mask());
  CHECK(read_all(dataset, Split::train) == train);
  std::vector<uint8_t> mask(train.size());
  dataset.read_loss_mask(Split::train, 0, mask);
  CHECK(mask == train_mask);
  std::vector<uint8_t> val_slice(6);
  dataset.read_loss_mask(Split::val, 32, val_slice);
  CHECK(val_slice == std::vector<uint8_t>{0, 1, 0, 0, 0, 1});
  CHECK_THROWS_WITH_AS(dataset.read_loss_mask(Split::val, 36, val_slice),
                       doctest::Contains("masked.h5: /val/loss_mask: read of 6 loss mask values at 36 runs past "
                                         "the end"),
                       Error);
}

TEST_CASE("TokenDataset: a file without documents has document_length 0 and no loss mask") {
  const TemporaryFolder folder;
  const auto path = folder / "plain.h5";
  {
    TokenDatasetWriter writer(path, header_with_vocab(257));
    writer.append(Split::train, std::vector<int32_t>{1, 2, 3});
    writer.append(Split::val, std::vector<int32_t>{4});
    writer.commit();
  }
  const TokenDataset dataset(path);
  CHECK(dataset.document_length() == 0);
  CHECK_FALSE(dataset.has_loss_mask());
  std::vector<uint8_t> mask(1);
  CHECK_THROWS_WITH_AS(dataset.read_loss_mask(Split::val, 0, mask), doctest::Contains("plain.h5: has no loss mask"),
                       Error);
}

TEST_CASE("TokenDatasetWriter: refuses masks of another length or with values other than 0 and 1, tokens "
          "without their mask, and splits of partial documents, leaving no file") {
  const TemporaryFolder folder;
  const auto path = folder / "refused.h5";
  TokenDatasetHeader header = header_with_vocab(257);
  CHECK_THROWS_WITH_AS(TokenDatasetWriter(path, header, {.loss_mask = true}),
                       doctest::Contains("refused.h5: loss masks need a document_length"), Error);
  header.document_length = 3;
  const std::vector<int32_t> tokens = {1, 2, 3};
  {
    TokenDatasetWriter writer(path, header, {.loss_mask = true});
    CHECK_THROWS_WITH_AS(writer.append(Split::train, tokens, std::vector<uint8_t>{0, 1}),
                         doctest::Contains("refused.h5: 2 loss mask values for 3 tokens (expected one per token)"),
                         Error);
    CHECK_THROWS_WITH_AS(writer.append(Split::train, tokens, std::vector<uint8_t>{0, 2, 1}),
                         doctest::Contains("refused.h5: loss mask value 2 is not 0 or 1"), Error);
    CHECK_THROWS_WITH_AS(writer.append(Split::train, tokens),
                         doctest::Contains("refused.h5: this file stores a loss mask with every token"), Error);
    writer.append(Split::train, tokens, std::vector<uint8_t>{0, 0, 1});
    writer.append(Split::val, std::vector<int32_t>{1, 2, 3, 4}, std::vector<uint8_t>{0, 0, 1, 1});
    CHECK_THROWS_WITH_AS(writer.commit(),
                         doctest::Contains("refused.h5: the val split holds 4 tokens, not a whole number of documents "
                                           "of 3"),
                         Error);
  }
  {
    TokenDatasetWriter writer(path, header);  // documents without masks
    CHECK_THROWS_WITH_AS(writer.append(Split::train, tokens, std::vector<uint8_t>{0, 0, 1}),
                         doctest::Contains("refused.h5: a loss mask was given, but the file was not opened for loss "
                                           "masks"),
                         Error);
  }
  CHECK(std::filesystem::is_empty(folder.path()));
}

TEST_CASE("TokenDataset: a bad document_length or loss mask is refused at open, naming the file and the problem") {
  const TemporaryFolder folder;
  const auto open = [&](const std::string& name, const RawDataset& raw) {
    write_raw_dataset(folder / name, raw);
    return TokenDataset(folder / name);
  };
  const std::vector<uint8_t> good_mask = {0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
  CHECK(open("good.h5", {.document_length = 5, .train_mask = good_mask, .val_mask = good_mask}).has_loss_mask());
  CHECK(open("unmasked.h5", {.document_length = 10}).document_length() == 10);

  CHECK_THROWS_WITH_AS(open("zero.h5", {.document_length = 0}),
                       doctest::Contains("zero.h5: document_length 0 must be at least 1"), Error);
  CHECK_THROWS_WITH_AS(open("partial.h5", {.document_length = 4}),
                       doctest::Contains("partial.h5: /train/tokens: 10 tokens are not a whole number of documents of "
                                         "document_length 4"),
                       Error);
  std::vector<uint8_t> damaged = good_mask;
  damaged[7] = 2;
  CHECK_THROWS_WITH_AS(open("value.h5", {.document_length = 5, .train_mask = good_mask, .val_mask = damaged}),
                       doctest::Contains("value.h5: /val/loss_mask: value 2 at position 7 is not 0 or 1"), Error);
  CHECK_THROWS_WITH_AS(open("short.h5", {.document_length = 5, .train_mask = std::vector<uint8_t>(9),
                                         .val_mask = good_mask}),
                       doctest::Contains("short.h5: /train/loss_mask: 9 values for 10 tokens (expected one per token)"),
                       Error);
  CHECK_THROWS_WITH_AS(open("one_split.h5", {.document_length = 5, .train_mask = good_mask}),
                       doctest::Contains("one_split.h5: missing /val/loss_mask (the other split has a loss mask)"),
                       Error);
  CHECK_THROWS_WITH_AS(open("no_length.h5", {.train_mask = good_mask, .val_mask = good_mask}),
                       doctest::Contains("no_length.h5: has loss masks but no document_length attribute"), Error);
}

}  // namespace
}  // namespace knnformer
