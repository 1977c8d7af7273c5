#pragma once
// The replica check of data-parallel training (docs/design.md §8.6): every
// process applies the same update to the same parameters, so they must hold
// the same bits. A checksum of each process's parameters is compared across
// the group; a difference is an Error naming the first process that differs,
// which stops the run before a checkpoint of a model that is no longer one.
//
//   require_identical_replicas(group, model.parameters(), step);
#include <cstdint>

#include "core/parameter_list.h"
#include "train/process_group.h"

namespace knnformer {

// XXH3 over every parameter's bytes, in list order.
uint64_t parameter_checksum(const ParameterList& parameters);

// Collective: Error, naming the step and the ranks, unless every process's
// checksum equals rank 0's. Nothing to compare for one process.
void require_identical_replicas(const ProcessGroup& group, const ParameterList& parameters, int64_t step);

}  // namespace knnformer
