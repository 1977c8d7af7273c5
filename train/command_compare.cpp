// `knnformer compare RUN_DIR [RUN_DIR...] [--plot FILE.png|FILE.svg] [--by step|tokens|time]`:
// how runs that differ in their attention compare — a table of their val
// losses and speeds against the first run (and, on data with answers, one of
// their val accuracy and the time they took to reach it), and a plot of their
// curves.
//
//   knnformer compare runs/exact runs/knn runs/gumbel --plot runs.png
//
// Runs are compared on the range all of them cover (see compare_alignment.h).
// The plot is drawn by gnuplot from a data file kept next to it (runs.dat).
// Bad options and an unwritable plot path are reported before anything is
// read; the tables are printed before the plot is drawn, so they are there
// even when gnuplot is missing.
#include <unistd.h>

#include <iostream>
#include <optional>

#include <boost/program_options.hpp>

#include "core/error.h"
#include "train/command_line.h"
#include "train/commands.h"
#include "train/compare_alignment.h"
#include "train/compare_run.h"
#include "train/compare_summary.h"
#include "train/compare_table.h"
#include "train/plot.h"
#include "train/plot_script.h"

namespace knnformer {

namespace {

namespace po = boost::program_options;
namespace fs = std::filesystem;

struct CompareRequest {
  std::vector<fs::path> runs;
  CompareAxis axis = CompareAxis::step;
  std::optional<fs::path> plot;
};

po::options_description compare_options() {
  po::options_description options("compare");
  options.add_options()
      ("plot", po::value<std::string>()->value_name("FILE"),
       "draw the loss (and accuracy) curves into FILE.png or FILE.svg (with gnuplot), their points into FILE.dat")
      ("by", po::value<std::string>()->default_value("step")->value_name("AXIS"),
       "align the runs by step, tokens or time (wall-clock training time)")
      ("help", "this text");
  return options;
}

void print_usage(const po::options_description& options) {
  std::cout << "usage: knnformer compare RUN_DIR [RUN_DIR...] [--plot FILE.png|FILE.svg] [--by step|tokens|time]\n"
               "Compares runs against the first: val loss, perplexity, gap in %, median ms/step, speed ratio;\n"
               "on data with answers, val accuracy and the training time to 50% and 90%.\n"
               "--plot draws with gnuplot (Debian: apt-get install gnuplot-nox).\n"
            << options;
}

// The file's folder must exist and take new files, and the file, if it
// exists, must be writable. `what` names the file in the error.
void require_writable(const fs::path& file, const std::string& what) {
  const fs::path folder = file.has_parent_path() ? file.parent_path() : fs::path(".");
  const std::string cannot = what + ": cannot write there";
  require(fs::is_directory(folder), cannot + " (no folder " + folder.string() + ")");
  require(::access(folder.c_str(), W_OK) == 0, cannot + " (the folder " + folder.string() + " is not writable)");
  require(!fs::exists(file) || (fs::is_regular_file(file) && ::access(file.c_str(), W_OK) == 0),
          cannot + " (it is not a writable file)");
}

std::optional<CompareRequest> parse_request(const Arguments& arguments) {
  const po::options_description options = compare_options();
  po::options_description all;
  all.add(options).add_options()("run", po::value<std::vector<std::string>>());
  const po::variables_map flags = parse_flags("compare", arguments, all, {"run", -1});
  if (flags.count("help")) {
    print_usage(options);
    return std::nullopt;
  }
  require_usage(flags.count("run"), "no run directory given (knnformer compare RUN_DIR [RUN_DIR...])");
  CompareRequest request;
  for (const std::string& run : flags["run"].as<std::vector<std::string>>()) request.runs.emplace_back(run);
  request.axis = parse_enum<CompareAxis>(flags["by"].as<std::string>(), "--by");
  if (flags.count("plot")) {
    request.plot = flags["plot"].as<std::string>();
    image_format(*request.plot);
    require_writable(*request.plot, "--plot " + request.plot->string());
    require_writable(plot_data_path(*request.plot), "the plot's data file " + plot_data_path(*request.plot).string());
  }
  return request;
}

void warn(const std::string& message) { std::cerr << "knnformer compare: warning: " << message << "\n"; }

// "exact: a.h5, knn: b.h5" when the runs' values differ; empty when they agree.
template <typename Describe>
std::string differences(const std::vector<ComparedRun>& runs, Describe describe) {
  std::string listed;
  bool differ = false;
  for (const ComparedRun& run : runs) {
    differ = differ || describe(run) != describe(runs.front());
    listed += (listed.empty() ? "" : ", ") + run.name + ": " + describe(run);
  }
  return differ ? listed : "";
}

void warn_about_inputs(const std::vector<ComparedRun>& runs) {
  for (const ComparedRun& run : runs)
    if (run.metrics_cut_short)
      warn((run.directory / "metrics.csv").string() + " ends in a row cut short (run killed or still writing): " +
           "using its " + std::to_string(run.rows.size()) + " complete rows");
  const std::string datasets = differences(runs, [](const ComparedRun& run) { return run.config.data; });
  if (!datasets.empty()) warn("the runs train on different datasets (" + datasets + "); comparing on the common range");
  const std::string budgets = differences(runs, [](const ComparedRun& run) {
    return std::to_string(run.config.steps) + " steps of " + std::to_string(run.config.tokens_per_step()) + " tokens";
  });
  if (!budgets.empty()) warn("the runs have different token budgets (" + budgets + "); comparing on the common range");
  const std::string models = differences(runs, [](const ComparedRun& run) {
    const RunConfig& config = run.config;
    return std::to_string(config.n_layer) + " layers, " + std::to_string(config.n_head) + " heads, n-embd " +
           std::to_string(config.n_embd) + ", " + std::string(name_of(config.positions)) + " positions";
  });
  if (!models.empty()) warn("the runs' models differ (" + models + "): their gaps are not the attention's alone");
}

std::string range_line(const Alignment& aligned) {
  const auto limit = std::to_string(static_cast<int64_t>(aligned.limit));
  switch (aligned.axis) {
    case CompareAxis::step: return "compared by step, up to step " + limit + " (the last step every run logged)";
    case CompareAxis::tokens: return "compared by tokens, up to " + limit + " tokens (the last count every run logged)";
    case CompareAxis::time:
      return "compared by time, up to " + duration_text(aligned.limit) +
             " of training (where the shortest run stopped)";
  }
  return "";
}

}  // namespace

int run_compare(const Arguments& arguments) {
  const std::optional<CompareRequest> request = parse_request(arguments);
  if (!request) return 0;
  const std::vector<ComparedRun> runs = load_compared_runs(request->runs);
  warn_about_inputs(runs);

  std::vector<Curve> curves;
  std::vector<std::string> names;
  for (const ComparedRun& run : runs) {
    curves.push_back(curve_of(run));
    names.push_back(run.name);
  }
  const Alignment aligned = align_curves(curves, request->axis);
  const std::vector<RunSummary> summaries = summarize_runs(runs, aligned);
  std::cout << range_line(aligned) << "\n\n" << format_compare_table(summaries);
  if (const std::string accuracy = format_accuracy_table(summaries); !accuracy.empty()) std::cout << "\n" << accuracy;
  if (const std::string figures = format_figures_table(summaries); !figures.empty()) std::cout << "\n" << figures;
  std::cout.flush();  // the tables stand even when the plot fails

  if (request->plot) {
    draw_compare_plot(*request->plot, names, aligned);
    std::cout << "\nplot: " << request->plot->string() << " (its points: " << plot_data_path(*request->plot).string()
              << ")\n";
  }
  return 0;
}

}  // namespace knnformer
