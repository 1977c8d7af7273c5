#pragma once
// TextCorpus: the text files one prepare run reads, in a fixed order.
//
//   const TextCorpus corpus({"books/", "extra.txt"});
//   for (const auto& file : corpus.files())
//     read_in_line_chunks(file, [&](std::string_view text) { ... });
//
// An input file is taken as given, whatever its name. An input folder
// contributes its text files (*.txt, *.text, *.md, hidden files skipped),
// searched recursively and sorted by path, so the token stream never depends
// on the order in which the file system lists them. Each file is one
// document. Listing fails with a one-line error for a missing or unreadable
// input and for a folder without text files.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string_view>
#include <vector>

namespace knnformer {

class TextCorpus {
 public:
  explicit TextCorpus(const std::vector<std::filesystem::path>& inputs);

  const std::vector<std::filesystem::path>& files() const { return files_; }
  uint64_t total_bytes() const { return total_bytes_; }

 private:
  void add_file(const std::filesystem::path& file);
  void add_folder(const std::filesystem::path& folder);

  std::vector<std::filesystem::path> files_;
  uint64_t total_bytes_ = 0;
};

// Reads a file in pieces of at most chunk_bytes (except a final piece), each
// cut just after a newline when the piece holds one, else at a UTF-8
// character boundary. Tokenizers that work line by line can then encode each
// piece on its own. Throws Error naming the file if reading fails.
void read_in_line_chunks(const std::filesystem::path& file, const std::function<void(std::string_view)>& consume,
                         size_t chunk_bytes = size_t{1} << 20);

}  // namespace knnformer
