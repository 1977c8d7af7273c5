#pragma once
// The bf16 tile product (core/kernels/bfloat16_tile.h) on the CPU's matrix
// unit: Intel AMX (Sapphire Rapids and later), whose TDPBF16PS multiplies a
// 16 × 32 bf16 tile by a 32 × 16 one into 16 × 16 fp32 sums, about eight
// times the bf16 multiply-adds per cycle of AVX512_BF16's vdpbf16ps.
//
// The tile product's layouts are AMX's own: A row-major (a tile row is 32
// consecutive bf16 of a row), B in pairs of rows (a tile row is 16 columns'
// pairs, AMX's "VNNI" layout), C row-major fp32; tiles load straight from the
// operands with their strides, nothing is copied. This part runs the whole
// 16-row, 16-column, 32-deep blocks of a product; bfloat16_tile.cpp runs the
// rest (a partial block's edges) on the dot-product kernel.
//
// Using AMX needs the kernel's permission (arch_prctl ARCH_REQ_XCOMP_PERM,
// asked once per process by is_usable) and a tile configuration per thread,
// loaded at the start of every product: oneDNN's AMX matmuls share the
// threads and load their own configurations between ours.
#include "core/kernels/bfloat16_tile.h"

namespace knnformer::kernels::tiles::matrix_unit {

// The height and width of a tile of C, and the depth of one TDPBF16PS.
constexpr int64_t kTileRows = 16;
constexpr int64_t kTileColumns = 16;
constexpr int64_t kTileInner = 32;

// Whether the CPU has AMX with bf16 and the operating system lets this
// process use it (asked once, on the first call).
bool is_usable();

// The product of whole tiles: rows, width and inner multiples of kTileRows,
// kTileColumns and kTileInner. Requires is_usable().
void multiply_whole_tiles(const Bfloat16TileProduct& product);

}  // namespace knnformer::kernels::tiles::matrix_unit
