// ByteTokenizer and SentencePieceTokenizer: exact round trips, the
// end-of-text marker, encoding in line pieces, and loading from a dataset.
#include <doctest/doctest.h>

#include "data/byte_tokenizer.h"
#include "data/prepare.h"
#include "data/sentencepiece_tokenizer.h"
#include "data/sentencepiece_training.h"
#include "data/text_corpus.h"
#include "data/token_dataset.h"
#include "data/tokenizer_factory.h"
#include "temporary_folder.h"

namespace knnformer {
namespace {

using testing::TemporaryFolder;

// A few kilobytes of varied English, with digits, tabs, runs of spaces and
// characters beyond ASCII, so that the model meets what byte fallback is for.
std::string small_corpus() {
  const std::vector<std::string> lines = {
      "In the beginning was the word, and the word was with the model.",
      "The quick brown fox jumps over the lazy dog 1234 times.",
      "  Indented\tline with a tab and   three spaces.",
      "Caf\xc3\xa9, na\xc3\xafve, \xc3\xa9l\xc3\xa8ve: accented letters.",
      "Numbers 3.14159 and 2.71828 appear in lines of their own.",
      "To be, or not to be, that is the question.",
  };
  std::string text;
  for (int repeat = 0; repeat < 40; ++repeat)
    for (size_t i = 0; i < lines.size(); ++i) text += lines[(i + repeat) % lines.size()] + "\n";
  return text;
}

std::string train_small_model(const TemporaryFolder& folder, int64_t vocab_size, const std::string& type) {
  testing::write_file(folder / "corpus.txt", small_corpus());
  const TextCorpus corpus({folder / "corpus.txt"});
  return train_sentencepiece(corpus, {.vocab_size = vocab_size, .model_type = type, .seed = 7, .max_sentences = 1000});
}

TEST_CASE("Tokenizer: ByteTokenizer round-trips every byte, and end of text decodes to its marker") {
  const ByteTokenizer tokenizer;
  std::string all_bytes;
  for (int byte = 0; byte < 256; ++byte) all_bytes += static_cast<char>(byte);
  const std::vector<int32_t> ids = tokenizer.encode(all_bytes);
  CHECK(ids.size() == 256);
  CHECK(ids[200] == 200);
  CHECK(tokenizer.decode(ids) == all_bytes);

  const std::vector<int32_t> two_documents = {104, 105, ByteTokenizer::kEndOfText, 121, 111};
  CHECK(tokenizer.decode(two_documents) == "hi<|endoftext|>yo");
  CHECK(tokenizer.vocab_size() == 257);
  const std::vector<int32_t> outside = {257};
  CHECK_THROWS_AS(tokenizer.decode(outside), Error);
}

TEST_CASE("Tokenizer: a SentencePiece BPE model trained on a small corpus round-trips text exactly") {
  const TemporaryFolder folder;
  const SentencePieceTokenizer tokenizer(train_small_model(folder, 400, "bpe"));
  CHECK(tokenizer.vocab_size() == 400);
  CHECK(tokenizer.eot_token() == 1);

  const std::string text = small_corpus();
  const std::vector<int32_t> ids = tokenizer.encode(text);
  CHECK(ids.size() < text.size() * 6 / 10);  // it learned subwords, not just bytes
  CHECK(tokenizer.decode(ids) == text);

  // Unseen characters go through byte pieces.
  const std::string unseen = "\xe2\x82\xac 100, \xf0\x9f\x99\x82 and \xe4\xb8\xad\xe6\x96\x87\n\n";
  CHECK(tokenizer.decode(tokenizer.encode(unseen)) == unseen);

  // Documents joined by the end-of-text token.
  std::vector<int32_t> joined = tokenizer.encode("first\n");
  joined.push_back(tokenizer.eot_token());
  const std::vector<int32_t> second = tokenizer.encode("second");
  joined.insert(joined.end(), second.begin(), second.end());
  CHECK(tokenizer.decode(joined) == "first\n<|endoftext|>second");
}

TEST_CASE("Tokenizer: SentencePiece ids of text encoded in pieces cut after newlines decode to the whole") {
  const TemporaryFolder folder;
  const SentencePieceTokenizer tokenizer(train_small_model(folder, 400, "unigram"));
  std::vector<int32_t> ids;
  std::string pieces;
  read_in_line_chunks(folder / "corpus.txt",
                      [&](std::string_view piece) {
                        pieces += piece;
                        const std::vector<int32_t> encoded = tokenizer.encode(piece);
                        ids.insert(ids.end(), encoded.begin(), encoded.end());
                      },
                      100);
  CHECK(pieces == small_corpus());
  CHECK(tokenizer.decode(ids) == small_corpus());
}

TEST_CASE("Tokenizer: a SentencePiece vocabulary too small is refused with the flag's name") {
  const TemporaryFolder folder;
  CHECK_THROWS_WITH_AS(train_small_model(folder, 100, "bpe"),
                       doctest::Contains("--vocab-size 100 is too small for SentencePiece"), Error);
  CHECK_THROWS_WITH_AS(train_small_model(folder, 290, "bpe"),
                       doctest::Contains("--vocab-size 290 is too small for SentencePiece on this corpus"), Error);
  CHECK_THROWS_WITH_AS(train_small_model(folder, 300, "wordpiece"),
                       doctest::Contains("unknown SentencePiece model type 'wordpiece'"), Error);
  CHECK_THROWS_AS(SentencePieceTokenizer("not a model"), Error);
}

TEST_CASE(
    "Tokenizer: prepare with sentencepiece stores the model, and the dataset's tokenizer decodes it back to the text") {
  const TemporaryFolder folder;
  testing::write_file(folder / "corpus" / "a.txt", small_corpus());
  testing::write_file(folder / "corpus" / "b.txt", "A second, short document.\n");
  const PrepareSummary summary = prepare_text_dataset({.inputs = {folder / "corpus"},
                                                       .output = {.path = folder / "sp.h5"},
                                                       .tokenizer = "sentencepiece",
                                                       .sentencepiece = {.vocab_size = 400, .seed = 3},
                                                       .progress = {}});
  CHECK(summary.vocab_size == 400);

  const TokenDataset dataset(folder / "sp.h5");
  CHECK(dataset.header().tokenizer == "sentencepiece");
  CHECK(dataset.header().eot_token == 1);
  const std::unique_ptr<Tokenizer> tokenizer = load_tokenizer(dataset);
  std::vector<int32_t> ids(dataset.size(Split::train) + dataset.size(Split::val));
  dataset.read(Split::train, 0, std::span(ids).first(dataset.size(Split::train)));
  dataset.read(Split::val, 0, std::span(ids).subspan(dataset.size(Split::train)));
  CHECK(tokenizer->decode(ids) == small_corpus() + "<|endoftext|>A second, short document.\n");
}

}  // namespace
}  // namespace knnformer
