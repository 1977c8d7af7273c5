#pragma once
// The points of compare's plot as a gnuplot data file, kept next to the image
// so that what was drawn can be checked, or plotted again some other way.
//
//   write_file_atomically("runs.dat", plot_data_text(names, aligned));
//   for (const PlotBlock& block : plot_blocks(aligned)) ...   // gnuplot's `index` 0, 1, ...
//
// One block per curve, apart by two blank lines: each run's train loss at
// every row, then its val loss where it was evaluated — unless it never was
// in the range, for gnuplot does not count an empty block. Each block opens
// with a comment naming it, then one point per line, with the columns
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

// One block of the data file: a run's train or val curve.
struct PlotBlock {
  size_t run = 0;
  bool is_val = false;
};

// The blocks of the data file, in order.
std::vector<PlotBlock> plot_blocks(const Alignment& aligned);

// names[r] is the name of aligned.curves[r].
std::string plot_data_text(const std::vector<std::string>& names, const Alignment& aligned);

}  // namespace knnformer
