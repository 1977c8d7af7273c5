#include <doctest/doctest.h>

#include <unistd.h>

#include <optional>

#include "core/error.h"
#include "train/run_lock.h"
#include "train_test_files.h"

using namespace knnformer;

TEST_CASE("run lock: a second writer is refused with the holder's pid, and may lock once the first is gone") {
  const knnformer::testing::TemporaryFolder folder;
  std::optional<RunLock> first(std::in_place, folder.path());
  // flock locks belong to an open file, so a second lock conflicts even within one process.
  const std::string holder = "in use by another knnformer train (pid " + std::to_string(getpid()) + ")";
  CHECK_THROWS_WITH_AS(RunLock(folder.path()), doctest::Contains(holder.c_str()), Error);
  first.reset();
  CHECK_NOTHROW(RunLock(folder.path()));
}

TEST_CASE("run lock: a missing folder is an error naming it") {
  CHECK_THROWS_WITH_AS(RunLock("/nonexistent/run"), doctest::Contains("/nonexistent/run: cannot open"), Error);
}
