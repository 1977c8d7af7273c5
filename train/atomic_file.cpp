#include "train/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "core/error.h"

namespace knnformer {

namespace {

// A POSIX file descriptor, closed on scope exit.
class FileDescriptor {
 public:
  FileDescriptor(const std::filesystem::path& path, int flags) : fd_(::open(path.c_str(), flags)) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

void sync(const std::filesystem::path& path, int flags) {
  const FileDescriptor file(path, flags);
  require(file.get() >= 0 && ::fsync(file.get()) == 0, path.string() + ": cannot sync to disk");
}

std::filesystem::path folder_of(const std::filesystem::path& path) {
  return path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
}

}  // namespace

void commit_file(const std::filesystem::path& temporary, const std::filesystem::path& path) {
  sync(temporary, O_RDONLY);
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  require(!error, path.string() + ": cannot rename " + temporary.string() + " to it: " + error.message());
  sync(folder_of(path), O_RDONLY | O_DIRECTORY);
}

void write_file_atomically(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::path temporary = path;
  temporary += ".tmp";
  std::ofstream file(temporary, std::ios::binary | std::ios::trunc);
  file << text;
  file.close();
  if (!file.good()) {
    // A full disk leaves a partial temporary: free its space at once.
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    throw Error(temporary.string() + ": cannot write (disk full?)");
  }
  commit_file(temporary, path);
}

std::string read_file(const std::filesystem::path& path) {
  require(!std::filesystem::is_directory(path), path.string() + ": is a folder, expected a file");
  std::ifstream file(path, std::ios::binary);
  require(file.good(), path.string() + ": cannot read");
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

}  // namespace knnformer
