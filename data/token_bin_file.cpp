#include "data/token_bin_file.h"

#include <array>
#include <bit>
#include <cerrno>
#include <cstring>
#include <vector>

#include "core/error.h"

namespace knnformer {
namespace {

static_assert(std::endian::native == std::endian::little, "token .bin files are little-endian, as is this machine");

// Peeks at the first int32 without disturbing later reads.
bool starts_with_llmc_magic(const std::filesystem::path& path) {
  std::ifstream stream(path, std::ios::binary);
  int32_t first = 0;
  stream.read(reinterpret_cast<char*>(&first), sizeof first);
  return stream.gcount() == sizeof first && first == kLlmcMagic;
}

}  // namespace

TokenBinFile::TokenBinFile(std::filesystem::path path, BinFormat format, int64_t vocab_size)
    : path_(std::move(path)), format_(format), vocab_size_(vocab_size) {
  const std::string name = path_.string();
  std::error_code error;
  require(std::filesystem::exists(path_, error), name + ": no such file");
  require(std::filesystem::is_regular_file(path_, error), name + ": not a regular file");
  stream_.open(path_, std::ios::binary);
  require(stream_.good(), name + ": cannot read (" + std::strerror(errno) + ")");
  require(vocab_size >= 1, name + ": the vocabulary size must be given (--vocab-size) and positive");
  const uint64_t file_bytes = std::filesystem::file_size(path_);
  if (format_ == BinFormat::automatic)
    format_ = starts_with_llmc_magic(path_) ? BinFormat::llmc : BinFormat::nanogpt;
  if (format_ == BinFormat::llmc) {
    read_llmc_header(file_bytes);
  } else {
    require(file_bytes % 2 == 0, name + ": truncated: " + std::to_string(file_bytes) +
                                     " bytes is not a whole number of uint16 tokens");
    size_ = file_bytes / 2;
  }
  require(size_ > 0, name + ": holds no tokens");
}

void TokenBinFile::read_llmc_header(uint64_t file_bytes) {
  const std::string name = path_.string();
  constexpr uint64_t header_bytes = kLlmcHeaderInts * sizeof(int32_t);
  std::array<int32_t, kLlmcHeaderInts> header{};
  stream_.read(reinterpret_cast<char*>(header.data()), header_bytes);
  require(static_cast<uint64_t>(stream_.gcount()) == header_bytes,
          name + ": truncated: shorter than llm.c's 1024-byte header");
  require(header[0] == kLlmcMagic, name + ": not an llm.c token file (magic " + std::to_string(header[0]) +
                                       ", expected " + std::to_string(kLlmcMagic) + ")");
  require(header[1] == kLlmcVersion, name + ": llm.c token file version " + std::to_string(header[1]) +
                                         " is not supported (expected " + std::to_string(kLlmcVersion) +
                                         ": uint16 tokens)");
  require(header[2] >= 0, name + ": negative token count " + std::to_string(header[2]) + " in the llm.c header");
  size_ = static_cast<uint64_t>(header[2]);
  const uint64_t body_bytes = file_bytes - header_bytes;
  require(body_bytes >= 2 * size_, name + ": truncated: the header promises " + std::to_string(size_) +
                                       " tokens, the body holds " + std::to_string(body_bytes / 2));
  require(body_bytes == 2 * size_, name + ": " + std::to_string(body_bytes - 2 * size_) +
                                       " unexpected bytes after the " + std::to_string(size_) + " tokens");
}

size_t TokenBinFile::read(std::span<int32_t> out) {
  const size_t count = static_cast<size_t>(std::min<uint64_t>(out.size(), size_ - position_));
  std::vector<uint16_t> raw(count);
  stream_.read(reinterpret_cast<char*>(raw.data()), static_cast<std::streamsize>(2 * count));
  require(static_cast<size_t>(stream_.gcount()) == 2 * count,
          path_.string() + ": read failed at token " + std::to_string(position_) + " (file changed while reading?)");
  for (size_t i = 0; i < count; ++i) {
    if (raw[i] >= vocab_size_)  // per token: the message is built only on failure
      throw Error(path_.string() + ": token " + std::to_string(raw[i]) + " at position " +
                  std::to_string(position_ + i) + " is >= the vocabulary size " + std::to_string(vocab_size_));
    out[i] = raw[i];
  }
  position_ += count;
  return count;
}

}  // namespace knnformer
