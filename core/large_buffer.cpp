#include "core/large_buffer.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdint>
#include <deque>
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

// At most this much freed memory is kept for reuse; the buffers freed
// longest ago go back to the system first.
constexpr size_t kLargestCache = size_t{1} << 30;

// The huge buffers handed out (with their sizes) and the freed ones kept for
// reuse, oldest first. Buffers are allocated a few times per training step,
// and few are kept, so one lock and linear searches cost nothing that shows.
class BufferPool {
 public:
  ~BufferPool() {
    for (const Cached& cached : free_) std::free(cached.memory);
  }

  void* take(size_t bytes) {
    const std::lock_guard lock(mutex_);
    // The smallest freed buffer that holds bytes and is at most a quarter larger, else a fresh one.
    auto best = free_.end();
    for (auto it = free_.begin(); it != free_.end(); ++it)
      if (it->bytes >= bytes && it->bytes <= bytes + bytes / 4 && (best == free_.end() || it->bytes < best->bytes))
        best = it;
    Cached taken{.bytes = bytes, .memory = nullptr};
    if (best != free_.end()) {
      taken = *best;
      free_.erase(best);
      cached_bytes_ -= taken.bytes;
    } else {
      taken.memory = std::aligned_alloc(kHugePage, bytes);
      if (!taken.memory) throw std::bad_alloc();
      madvise(taken.memory, bytes, MADV_HUGEPAGE);
    }
    in_use_.emplace(taken.memory, taken.bytes);
    return taken.memory;
  }

  // False when `memory` is not a huge buffer of this pool.
  bool give_back(void* memory) {
    const std::lock_guard lock(mutex_);
    const auto found = in_use_.find(memory);
    if (found == in_use_.end()) return false;
    const Cached freed{.bytes = found->second, .memory = memory};
    in_use_.erase(found);
    if (!kReuseBuffers || freed.bytes > kLargestCache) {
      std::free(freed.memory);
      return true;
    }
    free_.push_back(freed);
    cached_bytes_ += freed.bytes;
    while (cached_bytes_ > kLargestCache) {
      cached_bytes_ -= free_.front().bytes;
      std::free(free_.front().memory);
      free_.pop_front();
    }
    return true;
  }

 private:
  struct Cached {
    size_t bytes;
    void* memory;
  };
  std::mutex mutex_;
  std::unordered_map<void*, size_t> in_use_;
  std::deque<Cached> free_;  // oldest first
  size_t cached_bytes_ = 0;
};

// A function-local static: constructed on first use, so before any object
// that allocates a large buffer has finished its construction, and so
// destroyed after every such object with static storage.
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
