#include "core/parallel.h"

#include "core/subnormals.h"

namespace knnformer {

void set_num_threads(int threads) {
  omp_set_num_threads(threads > 0 ? threads : omp_get_num_procs());
  flush_subnormals_on_every_thread();
}

int num_threads() { return omp_get_max_threads(); }

}  // namespace knnformer
