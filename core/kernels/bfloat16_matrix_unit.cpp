#include "core/kernels/bfloat16_matrix_unit.h"

#include <cstdint>

#if defined(__x86_64__)
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace knnformer::kernels::tiles::matrix_unit {

#if defined(__x86_64__)

namespace {

// arch_prctl's request for an extended state component (Linux ≥ 5.16), and
// AMX's tile data component.
constexpr int kRequestStatePermission = 0x1023;
constexpr int kTileDataComponent = 18;

bool operating_system_allows_tiles() {
  return syscall(SYS_arch_prctl, kRequestStatePermission, kTileDataComponent) == 0;
}

// LDTILECFG's 64 bytes (palette 1): eight tiles of 16 rows by 64 bytes, the
// largest; a tile of A is 16 rows × 32 bf16, of B 16 pair rows × 16 columns'
// pairs, of C 16 rows × 16 fp32.
struct alignas(64) TileConfiguration {
  uint8_t palette = 1;
  uint8_t start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t row_bytes[16] = {64, 64, 64, 64, 64, 64, 64, 64};
  uint8_t rows[16] = {16, 16, 16, 16, 16, 16, 16, 16};
};
static_assert(sizeof(TileConfiguration) == 64);
constexpr TileConfiguration kConfiguration{};

#pragma GCC push_options
#pragma GCC target("amx-tile,amx-bf16")

// A block of C of RowTiles × ColumnTiles tiles (1 or 2 each) stays in tile
// registers 0–3 over the inner steps; registers 4–5 hold A's tiles and 6–7
// B's, so each loaded tile feeds ColumnTiles or RowTiles products. The
// register numbers are part of the instructions, hence the spelled-out cases.
template <int RowTiles, int ColumnTiles>
void multiply_block(const Bfloat16TileProduct& p, int64_t row0, int64_t col0) {
  constexpr bool two_rows = RowTiles == 2, two_columns = ColumnTiles == 2;
  float* const c = p.c + row0 * p.c_row_stride + col0;
  float* const c_below = c + kTileRows * p.c_row_stride;
  const int64_t c_stride = p.c_row_stride * int64_t{sizeof(float)};
  if (p.accumulate) {
    _tile_loadd(0, c, c_stride);
    if constexpr (two_columns) _tile_loadd(1, c + kTileColumns, c_stride);
    if constexpr (two_rows) _tile_loadd(2, c_below, c_stride);
    if constexpr (two_rows && two_columns) _tile_loadd(3, c_below + kTileColumns, c_stride);
  } else {
    _tile_zero(0);
    if constexpr (two_columns) _tile_zero(1);
    if constexpr (two_rows) _tile_zero(2);
    if constexpr (two_rows && two_columns) _tile_zero(3);
  }

  const uint16_t* a = p.a + row0 * p.a_row_stride;
  const uint16_t* const a_below = a + kTileRows * p.a_row_stride;
  const int64_t a_stride = p.a_row_stride * int64_t{sizeof(uint16_t)};
  const int64_t b_stride = p.b_pair_row_stride * int64_t{sizeof(uint16_t)};
  for (int64_t t = 0; t < p.inner; t += kTileInner) {
    const uint16_t* const b = p.b + (t / 2) * p.b_pair_row_stride + 2 * col0;
    _tile_loadd(4, a + t, a_stride);
    if constexpr (two_rows) _tile_loadd(5, a_below + t, a_stride);
    _tile_loadd(6, b, b_stride);
    if constexpr (two_columns) _tile_loadd(7, b + 2 * kTileColumns, b_stride);
    _tile_dpbf16ps(0, 4, 6);
    if constexpr (two_columns) _tile_dpbf16ps(1, 4, 7);
    if constexpr (two_rows) _tile_dpbf16ps(2, 5, 6);
    if constexpr (two_rows && two_columns) _tile_dpbf16ps(3, 5, 7);
  }

  _tile_stored(0, c, c_stride);
  if constexpr (two_columns) _tile_stored(1, c + kTileColumns, c_stride);
  if constexpr (two_rows) _tile_stored(2, c_below, c_stride);
  if constexpr (two_rows && two_columns) _tile_stored(3, c_below + kTileColumns, c_stride);
}

// The rows of one column pass of 2 tiles (or the last single one).
template <int ColumnTiles>
void multiply_columns(const Bfloat16TileProduct& p, int64_t col0) {
  int64_t row = 0;
  for (; row + 2 * kTileRows <= p.rows; row += 2 * kTileRows) multiply_block<2, ColumnTiles>(p, row, col0);
  if (row < p.rows) multiply_block<1, ColumnTiles>(p, row, col0);
}

}  // namespace

void multiply_whole_tiles(const Bfloat16TileProduct& p) {
  // The tile loads below read memory that plain stores wrote (the packed
  // operands); their asm does not say so, this barrier does.
  asm volatile("" ::: "memory");
  _tile_loadconfig(&kConfiguration);
  int64_t col = 0;
  for (; col + 2 * kTileColumns <= p.width; col += 2 * kTileColumns) multiply_columns<2>(p, col);
  if (col < p.width) multiply_columns<1>(p, col);
  _tile_release();
}

#pragma GCC pop_options

bool is_usable() {
  static const bool usable = __builtin_cpu_supports("amx-tile") && __builtin_cpu_supports("amx-bf16") &&
                             operating_system_allows_tiles();
  return usable;
}

#else  // not x86-64: no matrix unit

bool is_usable() { return false; }
void multiply_whole_tiles(const Bfloat16TileProduct&) {}

#endif

}  // namespace knnformer::kernels::tiles::matrix_unit
