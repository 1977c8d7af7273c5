#pragma once
// Global gradient-norm clipping: if ‖g‖₂ over all parameters exceeds
// max_norm, every gradient is scaled by max_norm / ‖g‖₂.
#include "core/parameter_list.h"

namespace knnformer {

// ‖g‖₂ over every parameter's gradient, summed in double in list order (so
// the result does not depend on the thread count).
double gradient_norm(const ParameterList& parameters);

// Clips when max_norm > 0; returns the norm before clipping.
double clip_gradients(const ParameterList& parameters, double max_norm);

}  // namespace knnformer
