#pragma once
// build_key_index: the one place that knows every kind of key index and
// builds the one KeyIndexOptions names (key_index.h is the interface they
// share; exact_key_index.h, clustered_key_index.h and unsearched_key_index.h
// are the kinds).
//
//   const std::unique_ptr<KeyIndex> index = build_key_index({.kind = KeyIndexKind::clustered, .k = 64}, q, k, true);
#include <memory>

#include "core/tensor.h"
#include "layers/attention/index/key_index.h"

namespace knnformer::attention {

// q, k: [B, H, T, d], contiguous. Throws Error on bad options (k < 1,
// clusters or probes < 0) and shapes (q and k apart, T beyond int32).
std::unique_ptr<KeyIndex> build_key_index(const KeyIndexOptions& options, const Tensor& q, const Tensor& k,
                                          bool causal);

}  // namespace knnformer::attention
