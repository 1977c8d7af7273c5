#pragma once
// Goodness-of-fit helpers for the statistical tests of samplers.
//
// Every statistical test runs with fixed seeds, so it is deterministic; the
// thresholds below make a correct sampler fail with probability 1e-4 or less
// for a fresh seed, while a biased one fails by a wide margin.
#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

namespace knnformer::testing {

// Kolmogorov–Smirnov statistic D = sup |F_n(x) - F(x)| of samples against a CDF.
inline double ks_statistic(std::vector<double> samples, const std::function<double(double)>& cdf) {
  std::sort(samples.begin(), samples.end());
  const double n = static_cast<double>(samples.size());
  double d = 0.0;
  for (size_t i = 0; i < samples.size(); ++i) {
    const double f = cdf(samples[i]);
    d = std::max({d, (i + 1) / n - f, f - i / n});
  }
  return d;
}

// The KS critical value at significance 1e-4: sqrt(-ln(α/2)/2) / sqrt(n).
inline double ks_critical(size_t n) { return std::sqrt(-std::log(0.5e-4) / 2.0) / std::sqrt(double(n)); }

// Upper 1e-4 quantile of chi-square with `dof` degrees of freedom, by the
// Wilson–Hilferty cube approximation (z = 3.719 is the normal 1e-4 quantile);
// accurate to a few percent for dof >= 3, slightly conservative below.
inline double chi_square_critical(double dof) {
  const double z = 3.719;
  const double h = 2.0 / (9.0 * dof);
  return dof * std::pow(1.0 - h + z * std::sqrt(h), 3.0);
}

struct ChiSquare {
  double statistic = 0.0;
  int degrees_of_freedom = 0;
  bool passes() const { return statistic <= chi_square_critical(std::max(1, degrees_of_freedom)); }
};

// Pearson's chi-square of observed counts against expected probabilities.
// Neighbouring cells are pooled until each expects at least 5 counts (a
// short remainder joins the last pooled cell), so the chi-square
// approximation of the statistic's distribution holds.
inline ChiSquare chi_square(const std::vector<double>& observed, const std::vector<double>& probabilities) {
  double total = 0;
  for (const double count : observed) total += count;
  std::vector<double> pooled_observed, pooled_expected;
  double run_observed = 0, run_expected = 0;
  for (size_t i = 0; i < observed.size(); ++i) {
    run_observed += observed[i];
    run_expected += probabilities[i] * total;
    if (run_expected < 5.0) continue;
    pooled_observed.push_back(run_observed);
    pooled_expected.push_back(run_expected);
    run_observed = run_expected = 0;
  }
  if (pooled_expected.empty()) {
    pooled_observed.push_back(0);
    pooled_expected.push_back(0);
  }
  pooled_observed.back() += run_observed;
  pooled_expected.back() += run_expected;

  ChiSquare result;
  for (size_t i = 0; i < pooled_expected.size(); ++i) {
    const double difference = pooled_observed[i] - pooled_expected[i];
    result.statistic += difference * difference / pooled_expected[i];
  }
  result.degrees_of_freedom = static_cast<int>(pooled_expected.size()) - 1;
  return result;
}

}  // namespace knnformer::testing
