// BatchLoader: windows in range with targets shifted by one, determinism in
// (seed, step), coverage of the split, the prefetch thread's agreement with
// direct reads, and the sequential walk used for evaluation; the same for
// whole documents, whose loss masks turn targets into ops::kIgnoredTarget.
#include <doctest/doctest.h>

#include <algorithm>
#include <set>
#include <tuple>

#include "core/ops/cross_entropy.h"
#include "core/rng.h"
#include "data/batch_loader.h"
#include "data/token_dataset_writer.h"
#include "temporary_folder.h"

namespace knnformer {
namespace {

using testing::TemporaryFolder;

// A dataset whose token at position p is p (train) or 30000 + p (val), so a
// window's ids tell where it was read from.
std::shared_ptr<const TokenDataset> counting_dataset(const TemporaryFolder& folder, int32_t train_size,
                                                     int32_t val_size) {
  const auto path = folder / "counting.h5";
  {
    TokenDatasetWriter writer(path, {.vocab_size = 65536, .tokenizer = "none", .source = "counting"},
                              {.chunk_tokens = 512});
    std::vector<int32_t> train(train_size), val(val_size);
    for (int32_t i = 0; i < train_size; ++i) train[i] = i;
    for (int32_t i = 0; i < val_size; ++i) val[i] = 30000 + i;
    writer.append(Split::train, train);
    writer.append(Split::val, val);
    writer.commit();
  }
  return std::make_shared<const TokenDataset>(path);
}

// Documents of 9 tokens (context 8) whose token at position p is p, train
// then val (starting at 30000), and whose loss mask is 1 at the tokens 2, 5
// and 8 of every document.
constexpr int64_t kDocumentLength = 9;

bool counted(int64_t position_in_document) { return position_in_document % 3 == 2; }

std::shared_ptr<const TokenDataset> document_dataset(const TemporaryFolder& folder, int32_t train_documents,
                                                     int32_t val_documents) {
  const auto path = folder / "documents.h5";
  {
    TokenDatasetWriter writer(path,
                              {.vocab_size = 65536, .tokenizer = "none", .source = "documents",
                               .document_length = kDocumentLength},
                              {.chunk_tokens = 64, .loss_mask = true});
    for (const auto& [split, documents, first] :
         {std::tuple{Split::train, train_documents, 0}, std::tuple{Split::val, val_documents, 30000}}) {
      std::vector<int32_t> tokens(documents * kDocumentLength);
      std::vector<uint8_t> mask(tokens.size());
      for (size_t i = 0; i < tokens.size(); ++i) {
        tokens[i] = first + static_cast<int32_t>(i);
        mask[i] = counted(static_cast<int64_t>(i) % kDocumentLength);
      }
      writer.append(split, tokens, mask);
    }
    writer.commit();
  }
  return std::make_shared<const TokenDataset>(path);
}

// Every row is the whole document at its start, each target the next token
// where the mask counts it and ops::kIgnoredTarget elsewhere.
void check_whole_documents(const Batch& batch, int32_t first_token) {
  const int64_t context = kDocumentLength - 1;
  REQUIRE(batch.context == context);
  for (int64_t row = 0; row < batch.rows; ++row) {
    const uint64_t start = batch.starts[row];
    CHECK(start % kDocumentLength == 0);
    for (int64_t t = 0; t < context; ++t) {
      CHECK(batch.inputs[row * context + t] == first_token + static_cast<int32_t>(start + t));
      const int32_t next = first_token + static_cast<int32_t>(start + t + 1);
      CHECK(batch.targets[row * context + t] == (counted(t + 1) ? next : ops::kIgnoredTarget));
    }
  }
}

bool same_batch(const Batch& a, const Batch& b) {
  return a.step == b.step && a.inputs == b.inputs && a.targets == b.targets && a.starts == b.starts;
}

TEST_CASE("BatchLoader: every window lies in the split and its targets are its inputs shifted by one") {
  const TemporaryFolder folder;
  const auto dataset = counting_dataset(folder, 20000, 3000);
  BatchLoader loader(dataset, Split::train, {.rows = 8, .context = 64, .seed = 1});
  for (int64_t step = 0; step < 50; ++step) {
    const Batch batch = loader.get(step);
    REQUIRE(batch.inputs.size() == 8 * 64);
    for (int64_t row = 0; row < 8; ++row) {
      const uint64_t start = batch.starts[row];
      CHECK(start + 64 < 20000);  // the window's last target is still inside the split
      for (int64_t t = 0; t < 64; ++t) {
        CHECK(batch.inputs[row * 64 + t] == static_cast<int32_t>(start + t));
        CHECK(batch.targets[row * 64 + t] == static_cast<int32_t>(start + t + 1));
      }
    }
  }
}

TEST_CASE("BatchLoader: the batch of a step depends on (seed, step) only") {
  const TemporaryFolder folder;
  const auto dataset = counting_dataset(folder, 20000, 3000);
  const BatchShape shape{.rows = 4, .context = 32, .seed = 42};
  BatchLoader first(dataset, Split::train, shape), second(dataset, Split::train, shape);

  const Batch a = first.get(7);
  CHECK(same_batch(a, first.get(7)));   // asked twice
  CHECK(same_batch(a, second.get(7)));  // another loader, same seed
  CHECK(same_batch(a, first.read(7)));  // read directly
  CHECK(a.starts != first.get(8).starts);
  CHECK(a.starts != BatchLoader(dataset, Split::train, {.rows = 4, .context = 32, .seed = 43}).get(7).starts);
  std::set<uint64_t> rows(a.starts.begin(), a.starts.end());
  CHECK(rows.size() == 4);  // rows of one batch are drawn independently
}

TEST_CASE("BatchLoader: random windows cover every start of a small split") {
  const TemporaryFolder folder;
  const auto dataset = counting_dataset(folder, 200, 100);
  const BatchLoader loader(dataset, Split::val, {.rows = 16, .context = 10, .seed = 5});
  CHECK(loader.window_count() == 90);
  std::set<uint64_t> seen;
  for (int64_t step = 0; step < 200; ++step)
    for (int64_t row = 0; row < 16; ++row) seen.insert(loader.window_start(step, row));
  CHECK(seen.size() == 90);  // 3200 draws over 90 starts: all are hit
  CHECK(*seen.begin() == 0);
  CHECK(*seen.rbegin() == 89);  // the last window ends on the split's last token
  const Batch last = loader.read(0);
  CHECK(last.inputs[0] == static_cast<int32_t>(30000 + last.starts[0]));
}

TEST_CASE("BatchLoader: prefetched batches equal direct reads, in order and out of order") {
  const TemporaryFolder folder;
  const auto dataset = counting_dataset(folder, 20000, 3000);
  BatchLoader loader(dataset, Split::train, {.rows = 8, .context = 128, .seed = 9});
  const BatchLoader reference(dataset, Split::train, {.rows = 8, .context = 128, .seed = 9});
  for (const int64_t step : {0, 1, 2, 3, 4, 10, 11, 5, 5, 6, 100, 0}) {
    CHECK(same_batch(loader.get(step), reference.read(step)));
  }
}

TEST_CASE("BatchLoader: sequential order walks fixed, consecutive windows and wraps around") {
  const TemporaryFolder folder;
  const auto dataset = counting_dataset(folder, 20000, 1000);
  BatchLoader loader(dataset, Split::val, {.rows = 4, .context = 100, .order = WindowOrder::sequential});
  CHECK(loader.window_count() == 9);  // (1000 - 1) / 100
  const Batch first = loader.get(0);
  CHECK(first.starts == std::vector<uint64_t>{0, 100, 200, 300});
  CHECK(first.inputs[100] == 30100);
  CHECK(first.targets[99] == 30100);
  CHECK(loader.get(1).starts == std::vector<uint64_t>{400, 500, 600, 700});
  CHECK(loader.get(2).starts == std::vector<uint64_t>{800, 0, 100, 200});
  CHECK(same_batch(loader.get(0), first));  // every evaluation sees the same windows
}

TEST_CASE("BatchLoader: a context longer than the split is refused, naming the file and split") {
  const TemporaryFolder folder;
  const auto dataset = counting_dataset(folder, 2000, 100);
  CHECK_NOTHROW(BatchLoader(dataset, Split::val, {.rows = 1, .context = 99}));
  CHECK_THROWS_WITH_AS(BatchLoader(dataset, Split::val, {.rows = 1, .context = 100}),
                       doctest::Contains("counting.h5: val split has 100 tokens, fewer than context + 1 = 101"),
                       Error);
  CHECK_THROWS_AS(BatchLoader(dataset, Split::train, {.rows = 0, .context = 10}), Error);
}

TEST_CASE("BatchLoader: a batch that cannot fit in memory is refused before anything is allocated") {
  const TemporaryFolder folder;
  const auto dataset = counting_dataset(folder, 1000, 100);
  CHECK_THROWS_WITH_AS(BatchLoader(dataset, Split::train, {.rows = 1'000'000'000'000, .context = 8}),
                       doctest::Contains("a batch of 1000000000000 rows x 8 tokens (and the next, read ahead) "
                                         "needs about"),
                       Error);
}

TEST_CASE("BatchLoader: random windows start where the documented stream CounterRng(seed, {windows, step, row}) says") {
  const TemporaryFolder folder;
  const auto dataset = counting_dataset(folder, 5000, 100);
  const BatchLoader loader(dataset, Split::train, {.rows = 3, .context = 50, .seed = 77});
  constexpr uint64_t kWindows = 0x77696E646F7773ull;  // ASCII "windows" (docs/design.md §8.2)
  for (uint64_t step = 0; step < 5; ++step)
    for (uint64_t row = 0; row < 3; ++row)
      CHECK(loader.window_start(static_cast<int64_t>(step), static_cast<int64_t>(row)) ==
            CounterRng(77, {kWindows, step, row}).below(5000 - 50));
}

TEST_CASE("BatchLoader: documents: every row is one whole document, its unmasked targets ignored") {
  const TemporaryFolder folder;
  const auto dataset = document_dataset(folder, 40, 7);
  BatchLoader loader(dataset, Split::train, {.rows = 4, .context = kDocumentLength - 1, .seed = 3});
  CHECK(loader.window_count() == 40);
  std::set<uint64_t> documents;
  for (int64_t step = 0; step < 100; ++step) {
    const Batch batch = loader.get(step);
    check_whole_documents(batch, 0);
    for (const uint64_t start : batch.starts) documents.insert(start / kDocumentLength);
  }
  CHECK(documents.size() == 40);  // 400 draws, uniform over the 40 documents: every one is drawn
  CHECK(*documents.rbegin() == 39);
}

TEST_CASE("BatchLoader: documents: the batch of a step depends on (seed, step) alone, so a resumed run sees it too") {
  const TemporaryFolder folder;
  const auto dataset = document_dataset(folder, 40, 7);
  const BatchShape shape{.rows = 5, .context = kDocumentLength - 1, .seed = 8};
  BatchLoader first(dataset, Split::train, shape);
  for (int64_t step = 0; step < 6; ++step) first.get(step);
  BatchLoader resumed(dataset, Split::train, shape);  // a fresh loader, as after a resume
  for (const int64_t step : {5, 6, 7, 2, 2, 0}) {
    const Batch batch = first.get(step);
    CHECK(same_batch(batch, resumed.get(step)));
    CHECK(same_batch(batch, first.read(step)));
  }
  for (uint64_t row = 0; row < 5; ++row)
    CHECK(first.window_start(4, static_cast<int64_t>(row)) ==
          CounterRng(8, {0x77696E646F7773ull, 4, row}).below(40) * kDocumentLength);
  CHECK(first.get(1).starts != BatchLoader(dataset, Split::train, {.rows = 5, .context = 8, .seed = 9}).get(1).starts);
}

TEST_CASE("BatchLoader: documents: sequential order walks the documents in order and wraps around") {
  const TemporaryFolder folder;
  const auto dataset = document_dataset(folder, 40, 7);
  BatchLoader loader(dataset, Split::val,
                     {.rows = 3, .context = kDocumentLength - 1, .order = WindowOrder::sequential});
  CHECK(loader.window_count() == 7);
  CHECK(loader.get(0).starts == std::vector<uint64_t>{0, 9, 18});
  CHECK(loader.get(1).starts == std::vector<uint64_t>{27, 36, 45});
  const Batch wrapped = loader.get(2);
  CHECK(wrapped.starts == std::vector<uint64_t>{54, 0, 9});
  check_whole_documents(wrapped, 30000);
}

TEST_CASE("BatchLoader: documents: a context other than the document length minus one is refused, naming both") {
  const TemporaryFolder folder;
  const auto dataset = document_dataset(folder, 4, 2);
  CHECK_THROWS_WITH_AS(BatchLoader(dataset, Split::train, {.rows = 1, .context = 16}),
                       doctest::Contains("documents.h5 holds documents of 9 tokens, so the context must be 8, not 16"),
                       Error);
  CHECK_THROWS_AS(BatchLoader(dataset, Split::train, {.rows = 1, .context = 9}), Error);
}

TEST_CASE("BatchLoader: documents without a loss mask keep every target") {
  const TemporaryFolder folder;
  const auto path = folder / "unmasked.h5";
  {
    TokenDatasetWriter writer(path, {.vocab_size = 257, .tokenizer = "none", .source = "t", .document_length = 3});
    writer.append(Split::train, std::vector<int32_t>{1, 2, 3, 4, 5, 6});
    writer.append(Split::val, std::vector<int32_t>{7, 8, 9});
    writer.commit();
  }
  BatchLoader loader(std::make_shared<const TokenDataset>(path), Split::train,
                     {.rows = 2, .context = 2, .order = WindowOrder::sequential});
  const Batch batch = loader.get(0);
  CHECK(batch.inputs == std::vector<int32_t>{1, 2, 4, 5});
  CHECK(batch.targets == std::vector<int32_t>{2, 3, 5, 6});
}

}  // namespace
}  // namespace knnformer
