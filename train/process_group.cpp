#include "train/process_group.h"

#include <algorithm>
#include <cstdlib>
#include <initializer_list>
#include <type_traits>

#include "core/error.h"

#if KNNFORMER_WITH_MPI
// The C interface alone: MPI's C++ bindings are deprecated and need a library of their own.
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif
#endif

namespace knnformer {

namespace {

// The launchers' variables for the job's size: Open MPI's mpirun, then
// MPICH's Hydra (and other PMI launchers).
int from_environment(std::initializer_list<const char*> names, int absent) {
  for (const char* name : names) {
    const char* value = std::getenv(name);
    if (value != nullptr) return std::atoi(value);
  }
  return absent;
}

int size_from_environment() { return std::max(1, from_environment({"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"}, 1)); }

#if KNNFORMER_WITH_MPI

#if defined(__SANITIZE_ADDRESS__)
// Open MPI allocates state for the life of the process, inside its calls
// and in the components it loads and unloads, and leaves it to the exit;
// LeakSanitizer would report it as knnformer's own. What MPI allocates while
// one of its calls runs on this thread is therefore not tracked.
struct MpiAllocations {
  MpiAllocations() { __lsan_disable(); }
  ~MpiAllocations() { __lsan_enable(); }
  MpiAllocations(const MpiAllocations&) = delete;
  MpiAllocations& operator=(const MpiAllocations&) = delete;
};
#else
struct MpiAllocations {};
#endif

// Runs an MPI call (all of them go through here).
template <class Call>
void mpi(Call&& call) {
  [[maybe_unused]] const MpiAllocations untracked;
  call();
}

// MPI counts are int: longer spans go in pieces of at most this many elements.
constexpr size_t kLargestMessage = size_t{1} << 30;

template <class Value>
MPI_Datatype datatype_of() {
  if constexpr (std::is_same_v<Value, float>) return MPI_FLOAT;
  else if constexpr (std::is_same_v<Value, double>) return MPI_DOUBLE;
  else if constexpr (std::is_same_v<Value, int64_t>) return MPI_INT64_T;
  else return MPI_CHAR;
}

template <class Value, class Call>
void in_pieces(std::span<Value> values, Call&& call) {
  for (size_t start = 0; start < values.size(); start += kLargestMessage) {
    const size_t count = std::min(kLargestMessage, values.size() - start);
    call(values.data() + start, static_cast<int>(count));
  }
}

// In place, every process's values combined by `operation`, on every process.
template <class Value>
void allreduce(std::span<Value> values, MPI_Op operation) {
  in_pieces(values, [&](Value* data, int count) {
    mpi([&] { MPI_Allreduce(MPI_IN_PLACE, data, count, datatype_of<Value>(), operation, MPI_COMM_WORLD); });
  });
}

// Rank 0's values on every process.
template <class Value>
void broadcast_from_root(std::span<Value> values) {
  in_pieces(values, [](Value* data, int count) {
    mpi([&] { MPI_Bcast(data, count, datatype_of<Value>(), 0, MPI_COMM_WORLD); });
  });
}

#endif

}  // namespace

int ProcessGroup::launched_processes() { return size_from_environment(); }

int ProcessGroup::launched_rank() { return std::max(0, from_environment({"OMPI_COMM_WORLD_RANK", "PMI_RANK"}, 0)); }

void ProcessGroup::abort_job(int status) {
#if KNNFORMER_WITH_MPI
  int started = 0, finished = 0;
  MPI_Initialized(&started);
  MPI_Finalized(&finished);
  if (started != 0 && finished == 0) MPI_Abort(MPI_COMM_WORLD, status);
#endif
  std::exit(status);
}

const ProcessGroup& ProcessGroup::world() {
  static const ProcessGroup group;
  return group;
}

ProcessGroup::ProcessGroup() {
  const int launched = size_from_environment();
  if (launched == 1) return;
#if KNNFORMER_WITH_MPI
  // Only the main thread calls MPI (the compute threads never do).
  int provided = 0;
  mpi([&] { MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided); });
  joined_ = true;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  MPI_Comm machine = MPI_COMM_NULL;
  mpi([&] { MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &machine); });
  MPI_Comm_size(machine, &local_size_);
  mpi([&] { MPI_Comm_free(&machine); });
#else
  throw Error("launched as " + std::to_string(launched) +
              " processes, but this knnformer was built without MPI (install libopenmpi-dev and build again)");
#endif
}

ProcessGroup::~ProcessGroup() {
#if KNNFORMER_WITH_MPI
  if (!joined_) return;
#if defined(__SANITIZE_ADDRESS__)
  // The leak check runs now, once, when everything of knnformer's is freed
  // (this is the last static object to go) and before MPI's teardown drops
  // the state it never frees, some of it held by its own threads.
  __lsan_do_leak_check();
#endif
  mpi([] { MPI_Finalize(); });
#endif
}

std::string ProcessGroup::implementation() {
#if KNNFORMER_WITH_MPI
  char version[MPI_MAX_LIBRARY_VERSION_STRING];
  int length = 0;
  MPI_Get_library_version(version, &length);
  std::string text(version, static_cast<size_t>(length));
  text = text.substr(0, text.find_first_of(",\n"));
  return text;
#else
  return "not built";
#endif
}

void ProcessGroup::sum(std::span<float> values) const {
  if (!distributed()) return;
#if KNNFORMER_WITH_MPI
  allreduce(values, MPI_SUM);
#endif
}

void ProcessGroup::sum(std::span<double> values) const {
  if (!distributed()) return;
#if KNNFORMER_WITH_MPI
  allreduce(values, MPI_SUM);
#endif
}

void ProcessGroup::maximum(std::span<double> values) const {
  if (!distributed()) return;
#if KNNFORMER_WITH_MPI
  allreduce(values, MPI_MAX);
#endif
}

void ProcessGroup::broadcast(std::span<float> values) const {
  if (!distributed()) return;
#if KNNFORMER_WITH_MPI
  broadcast_from_root(values);
#endif
}

void ProcessGroup::broadcast(std::span<int64_t> values) const {
  if (!distributed()) return;
#if KNNFORMER_WITH_MPI
  broadcast_from_root(values);
#endif
}

std::string ProcessGroup::broadcast(const std::string& text) const {
  if (!distributed()) return text;
  int64_t length = static_cast<int64_t>(text.size());
  broadcast(std::span(&length, 1));
  std::string received = is_root() ? text : std::string(static_cast<size_t>(length), '\0');
#if KNNFORMER_WITH_MPI
  broadcast_from_root(std::span(received));
#endif
  return received;
}

std::vector<uint64_t> ProcessGroup::gather(uint64_t value) const {
  std::vector<uint64_t> values(static_cast<size_t>(size_), value);
  if (!distributed()) return values;
#if KNNFORMER_WITH_MPI
  mpi([&] { MPI_Allgather(&value, 1, MPI_UINT64_T, values.data(), 1, MPI_UINT64_T, MPI_COMM_WORLD); });
#endif
  return values;
}

void ProcessGroup::barrier() const {
  if (!distributed()) return;
#if KNNFORMER_WITH_MPI
  mpi([] { MPI_Barrier(MPI_COMM_WORLD); });
#endif
}

}  // namespace knnformer
