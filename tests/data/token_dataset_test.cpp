// TokenDatasetWriter and TokenDataset: storage types, splits, the temporary
// file, refusal to overwrite, and the reader's checks of format and version.
#include <doctest/doctest.h>

#include <numeric>

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

// Writes a file with the given root attributes and splits, as another tool might.
void write_raw_dataset(const std::filesystem::path& path, const std::string& format, int64_t version,
                       bool with_val) {
  silence_hdf5_errors();
  const FileHandle file(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), "create");
  write_string_attribute(file.get(), "format", format);
  write_int_attribute(file.get(), "format_version", version);
  write_int_attribute(file.get(), "vocab_size", 257);
  write_string_attribute(file.get(), "tokenizer", "byte");
  write_int_attribute(file.get(), "eot_token", 256);
  write_string_attribute(file.get(), "source", "test");
  const hsize_t length = 10;
  const DataspaceHandle space(H5Screate_simple(1, &length, nullptr), "space");
  const std::vector<uint16_t> tokens(length, 7);
  const auto add_split = [&](const std::string& name) {
    const GroupHandle group(H5Gcreate2(file.get(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "group");
    const DatasetHandle dataset(H5Dcreate2(group.get(), "tokens", H5T_STD_U16LE, space.get(), H5P_DEFAULT,
                                           H5P_DEFAULT, H5P_DEFAULT),
                                "dataset");
    check_hdf5(H5Dwrite(dataset.get(), H5T_NATIVE_UINT16, H5S_ALL, H5S_ALL, H5P_DEFAULT, tokens.data()), "write");
  };
  add_split("/train");
  if (with_val) add_split("/val");
}

TEST_CASE("TokenDataset: writer streams splits in blocks and the reader returns them, uint16 when the vocabulary fits") {
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

}  // namespace
}  // namespace knnformer
