#include <doctest/doctest.h>

#include "core/error.h"
#include "train/plot_data.h"
#include "train/plot_script.h"

using namespace knnformer;

namespace {

Alignment two_curves() {
  Alignment aligned;
  aligned.limit = 20;
  const auto point = [](int64_t step, double seconds, double train_loss, std::optional<double> val_loss) {
    return CurvePoint{.step = step, .tokens = 8 * step, .seconds = seconds, .train_loss = train_loss,
                      .val_loss = val_loss, .ms_per_step = 1, .tokens_per_s = 1};
  };
  aligned.curves.push_back({point(10, 0.5, 2.5, std::nullopt), point(20, 1.25, 2.0, 2.125)});
  aligned.curves.push_back({point(10, 0.25, 2.75, std::nullopt), point(20, 0.5, 2.25, std::nullopt)});
  return aligned;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("compare plot: the data file holds each run's train and val points, in gnuplot blocks") {
  CHECK(plot_data_text({"exact", "knn"}, two_curves()) ==
        "# knnformer compare, by step: the points of the plot; columns: step tokens seconds loss\n"
        "# exact: train loss\n"
        "10 80 0.500 2.500000\n"
        "20 160 1.250 2.000000\n"
        "\n\n"
        "# exact: val loss\n"
        "20 160 1.250 2.125000\n"
        "\n\n"
        "# knn: train loss\n"
        "10 80 0.250 2.750000\n"
        "20 160 0.500 2.250000\n"
        "\n\n"
        "# knn: val loss\n"
        "\n\n");
  CHECK(train_block(1) == 2);
  CHECK(val_block(1) == 3);
}

TEST_CASE("compare plot: the gnuplot script draws both panels, one labelled line per curve") {
  const PlotRequest request{.image = "out/it's.png.tmp",
                            .format = ImageFormat::png,
                            .data = "out/it's.dat",
                            .names = {"exact", "knn"},
                            .has_val = {true, false},
                            .axis = CompareAxis::tokens,
                            .longest_seconds = 900,
                            .loss_ceiling = 2.5};
  const std::string script = gnuplot_script(request);
  CHECK(contains(script, "set terminal pngcairo"));
  CHECK(contains(script, "set output 'out/it''s.png.tmp'\n"));  // a quote in a gnuplot string is doubled
  CHECK(contains(script, "set multiplot layout 1,2 title 'train and val loss: exact vs knn'"));
  CHECK(contains(script, "set yrange [*:2.5]\n"));
  CHECK(contains(script, "set xlabel 'tokens'\n"));
  CHECK(contains(script, "set xlabel 'training time (minutes)'\n"));
  // The key names each run once: by its val curve, or by its train curve when it was never evaluated.
  CHECK(contains(script, "'out/it''s.dat' index 0 using 2:4 with lines lw 1.5 lc rgb '#550072b2' notitle"));
  CHECK(contains(script, "'out/it''s.dat' index 1 using 2:4 with linespoints lw 2.5 pt 7 ps 0.8 lc rgb '#0072b2' "
                         "title 'exact'"));
  CHECK(contains(script, "'out/it''s.dat' index 2 using 2:4 with lines lw 1.5 lc rgb '#55d55e00' title 'knn'"));
  CHECK(contains(script, "'out/it''s.dat' index 2 using ($3/60):4 with lines"));
  CHECK_FALSE(contains(script, "index 3"));  // knn was never evaluated: no empty block to plot
  CHECK(contains(script, "unset multiplot\nunset output\n"));

  const PlotRequest svg{.image = "a.svg", .format = ImageFormat::svg, .data = "a.dat", .names = {"a"},
                        .has_val = {true}, .axis = CompareAxis::step, .longest_seconds = 30, .loss_ceiling = {}};
  const std::string svg_script = gnuplot_script(svg);
  CHECK(contains(svg_script, "set terminal svg"));
  CHECK(contains(svg_script, "set xlabel 'step'\n"));
  CHECK(contains(svg_script, "set xlabel 'training time (seconds)'\n"));
  CHECK_FALSE(contains(svg_script, "yrange"));
}

TEST_CASE("compare plot: the image format from the file's extension") {
  CHECK(image_format("runs.png") == ImageFormat::png);
  CHECK(image_format("a/b.svg") == ImageFormat::svg);
  CHECK_THROWS_WITH_AS(image_format("runs.jpg"), "--plot runs.jpg: expected a .png or .svg file", Error);
}
