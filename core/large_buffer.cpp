#include "core/large_buffer.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <mutex>
#include <unordered_map>

namespace knnformer {

namespace {

// Under AddressSanitizer every buffer goes back to the system, so that a use
// after free is still caught.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kReuseBuffers = false;
#else
constexpr bool kReuseBuffers = true;
#endif

// At most this much freed memory is kept for reuse; beyond it, buffers go back to the system.
constexpr size_t kLargestCache = size_t{4} << 30;

// The huge buffers handed out (with their sizes) and the freed ones kept for
// reuse, by size. Buffers are allocated a few times per training step, so
// one lock is no contention.
class BufferPool {
 public:
  ~BufferPool() {
    for (const auto& [bytes, memory] : free_) std::free(memory);
  }

  void* take(size_t bytes) {
    const std::lock_guard lock(mutex_);
    void* memory = nullptr;
    size_t size = bytes;
    // A freed buffer at most a quarter larger, else a fresh one.
    const auto found = free_.lower_bound(bytes);
    if (kReuseBuffers && found != free_.end() && found->first <= bytes + bytes / 4) {
      std::tie(size, memory) = *found;
      free_.erase(found);
      cached_bytes_ -= size;
    } else {
      memory = std::aligned_alloc(kHugePage, bytes);
      if (!memory) throw std::bad_alloc();
      madvise(memory, bytes, MADV_HUGEPAGE);
    }
    in_use_.emplace(memory, size);
    return memory;
  }

  // False when `memory` is not a huge buffer of this pool.
  bool give_back(void* memory) {
    const std::lock_guard lock(mutex_);
    const auto found = in_use_.find(memory);
    if (found == in_use_.end()) return false;
    const size_t size = found->second;
    in_use_.erase(found);
    if (kReuseBuffers && cached_bytes_ + size <= kLargestCache) {
      free_.emplace(size, memory);
      cached_bytes_ += size;
    } else {
      std::free(memory);
    }
    return true;
  }

 private:
  std::mutex mutex_;
  std::unordered_map<void*, size_t> in_use_;
  std::multimap<size_t, void*> free_;
  size_t cached_bytes_ = 0;
};

BufferPool& pool() {
  static BufferPool buffers;
  return buffers;
}

}  // namespace

void* allocate_large_buffer(size_t bytes, size_t alignment) {
  if (bytes >= kHugePage) return pool().take((bytes + kHugePage - 1) / kHugePage * kHugePage);
  // aligned_alloc wants a size that is a multiple of the alignment.
  const size_t align = std::max<size_t>(alignment, alignof(std::max_align_t));
  void* memory = std::aligned_alloc(align, (std::max<size_t>(bytes, 1) + align - 1) / align * align);
  if (!memory) throw std::bad_alloc();
  return memory;
}

void free_large_buffer(void* memory) {
  // Only huge buffers start on a 2 MB boundary (a small one may, by chance: the pool tells).
  const bool maybe_huge = reinterpret_cast<uintptr_t>(memory) % kHugePage == 0;
  if (memory && maybe_huge && pool().give_back(memory)) return;
  std::free(memory);
}

}  // namespace knnformer
