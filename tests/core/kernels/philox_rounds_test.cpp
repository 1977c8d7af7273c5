#include "core/kernels/philox_rounds.h"

#include <doctest/doctest.h>

#include <vector>

#include "kernel_testing.h"

using namespace knnformer;

TEST_CASE("Philox rounds: the reference gives the known-answer vectors of Random123 (Salmon et al.)") {
  using kernels::reference::philox4x32;
  CHECK(philox4x32({0, 0, 0, 0}, {0, 0}) == kernels::PhiloxCounter{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8});
  CHECK(philox4x32({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0}) ==
        kernels::PhiloxCounter{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1});
}

TEST_CASE("Philox rounds: every target gives the reference's bits, nothing written past the blocks") {
  testing::for_each_simd_target([&] {
    // First blocks whose runs carry into the block's high word, and one whose
    // run wraps around 2^64; counts around the vector lengths of 1 to 8 blocks.
    for (const uint64_t first : {uint64_t{0}, uint64_t{5}, uint64_t{0xFFFFFFFA}, ~uint64_t{0} - 3})
      for (const int64_t count : {0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 23, 100}) {
        CAPTURE(first);
        CAPTURE(count);
        std::vector<uint32_t> fast(4 * count + 1, 7), slow(4 * count + 1, 7);
        kernels::philox4x32_blocks(first, 0x0123456789ABCDEF, {0xDEADBEEF, 0x12345678}, count, fast.data());
        kernels::reference::philox4x32_blocks(first, 0x0123456789ABCDEF, {0xDEADBEEF, 0x12345678}, count,
                                              slow.data());
        CHECK(fast == slow);
      }
  });
}
