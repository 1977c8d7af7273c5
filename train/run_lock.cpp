#include "train/run_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "core/error.h"

namespace knnformer {

namespace {

// The pid holding a lock on the file with this device and inode, read from
// /proc/locks ("1: FLOCK  ADVISORY  WRITE 4242 08:01:1234 0 EOF"); 0 when
// it cannot be told (another system, or the holder has just exited).
pid_t lock_holder(const struct stat& file) {
  std::ifstream locks("/proc/locks");
  std::string line;
  char wanted[64];
  std::snprintf(wanted, sizeof wanted, "%02x:%02x:%llu", major(file.st_dev), minor(file.st_dev),
                static_cast<unsigned long long>(file.st_ino));
  while (std::getline(locks, line)) {
    std::istringstream fields(line);
    std::string number, kind, mode, access, device_inode;
    long pid = 0;
    if (fields >> number >> kind >> mode >> access >> pid >> device_inode && device_inode == wanted)
      return static_cast<pid_t>(pid);
  }
  return 0;
}

}  // namespace

RunLock::RunLock(const std::filesystem::path& root) {
  const std::string name = root.string();
  descriptor_ = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  require(descriptor_ >= 0, name + ": cannot open the run directory to lock it: " + std::strerror(errno));
  if (::flock(descriptor_, LOCK_EX | LOCK_NB) == 0) return;
  const int error = errno;
  struct stat file {};
  const pid_t holder = ::fstat(descriptor_, &file) == 0 ? lock_holder(file) : 0;
  ::close(descriptor_);
  descriptor_ = -1;
  require(error != EWOULDBLOCK, name + ": in use by another knnformer train (" +
                                    (holder > 0 ? "pid " + std::to_string(holder) : "pid unknown") +
                                    "); a run directory takes one writer at a time");
  throw Error(name + ": cannot lock the run directory: " + std::strerror(error));
}

RunLock::~RunLock() {
  if (descriptor_ >= 0) ::close(descriptor_);  // closing releases the lock
}

}  // namespace knnformer
