#pragma once
// Memory estimates: how much memory a training run, an evaluation or a
// generation will take, worked out from the config and the vocabulary alone,
// before anything is allocated. With core/memory_budget.h they turn a size
// that cannot fit into one line naming the figure, instead of a bare
// std::bad_alloc (or the kernel's OOM killer) minutes into the run:
//
//   const MemoryEstimate estimate = estimate_training_memory(config, dataset->header().vocab_size);
//   require_memory(estimate.total(), "the run (" + estimate.breakdown() + ")");
//
//   estimate_evaluation_memory(saved.config, vocab_size, batches)   // knnformer eval
//   estimate_generation_memory(saved.config, vocab_size)            // knnformer generate
//
// The estimate is of the process's peak resident memory, the figure the
// kernel's OOM killer goes by. It is meant to be near the truth rather than
// a bound: on thirteen training runs of 0.85 to 2.7 GiB (every attention
// mode, the clustered index, both sampled starts, rotary positions, dropout,
// context 2048, width 768, gradient accumulation, SGD, fidelity) it came out
// 1.00 to 1.08 times the measured peak, and on evaluations 1.01 to 1.07 (how
// to measure: memory_estimate.cpp). Small figures left out: per-thread
// scratch, the clustered index's k-means working set, fidelity's one-layer
// indexes (training holds more). Byte counts are doubles, so that products
// of huge sizes neither overflow nor wrap.
//
// Where the memory goes (the field that counts it):
//   - parameters_and_optimizer: every parameter, its gradient and the
//     optimizer's state (AdamW two moments, SGD one), on the heap for the
//     whole run; with several micro-batches per step, the sum of their
//     gradients, and with several processes the bucket they sum through
//     (train/gradient_sum.h). Generation and evaluation never touch the gradients, so
//     there only the parameters count.
//   - activations: the arena (core/arena.h) at its peak, less the logits.
//     The arena is a bump allocator reset once per micro-batch, so its peak
//     is the sum of every tensor a micro-batch's forward and backward create:
//     each op's output and its gradient, and the attention mode's scratch
//     tensors. With fidelity-every > 0 it is the larger of that and the
//     fidelity measurement's (train/model_fidelity.h).
//   - logits: batch × context × vocab floats, and their gradient in training.
//   - attention: the attention mode's buffers off the arena. Every layer's
//     key index (exact or clustered) and its samples (gumbel's forward, the
//     sampled backward's) live from the layer's forward until the end of the
//     backward pass, so all layers' count at once; on top, the largest
//     short-lived buffer (an index's packed keys while it is built, the
//     sampled backward's entries sorted by key, the sparse backward's
//     per-thread transposes). Generation: its KV cache.
//   - data: the training batch and the one prefetched, the evaluation
//     batches (read once and kept), the copies of token ids the forward
//     keeps, and the dataset's chunk caches (data/token_dataset.cpp), counted
//     full though a small dataset never fills them.
//   - reuse_cache: freed buffers kept for reuse. After the first step the
//     arena merges its blocks into one, and the blocks it drops stay in the
//     large-buffer pool (core/large_buffer.h), which keeps up to 1 GiB.
//   - program: the binary, its libraries and thread stacks, measured.
#include <cstdint>
#include <string>

#include "train/run_config.h"

namespace knnformer {

struct MemoryEstimate {
  double parameters_and_optimizer = 0;  // bytes, as every field
  double activations = 0;
  double logits = 0;
  double attention = 0;
  double data = 0;
  double reuse_cache = 0;
  double program = 0;

  double total() const;
  // The fields in the order above, e.g. "parameters and optimizer 50.2 MiB,
  // activations 402.1 MiB, logits 4.0 MiB, ..."; every field is listed, so
  // that a refusal shows which one is out of proportion.
  std::string breakdown() const;
};

// `knnformer train` with this config on a dataset of this vocabulary:
// batch rows of context tokens per micro-batch, forward and backward.
MemoryEstimate estimate_training_memory(const RunConfig& config, int64_t vocab_size);

// `knnformer eval`: `batches` val batches of config.batch rows of context
// tokens, all read first, each through a forward pass without gradients.
MemoryEstimate estimate_evaluation_memory(const RunConfig& config, int64_t vocab_size, int64_t batches);

// `knnformer generate`: one token at a time through a KV cache of
// config.context positions (GPT::next_token_logits), and a vocabulary-sized
// sampling of each next token.
MemoryEstimate estimate_generation_memory(const RunConfig& config, int64_t vocab_size);

}  // namespace knnformer
