// BatchLoader: windows in range with targets shifted by one, determinism in
// (seed, step), coverage of the split, the prefetch thread's agreement with
// direct reads, and the sequential walk used for evaluation.
#include <doctest/doctest.h>

#include <algorithm>
#include <set>

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

}  // namespace
}  // namespace knnformer
