#pragma once
// Memory for large buffers: on transparent huge pages where the kernel
// allows, and reused rather than returned to the system.
//
// Buffers of megabytes that are written once and then read at random (the
// key indexes' per-query tables, the sampled backward's entries, the keys
// themselves) pay three times when they come fresh from the system with
// 4 kB pages: a page fault per 4 kB, the kernel zeroing every page on first
// touch, and a TLB miss on most random reads. So a buffer of at least
// kHugePage bytes
//   - starts on a 2 MB boundary and asks the kernel for huge pages (madvise
//     MADV_HUGEPAGE; it needs the system's transparent_hugepage setting to be
//     "madvise" or "always", and where the kernel says no, 4 kB pages remain
//     and nothing else changes);
//   - goes, when freed, to a pool that hands it out again for a request it
//     exceeds by at most a quarter (up to 1 GiB is kept; beyond that, the
//     buffers freed longest ago go back to the system). A training step
//     builds indexes of the same sizes as the step before, so after the
//     first step their memory is never touched fresh; PyTorch's caching
//     allocator does the same for the same reason. Under AddressSanitizer
//     buffers are freed at once, so that a use after free is caught.
// A buffer's size is rounded up to whole huge pages (a 2.1 MB buffer takes 4 MB).
// At T = 16384 the kernel's zeroing alone was 12% of the CPU time of
// bench_sampling's clustered rows. Smaller buffers come from malloc as usual.
//
//   LargeVector<int32_t> order(count);                          // a std::vector
//   LargeArray<float> scores = make_large_array<float>(count);  // uninitialised
#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>
#include <vector>

namespace knnformer {

constexpr size_t kHugePage = size_t{2} << 20;

// bytes of memory aligned to at least `alignment` (a power of two, at most
// kHugePage), on huge pages when bytes >= kHugePage; release with
// free_large_buffer. Throws std::bad_alloc.
void* allocate_large_buffer(size_t bytes, size_t alignment = 64);
void free_large_buffer(void* memory);

// A std::allocator whose large allocations come from allocate_large_buffer.
template <class T>
struct LargeBufferAllocator {
  using value_type = T;
  LargeBufferAllocator() = default;
  template <class U>
  LargeBufferAllocator(const LargeBufferAllocator<U>&) {}
  T* allocate(size_t count) { return static_cast<T*>(allocate_large_buffer(count * sizeof(T), alignof(T))); }
  void deallocate(T* memory, size_t) { free_large_buffer(memory); }
  template <class U>
  bool operator==(const LargeBufferAllocator<U>&) const { return true; }
};

template <class T>
using LargeVector = std::vector<T, LargeBufferAllocator<T>>;

struct LargeBufferDeleter {
  void operator()(void* memory) const { free_large_buffer(memory); }
};
template <class T>
using LargeArray = std::unique_ptr<T[], LargeBufferDeleter>;

// count uninitialised T (trivially constructible and destructible).
template <class T>
LargeArray<T> make_large_array(size_t count) {
  return LargeArray<T>(static_cast<T*>(allocate_large_buffer(count * sizeof(T), alignof(T))));
}

}  // namespace knnformer
