#pragma once
// GradientSum: the gradient of one optimizer step, summed over its
// micro-batches and over the processes that share them (docs/design.md §8.6).
//
//   GradientSum gradient(model.parameters(), micro_batches_here);
//   for (each of this process's micro-batches) {
//     backward(loss);                // into the parameters' grad buffers
//     gradient.add_micro_batch();
//   }
//   const GradientSumTimes times = gradient.finish(group);  // grads = the step's whole gradient
//
// The order of the sums is fixed by the data, not by the processes: each
// micro-batch's gradient is computed alone (its backward overwrites the
// zeroed buffers), a process adds its micro-batches in order, and the
// processes' sums are added by MPI's allreduce. So one process with
// grad-accum 2 computes g0 + g1, and two processes with one micro-batch each
// compute g0 + g1 too: bit for bit the same step, since a sum of two floats
// does not depend on their order. With more terms the grouping differs
// ((g0 + g1) + (g2 + g3) against ((g0 + g1) + g2) + g3), which changes the
// last bits of the gradient but not what it estimates.
//
// Across processes the gradients go in buckets of at most `bucket_bytes`
// (packed from consecutive parameters), so that the staging memory stays
// bounded whatever the model's size. finish() first waits at a barrier for
// the slowest process to finish its backward pass, then sums: it reports the
// two times apart, since the first measures how evenly the processes work
// and only the second what communication costs.
#include <cstdint>
#include <vector>

#include "core/parameter_list.h"
#include "train/process_group.h"

namespace knnformer {

// 25 MiB, as PyTorch's DistributedDataParallel: large enough that each
// allreduce runs at the network's bandwidth rather than at its latency.
inline constexpr int64_t kGradientBucketBytes = int64_t{25} << 20;

// Seconds of a step's gradient sum across processes (0 for one process).
struct GradientSumTimes {
  double waiting = 0;  // for the slowest process to reach the sum
  double summing = 0;  // the allreduce of every bucket
};

class GradientSum {
 public:
  GradientSum(const ParameterList& parameters, int64_t micro_batches_here,
              int64_t bucket_bytes = kGradientBucketBytes);

  // After a micro-batch's backward: adds its gradients to this process's sum
  // and zeroes the grad buffers for the next one. With one micro-batch per
  // process the gradient simply stays in the buffers.
  void add_micro_batch();

  // After the last micro-batch: the parameters' gradients become the sum over
  // every micro-batch of every process of the group.
  GradientSumTimes finish(const ProcessGroup& group);

 private:
  void sum_across(const ProcessGroup& group);

  ParameterList parameters_;
  int64_t elements_;  // of all the parameters
  int64_t micro_batches_here_;
  int64_t micro_batches_added_ = 0;
  std::vector<float> accumulated_;  // this process's sum, parameters back to back (several micro-batches only)
  int64_t bucket_elements_;
  std::vector<float> bucket_;       // staging for the sums across processes, allocated on first use
};

}  // namespace knnformer
