// The fused per-pixel kernel. Each block stages its height tile plus a halo (1 pixel for
// central differences, window_half for the local plane) in shared memory; an accessor maps
// global coordinates into the tile, so the header's pixel_slope runs unchanged on it, then
// pixel_finish_for does the physics. Every input is read from global memory once per pixel (the
// halo rows/columns once more per neighbouring block). The per-scan constants come in as
// PixelConstants (made once on the host), and this file is compiled with -fmad=false: the FMA rule of
// docs/architecture.md, which makes the kernel round as the CPU loop does.
#include "cuda_check.cuh"
#include "cuda_ops.cuh"

namespace amfm {
namespace cuda {
namespace {

constexpr int kBlockX = 32;
constexpr int kBlockY = 8;
constexpr int kMaxGridY = 65535;
// Above this the tile does not fit the default shared-memory limit; such windows read heights
// straight from global memory (L1/L2 cached) instead.
constexpr std::size_t kMaxTileBytes = 48 * 1024;

// Global (x, y) -> shared tile whose top-left element is global (x0, y0). The slope functions
// only ask for in-map pixels within the halo, which the tile holds.
struct TileHeights {
    const float* tile;
    int x0, y0, pitch;
    AMFM_HD float operator()(int x, int y) const { return tile[(y - y0) * pitch + (x - x0)]; }
};

template <bool kTiled, KcModel M>
__global__ void __launch_bounds__(kBlockX * kBlockY)
    pixel_stage_kernel(PixelInputs in, PixelParams p, PixelConstants c, PixelOutputs out, int halo, int blocks_y) {
    extern __shared__ float tile[];
    const int pitch = kBlockX + 2 * halo;
    const int tile_rows = kBlockY + 2 * halo;
    const int x = blockIdx.x * kBlockX + threadIdx.x;
    // Grid-stride over block rows: maps taller than kMaxGridY blocks still work.
    for (int by = blockIdx.y; by < blocks_y; by += gridDim.y) {
        const int y = by * kBlockY + threadIdx.y;
        const bool inside = x < p.nx && y < p.ny;
        const long long i = (long long)y * p.nx + x;
        Slope s{};
        if constexpr (kTiled) {
            const int x0 = blockIdx.x * kBlockX - halo;
            const int y0 = by * kBlockY - halo;
            // A 2-D loop over the tile: no integer division or remainder per element.
            for (int ty = threadIdx.y; ty < tile_rows; ty += kBlockY) {
                const int gy = y0 + ty;
                const bool row_inside = gy >= 0 && gy < p.ny;
                const float* src = in.height_m + (long long)gy * p.nx;
                for (int tx = threadIdx.x; tx < pitch; tx += kBlockX) {
                    const int gx = x0 + tx;
                    tile[ty * pitch + tx] = row_inside && gx >= 0 && gx < p.nx ? src[gx] : NAN;
                }
            }
            __syncthreads();
            if (inside) s = pixel_slope(TileHeights{tile, x0, y0, pitch}, p, c, x, y);
            __syncthreads();  // the next block row overwrites the tile
        } else {
            if (inside) s = pixel_slope(RowMajorHeights{in.height_m, p.nx}, p, c, x, y);
        }
        if (inside) pixel_finish_for<M>(in, p, c, out, i, s.gx, s.gy);
    }
}

template <KcModel M>
void launch_for(bool tiled, dim3 grid, dim3 block, std::size_t tile_bytes, cudaStream_t stream,
                const PixelInputs& in, const PixelParams& p, const PixelConstants& c, const PixelOutputs& out,
                int halo, int blocks_y) {
    if (tiled)
        pixel_stage_kernel<true, M><<<grid, block, tile_bytes, stream>>>(in, p, c, out, halo, blocks_y);
    else
        pixel_stage_kernel<false, M><<<grid, block, 0, stream>>>(in, p, c, out, halo, blocks_y);
}

}  // namespace

void launch_pixel_stage(const PixelInputs& in, const PixelParams& p, const PixelOutputs& out,
                        cudaStream_t stream) {
    if (p.nx <= 0 || p.ny <= 0) return;
    const int halo = p.tilt_method == TiltMethod::LocalPlane ? (p.window_half > 0 ? p.window_half : 0) : 1;
    const int blocks_x = (p.nx + kBlockX - 1) / kBlockX;
    const int blocks_y = (p.ny + kBlockY - 1) / kBlockY;
    const dim3 block(kBlockX, kBlockY);
    const dim3 grid(blocks_x, blocks_y < kMaxGridY ? blocks_y : kMaxGridY);
    const std::size_t tile_bytes =
        sizeof(float) * (std::size_t)(kBlockX + 2 * halo) * (std::size_t)(kBlockY + 2 * halo);
    const bool tiled = tile_bytes <= kMaxTileBytes;
    const PixelConstants c = make_pixel_constants(p);
    // The Kc model is a template parameter of the physics (as in the CPU loop): one kernel each.
    with_kc_model(p.correction.model, [&](auto tag) {
        launch_for<decltype(tag)::value>(tiled, grid, block, tile_bytes, stream, in, p, c, out, halo, blocks_y);
    });
    AMFM_CUDA_CHECK_LAUNCH();
}

void check_kernel_image() {
    cudaFuncAttributes attr{};
    AMFM_CUDA_CHECK(cudaFuncGetAttributes(&attr, pixel_stage_kernel<true, KcModel::Polynomial>));
}

}  // namespace cuda
}  // namespace amfm
