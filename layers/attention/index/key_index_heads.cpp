#include "layers/attention/index/key_index_heads.h"

namespace knnformer::attention::key_search {

HeadTable::HeadTable(int64_t heads, int64_t time, int64_t k, bool slots_are_keys, float scale)
    : time_(time), k_(k), slots_are_keys_(slots_are_keys), scale_(scale),
      keys_(make_large_array<int32_t>(heads * time * k)),
      slots_(slots_are_keys ? nullptr : make_large_array<int32_t>(heads * time * k)),
      scores_(make_large_array<float>(heads * time * k)),
      sizes_(make_large_array<int32_t>(heads * time)),
      min_scores_(make_large_array<float>(heads * time)) {}

Neighbours HeadTable::neighbours(int64_t head, int64_t query) const {
  const int64_t r = row(head, query);
  return {.keys = {keys_.get() + r * k_, static_cast<size_t>(sizes_[r])},
          .scores = {scores_.get() + r * k_, static_cast<size_t>(sizes_[r])},
          .min_score = min_scores_[r]};
}

std::span<const int32_t> HeadTable::slots(int64_t head, int64_t query) const {
  const int64_t r = row(head, query);
  const int32_t* slots = slots_are_keys_ ? keys_.get() : slots_.get();
  return {slots + r * k_, static_cast<size_t>(sizes_[r])};
}

int64_t nth_slot_outside(std::span<const int32_t> head_slots, int64_t rank) {
  // Bisection for the number of m with h_m − m <= rank (a true prefix), in
  // the fixed-step form that compiles to conditional moves: the samplers call
  // it per tail member, with ranks at random, where a branch would be
  // mispredicted half the time.
  const int64_t size = static_cast<int64_t>(head_slots.size());
  if (size == 0) return rank;
  const auto below = [&](int64_t m) { return head_slots[m] - m <= rank; };
  int64_t last = 0, length = size;  // the true prefix ends in [last, last + length)
  while (length > 1) {
    const int64_t half = length / 2;
    last = below(last + half) ? last + half : last;
    length -= half;
  }
  return rank + last + (below(last) ? 1 : 0);
}

}  // namespace knnformer::attention::key_search
