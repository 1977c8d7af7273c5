#include "train/run_directory.h"

#include <algorithm>
#include <cstdio>
#include <iostream>

#include "core/error.h"
#include "train/checkpoint_verification.h"

namespace knnformer {

namespace {

constexpr std::string_view kSetAsideExtension = ".corrupt";

}  // namespace

std::filesystem::path RunDirectory::checkpoint_path(int64_t step) const {
  char name[40];
  std::snprintf(name, sizeof name, "step-%08lld.h5", static_cast<long long>(step));
  return checkpoint_folder() / name;
}

bool RunDirectory::holds_run() const {
  return std::filesystem::exists(config_file()) || std::filesystem::exists(metrics_file()) || ever_checkpointed();
}

bool RunDirectory::ever_checkpointed() const { return !checkpoints().empty() || !set_aside_checkpoints().empty(); }

std::vector<std::filesystem::path> RunDirectory::set_aside_checkpoints() const {
  std::vector<std::filesystem::path> found;
  if (std::filesystem::is_directory(checkpoint_folder()))
    for (const auto& entry : std::filesystem::directory_iterator(checkpoint_folder()))
      if (entry.path().extension() == kSetAsideExtension) found.push_back(entry.path());
  return found;
}

void RunDirectory::remove_run() const {
  std::filesystem::remove(config_file());
  std::filesystem::remove(metrics_file());
  std::filesystem::remove_all(checkpoint_folder());
}

void RunDirectory::create() const {
  std::error_code error;
  std::filesystem::create_directories(checkpoint_folder(), error);
  require(!error, root_.string() + ": cannot create the run directory: " + error.message());
}

std::vector<std::filesystem::path> RunDirectory::checkpoints() const {
  std::vector<std::pair<int64_t, std::filesystem::path>> found;
  if (std::filesystem::is_directory(checkpoint_folder()))
    for (const auto& entry : std::filesystem::directory_iterator(checkpoint_folder()))
      if (const std::optional<int64_t> step = checkpoint_name_step(entry.path()))
        found.emplace_back(*step, entry.path());
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<std::filesystem::path> paths;
  for (const auto& [step, path] : found) paths.push_back(path);
  return paths;
}

void RunDirectory::prune_checkpoints(int64_t keep) const {
  const std::vector<std::filesystem::path> all = checkpoints();
  for (size_t i = static_cast<size_t>(keep); i < all.size(); ++i) std::filesystem::remove(all[i]);
  for (const auto& entry : std::filesystem::directory_iterator(checkpoint_folder()))
    if (entry.path().extension() == ".tmp") std::filesystem::remove(entry.path());
}

CheckpointInfo RunDirectory::restore_newest(const std::function<void(const CheckpointReader&)>& restore,
                                            const FailedCheckpoint& failed) const {
  const std::vector<std::filesystem::path> candidates = checkpoints();
  if (candidates.empty()) {
    const size_t set_aside = set_aside_checkpoints().size();
    require(set_aside == 0, root_.string() + ": no valid checkpoint to resume from (" + std::to_string(set_aside) +
                                " set aside as damaged or foreign, *.corrupt in " + checkpoint_folder().string() +
                                "; start over with --force)");
    throw Error(root_.string() + ": no checkpoint to resume from (in " + checkpoint_folder().string() + ")");
  }
  std::string newest_problem;
  for (const auto& path : candidates) {
    try {
      const CheckpointReader reader(path);
      restore(reader);
      return reader.info();
    } catch (const IncompatibleCheckpoint&) {
      throw;
    } catch (const Error& error) {
      std::cerr << "warning: skipping checkpoint " << error.what() << "\n";
      if (newest_problem.empty()) newest_problem = error.what();
      if (failed) failed(path);
    }
  }
  throw Error(root_.string() + ": no valid checkpoint (newest: " + newest_problem + ")");
}

void RunDirectory::set_aside(const std::filesystem::path& checkpoint) const {
  std::filesystem::path aside = checkpoint;
  aside += kSetAsideExtension;
  std::error_code error;
  std::filesystem::rename(checkpoint, aside, error);
  require(!error, checkpoint.string() + ": cannot move it aside to " + aside.string() + ": " + error.message());
  std::cerr << "note: moved " << checkpoint.string() << " to " << aside.string() << "\n";
}

}  // namespace knnformer
