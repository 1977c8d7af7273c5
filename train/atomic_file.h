#pragma once
// Files that are either wholly old or wholly new, never half-written.
//
//   write_file_atomically(run_dir / "config.ini", text);
//
// The text goes to "<name>.tmp" in the same folder, is flushed to the disk
// (fsync), and is then renamed over the real name; the folder is synced so
// that the rename itself survives a crash. A process killed at any moment
// leaves either the previous file or the new one, plus at most a stray
// ".tmp", which the next write replaces.
#include <filesystem>
#include <string>

namespace knnformer {

void write_file_atomically(const std::filesystem::path& path, const std::string& text);

// Renames a complete, closed temporary file over `path`, after syncing it.
void commit_file(const std::filesystem::path& temporary, const std::filesystem::path& path);

// The whole file as text; Error naming the file when it cannot be read.
std::string read_file(const std::filesystem::path& path);

}  // namespace knnformer
