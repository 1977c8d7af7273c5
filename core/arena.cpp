#include "core/arena.h"

#include <algorithm>
#include <string>

#include "core/error.h"
#include "core/large_buffer.h"

namespace knnformer {

namespace {
thread_local Arena* current_arena = nullptr;
constexpr size_t kAlignment = 64;  // a cache line, and enough for any SIMD load

size_t round_up(size_t bytes) { return (bytes + kAlignment - 1) / kAlignment * kAlignment; }
}  // namespace

// Blocks are large buffers (large_buffer.h), on huge pages: a step streams
// through tens of megabytes of activations, and with 4 kB pages their TLB
// misses cost about 1% of a cfgA step (bench_train_step).
struct Arena::Block {
  explicit Block(size_t bytes_)
      : memory(static_cast<char*>(allocate_large_buffer(round_up(bytes_), kAlignment))), bytes(round_up(bytes_)) {}
  ~Block() { free_large_buffer(memory); }
  Block(const Block&) = delete;
  Block& operator=(const Block&) = delete;
  char* memory;
  size_t bytes;
};

Arena::Arena(size_t initial_bytes) { add_block(initial_bytes); }

Arena::~Arena() = default;

void Arena::add_block(size_t bytes) {
  if (!blocks_.empty()) used_in_full_blocks_ += offset_;
  blocks_.push_back(std::make_unique<Block>(bytes));
  offset_ = 0;
}

float* Arena::allocate(size_t count) {
  const size_t bytes = round_up(count * sizeof(float));
  if (offset_ + bytes > blocks_.back()->bytes) add_block(std::max(bytes, blocks_.back()->bytes));
  float* memory = reinterpret_cast<float*>(blocks_.back()->memory + offset_);
  offset_ += bytes;
  ++live_allocations_;
  if (bytes_in_use() > peak_bytes_) peak_bytes_ = bytes_in_use();
  return memory;
}

void Arena::reset() {
  require(live_allocations_ == 0,
          "Arena::reset with " + std::to_string(live_allocations_.load()) +
              " buffers still alive (drop every activation tensor of the step first)");
  if (blocks_.size() > 1) {
    size_t total = 0;
    for (const auto& block : blocks_) total += block->bytes;
    blocks_.clear();
    blocks_.push_back(std::make_unique<Block>(total));
  }
  offset_ = 0;
  used_in_full_blocks_ = 0;
}

Arena* Arena::current() { return current_arena; }

ArenaScope::ArenaScope(Arena& arena) : previous_(current_arena) { current_arena = &arena; }
ArenaScope::~ArenaScope() { current_arena = previous_; }

HeapScope::HeapScope() : previous_(current_arena) { current_arena = nullptr; }
HeapScope::~HeapScope() { current_arena = previous_; }

}  // namespace knnformer
