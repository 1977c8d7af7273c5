#include <doctest/doctest.h>

#include "core/error.h"
#include "train/plot_data.h"
#include "train/plot_script.h"

using namespace knnformer;

namespace {

CurvePoint point(int64_t step, double seconds, double train_loss, std::optional<double> val_loss) {
  return CurvePoint{.step = step, .tokens = 8 * step, .seconds = seconds, .train_loss = train_loss,
                    .val_loss = val_loss, .ms_per_step = 1, .tokens_per_s = 1};
}

// exact and gumbel were evaluated at step 20; knn, between them, never was.
Alignment three_curves() {
  Alignment aligned;
  aligned.limit = 20;
  aligned.curves.push_back({point(10, 0.5, 2.5, std::nullopt), point(20, 1.25, 2.0, 2.125)});
  aligned.curves.push_back({point(10, 0.25, 2.75, std::nullopt), point(20, 0.5, 2.25, std::nullopt)});
  aligned.curves.push_back({point(20, 2.0, 2.5, 2.625)});
  return aligned;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("compare plot: the data file holds each run's train and val points, in gnuplot blocks") {
  CHECK(plot_data_text({"exact", "knn", "gumbel"}, three_curves()) ==
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
        "# gumbel: train loss\n"
        "20 160 2.000 2.500000\n"
        "\n\n"
        "# gumbel: val loss\n"
        "20 160 2.000 2.625000\n"
        "\n\n");
  // No block for knn's val loss: gnuplot would not count an empty one, and every later index would be off by one.
  const std::vector<PlotBlock> blocks = plot_blocks(three_curves());
  REQUIRE(blocks.size() == 5);
  CHECK((blocks[2].run == 1 && !blocks[2].is_val));
  CHECK((blocks[3].run == 2 && !blocks[3].is_val));
  CHECK((blocks[4].run == 2 && blocks[4].is_val));
}

TEST_CASE("compare plot: the gnuplot script draws both panels, one labelled line per run") {
  const PlotRequest request{.image = "out/it's.png.tmp",
                            .format = ImageFormat::png,
                            .data = "out/it's.dat",
                            .names = {"exact", "knn", "gumbel"},
                            .blocks = plot_blocks(three_curves()),
                            .axis = CompareAxis::tokens,
                            .longest_seconds = 900,
                            .loss_ceiling = 2.5};
  const std::string script = gnuplot_script(request);
  CHECK(contains(script, "set terminal pngcairo"));
  CHECK(contains(script, "set output 'out/it''s.png.tmp'\n"));  // a quote in a gnuplot string is doubled
  CHECK(contains(script, "set multiplot layout 1,2 title 'train and val loss: exact vs knn vs gumbel'"));
  CHECK(contains(script, "set yrange [*:2.5]\n"));
  CHECK(contains(script, "set xlabel 'tokens'\n"));
  CHECK(contains(script, "set xlabel 'training time (minutes)'\n"));
  // The key names each run once: by its val curve, or by its train curve when it was never evaluated.
  CHECK(contains(script, "'out/it''s.dat' index 0 using 2:4 with lines lw 1.5 lc rgb '#550072b2' notitle"));
  CHECK(contains(script, "'out/it''s.dat' index 1 using 2:4 with linespoints lw 2.5 pt 7 ps 0.8 lc rgb '#0072b2' "
                         "title 'exact'"));
  CHECK(contains(script, "'out/it''s.dat' index 2 using 2:4 with lines lw 1.5 lc rgb '#55d55e00' title 'knn'"));
  CHECK(contains(script, "'out/it''s.dat' index 3 using 2:4 with lines lw 1.5 lc rgb '#55009e73' notitle"));
  CHECK(contains(script, "'out/it''s.dat' index 4 using 2:4 with linespoints lw 2.5 pt 7 ps 0.8 lc rgb '#009e73' "
                         "title 'gumbel'"));
  CHECK(contains(script, "'out/it''s.dat' index 4 using ($3/60):4 with linespoints"));
  CHECK_FALSE(contains(script, "index 5"));
  CHECK(contains(script, "unset multiplot\nunset output\n"));

  const PlotRequest svg{.image = "a.svg", .format = ImageFormat::svg, .data = "a.dat", .names = {"a"},
                        .blocks = {{.run = 0, .is_val = false}}, .axis = CompareAxis::step, .longest_seconds = 30,
                        .loss_ceiling = {}};
  const std::string svg_script = gnuplot_script(svg);
  CHECK(contains(svg_script, "set terminal svg"));
  CHECK(contains(svg_script, "set xlabel 'step'\n"));
  CHECK(contains(svg_script, "set xlabel 'training time (seconds)'\n"));
  CHECK(contains(svg_script, "'a.dat' index 0 using 3:4 with lines lw 1.5 lc rgb '#550072b2' title 'a'"));
  CHECK_FALSE(contains(svg_script, "yrange"));
}

TEST_CASE("compare plot: the image format from the file's extension") {
  CHECK(image_format("runs.png") == ImageFormat::png);
  CHECK(image_format("a/b.svg") == ImageFormat::svg);
  CHECK_THROWS_WITH_AS(image_format("runs.jpg"), "--plot runs.jpg: expected a .png or .svg file", Error);
}
