#pragma once
// Synthetic retrieval tasks: fixed-length documents whose answers lie far
// back in the context, each with a loss mask that counts the answers alone.
// A model trained on them shows whether it (and its attention, exact or
// approximate) can retrieve from anywhere in its context.
//
//   const SyntheticTaskOptions options{.task = SyntheticTask::mqar, .context = 4096, .pairs = 8};
//   validate(options);                          // an Error naming the flag at fault
//   const SyntheticDocument document = synthetic_document(options, Split::train, 17);
//   document.tokens;     // T + 1 ids: a model reads the first T and predicts the last T
//   document.loss_mask;  // 1 where predicting that token counts; loss_mask[0] is always 0
//
// With T the context, L = T + 1 the tokens of a document and S the symbols:
//
//   copy   a segment of N random symbols, filler, the marker, then the
//          segment again, ending at the document's end. Only the repeat's N
//          tokens count. The first copy starts L − N tokens before the
//          second, so an attention window shorter than that cannot solve it.
//            ids: symbols [0, S), filler [S, S + 16), marker S + 16; vocabulary S + 17
//            needs T >= 2N
//   mqar   multi-query associative recall (the Zoology study, Arora et al.
//          2023): P pairs "key value" at the start (distinct keys, values
//          drawn with repetition), filler, then P queries ending at the
//          document's end, each a key followed by its value, the keys in a
//          random order. Only the queries' values count.
//            ids: keys [0, S), values [S, 2S), filler [2S, 2S + 16); vocabulary 2S + 16
//            needs T + 1 >= 4P and S >= P
//
// Filler tokens are drawn uniformly from an alphabet of their own, disjoint
// from the symbols, so that nothing in them can be mistaken for what is to
// be recalled.
//
// Determinism: document n of a split is drawn from CounterRng keyed by
// (seed, task, split, n) alone, so it is the same whatever else is generated
// (another number of documents, the other split, another order).
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/enum_names.h"
#include "data/token_format.h"

namespace knnformer {

enum class SyntheticTask { copy, mqar };
constexpr std::array<EnumName<SyntheticTask>, 2> kSyntheticTaskNames{
    {{SyntheticTask::copy, "copy"}, {SyntheticTask::mqar, "mqar"}}};
constexpr const auto& enum_names(SyntheticTask) { return kSyntheticTaskNames; }

// The size of the filler's own alphabet.
inline constexpr int64_t kFillerSymbols = 16;

// The most symbols a task takes: the vocabulary stays below 2^31, the
// largest a token dataset stores.
inline constexpr int64_t kMaxSyntheticSymbols = int64_t{1} << 29;

struct SyntheticTaskOptions {
  SyntheticTask task = SyntheticTask::copy;
  int64_t context = 1024;  // T: every document holds T + 1 tokens
  int64_t segment = 32;    // copy: N, the tokens to copy
  int64_t pairs = 8;       // mqar: P, the key-value pairs and the queries
  int64_t symbols = 64;    // S: copy's symbols; mqar's keys, and as many values
  uint64_t seed = 0;
};

struct SyntheticDocument {
  std::vector<int32_t> tokens{};     // T + 1 ids
  std::vector<uint8_t> loss_mask{};  // T + 1: 1 where predicting that token counts
};

// Throws Error, one line naming the flag (--context, --segment, --pairs,
// --symbols) and what it needs, unless documents of these options can be made.
void validate(const SyntheticTaskOptions& options);

// The vocabulary of the task's documents (layout above).
int64_t synthetic_vocabulary_size(const SyntheticTaskOptions& options);

// "synthetic copy T=4096 segment=32 symbols=64 seed=1": the dataset's source attribute.
std::string describe(const SyntheticTaskOptions& options);

// Document `index` of a split. The options must be valid.
SyntheticDocument synthetic_document(const SyntheticTaskOptions& options, Split split, uint64_t index);

}  // namespace knnformer
