#pragma once
// Running totals of what the approximate attention modes did, for the
// trainer's metrics and the benchmarks: how many tail keys lazy Gumbel
// sampling scored per sample, how many keys the index scored per query.
// Every approximate attention call adds to them; take_attention_diagnostics()
// returns the totals since the last take and starts new ones.
#include <cstdint>

namespace knnformer::attention {

struct AttentionDiagnostics {
  double calls = 0;
  double queries = 0;
  double candidates = 0;      // Σ_i |C_i|
  double keys_scored = 0;     // by the index while searching
  double samples = 0;         // lazy Gumbel samples drawn (forward and backward)
  double tail_members = 0;    // tail keys those samples scored

  double tail_members_per_sample() const { return samples > 0 ? tail_members / samples : 0.0; }
  double keys_scored_per_query() const { return queries > 0 ? keys_scored / queries : 0.0; }
  AttentionDiagnostics& operator+=(const AttentionDiagnostics& other);
};

void add_attention_diagnostics(const AttentionDiagnostics& diagnostics);
AttentionDiagnostics take_attention_diagnostics();

}  // namespace knnformer::attention
