#include <doctest/doctest.h>

#include "core/error.h"
#include "train/plot_data.h"
#include "train/plot_script.h"

using namespace knnformer;

namespace {

CurvePoint point(int64_t step, double seconds, double train_loss, std::optional<double> val_loss) {
  return CurvePoint{.step = step, .tokens = 8 * step, .seconds = seconds, .train_loss = train_loss,
                    .val_loss = val_loss, .val_accuracy = std::nullopt, .ms_per_step = 1, .tokens_per_s = 1};
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

// The same on a task with answers: exact reached 50% at step 20, gumbel 93.75%; knn was never evaluated.
Alignment three_curves_with_accuracy() {
  Alignment aligned = three_curves();
  aligned.curves[0][1].val_accuracy = 0.5;
  aligned.curves[2][0].val_accuracy = 0.9375;
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
  CHECK((blocks[2].run == 1 && blocks[2].kind == CurveKind::train_loss));
  CHECK((blocks[3].run == 2 && blocks[3].kind == CurveKind::train_loss));
  CHECK((blocks[4].run == 2 && blocks[4].kind == CurveKind::val_loss));
  CHECK_FALSE(has_accuracy(blocks));
}

TEST_CASE("compare plot: val accuracy blocks follow the loss blocks, one per run that has an accuracy") {
  const std::vector<std::string> names = {"exact", "knn", "gumbel"};
  // The loss blocks are those of the file without accuracy, byte for byte; the first line names the last column.
  const std::string without_accuracy = plot_data_text(names, three_curves());
  const std::string loss_blocks = without_accuracy.substr(without_accuracy.find('\n') + 1);
  CHECK(plot_data_text(names, three_curves_with_accuracy()) ==
        "# knnformer compare, by step: the points of the plot; columns: step tokens seconds value "
        "(the loss, or the accuracy in the val accuracy blocks)\n" +
            loss_blocks +
            "# exact: val accuracy\n"
            "20 160 1.250 0.500000\n"
            "\n\n"
            "# gumbel: val accuracy\n"
            "20 160 2.000 0.937500\n"
            "\n\n");
  const std::vector<PlotBlock> blocks = plot_blocks(three_curves_with_accuracy());
  REQUIRE(blocks.size() == 7);
  CHECK((blocks[5].run == 0 && blocks[5].kind == CurveKind::val_accuracy));
  CHECK((blocks[6].run == 2 && blocks[6].kind == CurveKind::val_accuracy));
  CHECK(has_accuracy(blocks));
}

TEST_CASE("compare plot: the kinds of curve by name, as the data file's block comments say them") {
  CHECK(name_of(CurveKind::train_loss) == "train loss");
  CHECK(name_of(CurveKind::val_loss) == "val loss");
  CHECK(name_of(CurveKind::val_accuracy) == "val accuracy");
  CHECK(parse_enum<CurveKind>("val accuracy", "block") == CurveKind::val_accuracy);
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
                        .blocks = {{.run = 0, .kind = CurveKind::train_loss}}, .axis = CompareAxis::step,
                        .longest_seconds = 30, .loss_ceiling = {}};
  const std::string svg_script = gnuplot_script(svg);
  CHECK(contains(svg_script, "set terminal svg"));
  CHECK(contains(svg_script, "set xlabel 'step'\n"));
  CHECK(contains(svg_script, "set xlabel 'training time (seconds)'\n"));
  CHECK(contains(svg_script, "'a.dat' index 0 using 3:4 with lines lw 1.5 lc rgb '#550072b2' title 'a'"));
  CHECK_FALSE(contains(svg_script, "yrange"));
}

TEST_CASE("compare plot: with val accuracy, a second row of panels shows it in %, in the runs' colours") {
  const PlotRequest request{.image = "out/runs.png.tmp",
                            .format = ImageFormat::png,
                            .data = "out/runs.dat",
                            .names = {"exact", "knn", "gumbel"},
                            .blocks = plot_blocks(three_curves_with_accuracy()),
                            .axis = CompareAxis::step,
                            .longest_seconds = 2,
                            .loss_ceiling = 2.5};
  const std::string script = gnuplot_script(request);
  CHECK(contains(script, "set terminal pngcairo size 1600,1280 "));
  CHECK(contains(script, "set multiplot layout 2,2 title 'train and val loss, val accuracy: exact vs knn vs gumbel'"));
  // The loss row first, its curves as without accuracy; then the accuracy row.
  const size_t accuracy_row = script.find("set ylabel 'val accuracy'\nset yrange [0:100]\nset format y '%g%%'\n");
  REQUIRE(accuracy_row != std::string::npos);
  const std::string loss_row = script.substr(0, accuracy_row);
  CHECK(contains(loss_row, "'out/runs.dat' index 4 using 3:4 with linespoints"));
  CHECK_FALSE(contains(loss_row, "index 5"));
  CHECK(contains(script.substr(accuracy_row),
                 "set title 'val accuracy against step'\nset xlabel 'step'\nset format x '%g'\n"
                 "set key bottom right Left reverse opaque box samplen 3 width 2\n"
                 "plot 'out/runs.dat' index 5 using 1:($4*100) with linespoints lw 2.5 pt 7 ps 0.8 lc rgb '#0072b2' "
                 "title 'exact', \\\n"
                 "     'out/runs.dat' index 6 using 1:($4*100) with linespoints lw 2.5 pt 7 ps 0.8 lc rgb '#009e73' "
                 "title 'gumbel'\n"
                 "set title 'the same against training time'\nset xlabel 'training time (seconds)'\n"
                 "set format x '%g'\nunset key\n"
                 "plot 'out/runs.dat' index 5 using 3:($4*100) with linespoints lw 2.5 pt 7 ps 0.8 lc rgb '#0072b2' "
                 "title 'exact', \\\n"
                 "     'out/runs.dat' index 6 using 3:($4*100) with linespoints lw 2.5 pt 7 ps 0.8 lc rgb '#009e73' "
                 "title 'gumbel'\n"
                 "unset multiplot\nunset output\n"));

  // Without accuracy: one row, as before.
  const PlotRequest loss_only{.image = "a.png", .format = ImageFormat::png, .data = "a.dat", .names = {"a"},
                              .blocks = {{.run = 0, .kind = CurveKind::train_loss}}, .axis = CompareAxis::step,
                              .longest_seconds = 30, .loss_ceiling = {}};
  const std::string loss_script = gnuplot_script(loss_only);
  CHECK(contains(loss_script, "set terminal pngcairo size 1600,640 "));
  CHECK(contains(loss_script, "set multiplot layout 1,2 title 'train and val loss: a' font ',15'\n"));
  CHECK_FALSE(contains(loss_script, "accuracy"));
}

TEST_CASE("compare plot: the image format from the file's extension") {
  CHECK(image_format("runs.png") == ImageFormat::png);
  CHECK(image_format("a/b.svg") == ImageFormat::svg);
  CHECK_THROWS_WITH_AS(image_format("runs.jpg"), "--plot runs.jpg: expected a .png or .svg file", Error);
}
