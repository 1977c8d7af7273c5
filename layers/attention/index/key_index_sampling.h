#pragma once
// Uniform samples of distinct tail members, for KeyIndex::sample_tail_group
// and KeyIndex::sample_tail: an index draws distinct ranks in [0, size) of a
// group (or of the whole tail) and maps each rank to a key position.
//
// Internal to the key indexes; the attention modes see only KeyIndex.
#include <cstdint>

#include "core/rng.h"

namespace knnformer::attention::key_search {

// Writes `count` distinct integers of [0, population) to ranks, every set of
// `count` equally likely, with exactly `count` draws: Floyd's algorithm
// (Bentley & Floyd, "Programming pearls: a sample of brilliance", CACM 1987).
// It has no rejection loop, so it never stalls when count is close to
// population. Requires 0 <= count <= population < 2³¹.
void sample_distinct_ranks(int64_t population, int64_t count, CounterRng& rng, int32_t* ranks);

// Throws Error unless 0 <= count <= available: the sampling contract of KeyIndex.
void require_sample_count(int64_t count, int64_t available);

}  // namespace knnformer::attention::key_search
