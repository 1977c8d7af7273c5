#pragma once
// The points of compare's plot as a gnuplot data file, kept next to the image
// so that what was drawn can be checked, or plotted again some other way.
//
//   write_file_atomically("runs.dat", plot_data_text(names, aligned));
//   for (const PlotBlock& block : plot_blocks(aligned)) ...   // gnuplot's `index` 0, 1, ...
//
// One block per curve, apart by two blank lines: each run's train loss at
// every row, then its val loss where it was evaluated — unless it never was
// in the range, for gnuplot does not count an empty block. After the loss
// blocks of all runs come, on data with answers, the val accuracy blocks:
// one per run that logged a val accuracy in the range, its points where it
// was evaluated. Each block opens with a comment naming it ("# knn: val
// accuracy"), then one point per line, with the columns
//   step  tokens  seconds  value
// (seconds: training time up to the step; value: the loss, or the accuracy
// as a fraction), as the file's first line says. Only the common range is
// written: what the table compares is what the plot shows.
#include <array>
#include <string>
#include <vector>

#include "core/enum_names.h"
#include "train/compare_alignment.h"

namespace knnformer {

// The columns of a point, 1-based, as gnuplot's `using` names them.
namespace plot_column {
inline constexpr int step = 1;
inline constexpr int tokens = 2;
inline constexpr int seconds = 3;
inline constexpr int value = 4;
}  // namespace plot_column

// What a block of the data file holds; its name is the block comment's.
enum class CurveKind { train_loss, val_loss, val_accuracy };
constexpr std::array<EnumName<CurveKind>, 3> kCurveKindNames{{{CurveKind::train_loss, "train loss"},
                                                              {CurveKind::val_loss, "val loss"},
                                                              {CurveKind::val_accuracy, "val accuracy"}}};
constexpr const auto& enum_names(CurveKind) { return kCurveKindNames; }

// One block of the data file: one curve of a run.
struct PlotBlock {
  size_t run = 0;
  CurveKind kind = CurveKind::train_loss;
};

// The blocks of the data file, in order.
std::vector<PlotBlock> plot_blocks(const Alignment& aligned);

// Whether any of the blocks is a val accuracy curve.
bool has_accuracy(const std::vector<PlotBlock>& blocks);

// names[r] is the name of aligned.curves[r].
std::string plot_data_text(const std::vector<std::string>& names, const Alignment& aligned);

}  // namespace knnformer
