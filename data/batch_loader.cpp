#include "data/batch_loader.h"

#include <algorithm>

#include "core/memory_budget.h"
#include "core/ops/cross_entropy.h"
#include "core/rng.h"

namespace knnformer {
namespace {

// Separates the loader's random stream from every other (seed, step, ...)
// stream of a run, such as dropout's. ASCII "windows".
constexpr uint64_t kWindowStream = 0x77696E646F7773ull;

// Each row of a dataset of documents is one whole document.
uint64_t count_documents(const TokenDataset& dataset, Split split, const BatchShape& shape) {
  const int64_t length = dataset.document_length();
  require(shape.context == length - 1, dataset.path().string() + " holds documents of " + std::to_string(length) +
                                           " tokens, so the context must be " + std::to_string(length - 1) +
                                           ", not " + std::to_string(shape.context));
  return dataset.size(split) / static_cast<uint64_t>(length);
}

uint64_t count_windows(const TokenDataset& dataset, Split split, const BatchShape& shape) {
  const std::string where = dataset.path().string() + ": " + split_name(split) + " split";
  require(shape.rows >= 1, "batch size must be at least 1, got " + std::to_string(shape.rows));
  require(shape.context >= 1, "context must be at least 1 token, got " + std::to_string(shape.context));
  if (dataset.document_length() > 0) return count_documents(dataset, split, shape);
  const uint64_t size = dataset.size(split), window = static_cast<uint64_t>(shape.context) + 1;
  require(window <= size, where + " has " + std::to_string(size) + " tokens, fewer than context + 1 = " +
                              std::to_string(window) + " (use a shorter context)");
  return shape.order == WindowOrder::random ? size - window + 1 : (size - 1) / static_cast<uint64_t>(shape.context);
}

// Documents follow one another every document_length tokens; random windows
// may start at any token; sequential ones follow one another without overlap.
uint64_t window_stride(const TokenDataset& dataset, const BatchShape& shape) {
  if (dataset.document_length() > 0) return static_cast<uint64_t>(dataset.document_length());
  return shape.order == WindowOrder::random ? 1 : static_cast<uint64_t>(shape.context);
}

// Targets whose loss mask is 0 are not asked for: the loss skips them. A
// window's token t + 1 is the target of its input t.
void ignore_unmasked_targets(std::span<const uint8_t> loss_mask, std::span<int32_t> targets) {
  for (size_t t = 0; t < targets.size(); ++t)
    if (loss_mask[t + 1] == 0) targets[t] = ops::kIgnoredTarget;
}

// A batch holds inputs and targets of rows x context ids and each row's start;
// while one is in use the next is read, so two are alive at once. Refused
// before allocating, so a batch that cannot fit is one line, not bad_alloc.
void check_batch_fits(const BatchShape& shape) {
  const double rows = static_cast<double>(shape.rows), context = static_cast<double>(shape.context);
  const double batch_bytes =
      rows * (2 * context * sizeof(int32_t) + sizeof(uint64_t)) + (context + 1) * sizeof(int32_t);
  require_memory(2 * batch_bytes, "a batch of " + std::to_string(shape.rows) + " rows x " +
                                      std::to_string(shape.context) + " tokens (and the next, read ahead)");
}

}  // namespace

BatchLoader::BatchLoader(std::shared_ptr<const TokenDataset> dataset, Split split, const BatchShape& shape)
    : dataset_(std::move(dataset)),
      split_(split),
      shape_(shape),
      window_count_(count_windows(*dataset_, split, shape)),
      window_stride_(window_stride(*dataset_, shape)) {
  check_batch_fits(shape_);
}

uint64_t BatchLoader::window_start(int64_t step, int64_t row) const {
  const uint64_t window =
      shape_.order == WindowOrder::random
          ? CounterRng(shape_.seed, {kWindowStream, static_cast<uint64_t>(step), static_cast<uint64_t>(row)})
                .below(window_count_)
          : (static_cast<uint64_t>(step) * shape_.rows + row) % window_count_;
  return window * window_stride_;
}

Batch BatchLoader::read(int64_t step) const {
  require(step >= 0, "batch step must be >= 0, got " + std::to_string(step));
  const auto context = static_cast<size_t>(shape_.context);
  Batch batch{.step = step,
              .rows = shape_.rows,
              .context = shape_.context,
              .inputs = std::vector<int32_t>(shape_.rows * context),
              .targets = std::vector<int32_t>(shape_.rows * context),
              .starts = std::vector<uint64_t>(shape_.rows)};
  std::vector<int32_t> window(context + 1);
  std::vector<uint8_t> loss_mask(dataset_->has_loss_mask() ? context + 1 : 0);
  for (int64_t row = 0; row < shape_.rows; ++row) {
    batch.starts[row] = window_start(step, row);
    dataset_->read(split_, batch.starts[row], window);
    std::copy(window.begin(), window.end() - 1, batch.inputs.begin() + row * context);
    std::copy(window.begin() + 1, window.end(), batch.targets.begin() + row * context);
    if (loss_mask.empty()) continue;
    dataset_->read_loss_mask(split_, batch.starts[row], loss_mask);
    ignore_unmasked_targets(loss_mask, std::span(batch.targets).subspan(row * context, context));
  }
  return batch;
}

Batch BatchLoader::get(int64_t step) { return get(step, step + 1); }

Batch BatchLoader::get(int64_t step, int64_t next_step) {
  const bool was_prefetched = prefetched_.valid() && prefetched_step_ == step;
  // A prefetch of another step is simply dropped (its thread is joined when replaced).
  Batch batch = was_prefetched ? prefetched_.get() : read(step);
  start_prefetch(next_step);
  return batch;
}

void BatchLoader::start_prefetch(int64_t step) {
  std::packaged_task<Batch()> task([this, step] { return read(step); });
  prefetched_ = task.get_future();
  prefetched_step_ = step;
  prefetcher_ = std::jthread(std::move(task));  // joins the previous prefetch thread first
}

}  // namespace knnformer
