#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <numeric>

#include "core/large_buffer.h"

using namespace knnformer;

namespace {
bool aligned(const void* memory, size_t alignment) { return reinterpret_cast<uintptr_t>(memory) % alignment == 0; }
}  // namespace

TEST_CASE("Large buffers: huge ones start on a 2 MB boundary, small ones as asked, and all are usable") {
  void* huge = allocate_large_buffer(kHugePage + 1);
  CHECK(aligned(huge, kHugePage));
  std::memset(huge, 1, kHugePage + 1);
  free_large_buffer(huge);

  void* small = allocate_large_buffer(100, 64);
  CHECK(aligned(small, 64));
  std::memset(small, 1, 100);
  free_large_buffer(small);

  free_large_buffer(nullptr);  // as free(nullptr): nothing
}

TEST_CASE("Large buffers: a freed huge buffer is handed out again for a request of about its size") {
  // A size no other test of this process asks for, so that the pool holds no other buffer of it.
  const size_t bytes = 23 * kHugePage;
  void* first = allocate_large_buffer(bytes);
  void* other = allocate_large_buffer(bytes);  // alive meanwhile: cannot be the same memory
  CHECK(other != first);
  free_large_buffer(first);
  void* again = allocate_large_buffer(bytes - 1000);
#if defined(__SANITIZE_ADDRESS__)
  CHECK(again != nullptr);  // under AddressSanitizer buffers go back to the system at once
#else
  CHECK(again == first);
#endif
  free_large_buffer(again);
  // A request far smaller than the cached buffer gets fresh memory, not a buffer 23 times its size.
  void* smaller = allocate_large_buffer(kHugePage);
  CHECK(smaller != first);
  free_large_buffer(smaller);
  free_large_buffer(other);
}

TEST_CASE("Large buffers: LargeVector and LargeArray hold their elements like std::vector and unique_ptr") {
  LargeVector<int64_t> values(kHugePage / sizeof(int64_t) + 7);
  std::iota(values.begin(), values.end(), int64_t{0});
  CHECK(aligned(values.data(), kHugePage));
  CHECK(values.back() == static_cast<int64_t>(values.size()) - 1);
  values.resize(10);
  values.shrink_to_fit();
  CHECK(values[9] == 9);

  LargeArray<float> array = make_large_array<float>(1000);
  array[999] = 2.5f;
  CHECK(array[999] == 2.5f);
}
