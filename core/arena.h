#pragma once
// Arena: where the activations of one training step live.
//
// A step allocates many short-lived buffers (activations and their gradients)
// of the same sizes as the step before. The arena hands them out by bumping
// a pointer through large blocks and takes them all back at once with
// reset(), so a step does no malloc/free in the steady state. After a reset
// that needed several blocks, they are merged into one of the total size.
//
// Use: create one Arena per trainer; open an ArenaScope around the step's
// forward and backward (tensors created meanwhile on this thread draw from
// the arena); drop every activation tensor; call reset(). reset() throws if
// any buffer from the arena is still alive, which would otherwise dangle.
#include <atomic>
#include <cstddef>
#include <memory>
#include <vector>

namespace knnformer {

class Arena {
 public:
  explicit Arena(size_t initial_bytes = size_t{1} << 26);
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  ~Arena();

  float* allocate(size_t count);   // 64-byte aligned, uninitialised
  void release() { --live_allocations_; }  // called by each buffer it handed out
  void reset();

  size_t bytes_in_use() const { return used_in_full_blocks_ + offset_; }
  size_t peak_bytes() const { return peak_bytes_; }
  size_t live_allocations() const { return live_allocations_; }

  // The arena that tensors created on this thread draw from (nullptr: heap).
  static Arena* current();

 private:
  friend class ArenaScope;
  struct Block;
  void add_block(size_t bytes);

  std::vector<std::unique_ptr<Block>> blocks_;
  size_t offset_ = 0;              // bytes used in the last block
  size_t used_in_full_blocks_ = 0; // bytes used in the blocks before it
  size_t peak_bytes_ = 0;
  std::atomic<size_t> live_allocations_{0};
};

// Makes an arena the current one on this thread for the scope's lifetime.
class ArenaScope {
 public:
  explicit ArenaScope(Arena& arena);
  ArenaScope(const ArenaScope&) = delete;
  ArenaScope& operator=(const ArenaScope&) = delete;
  ~ArenaScope();

 private:
  Arena* previous_;
};

// Suspends the current arena: tensors created in this scope live on the heap
// (model parameters, optimizer state, KV caches created mid-step).
class HeapScope {
 public:
  HeapScope();
  HeapScope(const HeapScope&) = delete;
  HeapScope& operator=(const HeapScope&) = delete;
  ~HeapScope();

 private:
  Arena* previous_;
};

}  // namespace knnformer
