#pragma once
// The exact kNN index (docs/design.md §6.3, `--knn-index exact`): for every query i
// of every head, its head N_i is the top k of C_i by score, ties going to the
// lower key position. All of C_i is scored, in 64 × 64 tiles of Q·Kᵀ at the
// speed of the AVX-512 tile product, and each query row keeps a streaming
// top-k: O(T²·d) flops, O(T·k) memory, never a T × T matrix.
//
// The tail C_i \ N_i is one group whose bound is the head's smallest score
// s_min, raised by the rounding slack of key_index_search.h so that it bounds
// the tail's scores however they are evaluated. With tight_tail the search
// keeps the top 2k instead, and the tail is two groups: the near tier (ranks
// k+1 to 2k, bound: its largest score) and the far rest (bound: the near
// tier's smallest score). Where many keys score just below the head (a query
// attending to a cluster of more than k keys), the far bound drops well
// below s_min, and the sampler scores far fewer tail keys.
// A group's member of a given rank is found by a binary search in the head
// (and the near tier), so sampling a group (Floyd's algorithm over its ranks)
// needs no rejection loop, however small the group.
//
// Reached through build_key_index() with options.kind = KeyIndexKind::exact, which checks
// the arguments.
#include <memory>

#include "core/tensor.h"
#include "layers/attention/index/key_index.h"

namespace knnformer::attention {

// q, k: [B, H, T, d], contiguous; head_size >= 1.
std::unique_ptr<KeyIndex> build_exact_key_index(const Tensor& q, const Tensor& k, bool causal, int64_t head_size,
                                                bool tight_tail = false);

}  // namespace knnformer::attention
