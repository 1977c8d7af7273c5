// prepare_text_dataset, import_bin_dataset and prepare_synthetic_dataset: the
// byte round trip text → HDF5 → text, nanoGPT's split point, folders,
// progress, imports, and synthetic documents stored with their loss masks.
#include <doctest/doctest.h>

#include <fstream>

#include "data/byte_tokenizer.h"
#include "data/prepare.h"
#include "data/text_corpus.h"
#include "data/token_dataset.h"
#include "data/tokenizer_factory.h"
#include "temporary_folder.h"

namespace knnformer {
namespace {

using testing::TemporaryFolder;

std::vector<int32_t> all_tokens(const TokenDataset& dataset) {
  std::vector<int32_t> tokens(dataset.size(Split::train) + dataset.size(Split::val));
  dataset.read(Split::train, 0, std::span(tokens).first(dataset.size(Split::train)));
  dataset.read(Split::val, 0, std::span(tokens).subspan(dataset.size(Split::train)));
  return tokens;
}

void write_uint16(const std::filesystem::path& path, const std::vector<int32_t>& header,
                  const std::vector<uint16_t>& tokens) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(header.data()), static_cast<std::streamsize>(header.size() * 4));
  out.write(reinterpret_cast<const char*>(tokens.data()), static_cast<std::streamsize>(tokens.size() * 2));
}

TEST_CASE("prepare: byte round trip, text → HDF5 → decode equals the input, val is nanoGPT's final 10%") {
  const TemporaryFolder folder;
  std::string text;
  for (int line = 0; line < 3000; ++line)
    text += "Line " + std::to_string(line) + ": caf\xc3\xa9 \x01\xff and a tab\t.\n";
  testing::write_file(folder / "input.txt", text);

  const PrepareSummary summary =
      prepare_text_dataset({.inputs = {folder / "input.txt"}, .output = {.path = folder / "data.h5"}});
  const TokenDataset dataset(folder / "data.h5");
  CHECK(dataset.header().tokenizer == "byte");
  CHECK(dataset.header().vocab_size == 257);
  CHECK(dataset.size(Split::train) == static_cast<uint64_t>(text.size() * 0.9));  // nanoGPT: int(n * 0.9)
  CHECK(summary.train_tokens + summary.val_tokens == text.size());
  CHECK(load_tokenizer(dataset)->decode(all_tokens(dataset)) == text);
}

TEST_CASE("prepare: a folder's text files are documents in path order, separated by end of text") {
  const TemporaryFolder folder;
  testing::write_file(folder / "in" / "b.txt", "bee\n");
  testing::write_file(folder / "in" / "a" / "z.md", "zed\n");
  testing::write_file(folder / "in" / "c.text", "sea\n");
  testing::write_file(folder / "in" / "image.png", "not text");
  testing::write_file(folder / "in" / ".hidden.txt", "hidden");

  const TextCorpus corpus({folder / "in"});
  REQUIRE(corpus.files().size() == 3);
  CHECK(corpus.files()[0].filename() == "z.md");
  CHECK(corpus.total_bytes() == 12);

  prepare_text_dataset({.inputs = {folder / "in"}, .output = {.path = folder / "d.h5", .val_fraction = 0.5}});
  const TokenDataset dataset(folder / "d.h5");
  CHECK(ByteTokenizer().decode(all_tokens(dataset)) == "zed\n<|endoftext|>bee\n<|endoftext|>sea\n");
  CHECK(dataset.size(Split::val) == 7);
}

TEST_CASE("prepare: files are read in pieces cut after a newline, or between UTF-8 characters in long lines") {
  const TemporaryFolder folder;
  std::string text = "short line\nanother\n";
  for (int i = 0; i < 40; ++i) text += "\xc3\xa9\xe2\x82\xac";  // a long line of 2- and 3-byte characters
  text += "\nend";
  testing::write_file(folder / "t.txt", text);
  std::string joined;
  read_in_line_chunks(folder / "t.txt",
                      [&](std::string_view piece) {
                        CHECK(piece.size() <= 16);
                        CHECK((static_cast<unsigned char>(piece.front()) & 0xC0) != 0x80);  // starts a character
                        joined += piece;
                      },
                      16);
  CHECK(joined == text);
}

TEST_CASE("prepare: bad text inputs fail before any output exists") {
  const TemporaryFolder folder;
  testing::write_file(folder / "empty" / "notes.pdf", "x");
  CHECK_THROWS_WITH_AS(TextCorpus({folder / "empty"}), doctest::Contains("folder has no text files"), Error);
  CHECK_THROWS_WITH_AS(TextCorpus({folder / "absent.txt"}), doctest::Contains("absent.txt: no such file"), Error);
  testing::write_file(folder / "one.txt", "x");
  CHECK_THROWS_WITH_AS(
      prepare_text_dataset({.inputs = {folder / "one.txt"}, .output = {.path = folder / "o.h5", .val_fraction = 1}}),
      doctest::Contains("--val-fraction 1 is outside (0, 1)"), Error);
  CHECK_FALSE(std::filesystem::exists(folder / "o.h5"));
}

TEST_CASE("prepare: progress is reported in input bytes up to the total") {
  const TemporaryFolder folder;
  testing::write_file(folder / "big.txt", std::string(3'000'000, 'a') + "\n");
  uint64_t last_done = 0, last_total = 0;
  prepare_text_dataset({.inputs = {folder / "big.txt"},
                        .output = {.path = folder / "big.h5"},
                        .progress = [&](const std::string&, uint64_t done, uint64_t total) {
                          CHECK(done >= last_done);
                          last_done = done;
                          last_total = total;
                        }});
  CHECK(last_done == 3'000'001);
  CHECK(last_total == 3'000'001);
}

TEST_CASE("prepare: importing nanoGPT and llm.c files gives the same dataset, and bad files are named") {
  const TemporaryFolder folder;
  std::vector<uint16_t> train(10'000), val(999);
  for (size_t i = 0; i < train.size(); ++i) train[i] = static_cast<uint16_t>((i * 7919) % 50257);
  for (size_t i = 0; i < val.size(); ++i) val[i] = static_cast<uint16_t>(i);
  std::vector<int32_t> llmc_header(256, 0);
  llmc_header[0] = kLlmcMagic;
  llmc_header[1] = kLlmcVersion;
  write_uint16(folder / "train.bin", {}, train);
  write_uint16(folder / "val.bin", {}, val);
  llmc_header[2] = static_cast<int32_t>(train.size());
  write_uint16(folder / "llmc_train.bin", llmc_header, train);
  llmc_header[2] = static_cast<int32_t>(val.size());
  write_uint16(folder / "llmc_val.bin", llmc_header, val);

  for (const std::string prefix : {"", "llmc_"}) {
    const auto output = folder / (prefix + "imported.h5");
    import_bin_dataset({.train_file = folder / (prefix + "train.bin"),
                        .val_file = folder / (prefix + "val.bin"),
                        .vocab_size = 50257,
                        .eot_token = 50256,
                        .output = {.path = output}});
    const TokenDataset dataset(output);
    CHECK(dataset.size(Split::train) == train.size());
    CHECK(dataset.size(Split::val) == val.size());
    std::vector<int32_t> tail(3);
    dataset.read(Split::train, train.size() - 3, tail);
    CHECK(tail == std::vector<int32_t>(train.end() - 3, train.end()));
    CHECK(dataset.header().eot_token == 50256);
    CHECK_THROWS_WITH_AS(load_tokenizer(dataset), doctest::Contains("cannot be decoded"), Error);
  }

  CHECK_THROWS_WITH_AS(TokenBinFile(folder / "train.bin", BinFormat::llmc, 50257),
                       doctest::Contains("train.bin: not an llm.c token file"), Error);
  CHECK_THROWS_WITH_AS(
      import_bin_dataset(
          {.train_file = folder / "train.bin", .vocab_size = 50000, .output = {.path = folder / "x.h5"}}),
      doctest::Contains("train.bin: token 5"), Error);
  CHECK_FALSE(std::filesystem::exists(folder / "x.h5"));
  CHECK_FALSE(std::filesystem::exists(folder / "x.h5.tmp"));
}

// Every document of a split, read back as the generator's documents.
std::vector<SyntheticDocument> stored_documents(const TokenDataset& dataset, Split split) {
  const auto length = static_cast<size_t>(dataset.document_length());
  std::vector<SyntheticDocument> documents(dataset.size(split) / length);
  for (size_t index = 0; index < documents.size(); ++index) {
    documents[index] = {.tokens = std::vector<int32_t>(length), .loss_mask = std::vector<uint8_t>(length)};
    dataset.read(split, index * length, documents[index].tokens);
    dataset.read_loss_mask(split, index * length, documents[index].loss_mask);
  }
  return documents;
}

TEST_CASE("prepare: synthetic documents are stored with their masks, and the same seed gives the same file") {
  const TemporaryFolder folder;
  const SyntheticTaskOptions task{.task = SyntheticTask::copy, .context = 31, .segment = 4, .symbols = 8, .seed = 1};
  const PrepareSummary summary =
      prepare_synthetic_dataset({.task = task, .train_documents = 10, .val_documents = 3, .path = folder / "a.h5"});
  CHECK(summary.train_tokens == 320);
  CHECK(summary.val_tokens == 96);
  CHECK(summary.document_length == 32);
  const TokenDataset dataset(folder / "a.h5");
  CHECK(dataset.header().vocab_size == 25);
  CHECK(dataset.header().tokenizer == "none");
  CHECK(dataset.header().eot_token == -1);
  CHECK(dataset.header().source == "synthetic copy T=31 segment=4 symbols=8 seed=1");
  CHECK(dataset.document_length() == 32);
  REQUIRE(dataset.has_loss_mask());
  for (const Split split : kSplits) {
    const std::vector<SyntheticDocument> documents = stored_documents(dataset, split);
    for (size_t index = 0; index < documents.size(); ++index) {
      const SyntheticDocument expected = synthetic_document(task, split, index);
      CHECK(documents[index].tokens == expected.tokens);
      CHECK(documents[index].loss_mask == expected.loss_mask);
    }
  }

  prepare_synthetic_dataset({.task = task, .train_documents = 10, .val_documents = 3, .path = folder / "b.h5"});
  SyntheticTaskOptions other_seed = task;
  other_seed.seed = 2;
  prepare_synthetic_dataset({.task = other_seed, .train_documents = 10, .val_documents = 3, .path = folder / "c.h5"});
  CHECK(all_tokens(TokenDataset(folder / "b.h5")) == all_tokens(dataset));
  CHECK(all_tokens(TokenDataset(folder / "c.h5")) != all_tokens(dataset));
}

TEST_CASE("prepare: the default train documents are 20000, fewer where they would hold more than 2^26 tokens") {
  CHECK(default_train_documents(1023) == 20000);
  CHECK(default_train_documents(3354) == 20000);
  CHECK(default_train_documents(4095) == 16384);
  CHECK(default_train_documents(16384) == 4095);
  CHECK(default_train_documents(int64_t{1} << 30) == 1);
}

TEST_CASE("prepare: bad synthetic options fail before any output exists, naming the flag") {
  const TemporaryFolder folder;
  const auto path = folder / "s.h5";
  const SyntheticTaskOptions mqar{.task = SyntheticTask::mqar, .context = 64, .pairs = 4};
  CHECK_THROWS_WITH_AS(prepare_synthetic_dataset({.task = mqar, .train_documents = 0, .path = path}),
                       "--documents 0: must be at least 1", Error);
  CHECK_THROWS_WITH_AS(prepare_synthetic_dataset({.task = mqar, .val_documents = -2, .path = path}),
                       "--val-documents -2: must be at least 1", Error);
  SyntheticTaskOptions crowded = mqar;
  crowded.pairs = 17;
  CHECK_THROWS_WITH_AS(prepare_synthetic_dataset({.task = crowded, .path = path}),
                       doctest::Contains("--pairs 17 do not fit --context 64"), Error);
  CHECK(std::filesystem::is_empty(folder.path()));
}

}  // namespace
}  // namespace knnformer
