#pragma once
// The plot of `knnformer compare`: the aligned runs' train and val loss, and
// their val accuracy when any has one, drawn by gnuplot into a PNG or SVG,
// with the points kept beside it.
//
//   draw_compare_plot("runs.png", {"exact", "knn"}, aligned);
//   // runs.png, and runs.dat (plot_data_path) with the points it shows
//
// gnuplot is looked for before anything is written (Error saying how to
// install it). The picture is drawn under a temporary name and renamed when
// gnuplot has finished, so a failed plot never leaves a half-drawn image.
#include <filesystem>
#include <string>
#include <vector>

#include "train/compare_alignment.h"

namespace knnformer {

// Where the points of the plot go: "runs.png" -> "runs.dat".
std::filesystem::path plot_data_path(const std::filesystem::path& image);

// names[r] is the name of aligned.curves[r]. The format comes from the
// image's extension (image_format).
void draw_compare_plot(const std::filesystem::path& image, const std::vector<std::string>& names,
                       const Alignment& aligned);

}  // namespace knnformer
