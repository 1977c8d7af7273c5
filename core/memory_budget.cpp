#include "core/memory_budget.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <string_view>

#include "core/error.h"

namespace knnformer {

namespace {

// The limit of cgroup v2 (memory.max) or v1 (memory.limit_in_bytes), if any.
// "max" and v1's huge "unlimited" value both mean no limit below the machine's.
uint64_t cgroup_memory_limit() {
  constexpr std::array<std::string_view, 2> kLimitFiles = {"/sys/fs/cgroup/memory.max",
                                                           "/sys/fs/cgroup/memory/memory.limit_in_bytes"};
  for (const std::string_view file : kLimitFiles) {
    std::ifstream stream{std::string(file)};
    unsigned long long limit = 0;
    if (stream >> limit && limit > 0) return limit;
  }
  return UINT64_MAX;
}

}  // namespace

uint64_t machine_memory_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES), page_size = sysconf(_SC_PAGESIZE);
  const uint64_t physical =
      pages > 0 && page_size > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(page_size) : UINT64_MAX;
  return std::min(physical, cgroup_memory_limit());
}

std::string memory_text(double bytes) {
  constexpr std::array<const char*, 6> kUnits = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  size_t unit = 0;
  while (bytes >= 1024 && unit + 1 < kUnits.size()) {
    bytes /= 1024;
    ++unit;
  }
  char text[48];
  std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", bytes, kUnits[unit]);
  return text;
}

void require_memory(double bytes, const std::string& what) {
  const auto available = static_cast<double>(machine_memory_bytes());
  require(bytes <= available,
          what + " needs about " + memory_text(bytes) + " of memory; this machine has " + memory_text(available));
}

}  // namespace knnformer
