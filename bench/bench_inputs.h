#pragma once
// Synthetic queries and keys for the attention benchmarks, with or without
// the cluster structure that a clustered kNN index can use.
//
//   gaussian   independent N(0, 1) entries: no clusters, the hard case for the
//              clustered index (its Cauchy–Schwarz bounds stay loose in 64
//              dimensions) and a softmax whose mass lies mostly in the tail.
//   clustered  N(0, 0.3²) noise around one of round(sqrt(T)/2) centres with
//              N(0, 1) entries, the centres shared by queries and keys (fixed
//              by their own seed), so that each centre holds about 2·sqrt(T)
//              keys, more than k: clusters coarser than the index's.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "core/enum_names.h"
#include "core/rng.h"

namespace knnformer::bench {

enum class InputData { gaussian, clustered };
constexpr std::array<EnumName<InputData>, 2> kInputDataNames{
    {{InputData::gaussian, "gaussian"}, {InputData::clustered, "clustered"}}};
constexpr const auto& enum_names(InputData) { return kInputDataNames; }

// Fills `rows` rows of `dim` values for sequence length `time`: the entries
// from `noise`, and for clustered data each row's centre from `pick`.
inline void fill_inputs(float* values, int64_t rows, int64_t dim, int64_t time, InputData data, CounterRng noise,
                        CounterRng pick) {
  if (data == InputData::gaussian) {
    noise.fill_normal(values, rows * dim, 0.0f, 1.0f);
    return;
  }
  const int64_t centres = std::max<int64_t>(1, std::llround(std::sqrt(double(time)) / 2));
  std::vector<float> centre_values(centres * dim);
  CounterRng(99, {1}).fill_normal(centre_values.data(), centres * dim, 0.0f, 1.0f);
  noise.fill_normal(values, rows * dim, 0.0f, 0.3f);
  for (int64_t row = 0; row < rows; ++row) {
    const auto centre = static_cast<int64_t>(pick.below(centres));
    for (int64_t c = 0; c < dim; ++c) values[row * dim + c] += centre_values[centre * dim + c];
  }
}

}  // namespace knnformer::bench
