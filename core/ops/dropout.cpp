#include "core/ops/dropout.h"

#include "core/autograd.h"
#include "core/error.h"
#include "core/kernels/blocks.h"
#include "core/rng.h"

namespace knnformer::ops {

namespace {

// Elements per RNG stream. Part of the mask's definition: changing it changes
// every mask (and so the bits of a resumed run), so it is not a tuning knob.
constexpr int64_t kElementsPerMaskBlock = 4096;

// Which elements survive: element i of block b survives when the i-th uniform
// of CounterRng(seed, {stream, b}) is at least p.
struct Mask {
  uint64_t seed;
  uint64_t stream;  // the stream ids folded into one
  float p;

  // out = mask ⊙ in / (1 − p), or out += that when accumulate.
  void apply(const float* in, float* out, int64_t count, bool accumulate) const {
    const float survivor_scale = 1.0f / (1.0f - p);
    kernels::for_each_block(count, kElementsPerMaskBlock, [&](int64_t begin, int64_t end) {
      CounterRng rng(seed, {stream, static_cast<uint64_t>(begin / kElementsPerMaskBlock)});
      for (int64_t i = begin; i < end; ++i) {
        const float kept = rng.uniform() >= p ? in[i] * survivor_scale : 0.0f;
        out[i] = accumulate ? out[i] + kept : kept;
      }
    });
  }
};

uint64_t fold(std::initializer_list<uint64_t> ids) {
  uint64_t folded = mix64(ids.size());
  for (const uint64_t id : ids) folded = mix64(folded ^ mix64(id));
  return folded;
}

// y = m ⊙ x / (1 − p) is linear in x: dx += m ⊙ dy / (1 − p), with m regenerated.
struct DropoutNode : Node {
  DropoutNode(Tensor x_, Tensor y_, Mask mask_) : x(std::move(x_)), y(std::move(y_)), mask(mask_) {}
  void backward() override {
    if (y.has_grad()) mask.apply(y.grad(), x.grad(), x.numel(), true);
  }
  std::string_view name() const override { return "dropout"; }
  Tensor x, y;
  Mask mask;
};

}  // namespace

Tensor dropout(const Tensor& x, float p, bool training, uint64_t seed, std::initializer_list<uint64_t> stream_ids) {
  require(p >= 0.0f && p < 1.0f, "dropout: probability " + std::to_string(p) + " outside [0, 1)");
  if (!training || p == 0.0f) return x;
  const Mask mask{seed, fold(stream_ids), p};
  Tensor y = Tensor::empty(x.shape());
  mask.apply(x.data(), y.data(), x.numel(), false);
  if (needs_grad({&x})) record<DropoutNode>(y, x, y, mask);
  return y;
}

}  // namespace knnformer::ops
