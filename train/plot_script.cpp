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

// Each row of panels 640 pixels high.
std::string terminal(ImageFormat format, int rows) {
  const std::string size = "size 1600," + std::to_string(640 * rows);
  switch (format) {
    case ImageFormat::png: return "set terminal pngcairo " + size + " noenhanced font 'Sans,12'\n";
    case ImageFormat::svg:  // with a background: transparent ones turn unreadable in dark viewers
      return "set terminal svg " + size + " dynamic noenhanced font 'Sans,12' background rgb 'white'\n";
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

// The `using` expression of a curve's y value: accuracies in %.
std::string value_column(CurveKind kind) {
  const std::string value = std::to_string(plot_column::value);
  return kind == CurveKind::val_accuracy ? "($" + value + "*100)" : value;
}

bool has_val_loss(const PlotRequest& request, size_t run) {
  return std::any_of(request.blocks.begin(), request.blocks.end(),
                     [&](const PlotBlock& block) { return block.run == run && block.kind == CurveKind::val_loss; });
}

// The curve in block `index` of the data file. Val curves are bold lines
// with dots, train loss a faint line of the same colour.
std::string curve(const PlotRequest& request, size_t index, const XAxis& x) {
  const PlotBlock& block = request.blocks[index];
  const std::string colour = kColours[block.run % kColourCount];
  const bool is_train = block.kind == CurveKind::train_loss;
  const std::string style = is_train ? "lines lw 1.5 lc rgb '#55" + colour + "'"
                                     : "linespoints lw 2.5 pt 7 ps 0.8 lc rgb '#" + colour + "'";
  // The key of the loss panel lists each run once: by its val curve, or its train curve when it has none.
  const bool titled = !is_train || !has_val_loss(request, block.run);
  return quoted(request.data.string()) + " index " + std::to_string(index) + " using " + x.column + ":" +
         value_column(block.kind) + " with " + style +
         (titled ? " title " + quoted(request.names[block.run]) : " notitle");
}

// The legend, in a corner the curves rarely reach: losses fall, accuracies rise.
std::string key(const std::string& corner) {
  return "set key " + corner + " Left reverse opaque box samplen 3 width 2\n";
}
constexpr const char* kNoKey = "unset key\n";

// One panel: the curves of these kinds of every run against the x axis.
std::string panel(const PlotRequest& request, const XAxis& x, const std::string& title, const std::string& key_setting,
                  const std::vector<CurveKind>& kinds) {
  std::string curves;
  for (size_t index = 0; index < request.blocks.size(); ++index)
    if (std::find(kinds.begin(), kinds.end(), request.blocks[index].kind) != kinds.end())
      curves += (curves.empty() ? "" : ", \\\n     ") + curve(request, index, x);
  return "set title " + quoted(title) + "\nset xlabel " + quoted(x.label) + "\nset format x " + quoted(x.format) +
         "\n" + key_setting + "plot " + curves + "\n";
}

// Up to the ceiling, if any: the first steps' high losses would squash the
// end of the curves, where runs differ, into a thin band.
std::string loss_range(std::optional<double> ceiling) {
  if (!ceiling) return "";
  char range[64];
  std::snprintf(range, sizeof range, "set yrange [*:%.4g]\n", *ceiling);
  return range;
}

// The top row: train and val loss against progress and against time.
std::string loss_row(const PlotRequest& request, const XAxis& progress, const XAxis& time) {
  const std::vector<CurveKind> losses = {CurveKind::train_loss, CurveKind::val_loss};
  return loss_range(request.loss_ceiling) +
         panel(request, progress, "val loss (dots) and train loss (faint) against " + progress.label,
               key("top right"), losses) +
         panel(request, time, "the same against training time", kNoKey, losses);
}

// The row below, on data with answers: val accuracy in %, on the same x axes.
std::string accuracy_row(const PlotRequest& request, const XAxis& progress, const XAxis& time) {
  const std::vector<CurveKind> accuracy = {CurveKind::val_accuracy};
  return "set ylabel 'val accuracy'\nset yrange [0:100]\nset format y '%g%%'\n" +
         panel(request, progress, "val accuracy against " + progress.label, key("bottom right"), accuracy) +
         panel(request, time, "the same against training time", kNoKey, accuracy);
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
  const bool accuracy = has_accuracy(request.blocks);
  const std::string shown = accuracy ? "train and val loss, val accuracy" : "train and val loss";
  const XAxis progress = progress_axis(request.axis);
  const XAxis time = time_axis(request.longest_seconds);
  return "# knnformer compare: " + shown + " of " + std::to_string(request.names.size()) + " runs\n" +
         terminal(request.format, accuracy ? 2 : 1) + "set output " + quoted(request.image.string()) + "\n" +
         "set multiplot layout " + (accuracy ? "2,2" : "1,2") + " title " +
         quoted(shown + ": " + joined(request.names, " vs ")) + " font ',15'\n"
         "set grid lc rgb '#dddddd'\n"
         "set ylabel 'loss (cross-entropy, nats per token)'\n"
         "set border lc rgb '#555555'\n"
         "set xrange [0:*]\n" +
         loss_row(request, progress, time) + (accuracy ? accuracy_row(request, progress, time) : "") +
         "unset multiplot\nunset output\n";
}

}  // namespace knnformer
