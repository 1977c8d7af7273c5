#include "layers/attention/key_index_heads.h"

namespace knnformer::attention::key_search {

HeadTable::HeadTable(int64_t heads, int64_t time, int64_t k, bool slots_are_keys, float scale)
    : time_(time), k_(k), slots_are_keys_(slots_are_keys), scale_(scale),
      keys_(std::make_unique_for_overwrite<int32_t[]>(heads * time * k)),
      slots_(slots_are_keys ? nullptr : std::make_unique_for_overwrite<int32_t[]>(heads * time * k)),
      scores_(std::make_unique_for_overwrite<float[]>(heads * time * k)),
      sizes_(std::make_unique_for_overwrite<int32_t[]>(heads * time)),
      min_scores_(std::make_unique_for_overwrite<float[]>(heads * time)) {}

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
