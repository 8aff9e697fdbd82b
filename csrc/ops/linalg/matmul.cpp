// matmul.cpp — argument checks, shape rules and batching for matmul/mm/bmm.
//
// The math runs in ember::gemm (csrc/ops/gemm): float32/float64 on the packed,
// register-blocked SIMD kernels; float16/bfloat16 are computed in float32; integer
// dtypes use a plain triple loop (PyTorch supports them; they are not a fast path).
// Batch dims are broadcast with 0 strides; when an operand's batch dims cannot be
// walked with one stride it is made contiguous first, so every batch is one call
// of gemm::*_batched. CUDA arrays go to the tile GEMM of ops/gemm/gemm_cuda.cu (one
// launch per call, all batches; every dtype in its own precision, float32 on TF32
// tensor cores while ember.backends.cuda.matmul.allow_tf32 is set).
#include "matmul.h"

#include <atomic>

#include "core/parallel.h"
#include "ops/gemm/gemm.h"
#include "ops/gemm/gemm_cuda.h"

namespace ember {
namespace {

void check_inputs(const Array& a, const Array& b, const char* op) {
  EMBER_CHECK(a.device() == b.device(), Runtime, "[", op, "] expected all tensors on the same device, got ",
              a.device().str(), " and ", b.device().str());
  EMBER_CHECK(a.dtype() == b.dtype(), Runtime, "[", op, "] expected both operands to have the same dtype, got ",
              dtype_name(a.dtype()), " and ", dtype_name(b.dtype()));
  EMBER_CHECK(a.dtype() != DType::Bool, Type, "[", op, "] bool operands are not supported");
}

std::atomic<bool> g_matmul_tf32{false};
std::atomic<bool> g_conv_tf32{true};

// The CUDA GEMM reads each operand along a unit stride in one of its two matrix dims
// (row-major or transposed); any other layout is copied to a contiguous one first.
Array cuda_gemm_operand(const Array& x) {
  const int64_t nd = x.ndim();
  const int64_t r = x.shape()[nd - 2], c = x.shape()[nd - 1];
  const int64_t rs = x.strides()[nd - 2], cs = x.strides()[nd - 1];
  if (cs == 1 || rs == 1 || r == 1 || c == 1) return x;
  return x.contiguous();
}

// A single stride that walks the flattened batch dims of x (shape[:-2]), or false.
bool batch_stride(const Array& x, int64_t& stride) {
  int64_t nb = x.ndim() - 2;
  stride = 0;
  int64_t expected = -1;
  for (int64_t d = nb - 1; d >= 0; --d) {
    int64_t s = x.shape()[d];
    if (s == 1) continue;
    int64_t st = x.strides()[d];
    if (expected < 0) {
      stride = st;
      expected = st * s;
    } else {
      if (st != expected) return false;
      expected = st * s;
    }
  }
  return true;
}

template <class T>
void int_gemm(int64_t batch, int64_t M, int64_t N, int64_t K, const T* A, int64_t bsa, int64_t rsa, int64_t csa,
              const T* B, int64_t bsb, int64_t rsb, int64_t csb, T* C, int64_t bsc, int64_t rsc, int64_t csc) {
  parallel_for(0, batch * M, std::max<int64_t>(1, 4096 / std::max<int64_t>(1, N * K)), [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      int64_t bi = r / M, i = r % M;
      const T* a = A + bi * bsa + i * rsa;
      const T* b = B + bi * bsb;
      T* c = C + bi * bsc + i * rsc;
      for (int64_t j = 0; j < N; ++j) {
        T acc = 0;
        for (int64_t k = 0; k < K; ++k) acc += a[k * csa] * b[k * rsb + j * csb];
        c[j * csc] = acc;
      }
    }
  });
}

}  // namespace

void bmm_out(const Array& out, const Array& a0, const Array& b0) {
  const bool cuda = out.device().is_cuda();
  Array a = cuda ? cuda_gemm_operand(a0) : a0, b = cuda ? cuda_gemm_operand(b0) : b0;
  int64_t bsa, bsb;
  if (!batch_stride(a, bsa)) {
    a = a.contiguous();
    batch_stride(a, bsa);
  }
  if (!batch_stride(b, bsb)) {
    b = b.contiguous();
    batch_stride(b, bsb);
  }
  const int64_t nd = out.ndim();
  const int64_t M = out.shape()[nd - 2], N = out.shape()[nd - 1], K = a.shape()[nd - 1];
  int64_t batch = 1;
  for (int64_t d = 0; d < nd - 2; ++d) batch *= out.shape()[d];
  // A broadcast batch dim of size > 1 with stride 0 shows up as stride 0: fine.
  const int64_t rsa = a.strides()[nd - 2], csa = a.strides()[nd - 1];
  const int64_t rsb = b.strides()[nd - 2], csb = b.strides()[nd - 1];
  const int64_t bsc = M * N;
  if (out.numel() == 0) return;
  if (cuda) {
    GemmCudaDesc d{};
    d.batch = batch;
    d.M = M;
    d.N = N;
    d.K = K;
    d.bsa = bsa;
    d.rsa = rsa;
    d.csa = csa;
    d.bsb = bsb;
    d.rsb = rsb;
    d.csb = csb;
    d.bsc = bsc;
    d.rsc = N;
    d.csc = 1;
    d.alpha = 1.0;
    d.beta = 0.0;
    d.bias_stride = 0;
    d.allow_tf32 = cuda_matmul_allow_tf32();
    cuda_kernels::gemm_strided("matmul")(out, a, b, nullptr, d);
    return;
  }
  switch (out.dtype()) {
    case DType::Float32:
      gemm::sgemm_batched(batch, M, N, K, 1.0f, a.data<float>(), bsa, rsa, csa, b.data<float>(), bsb, rsb, csb, 0.0f,
                          out.data<float>(), bsc, N, 1);
      break;
    case DType::Float64:
      gemm::dgemm_batched(batch, M, N, K, 1.0, a.data<double>(), bsa, rsa, csa, b.data<double>(), bsb, rsb, csb,
                          0.0, out.data<double>(), bsc, N, 1);
      break;
    case DType::Int64:
      int_gemm<int64_t>(batch, M, N, K, a.data<int64_t>(), bsa, rsa, csa, b.data<int64_t>(), bsb, rsb, csb,
                        out.data<int64_t>(), bsc, N, 1);
      break;
    case DType::Int32:
      int_gemm<int32_t>(batch, M, N, K, a.data<int32_t>(), bsa, rsa, csa, b.data<int32_t>(), bsb, rsb, csb,
                        out.data<int32_t>(), bsc, N, 1);
      break;
    case DType::UInt8:
      int_gemm<uint8_t>(batch, M, N, K, a.data<uint8_t>(), bsa, rsa, csa, b.data<uint8_t>(), bsb, rsb, csb,
                        out.data<uint8_t>(), bsc, N, 1);
      break;
    default: {  // float16 / bfloat16: compute in float32
      Array a32 = a.to(DType::Float32), b32 = b.to(DType::Float32);
      Array o32 = Array::empty(out.shape(), DType::Float32);
      bmm_out(o32, a32, b32);
      out.copy_(o32);
    }
  }
}

Array matmul(const Array& a0, const Array& b0) {
  check_inputs(a0, b0, "matmul");
  EMBER_CHECK(a0.ndim() >= 1 && b0.ndim() >= 1, Value, "[matmul] both arguments need at least 1 dim, got shapes ",
              shape_str(a0.shape()), " and ", shape_str(b0.shape()));
  const bool a_vec = a0.ndim() == 1, b_vec = b0.ndim() == 1;
  Array a = a_vec ? a0.unsqueeze(0) : a0;
  Array b = b_vec ? b0.unsqueeze(1) : b0;
  const int64_t M = a.shape()[a.ndim() - 2], K = a.shape()[a.ndim() - 1];
  const int64_t K2 = b.shape()[b.ndim() - 2], N = b.shape()[b.ndim() - 1];
  EMBER_CHECK(K == K2, Value, "[matmul] shapes ", shape_str(a0.shape()), " and ", shape_str(b0.shape()),
              " cannot be multiplied (", M, "x", K, " and ", K2, "x", N, ")");
  Shape ba(a.shape().begin(), a.shape().end() - 2), bb(b.shape().begin(), b.shape().end() - 2);
  Shape batch = broadcast_shapes(ba, bb, "matmul");
  Shape ea = batch, eb = batch, oshape = batch;
  ea.push_back(M);
  ea.push_back(K);
  eb.push_back(K);
  eb.push_back(N);
  oshape.push_back(M);
  oshape.push_back(N);
  Array out = Array::empty(oshape, a.dtype(), a.device());
  bmm_out(out, a.expand(ea), b.expand(eb));
  if (a_vec) out = out.squeeze(static_cast<int64_t>(oshape.size()) - 2);
  if (b_vec) out = out.squeeze(out.ndim() - 1);
  return out;
}

void mm_out(const Array& out, const Array& a, const Array& b, double alpha, double beta) {
  check_inputs(a, b, "mm");
  EMBER_CHECK(a.ndim() == 2 && b.ndim() == 2 && out.ndim() == 2, Value, "[mm] expected 2-D operands, got shapes ",
              shape_str(a.shape()), " and ", shape_str(b.shape()));
  const int64_t M = a.shape()[0], K = a.shape()[1], N = b.shape()[1];
  EMBER_CHECK(b.shape()[0] == K && out.shape()[0] == M && out.shape()[1] == N, Value, "[mm] shapes ",
              shape_str(a.shape()), " @ ", shape_str(b.shape()), " -> ", shape_str(out.shape()), " do not match");
  EMBER_CHECK(out.dtype() == a.dtype(), Runtime, "[mm] out dtype ", dtype_name(out.dtype()), " differs from ",
              dtype_name(a.dtype()));
  out.bump_version();
  if (out.device().is_cuda()) {
    EMBER_CHECK(out.device() == a.device(), Runtime, "[mm] expected all tensors on the same device, got ",
                out.device().str(), " and ", a.device().str());
    gemm_cuda_2d(out, a, b, nullptr, alpha, beta, "mm");
    return;
  }
  if (a.dtype() == DType::Float32) {
    gemm::sgemm(M, N, K, static_cast<float>(alpha), a.data<float>(), a.strides()[0], a.strides()[1], b.data<float>(),
                b.strides()[0], b.strides()[1], static_cast<float>(beta), out.data<float>(), out.strides()[0],
                out.strides()[1]);
  } else if (a.dtype() == DType::Float64) {
    gemm::dgemm(M, N, K, alpha, a.data<double>(), a.strides()[0], a.strides()[1], b.data<double>(), b.strides()[0],
                b.strides()[1], beta, out.data<double>(), out.strides()[0], out.strides()[1]);
  } else if ((a.dtype() == DType::Float16 || a.dtype() == DType::BFloat16) && (beta != 0.0 || alpha != 1.0)) {
    // 16-bit floats with alpha/beta (addmm, linear's bias under autocast): one float32
    // GEMM (accumulating in float32 like torch's), rounded once into out.
    Array af = a.to(DType::Float32), bf = b.to(DType::Float32);
    Array of = Array::empty({M, N}, DType::Float32);
    if (beta != 0.0) of.copy_(out);
    gemm::sgemm(M, N, K, static_cast<float>(alpha), af.data<float>(), af.strides()[0], af.strides()[1],
                bf.data<float>(), bf.strides()[0], bf.strides()[1], static_cast<float>(beta), of.data<float>(),
                of.strides()[0], of.strides()[1]);
    out.copy_(of);
  } else {
    EMBER_CHECK(beta == 0.0 && alpha == 1.0, Type, "[mm] alpha/beta need a float32 or float64 operand, got ",
                dtype_name(a.dtype()));
    Array tmp = Array::empty({M, N}, a.dtype());
    bmm_out(tmp, a, b);
    out.copy_(tmp);
  }
}

void gemm_cuda_2d(const Array& out, const Array& a0, const Array& b0, const Array* bias, double alpha, double beta,
                  const char* op) {
  Array a = cuda_gemm_operand(a0), b = cuda_gemm_operand(b0);
  GemmCudaDesc d{};
  d.batch = 1;
  d.M = a.shape()[0];
  d.K = a.shape()[1];
  d.N = b.shape()[1];
  d.bsa = d.bsb = d.bsc = 0;
  d.rsa = a.strides()[0];
  d.csa = a.strides()[1];
  d.rsb = b.strides()[0];
  d.csb = b.strides()[1];
  d.rsc = out.strides()[0];
  d.csc = out.strides()[1];
  d.alpha = alpha;
  d.beta = beta;
  d.bias_stride = bias && bias->ndim() > 0 ? bias->strides()[bias->ndim() - 1] : 0;
  d.allow_tf32 = cuda_matmul_allow_tf32();
  if (out.numel() == 0) return;
  cuda_kernels::gemm_strided(op)(out, a, b, bias, d);
}

bool cuda_matmul_allow_tf32() { return g_matmul_tf32.load(std::memory_order_relaxed); }
void set_cuda_matmul_allow_tf32(bool on) { g_matmul_tf32.store(on, std::memory_order_relaxed); }
bool cuda_conv_allow_tf32() { return g_conv_tf32.load(std::memory_order_relaxed); }
void set_cuda_conv_allow_tf32(bool on) { g_conv_tf32.store(on, std::memory_order_relaxed); }

}  // namespace ember
