#include "core/arena.h"
#include "core/kernels/optimizer_update.h"
#include "optim/optimizer.h"

namespace knnformer {

namespace {

class Sgd : public Optimizer {
 public:
  Sgd(const ParameterList& parameters, const SgdOptions& options, const DecayRule& decays)
      : parameters_(parameters), options_(options) {
    const HeapScope long_lived;
    for (const auto& parameter : parameters) {
      momentum_buffers_.push_back({"sgd.momentum." + parameter.name, Tensor::zeros(parameter.tensor.shape())});
      decayed_.push_back(decays(parameter));
    }
  }

  void step(double lr) override {
    ++steps_taken_;
    for (size_t i = 0; i < parameters_.size(); ++i) {
      const Tensor& p = parameters_[i].tensor;
      const float decay = decayed_[i] ? static_cast<float>(options_.weight_decay) : 0.0f;
      kernels::sgd_update(p.data(), p.grad(), momentum_buffers_[i].tensor.data(), p.numel(), static_cast<float>(lr),
                          static_cast<float>(options_.momentum), options_.nesterov, decay);
    }
  }

  ParameterList state() const override { return momentum_buffers_; }

 private:
  ParameterList parameters_;
  SgdOptions options_;
  ParameterList momentum_buffers_;
  std::vector<bool> decayed_;
};

}  // namespace

std::unique_ptr<Optimizer> make_sgd(const ParameterList& parameters, const SgdOptions& options,
                                    const DecayRule& decays) {
  return std::make_unique<Sgd>(parameters, options, decays);
}

}  // namespace knnformer
