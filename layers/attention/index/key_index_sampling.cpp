#include "layers/attention/index/key_index_sampling.h"

#include <bit>
#include <string>
#include <vector>

#include "core/error.h"

namespace knnformer::attention::key_search {

namespace {

// The ranks drawn so far: an open-addressing hash table with linear probing,
// at most half full, its storage reused by each thread so that drawing a
// sample allocates nothing after a thread's first few.
class RankSet {
 public:
  explicit RankSet(int64_t count) : table_(storage()) {
    const uint64_t capacity = std::bit_ceil(static_cast<uint64_t>(2 * count));
    table_.assign(capacity, kEmpty);
    mask_ = capacity - 1;
  }

  // Adds rank; false when it was there already.
  bool insert(int32_t rank) {
    // Fibonacci hashing spreads consecutive ranks over the table.
    uint64_t at = (static_cast<uint64_t>(rank) * 0x9E3779B97F4A7C15ull >> 32) & mask_;
    while (table_[at] != kEmpty) {
      if (table_[at] == rank) return false;
      at = (at + 1) & mask_;
    }
    table_[at] = rank;
    return true;
  }

 private:
  static constexpr int32_t kEmpty = -1;
  static std::vector<int32_t>& storage() {
    thread_local std::vector<int32_t> table;
    return table;
  }

  std::vector<int32_t>& table_;
  uint64_t mask_ = 0;
};

}  // namespace

void sample_distinct_ranks(int64_t population, int64_t count, CounterRng& rng, int32_t* ranks) {
  if (count == 0) return;
  // Floyd: for j = population − count, ..., population − 1 draw t uniform in
  // [0, j] and take t, or j itself when t is taken already (j cannot be:
  // everything taken so far is below it). By induction every set is equally likely.
  RankSet taken(count);
  for (int64_t j = population - count, n = 0; j < population; ++j, ++n) {
    auto chosen = static_cast<int32_t>(rng.below(static_cast<uint64_t>(j + 1)));
    if (!taken.insert(chosen)) {
      chosen = static_cast<int32_t>(j);
      taken.insert(chosen);
    }
    ranks[n] = chosen;
  }
}

void require_sample_count(int64_t count, int64_t available) {
  if (count < 0 || count > available)
    throw Error("KeyIndex: cannot sample " + std::to_string(count) + " distinct members of a tail (group) of " +
                std::to_string(available));
}

}  // namespace knnformer::attention::key_search
