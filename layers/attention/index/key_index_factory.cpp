#include "layers/attention/index/key_index_factory.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>

#include "core/error.h"
#include "layers/attention/index/clustered_key_index.h"
#include "layers/attention/index/exact_key_index.h"
#include "layers/attention/index/unsearched_key_index.h"

namespace knnformer::attention {

std::unique_ptr<KeyIndex> build_key_index(const KeyIndexOptions& options, const Tensor& q, const Tensor& k,
                                          bool causal) {
  const Shape& shape = q.shape();
  require(shape.rank() == 4 && shape[0] >= 1 && shape[1] >= 1 && shape[2] >= 1 && shape[3] >= 1,
          "build_key_index: need q of shape [B, H, T, d] with every size >= 1, got " + shape.to_string());
  require(k.shape() == shape,
          "build_key_index: q and k must share one shape, got " + shape.to_string() + " and " + k.shape().to_string());
  // Key positions are stored as int32.
  require(shape[2] <= std::numeric_limits<int32_t>::max(),
          "build_key_index: T = " + std::to_string(shape[2]) + " exceeds 2^31 - 1");
  require(options.k >= 1, "build_key_index: the head size k must be >= 1, got " + std::to_string(options.k));
  require(options.clusters >= 0 && options.probes >= 0,
          "build_key_index: clusters and probes must be >= 0 (0: default), got " + std::to_string(options.clusters) +
              " and " + std::to_string(options.probes));

  // A head never holds more than the T keys there are.
  KeyIndexOptions checked = options;
  checked.k = std::min(options.k, shape[2]);
  switch (options.kind) {
    case KeyIndexKind::exact: return build_exact_key_index(q, k, causal, checked.k, options.tight_tail);
    case KeyIndexKind::clustered: return build_clustered_key_index(checked, q, k, causal);
    case KeyIndexKind::none: return build_unsearched_key_index(q, k, causal);
  }
  throw Error("build_key_index: a kNN index kind outside KeyIndexKind");
}

}  // namespace knnformer::attention
