#pragma once
// AttentionOptions: the attention part of a model's configuration, what each
// option means, how its values are checked, the head size k they choose for a
// sequence length, and their one-line description for logs. The attention
// modes (attention_mode.h), the approximate attention op and the run config
// all read them; this file depends on none of those.
#include <cstdint>
#include <string>

namespace knnformer {

// The attention part of a model's configuration (docs/design.md §5.8); the names
// are those of the command-line options.
struct AttentionOptions {
  std::string mode = "exact";          // --attention: exact | knn | gumbel | knn-tail
  std::string backward = "auto";       // --attention-backward: auto | exact | sparse | sampled
                                       //   (auto: exact for exact, sparse for knn, sampled otherwise)
  int64_t knn_k = 0;                   // --knn-k: 0 = ceil(sqrt(T)) rounded up to a multiple of 8,
                                       //   -1 = auto (the cost model of choose_knn_k)
  int64_t samples = 32;                // --samples: L per query (gumbel, sampled); m tail keys (knn-tail)
  int64_t mom_groups = 1;              // --mom-groups: median of this many group means (gumbel)
  std::string knn_index = "exact";     // --knn-index: exact | clustered
  int64_t clusters = 0;                // --clusters: 0 = about sqrt(T)
  int64_t probes = 0;                  // --probes: 0 = the index's default
  std::string sampled_start = "uniform";  // --sampled-start: uniform | importance
  bool causal = true;                  // a decoder's attention; false for an encoder

  // The backward mode that "auto" stands for with this forward mode.
  std::string effective_backward() const;
};

// The head size k for sequences of length T and head width d.
int64_t choose_knn_k(const AttentionOptions& options, int64_t time, int64_t dim);

// The cost model behind `--knn-k auto` (docs/design.md §5.8), in flops per lazy-Gumbel
// sample: k Gumbel draws over the head (about 10 flops each, vectorised) and
// about T/k tail keys scored at 2d flops each.
double sampling_cost_per_sample(int64_t k, int64_t time, int64_t dim);

// The options as one line for logs, with the k choose_knn_k picks for this T
// and d; with `--knn-k auto` it also says what the cost model expects that k
// to save against the default k, e.g.
//   "gumbel k=64 (auto: 2.3 kflop per sample, 0.71x the default k=48) samples=32 backward=sampled index=exact"
std::string describe(const AttentionOptions& options, int64_t time, int64_t dim);

// Checks the options as make_attention_mode would, without building anything.
void validate(const AttentionOptions& options);

}  // namespace knnformer
