#include <doctest/doctest.h>

#include "core/rng.h"

using knnformer::CounterRng;

TEST_CASE("CounterRng: the same key gives the same numbers") {
  CounterRng a(42, {1, 2, 3}), b(42, {1, 2, 3}), c(42, {1, 2, 4});
  for (int i = 0; i < 100; ++i) {
    const uint32_t x = a.next_u32();
    CHECK(x == b.next_u32());
    CHECK(x != c.next_u32());
  }
}
