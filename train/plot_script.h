#pragma once
// The gnuplot script that draws compare's plot from its data file
// (plot_data.h): two panels side by side, train and val loss against step
// (or tokens) and against training time, one colour per run — val loss a
// bold line with dots, train loss a faint line of the same colour — with a
// legend, axis labels and a title. When the data has val accuracy blocks, a
// second row of two panels below shows the val accuracy (0% to 100%) against
// the same two axes, in the same colours, as bold lines with dots.
//
//   const PlotRequest request{.image = "runs.png.tmp", .format = image_format("runs.png"),
//                             .data = "runs.dat", .names = {"exact", "knn"},
//                             .blocks = plot_blocks(aligned), .axis = CompareAxis::step};
//   run_gnuplot(find_gnuplot(), gnuplot_script(request), "runs.gp");   // plot_gnuplot.h
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "train/compare_alignment.h"
#include "train/plot_data.h"

namespace knnformer {

enum class ImageFormat { png, svg };

// From the file's extension, .png or .svg; Error naming the file otherwise.
ImageFormat image_format(const std::filesystem::path& image);

struct PlotRequest {
  std::filesystem::path image;     // where gnuplot writes the picture
  ImageFormat format = ImageFormat::png;
  std::filesystem::path data;      // the points, as plot_data_text writes them
  std::vector<std::string> names;  // the runs, in the data's order
  std::vector<PlotBlock> blocks;   // the data file's blocks (plot_blocks): which panels show which
  CompareAxis axis = CompareAxis::step;  // the left panel's x axis; step when comparing by time
  double longest_seconds = 0;      // the time axis is in minutes beyond 10 minutes
  std::optional<double> loss_ceiling;  // the top of the loss axis; none: the highest loss
};

std::string gnuplot_script(const PlotRequest& request);

}  // namespace knnformer
