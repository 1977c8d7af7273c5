#include "train/trainer.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "core/autograd.h"
#include "core/gemm.h"
#include "core/ops/elementwise.h"
#include "optim/gradient_clipping.h"
#include "train/evaluation.h"
#include "train/number_text.h"

namespace knnformer {

namespace {

// Why a diverged state ends the run, and what is left of it.
constexpr std::string_view kDivergedRun =
    "; the run stops and writes no checkpoint of this state, so the newest checkpoint stays the last good one "
    "(a lower lr or a grad-clip may keep training finite)";

std::unique_ptr<Optimizer> make_optimizer(const RunConfig& config, const ParameterList& parameters) {
  if (config.optimizer == OptimizerKind::sgd)
    return make_sgd(parameters,
                    {.momentum = config.momentum, .weight_decay = config.weight_decay, .nesterov = config.nesterov},
                    GPT::is_decayed);
  return make_adamw(parameters, {.beta1 = config.beta1, .beta2 = config.beta2, .weight_decay = config.weight_decay},
                    GPT::is_decayed);
}

// The micro-batches of each step that one process of the group computes.
int64_t micro_batches_per_process(const RunConfig& config, const ProcessGroup& group) {
  const int64_t total = config.micro_batches_per_step();
  require(total % group.size() == 0,
          "grad-accum " + std::to_string(config.grad_accum) + " x processes " + std::to_string(config.processes) +
              " = " + std::to_string(total) + " micro-batches per step cannot be shared by " +
              std::to_string(group.size()) + " processes (use a process count that divides " +
              std::to_string(total) + ")");
  return total / group.size();
}

}  // namespace

Trainer::Trainer(const RunConfig& config, const std::shared_ptr<const TokenDataset>& dataset,
                 const ProcessGroup& group)
    : config_(config),
      precision_(gemm::usable_precision(config.precision)),
      group_(group),
      model_((config.validate(), config.model(dataset->header().vocab_size)), config.seed),
      optimizer_(make_optimizer(config, model_.parameters())),
      schedule_(config.schedule()),
      train_batches_(dataset, Split::train, {.rows = config.batch, .context = config.context, .seed = config.seed}),
      eval_batches_(read_eval_batches(dataset, config.batch, config.context, config.eval_batches)),
      measures_accuracy_(dataset->has_loss_mask()),
      micro_batches_here_(micro_batches_per_process(config, group)),
      gradient_(model_.parameters(), micro_batches_here_) {}

double Trainer::micro_step(const Batch& batch, int64_t micro) {
  double loss_value = 0;
  {
    const ArenaScope activations(arena_);
    const ForwardContext context{.seed = config_.seed,
                                 .step = static_cast<uint64_t>(step_),
                                 .micro_step = static_cast<uint64_t>(micro),
                                 .training = true,
                                 .precision = precision_};
    const Tensor loss = model_.loss(batch.inputs, batch.targets, batch.rows, batch.context, context);
    loss_value = loss.item();
    const int64_t micro_batches = config_.micro_batches_per_step();
    backward(micro_batches == 1 ? loss : ops::scale(loss, 1.0f / static_cast<float>(micro_batches)));
  }
  arena_.reset();
  return loss_value;
}

StepResult Trainer::train_step() {
  const int64_t micro_batches = config_.micro_batches_per_step();
  const int64_t first = group_.rank() * micro_batches_here_, end = first + micro_batches_here_;
  double loss_sum = 0;
  for (int64_t micro = first; micro < end; ++micro) {
    const int64_t batch = step_ * micro_batches + micro;
    const int64_t next_batch = micro + 1 < end ? batch + 1 : (step_ + 1) * micro_batches + first;
    loss_sum += micro_step(train_batches_.get(batch, next_batch), micro);
    gradient_.add_micro_batch();
  }
  const GradientSumTimes gradient_sum = gradient_.finish(group_);
  group_.sum(std::span(&loss_sum, 1));
  const ParameterList& parameters = model_.parameters();
  const double grad_norm = clip_gradients(parameters, config_.grad_clip);
  const double train_loss = loss_sum / static_cast<double>(micro_batches);
  require_finite_step(train_loss, grad_norm);
  const double lr = schedule_.at(step_);
  optimizer_->step(lr);
  for (const auto& parameter : parameters) parameter.tensor.zero_grad();
  ++step_;
  return {.step = step_,
          .train_loss = train_loss,
          .grad_norm = grad_norm,
          .lr = lr,
          .gradient_sum = gradient_sum};
}

void Trainer::require_finite_step(double train_loss, double grad_norm) const {
  if (std::isfinite(train_loss) && std::isfinite(grad_norm)) return;
  throw Error("step " + std::to_string(step_ + 1) + ": the training loss is " + printed("%g", train_loss) +
              " and the gradient norm " + printed("%g", grad_norm) + ", before its update" + std::string(kDivergedRun));
}

Evaluation Trainer::evaluate() {
  const Evaluation result = knnformer::evaluate(model_, eval_batches_, arena_, measures_accuracy_, precision_, group_);
  if (std::isfinite(result.loss)) return result;
  throw Error("step " + std::to_string(step_) + ": the val loss is " + printed("%g", result.loss) +
              std::string(kDivergedRun));
}

ModelFidelity Trainer::measure_fidelity() {
  return measure_model_fidelity(model_, eval_batches_.front(), config_.seed, arena_);
}

void Trainer::initialise_from(const GPT& model, const std::string& source) {
  const ParameterList& from = model.parameters();
  const ParameterList& into = model_.parameters();
  require(from.size() == into.size(), "--init-from " + source + ": a model of " + std::to_string(from.size()) +
                                          " parameters, this run's has " + std::to_string(into.size()));
  for (size_t i = 0; i < into.size(); ++i) {
    const Tensor& source_tensor = from[i].tensor;
    require(from[i].name == into[i].name && source_tensor.shape() == into[i].tensor.shape(),
            "--init-from " + source + ": its parameter " + from[i].name + " " + source_tensor.shape().to_string() +
                " does not fit this run's " + into[i].name + " " + into[i].tensor.shape().to_string() +
                (from[i].name.starts_with("wpe") ? " (learned positions fix the context; rotary ones do not)" : ""));
    std::copy_n(source_tensor.data(), source_tensor.numel(), into[i].tensor.data());
  }
}

void Trainer::save(const std::filesystem::path& path) const {
  const CheckpointInfo info{.step = step_,
                            .tokens = tokens(),
                            .seed = config_.seed,
                            .optimizer_steps = optimizer_->steps_taken(),
                            .loader_seed = config_.seed,
                            .loader_step = step_ * config_.micro_batches_per_step(),
                            .training_ms = static_cast<int64_t>(std::llround(training_seconds_ * 1000.0)),
                            .processes = group_.size(),
                            .vocab_size = model_.config().vocab_size,
                            .data = config_.data,
                            .config = to_ini(config_)};
  save_checkpoint(path, info, model_.parameters(), optimizer_->state());
}

void Trainer::restore(const CheckpointReader& reader) {
  const CheckpointInfo& info = reader.info();
  const std::string where = reader.path().string();
  require_fit(info.vocab_size == model_.config().vocab_size,
          where + ": the model's vocabulary is " + std::to_string(info.vocab_size) + " but " + config_.data +
              " has vocab_size " + std::to_string(model_.config().vocab_size));
  require(info.seed == config_.seed && info.loader_seed == config_.seed,
          where + ": seed " + std::to_string(info.seed) + " differs from the config's " + std::to_string(config_.seed));
  require(info.loader_step == info.step * config_.micro_batches_per_step(),
          where + ": loader_step " + std::to_string(info.loader_step) + " does not match step " +
              std::to_string(info.step) + " × grad-accum " + std::to_string(config_.grad_accum) + " × processes " +
              std::to_string(config_.processes));
  reader.load("parameters", model_.parameters());
  reader.load("optimizer", optimizer_->state());
  optimizer_->set_steps_taken(info.optimizer_steps);
  step_ = info.step;
  training_seconds_ = static_cast<double>(info.training_ms) / 1000.0;
}

void Trainer::share_state_of_root() {
  if (!group_.distributed()) return;
  for (const auto& list : {model_.parameters(), optimizer_->state()})
    for (const auto& named : list) group_.broadcast(std::span(named.tensor.data(), named.tensor.numel()));
  std::array<int64_t, 3> counters{step_, optimizer_->steps_taken(),
                                  static_cast<int64_t>(std::llround(training_seconds_ * 1000.0))};
  group_.broadcast(counters);
  step_ = counters[0];
  optimizer_->set_steps_taken(counters[1]);
  training_seconds_ = static_cast<double>(counters[2]) / 1000.0;
}

}  // namespace knnformer
