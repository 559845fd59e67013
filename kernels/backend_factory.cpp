// make_backend: picks the backend; without CUDA in the build, asking for it is a clear error.
#include "amfm/kernels/backend.hpp"
#include "amfm/kernels/error.hpp"

namespace amfm {

#ifdef AMFM_WITH_CUDA
std::unique_ptr<Backend> make_cuda_backend();  // kernels/cuda/backend_cuda.cu
int cuda_runtime_device_count();
std::string cuda_runtime_device_summary();
int cuda_runtime_fp64_ratio();
#endif

bool auto_prefers_gpu(int single_to_double_perf_ratio) {
    return single_to_double_perf_ratio >= 1 && single_to_double_perf_ratio <= 2;
}

BackendKind parse_backend_kind(const std::string& text) {
    if (text == "auto") return BackendKind::Auto;
    if (text == "cpu") return BackendKind::Cpu;
    if (text == "cuda") return BackendKind::Cuda;
    throw ConfigError("unknown backend '" + text + "' (expected auto, cpu or cuda)");
}

bool cuda_backend_compiled() {
#ifdef AMFM_WITH_CUDA
    return true;
#else
    return false;
#endif
}

int cuda_device_count() {
#ifdef AMFM_WITH_CUDA
    return cuda_runtime_device_count();
#else
    return 0;
#endif
}

std::string cuda_device_summary() {
#ifdef AMFM_WITH_CUDA
    return cuda_runtime_device_summary();
#else
    return "built without CUDA";
#endif
}

std::unique_ptr<Backend> make_backend(BackendKind kind) {
    if (kind == BackendKind::Cpu) return make_cpu_backend();
#ifdef AMFM_WITH_CUDA
    if (cuda_runtime_device_count() > 0) {
        if (kind == BackendKind::Cuda) return make_cuda_backend();
        if (auto_prefers_gpu(cuda_runtime_fp64_ratio())) {
            try {
                return make_cuda_backend();
            } catch (const BackendUnavailable&) {
                // auto: a GPU this build cannot use (e.g. older than sm_80) means the CPU.
            }
        }
    }
    if (kind == BackendKind::Cuda)
        throw BackendUnavailable("backend 'cuda': no CUDA device found (" +
                                 cuda_runtime_device_summary() + ")");
#else
    if (kind == BackendKind::Cuda)
        throw BackendUnavailable("backend 'cuda': amfm was built without CUDA (nvcc not found at build time)");
#endif
    return make_cpu_backend();
}

}  // namespace amfm
