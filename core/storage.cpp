#include "core/storage.h"

#include <cstdlib>
#include <cstring>
#include <new>

#include "core/arena.h"

namespace knnformer {

std::shared_ptr<Storage> Storage::allocate(int64_t count) {
  const size_t n = static_cast<size_t>(count > 0 ? count : 1);
  Arena* arena = Arena::current();
  if (arena) return std::make_shared<Storage>(arena->allocate(n), count, arena);
  const size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
  float* data = static_cast<float*>(std::aligned_alloc(64, bytes));
  if (!data) throw std::bad_alloc();
  return std::make_shared<Storage>(data, count, nullptr);
}

std::shared_ptr<Storage> Storage::zeros(int64_t count) {
  auto storage = allocate(count);
  std::memset(storage->data(), 0, static_cast<size_t>(count) * sizeof(float));
  return storage;
}

Storage::~Storage() {
  if (arena_)
    arena_->release();
  else
    std::free(data_);
}

}  // namespace knnformer
