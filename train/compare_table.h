#pragma once
// The tables `knnformer compare` prints: a header and one line per run, in
// aligned columns (text left, numbers right).
//
//   std::cout << format_compare_table(summarize_runs(runs, aligned));
//
//   run    attention  backward  k  samples  index  steps  final val  final ppl  final gap  best val ...
//   exact  exact      exact     -        -  -        300     0.1593       1.17     +0.00%    0.1593 ...
//   knn    knn        sparse    8        -  exact    300     0.1835       1.20    +15.21%    0.1835 ...
//
// Losses with 4 decimals, perplexities (exp of the loss) with 2, gaps to the
// first run in % with a sign, the median ms/step with 1 decimal, the median
// tokens/s, and the speed ratio to the first run as "2.31x". "-" where a run
// has no val loss yet.
#include <string>
#include <vector>

#include "train/compare_summary.h"

namespace knnformer {

std::string format_compare_table(const std::vector<RunSummary>& summaries);

// The val accuracy of runs on data with answers, which are compared by the
// time they take to get the answers right: final and best (and the step of
// the best), in % with 1 decimal; the step and training time (as
// duration_text writes it) at which it first reached 50% and 90%; and the
// time to 90% over the first run's ("0.10x": in a tenth of its time). "-"
// where a run has no val accuracy or did not reach a threshold. Empty when no
// run has a val accuracy.
//
//   run    final acc  best acc  best at  steps to 50%  time to 50%  steps to 90%  time to 90%  time to 90% vs first
//   exact      93.8%     93.8%      400           200       3.00 s           400      10.00 s                 1.00x
//   knn        87.5%     95.0%      300           100       0.50 s           200       1.00 s                 0.10x
std::string format_accuracy_table(const std::vector<RunSummary>& summaries);

// A training time as compare prints it: "0.15 s" below 100 s, "12.5 min" from there on.
std::string duration_text(double seconds);

// The metrics columns beyond the standard ones (attention fidelity, say):
// one line per column, one column per run, each a mean with 4 significant
// digits, "-" where a run has no value. Empty when no run has such a column.
// A column named NAME.N (N a number) is part N of the figure NAME, as the
// per-layer fidelity figures fidelity_out.0, fidelity_out.1, ... are of
// their mean over the layers fidelity_out (train/model_fidelity.h): the
// table leaves the parts out and shows NAME.
//
//   figure (mean over the rows that log it)   exact     knn
//   fidelity_out                                  0  0.0123
//   fidelity_recall                               1       1
std::string format_figures_table(const std::vector<RunSummary>& summaries);

}  // namespace knnformer
