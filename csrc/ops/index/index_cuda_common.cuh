// index_cuda_common.cuh — pieces shared by the index family's .cu files (device
// side only; include from .cu files).
//
//  * IndexErrorRecord: the out-of-bounds report (see index_cuda.h). One record in
//    mapped, portable pinned host memory serves every device; kernels write it with
//    plain stores (no system-scope atomics, which PCIe hosts may lack): the fields
//    first, a __threadfence_system(), then the flag. Several bad indices at once may
//    leave fields of different ones mixed; each is a genuine bad index. The host
//    reads it without synchronising (pending_error_check) and clears it.
//  * atomic_update<T>(addr, f): old -> f(old) as one atomic step for any 1/2/4/8-byte
//    element, a CAS loop on the aligned 32- or 64-bit word holding it.
//  * bytes_t<N>: the unsigned integer type used to move N-byte elements.
//  * dispatch_bytes: host-side dispatch by element size; with_index64: int64 indices only
//    (the host widens int32 CUDA indices, idx::cuda_index64).
#pragma once
#include <cstdint>

#include "core/cuda_utils.cuh"
#include "ops/index/index_cuda.h"

namespace ember {

namespace idx_cuda {

struct IndexErrorRecord {
  volatile int flag;          // 1 once a kernel saw a bad index
  volatile int dim;           // the dim indexed (-1: a flat index)
  volatile long long value;   // the index as given
  volatile long long size;    // the valid range's size
  volatile unsigned long long op;  // the op's name (a host string literal's address)
};

// Host: the record's address (device-usable through UVA); allocated on first use.
IndexErrorRecord* error_record(const char* op);
// Host: raises IndexError naming `op` (and the op that recorded it) if the record
// is set, clearing it first. Does not synchronise.
void pending_error_check(const char* op);

__device__ __forceinline__ void report_bad_index(IndexErrorRecord* rec, long long value, long long size, int dim,
                                                 const char* op) {
  if (rec->flag) return;  // one report is enough
  rec->value = value;
  rec->size = size;
  rec->dim = dim;
  rec->op = reinterpret_cast<unsigned long long>(op);
  __threadfence_system();
  rec->flag = 1;
}

// Wraps and checks one index; returns false (after reporting) when out of range.
__device__ __forceinline__ bool check_index(int64_t& ix, int64_t size, bool allow_negative, IndexErrorRecord* rec,
                                            int dim, const char* op) {
  const int64_t v = ix;
  if (ix < 0 && allow_negative) ix += size;
  if (ix < 0 || ix >= size) {
    report_bad_index(rec, v, size, dim, op);
    return false;
  }
  return true;
}

template <int N> struct bytes_of;
template <> struct bytes_of<1> { using type = uint8_t; };
template <> struct bytes_of<2> { using type = uint16_t; };
template <> struct bytes_of<4> { using type = uint32_t; };
template <> struct bytes_of<8> { using type = unsigned long long; };
template <int N> using bytes_t = typename bytes_of<N>::type;

// Bit-casts between T and its same-size unsigned integer.
template <class T>
__device__ __forceinline__ bytes_t<sizeof(T)> to_bits(T v) {
  bytes_t<sizeof(T)> b;
  memcpy(&b, &v, sizeof(T));
  return b;
}
template <class T>
__device__ __forceinline__ T from_bits(bytes_t<sizeof(T)> b) {
  T v;
  memcpy(&v, &b, sizeof(T));
  return v;
}

// *addr = f(*addr) atomically (relaxed, device scope). T of 1, 2, 4 or 8 bytes.
template <class T, class F>
__device__ __forceinline__ void atomic_update(T* addr, const F& f) {
  if constexpr (sizeof(T) == 8) {
    auto* w = reinterpret_cast<unsigned long long*>(addr);
    unsigned long long old = *w, assumed;
    do {
      assumed = old;
      const unsigned long long nv = to_bits<T>(f(from_bits<T>(assumed)));
      if (nv == assumed) return;
      old = atomicCAS(w, assumed, nv);
    } while (old != assumed);
  } else if constexpr (sizeof(T) == 4) {
    auto* w = reinterpret_cast<unsigned int*>(addr);
    unsigned int old = *w, assumed;
    do {
      assumed = old;
      const unsigned int nv = to_bits<T>(f(from_bits<T>(assumed)));
      if (nv == assumed) return;
      old = atomicCAS(w, assumed, nv);
    } while (old != assumed);
  } else {
    // 1- or 2-byte element: CAS on the aligned 32-bit word that holds it.
    const uintptr_t a = reinterpret_cast<uintptr_t>(addr);
    auto* w = reinterpret_cast<unsigned int*>(a & ~uintptr_t(3));
    const unsigned shift = static_cast<unsigned>(a & 3) * 8;
    const unsigned int mask = (sizeof(T) == 1 ? 0xFFu : 0xFFFFu) << shift;
    unsigned int old = *w, assumed;
    do {
      assumed = old;
      const bytes_t<sizeof(T)> cur = static_cast<bytes_t<sizeof(T)>>((assumed & mask) >> shift);
      const bytes_t<sizeof(T)> nb = to_bits<T>(f(from_bits<T>(cur)));
      const unsigned int nv = (assumed & ~mask) | ((static_cast<unsigned int>(nb) << shift) & mask);
      if (nv == assumed) return;
      old = atomicCAS(w, assumed, nv);
    } while (old != assumed);
  }
}

// Host: calls f(tag) with tag's type of the element size (1, 2, 4, 8 bytes).
template <class F>
inline void dispatch_bytes(int64_t itemsize, const F& f) {
  switch (itemsize) {
    case 1: f(uint8_t{}); break;
    case 2: f(uint16_t{}); break;
    case 4: f(uint32_t{}); break;
    default: f(static_cast<unsigned long long>(0)); break;
  }
}
// The kernels take int64 indices only (the host widens int32 ones: idx::cuda_index64).
inline void check_index64(const Array& index, const char* op) {
  EMBER_CHECK(index.dtype() == DType::Int64, Type, "[", op, "] internal: the CUDA kernel takes int64 indices, got ",
              dtype_name(index.dtype()));
}
// Calls f(int64_t{}) (the index type tag) after checking that index is int64.
template <class F>
inline void with_index64(const Array& index, const char* op, const F& f) {
  check_index64(index, op);
  f(int64_t{});
}

}  // namespace idx_cuda
}  // namespace ember
