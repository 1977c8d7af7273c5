#include "data/token_spool.h"

#include <system_error>

#include "core/error.h"

namespace knnformer {

TokenSpool::TokenSpool(std::filesystem::path path) : path_(std::move(path)) {
  stream_.open(path_, std::ios::binary | std::ios::in | std::ios::out | std::ios::trunc);
  require(stream_.good(), path_.string() + ": cannot create a temporary token file");
}

TokenSpool::~TokenSpool() {
  stream_.close();
  std::error_code ignored;
  std::filesystem::remove(path_, ignored);
}

void TokenSpool::append(std::span<const int32_t> tokens) {
  stream_.write(reinterpret_cast<const char*>(tokens.data()), static_cast<std::streamsize>(tokens.size_bytes()));
  require(stream_.good(), path_.string() + ": cannot write the temporary token file (disk full?)");
  size_ += tokens.size();
}

void TokenSpool::rewind() {
  stream_.flush();
  stream_.seekg(0);
  require(stream_.good(), path_.string() + ": cannot rewind the temporary token file");
}

size_t TokenSpool::read(std::span<int32_t> out) {
  stream_.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(out.size_bytes()));
  require(!stream_.bad(), path_.string() + ": cannot read the temporary token file");
  const auto count = static_cast<size_t>(stream_.gcount()) / sizeof(int32_t);
  if (stream_.eof()) stream_.clear();  // a short final read is the normal end
  return count;
}

}  // namespace knnformer
