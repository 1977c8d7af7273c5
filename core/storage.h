#pragma once
// Storage: one buffer of floats shared by the tensors that view it. It comes
// from the thread's current Arena when there is one (activations), from the
// heap otherwise (parameters, optimizer state; large ones on huge pages,
// large_buffer.h), always 64-byte aligned.
#include <cstdint>
#include <memory>

namespace knnformer {

class Arena;

class Storage {
 public:
  // count floats, uninitialised.
  static std::shared_ptr<Storage> allocate(int64_t count);
  // count floats set to zero.
  static std::shared_ptr<Storage> zeros(int64_t count);

  Storage(float* data, int64_t size, Arena* arena) : data_(data), size_(size), arena_(arena) {}
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  ~Storage();

  float* data() { return data_; }
  const float* data() const { return data_; }
  int64_t size() const { return size_; }
  bool from_arena() const { return arena_ != nullptr; }

 private:
  float* data_;
  int64_t size_;
  Arena* arena_;  // nullptr: heap memory this storage frees
};

}  // namespace knnformer
