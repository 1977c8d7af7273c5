#pragma once
// Memory budget: whether what a command is about to allocate can fit on this
// machine, checked before allocating, so that a size that cannot fit ends in
// one line naming the figure instead of a bare std::bad_alloc (or the kernel's
// OOM killer) halfway through.
//
//   require_memory(estimated_bytes, "the run (--context 1048576)");
//   // Error: "the run (--context 1048576) needs about 52.3 GiB of memory; this machine has 23.4 GiB"
//
// "What the machine has" is its physical memory, or the control group's limit
// where that is lower (a container's share): a process that needs more than
// that cannot run, whatever else is running. Estimates are doubles, so that
// products of huge sizes neither overflow nor wrap.
#include <cstdint>
#include <string>

namespace knnformer {

// Physical memory in bytes, or the cgroup's memory limit where that is lower.
uint64_t machine_memory_bytes();

// Bytes as people read them: "512 B", "3.2 MiB", "52.3 GiB", "1.1 PiB".
std::string memory_text(double bytes);

// Error "<what> needs about X of memory; this machine has Y" unless `bytes`
// fits in machine_memory_bytes().
void require_memory(double bytes, const std::string& what);

}  // namespace knnformer
