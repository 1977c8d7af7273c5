#include "train/run_directory.h"

#include <algorithm>
#include <cstdio>
#include <iostream>

#include "core/error.h"

namespace knnformer {

namespace {

constexpr std::string_view kCheckpointPrefix = "step-";
constexpr std::string_view kCheckpointSuffix = ".h5";

// The step of a checkpoint file name ("step-00000500.h5" → 500), or -1.
int64_t checkpoint_step(const std::filesystem::path& file) {
  const std::string name = file.filename().string();
  if (!name.starts_with(kCheckpointPrefix) || !name.ends_with(kCheckpointSuffix)) return -1;
  const std::string digits =
      name.substr(kCheckpointPrefix.size(), name.size() - kCheckpointPrefix.size() - kCheckpointSuffix.size());
  if (digits.empty() || !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return -1;
  return std::stoll(digits);
}

}  // namespace

std::filesystem::path RunDirectory::checkpoint_path(int64_t step) const {
  char name[40];
  std::snprintf(name, sizeof name, "step-%08lld.h5", static_cast<long long>(step));
  return checkpoint_folder() / name;
}

bool RunDirectory::holds_run() const {
  return std::filesystem::exists(config_file()) || std::filesystem::exists(metrics_file()) ||
         std::filesystem::exists(checkpoint_folder());
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
      if (const int64_t step = checkpoint_step(entry.path()); step >= 0) found.emplace_back(step, entry.path());
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

CheckpointInfo RunDirectory::restore_newest(const std::function<void(const CheckpointReader&)>& restore) const {
  const std::vector<std::filesystem::path> candidates = checkpoints();
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
    }
  }
  require(!candidates.empty(), root_.string() + ": no checkpoint to resume from (in " +
                                   checkpoint_folder().string() + ")");
  throw Error(root_.string() + ": no valid checkpoint (newest: " + newest_problem + ")");
}

}  // namespace knnformer
