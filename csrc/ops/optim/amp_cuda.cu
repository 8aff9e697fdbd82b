// amp_cuda.cu — CUDA kernels of the GradScaler ops (amp.h, amp_cuda.h).
//
// amp_unscale: a multi-tensor launch, like torch's multi_tensor_apply. The grads of
// one dtype are cut into chunks of kChunk elements; a table passed by value (no
// device buffer, no host sync) maps each block of the launch to (tensor, chunk),
// at most kMaxTensors tensors and kMaxBlocks blocks per launch, so a long list takes
// several launches. A block of 256 threads walks its chunk with 16-byte vector
// loads/stores when the tensor's base pointer is 16-byte aligned (chunk starts are
// multiples of kChunk, hence aligned too), scalar coalesced accesses otherwise and
// for the tail. Each thread multiplies in the compute type (float for half and
// bfloat16, the grad's type otherwise) and remembers whether it saw inf/NaN; one
// __syncthreads_or per block folds the flags and thread 0 stores 1.0f to found_inf
// (several blocks may store the same value: a benign race). inv_scale and found_inf
// are read and written in device memory: nothing crosses to the host.
// Layout: grads are non-overlapping and dense (any dim order; amp.cpp copies other
// layouts), so each is numel contiguous elements from its data pointer.
//
// amp_update_scale: one thread, torch's growth-tracker logic (see amp.h).
#include <algorithm>
#include <vector>

#include "amp_cuda.h"
#include "core/cuda_utils.cuh"

namespace ember {
namespace {

constexpr int kMaxTensors = 48;
constexpr int kMaxBlocks = 320;
constexpr int64_t kChunk = 65536;  // elements per block; a multiple of every vector width

template <class T>
struct UnscaleTable {
  T* ptr[kMaxTensors];
  int64_t numel[kMaxTensors];
  bool aligned[kMaxTensors];             // base pointer 16-byte aligned: vector path
  unsigned char tensor_of[kMaxBlocks];   // index into ptr/numel
  int64_t chunk_of[kMaxBlocks];          // chunk index inside that tensor
};
// Kernel parameters must stay under 4 KiB.
static_assert(sizeof(UnscaleTable<double>) + 2 * sizeof(void*) <= 4000, "UnscaleTable too large for a launch");

template <class T>
__device__ __forceinline__ bool unscale_one(T& x, float inv, bool mul) {
  using C = typename DevCvt<T>::C;
  const C v = DevCvt<T>::load(x);
  const bool bad = !isfinite(v);
  if (mul) x = DevCvt<T>::store(v * static_cast<C>(inv));
  return bad;
}

template <class T>
__global__ void __launch_bounds__(cuda::kThreads)
    unscale_kernel(UnscaleTable<T> tab, float* __restrict__ found_inf, const float* __restrict__ inv_scale) {
  constexpr int V = vec_width<T>();
  const int t = tab.tensor_of[blockIdx.x];
  T* __restrict__ p = tab.ptr[t];
  const int64_t n = tab.numel[t];
  const int64_t begin = tab.chunk_of[blockIdx.x] * kChunk;
  const int64_t end = begin + kChunk < n ? begin + kChunk : n;
  const float inv = *inv_scale;
  const bool mul = inv != 1.0f;  // torch: `inv_scale == 1.f ? val : val * inv_scale`
  bool bad = false;
  int64_t scalar_from = begin;
  if (tab.aligned[t]) {
    // Whole vectors of the chunk; begin is a multiple of kChunk, so of V.
    const int64_t nvec = (end - begin) / V;
    AlignedVec<T, V>* pv = reinterpret_cast<AlignedVec<T, V>*>(p + begin);
    for (int64_t j = threadIdx.x; j < nvec; j += blockDim.x) {
      AlignedVec<T, V> r = pv[j];
#pragma unroll
      for (int k = 0; k < V; ++k) bad |= unscale_one(r.v[k], inv, mul);
      if (mul) pv[j] = r;
    }
    scalar_from = begin + nvec * V;
  }
  for (int64_t i = scalar_from + threadIdx.x; i < end; i += blockDim.x) {
    T x = p[i];
    bad |= unscale_one(x, inv, mul);
    if (mul) p[i] = x;
  }
  // Every thread of the block reaches this barrier (no early exit above).
  if (__syncthreads_or(bad) && threadIdx.x == 0) *found_inf = 1.0f;
}

template <class T>
void launch_unscale(const std::vector<const Array*>& grads, float* found_inf, const float* inv_scale,
                    const char* op) {
  UnscaleTable<T> tab{};  // unused entries stay zero
  int nt = 0, nb = 0;
  auto flush = [&] {
    if (nb > 0) {
      unscale_kernel<T><<<nb, cuda::kThreads, 0, cuda::current_stream()>>>(tab, found_inf, inv_scale);
      cuda::check_launch(op);
    }
    nt = 0;
    nb = 0;
  };
  for (const Array* g : grads) {
    const int64_t n = g->numel();
    if (n == 0) continue;
    if (nt == kMaxTensors) flush();
    T* ptr = g->data<T>();
    tab.ptr[nt] = ptr;
    tab.numel[nt] = n;
    tab.aligned[nt] = aligned_to(ptr, 16);
    const int64_t chunks = (n + kChunk - 1) / kChunk;
    for (int64_t c = 0; c < chunks; ++c) {
      if (nb == kMaxBlocks) {
        // The current tensor continues in the next launch, again as entry 0.
        flush();
        tab.ptr[0] = ptr;
        tab.numel[0] = n;
        tab.aligned[0] = aligned_to(ptr, 16);
        nt = 0;
      }
      tab.tensor_of[nb] = static_cast<unsigned char>(nt);
      tab.chunk_of[nb] = c;
      ++nb;
    }
    ++nt;
  }
  flush();
}

void amp_unscale_cuda(const std::vector<Array>& grads, const Array& found_inf, const Array& inv_scale) {
  const char* op = "_amp_foreach_non_finite_check_and_unscale_";
  cuda::DeviceGuard guard(found_inf.device().index, op);
  float* fi = found_inf.data<float>();
  const float* inv = inv_scale.data<float>();
  // One launch sequence per dtype (the table is typed).
  const DType order[] = {DType::Float32, DType::Float16, DType::BFloat16, DType::Float64};
  for (DType dt : order) {
    std::vector<const Array*> same;
    for (const Array& g : grads)
      if (g.dtype() == dt) same.push_back(&g);
    if (same.empty()) continue;
    EMBER_DISPATCH_ALL_FLOAT(dt, op, [&] { launch_unscale<scalar_t>(same, fi, inv, op); });
  }
}

__global__ void update_scale_kernel(float* scale, int32_t* growth_tracker, const float* found_inf,
                                    double growth_factor, double backoff_factor, int64_t growth_interval) {
  // torch's _amp_update_scale_cuda_kernel, statement for statement.
  if (*found_inf) {
    *scale = static_cast<float>(*scale * backoff_factor);
    *growth_tracker = 0;
  } else {
    const int64_t successful = static_cast<int64_t>(*growth_tracker) + 1;
    if (successful == growth_interval) {
      const float new_scale = static_cast<float>(*scale * growth_factor);
      if (isfinite(new_scale)) *scale = new_scale;
      *growth_tracker = 0;
    } else {
      *growth_tracker = static_cast<int32_t>(successful);
    }
  }
}

void amp_update_scale_cuda(const Array& scale, const Array& growth_tracker, const Array& found_inf,
                           double growth_factor, double backoff_factor, int64_t growth_interval) {
  const char* op = "_amp_update_scale_";
  cuda::DeviceGuard guard(scale.device().index, op);
  update_scale_kernel<<<1, 1, 0, cuda::current_stream()>>>(scale.data<float>(), growth_tracker.data<int32_t>(),
                                                          found_inf.data<float>(), growth_factor, backoff_factor,
                                                          growth_interval);
  cuda::check_launch(op);
}

}  // namespace

EMBER_CUDA_REGISTER(amp_unscale, amp_unscale_cuda);
EMBER_CUDA_REGISTER(amp_update_scale, amp_update_scale_cuda);

}  // namespace ember
