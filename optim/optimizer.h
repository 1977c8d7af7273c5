#pragma once
// Optimizers update a model's parameters from their gradients.
//
//   AdamW optimizer(model.parameters(), options, GPT::is_decayed);
//   ... backward(loss); clip_gradients(...);
//   optimizer.step(schedule.at(step));
//
// Weight decay is decoupled (Loshchilov & Hutter) and applied only to the
// parameters the decay rule selects; for GPT that is the matrices of the
// linear layers, not biases, LayerNorm parameters or embeddings.
// state() exposes the optimizer's tensors by name for checkpoints, and
// steps_taken() the step count (AdamW's bias correction depends on it).
#include <array>
#include <functional>
#include <memory>
#include <string>

#include "core/enum_names.h"
#include "core/parameter_list.h"

namespace knnformer {

enum class OptimizerKind { adamw, sgd };
constexpr std::array<EnumName<OptimizerKind>, 2> kOptimizerKindNames{
    {{OptimizerKind::adamw, "adamw"}, {OptimizerKind::sgd, "sgd"}}};
constexpr const auto& enum_names(OptimizerKind) { return kOptimizerKindNames; }

using DecayRule = std::function<bool(const NamedParameter&)>;

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  virtual void step(double lr) = 0;
  // The state tensors by name ("<kind>.<parameter name>"), to save or restore in place.
  virtual ParameterList state() const = 0;
  int64_t steps_taken() const { return steps_taken_; }
  void set_steps_taken(int64_t steps) { steps_taken_ = steps; }

 protected:
  int64_t steps_taken_ = 0;
};

struct AdamWOptions {
  double beta1 = 0.9, beta2 = 0.95, epsilon = 1e-8, weight_decay = 0.1;
};

struct SgdOptions {
  double momentum = 0.9, weight_decay = 0.0;
  bool nesterov = false;
};

std::unique_ptr<Optimizer> make_adamw(const ParameterList& parameters, const AdamWOptions& options,
                                      const DecayRule& decays);
std::unique_ptr<Optimizer> make_sgd(const ParameterList& parameters, const SgdOptions& options,
                                    const DecayRule& decays);

}  // namespace knnformer
