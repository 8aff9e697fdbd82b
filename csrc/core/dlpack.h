// dlpack.h — the DLPack 1.x exchange structs, written from the specification
// (https://dmlc.github.io/dlpack/latest/c_api.html). Layout-compatible with the
// official dlpack.h: DLDeviceType is a 32-bit enum there, so it is int32_t here.
#pragma once
#include <cstdint>

extern "C" {

#define EMBER_DLPACK_MAJOR 1
#define EMBER_DLPACK_MINOR 0

typedef struct {
  uint32_t major;
  uint32_t minor;
} DLPackVersion;

enum : int32_t { kDLCPU = 1, kDLCUDA = 2, kDLCUDAHost = 3, kDLCUDAManaged = 13 };
typedef struct {
  int32_t device_type;  // kDLCPU, kDLCUDA, ...
  int32_t device_id;
} DLDevice;

enum : uint8_t { kDLInt = 0, kDLUInt = 1, kDLFloat = 2, kDLOpaqueHandle = 3, kDLBfloat = 4, kDLComplex = 5, kDLBool = 6 };
typedef struct {
  uint8_t code;
  uint8_t bits;
  uint16_t lanes;
} DLDataType;

typedef struct {
  void* data;
  DLDevice device;
  int32_t ndim;
  DLDataType dtype;
  int64_t* shape;
  int64_t* strides;  // in elements; NULL means compact row-major
  uint64_t byte_offset;
} DLTensor;

typedef struct DLManagedTensor {
  DLTensor dl_tensor;
  void* manager_ctx;
  void (*deleter)(struct DLManagedTensor* self);
} DLManagedTensor;

#define DLPACK_FLAG_BITMASK_READ_ONLY (UINT64_C(1) << 0)
#define DLPACK_FLAG_BITMASK_IS_COPIED (UINT64_C(1) << 1)

typedef struct DLManagedTensorVersioned {
  DLPackVersion version;
  void* manager_ctx;
  void (*deleter)(struct DLManagedTensorVersioned* self);
  uint64_t flags;
  DLTensor dl_tensor;
} DLManagedTensorVersioned;

}  // extern "C"
