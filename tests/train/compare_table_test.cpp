#include <doctest/doctest.h>

#include "train/compare_summary.h"
#include "train/compare_table.h"

using namespace knnformer;

namespace {

struct Logged {
  int64_t step;
  std::optional<double> val_loss;
  double ms_per_step;
};

ComparedRun run_of(const std::string& name, const RunConfig& config, std::initializer_list<Logged> logged) {
  ComparedRun run{.name = name, .directory = name, .config = config, .rows = {}, .extra_columns = {},
                  .extra = {}, .metrics_cut_short = false};
  for (const Logged& row : logged)
    run.rows.push_back({.step = row.step, .tokens = row.step * 100, .train_loss = 2, .val_loss = row.val_loss,
                        .lr = 0, .grad_norm = 0, .ms_per_step = row.ms_per_step,
                        .tokens_per_s = 100 / (row.ms_per_step / 1000)});
  return run;
}

RunConfig small_model(AttentionKind attention) {
  RunConfig config;
  config.context = 64;
  config.n_embd = 32;
  config.n_head = 2;
  config.attention.mode = attention;
  return config;
}

// exact (the reference), knn (worse at the end, better at its best, faster),
// and gumbel (never evaluated, slower).
std::vector<ComparedRun> three_runs() {
  RunConfig gumbel = small_model(AttentionKind::gumbel);
  gumbel.attention.samples = 16;
  gumbel.attention.knn_k = 5;
  gumbel.attention.knn_index = KeyIndexKind::clustered;
  return {
      run_of("exact", small_model(AttentionKind::exact),
             {{100, {}, 10}, {200, 1.60, 20}, {300, {}, 30}, {400, 1.50, 40}}),
      run_of("knn", small_model(AttentionKind::knn), {{100, {}, 5}, {200, 1.55, 5}, {300, {}, 100}, {400, 1.65, 10}}),
      run_of("gumbel", gumbel, {{100, {}, 30}, {200, {}, 60}, {300, {}, 90}, {400, {}, 12}})};
}

// The run logs a val accuracy: one value (or none) per row, in its only extra column.
void log_accuracy(ComparedRun& run, std::initializer_list<std::optional<double>> accuracy) {
  run.extra_columns = {std::string(kValAccuracyColumn)};
  run.extra.clear();
  for (const std::optional<double> value : accuracy) run.extra.push_back({value});
}

// three_runs() on a task with answers. Their training times at steps 100, 200, 300, 400:
// exact 1, 3, 6, 10 s; knn 0.5, 1, 11, 12 s; gumbel 3, 9, 18, 19.2 s.
// exact reaches 50% exactly at step 200 and 90% at 400; knn reaches both sooner and is best at step 300;
// gumbel never reaches 50%.
std::vector<ComparedRun> three_runs_with_answers() {
  std::vector<ComparedRun> runs = three_runs();
  log_accuracy(runs[0], {0.25, 0.5, std::nullopt, 0.9375});
  log_accuracy(runs[1], {0.5, 0.9, 0.95, 0.875});
  log_accuracy(runs[2], {0.125, 0.25, std::nullopt, 0.375});
  return runs;
}

std::vector<RunSummary> summaries_of(const std::vector<ComparedRun>& runs, CompareAxis axis = CompareAxis::step) {
  std::vector<Curve> curves;
  for (const ComparedRun& run : runs) curves.push_back(curve_of(run));
  return summarize_runs(runs, align_curves(curves, axis));
}

}  // namespace

TEST_CASE("compare summary: final and best val loss, gaps to the first run, median ms/step and speed ratio") {
  const std::vector<RunSummary> s = summaries_of(three_runs());
  REQUIRE(s.size() == 3);

  CHECK(s[0].steps == 400);
  CHECK(s[0].final_val == 1.50);
  CHECK(s[0].best_val == 1.50);
  CHECK(s[0].best_step == 400);
  CHECK(s[0].median_ms_per_step == 25);  // of 10, 20, 30, 40
  CHECK(s[0].median_tokens_per_s == doctest::Approx((5000 + 10000 / 3.0) / 2));  // of 10000, 5000, 3333, 2500
  CHECK(s[0].final_gap_percent == 0);
  CHECK(s[0].speed_ratio == 1);

  CHECK(s[1].final_val == 1.65);
  CHECK(s[1].best_val == 1.55);
  CHECK(s[1].best_step == 200);
  CHECK(s[1].median_ms_per_step == 7.5);  // of 5, 5, 10, 100: a slow row does not move it
  CHECK(*s[1].final_gap_percent == doctest::Approx(10.0));       // (1.65 - 1.50) / 1.50
  CHECK(*s[1].best_gap_percent == doctest::Approx(100.0 / 30));  // (1.55 - 1.50) / 1.50
  CHECK(s[1].speed_ratio == doctest::Approx(25 / 7.5));

  CHECK_FALSE(s[2].final_val.has_value());
  CHECK_FALSE(s[2].final_gap_percent.has_value());
  CHECK(s[2].median_ms_per_step == 45);  // of 12, 30, 60, 90
  CHECK(s[2].speed_ratio == doctest::Approx(25.0 / 45));
}

TEST_CASE("compare summary: only the common range counts") {
  // The exact run went on to step 600 and a lower loss; knn stopped at 400.
  std::vector<ComparedRun> runs = three_runs();
  runs.pop_back();
  runs[0].rows.push_back({.step = 600, .tokens = 60000, .train_loss = 1, .val_loss = 1.0, .lr = 0, .grad_norm = 0,
                          .ms_per_step = 1000, .tokens_per_s = 0});
  const std::vector<RunSummary> s = summaries_of(runs);
  CHECK(s[0].steps == 400);
  CHECK(s[0].final_val == 1.50);
  CHECK(s[0].median_ms_per_step == 25);
  CHECK(*s[1].final_gap_percent == doctest::Approx(10.0));

  // By time: knn took 0.5 + 0.5 + 1 + 1 s, in which exact reached step 200 (1 + 2 s, then 3 s more).
  runs[1].rows[2].ms_per_step = 10;
  const std::vector<RunSummary> by_time = summaries_of(runs, CompareAxis::time);
  CHECK(by_time[0].steps == 200);
  CHECK(by_time[0].final_val == 1.60);
  CHECK(by_time[1].steps == 400);
  CHECK(*by_time[1].final_gap_percent == doctest::Approx(100 * (1.65 - 1.60) / 1.60));
}

TEST_CASE("compare summary: the attention setup, effective values and '-' where unused") {
  const AttentionSetup exact = attention_setup(small_model(AttentionKind::exact));
  CHECK(exact.mode == "exact");
  CHECK(exact.backward == "exact");
  CHECK(exact.k == "-");
  CHECK(exact.samples == "-");
  CHECK(exact.index == "-");

  const AttentionSetup knn = attention_setup(small_model(AttentionKind::knn));
  CHECK(knn.backward == "sparse");
  CHECK(knn.k == "8");  // knn-k 0: sqrt(64), rounded up to a multiple of 8
  CHECK(knn.samples == "-");
  CHECK(knn.index == "exact");

  RunConfig sampled_backward = small_model(AttentionKind::knn);
  sampled_backward.attention.backward = BackwardMode::sampled;
  CHECK(attention_setup(sampled_backward).samples == "32");

  RunConfig tail = small_model(AttentionKind::knn_tail);
  tail.attention.knn_k = 12;
  CHECK(attention_setup(tail).k == "12");
  CHECK(attention_setup(tail).backward == "sampled");
}

TEST_CASE("compare table: exact text, numbers aligned right, '-' where a run has no val loss") {
  CHECK(format_compare_table(summaries_of(three_runs())) ==
        "run     attention  backward  k  samples  index      steps  final val  final ppl  final gap  best val  best ppl"
        "  best at  best gap  ms/step  tokens/s  speed\n"
        "exact   exact      exact     -        -  -            400     1.5000       4.48     +0.00%    1.5000      4.48"
        "      400    +0.00%     25.0      4167  1.00x\n"
        "knn     knn        sparse    8        -  exact        400     1.6500       5.21    +10.00%    1.5500      4.71"
        "      200    +3.33%      7.5     15000  3.33x\n"
        "gumbel  gumbel     sampled   5       16  clustered    400          -          -          -         -         -"
        "        -         -     45.0      2500  0.56x\n");
}

TEST_CASE("compare figures: extra metrics columns averaged over the common range, one line each") {
  std::vector<ComparedRun> runs = three_runs();
  runs[1].extra_columns = {"fidelity_out", "recall"};
  runs[1].extra = {{0.25, std::nullopt}, {std::nullopt, std::nullopt}, {0.5, 0.75}, {1.0, std::nullopt}};
  runs[2].extra_columns = {"recall"};
  runs[2].extra = {{0.5}, {0.5}, {0.25}, {0.25}};
  runs[0].rows.pop_back();  // exact stops at step 300: knn's value at step 400 is outside the range

  const std::vector<RunSummary> s = summaries_of(runs);
  CHECK(s[0].figures.empty());
  REQUIRE(s[1].figures.size() == 2);
  CHECK(s[1].figures[0].name == "fidelity_out");
  CHECK(s[1].figures[0].mean == 0.375);  // of 0.25 and 0.5
  CHECK(s[1].figures[1].mean == 0.75);
  CHECK(s[2].figures[0].mean == doctest::Approx(1.25 / 3));
  CHECK(format_figures_table(s) ==
        "figure (mean over the rows that log it)  exact    knn  gumbel\n"
        "fidelity_out                                 -  0.375       -\n"
        "recall                                       -   0.75  0.4167\n");
  CHECK(format_figures_table(summaries_of(three_runs())).empty());
}

TEST_CASE("compare figures: the per-layer parts of a figure (NAME.N) are left out, the figure shown") {
  std::vector<ComparedRun> runs = three_runs();
  runs[1].extra_columns = {"fidelity_out", "fidelity_out.0", "fidelity_out.1", "top.k", "v2."};
  runs[1].extra.assign(4, {0.5, 0.25, 0.75, 2.0, 3.0});
  CHECK(format_figures_table(summaries_of(runs)) ==
        "figure (mean over the rows that log it)  exact  knn  gumbel\n"
        "fidelity_out                                 -  0.5       -\n"
        "top.k                                        -    2       -\n"
        "v2.                                          -    3       -\n");
}

TEST_CASE("compare accuracy: final and best val accuracy, and where each run first reached 50% and 90%") {
  const std::vector<RunSummary> s = summaries_of(three_runs_with_answers());
  REQUIRE(s[0].accuracy.has_value());
  const AccuracySummary& exact = *s[0].accuracy;
  CHECK(exact.final_accuracy == 0.9375);
  CHECK(exact.best_accuracy == 0.9375);
  CHECK(exact.best_step == 400);
  REQUIRE(exact.reached_50_percent.has_value());  // at exactly 0.5
  CHECK(exact.reached_50_percent->step == 200);
  CHECK(exact.reached_50_percent->seconds == doctest::Approx(3.0));
  REQUIRE(exact.reached_90_percent.has_value());
  CHECK(exact.reached_90_percent->step == 400);
  CHECK(exact.reached_90_percent->seconds == doctest::Approx(10.0));
  CHECK(exact.time_to_90_percent_ratio == 1.0);

  REQUIRE(s[1].accuracy.has_value());
  const AccuracySummary& knn = *s[1].accuracy;
  CHECK(knn.final_accuracy == 0.875);
  CHECK(knn.best_accuracy == 0.95);
  CHECK(knn.best_step == 300);
  CHECK(knn.reached_50_percent->step == 100);  // at exactly 0.5
  CHECK(knn.reached_50_percent->seconds == doctest::Approx(0.5));
  CHECK(knn.reached_90_percent->step == 200);  // at exactly 0.9
  CHECK(knn.reached_90_percent->seconds == doctest::Approx(1.0));
  CHECK(*knn.time_to_90_percent_ratio == doctest::Approx(0.1));

  REQUIRE(s[2].accuracy.has_value());
  CHECK(s[2].accuracy->final_accuracy == 0.375);
  CHECK_FALSE(s[2].accuracy->reached_50_percent.has_value());
  CHECK_FALSE(s[2].accuracy->reached_90_percent.has_value());
  CHECK_FALSE(s[2].accuracy->time_to_90_percent_ratio.has_value());

  // The val accuracy has a table of its own, not a line among the figures.
  CHECK(s[0].figures.empty());
  CHECK(format_figures_table(s).empty());
}

TEST_CASE("compare accuracy: only the common range counts, and the time ratio needs the first run at 90%") {
  std::vector<ComparedRun> runs = three_runs_with_answers();
  runs.pop_back();
  for (ComparedRun& run : runs) {  // both stop at step 300: exact never reaches 90% there
    run.rows.pop_back();
    run.extra.pop_back();
  }
  const std::vector<RunSummary> s = summaries_of(runs);
  CHECK(s[0].accuracy->final_accuracy == 0.5);
  CHECK_FALSE(s[0].accuracy->reached_90_percent.has_value());
  CHECK(s[1].accuracy->reached_90_percent->step == 200);
  CHECK_FALSE(s[1].accuracy->time_to_90_percent_ratio.has_value());

  // By time, up to exact's 10 s: knn's rows at 11 and 12 s fall outside.
  const std::vector<RunSummary> by_time = summaries_of(three_runs_with_answers(), CompareAxis::time);
  CHECK(by_time[0].accuracy->reached_90_percent->step == 400);
  CHECK(by_time[1].accuracy->final_accuracy == 0.9);
  CHECK(by_time[1].accuracy->best_step == 200);
}

TEST_CASE("compare accuracy table: exact text, '-' where a run has no accuracy or never reached a threshold") {
  CHECK(format_accuracy_table(summaries_of(three_runs_with_answers())) ==
        "run     final acc  best acc  best at  steps to 50%  time to 50%  steps to 90%  time to 90%"
        "  time to 90% vs first\n"
        "exact       93.8%     93.8%      400           200       3.00 s           400      10.00 s"
        "                 1.00x\n"
        "knn         87.5%     95.0%      300           100       0.50 s           200       1.00 s"
        "                 0.10x\n"
        "gumbel      37.5%     37.5%      400             -            -             -            -"
        "                     -\n");

  // The first run has no accuracy: nothing to take the ratio against.
  std::vector<ComparedRun> runs = three_runs();
  log_accuracy(runs[1], {0.5, 0.9, 0.95, 0.875});
  CHECK(format_accuracy_table(summaries_of(runs)) ==
        "run     final acc  best acc  best at  steps to 50%  time to 50%  steps to 90%  time to 90%"
        "  time to 90% vs first\n"
        "exact           -         -        -             -            -             -            -"
        "                     -\n"
        "knn         87.5%     95.0%      300           100       0.50 s           200       1.00 s"
        "                     -\n"
        "gumbel          -         -        -             -            -             -            -"
        "                     -\n");

  CHECK(format_accuracy_table(summaries_of(three_runs())).empty());
}

TEST_CASE("compare table: a training time in seconds below 100 s, in minutes from there on") {
  CHECK(duration_text(0.154) == "0.15 s");
  CHECK(duration_text(99.99) == "99.99 s");
  CHECK(duration_text(100) == "1.7 min");
  CHECK(duration_text(750) == "12.5 min");
}
