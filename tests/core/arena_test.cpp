#include <doctest/doctest.h>

#include <cstdint>

#include "core/arena.h"
#include "core/error.h"
#include "core/tensor.h"

using namespace knnformer;

TEST_CASE("Arena: tensors made in a scope come from the arena, aligned, and reset reuses the memory") {
  Arena arena(1024);
  const float* first_address = nullptr;
  for (int step = 0; step < 3; ++step) {
    {
      const ArenaScope scope(arena);
      const Tensor a = Tensor::zeros({3, 5});
      const Tensor b = Tensor::zeros({1000});  // larger than the first block: a second block
      CHECK(reinterpret_cast<uintptr_t>(a.data()) % 64 == 0);
      CHECK(reinterpret_cast<uintptr_t>(b.data()) % 64 == 0);
      CHECK(arena.live_allocations() == 2);
      // After the first reset the blocks are merged, and each step gets the same memory.
      if (step == 1) first_address = a.data();
      if (step == 2) CHECK(a.data() == first_address);
    }
    CHECK(arena.live_allocations() == 0);
    arena.reset();  // merges the blocks into one: later steps fit in it
  }
  CHECK(arena.peak_bytes() >= 1000 * sizeof(float));
}

TEST_CASE("Arena: parameters and HeapScope allocations bypass the arena, and reset with live buffers is an error") {
  Arena arena;
  const ArenaScope scope(arena);
  const Tensor parameter = Tensor::parameter({4});
  {
    const HeapScope heap;
    const Tensor cache = Tensor::zeros({4});
    CHECK(arena.live_allocations() == 0);
  }
  CHECK(arena.live_allocations() == 0);
  Tensor activation = Tensor::zeros({4});
  CHECK(arena.live_allocations() == 1);
  CHECK_THROWS_AS(arena.reset(), Error);
  activation = Tensor();
  CHECK_NOTHROW(arena.reset());
}
