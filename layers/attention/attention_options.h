#pragma once
// AttentionOptions: the attention part of a model's configuration, what each
// option means, how its values are checked, the head size k they choose for a
// sequence length, and their one-line description for logs. The attention
// modes (attention_mode.h), the approximate attention op and the run config
// all read them; this file depends on none of those.
#include <array>
#include <cstdint>
#include <string>

#include "core/enum_names.h"

namespace knnformer {

// --attention: how the forward pass attends (docs/design.md §5).
enum class AttentionKind {
  exact,     // softmax over every key (flash tiles)
  knn,       // softmax over the k keys of highest score
  gumbel,    // the mean of values sampled from the softmax by lazy Gumbel sampling
  knn_tail,  // the k nearest keys exactly, the rest estimated from m sampled tail keys
};

// --attention-backward: how the gradient of attention is computed (docs/design.md §5.5–§5.6).
enum class BackwardMode {
  automatic,  // exact for exact, sparse for knn, sampled otherwise
  exact,      // the exact gradient, the forward recomputed exactly
  sparse,     // the gradient of the softmax over the k nearest keys
  sampled,    // the paper's sampled estimators
};

// --knn-index: how the kNN modes find a query's nearest keys (docs/design.md §6);
// none finds none, for gumbel attention whose rows are all scored whole.
enum class KeyIndexKind { exact, clustered, none };

// --sampled-start: which rows start the sampled backward's estimates of dK
// and dV (sampled_estimators.h).
enum class SampledStart {
  uniform,     // every row i with its L samples (shared by all d columns)
  importance,  // T·L starts spread over the rows in proportion to ‖dO_i‖ (the paper's choice)
};

// The name tables: the names are the option values of the command line and config.ini.
constexpr std::array<EnumName<AttentionKind>, 4> kAttentionKindNames{{{AttentionKind::exact, "exact"},
                                                                      {AttentionKind::knn, "knn"},
                                                                      {AttentionKind::gumbel, "gumbel"},
                                                                      {AttentionKind::knn_tail, "knn-tail"}}};
constexpr std::array<EnumName<BackwardMode>, 4> kBackwardModeNames{{{BackwardMode::automatic, "auto"},
                                                                    {BackwardMode::exact, "exact"},
                                                                    {BackwardMode::sparse, "sparse"},
                                                                    {BackwardMode::sampled, "sampled"}}};
constexpr std::array<EnumName<KeyIndexKind>, 3> kKeyIndexKindNames{
    {{KeyIndexKind::exact, "exact"}, {KeyIndexKind::clustered, "clustered"}, {KeyIndexKind::none, "none"}}};
constexpr std::array<EnumName<SampledStart>, 2> kSampledStartNames{
    {{SampledStart::uniform, "uniform"}, {SampledStart::importance, "importance"}}};

constexpr const auto& enum_names(AttentionKind) { return kAttentionKindNames; }
constexpr const auto& enum_names(BackwardMode) { return kBackwardModeNames; }
constexpr const auto& enum_names(KeyIndexKind) { return kKeyIndexKindNames; }
constexpr const auto& enum_names(SampledStart) { return kSampledStartNames; }

// The attention part of a model's configuration (docs/design.md §5.8); the names
// are those of the command-line options.
struct AttentionOptions {
  AttentionKind mode = AttentionKind::exact;         // --attention
  BackwardMode backward = BackwardMode::automatic;   // --attention-backward
  int64_t knn_k = 0;                   // --knn-k: 0 = ceil(sqrt(T)) rounded up to a multiple of 8,
                                       //   -1 = auto (the cost model of choose_knn_k)
  int64_t samples = 32;                // --samples: L per query (gumbel, sampled); m tail keys (knn-tail)
  int64_t mom_groups = 1;              // --mom-groups: median of this many group means (gumbel)
  KeyIndexKind knn_index = KeyIndexKind::exact;      // --knn-index
  int64_t clusters = 0;                // --clusters: 0 = about sqrt(T)
  int64_t probes = 0;                  // --probes: 0 = the index's default
  SampledStart sampled_start = SampledStart::uniform;  // --sampled-start
  bool causal = true;                  // a decoder's attention; false for an encoder

  // The backward mode that `automatic` stands for with this forward mode (never `automatic`).
  BackwardMode effective_backward() const;
  // Whether the attention draws keys at random, in its forward (gumbel,
  // knn-tail) or its backward (sampled).
  bool draws_samples() const {
    return mode == AttentionKind::gumbel || mode == AttentionKind::knn_tail ||
           effective_backward() == BackwardMode::sampled;
  }
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
