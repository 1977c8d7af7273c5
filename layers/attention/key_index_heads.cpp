#include "layers/attention/key_index_heads.h"

namespace knnformer::attention::key_search {

HeadTable::HeadTable(int64_t heads, int64_t time, int64_t k, bool slots_are_keys, float scale)
    : time_(time), k_(k), slots_are_keys_(slots_are_keys), scale_(scale), keys_(heads * time * k),
      slots_(slots_are_keys ? 0 : heads * time * k), scores_(heads * time * k), sizes_(heads * time),
      min_scores_(heads * time) {}

Neighbours HeadTable::neighbours(int64_t head, int64_t query) const {
  const int64_t r = row(head, query);
  return {.keys = {keys_.data() + r * k_, static_cast<size_t>(sizes_[r])},
          .scores = {scores_.data() + r * k_, static_cast<size_t>(sizes_[r])},
          .min_score = min_scores_[r]};
}

std::span<const int32_t> HeadTable::slots(int64_t head, int64_t query) const {
  const int64_t r = row(head, query);
  const std::vector<int32_t>& slots = slots_are_keys_ ? keys_ : slots_;
  return {slots.data() + r * k_, static_cast<size_t>(sizes_[r])};
}

int64_t nth_slot_outside(std::span<const int32_t> head_slots, int64_t rank) {
  int64_t low = 0, high = static_cast<int64_t>(head_slots.size());
  while (low < high) {
    const int64_t middle = (low + high) / 2;
    if (head_slots[middle] - middle <= rank)
      low = middle + 1;
    else
      high = middle;
  }
  return rank + low;
}

}  // namespace knnformer::attention::key_search
