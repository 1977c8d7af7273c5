#include <doctest/doctest.h>

#include <array>

#include "train/process_group.h"

using namespace knnformer;

// Outside mpirun the group is this process alone: every collective is the
// identity, so the trainer's code path is the same with and without MPI.
TEST_CASE("process group: alone, every collective returns this process's values") {
  const ProcessGroup& group = ProcessGroup::world();
  REQUIRE(ProcessGroup::launched_processes() == 1);
  CHECK(group.rank() == 0);
  CHECK(group.size() == 1);
  CHECK(group.is_root());
  CHECK_FALSE(group.distributed());

  std::array<float, 3> floats{1.5f, -2.0f, 3.0f};
  group.sum(floats);
  group.broadcast(floats);
  CHECK(floats == std::array<float, 3>{1.5f, -2.0f, 3.0f});
  std::array<double, 2> doubles{0.25, 7.0};
  group.sum(doubles);
  group.maximum(doubles);
  CHECK(doubles == std::array<double, 2>{0.25, 7.0});
  CHECK(group.broadcast(std::string("seed = 1\n")) == "seed = 1\n");
  CHECK(group.gather(42) == std::vector<uint64_t>{42});
  group.barrier();
}
