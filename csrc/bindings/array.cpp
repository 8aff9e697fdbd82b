// array.cpp — binds ember::Array (the storage behind every ember.Tensor), its
// views and copies, and zero-copy conversion to and from NumPy.
#include <cstring>

#include "bindings.h"
#include "core/cuda_api.h"

namespace ember {
namespace {

py::tuple to_tuple(const Shape& s) {
  py::tuple t(s.size());
  for (size_t i = 0; i < s.size(); ++i) t[i] = py::int_(s[i]);
  return t;
}

// NumPy dtype for an ember dtype (bfloat16 has none in plain NumPy).
py::dtype numpy_dtype(DType t) {
  switch (t) {
    case DType::Bool: return py::dtype("bool");
    case DType::UInt8: return py::dtype("uint8");
    case DType::Int32: return py::dtype("int32");
    case DType::Int64: return py::dtype("int64");
    case DType::Float16: return py::dtype("float16");
    case DType::Float32: return py::dtype("float32");
    case DType::Float64: return py::dtype("float64");
    default: EMBER_FAIL(Type, "[numpy] NumPy has no ", dtype_name(t), " dtype: convert with .float() first");
  }
}

DType dtype_from_numpy(const py::dtype& dt) {
  char kind = dt.kind();
  int64_t size = dt.itemsize();
  if (kind == 'b') return DType::Bool;
  if (kind == 'f' && size == 4) return DType::Float32;
  if (kind == 'f' && size == 8) return DType::Float64;
  if (kind == 'f' && size == 2) return DType::Float16;
  if (kind == 'i' && size == 8) return DType::Int64;
  if (kind == 'i' && size == 4) return DType::Int32;
  if (kind == 'u' && size == 1) return DType::UInt8;
  EMBER_FAIL(Type, "[from_numpy] unsupported NumPy dtype ", std::string(py::str(dt)),
             ": expected float64, float32, float16, int64, int32, uint8 or bool");
}

// Wraps a NumPy array's memory without copying; the array stays alive as owner.
Array from_numpy(py::array arr) {
  DType dt = dtype_from_numpy(arr.dtype());
  int64_t isz = itemsize(dt);
  Shape shape(arr.ndim()), strides(arr.ndim());
  int64_t extent = 1;
  for (py::ssize_t i = 0; i < arr.ndim(); ++i) {
    shape[i] = arr.shape(i);
    int64_t sb = arr.strides(i);
    EMBER_CHECK(sb >= 0 && sb % isz == 0, Value, "[from_numpy] strides ", shape_str(Shape(arr.strides(), arr.strides() + arr.ndim())),
                " are negative or not a multiple of the itemsize ", isz, ": pass a contiguous copy");
    strides[i] = sb / isz;
    if (shape[i] == 0) extent = 0;
  }
  if (extent != 0) {
    extent = 1;
    for (size_t i = 0; i < shape.size(); ++i) extent += (shape[i] - 1) * strides[i];
  }
  auto* keep = new py::object(arr);
  std::shared_ptr<void> owner(keep, [](void* p) {
    py::gil_scoped_acquire gil;
    delete static_cast<py::object*>(p);
  });
  void* data = const_cast<void*>(arr.data());
  auto st = std::make_shared<Storage>(data, static_cast<size_t>(extent * isz), cpu_device(), std::move(owner));
  return Array(st, shape, strides, 0, dt);
}

// A NumPy view of a CPU array; a capsule keeps the storage alive.
py::array to_numpy(const Array& a) {
  EMBER_CHECK(a.device().is_cpu(), Type, "[numpy] can't convert a ", a.device().str(),
              " tensor to NumPy: copy it to the CPU first with .cpu()");
  std::vector<py::ssize_t> shape(a.shape().begin(), a.shape().end()), strides(a.ndim());
  for (int64_t i = 0; i < a.ndim(); ++i) strides[i] = a.strides()[i] * a.itemsize();
  auto* keep = new std::shared_ptr<Storage>(a.storage());
  py::capsule base(keep, [](void* p) { delete static_cast<std::shared_ptr<Storage>*>(p); });
  return py::array(numpy_dtype(a.dtype()), shape, strides, a.data_ptr(), base);
}

// The value of a one-element array as a Python number.
py::object item(const Array& a) {
  EMBER_CHECK(a.numel() == 1, Value, "[item] a tensor with ", a.numel(),
              " elements cannot be converted to a Python scalar");
  Array c = a.device().is_cpu() ? a : a.to(cpu_device());
  const void* p = c.data_ptr();
  switch (c.dtype()) {
    case DType::Bool: return py::bool_(*static_cast<const bool*>(p));
    case DType::UInt8: return py::int_(*static_cast<const uint8_t*>(p));
    case DType::Int32: return py::int_(*static_cast<const int32_t*>(p));
    case DType::Int64: return py::int_(*static_cast<const int64_t*>(p));
    case DType::Float16: return py::float_(half_to_float(*static_cast<const uint16_t*>(p)));
    case DType::BFloat16: return py::float_(bf16_to_float(*static_cast<const uint16_t*>(p)));
    case DType::Float32: return py::float_(*static_cast<const float*>(p));
    default: return py::float_(*static_cast<const double*>(p));
  }
}

}  // namespace

void bind_array(py::module_& m) {
  py::enum_<DType>(m, "DType")
      .value("bool", DType::Bool)
      .value("uint8", DType::UInt8)
      .value("int32", DType::Int32)
      .value("int64", DType::Int64)
      .value("float16", DType::Float16)
      .value("bfloat16", DType::BFloat16)
      .value("float32", DType::Float32)
      .value("float64", DType::Float64);
  m.def("promote_types", &promote_types);
  m.def("itemsize", [](DType t) { return itemsize(t); });

  py::class_<Array>(m, "Array")
      .def_property_readonly("shape", [](const Array& a) { return to_tuple(a.shape()); })
      .def_property_readonly("strides", [](const Array& a) { return to_tuple(a.strides()); })
      .def_property_readonly("offset", &Array::offset)
      .def_property_readonly("dtype", &Array::dtype)
      .def_property_readonly("device_type", [](const Array& a) { return static_cast<int>(a.device().type); })
      .def_property_readonly("device_index", [](const Array& a) { return a.device().index; })
      .def_property_readonly("ndim", &Array::ndim)
      .def_property_readonly("numel", &Array::numel)
      .def_property_readonly("itemsize", &Array::itemsize)
      .def_property_readonly("version", &Array::version)
      .def_property_readonly("data_ptr", [](const Array& a) { return reinterpret_cast<uintptr_t>(a.data_ptr()); })
      .def_property_readonly("storage_ptr",
                             [](const Array& a) { return reinterpret_cast<uintptr_t>(a.storage()->data()); })
      .def_property_readonly("storage_nbytes", [](const Array& a) { return a.storage()->nbytes(); })
      .def_property_readonly("storage_use_count", [](const Array& a) { return a.storage().use_count(); })
      .def("same_storage", [](const Array& a, const Array& b) { return a.storage() == b.storage(); })
      .def("bump_version", &Array::bump_version)
      .def("is_contiguous", &Array::is_contiguous)
      .def("as_strided", &Array::as_strided)
      .def("view", &Array::view)
      .def("reshape", &Array::reshape)
      .def("permute", &Array::permute)
      .def("transpose", &Array::transpose)
      .def("slice", &Array::slice)
      .def("select", &Array::select)
      .def("narrow", &Array::narrow)
      .def("expand", &Array::expand)
      .def("squeeze", py::overload_cast<>(&Array::squeeze, py::const_))
      .def("squeeze", py::overload_cast<int64_t>(&Array::squeeze, py::const_))
      .def("unsqueeze", &Array::unsqueeze)
      .def("diagonal", &Array::diagonal)
      .def("flatten", &Array::flatten)
      .def("unfold", &Array::unfold)
      .def("contiguous", &Array::contiguous, release_gil())
      .def("clone", &Array::clone, release_gil())
      .def("to_dtype", py::overload_cast<DType>(&Array::to, py::const_), release_gil())
      .def("to_device", [](const Array& a, int type, int index) {
        py::gil_scoped_release g;
        return a.to(make_device(type, index));
      })
      .def("copy_", &Array::copy_, release_gil())
      .def("fill_", &Array::fill_, release_gil())
      .def("zero_", &Array::zero_, release_gil())
      .def("numpy", &to_numpy)
      .def("item", &item);

  m.def("from_numpy", &from_numpy);
  m.def("empty", [](const Shape& s, DType t, int dev_type, int dev_index) {
    return Array::empty(s, t, make_device(dev_type, dev_index));
  }, py::arg("shape"), py::arg("dtype"), py::arg("device_type") = 0, py::arg("device_index") = 0);
  m.def("full", [](const Shape& s, double v, DType t, int dev_type, int dev_index) {
    py::gil_scoped_release g;
    return Array::full(s, v, t, make_device(dev_type, dev_index));
  }, py::arg("shape"), py::arg("value"), py::arg("dtype"), py::arg("device_type") = 0, py::arg("device_index") = 0);
  m.def("zeros", [](const Shape& s, DType t, int dev_type, int dev_index) {
    py::gil_scoped_release g;
    return Array::zeros(s, t, make_device(dev_type, dev_index));
  }, py::arg("shape"), py::arg("dtype"), py::arg("device_type") = 0, py::arg("device_index") = 0);
  m.def("broadcast_shapes", [](const Shape& a, const Shape& b) {
    return to_tuple(broadcast_shapes(a, b, "broadcast_shapes"));
  });
}

}  // namespace ember
