#include "train/memory_estimate.h"

#include <algorithm>
#include <cmath>
#include <thread>

#include "core/memory_budget.h"
#include "layers/attention/index/clustered_key_index.h"
#include "layers/model_config.h"
#include "train/gradient_sum.h"

// Validation: the estimate against the peak resident memory of 3-step runs
// on a byte-level dataset (about 1 MB, so its chunk caches stay nearly empty
// and the estimate runs some 60 MiB high), on 2 threads:
//   knnformer prepare --input shakespeare.txt --output /tmp/shakespeare.h5
//   /usr/bin/time -v knnformer train --data /tmp/shakespeare.h5 --out /tmp/run
//       --steps 3 --eval-every 1000 --threads 2 [options]   (its "Maximum resident set size")
// Defaults (exact, 910 MiB measured): 1.05. knn, gumbel, knn-tail: 1.05.
// gumbel with 1024 samples: 1.04. Context 2048: 1.07. Width 768: 1.02.

namespace knnformer {

namespace {

constexpr double kFloatBytes = 4;  // every tensor is fp32
constexpr double kInt32Bytes = 4;  // token ids, key positions, samples
constexpr double kInt64Bytes = 8;
constexpr double kMiB = 1024.0 * 1024.0;

// The arena's first block (core/arena.h): a run whose activations fit in it
// never merges blocks, so it leaves nothing to the reuse cache.
constexpr double kArenaFirstBlock = 64 * kMiB;
// What the large-buffer pool keeps of freed buffers (core/large_buffer.cpp).
constexpr double kLargestReuseCache = 1024 * kMiB;
// The HDF5 chunk cache of each split of a token dataset (data/token_dataset.cpp).
constexpr double kChunkCachePerSplit = 32 * kMiB;
// The program before it allocates: a one-layer model of width 32 peaked at 31 MiB.
constexpr double kProgram = 32 * kMiB;

// Keys per panel of the tile products (exact attention, key indexes): a
// panel covers 64 key positions, so a head's panels cover T rounded up to 64.
constexpr double kTile = 64;
// The exact attention backward's work items per call (exact_attention.cpp):
// each head's keys are cut into enough chunks to make this many, and each
// chunk writes its dQ part to a T × d buffer of its own.
constexpr double kExactBackwardItems = 16;

// The sizes everything below is counted in, as doubles. A "head row" is one
// (batch row, head) pair: attention runs on rows × heads independent heads.
struct Sizes {
  double rows, time, width, heads, head_dim, layers, vocab;
  bool rotary;  // rotary positions turn q and k; else a learned position embedding wpe
  bool bf16;    // the linear layers' products in bf16 (core/precision.h)

  double tokens() const { return rows * time; }
  double head_rows() const { return rows * heads; }
  double queries() const { return head_rows() * time; }  // one per (head row, position)
  // Key panels cover whole tiles: T rounded up to a multiple of 64 positions.
  double padded_time() const { return std::ceil(time / kTile) * kTile; }
  // Floats per token of a [B·H, tiles, d, 64] panel tensor.
  double panel_floats_per_token() const { return width * padded_time() / time; }
};

Sizes sizes_of(const ModelConfig& model, int64_t rows, Precision precision) {
  return {.rows = double(rows),
          .time = double(model.context),
          .width = double(model.n_embd),
          .heads = double(model.n_head),
          .head_dim = double(model.head_dim()),
          .layers = double(model.n_layer),
          .vocab = double(model.vocab_size),
          .rotary = model.rotary(),
          .bf16 = precision == Precision::bf16};
}

// Threads the kernels run on: those of --threads, else every core.
double thread_count(const RunConfig& config) {
  if (config.threads > 0) return double(config.threads);
  return std::max(1.0, double(std::thread::hardware_concurrency()));
}

// --- parameters ---------------------------------------------------------------------

// The parameters of layers/gpt.h: wte [V, C], wpe [T, C] (learned positions),
// per block 12·C² + 13·C (ln_1, qkv, proj, ln_2, fc, mlp proj), and ln_f.
double parameter_count(const Sizes& s) {
  const double width = s.width;
  const double embeddings = s.vocab * width + (s.rotary ? 0.0 : s.time * width);
  const double per_block = 12 * width * width + 13 * width;
  return embeddings + s.layers * per_block + 2 * width;
}

// Copies of the parameters the optimizer keeps (optim/adamw.cpp, optim/sgd.cpp).
double optimizer_copies(const RunConfig& config) { return config.optimizer == OptimizerKind::sgd ? 1.0 : 2.0; }

// --- activations: what the arena holds, in floats per token -----------------------

// The token embedding, with learned positions the position embedding and
// their sum, and in training with dropout the dropped-out copy.
double embedding_floats(const Sizes& s, bool dropout_on) {
  const double tensors = 1 + (s.rotary ? 0 : 2) + (dropout_on ? 1 : 0);
  return tensors * s.width;
}

// The tensors of one block's forward other than attention's own: ln_1 (C and
// its mean and rstd), qkv (3C), q, k, v (3C), the attention output (C),
// merged heads (C), proj (C), the residual sum (C), ln_2 (C + 2), fc (4C),
// gelu (4C), the MLP's proj (C) and sum (C): 22C + 4; with rotary positions
// the turned q and k (2C), with dropout the two dropped branches (2C).
double block_forward_floats(const Sizes& s, bool dropout_on) {
  return 22 * s.width + 4 + (s.rotary ? 2 * s.width : 0.0) + (dropout_on ? 2 * s.width : 0.0);
}

// One gradient for each of those tensors but the LayerNorm statistics.
double block_gradient_floats(const Sizes& s, bool dropout_on) {
  return 22 * s.width + (s.rotary ? 2 * s.width : 0.0) + (dropout_on ? 2 * s.width : 0.0);
}

// With bf16 products, the linear layers' bfloat16 copies (two per float,
// core/ops/matmul.h): in the forward of each block's inputs of qkv (C),
// proj (C), fc (C) and the MLP's proj (4C), and of the LM head's (C)...
double bf16_input_floats(const Sizes& s) { return s.bf16 ? (s.layers * 7 * s.width + s.width) / 2 : 0.0; }

// ... in the backward of their outputs' gradients: qkv's (3C), proj's (C),
// fc's (4C), the MLP proj's (C), and the logits' (V)...
double bf16_gradient_floats(const Sizes& s) { return s.bf16 ? (s.layers * 9 * s.width + s.vocab) / 2 : 0.0; }

// ... and once per forward (not per token) of every weight matrix.
double bf16_weight_bytes(const Sizes& s) {
  return s.bf16 ? (s.layers * 12 * s.width * s.width + s.vocab * s.width) / 2 * kFloatBytes : 0.0;
}

// The chunks each head's keys are cut into by exact attention's backward:
// enough for its 16 work items, at most one per tile.
double exact_backward_chunks(const Sizes& s) {
  const double per_head = std::ceil(kExactBackwardItems / s.head_rows());
  return std::clamp(per_head, 1.0, s.padded_time() / kTile);
}

// Exact attention's forward: its log-sum-exp (one per head) and Kᵀ in panels.
double exact_forward_scratch(const Sizes& s) { return s.heads + s.panel_floats_per_token(); }

// Exact attention's backward: the dQ parts and the panels of Kᵀ and Vᵀ.
double exact_backward_scratch(const Sizes& s) {
  return exact_backward_chunks(s) * s.width + 2 * s.panel_floats_per_token();
}

// What the attention mode's forward puts in the arena besides its output:
// exact attention its scratch, knn its log-sum-exp; the sampling modes keep
// their buffers off the arena.
double attention_forward_floats(const Sizes& s, const AttentionOptions& options) {
  if (options.mode == AttentionKind::exact) return exact_forward_scratch(s);
  if (options.mode == AttentionKind::knn) return s.heads;
  return 0.0;
}

// What the backward mode puts in the arena: the exact gradient recomputes
// the exact forward for an approximate mode; the sparse one recomputes the
// knn output and log-sum-exp unless the forward was knn's; the sampled
// estimators work off the arena.
double attention_backward_floats(const Sizes& s, const AttentionOptions& options) {
  const BackwardMode backward = options.effective_backward();
  if (backward == BackwardMode::exact) {
    const double recomputed_forward = options.mode == AttentionKind::exact ? 0.0 : s.width + exact_forward_scratch(s);
    return recomputed_forward + exact_backward_scratch(s);
  }
  if (backward == BackwardMode::sparse && options.mode != AttentionKind::knn) return s.width + s.heads;
  return 0.0;
}

// Per token, the arena of a forward without gradients (evaluation, and the
// first half of fidelity), logits excluded: embeddings, the blocks, ln_f
// (C + 2) and the cross-entropy's losses and log-sum-exp (2).
double inference_activation_floats(const Sizes& s, const AttentionOptions& options) {
  const double block = block_forward_floats(s, false) + attention_forward_floats(s, options);
  return embedding_floats(s, false) + s.layers * block + s.width + 2 + 2 + bf16_input_floats(s);
}

// Per token, the arena of one training micro-batch, logits excluded.
double training_activation_floats(const Sizes& s, const RunConfig& config, const AttentionOptions& options) {
  const bool dropout_on = config.dropout > 0;
  const double forward_block = block_forward_floats(s, dropout_on) + attention_forward_floats(s, options);
  const double backward_block = block_gradient_floats(s, dropout_on) + attention_backward_floats(s, options);
  const double forward =
      embedding_floats(s, dropout_on) + s.layers * forward_block + s.width + 2 + 2 + bf16_input_floats(s);
  const double backward =
      embedding_floats(s, dropout_on) + s.layers * backward_block + s.width + bf16_gradient_floats(s);
  return forward + backward;
}

// Per token, the arena of a fidelity measurement (train/model_fidelity.cpp):
// a forward without gradients, logits included, then per layer a fixed dO
// (C) and two passes, the configured attention's and exact attention's, each
// on copies of q, k, v with their output and all four gradients (8C), with
// each pass's own scratch.
double fidelity_arena_floats(const Sizes& s, const AttentionOptions& options) {
  const double passes = 17 * s.width + exact_forward_scratch(s) + exact_backward_scratch(s) +
                        attention_forward_floats(s, options) + attention_backward_floats(s, options);
  return inference_activation_floats(s, options) + s.vocab + s.layers * passes;
}

// --- attention: the key indexes and samples off the arena, in bytes per call --------

// The head size k of the kNN modes, never more than the T keys there are.
double head_size(const Sizes& s, const AttentionOptions& options) {
  return double(std::min(choose_knn_k(options, int64_t(s.time), int64_t(s.head_dim)), int64_t(s.time)));
}

// The exact index (exact_key_index.cpp, key_index_heads.cpp): per query the
// head's keys and scores (8 bytes each of k), its size, smallest score and
// tail bound (12); with a near tier its ranks (4 each of k), size and bound (8).
double exact_index_bytes(const Sizes& s, const AttentionOptions& options) {
  const double k = head_size(s, options);
  // A sampler's index keeps tighter tail bounds (approximate_attention.cpp).
  const double near_tier = options.draws_samples() ? 4 * k + 8 : 0.0;
  return s.queries() * (8 * k + 12 + near_tier);
}

// The clustered index (clustered_key_index.cpp): per query the head's keys,
// slots and scores (12 bytes each of k), its size and smallest score (8), one
// span per cluster and one more (12 each) and its span counts (8); per head
// the keys packed cluster by cluster (each cluster starting a fresh panel of
// 64, half a panel wasted on average), centroids, radii and assignments.
double clustered_index_bytes(const Sizes& s, const AttentionOptions& options) {
  const double k = head_size(s, options);
  const double clusters = std::min(
      s.time, double(options.clusters > 0 ? options.clusters : attention::default_cluster_count(int64_t(s.time))));
  const double per_query = 12 * k + 8 + 12 * (clusters + 1) + 8;
  const double packed_keys = (s.time + clusters * kTile / 2) * s.head_dim * kFloatBytes;
  const double per_head = packed_keys + clusters * s.head_dim * kFloatBytes + s.time * (8 + 4 + 4);
  return s.queries() * per_query + s.head_rows() * per_head;
}

// The unsearched index (unsearched_key_index.cpp): per query its own score
// and its tail's bound (8 bytes); per head its key positions (4 per key).
double unsearched_index_bytes(const Sizes& s) { return s.queries() * 8 + s.time * kInt32Bytes; }

double key_index_bytes(const Sizes& s, const AttentionOptions& options) {
  if (options.mode == AttentionKind::exact) return 0.0;
  switch (options.knn_index) {
    case KeyIndexKind::exact: return exact_index_bytes(s, options);
    case KeyIndexKind::clustered: return clustered_index_bytes(s, options);
    case KeyIndexKind::none: return unsearched_index_bytes(s);
  }
  return 0.0;
}

// While the exact index is built, every head's keys are packed in panels.
double key_index_build_bytes(const Sizes& s, const AttentionOptions& options) {
  if (options.mode == AttentionKind::exact || options.knn_index != KeyIndexKind::exact) return 0.0;
  return s.head_rows() * s.padded_time() * s.head_dim * kFloatBytes;
}

// The samples a layer keeps from its forward to the end of the backward
// pass: gumbel's forward draws them; a sampled backward of another mode
// draws its own, which its node then holds just as long.
double held_sample_bytes(const Sizes& s, const AttentionOptions& options, bool training) {
  const bool draws =
      options.mode == AttentionKind::gumbel || (training && options.effective_backward() == BackwardMode::sampled);
  return draws ? s.queries() * double(options.samples) * kInt32Bytes : 0.0;
}

// The largest buffer a backward pass holds for one layer only
// (sampled_estimators.cpp, knn_attention.cpp, exact_attention.cpp).
//   sampled: a coefficient (4 bytes) and an entry (12) per sample and a key
//     offset (8) per query; importance starts draw fresh samples, kept as
//     keys (4) and entries (12) before they are sorted into entries again.
//   sparse: each thread transposes one head's k entries per query (12 bytes
//     each) and two offsets per key (16).
//   exact: a dO·O per query (4).
double backward_scratch_bytes(const Sizes& s, const AttentionOptions& options, double threads) {
  const BackwardMode backward = options.effective_backward();
  if (backward == BackwardMode::sampled) {
    const double per_sample = options.sampled_start == SampledStart::importance ? 32.0 : 16.0;
    return s.queries() * (per_sample * double(options.samples) + kInt64Bytes);
  }
  if (backward == BackwardMode::sparse) {
    const double heads_at_once = std::min(threads, s.head_rows());
    return heads_at_once * s.time * (12 * head_size(s, options) + 16);
  }
  return s.queries() * kFloatBytes;
}

// All layers' indexes and samples, held until the backward pass ends, and
// the larger of the two short-lived buffers: the last layer's index build,
// or one layer's backward scratch.
double training_attention_bytes(const Sizes& s, const RunConfig& config, const AttentionOptions& options) {
  const double held = s.layers * (key_index_bytes(s, options) + held_sample_bytes(s, options, true));
  const double passing =
      std::max(key_index_build_bytes(s, options), backward_scratch_bytes(s, options, thread_count(config)));
  return held + passing;
}

// Without gradients a layer's index and samples go when its forward ends.
double inference_attention_bytes(const Sizes& s, const AttentionOptions& options) {
  return key_index_bytes(s, options) + held_sample_bytes(s, options, false) + key_index_build_bytes(s, options);
}

// --- data and the reuse cache -------------------------------------------------------

// A batch's inputs and targets (data/batch_loader.h), int32 per token each.
double batch_bytes(const Sizes& s) { return 2 * s.tokens() * kInt32Bytes; }

// The token ids a forward pass copies into its tape and position table: the
// embeddings' ids (wte, and wpe's positions twice) and the cross-entropy's targets.
double forward_id_bytes(const Sizes& s) { return (s.rotary ? 2 : 4) * s.tokens() * kInt32Bytes; }

// The blocks the arena drops when it merges them after its first reset stay
// in the large-buffer pool, up to its limit; an arena that never outgrew its
// first block merges nothing.
double reuse_cache_bytes(double arena_bytes) {
  if (arena_bytes <= kArenaFirstBlock) return 0.0;
  return std::min(arena_bytes, kLargestReuseCache);
}

}  // namespace

double MemoryEstimate::total() const {
  return parameters_and_optimizer + activations + logits + attention + data + reuse_cache + program;
}

std::string MemoryEstimate::breakdown() const {
  return "parameters and optimizer " + memory_text(parameters_and_optimizer) + ", activations " +
         memory_text(activations) + ", logits " + memory_text(logits) + ", attention " + memory_text(attention) +
         ", data " + memory_text(data) + ", reuse cache " + memory_text(reuse_cache) + ", program " +
         memory_text(program);
}

MemoryEstimate estimate_training_memory(const RunConfig& config, int64_t vocab_size) {
  const ModelConfig model = config.model(vocab_size);
  const Sizes s = sizes_of(model, config.batch, config.precision);
  const AttentionOptions& options = model.attention;

  const double logits = 2 * s.tokens() * s.vocab * kFloatBytes;  // and their gradient
  const double training_arena = s.tokens() * training_activation_floats(s, config, options) * kFloatBytes +
                                bf16_weight_bytes(s) + logits;
  const double fidelity_arena =
      config.fidelity_every > 0 ? s.tokens() * fidelity_arena_floats(s, options) * kFloatBytes : 0.0;
  const double arena = std::max(training_arena, fidelity_arena);

  MemoryEstimate estimate;
  // A step of several micro-batches sums their gradients in one more copy
  // (train/gradient_sum.h); processes sum theirs through one bucket.
  const double gradient_sum_copies = config.micro_batches_per_step() > 1 ? 1.0 : 0.0;
  const double bucket_bytes =
      config.processes > 1 ? std::min(parameter_count(s) * kFloatBytes, double(kGradientBucketBytes)) : 0.0;
  estimate.parameters_and_optimizer =
      parameter_count(s) * kFloatBytes * (2 + optimizer_copies(config) + gradient_sum_copies) + bucket_bytes;
  estimate.activations = arena - logits;
  estimate.logits = logits;
  estimate.attention = training_attention_bytes(s, config, options);
  estimate.data = (2 + double(config.eval_batches)) * batch_bytes(s) + forward_id_bytes(s) + 2 * kChunkCachePerSplit;
  estimate.reuse_cache = reuse_cache_bytes(arena);
  estimate.program = kProgram;
  return estimate;
}

MemoryEstimate estimate_evaluation_memory(const RunConfig& config, int64_t vocab_size, int64_t batches) {
  const ModelConfig model = config.model(vocab_size);
  const Sizes s = sizes_of(model, config.batch, config.precision);
  const AttentionOptions& options = model.attention;

  const double logits = s.tokens() * s.vocab * kFloatBytes;
  const double activations =
      s.tokens() * inference_activation_floats(s, options) * kFloatBytes + bf16_weight_bytes(s);

  MemoryEstimate estimate;
  estimate.parameters_and_optimizer = parameter_count(s) * kFloatBytes;
  estimate.activations = activations;
  estimate.logits = logits;
  estimate.attention = inference_attention_bytes(s, options);
  estimate.data = double(batches) * batch_bytes(s) + forward_id_bytes(s) + kChunkCachePerSplit;
  estimate.reuse_cache = reuse_cache_bytes(activations + logits);
  estimate.program = kProgram;
  return estimate;
}

MemoryEstimate estimate_generation_memory(const RunConfig& config, int64_t vocab_size) {
  const ModelConfig model = config.model(vocab_size);
  const Sizes s = sizes_of(model, 1, Precision::fp32);  // generation runs in fp32

  // GPT::make_cache: keys and values of every layer, [heads, context, head_dim]
  // each. A full cache is replaced by a fresh one made while it still exists.
  const double cache = 2 * s.layers * s.time * s.width * kFloatBytes;
  // Per token: the logits tensor and its copy, then train/generation.cpp's
  // candidate ids (int32) and weights (double) over the vocabulary.
  const double vocabulary_buffers = s.vocab * (2 * kFloatBytes + kInt32Bytes + 8);

  MemoryEstimate estimate;
  estimate.parameters_and_optimizer = parameter_count(s) * kFloatBytes;
  estimate.activations = 16 * s.width * kFloatBytes;  // one position's tensors through a block
  estimate.logits = vocabulary_buffers;
  estimate.attention = 2 * cache;
  estimate.program = kProgram;
  return estimate;
}

}  // namespace knnformer
