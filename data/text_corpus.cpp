#include "data/text_corpus.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>

#include "core/error.h"

namespace knnformer {
namespace {

constexpr std::array<std::string_view, 3> kTextExtensions = {".txt", ".text", ".md"};

bool is_text_file(const std::filesystem::directory_entry& entry) {
  const std::string name = entry.path().filename().string();
  const std::string extension = entry.path().extension().string();
  return entry.is_regular_file() && !name.starts_with(".") &&
         std::find(kTextExtensions.begin(), kTextExtensions.end(), extension) != kTextExtensions.end();
}

void require_readable(const std::filesystem::path& file) {
  const std::ifstream stream(file, std::ios::binary);
  require(stream.good(), file.string() + ": cannot read (" + std::strerror(errno) + ")");
}

// The length of the longest prefix of text that ends on a whole UTF-8
// character (continuation bytes are 10xxxxxx). Cutting there keeps every
// multi-byte character within one piece.
size_t utf8_boundary(std::string_view text) {
  size_t end = text.size();
  for (int back = 0; back < 3 && end > 0; ++back) {
    const unsigned char byte = static_cast<unsigned char>(text[end - 1]);
    if ((byte & 0xC0) != 0x80) {
      const bool starts_multibyte = (byte & 0xC0) == 0xC0;
      return starts_multibyte ? end - 1 : text.size();
    }
    --end;
  }
  return text.size();
}

}  // namespace

TextCorpus::TextCorpus(const std::vector<std::filesystem::path>& inputs) {
  require(!inputs.empty(), "no input given");
  for (const std::filesystem::path& input : inputs) {
    std::error_code error;
    const std::filesystem::file_status status = std::filesystem::status(input, error);
    require(std::filesystem::exists(status), input.string() + ": no such file or folder");
    if (std::filesystem::is_directory(status)) {
      add_folder(input);
    } else {
      require(std::filesystem::is_regular_file(status), input.string() + ": not a regular file or a folder");
      add_file(input);
    }
  }
}

void TextCorpus::add_file(const std::filesystem::path& file) {
  require_readable(file);
  files_.push_back(file);
  total_bytes_ += std::filesystem::file_size(file);
}

void TextCorpus::add_folder(const std::filesystem::path& folder) {
  std::vector<std::filesystem::path> found;
  std::error_code error;
  for (auto it = std::filesystem::recursive_directory_iterator(folder, error);
       !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error))
    if (is_text_file(*it)) found.push_back(it->path());
  require(!error, folder.string() + ": cannot list the folder (" + error.message() + ")");
  require(!found.empty(), folder.string() + ": folder has no text files (*.txt, *.text, *.md)");
  std::sort(found.begin(), found.end());
  for (const std::filesystem::path& file : found) add_file(file);
}

void read_in_line_chunks(const std::filesystem::path& file, const std::function<void(std::string_view)>& consume,
                         size_t chunk_bytes) {
  require(chunk_bytes >= 8, "read_in_line_chunks: chunk_bytes must be at least 8");
  std::ifstream stream(file, std::ios::binary);
  require(stream.good(), file.string() + ": cannot read (" + std::strerror(errno) + ")");
  std::string buffer(chunk_bytes, '\0');
  size_t carried = 0;  // bytes at the front of buffer left over from the previous piece
  while (true) {
    stream.read(buffer.data() + carried, static_cast<std::streamsize>(chunk_bytes - carried));
    require(!stream.bad(), file.string() + ": read failed (" + std::strerror(errno) + ")");
    const size_t filled = carried + static_cast<size_t>(stream.gcount());
    const std::string_view text(buffer.data(), filled);
    if (stream.eof()) {
      if (filled > 0) consume(text);
      return;
    }
    const size_t newline = text.rfind('\n');
    const size_t cut = newline != std::string_view::npos ? newline + 1 : utf8_boundary(text);
    consume(text.substr(0, cut));
    std::copy(buffer.begin() + static_cast<std::ptrdiff_t>(cut), buffer.begin() + static_cast<std::ptrdiff_t>(filled),
              buffer.begin());
    carried = filled - cut;
  }
}

}  // namespace knnformer
