#pragma once
// The attention modes the benchmarks compare, by the names their --modes
// flags take: exact, and each approximate mode with the exact or the
// clustered key index (gumbel also with none), at the defaults of AttentionOptions.
//
//   const std::vector<bench::NamedMode> modes = bench::parse_modes("--modes", "exact,gumbel-clustered");
//   modes[1].options.knn_index;   // KeyIndexKind::clustered
#include <string>
#include <vector>

#include "core/error.h"
#include "layers/attention/attention_options.h"

#include "bench_arguments.h"

namespace knnformer::bench {

struct NamedMode {
  std::string name;
  AttentionOptions options;
};

// Every mode, in the order of the benchmarks' tables.
inline const std::vector<NamedMode>& benchmark_modes() {
  static const std::vector<NamedMode> modes = [] {
    const auto with = [](AttentionKind mode, KeyIndexKind index) {
      return AttentionOptions{.mode = mode, .knn_index = index};
    };
    using enum AttentionKind;
    return std::vector<NamedMode>{{"exact", with(exact, KeyIndexKind::exact)},
                                  {"knn", with(knn, KeyIndexKind::exact)},
                                  {"knn-clustered", with(knn, KeyIndexKind::clustered)},
                                  {"gumbel", with(gumbel, KeyIndexKind::exact)},
                                  {"gumbel-clustered", with(gumbel, KeyIndexKind::clustered)},
                                  {"gumbel-none", with(gumbel, KeyIndexKind::none)},
                                  {"knn-tail", with(knn_tail, KeyIndexKind::exact)}};
  }();
  return modes;
}

// "exact,knn,...": every mode's name, as a default for --modes.
inline std::string benchmark_mode_names() {
  std::string names;
  for (const NamedMode& mode : benchmark_modes()) names += (names.empty() ? "" : ",") + mode.name;
  return names;
}

// The mode of that name, if there is one.
inline const NamedMode* find_benchmark_mode(const std::string& name) {
  for (const NamedMode& mode : benchmark_modes())
    if (mode.name == name) return &mode;
  return nullptr;
}

// The modes a comma-separated list names; an unknown one is an Error naming the flag.
inline std::vector<NamedMode> parse_modes(const std::string& flag, const std::string& list) {
  std::vector<NamedMode> chosen;
  for (const std::string& name : split_list(flag, list)) {
    const NamedMode* mode = find_benchmark_mode(name);
    require(mode != nullptr, flag + ": unknown mode '" + name + "' (expected some of " + benchmark_mode_names() + ")");
    chosen.push_back(*mode);
  }
  return chosen;
}

}  // namespace knnformer::bench
