#include "core/storage.h"

#include <cstring>

#include "core/arena.h"
#include "core/large_buffer.h"

namespace knnformer {

std::shared_ptr<Storage> Storage::allocate(int64_t count) {
  const size_t n = static_cast<size_t>(count > 0 ? count : 1);
  Arena* arena = Arena::current();
  if (arena) return std::make_shared<Storage>(arena->allocate(n), count, arena);
  float* data = static_cast<float*>(allocate_large_buffer(n * sizeof(float), 64));
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
    free_large_buffer(data_);
}

}  // namespace knnformer
