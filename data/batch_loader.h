#pragma once
// BatchLoader: batches of training windows from a token dataset.
//
//   const auto dataset = std::make_shared<const TokenDataset>("data.h5");
//   BatchLoader train(dataset, Split::train, {.rows = 8, .context = 1024, .seed = 1337});
//   for (int64_t step = start; step < steps; ++step) {
//     const Batch batch = train.get(step);  // inputs and targets, [8, 1024] int32
//     ...
//   }
//   BatchLoader val(dataset, Split::val, {.rows = 8, .context = 1024, .order = WindowOrder::sequential});
//
// A window is T+1 consecutive tokens read by one hyperslab: its first T are
// a row of inputs and its last T the row of targets (each input's next token).
//
// Random order (training): the window of (step, row) starts at a position
// drawn by CounterRng keyed by (seed, step, row). The loader's whole state is
// therefore (seed, step): get(s) returns the same batch every time it is
// asked, on any machine and thread count, and a resumed run continues the
// very sequence of batches the interrupted run would have seen.
//
// Sequential order (evaluation): the split is cut into consecutive,
// non-overlapping windows (stride T), and step s takes windows
// s·B .. s·B+B−1, wrapping around at the end. Evaluating steps 0..N−1 thus
// always measures the same fixed set of windows.
//
// Documents: a dataset of fixed-length documents (document_length L, such as
// the synthetic tasks of data/synthetic_tasks.h) is served whole documents,
// never windows across two. The context must be L − 1, and each row is one
// document: inputs its first T tokens, targets its last T. Random order
// picks the document of (step, row) uniformly over the split's documents,
// by CounterRng keyed by (seed, step, row) as above; sequential order takes
// documents s·B .. s·B+B−1, wrapping around. When the dataset has a loss
// mask, each target whose mask is 0 becomes ops::kIgnoredTarget, so that the
// loss counts the answers alone.
//
// After returning batch s, get() starts reading batch s+1 (or the next step
// it is told of) on a background thread, so that a training loop finds its
// next batch ready. Asking for any other step just reads it directly: the
// prefetch is an optimisation, never a change in what is returned. All of
// this holds for windows and documents alike.
#include <cstdint>
#include <future>
#include <memory>
#include <thread>
#include <vector>

#include "data/token_dataset.h"

namespace knnformer {

enum class WindowOrder { random, sequential };

struct BatchShape {
  int64_t rows = 8;         // B
  int64_t context = 1024;   // T
  uint64_t seed = 0;        // random order only
  WindowOrder order = WindowOrder::random;
};

struct Batch {
  int64_t step = 0;
  int64_t rows = 0;
  int64_t context = 0;
  std::vector<int32_t> inputs{};   // [rows, context], row-major
  std::vector<int32_t> targets{};  // [rows, context]: targets[r][t] = token after inputs[r][t], or
                                   // ops::kIgnoredTarget where the loss mask is 0
  std::vector<uint64_t> starts{};  // [rows]: where each row's window (document) starts in the split
};

class BatchLoader {
 public:
  // Throws Error (naming the file and split) when T+1 tokens do not fit in
  // the split, or when the dataset holds documents and T + 1 is not their length.
  BatchLoader(std::shared_ptr<const TokenDataset> dataset, Split split, const BatchShape& shape);
  ~BatchLoader() = default;  // joins the prefetch thread (std::jthread)
  BatchLoader(const BatchLoader&) = delete;
  BatchLoader& operator=(const BatchLoader&) = delete;

  // The batch of a step (>= 0), then starts prefetching the one asked for next:
  // step + 1 unless told otherwise (a process of a data-parallel run reads
  // only its own share of each step's batches).
  Batch get(int64_t step);
  Batch get(int64_t step, int64_t next_step);

  // The batch of a step, read now on the calling thread; what get(step) returns.
  Batch read(int64_t step) const;

  // Where the window of (step, row) starts in the split.
  uint64_t window_start(int64_t step, int64_t row) const;

  // Distinct windows: size − T starts for random order, floor((size − 1) / T)
  // windows for sequential; the split's documents in a dataset of documents.
  uint64_t window_count() const { return window_count_; }

 private:
  void start_prefetch(int64_t step);

  std::shared_ptr<const TokenDataset> dataset_;
  Split split_;
  BatchShape shape_;
  uint64_t window_count_;
  uint64_t window_stride_;  // tokens between the starts of consecutive windows
  int64_t prefetched_step_ = -1;
  std::future<Batch> prefetched_;
  std::jthread prefetcher_;  // declared last: joined before the members it uses go away
};

}  // namespace knnformer
