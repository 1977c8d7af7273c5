#include <cmath>

#include "core/arena.h"
#include "core/kernels/optimizer_update.h"
#include "optim/optimizer.h"

namespace knnformer {

namespace {

class AdamW : public Optimizer {
 public:
  AdamW(const ParameterList& parameters, const AdamWOptions& options, const DecayRule& decays)
      : parameters_(parameters), options_(options) {
    const HeapScope long_lived;
    for (const auto& parameter : parameters) {
      first_moments_.push_back({"adamw.m." + parameter.name, Tensor::zeros(parameter.tensor.shape())});
      second_moments_.push_back({"adamw.v." + parameter.name, Tensor::zeros(parameter.tensor.shape())});
      decayed_.push_back(decays(parameter));
    }
  }

  void step(double lr) override {
    ++steps_taken_;
    const double t = static_cast<double>(steps_taken_);
    kernels::AdamWStep step{static_cast<float>(lr),
                            static_cast<float>(options_.beta1),
                            static_cast<float>(options_.beta2),
                            static_cast<float>(options_.epsilon),
                            0.0f,
                            static_cast<float>(1.0 - std::pow(options_.beta1, t)),
                            static_cast<float>(1.0 - std::pow(options_.beta2, t))};
    for (size_t i = 0; i < parameters_.size(); ++i) {
      const Tensor& p = parameters_[i].tensor;
      step.weight_decay = decayed_[i] ? static_cast<float>(options_.weight_decay) : 0.0f;
      kernels::adamw_update(p.data(), p.grad(), first_moments_[i].tensor.data(), second_moments_[i].tensor.data(),
                            p.numel(), step);
    }
  }

  ParameterList state() const override {
    ParameterList all = first_moments_;
    all.insert(all.end(), second_moments_.begin(), second_moments_.end());
    return all;
  }

 private:
  ParameterList parameters_;
  AdamWOptions options_;
  ParameterList first_moments_, second_moments_;
  std::vector<bool> decayed_;
};

}  // namespace

std::unique_ptr<Optimizer> make_adamw(const ParameterList& parameters, const AdamWOptions& options,
                                      const DecayRule& decays) {
  return std::make_unique<AdamW>(parameters, options, decays);
}

}  // namespace knnformer
