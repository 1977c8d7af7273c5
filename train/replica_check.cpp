#include "train/replica_check.h"

#include <cstdio>
#include <memory>
#include <string>

#include <xxhash.h>

#include "core/error.h"

namespace knnformer {

namespace {

struct HashStateDeleter {
  void operator()(XXH3_state_t* state) const { XXH3_freeState(state); }
};

std::string hexadecimal(uint64_t value) {
  char text[19];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(value));
  return text;
}

}  // namespace

uint64_t parameter_checksum(const ParameterList& parameters) {
  const std::unique_ptr<XXH3_state_t, HashStateDeleter> state(XXH3_createState());
  require(state != nullptr && XXH3_64bits_reset(state.get()) == XXH_OK, "cannot start a parameter checksum");
  for (const auto& parameter : parameters)
    XXH3_64bits_update(state.get(), parameter.tensor.data(),
                       static_cast<size_t>(parameter.tensor.numel()) * sizeof(float));
  return XXH3_64bits_digest(state.get());
}

void require_identical_replicas(const ProcessGroup& group, const ParameterList& parameters, int64_t step) {
  if (!group.distributed()) return;
  const std::vector<uint64_t> checksums = group.gather(parameter_checksum(parameters));
  for (size_t rank = 1; rank < checksums.size(); ++rank)
    require(checksums[rank] == checksums[0],
            "after step " + std::to_string(step) + " the parameters of rank " + std::to_string(rank) +
                " differ from rank 0's (checksum " + hexadecimal(checksums[rank]) + " against " +
                hexadecimal(checksums[0]) + "): the processes no longer train one model, so the run stops "
                "before checkpointing it (processes on CPUs of different kinds must share one SIMD target: "
                "set KNNFORMER_SIMD and DNNL_MAX_CPU_ISA alike); resume from the last checkpoint");
}

}  // namespace knnformer
