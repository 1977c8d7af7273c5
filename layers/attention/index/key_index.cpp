#include "layers/attention/index/key_index.h"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <vector>

#include "core/error.h"
#include "layers/attention/index/key_index_sampling.h"

namespace knnformer::attention {

void KeyIndex::sample_tail_group(int64_t head, int64_t query, int64_t group, int64_t count, CounterRng& rng,
                                 int32_t* members) const {
  const TailGroup tail_group = this->tail_group(head, query, group);
  key_search::require_sample_count(count, tail_group.size);
  key_search::sample_distinct_ranks(tail_group.size, count, rng, members);
  for (int64_t n = 0; n < count; ++n)
    members[n] = tail_group.members ? tail_group.members[members[n]] : tail_member(head, query, group, members[n]);
}

TailBounds KeyIndex::tail_bounds(int64_t head, int64_t query, TailBoundsBuffer& buffer) const {
  const int64_t groups = tail_group_count(head, query);
  buffer.bounds.resize(groups);
  buffer.sizes.resize(groups);
  for (int64_t g = 0; g < groups; ++g) {
    const TailGroup group = tail_group(head, query, g);
    buffer.bounds[g] = group.bound;
    buffer.sizes[g] = static_cast<int32_t>(group.size);
  }
  return {.bounds = buffer.bounds, .sizes = buffer.sizes};
}

double recall_at_k(const KeyIndex& index, const KeyIndex& exact) {
  double total = 0;
  std::vector<int32_t> truth, found, common;
  for (int64_t head = 0; head < exact.heads(); ++head)
    for (int64_t query = 0; query < exact.time(); ++query) {
      const auto exact_keys = exact.neighbours(head, query).keys, found_keys = index.neighbours(head, query).keys;
      truth.assign(exact_keys.begin(), exact_keys.end());
      found.assign(found_keys.begin(), found_keys.end());
      std::sort(truth.begin(), truth.end());
      std::sort(found.begin(), found.end());
      common.clear();
      std::set_intersection(truth.begin(), truth.end(), found.begin(), found.end(), std::back_inserter(common));
      total += static_cast<double>(common.size()) / static_cast<double>(truth.size());
    }
  return total / static_cast<double>(exact.heads() * exact.time());
}

}  // namespace knnformer::attention
