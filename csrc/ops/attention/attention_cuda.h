// attention_cuda.h — the CUDA kernels of the fused scaled dot-product attention
// (attention_fwd_cuda.cu, attention_bwd_cuda.cu), called by attention.cpp after its
// checks with the same Params the CPU kernels take (attention.h): inputs already in
// the compute dtype (float32, or float64), unit-stride last dims, out/lse (forward)
// and dq (zeroed), dk, dv, dmask (zeroed, optional) allocated on the device.
// Head dims (E, Ev) up to 128. `device`: the CUDA ordinal of every pointer.
// float16/bfloat16 inputs: attention_fwd_tc (tensor cores) when the layout allows,
// else the float32 kernels on converted copies; the backward always runs in float32.
#pragma once
#include "attention.h"
#include "core/cuda_kernel.h"

EMBER_CUDA_KERNEL(attention_fwd_f32, void, (const ember::attention_detail::Params<float>& p, int device));
EMBER_CUDA_KERNEL(attention_fwd_f64, void, (const ember::attention_detail::Params<double>& p, int device));
EMBER_CUDA_KERNEL(attention_bwd_f32, void, (const ember::attention_detail::Params<float>& p, int device));
EMBER_CUDA_KERNEL(attention_bwd_f64, void, (const ember::attention_detail::Params<double>& p, int device));
// Tensor-core forward for float16 (bf16 = false) / bfloat16 q, k, v (attention_fwd_tc_cuda.cu):
// p holds their strides (p.q/k/v unused), out/lse float32; needs E == Ev in {32, 64, 128},
// every q/k/v stride a multiple of 8 elements and 16-byte aligned data (the caller checks).
EMBER_CUDA_KERNEL(attention_fwd_tc, void, (const ember::attention_detail::Params<float>& p, const void* q,
                                           const void* k, const void* v, bool bf16, int device));
