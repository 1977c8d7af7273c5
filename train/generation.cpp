#include "train/generation.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.h"

namespace knnformer {

int32_t sample_token(std::span<const float> logits, const SamplingOptions& options, CounterRng& rng) {
  const auto vocab = static_cast<int64_t>(logits.size());
  std::vector<int32_t> candidates(vocab);
  std::iota(candidates.begin(), candidates.end(), 0);
  const auto more_likely = [&](int32_t a, int32_t b) {
    return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);  // ties: the smaller id
  };
  if (options.temperature == 0.0) return *std::min_element(candidates.begin(), candidates.end(), more_likely);

  const int64_t kept = options.top_k > 0 ? std::min(options.top_k, vocab) : vocab;
  std::partial_sort(candidates.begin(), candidates.begin() + kept, candidates.end(), more_likely);
  candidates.resize(kept);
  std::vector<double> weights(kept);
  const double top = logits[candidates.front()];
  for (int64_t i = 0; i < kept; ++i) weights[i] = std::exp((logits[candidates[i]] - top) / options.temperature);
  const double total = std::accumulate(weights.begin(), weights.end(), 0.0);
  double remaining = rng.uniform_double() * total;
  for (int64_t i = 0; i < kept; ++i)
    if ((remaining -= weights[i]) <= 0) return candidates[i];
  return candidates.back();  // rounding left a sliver of mass past the last weight
}

std::vector<int32_t> generate(const GPT& model, std::span<const int32_t> prompt, int64_t count,
                              const SamplingOptions& options, const std::function<void(int32_t)>& on_token) {
  require(!prompt.empty(), "generate: the prompt holds no tokens");
  const int64_t context = model.config().context;
  std::vector<int32_t> text(prompt.begin(), prompt.end());
  std::vector<int32_t> drawn;
  KvCache cache = model.make_cache();
  std::vector<float> logits;
  // Reads text[from..] into a fresh cache; the logits after its last token remain.
  const auto read_window = [&](size_t from) {
    cache = model.make_cache();
    for (size_t i = from; i < text.size(); ++i) logits = model.next_token_logits(text[i], cache);
  };
  read_window(text.size() > static_cast<size_t>(context) ? text.size() - context : 0);
  for (int64_t i = 0; i < count; ++i) {
    CounterRng rng(options.seed, {static_cast<uint64_t>(i)});
    const int32_t token = sample_token(logits, options, rng);
    drawn.push_back(token);
    text.push_back(token);
    on_token(token);
    if (i + 1 == count) break;
    if (cache.length == context)
      read_window(text.size() - static_cast<size_t>(std::max<int64_t>(1, context / 2)));
    else
      logits = model.next_token_logits(token, cache);
  }
  return drawn;
}

}  // namespace knnformer
