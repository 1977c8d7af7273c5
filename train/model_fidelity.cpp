#include "train/model_fidelity.h"

#include "core/autograd.h"
#include "core/error.h"
#include "core/rng.h"
#include "layers/attention/measurement/attention_recorder.h"

namespace knnformer {

namespace {

using attention::AttentionFidelity;

// The first stream id of the upstream gradients ("fidelity" in ASCII): a
// stream of its own, apart from the ids that training's draws start with.
constexpr uint64_t kFidelityStream = 0x6669'6465'6c69'7479;

struct Figure {
  const char* column;
  double AttentionFidelity::*value;
};

constexpr Figure kFigures[] = {{"fidelity_out", &AttentionFidelity::output_error},
                               {"fidelity_dq", &AttentionFidelity::query_grad_error},
                               {"fidelity_dk", &AttentionFidelity::key_grad_error},
                               {"fidelity_dv", &AttentionFidelity::value_grad_error},
                               {"fidelity_recall", &AttentionFidelity::recall},
                               {"fidelity_tail_work", &AttentionFidelity::tail_work}};

}  // namespace

AttentionFidelity ModelFidelity::mean() const {
  require(!layers.empty(), "ModelFidelity::mean: no layers");
  AttentionFidelity mean;
  for (const Figure& figure : kFigures) {
    double sum = 0;
    for (const AttentionFidelity& layer : layers) sum += layer.*figure.value;
    mean.*figure.value = sum / static_cast<double>(layers.size());
  }
  return mean;
}

ModelFidelity measure_model_fidelity(const GPT& model, const Batch& batch, uint64_t seed, Arena& arena) {
  const ForwardContext context{.seed = seed, .training = false};
  const AttentionOptions& options = model.config().attention;
  ModelFidelity fidelity;
  {
    const ArenaScope activations(arena);
    const std::vector<attention::RecordedAttention> calls = attention::record_attention_inputs([&] {
      const NoGrad inference;
      model.forward(batch.inputs, batch.rows, batch.context, context);
    });
    for (const attention::RecordedAttention& recorded : calls) {
      const Tensor out_grad = Tensor::empty(recorded.q.shape());
      CounterRng(seed, {kFidelityStream, static_cast<uint64_t>(recorded.call.layer)})
          .fill_normal(out_grad.data(), out_grad.numel(), 0.0f, 1.0f);
      fidelity.layers.push_back(attention::measure_attention_fidelity(recorded.q, recorded.k, recorded.v, out_grad,
                                                                      options, recorded.call));
    }
  }
  arena.reset();
  return fidelity;
}

std::vector<std::string> fidelity_columns(int64_t layers) {
  std::vector<std::string> columns;
  for (const Figure& figure : kFigures) columns.emplace_back(figure.column);
  for (const Figure& figure : kFigures)
    for (int64_t layer = 0; layer < layers; ++layer)
      columns.push_back(std::string(figure.column) + '.' + std::to_string(layer));
  return columns;
}

ExtraValues fidelity_cells(const std::optional<ModelFidelity>& fidelity, int64_t layers) {
  if (!fidelity) return ExtraValues(fidelity_columns(layers).size());
  require(static_cast<int64_t>(fidelity->layers.size()) == layers,
          "fidelity_cells: " + std::to_string(fidelity->layers.size()) + " layers measured, " +
              std::to_string(layers) + " expected");
  ExtraValues cells;
  const AttentionFidelity mean = fidelity->mean();
  for (const Figure& figure : kFigures) cells.emplace_back(mean.*figure.value);
  for (const Figure& figure : kFigures)
    for (const AttentionFidelity& layer : fidelity->layers) cells.emplace_back(layer.*figure.value);
  return cells;
}

}  // namespace knnformer
