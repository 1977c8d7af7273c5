#pragma once
// TokenBinFile: reads token files that nanoGPT and llm.c users already have.
//
//   nanoGPT  raw little-endian uint16 ids, nothing else (prepare.py's train.bin)
//   llm.c    a header of 256 little-endian int32 (magic 20240520, version 1,
//            token count), then that many uint16 ids (dev/data/*.py)
//
//   TokenBinFile file("train.bin", BinFormat::automatic, 50257);
//   std::vector<int32_t> block(1 << 20);
//   while (const size_t n = file.read(block)) use(std::span(block).first(n));
//
// Opening checks the layout (magic, version, a body as long as the header
// says); read() checks every id against the vocabulary and names the file and
// position of the first one outside it.
#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>

#include "core/enum_names.h"

namespace knnformer {

enum class BinFormat {
  automatic,  // llm.c if the file starts with llm.c's magic, nanoGPT otherwise
  nanogpt,
  llmc,
};
constexpr std::array<EnumName<BinFormat>, 3> kBinFormatNames{
    {{BinFormat::automatic, "auto"}, {BinFormat::nanogpt, "nanogpt"}, {BinFormat::llmc, "llmc"}}};
constexpr const auto& enum_names(BinFormat) { return kBinFormatNames; }

inline constexpr int32_t kLlmcMagic = 20240520;
inline constexpr int32_t kLlmcVersion = 1;
inline constexpr int64_t kLlmcHeaderInts = 256;

class TokenBinFile {
 public:
  TokenBinFile(std::filesystem::path path, BinFormat format, int64_t vocab_size);

  const std::filesystem::path& path() const { return path_; }
  BinFormat format() const { return format_; }  // never automatic
  uint64_t size() const { return size_; }        // tokens in the file

  // Reads the next tokens into out; returns how many (0 at the end).
  size_t read(std::span<int32_t> out);

 private:
  void read_llmc_header(uint64_t file_bytes);

  std::filesystem::path path_;
  BinFormat format_;
  int64_t vocab_size_;
  std::ifstream stream_;
  uint64_t size_ = 0;
  uint64_t position_ = 0;  // tokens read so far
};

}  // namespace knnformer
