#include <doctest/doctest.h>

#include "core/error.h"
#include "train/compare_alignment.h"

using namespace knnformer;

namespace {

// A run logged at these steps with this many tokens per step, each step taking `ms`.
ComparedRun run_at(std::initializer_list<int64_t> steps, int64_t tokens_per_step, double ms = 10) {
  ComparedRun run;
  for (const int64_t step : steps)
    run.rows.push_back({.step = step, .tokens = step * tokens_per_step, .train_loss = 1.0 / static_cast<double>(step),
                        .val_loss = std::nullopt, .lr = 0, .grad_norm = 0, .ms_per_step = ms, .tokens_per_s = 0});
  return run;
}

std::vector<int64_t> steps_of(const Curve& curve) {
  std::vector<int64_t> steps;
  for (const CurvePoint& point : curve) steps.push_back(point.step);
  return steps;
}

}  // namespace

TEST_CASE("compare alignment: the time up to a row adds its mean ms/step times the steps since the previous row") {
  ComparedRun run = run_at({10, 20, 25}, 1);
  run.rows[0].ms_per_step = 100;
  run.rows[1].ms_per_step = 200;
  run.rows[2].ms_per_step = 400;
  const Curve curve = curve_of(run);
  CHECK(curve[0].seconds == doctest::Approx(1.0));
  CHECK(curve[1].seconds == doctest::Approx(3.0));
  CHECK(curve[2].seconds == doctest::Approx(5.0));
  CHECK(position(curve[2], CompareAxis::step) == 25);
  CHECK(position(curve[2], CompareAxis::tokens) == 25);
  CHECK(position(curve[2], CompareAxis::time) == doctest::Approx(5.0));
}

TEST_CASE("compare alignment: a point's val accuracy comes from the run's val_accuracy column, by name") {
  ComparedRun run = run_at({10, 20, 30}, 1);
  CHECK_FALSE(curve_of(run)[1].val_accuracy.has_value());  // a run without the column

  run.extra_columns = {"fidelity_out", "val_accuracy"};
  run.extra = {{0.5, std::nullopt}, {std::nullopt, 0.25}, {0.125, 0.75}};
  const Curve curve = curve_of(run);
  CHECK_FALSE(curve[0].val_accuracy.has_value());  // not evaluated at step 10
  CHECK(curve[1].val_accuracy == 0.25);
  CHECK(curve[2].val_accuracy == 0.75);
  CHECK(run.extra_column("fidelity_out") == std::vector<std::optional<double>>{0.5, std::nullopt, 0.125});
  CHECK(run.extra_column("recall") == std::vector<std::optional<double>>(3));
}

TEST_CASE("compare alignment by step: up to the last step every run logged") {
  SUBCASE("a shorter budget") {
    const std::vector<Curve> curves = {curve_of(run_at({10, 20, 30, 40, 50}, 8)), curve_of(run_at({10, 20, 30}, 8))};
    const Alignment aligned = align_curves(curves, CompareAxis::step);
    CHECK(aligned.limit == 30);
    CHECK(steps_of(aligned.curves[0]) == std::vector<int64_t>{10, 20, 30});
    CHECK(steps_of(aligned.curves[1]) == std::vector<int64_t>{10, 20, 30});
  }
  SUBCASE("different logging intervals: only steps present in all runs count") {
    const Alignment aligned = align_curves(
        {curve_of(run_at({10, 20, 30, 40}, 8)), curve_of(run_at({15, 30, 45}, 8)), curve_of(run_at({30, 60}, 8))},
        CompareAxis::step);
    CHECK(aligned.limit == 30);
    CHECK(steps_of(aligned.curves[0]) == std::vector<int64_t>{10, 20, 30});
    CHECK(steps_of(aligned.curves[1]) == std::vector<int64_t>{15, 30});
    CHECK(steps_of(aligned.curves[2]) == std::vector<int64_t>{30});
  }
  SUBCASE("no shared step") {
    const std::vector<Curve> apart = {curve_of(run_at({10, 20}, 8)), curve_of(run_at({15, 25}, 8))};
    CHECK_THROWS_WITH_AS(align_curves(apart, CompareAxis::step),
                         "the runs share no logged step: nothing to compare them at (try --by time)", Error);
  }
}

TEST_CASE("compare alignment by tokens: runs of different batch sizes meet where their token counts agree") {
  // 100 tokens per step against 200: step 40 of the first is step 20 of the second.
  const Alignment aligned =
      align_curves({curve_of(run_at({10, 20, 30, 40, 50}, 100)), curve_of(run_at({10, 20, 30}, 200))},
                   CompareAxis::tokens);
  CHECK(aligned.limit == 4000);
  CHECK(steps_of(aligned.curves[0]) == std::vector<int64_t>{10, 20, 30, 40});
  CHECK(steps_of(aligned.curves[1]) == std::vector<int64_t>{10, 20});
  CHECK_THROWS_WITH_AS(align_curves({curve_of(run_at({10}, 100)), curve_of(run_at({10}, 200))}, CompareAxis::tokens),
                       "the runs share no logged tokens: nothing to compare them at (try --by time)", Error);
}

TEST_CASE("compare alignment by time: up to where the shortest run stopped") {
  const Alignment aligned = align_curves({curve_of(run_at({10, 20, 30}, 8, 100)),  // 1, 2, 3 s
                                          curve_of(run_at({10, 20, 30}, 8, 50))},  // 0.5, 1, 1.5 s
                                         CompareAxis::time);
  CHECK(aligned.limit == doctest::Approx(1.5));
  CHECK(steps_of(aligned.curves[0]) == std::vector<int64_t>{10});
  CHECK(steps_of(aligned.curves[1]) == std::vector<int64_t>{10, 20, 30});

  // The first row of one run (at 10 s) comes after the other stopped (at 1.5 s).
  CHECK_THROWS_WITH_AS(align_curves({curve_of(run_at({10}, 8, 1000)), curve_of(run_at({10, 20, 30}, 8, 50))},
                                    CompareAxis::time),
                       "the runs share no stretch of training time: one logged its first row after another had "
                       "stopped (try --by step)",
                       Error);
}

TEST_CASE("compare alignment by time: runs given the same time limit keep the rows of their last step") {
  // Both stop at the first row past 1 s: 1.05 s (steps of 150 ms) and 1.2 s (steps of 400 ms).
  const Alignment aligned = align_curves({curve_of(run_at({1, 7}, 8, 150)), curve_of(run_at({1, 2, 3}, 8, 400))},
                                         CompareAxis::time);
  CHECK(aligned.limit == doctest::Approx(1.05));
  CHECK(steps_of(aligned.curves[0]) == std::vector<int64_t>{1, 7});
  CHECK(steps_of(aligned.curves[1]) == std::vector<int64_t>{1, 2, 3});  // its last step began at 0.8 s
}

TEST_CASE("compare alignment: the axis by name") {
  CHECK(parse_enum<CompareAxis>("step", "--by") == CompareAxis::step);
  CHECK(parse_enum<CompareAxis>("tokens", "--by") == CompareAxis::tokens);
  CHECK(parse_enum<CompareAxis>("time", "--by") == CompareAxis::time);
  CHECK(name_of(CompareAxis::tokens) == "tokens");
  CHECK_THROWS_WITH_AS(parse_enum<CompareAxis>("epoch", "--by"), "--by: 'epoch' is not one of: step, tokens, time",
                       Error);
}
