#include "train/plot_script.h"

#include <algorithm>
#include <cstdio>

#include "core/error.h"

namespace knnformer {

namespace {

// Colours that stay apart for the colour-blind (Okabe and Ito). The faint
// train lines are these with gnuplot's alpha byte (transparency) 0x55 in front.
constexpr const char* kColours[] = {"0072b2", "d55e00", "009e73", "cc79a7", "e69f00", "56b4e9", "000000", "f0e442"};
constexpr size_t kColourCount = std::size(kColours);

// A gnuplot string literal: in single quotes, a quote is doubled.
std::string quoted(const std::string& text) {
  std::string out = "'";
  for (const char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

std::string terminal(ImageFormat format) {
  switch (format) {
    case ImageFormat::png: return "set terminal pngcairo size 1600,640 noenhanced font 'Sans,12'\n";
    case ImageFormat::svg:  // with a background: transparent ones turn unreadable in dark viewers
      return "set terminal svg size 1600,640 dynamic noenhanced font 'Sans,12' background rgb 'white'\n";
  }
  return "";
}

struct XAxis {
  std::string label;
  std::string column;  // a `using` expression
  std::string format;  // of the tic labels
};

XAxis progress_axis(CompareAxis axis) {
  if (axis == CompareAxis::tokens)
    return {.label = "tokens", .column = std::to_string(plot_column::tokens), .format = "%.1s%c"};
  return {.label = "step", .column = std::to_string(plot_column::step), .format = "%g"};
}

XAxis time_axis(double longest_seconds) {
  const int seconds = plot_column::seconds;
  if (longest_seconds > 600)
    return {.label = "training time (minutes)", .column = "($" + std::to_string(seconds) + "/60)", .format = "%g"};
  return {.label = "training time (seconds)", .column = std::to_string(seconds), .format = "%g"};
}

bool has_val(const PlotRequest& request, size_t run) {
  return std::any_of(request.blocks.begin(), request.blocks.end(),
                     [&](const PlotBlock& block) { return block.run == run && block.is_val; });
}

// The curve in block `index` of the data file.
std::string curve(const PlotRequest& request, size_t index, const std::string& using_) {
  const PlotBlock& block = request.blocks[index];
  const std::string colour = kColours[block.run % kColourCount];
  const std::string style = block.is_val ? "linespoints lw 2.5 pt 7 ps 0.8 lc rgb '#" + colour + "'"
                                         : "lines lw 1.5 lc rgb '#55" + colour + "'";
  // The key lists each run once: by its val curve, or its train curve when it has none.
  const bool titled = block.is_val || !has_val(request, block.run);
  return quoted(request.data.string()) + " index " + std::to_string(index) + using_ + " with " + style +
         (titled ? " title " + quoted(request.names[block.run]) : " notitle");
}

// One panel: both curves of every run against the x axis.
std::string panel(const PlotRequest& request, const XAxis& x, const std::string& title, bool with_key) {
  std::string text =
      "set title " + quoted(title) + "\nset xlabel " + quoted(x.label) + "\nset format x " + quoted(x.format) + "\n" +
      (with_key ? "set key top right Left reverse opaque box samplen 3 width 2\n" : "unset key\n") + "plot ";
  const std::string using_ = " using " + x.column + ":" + std::to_string(plot_column::loss);
  for (size_t index = 0; index < request.blocks.size(); ++index)
    text += (index ? ", \\\n     " : "") + curve(request, index, using_);
  return text + "\n";
}

// Up to the ceiling, if any: the first steps' high losses would squash the
// end of the curves, where runs differ, into a thin band.
std::string loss_range(std::optional<double> ceiling) {
  if (!ceiling) return "";
  char range[64];
  std::snprintf(range, sizeof range, "set yrange [*:%.4g]\n", *ceiling);
  return range;
}

std::string joined(const std::vector<std::string>& names, const std::string& separator) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : separator) + name;
  return out;
}

}  // namespace

ImageFormat image_format(const std::filesystem::path& image) {
  const std::string extension = image.extension().string();
  if (extension == ".png") return ImageFormat::png;
  if (extension == ".svg") return ImageFormat::svg;
  throw Error("--plot " + image.string() + ": expected a .png or .svg file");
}

std::string gnuplot_script(const PlotRequest& request) {
  const XAxis progress = progress_axis(request.axis);
  return "# knnformer compare: train and val loss of " + std::to_string(request.names.size()) + " runs\n" +
         terminal(request.format) + "set output " + quoted(request.image.string()) + "\n" +
         "set multiplot layout 1,2 title " + quoted("train and val loss: " + joined(request.names, " vs ")) +
         " font ',15'\n"
         "set grid lc rgb '#dddddd'\n"
         "set ylabel 'loss (cross-entropy, nats per token)'\n"
         "set border lc rgb '#555555'\n"
         "set xrange [0:*]\n" + loss_range(request.loss_ceiling) +
         panel(request, progress, "val loss (dots) and train loss (faint) against " + progress.label, true) +
         panel(request, time_axis(request.longest_seconds), "the same against training time", false) +
         "unset multiplot\nunset output\n";
}

}  // namespace knnformer
