#include "data/synthetic_tasks.h"

#include <algorithm>
#include <span>
#include <unordered_map>

#include "core/error.h"
#include "core/rng.h"

namespace knnformer {
namespace {

// Separates the documents' random streams from every other stream of a seed.
// ASCII "document".
constexpr uint64_t kDocumentStream = 0x646F63756D656E74ull;

// The first filler id: the filler alphabet follows the task's symbols.
int32_t first_filler(const SyntheticTaskOptions& options) {
  const int64_t symbol_ids = options.task == SyntheticTask::copy ? options.symbols : 2 * options.symbols;
  return static_cast<int32_t>(symbol_ids);
}

void require_positive(int64_t value, const std::string& flag) {
  require(value >= 1, flag + " " + std::to_string(value) + ": must be at least 1");
}

void validate_copy(const SyntheticTaskOptions& options) {
  require_positive(options.segment, "--segment");
  require(options.context >= 2 * options.segment,
          "--segment " + std::to_string(options.segment) + " does not fit --context " +
              std::to_string(options.context) + ": the segment, its repeat and the marker need --context >= " +
              std::to_string(2 * options.segment));
}

void validate_mqar(const SyntheticTaskOptions& options) {
  require_positive(options.pairs, "--pairs");
  require(options.context + 1 >= 4 * options.pairs,
          "--pairs " + std::to_string(options.pairs) + " do not fit --context " + std::to_string(options.context) +
              ": the pairs and their queries take " + std::to_string(4 * options.pairs) +
              " tokens, a document holds " + std::to_string(options.context + 1));
  require(options.symbols >= options.pairs, "--symbols " + std::to_string(options.symbols) + " is too few for " +
                                                std::to_string(options.pairs) + " distinct keys (--pairs)");
}

// `count` distinct integers of [0, population), in random order: the first
// `count` steps of a Fisher–Yates shuffle of 0 .. population − 1 that stores
// only the entries it has moved, so it costs O(count) whatever the population.
std::vector<int32_t> distinct_draws(CounterRng& rng, int64_t count, int64_t population) {
  std::unordered_map<int64_t, int64_t> moved;
  const auto entry = [&moved](int64_t i) {
    const auto found = moved.find(i);
    return found == moved.end() ? i : found->second;
  };
  std::vector<int32_t> drawn(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    const int64_t j = i + static_cast<int64_t>(rng.below(static_cast<uint64_t>(population - i)));
    drawn[i] = static_cast<int32_t>(entry(j));
    moved[j] = entry(i);
  }
  return drawn;
}

void fill_filler(CounterRng& rng, int32_t first_filler_id, std::span<int32_t> out) {
  for (int32_t& token : out) token = first_filler_id + static_cast<int32_t>(rng.below(kFillerSymbols));
}

// Segment, filler, marker, segment: the repeat ends at the document's end.
void write_copy(const SyntheticTaskOptions& options, CounterRng& rng, SyntheticDocument& document) {
  const auto length = static_cast<int64_t>(document.tokens.size()), segment = options.segment;
  const std::span<int32_t> tokens(document.tokens);
  for (int32_t& token : tokens.first(segment)) token = static_cast<int32_t>(rng.below(options.symbols));
  const int64_t marker_at = length - segment - 1;
  fill_filler(rng, first_filler(options), tokens.subspan(segment, marker_at - segment));
  tokens[marker_at] = first_filler(options) + static_cast<int32_t>(kFillerSymbols);
  std::copy_n(tokens.begin(), segment, tokens.begin() + marker_at + 1);
  std::fill(document.loss_mask.begin() + marker_at + 1, document.loss_mask.end(), 1);
}

// Pairs "key value", filler, queries "key value" ending at the document's end.
void write_mqar(const SyntheticTaskOptions& options, CounterRng& rng, SyntheticDocument& document) {
  const auto length = static_cast<int64_t>(document.tokens.size()), pairs = options.pairs;
  const std::span<int32_t> tokens(document.tokens);
  const std::vector<int32_t> keys = distinct_draws(rng, pairs, options.symbols);
  for (int64_t pair = 0; pair < pairs; ++pair) {
    tokens[2 * pair] = keys[pair];
    tokens[2 * pair + 1] = static_cast<int32_t>(options.symbols + static_cast<int64_t>(rng.below(options.symbols)));
  }
  const int64_t queries_at = length - 2 * pairs;
  fill_filler(rng, first_filler(options), tokens.subspan(2 * pairs, queries_at - 2 * pairs));
  const std::vector<int32_t> order = distinct_draws(rng, pairs, pairs);
  for (int64_t query = 0; query < pairs; ++query) {
    const int64_t at = queries_at + 2 * query, pair = order[query];
    tokens[at] = tokens[2 * pair];
    tokens[at + 1] = tokens[2 * pair + 1];
    document.loss_mask[at + 1] = 1;
  }
}

}  // namespace

void validate(const SyntheticTaskOptions& options) {
  require_positive(options.context, "--context");
  require_positive(options.symbols, "--symbols");
  require(options.symbols <= kMaxSyntheticSymbols, "--symbols " + std::to_string(options.symbols) +
                                                       ": at most " + std::to_string(kMaxSyntheticSymbols));
  if (options.task == SyntheticTask::copy)
    validate_copy(options);
  else
    validate_mqar(options);
}

int64_t synthetic_vocabulary_size(const SyntheticTaskOptions& options) {
  const int64_t marker = options.task == SyntheticTask::copy ? 1 : 0;
  return first_filler(options) + kFillerSymbols + marker;
}

std::string describe(const SyntheticTaskOptions& options) {
  const std::string size = options.task == SyntheticTask::copy ? " segment=" + std::to_string(options.segment)
                                                               : " pairs=" + std::to_string(options.pairs);
  return "synthetic " + std::string(name_of(options.task)) + " T=" + std::to_string(options.context) + size +
         " symbols=" + std::to_string(options.symbols) + " seed=" + std::to_string(options.seed);
}

SyntheticDocument synthetic_document(const SyntheticTaskOptions& options, Split split, uint64_t index) {
  const auto length = static_cast<size_t>(options.context + 1);
  SyntheticDocument document{.tokens = std::vector<int32_t>(length), .loss_mask = std::vector<uint8_t>(length)};
  CounterRng rng(options.seed,
                 {kDocumentStream, static_cast<uint64_t>(options.task), static_cast<uint64_t>(split), index});
  if (options.task == SyntheticTask::copy)
    write_copy(options, rng, document);
  else
    write_mqar(options, rng, document);
  return document;
}

}  // namespace knnformer
