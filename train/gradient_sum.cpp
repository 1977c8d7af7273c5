#include "train/gradient_sum.h"

#include <algorithm>
#include <chrono>
#include <span>

#include "core/parallel.h"

namespace knnformer {

namespace {

int64_t element_count(const ParameterList& parameters) {
  int64_t count = 0;
  for (const auto& parameter : parameters) count += parameter.tensor.numel();
  return count;
}

// Calls visit(gradient piece, flat offset) for the parts of the parameters'
// gradients that fall in the flat range [begin, end) of all of them back to back.
template <class Visit>
void for_each_piece(const ParameterList& parameters, int64_t begin, int64_t end, Visit&& visit) {
  int64_t offset = 0;
  for (const auto& parameter : parameters) {
    const int64_t count = parameter.tensor.numel();
    const int64_t first = std::max(begin, offset), last = std::min(end, offset + count);
    if (first < last) visit(std::span(parameter.tensor.grad() + (first - offset), last - first), first);
    offset += count;
    if (offset >= end) return;
  }
}

}  // namespace

GradientSum::GradientSum(const ParameterList& parameters, int64_t micro_batches_here, int64_t bucket_bytes)
    : parameters_(parameters),
      elements_(element_count(parameters)),
      micro_batches_here_(micro_batches_here),
      accumulated_(micro_batches_here > 1 ? static_cast<size_t>(elements_) : 0),
      bucket_elements_(std::min(elements_, std::max<int64_t>(1, bucket_bytes / int64_t{sizeof(float)}))) {}

void GradientSum::add_micro_batch() {
  ++micro_batches_added_;
  if (micro_batches_here_ == 1) return;
  const bool first = micro_batches_added_ == 1;
  int64_t offset = 0;
  for (const auto& parameter : parameters_) {
    const float* gradient = parameter.tensor.grad();
    float* sum = accumulated_.data() + offset;
    parallel_for(0, parameter.tensor.numel(), [&](int64_t i) { sum[i] = first ? gradient[i] : sum[i] + gradient[i]; });
    parameter.tensor.zero_grad();
    offset += parameter.tensor.numel();
  }
}

GradientSumTimes GradientSum::finish(const ProcessGroup& group) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  group.barrier();
  const auto arrived = Clock::now();
  sum_across(group);
  const auto end = Clock::now();
  micro_batches_added_ = 0;
  if (!group.distributed()) return {};
  return {.waiting = std::chrono::duration<double>(arrived - start).count(),
          .summing = std::chrono::duration<double>(end - arrived).count()};
}

void GradientSum::sum_across(const ProcessGroup& group) {
  const int64_t total = elements_, bucket_size = bucket_elements_;
  if (micro_batches_here_ > 1) {
    // This process's sum is already flat: it is summed in place, bucket by
    // bucket, then handed to the parameters.
    for (int64_t begin = 0; begin < total; begin += bucket_size)
      group.sum(std::span(accumulated_).subspan(begin, std::min(bucket_size, total - begin)));
    int64_t offset = 0;
    for (const auto& parameter : parameters_) {
      const Tensor::GradSink sink = parameter.tensor.grad_sink();  // every element is written
      std::copy_n(accumulated_.data() + offset, parameter.tensor.numel(), sink.data);
      offset += parameter.tensor.numel();
    }
    return;
  }
  if (!group.distributed()) return;
  bucket_.resize(static_cast<size_t>(bucket_size));
  for (int64_t begin = 0; begin < total; begin += bucket_size) {
    const int64_t end = std::min(total, begin + bucket_size);
    for_each_piece(parameters_, begin, end, [&](std::span<float> piece, int64_t at) {
      std::copy(piece.begin(), piece.end(), bucket_.begin() + (at - begin));
    });
    group.sum(std::span(bucket_).first(end - begin));
    for_each_piece(parameters_, begin, end, [&](std::span<float> piece, int64_t at) {
      std::copy_n(bucket_.begin() + (at - begin), piece.size(), piece.begin());
    });
  }
}

}  // namespace knnformer
