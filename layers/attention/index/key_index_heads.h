#pragma once
// HeadTable: the heads N_i that a key index found, stored for every query of
// every head, and the means to enumerate what lies outside a head.
//
// Each query keeps up to k (key, scaled score) pairs with their search slots
// (key_index_search.h), in ascending slot order. A query's scanned candidates
// are the slots 0..n−1; those left out of the head are then enumerated by
// rank without being stored: the rank-th slot outside the head follows from
// the head's sorted slots by one binary search (nth_slot_outside).
//
// Internal to the key indexes; the attention modes see only KeyIndex.
#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdint>
#include <span>

#include "core/large_buffer.h"
#include "layers/attention/index/key_index.h"
#include "layers/attention/index/key_index_search.h"

namespace knnformer::attention::key_search {

class HeadTable {
 public:
  // For `heads` heads of `time` queries each, heads of up to k keys. When
  // slots_are_keys (the exact index), slots are not stored twice.
  HeadTable(int64_t heads, int64_t time, int64_t k, bool slots_are_keys, float scale);

  // Stores the head of (head, query): the best candidates of its search, at
  // least one, in ascending slot order (as StreamingTopK::best() gives them
  // when offered in slot order); key_of(slot) is the key position at a slot,
  // called for the slots in that order.
  template <class KeyOfSlot>
  void store(int64_t head, int64_t query, std::span<const Candidate> best, const KeyOfSlot& key_of) {
    const int64_t r = row(head, query);
    float min_score = INFINITY;
    for (size_t n = 0; n < best.size(); ++n) {
      const int32_t slot = slot_of(best[n]);
      assert(n == 0 || slot > slot_of(best[n - 1]));
      const float score = scale_ * score_of(best[n]);
      keys_[r * k_ + n] = key_of(slot);
      scores_[r * k_ + n] = score;
      if (!slots_are_keys_) slots_[r * k_ + n] = slot;
      min_score = std::min(min_score, score);
    }
    sizes_[r] = static_cast<int32_t>(best.size());
    min_scores_[r] = min_score;
  }

  Neighbours neighbours(int64_t head, int64_t query) const;
  int64_t size(int64_t head, int64_t query) const { return sizes_[row(head, query)]; }
  std::span<const int32_t> slots(int64_t head, int64_t query) const;  // ascending

 private:
  int64_t row(int64_t head, int64_t query) const { return head * time_ + query; }

  int64_t time_, k_;
  bool slots_are_keys_;
  float scale_;
  // Left uninitialised (zero-filling T·k entries would be a pass over
  // memory for nothing): store() writes every entry that is read.
  LargeArray<int32_t> keys_, slots_;  // k per query
  LargeArray<float> scores_;          // k per query, scaled
  LargeArray<int32_t> sizes_;         // per query
  LargeArray<float> min_scores_;      // per query
};

// The rank-th (from 0) slot that is not in head_slots (ascending, distinct):
// with j head slots below it, it is rank + j, and j is the number of head
// slots h_m with h_m − m <= rank, a monotone sequence searched by bisection.
int64_t nth_slot_outside(std::span<const int32_t> head_slots, int64_t rank);

}  // namespace knnformer::attention::key_search
