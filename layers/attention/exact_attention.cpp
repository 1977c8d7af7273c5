#include "layers/attention/exact_attention.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

#include "core/autograd.h"
#include "core/error.h"
#include "core/kernels/attention_tile.h"
#include "core/kernels/bfloat16.h"
#include "core/kernels/top_k_selection.h"
#include "layers/attention/bfloat16_panels.h"
#include "layers/attention/flash_tiling.h"
#include "layers/attention/measurement/attention_diagnostics.h"

namespace knnformer::attention {

namespace {

using flash::Bfloat16Layout;
using flash::Bfloat16Panels;
using flash::empty_panels;
using flash::in_pairs;
using flash::Geometry;
using flash::kTile;
using flash::pack_transposed_panel;
using flash::panel_of;
using flash::score_tile;
using flash::Triangle;

// --- forward ---------------------------------------------------------------------

// The forward pass's operands in bf16 (bfloat16_panels.h).
struct ForwardBfloat16Panels {
  explicit ForwardBfloat16Panels(const Geometry& g)
      : queries(g, Bfloat16Layout::rows), keys(g, Bfloat16Layout::column_pairs), values(g, Bfloat16Layout::row_pairs) {}
  Bfloat16Panels queries, keys, values;
};

struct ForwardOperands {
  const float* q;
  const float* k;
  const float* v;
  Tensor key_panels;                    // fp32 products: Kᵀ, filled by forward()
  const ForwardBfloat16Panels* bf16;    // bf16 products: filled by forward(); null for fp32
  float* out;
  float* log_sum_exp;
};

// One thread's tiles for the forward pass.
struct ForwardScratch {
  explicit ForwardScratch(int64_t dim)
      : probabilities(kTile * kTile), output(kTile * dim), row_max(kTile), row_sum(kTile),
        probability_halves(kTile * kTile), packing(kTile * dim) {}
  std::vector<float> probabilities;  // S of the current key tile, then P = exp(s·S − s·m) in place
  std::vector<float> output;         // Σ_j exp(s·S_ij − s·m_i) v_j, not yet divided by the row sum
  std::vector<float> row_max;        // m_i: the largest raw score q_i·k_j so far
  std::vector<float> row_sum;        // l_i: Σ_j exp(s·S_ij − s·m_i) so far
  std::vector<uint16_t> probability_halves;  // bf16: P rounded, the left operand of O += P V
  std::vector<float> packing;                // bf16: a transposed tile on its way to a panel
};

// Folds one tile of raw scores into query row r's running softmax (the online
// normaliser of Milakov & Gimelshein): with the new maximum m' = max(m, max_j S_j)
// the old sum and output row are rescaled by exp(s·(m − m')), and the tile's
// P_j = exp(s·(S_j − m')) join them; masked columns get P_j = 0.
void fold_row(float* row, int64_t candidates, bool first_tile, const Geometry& g, int64_t r,
              ForwardScratch& scratch) {
  const float tile_max = kernels::selection::largest(row, candidates);
  const float new_max = first_tile ? tile_max : std::max(scratch.row_max[r], tile_max);
  const float tile_sum = kernels::tiles::exp_row(row, candidates, g.scale, new_max, row);
  std::fill(row + candidates, row + kTile, 0.0f);
  if (first_tile) {
    scratch.row_sum[r] = tile_sum;
  } else {
    const float rescale = std::exp(g.scale * (scratch.row_max[r] - new_max));
    scratch.row_sum[r] = scratch.row_sum[r] * rescale + tile_sum;
    if (rescale != 1.0f) {
      float* output_row = scratch.output.data() + r * g.dim;
      for (int64_t c = 0; c < g.dim; ++c) output_row[c] *= rescale;
    }
  }
  scratch.row_max[r] = new_max;
}

// One query tile of one head: its output rows O_i = (Σ_j P_ij v_j) / l_i and
// their log-sum-exp s·m_i + log l_i, which is all the backward pass needs.
void forward_query_tile(const ForwardOperands& in, const Geometry& g, int64_t head, int64_t query_tile,
                        ForwardScratch& scratch) {
  const int64_t query0 = query_tile * kTile, rows = g.rows_in_tile(query_tile);
  const float* queries = in.q + head * g.head_size() + query0 * g.dim;
  float* probabilities = scratch.probabilities.data();
  std::fill(scratch.output.begin(), scratch.output.end(), 0.0f);

  for (int64_t key_tile = 0; key_tile < g.key_tiles_seen_by(query_tile); ++key_tile) {
    const int64_t key0 = key_tile * kTile;
    const bool diagonal = g.on_diagonal(query_tile, key_tile);
    const Triangle scores = diagonal ? Triangle::lower_output : Triangle::none;
    if (in.bf16)
      flash::score_tile(in.bf16->queries, in.bf16->keys, g, head, query_tile, key_tile, probabilities, scores);
    else
      score_tile(queries, rows, panel_of(in.key_panels, g, head, key_tile), g, probabilities, scores);
    for (int64_t r = 0; r < rows; ++r)
      fold_row(probabilities + r * kTile, g.candidates_in_tile(query0 + r, key0), key_tile == 0, g, r, scratch);
    // O += P V over the keys of this tile.
    const Triangle by_query = diagonal ? Triangle::lower_left : Triangle::none;
    if (in.bf16) {
      kernels::to_bfloat16(probabilities, scratch.probability_halves.data(), rows * kTile);
      flash::multiply_tile({.rows = rows, .inner = in_pairs(g.rows_in_tile(key_tile)), .width = g.dim,
                            .a = scratch.probability_halves.data(), .a_row_stride = kTile,
                            .b = in.bf16->values.of(head, key_tile), .b_pair_row_stride = in.bf16->values.row_stride(),
                            .c = scratch.output.data(), .c_row_stride = g.dim, .accumulate = true},
                           by_query);
    } else {
      flash::multiply_tile({.rows = rows, .inner = g.rows_in_tile(key_tile), .width = g.dim,
                            .a = probabilities, .a_row_stride = kTile, .a_inner_stride = 1,
                            .b = in.v + head * g.head_size() + key0 * g.dim, .b_row_stride = g.dim,
                            .c = scratch.output.data(), .c_row_stride = g.dim, .accumulate = true},
                           by_query);
    }
  }

  for (int64_t r = 0; r < rows; ++r) {
    const float inverse_sum = 1.0f / scratch.row_sum[r];
    const float* output_row = scratch.output.data() + r * g.dim;
    float* out = in.out + head * g.head_size() + (query0 + r) * g.dim;
    for (int64_t c = 0; c < g.dim; ++c) out[c] = output_row[c] * inverse_sum;
    in.log_sum_exp[head * g.time + query0 + r] = g.scale * scratch.row_max[r] + std::log(scratch.row_sum[r]);
  }
}

// The panels of one tile that every query tile reads: Kᵀ in fp32, or Q, Kᵀ
// and V in bf16.
void prepare_tile(const ForwardOperands& in, const Geometry& g, int64_t head, int64_t tile, float* packing) {
  if (!in.bf16) {
    pack_transposed_panel(in.k, g, head, tile, in.key_panels);
    return;
  }
  in.bf16->queries.pack(in.q, head, tile, packing);
  in.bf16->keys.pack(in.k, head, tile, packing);
  in.bf16->values.pack(in.v, head, tile, packing);
}

// One parallel region: the panels, then the work items (query tile, head),
// the costliest causal tiles (the last) first.
void forward(const ForwardOperands& in, const Geometry& g) {
  const int64_t items = g.tiles() * g.heads;
#pragma omp parallel
  {
    ForwardScratch scratch(g.dim);
#pragma omp for schedule(static)
    for (int64_t item = 0; item < items; ++item)
      prepare_tile(in, g, item / g.tiles(), item % g.tiles(), scratch.packing.data());
#pragma omp for schedule(dynamic, 1)
    for (int64_t item = 0; item < items; ++item)
      forward_query_tile(in, g, item % g.heads, g.tiles() - 1 - item / g.heads, scratch);
  }
}

// --- backward --------------------------------------------------------------------

// The backward pass's operands in bf16 (bfloat16_panels.h).
struct BackwardBfloat16Panels {
  explicit BackwardBfloat16Panels(const Geometry& g)
      : queries(g, Bfloat16Layout::rows), transposed_queries(g, Bfloat16Layout::transposed),
        keys(g, Bfloat16Layout::column_pairs), key_rows(g, Bfloat16Layout::row_pairs),
        values(g, Bfloat16Layout::column_pairs), out_grads(g, Bfloat16Layout::rows),
        transposed_out_grads(g, Bfloat16Layout::transposed) {}
  Bfloat16Panels queries, transposed_queries;  // Q in S = Q Kᵀ; Qᵀ in dKᵀ += Qᵀ dS
  Bfloat16Panels keys, key_rows;               // Kᵀ in S = Q Kᵀ; K in dQ = dS K
  Bfloat16Panels values;                       // Vᵀ in dP = dO Vᵀ
  Bfloat16Panels out_grads, transposed_out_grads;  // dO in dP = dO Vᵀ; dOᵀ in dVᵀ += dOᵀ A
};

struct BackwardOperands {
  const float* q;
  const float* k;
  const float* v;
  const float* out;
  const float* out_grad;        // dO
  const float* log_sum_exp;     // per query row
  Tensor key_panels, value_panels;  // fp32 products: filled by backward()
  const BackwardBfloat16Panels* bf16;  // bf16 products: filled by backward(); null for fp32
  float* out_dot_grad;          // D_i = dO_i·o_i per query row, filled by backward()
  float* query_grad_parts;      // [chunk][head] Σ_j dS_ij k_j over the chunk's key tiles
  Tensor::GradSink query_grad;  // dQ, dK, dV: each element is put once,
  Tensor::GradSink key_grad;    // written or added to as the sink says
  Tensor::GradSink value_grad;
};

// target (+)= factor·source over count elements.
void put_gradient(const Tensor::GradSink& sink, int64_t offset, float factor, const float* source, int64_t count) {
  float* target = sink.data + offset;
  if (sink.overwrite)
    for (int64_t e = 0; e < count; ++e) target[e] = factor * source[e];
  else
    for (int64_t e = 0; e < count; ++e) target[e] += factor * source[e];
}

// target[j][c] (+)= factor·source[c][j] for j < rows, c < dim: a key tile's
// gradient from its transposed accumulator (bf16, [dim × kTile]).
void put_transposed_gradient(const Tensor::GradSink& sink, int64_t offset, float factor, const float* source,
                             int64_t rows, int64_t dim) {
  float* target = sink.data + offset;
  for (int64_t j = 0; j < rows; ++j)
    for (int64_t c = 0; c < dim; ++c) {
      const float value = factor * source[c * kTile + j];
      target[j * dim + c] = sink.overwrite ? value : target[j * dim + c] + value;
    }
}

// One thread's tiles for the backward pass.
struct BackwardScratch {
  explicit BackwardScratch(int64_t dim)
      : probabilities(kTile * kTile), score_grads(kTile * kTile), key_grads(kTile * dim), value_grads(kTile * dim),
        query_grads(kTile * dim), probability_pairs(kTile * kTile), score_grad_halves(kTile * kTile),
        score_grad_pairs(kTile * kTile), packing(kTile * dim) {}
  std::vector<float> probabilities;  // S, then A = exp(s·S − lse) in place
  std::vector<float> score_grads;    // dP = dO Vᵀ, then dS = A ∘ (dP − D) in place
  std::vector<float> key_grads;      // Σ_i dS_ijᵀ q_i for the key tile walked (dK / s; bf16: transposed)
  std::vector<float> value_grads;    // Σ_i A_ijᵀ dO_i for the key tile walked (dV; bf16: transposed)
  // dS K for one query tile, then written or added to the chunk's dQ buffer:
  // a product accumulating straight into that buffer would wait on the cache
  // misses of its rows, while a sequential pass streams them.
  std::vector<float> query_grads;
  // bf16: A and dS rounded, as the products take them (bfloat16_panels.h).
  std::vector<uint16_t> probability_pairs;   // A, the right operand of dVᵀ += dOᵀ A
  std::vector<uint16_t> score_grad_halves;   // dS, the left operand of dQ = dS K
  std::vector<uint16_t> score_grad_pairs;    // dS, the right operand of dKᵀ += Qᵀ dS
  std::vector<float> packing;                // a transposed tile on its way to a panel
};

void add_into(float* target, const float* source, int64_t count) {
  for (int64_t e = 0; e < count; ++e) target[e] += source[e];
}

// The key tiles of a head are split into chunks: each (head, chunk) is one
// work item of the backward pass that owns dK and dV of its keys and writes
// its dQ contributions to a buffer of its own; the buffers are summed in
// chunk order afterwards. The chunk count depends only on the shape, never
// on the thread count, so results are bit-identical for any thread count.
// It gives at least kBackwardItems items: enough for a few threads to even
// out, under dynamic scheduling, the uneven speed of cores shared with other
// work, at the price of one T × d buffer per chunk and head.
constexpr int64_t kBackwardItems = 16;

struct KeyChunks {
  std::vector<int64_t> bounds;  // chunk c covers key tiles [bounds[c], bounds[c + 1])

  int64_t count() const { return static_cast<int64_t>(bounds.size()) - 1; }
  // Whether chunk c has dQ contributions for query tile qt. Its first key tile
  // meets every query tile that its later ones meet, and writes them first,
  // so the rows a chunk never meets need no zeroing.
  bool meets(const Geometry& g, int64_t chunk, int64_t query_tile) const {
    return bounds[chunk] < bounds[chunk + 1] && g.first_query_tile_seeing(bounds[chunk]) <= query_tile;
  }
};

int64_t chunks_per_head(const Geometry& g) {
  return std::clamp((kBackwardItems + g.heads - 1) / g.heads, int64_t{1}, g.tiles());
}

// Chunks of about equal work: key tile kt meets tiles() − first_query_tile_seeing(kt) query tiles.
KeyChunks split_key_tiles(const Geometry& g, int64_t chunks) {
  const auto work = [&](int64_t key_tile) { return g.tiles() - g.first_query_tile_seeing(key_tile); };
  int64_t total = 0;
  for (int64_t key_tile = 0; key_tile < g.tiles(); ++key_tile) total += work(key_tile);
  std::vector<int64_t> bounds{0};
  int64_t done = 0;
  for (int64_t key_tile = 0; key_tile < g.tiles(); ++key_tile) {
    done += work(key_tile);
    const auto next_chunk = static_cast<int64_t>(bounds.size());
    if (next_chunk <= chunks && done * chunks >= total * next_chunk) bounds.push_back(key_tile + 1);
  }
  while (static_cast<int64_t>(bounds.size()) <= chunks) bounds.push_back(g.tiles());
  return {bounds};
}

// dS = A ∘ (dP − D_i) row by row over the columns the query sees; the masked
// and padding columns, where A = 0 and dP may be unset, get dS = 0.
void score_grad_tile(const float* probabilities, const float* out_dot_grad, int64_t rows, int64_t query0,
                     int64_t key0, const Geometry& g, float* score_grads) {
  for (int64_t r = 0; r < rows; ++r) {
    float* row = score_grads + r * kTile;
    const int64_t candidates = g.candidates_in_tile(query0 + r, key0);
    kernels::tiles::score_gradient_row(probabilities + r * kTile, out_dot_grad[r], candidates, row);
    std::fill(row + candidates, row + kTile, 0.0f);
  }
}

// A = exp(s·S − lse) for one tile, in place of S = Q Kᵀ recomputed; masked columns get 0.
void probabilities_from_scores(int64_t rows, int64_t query0, int64_t key0, const float* log_sum_exp, const Geometry& g,
                               float* probabilities) {
  for (int64_t r = 0; r < rows; ++r) {
    float* row = probabilities + r * kTile;
    const int64_t candidates = g.candidates_in_tile(query0 + r, key0);
    kernels::tiles::exp_row(row, candidates, g.scale, log_sum_exp[r] / g.scale, row);
    std::fill(row + candidates, row + kTile, 0.0f);
  }
}

// Where one pair of tiles is in the backward pass.
struct TilePair {
  int64_t head, query_tile, key_tile;
  int64_t query0, rows;  // the query tile's first row and row count
  int64_t key0, keys;    // the key tile's
  bool diagonal;
};

// The pair's four products in fp32 (docs/design.md §5.2):
//   A from S = Q Kᵀ;  dV += Aᵀ dO;  dP = dO Vᵀ, then dS;  dK += dSᵀ Q;  dQ = dS K.
void backward_tile_pair_fp32(const BackwardOperands& in, const Geometry& g, const TilePair& pair,
                             BackwardScratch& scratch) {
  const int64_t head_offset = pair.head * g.head_size();
  const float* queries = in.q + head_offset + pair.query0 * g.dim;
  const float* out_grads = in.out_grad + head_offset + pair.query0 * g.dim;
  float* probabilities = scratch.probabilities.data();
  float* score_grads = scratch.score_grads.data();
  // On the diagonal, the products over query rows skip the keys after the
  // row, and those over key rows the queries before it.
  const Triangle scores = pair.diagonal ? Triangle::lower_output : Triangle::none;
  const Triangle by_query = pair.diagonal ? Triangle::lower_left : Triangle::none;
  const Triangle by_key = pair.diagonal ? Triangle::upper_left : Triangle::none;
  score_tile(queries, pair.rows, panel_of(in.key_panels, g, pair.head, pair.key_tile), g, probabilities, scores);
  probabilities_from_scores(pair.rows, pair.query0, pair.key0, in.log_sum_exp + pair.head * g.time + pair.query0, g,
                            probabilities);
  flash::multiply_tile({.rows = pair.keys, .inner = pair.rows, .width = g.dim,
                        .a = probabilities, .a_row_stride = 1, .a_inner_stride = kTile,
                        .b = out_grads, .b_row_stride = g.dim,
                        .c = scratch.value_grads.data(), .c_row_stride = g.dim, .accumulate = true},
                       by_key);
  score_tile(out_grads, pair.rows, panel_of(in.value_panels, g, pair.head, pair.key_tile), g, score_grads, scores);
  score_grad_tile(probabilities, in.out_dot_grad + pair.head * g.time + pair.query0, pair.rows, pair.query0, pair.key0,
                  g, score_grads);
  flash::multiply_tile({.rows = pair.keys, .inner = pair.rows, .width = g.dim,
                        .a = score_grads, .a_row_stride = 1, .a_inner_stride = kTile,
                        .b = queries, .b_row_stride = g.dim,
                        .c = scratch.key_grads.data(), .c_row_stride = g.dim, .accumulate = true},
                       by_key);
  flash::multiply_tile({.rows = pair.rows, .inner = pair.keys, .width = g.dim,
                        .a = score_grads, .a_row_stride = kTile, .a_inner_stride = 1,
                        .b = in.k + head_offset + pair.key0 * g.dim, .b_row_stride = g.dim,
                        .c = scratch.query_grads.data(), .c_row_stride = g.dim, .accumulate = false},
                       by_query);
}

// The same products on the bf16 panels, A and dS rounded to bf16 after they
// are computed in fp32; the key tile's gradients accumulate transposed
// (dVᵀ += dOᵀ A, dKᵀ += Qᵀ dS), so that A and dS serve as right operands
// in the layout pack_row_pairs makes cheaply (bfloat16_panels.h).
void backward_tile_pair_bf16(const BackwardOperands& in, const Geometry& g, const TilePair& pair,
                             BackwardScratch& scratch) {
  const BackwardBfloat16Panels& panels = *in.bf16;
  float* probabilities = scratch.probabilities.data();
  float* score_grads = scratch.score_grads.data();
  const Triangle scores = pair.diagonal ? Triangle::lower_output : Triangle::none;
  const Triangle by_query = pair.diagonal ? Triangle::lower_left : Triangle::none;
  const Triangle by_key = pair.diagonal ? Triangle::upper_right : Triangle::none;
  flash::score_tile(panels.queries, panels.keys, g, pair.head, pair.query_tile, pair.key_tile, probabilities, scores);
  probabilities_from_scores(pair.rows, pair.query0, pair.key0, in.log_sum_exp + pair.head * g.time + pair.query0, g,
                            probabilities);
  flash::pack_row_pairs(probabilities, pair.rows, kTile, kTile, scratch.probability_pairs.data());
  flash::multiply_tile({.rows = g.dim, .inner = in_pairs(pair.rows), .width = pair.keys,
                        .a = panels.transposed_out_grads.of(pair.head, pair.query_tile), .a_row_stride = kTile,
                        .b = scratch.probability_pairs.data(), .b_pair_row_stride = 2 * kTile,
                        .c = scratch.value_grads.data(), .c_row_stride = kTile, .accumulate = true},
                       by_key);
  flash::score_tile(panels.out_grads, panels.values, g, pair.head, pair.query_tile, pair.key_tile, score_grads, scores);
  score_grad_tile(probabilities, in.out_dot_grad + pair.head * g.time + pair.query0, pair.rows, pair.query0, pair.key0,
                  g, score_grads);
  flash::pack_row_pairs(score_grads, pair.rows, kTile, kTile, scratch.score_grad_pairs.data());
  kernels::to_bfloat16(score_grads, scratch.score_grad_halves.data(), pair.rows * kTile);
  flash::multiply_tile({.rows = g.dim, .inner = in_pairs(pair.rows), .width = pair.keys,
                        .a = panels.transposed_queries.of(pair.head, pair.query_tile), .a_row_stride = kTile,
                        .b = scratch.score_grad_pairs.data(), .b_pair_row_stride = 2 * kTile,
                        .c = scratch.key_grads.data(), .c_row_stride = kTile, .accumulate = true},
                       by_key);
  flash::multiply_tile({.rows = pair.rows, .inner = in_pairs(pair.keys), .width = g.dim,
                        .a = scratch.score_grad_halves.data(), .a_row_stride = kTile,
                        .b = panels.key_rows.of(pair.head, pair.key_tile),
                        .b_pair_row_stride = panels.key_rows.row_stride(),
                        .c = scratch.query_grads.data(), .c_row_stride = g.dim, .accumulate = false},
                       by_query);
}

// One key tile of one head against every query tile that sees it (docs/design.md
// §5.2, §5.1): recompute A from the saved log-sum-exp, then
//   dV_j += Σ_i A_ij dO_i,  dS_ij = A_ij (dO_i·v_j − D_i),
//   dK_j += s Σ_i dS_ij q_i,  dQ_i += s Σ_j dS_ij k_j (into this chunk's buffer, unscaled;
//   the chunk's first key tile writes the buffer's rows rather than adding to them).
void backward_key_tile(const BackwardOperands& in, const Geometry& g, int64_t head, int64_t key_tile,
                       bool first_of_chunk, float* query_grads, BackwardScratch& scratch) {
  const int64_t key0 = key_tile * kTile, keys = g.rows_in_tile(key_tile);
  const int64_t head_offset = head * g.head_size();
  std::fill(scratch.key_grads.begin(), scratch.key_grads.end(), 0.0f);
  std::fill(scratch.value_grads.begin(), scratch.value_grads.end(), 0.0f);

  for (int64_t query_tile = g.first_query_tile_seeing(key_tile); query_tile < g.tiles(); ++query_tile) {
    const int64_t query0 = query_tile * kTile, rows = g.rows_in_tile(query_tile);
    const TilePair pair{.head = head, .query_tile = query_tile, .key_tile = key_tile, .query0 = query0, .rows = rows,
                        .key0 = key0, .keys = keys, .diagonal = g.on_diagonal(query_tile, key_tile)};
    if (in.bf16)
      backward_tile_pair_bf16(in, g, pair, scratch);
    else
      backward_tile_pair_fp32(in, g, pair, scratch);
    if (first_of_chunk)
      std::copy_n(scratch.query_grads.data(), rows * g.dim, query_grads + query0 * g.dim);
    else
      add_into(query_grads + query0 * g.dim, scratch.query_grads.data(), rows * g.dim);
  }

  if (in.bf16) {
    put_transposed_gradient(in.key_grad, head_offset + key0 * g.dim, g.scale, scratch.key_grads.data(), keys, g.dim);
    put_transposed_gradient(in.value_grad, head_offset + key0 * g.dim, 1.0f, scratch.value_grads.data(), keys, g.dim);
    return;
  }
  put_gradient(in.key_grad, head_offset + key0 * g.dim, g.scale, scratch.key_grads.data(), keys * g.dim);
  put_gradient(in.value_grad, head_offset + key0 * g.dim, 1.0f, scratch.value_grads.data(), keys * g.dim);
}

// The panels of one tile: Kᵀ and Vᵀ in fp32, or all seven bf16 layouts.
void pack_panels(const BackwardOperands& in, const Geometry& g, int64_t head, int64_t tile, float* packing) {
  if (!in.bf16) {
    pack_transposed_panel(in.k, g, head, tile, in.key_panels);
    pack_transposed_panel(in.v, g, head, tile, in.value_panels);
    return;
  }
  const BackwardBfloat16Panels& panels = *in.bf16;
  panels.queries.pack(in.q, head, tile, packing);
  panels.transposed_queries.pack(in.q, head, tile, packing);
  panels.keys.pack(in.k, head, tile, packing);
  panels.key_rows.pack(in.k, head, tile, packing);
  panels.values.pack(in.v, head, tile, packing);
  panels.out_grads.pack(in.out_grad, head, tile, packing);
  panels.transposed_out_grads.pack(in.out_grad, head, tile, packing);
}

// What the key-tile items read besides the inputs, for one tile of one head:
// its panels, and D_i = dO_i·o_i for the tile's rows.
void prepare_tile(const BackwardOperands& in, const Geometry& g, int64_t head, int64_t tile, float* packing) {
  pack_panels(in, g, head, tile, packing);
  const int64_t row0 = head * g.time + tile * kTile;
  for (int64_t row = row0; row < row0 + g.rows_in_tile(tile); ++row) {
    float dot = 0.0f;
    for (int64_t c = 0; c < g.dim; ++c) dot += in.out[row * g.dim + c] * in.out_grad[row * g.dim + c];
    in.out_dot_grad[row] = dot;
  }
}

// dQ += s Σ_chunks part for one query tile of one head, summed in chunk
// order over the chunks that met the tile.
void sum_query_grads(const BackwardOperands& in, const Geometry& g, const KeyChunks& chunks, int64_t head,
                     int64_t query_tile) {
  const int64_t elements = g.heads * g.head_size();
  const int64_t begin = head * g.head_size() + query_tile * kTile * g.dim;
  const int64_t end = begin + g.rows_in_tile(query_tile) * g.dim;
  for (int64_t e = begin; e < end; ++e) {
    float total = 0.0f;
    for (int64_t chunk = 0; chunk < chunks.count(); ++chunk)
      if (chunks.meets(g, chunk, query_tile)) total += in.query_grad_parts[chunk * elements + e];
    put_gradient(in.query_grad, e, g.scale, &total, 1);
  }
}

// One parallel region, its steps separated by the barriers of its loops:
// prepare every tile, run the (chunk, head) items, sum the dQ parts.
void backward(const BackwardOperands& in, const Geometry& g, const KeyChunks& chunks) {
  const int64_t tiles = g.heads * g.tiles(), items = chunks.count() * g.heads;
#pragma omp parallel
  {
    BackwardScratch scratch(g.dim);
#pragma omp for schedule(static)
    for (int64_t tile = 0; tile < tiles; ++tile)
      prepare_tile(in, g, tile / g.tiles(), tile % g.tiles(), scratch.packing.data());

#pragma omp for schedule(dynamic, 1)
    for (int64_t item = 0; item < items; ++item) {
      const int64_t chunk = item / g.heads, head = item % g.heads;
      float* query_grads = in.query_grad_parts + (chunk * g.heads + head) * g.head_size();
      for (int64_t key_tile = chunks.bounds[chunk]; key_tile < chunks.bounds[chunk + 1]; ++key_tile)
        backward_key_tile(in, g, head, key_tile, key_tile == chunks.bounds[chunk], query_grads, scratch);
    }

#pragma omp for schedule(static)
    for (int64_t tile = 0; tile < tiles; ++tile) sum_query_grads(in, g, chunks, tile / g.tiles(), tile % g.tiles());
  }
}

void backward(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& out, const Tensor& log_sum_exp,
              const Geometry& g, bool bf16) {
  std::optional<BackwardBfloat16Panels> panels;
  if (bf16) panels.emplace(g);
  const KeyChunks chunks = split_key_tiles(g, chunks_per_head(g));
  std::vector<float> out_dot_grads(g.heads * g.time);
  const Tensor query_grad_parts = Tensor::empty({chunks.count(), g.heads, g.time, g.dim});
  // Two of q, k, v that are one tensor share a gradient buffer, which must then be added to.
  const bool distinct = !q.same_as(k) && !q.same_as(v) && !k.same_as(v);
  const auto sink = [distinct](const Tensor& x) {
    return distinct ? x.grad_sink() : Tensor::GradSink{x.grad(), false};
  };
  backward({.q = q.data(), .k = k.data(), .v = v.data(), .out = out.data(), .out_grad = out.grad(),
            .log_sum_exp = log_sum_exp.data(), .key_panels = bf16 ? Tensor() : empty_panels(g),
            .value_panels = bf16 ? Tensor() : empty_panels(g), .bf16 = panels ? &*panels : nullptr,
            .out_dot_grad = out_dot_grads.data(), .query_grad_parts = query_grad_parts.data(),
            .query_grad = sink(q), .key_grad = sink(k), .value_grad = sink(v)},
           g, chunks);
}

struct ExactAttentionNode : Node {
  ExactAttentionNode(Tensor q_, Tensor k_, Tensor v_, Tensor out_, Tensor log_sum_exp_, Geometry geometry_,
                     bool bf16_)
      : q(std::move(q_)), k(std::move(k_)), v(std::move(v_)), out(std::move(out_)),
        log_sum_exp(std::move(log_sum_exp_)), geometry(geometry_), bf16(bf16_) {}
  void backward() override {
    if (!out.has_grad()) return;
    const TimedPhase timed(&AttentionTimes::exact);
    attention::backward(q, k, v, out, log_sum_exp, geometry, bf16);
  }
  std::string_view name() const override { return "exact_attention"; }
  Tensor q, k, v, out, log_sum_exp;
  Geometry geometry;
  bool bf16;  // the products' operands in bf16, as in the forward
};

// The geometry of a call, after checking its shapes.
Geometry geometry_of(const Tensor& q, const Tensor& k, const Tensor& v, bool causal) {
  const Shape& shape = q.shape();
  require(shape.rank() == 4 && shape[2] >= 1 && shape[3] >= 1,
          "exact_attention: need q of shape [B, H, T, d] with T, d >= 1, got " + shape.to_string());
  require(k.shape() == shape && v.shape() == shape,
          "exact_attention: q, k, v must share one shape, got " + shape.to_string() + ", " + k.shape().to_string() +
              ", " + v.shape().to_string());
  return {.heads = shape[0] * shape[1], .time = shape[2], .dim = shape[3], .causal = causal,
          .scale = 1.0f / std::sqrt(static_cast<float>(shape[3]))};
}

}  // namespace

Tensor exact_attention(const Tensor& q, const Tensor& k, const Tensor& v, bool causal, Precision precision) {
  const TimedPhase timed(&AttentionTimes::exact);
  const Geometry g = geometry_of(q, k, v, causal);
  const bool bf16 = precision == Precision::bf16 && kernels::tiles::has_fast_bfloat16_tiles();
  std::optional<ForwardBfloat16Panels> panels;
  if (bf16) panels.emplace(g);
  const Shape& shape = q.shape();
  Tensor out = Tensor::empty(shape);
  Tensor log_sum_exp = Tensor::empty({shape[0], shape[1], shape[2]});
  forward({.q = q.data(), .k = k.data(), .v = v.data(), .key_panels = bf16 ? Tensor() : empty_panels(g),
           .bf16 = panels ? &*panels : nullptr, .out = out.data(), .log_sum_exp = log_sum_exp.data()},
          g);
  if (needs_grad({&q, &k, &v})) record<ExactAttentionNode>(out, q, k, v, out, log_sum_exp, g, bf16);
  return out;
}

void add_exact_attention_gradient(const Tensor& q, const Tensor& k, const Tensor& v, const float* out_grad,
                                  bool causal, float* query_grad, float* key_grad, float* value_grad) {
  const Geometry g = geometry_of(q, k, v, causal);
  const Shape& shape = q.shape();
  const Tensor out = Tensor::empty(shape);
  const Tensor log_sum_exp = Tensor::empty({shape[0], shape[1], shape[2]});
  forward({.q = q.data(), .k = k.data(), .v = v.data(), .key_panels = empty_panels(g), .bf16 = nullptr,
           .out = out.data(), .log_sum_exp = log_sum_exp.data()},
          g);
  const KeyChunks chunks = split_key_tiles(g, chunks_per_head(g));
  std::vector<float> out_dot_grads(g.heads * g.time);
  const Tensor query_grad_parts = Tensor::empty({chunks.count(), g.heads, g.time, g.dim});
  backward({.q = q.data(), .k = k.data(), .v = v.data(), .out = out.data(), .out_grad = out_grad,
            .log_sum_exp = log_sum_exp.data(), .key_panels = empty_panels(g), .value_panels = empty_panels(g),
            .bf16 = nullptr, .out_dot_grad = out_dot_grads.data(), .query_grad_parts = query_grad_parts.data(),
            .query_grad = {query_grad, false}, .key_grad = {key_grad, false}, .value_grad = {value_grad, false}},
           g, chunks);
}

}  // namespace knnformer::attention
