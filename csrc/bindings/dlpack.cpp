// dlpack.cpp — zero-copy exchange with other array libraries through DLPack 1.x
// capsules (core/dlpack.h), CPU and CUDA.
//
// Export: a heap context holds a shared_ptr to the array's Storage plus the
// shape/strides the DLTensor points at; the managed tensor's deleter frees it. The
// capsule ("dltensor_versioned", or legacy "dltensor") calls that deleter in its
// destructor only if no consumer renamed it "used_...".
// Import: the tensor is checked (device, dtype, shape, strides, alignment) while
// the capsule still owns it, then the capsule is renamed "used_..." and a Storage
// borrows the memory; its owner calls the producer's deleter (holding the GIL,
// since producers such as NumPy release Python objects there) when the last
// array viewing it goes away.
#include <cstring>

#include "bindings.h"
#include "core/cuda_api.h"
#include "core/dlpack.h"

namespace ember {
namespace {

constexpr const char* kName = "dltensor";
constexpr const char* kNameUsed = "used_dltensor";
constexpr const char* kNameV = "dltensor_versioned";
constexpr const char* kNameVUsed = "used_dltensor_versioned";

DLDataType to_dl_dtype(DType t) {
  switch (t) {
    case DType::Bool: return {kDLBool, 8, 1};
    case DType::UInt8: return {kDLUInt, 8, 1};
    case DType::Int32: return {kDLInt, 32, 1};
    case DType::Int64: return {kDLInt, 64, 1};
    case DType::Float16: return {kDLFloat, 16, 1};
    case DType::BFloat16: return {kDLBfloat, 16, 1};
    case DType::Float32: return {kDLFloat, 32, 1};
    case DType::Float64: return {kDLFloat, 64, 1};
  }
  EMBER_FAIL(Type, "[to_dlpack] unsupported dtype");
}

DType from_dl_dtype(DLDataType d) {
  EMBER_CHECK(d.lanes == 1, Type, "[from_dlpack] vector dtypes are not supported (lanes = ", d.lanes, ")");
  const int code = d.code, bits = d.bits;
  if (code == kDLBool && bits == 8) return DType::Bool;
  if (code == kDLUInt && bits == 8) return DType::UInt8;
  if (code == kDLInt && bits == 32) return DType::Int32;
  if (code == kDLInt && bits == 64) return DType::Int64;
  if (code == kDLFloat && bits == 16) return DType::Float16;
  if (code == kDLBfloat && bits == 16) return DType::BFloat16;
  if (code == kDLFloat && bits == 32) return DType::Float32;
  if (code == kDLFloat && bits == 64) return DType::Float64;
  EMBER_FAIL(Type, "[from_dlpack] unsupported DLPack dtype (code ", code, ", bits ", bits,
             "): ember supports bool, uint8, int32, int64, float16, bfloat16, float32 and float64");
}

// ---------------------------------------------------------------- export

template <class M>
struct ExportCtx {
  std::shared_ptr<Storage> storage;
  std::vector<int64_t> shape, strides;  // never empty, so the pointers are never NULL
  M managed{};
};

template <class M>
void export_deleter(M* m) {
  delete static_cast<ExportCtx<M>*>(m->manager_ctx);
}

template <class M>
M* make_managed(const Array& a) {
  auto* ctx = new ExportCtx<M>();
  ctx->storage = a.storage();
  ctx->shape.assign(a.shape().begin(), a.shape().end());
  ctx->strides.assign(a.strides().begin(), a.strides().end());
  if (ctx->shape.empty()) {
    ctx->shape.push_back(1);
    ctx->strides.push_back(1);
  }
  DLTensor& t = ctx->managed.dl_tensor;
  t.data = a.data_ptr();
  t.device = a.device().is_cuda() ? DLDevice{kDLCUDA, a.device().index} : DLDevice{kDLCPU, 0};
  t.ndim = static_cast<int32_t>(a.ndim());
  t.dtype = to_dl_dtype(a.dtype());
  t.shape = ctx->shape.data();
  t.strides = ctx->strides.data();
  t.byte_offset = 0;
  ctx->managed.manager_ctx = ctx;
  ctx->managed.deleter = &export_deleter<M>;
  return &ctx->managed;
}

// Capsule destructors: free the tensor unless a consumer took it (renamed the capsule).
void capsule_destructor(PyObject* cap) {
  if (!PyCapsule_IsValid(cap, kName)) return;
  auto* m = static_cast<DLManagedTensor*>(PyCapsule_GetPointer(cap, kName));
  if (m && m->deleter) m->deleter(m);
}
void capsule_destructor_versioned(PyObject* cap) {
  if (!PyCapsule_IsValid(cap, kNameV)) return;
  auto* m = static_cast<DLManagedTensorVersioned*>(PyCapsule_GetPointer(cap, kNameV));
  if (m && m->deleter) m->deleter(m);
}

py::object to_dlpack(const Array& a, bool versioned, bool copied) {
  EMBER_CHECK(a.defined(), Value, "[to_dlpack] undefined array");
  EMBER_CHECK(a.ndim() <= kMaxDims, Value, "[to_dlpack] too many dims: ", a.ndim());
  PyObject* cap = nullptr;
  if (versioned) {
    DLManagedTensorVersioned* m = make_managed<DLManagedTensorVersioned>(a);
    m->version = DLPackVersion{EMBER_DLPACK_MAJOR, EMBER_DLPACK_MINOR};
    m->flags = copied ? DLPACK_FLAG_BITMASK_IS_COPIED : 0;
    cap = PyCapsule_New(m, kNameV, capsule_destructor_versioned);
    if (!cap) {
      m->deleter(m);
      throw py::error_already_set();
    }
  } else {
    DLManagedTensor* m = make_managed<DLManagedTensor>(a);
    cap = PyCapsule_New(m, kName, capsule_destructor);
    if (!cap) {
      m->deleter(m);
      throw py::error_already_set();
    }
  }
  return py::reinterpret_steal<py::object>(cap);
}

// ---------------------------------------------------------------- import

// Calls the producer's deleter once the last ember array using the memory is gone.
template <class M>
std::shared_ptr<void> make_owner(M* m) {
  return std::shared_ptr<void>(m, [](void* p) {
    auto* mt = static_cast<M*>(p);
    if (!mt->deleter) return;
    if (!Py_IsInitialized()) return;  // interpreter gone: leave the memory to the process exit
    py::gil_scoped_acquire gil;
    mt->deleter(mt);
  });
}

Array from_dlpack(const py::object& obj) {
  PyObject* cap = obj.ptr();
  EMBER_CHECK(PyCapsule_CheckExact(cap), Type, "[from_dlpack] expected a DLPack capsule or an object with ",
              "__dlpack__, got ", std::string(py::str(py::type::handle_of(obj).attr("__name__"))));
  const bool versioned = PyCapsule_IsValid(cap, kNameV);
  if (!versioned && !PyCapsule_IsValid(cap, kName)) {
    const char* name = PyCapsule_GetName(cap);
    if (!name) PyErr_Clear();
    std::string n = name ? name : "";
    EMBER_CHECK(n.rfind("used_", 0) != 0, Value,
                "[from_dlpack] this DLPack capsule was already consumed: a capsule can be imported only once");
    EMBER_FAIL(Type, "[from_dlpack] expected a capsule named 'dltensor' or 'dltensor_versioned', got '", n, "'");
  }
  DLManagedTensorVersioned* mv = nullptr;
  DLManagedTensor* ml = nullptr;
  const DLTensor* t = nullptr;
  if (versioned) {
    mv = static_cast<DLManagedTensorVersioned*>(PyCapsule_GetPointer(cap, kNameV));
    if (!mv) throw py::error_already_set();
    // A newer major version may change the layout past `version`: do not read further.
    EMBER_CHECK(mv->version.major <= EMBER_DLPACK_MAJOR, Value, "[from_dlpack] DLPack version ",
                mv->version.major, ".", mv->version.minor, " is not supported (ember reads ", EMBER_DLPACK_MAJOR,
                ".x)");
    t = &mv->dl_tensor;
  } else {
    ml = static_cast<DLManagedTensor*>(PyCapsule_GetPointer(cap, kName));
    if (!ml) throw py::error_already_set();
    t = &ml->dl_tensor;
  }

  // Everything is checked while the capsule still owns the tensor: on an error the
  // capsule's destructor frees it.
  Device dev;
  switch (t->device.device_type) {
    case kDLCPU:
    case kDLCUDAHost: dev = cpu_device(); break;
    case kDLCUDA:
    case kDLCUDAManaged:
      cuda::check_device(t->device.device_id, "from_dlpack");
      dev = Device{DeviceType::CUDA, t->device.device_id};
      break;
    default:
      EMBER_FAIL(Type, "[from_dlpack] unsupported DLPack device type ", t->device.device_type,
                 ": ember supports CPU (1) and CUDA (2)");
  }
  const DType dt = from_dl_dtype(t->dtype);
  const int64_t isz = itemsize(dt);
  EMBER_CHECK(t->ndim >= 0 && t->ndim <= kMaxDims, Value, "[from_dlpack] expected at most ", kMaxDims,
              " dims, got ", t->ndim);
  EMBER_CHECK(t->ndim == 0 || t->shape, Value, "[from_dlpack] tensor has ", t->ndim, " dims but no shape");
  Shape shape(t->shape, t->shape + t->ndim);
  for (int64_t s : shape) EMBER_CHECK(s >= 0, Value, "[from_dlpack] negative size in shape ", shape_str(shape));
  Shape strides = t->strides ? Shape(t->strides, t->strides + t->ndim) : contiguous_strides(shape);
  const int64_t numel = shape_numel(shape);
  int64_t extent = 0;  // elements spanned
  if (numel > 0) {
    extent = 1;
    for (int i = 0; i < t->ndim; ++i) {
      if (shape[i] == 1) continue;
      EMBER_CHECK(strides[i] >= 0, Value, "[from_dlpack] negative strides ", shape_str(strides),
                  " are not supported: pass a contiguous copy");
      extent += (shape[i] - 1) * strides[i];
    }
  }
  char* base = static_cast<char*>(t->data) + t->byte_offset;
  if (numel > 0) {
    EMBER_CHECK(t->data != nullptr, Value, "[from_dlpack] tensor of shape ", shape_str(shape), " has no data");
    EMBER_CHECK(reinterpret_cast<uintptr_t>(base) % isz == 0, Value, "[from_dlpack] data pointer is not aligned to ",
                "the ", isz, "-byte itemsize of ", dtype_name(dt));
  }

  // Take ownership: rename first, so a failure below frees through our owner only.
  if (PyCapsule_SetName(cap, versioned ? kNameVUsed : kNameUsed) != 0) throw py::error_already_set();
  std::shared_ptr<void> owner = versioned ? make_owner(mv) : make_owner(ml);
  auto st = std::make_shared<Storage>(numel > 0 ? static_cast<void*>(base) : t->data,
                                      static_cast<size_t>(extent * isz), dev, std::move(owner));
  return Array(st, shape, strides, 0, dt);
}

py::tuple dlpack_device(const Array& a) {
  if (a.device().is_cuda()) return py::make_tuple(static_cast<int>(kDLCUDA), a.device().index);
  return py::make_tuple(static_cast<int>(kDLCPU), 0);
}

}  // namespace

void bind_dlpack(py::module_& m) {
  m.def("to_dlpack", &to_dlpack, py::arg("a"), py::arg("versioned") = true, py::arg("copied") = false,
        "A DLPack capsule viewing the array ('dltensor_versioned', or legacy 'dltensor').");
  m.def("from_dlpack", &from_dlpack, py::arg("capsule"),
        "An Array viewing the memory of a DLPack capsule (consumes the capsule).");
  m.def("dlpack_device", &dlpack_device, py::arg("a"), "(device_type, device_id): (1, 0) CPU, (2, n) CUDA.");
}

}  // namespace ember
