#pragma once
// The points of compare's plot as a gnuplot data file, kept next to the image
// so that what was drawn can be checked, or plotted again some other way.
//
//   write_file_atomically("runs.dat", plot_data_text(names, aligned));
//
// Two blocks per run, apart by two blank lines (gnuplot's `index`): block 2r
// is run r's train loss at every row, block 2r+1 its val loss where it was
// evaluated. Each block opens with a comment naming it, then one point per
// line, with the columns
//   step  tokens  seconds  loss
// (seconds: training time up to the step). Only the common range is written:
// what the table compares is what the plot shows.
#include <string>
#include <vector>

#include "train/compare_alignment.h"

namespace knnformer {

// The columns of a point, 1-based, as gnuplot's `using` names them.
namespace plot_column {
inline constexpr int step = 1;
inline constexpr int tokens = 2;
inline constexpr int seconds = 3;
inline constexpr int loss = 4;
}  // namespace plot_column

// The blocks of run r.
inline int train_block(size_t run) { return static_cast<int>(2 * run); }
inline int val_block(size_t run) { return static_cast<int>(2 * run + 1); }

// names[r] is the name of aligned.curves[r].
std::string plot_data_text(const std::vector<std::string>& names, const Alignment& aligned);

}  // namespace knnformer
