#pragma once
// The unsearched index (docs/design.md §6.5, `--knn-index none`): no search
// at all, for a sampler that would score every row whole anyway.
//
// Query i's head N_i is its own key i (a candidate of every query, causal or
// not), with its score; the rest of C_i is one tail group, bounded by
// Cauchy–Schwarz: s·‖q_i‖·max_{j∈C_i} ‖k_j‖, raised by the rounding slack of
// key_index_search.h. That bound lies at or above every score of the row,
// own key's included, so one draw's expected tail work (U/Z_head,
// lazy_gumbel_sampler.h) is at least the tail itself and the sampler scores
// every row whole, taking its thresholds from each row's own largest score
// (searches_head() is false). Building it costs O(T·d) per head, where the
// clustered index runs k-means and searches every query: on a trained model
// whose rows the sampler scores whole with either index (docs/results.md,
// T = 16384), that is the index's whole cost saved.
//
// Its head is no kNN head, so the modes that use one (knn, knn-tail, the
// sparse backward) refuse it (attention_options.h, validate).
//
// Reached through build_key_index() with options.kind = KeyIndexKind::none,
// which checks the arguments.
#include <memory>

#include "core/tensor.h"
#include "layers/attention/index/key_index.h"

namespace knnformer::attention {

// q, k: [B, H, T, d], contiguous.
std::unique_ptr<KeyIndex> build_unsearched_key_index(const Tensor& q, const Tensor& k, bool causal);

}  // namespace knnformer::attention
