#include "optim/gradient_clipping.h"

#include <cmath>

namespace knnformer {

double gradient_norm(const ParameterList& parameters) {
  double sum_of_squares = 0.0;
  for (const auto& parameter : parameters) {
    const float* g = parameter.tensor.grad();
    for (int64_t i = 0; i < parameter.tensor.numel(); ++i) sum_of_squares += double(g[i]) * g[i];
  }
  return std::sqrt(sum_of_squares);
}

double clip_gradients(const ParameterList& parameters, double max_norm) {
  const double norm = gradient_norm(parameters);
  if (max_norm <= 0.0 || norm <= max_norm) return norm;
  const float factor = static_cast<float>(max_norm / norm);
  for (const auto& parameter : parameters) {
    float* g = parameter.tensor.grad();
    for (int64_t i = 0; i < parameter.tensor.numel(); ++i) g[i] *= factor;
  }
  return norm;
}

}  // namespace knnformer
