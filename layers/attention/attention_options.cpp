#include "layers/attention/attention_options.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/error.h"

namespace knnformer {

namespace {

void require_at_least(int64_t value, int64_t minimum, const char* option) {
  require(value >= minimum, std::string(option) + " must be at least " + std::to_string(minimum) + ", got " +
                                std::to_string(value));
}

}  // namespace

BackwardMode AttentionOptions::effective_backward() const {
  if (backward != BackwardMode::automatic) return backward;
  if (mode == AttentionKind::exact) return BackwardMode::exact;
  if (mode == AttentionKind::knn) return BackwardMode::sparse;
  return BackwardMode::sampled;
}

double sampling_cost_per_sample(int64_t k, int64_t time, int64_t dim) {
  const double keys = static_cast<double>(k);
  return 10.0 * keys + static_cast<double>(time) / keys * 2.0 * static_cast<double>(dim);
}

int64_t choose_knn_k(const AttentionOptions& options, int64_t time, int64_t dim) {
  const auto round_up_to_8 = [](double k) { return static_cast<int64_t>(std::ceil(k / 8.0)) * 8; };
  int64_t k = options.knn_k;
  if (k == 0) k = round_up_to_8(std::sqrt(static_cast<double>(time)));
  // sampling_cost_per_sample, 10·k + 2d·T/k, is least at k = sqrt(T·d/5).
  if (k < 0) k = round_up_to_8(std::sqrt(static_cast<double>(time) * static_cast<double>(dim) / 5.0));
  return std::clamp<int64_t>(k, 1, time);
}

std::string describe(const AttentionOptions& options, int64_t time, int64_t dim) {
  if (options.mode == AttentionKind::exact) return options.causal ? "exact" : "exact non-causal";
  const int64_t k = choose_knn_k(options, time, dim);
  std::string line = std::string(name_of(options.mode)) + " k=" + std::to_string(k);
  if (options.knn_k < 0) {
    AttentionOptions by_default = options;
    by_default.knn_k = 0;
    const int64_t default_k = choose_knn_k(by_default, time, dim);
    const double cost = sampling_cost_per_sample(k, time, dim);
    char saving[128];
    std::snprintf(saving, sizeof saving, " (auto: %.1f kflop per sample, %.2fx the default k=%ld)", cost / 1000.0,
                  cost / sampling_cost_per_sample(default_k, time, dim), static_cast<long>(default_k));
    line += saving;
  }
  if (options.draws_samples()) line += " samples=" + std::to_string(options.samples);
  if (options.mode == AttentionKind::gumbel && options.mom_groups > 1)
    line += " mom-groups=" + std::to_string(options.mom_groups);
  line += " backward=" + std::string(name_of(options.effective_backward())) +
          " index=" + std::string(name_of(options.knn_index));
  if (!options.causal) line += " non-causal";
  return line;
}

void validate(const AttentionOptions& options) {
  require(options.knn_k >= -1, "knn-k must be at least 1 (or 0 for the default, -1 for auto), got " +
                                   std::to_string(options.knn_k));
  require_at_least(options.samples, 1, "samples");
  require_at_least(options.mom_groups, 1, "mom-groups");
  if (options.effective_backward() == BackwardMode::sampled)
    require_at_least(options.samples, 2, "samples (the sampled backward estimates D_i by leave-one-out)");
  require(options.samples % options.mom_groups == 0,
          "samples (" + std::to_string(options.samples) + ") must be a multiple of mom-groups (" +
              std::to_string(options.mom_groups) + ")");
  require_at_least(options.clusters, 0, "clusters");
  require_at_least(options.probes, 0, "probes");
  require(options.mode != AttentionKind::exact || options.effective_backward() == BackwardMode::exact,
          "attention-backward '" + std::string(name_of(options.backward)) +
              "' needs an approximate attention mode (knn, gumbel, knn-tail)");
  // Only a sampler can do without a kNN head (unsearched_key_index.h).
  require(options.knn_index != KeyIndexKind::none || options.mode == AttentionKind::exact ||
              (options.mode == AttentionKind::gumbel && options.effective_backward() != BackwardMode::sparse),
          "knn-index 'none' needs attention gumbel with an exact or sampled backward, got attention '" +
              std::string(name_of(options.mode)) + "' with backward '" +
              std::string(name_of(options.effective_backward())) + "'");
}

}  // namespace knnformer
