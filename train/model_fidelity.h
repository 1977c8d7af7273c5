#pragma once
// Model fidelity: the attention fidelity (layers/attention/measurement/attention_fidelity.h)
// of every layer of a model on one batch, and its columns in metrics.csv:
// what `knnformer train --fidelity-every N` logs every N steps.
//
//   const ModelFidelity fidelity = measure_model_fidelity(model, batch, seed, arena);
//   fidelity.layers[i].output_error     // layer i's attention output against exact attention
//   MetricsLog log(path, fidelity_columns(n_layer));
//   log.append(row, fidelity_cells(fidelity, n_layer));   // std::nullopt: a row without it
//
// The model reads the batch once, without dropout or gradients, and each
// layer's attention inputs are recorded (attention_recorder.h): the layer's
// actual q, k, v, shaped by the approximate attention of the layers below.
// Then each layer's configured attention is compared with exact attention
// on them, forward and backward.
//
// Randomness: the forward is keyed by (seed, step 0, micro-step 0) whatever
// the training step, so every measurement draws the same samples given the
// same weights: rows differ only by what training did to the weights. The
// upstream gradient of layer i's two backward passes is one fixed standard
// normal dO from the counter RNG keyed by (seed, kFidelityStream, i), the
// same at every measurement. Not the loss's own gradient: that needs a
// backward pass through the whole model, which would write the parameters'
// gradients, and it would itself depend on the approximate attention of the
// layers above; a random direction also weighs every output coordinate alike.
//
// Training does not notice: the parameters and their gradients are not
// touched, no loader or training RNG stream is read (the counter RNG has no
// state to consume), the attention diagnostics keep their totals, and the
// activations live in `arena`, which is reset before returning. A run's
// losses are the same, bit for bit, with and without fidelity.
//
// metrics.csv columns after the standard ones (only when fidelity-every > 0):
//   fidelity_out, fidelity_dq, fidelity_dk, fidelity_dv   relative L2 errors of O, dQ, dK, dV
//   fidelity_recall                                       the kNN index's recall@k
//   fidelity_tail_work                                    tail keys scored per lazy-Gumbel sample
// each the mean over the layers; then the same per layer, named FIGURE.LAYER
// and grouped by figure: fidelity_out.0 ... fidelity_out.<n_layer-1>,
// fidelity_dq.0, ... Rows where fidelity did not run have empty cells there.
// An exact-attention run logs errors 0, recall 1 and tail work 0.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/arena.h"
#include "data/batch_loader.h"
#include "layers/attention/measurement/attention_fidelity.h"
#include "layers/gpt.h"
#include "train/metrics_log.h"

namespace knnformer {

struct ModelFidelity {
  std::vector<attention::AttentionFidelity> layers;  // in layer order

  // Each figure's mean over the layers.
  attention::AttentionFidelity mean() const;
};

ModelFidelity measure_model_fidelity(const GPT& model, const Batch& batch, uint64_t seed, Arena& arena);

// The extra metrics.csv columns of a model of this many layers.
std::vector<std::string> fidelity_columns(int64_t layers);

// A row's values of those columns; all empty when the row has no fidelity.
ExtraValues fidelity_cells(const std::optional<ModelFidelity>& fidelity, int64_t layers);

}  // namespace knnformer
