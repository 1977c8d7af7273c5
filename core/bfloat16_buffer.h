#pragma once
// Room for bfloat16 values (core/kernels/bfloat16.h) in a float tensor's
// storage, two halves per float, so that within a step the bf16 copies of
// the mixed-precision products live in the arena like any activation.
//
//   const Bfloat16Buffer halves(count);
//   kernels::to_bfloat16(x, halves.data(), count);
#include <cstdint>

#include "core/tensor.h"

namespace knnformer {

class Bfloat16Buffer {
 public:
  explicit Bfloat16Buffer(int64_t count) : storage_(Tensor::empty({(count + 1) / 2})) {}
  uint16_t* data() const { return reinterpret_cast<uint16_t*>(storage_.data()); }

 private:
  Tensor storage_;
};

}  // namespace knnformer
