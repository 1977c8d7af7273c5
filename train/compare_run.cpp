#include "train/compare_run.h"

#include <algorithm>

#include "core/error.h"
#include "train/atomic_file.h"
#include "train/compare_metrics.h"
#include "train/run_directory.h"

namespace knnformer {

namespace {

void require_run_directory(const RunDirectory& run) {
  const std::string name = run.root().string();
  require(std::filesystem::is_directory(run.root()), name + " is not a run directory (no such folder)");
  for (const auto& file : {run.config_file(), run.metrics_file()})
    require(std::filesystem::is_regular_file(file),
            name + " is not a run directory (no " + file.filename().string() + ")");
}

// "runs/knn/" and "." name the folder itself, not an empty last component.
std::string folder_name(const std::filesystem::path& directory) {
  return std::filesystem::weakly_canonical(directory).filename().string();
}

}  // namespace

std::vector<std::optional<double>> ComparedRun::extra_column(std::string_view column) const {
  std::vector<std::optional<double>> values(rows.size());
  const auto found = std::find(extra_columns.begin(), extra_columns.end(), column);
  if (found == extra_columns.end()) return values;
  const auto c = static_cast<size_t>(found - extra_columns.begin());
  for (size_t i = 0; i < rows.size(); ++i) values[i] = extra[i][c];
  return values;
}

ComparedRun load_compared_run(const std::filesystem::path& directory) {
  const RunDirectory run(directory);
  require_run_directory(run);
  RunConfig config;
  apply_config_file(config, run.config_file());
  MetricsFile metrics = parse_metrics_csv(read_file(run.metrics_file()), run.metrics_file().string());
  require(!metrics.rows.empty(), run.metrics_file().string() + " holds no complete row yet");
  return {.name = folder_name(directory),
          .directory = directory,
          .config = std::move(config),
          .rows = std::move(metrics.rows),
          .extra_columns = std::move(metrics.extra_columns),
          .extra = std::move(metrics.extra),
          .metrics_cut_short = metrics.cut_short};
}

std::vector<ComparedRun> load_compared_runs(const std::vector<std::filesystem::path>& directories) {
  std::vector<ComparedRun> runs;
  for (const auto& directory : directories) runs.push_back(load_compared_run(directory));
  // Two folders of the same name (a/run, b/run) are told apart by their paths.
  std::vector<std::string> names;
  for (const ComparedRun& run : runs) names.push_back(run.name);
  for (ComparedRun& run : runs)
    if (std::count(names.begin(), names.end(), run.name) > 1) run.name = run.directory.string();
  return runs;
}

}  // namespace knnformer
