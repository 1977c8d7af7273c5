#pragma once
// RunLock: one writer per run directory.
//
// Two trainers writing one run directory interleave metrics.csv, leave it
// behind the checkpoints, or delete each other's files (--force). So `train`
// holds an exclusive advisory lock (flock) on the run directory itself for
// as long as it runs, and a second writer is refused with the holder's pid:
//
//   const RunLock lock(run.root());   // Error if another process holds it
//
// The kernel releases the lock when its holder exits, however it exits, so
// a run killed with kill -9 can be resumed at once. Locking the folder, not
// a file in it, leaves nothing on disk. Readers (eval, generate, compare)
// take no lock: checkpoints and config.ini are replaced by renames, so a
// reader sees either the old file or the new one.
#include <filesystem>

namespace knnformer {

class RunLock {
 public:
  // Locks the existing folder `root`; Error naming it and the holder's pid
  // when another process holds the lock.
  explicit RunLock(const std::filesystem::path& root);
  ~RunLock();
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

 private:
  int descriptor_ = -1;
};

}  // namespace knnformer
