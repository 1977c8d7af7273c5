#pragma once
// The number format of the model's matrix products, chosen per run
// (`precision` in train/run_config.h; docs/design.md §2.5).
//
//   fp32  every product in fp32.
//   bf16  the linear layers' products (and the LM head's) take bfloat16
//         operands and accumulate in fp32 (core/gemm.h), and so do exact
//         attention's tile products where the CPU has a bf16 dot product
//         (layers/attention/exact_attention.h); their outputs, the weights,
//         the gradients, the optimizer state, LayerNorm, the softmax's
//         statistics, the approximate attention modes and the loss stay
//         fp32. This is mixed precision as PyTorch's CPU autocast does it for
//         linear layers and scaled_dot_product_attention.
#include <array>

#include "core/enum_names.h"

namespace knnformer {

enum class Precision { fp32, bf16 };
constexpr std::array<EnumName<Precision>, 2> kPrecisionNames{{{Precision::fp32, "fp32"}, {Precision::bf16, "bf16"}}};
constexpr const auto& enum_names(Precision) { return kPrecisionNames; }

}  // namespace knnformer
