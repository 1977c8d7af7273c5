#include <doctest/doctest.h>

#include <cmath>

#include "train/replica_check.h"

using namespace knnformer;

TEST_CASE("replica check: the checksum sees every bit of every parameter, in order") {
  const Tensor a = Tensor::full({4}, 1.0f), b = Tensor::full({2, 3}, -0.5f);
  const ParameterList parameters{{"a", a}, {"b", b}};
  const uint64_t original = parameter_checksum(parameters);
  CHECK(parameter_checksum(parameters) == original);

  b.data()[5] = std::nextafter(-0.5f, 0.0f);  // the last bit of the last element
  CHECK(parameter_checksum(parameters) != original);
  b.data()[5] = -0.5f;
  CHECK(parameter_checksum(parameters) == original);

  CHECK(parameter_checksum({{"b", b}, {"a", a}}) != original);
}

TEST_CASE("replica check: one process has nothing to compare") {
  const Tensor a = Tensor::full({4}, 1.0f);
  CHECK_NOTHROW(require_identical_replicas(ProcessGroup::world(), {{"a", a}}, 10));
}
