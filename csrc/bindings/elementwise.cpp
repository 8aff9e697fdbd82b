// elementwise.cpp — bindings of the elementwise op family.
//
// Every binary op is `_C.<op>(a, b)` where a and b are each an Array or a Python
// number (bool/int/float, weak in type promotion), plus `_C.<op>_out(out, a, b)`
// (out= and in-place: out may be an input). Unary ops: `_C.<op>(a)`,
// `_C.<op>_out(out, a)`. The Operand caster below avoids pybind11 overload
// resolution and py::object parsing on the hot path; small ops keep the GIL
// (releasing it costs more than the op).
#include "bindings.h"
#include "core/overlap.h"
#include "ops/elementwise/elementwise.h"

namespace pybind11 {
namespace detail {

// Python number -> ember::Scalar (bool, int, float, or anything with __index__/__float__).
template <>
struct type_caster<ember::Scalar> {
  PYBIND11_TYPE_CASTER(ember::Scalar, const_name("float"));
  bool load(handle src, bool) {
    PyObject* o = src.ptr();
    if (PyBool_Check(o)) {
      value = ember::Scalar::from_bool(o == Py_True);
      return true;
    }
    if (PyFloat_Check(o)) {
      value = ember::Scalar::from_double(PyFloat_AS_DOUBLE(o));
      return true;
    }
    if (PyLong_Check(o)) {
      int overflow = 0;
      long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
      if (v == -1 && PyErr_Occurred()) { PyErr_Clear(); return false; }
      if (overflow) {  // beyond int64: keep the magnitude as a float
        value = ember::Scalar::from_double(PyLong_AsDouble(o));
        return true;
      }
      value = ember::Scalar::from_int(v);
      return true;
    }
    if (PyObject_HasAttrString(o, "_a")) return false;  // an ember.Tensor is never a number
    // NumPy scalars (np.float32(2), np.int64(3), np.bool_): through their Python value.
    if (PyObject_HasAttrString(o, "dtype") && PyObject_HasAttrString(o, "item")) {
      object item = src.attr("item")();
      if (PyBool_Check(item.ptr()) || PyFloat_Check(item.ptr()) || PyLong_Check(item.ptr())) return load(item, true);
      return false;
    }
    if (PyNumber_Check(o)) {
      double d = PyFloat_AsDouble(o);
      if (d == -1.0 && PyErr_Occurred()) { PyErr_Clear(); return false; }
      value = ember::Scalar::from_double(d);
      return true;
    }
    return false;
  }
  static handle cast(const ember::Scalar& s, return_value_policy, handle) {
    if (s.kind == ember::Scalar::Float) return PyFloat_FromDouble(s.d);
    if (s.kind == ember::Scalar::Bool) return handle(s.i ? Py_True : Py_False).inc_ref();
    return PyLong_FromLongLong(s.i);
  }
};

// Array or Python number -> ember::Operand (points into the Python Array object).
template <>
struct type_caster<ember::Operand> {
  PYBIND11_TYPE_CASTER(ember::Operand, const_name("Union[Array, float]"));
  make_caster<ember::Array> arr_caster;
  make_caster<ember::Scalar> scalar_caster;
  bool load(handle src, bool convert) {
    if (arr_caster.load(src, false)) {
      value = ember::Operand(cast_op<const ember::Array&>(arr_caster));
      return true;
    }
    if (scalar_caster.load(src, convert)) {
      value = ember::Operand(cast_op<ember::Scalar&>(scalar_caster));
      return true;
    }
    return false;
  }
  static handle cast(const ember::Operand&, return_value_policy, handle) { return none().release(); }
};

}  // namespace detail
}  // namespace pybind11

namespace ember {
namespace {

// Large ops release the GIL; for small ones the release/re-acquire costs more than the op.
constexpr int64_t kGilFreeNumel = 1 << 14;
int64_t numel_of(const Operand& o) { return o.arr ? o.arr->numel() : 1; }

struct MaybeRelease {
  explicit MaybeRelease(int64_t n) {
    if (n >= kGilFreeNumel) state = PyEval_SaveThread();
  }
  ~MaybeRelease() {
    if (state) PyEval_RestoreThread(state);
  }
  PyThreadState* state = nullptr;
};

void def_binary(py::module_& m, BOp op) {
  std::string name = op_name(op);
  m.def(name.c_str(), [op](const Operand& a, const Operand& b) {
    MaybeRelease g(std::max(numel_of(a), numel_of(b)));
    return binary(op, a, b);
  }, py::arg("a"), py::arg("b"));
  m.def((name + "_out").c_str(), [op](const Array& out, const Operand& a, const Operand& b) {
    MaybeRelease g(out.numel());
    return binary(op, a, b, &out);
  }, py::arg("out"), py::arg("a"), py::arg("b"));
}

void def_unary(py::module_& m, UOp op) {
  std::string name = op_name(op);
  m.def(name.c_str(), [op](const Array& a) {
    MaybeRelease g(a.numel());
    return unary(op, a);
  }, py::arg("a"));
  m.def((name + "_out").c_str(), [op](const Array& out, const Array& a) {
    MaybeRelease g(out.numel());
    return unary(op, a, &out);
  }, py::arg("out"), py::arg("a"));
}

}  // namespace

void bind_elementwise(py::module_& m) {
  for (int i = 0; i < static_cast<int>(BOp::count_); ++i) def_binary(m, static_cast<BOp>(i));
  for (int i = 0; i < static_cast<int>(UOp::count_); ++i) {
    UOp op = static_cast<UOp>(i);
    if (op == UOp::clamp || op == UOp::nan_to_num || op == UOp::round_decimals) continue;
    def_unary(m, op);
  }
  // add/sub with alpha: a + alpha * b (overloads after the 2-argument form).
  for (BOp op : {BOp::add, BOp::sub}) {
    std::string name = op_name(op);
    m.def(name.c_str(), [op](const Operand& a, const Operand& b, Scalar alpha) {
      MaybeRelease g(std::max(numel_of(a), numel_of(b)));
      return binary(op, a, b, nullptr, alpha);
    }, py::arg("a"), py::arg("b"), py::arg("alpha"));
    m.def((name + "_out").c_str(), [op](const Array& out, const Operand& a, const Operand& b, Scalar alpha) {
      MaybeRelease g(out.numel());
      return binary(op, a, b, &out, alpha);
    }, py::arg("out"), py::arg("a"), py::arg("b"), py::arg("alpha"));
  }
  m.def("result_type", [](const Operand& a, const Operand& b) {
    Operand ops[2] = {a, b};
    return result_type(ops, 2);
  });

  m.def("clamp", [](const Array& a, std::optional<Operand> lo, std::optional<Operand> hi) {
    MaybeRelease g(a.numel());
    return clamp(a, lo, hi);
  }, py::arg("a"), py::arg("min") = py::none(), py::arg("max") = py::none());
  m.def("clamp_out", [](const Array& out, const Array& a, std::optional<Operand> lo, std::optional<Operand> hi) {
    MaybeRelease g(a.numel());
    return clamp(a, lo, hi, &out);
  }, py::arg("out"), py::arg("a"), py::arg("min") = py::none(), py::arg("max") = py::none());
  m.def("nan_to_num", [](const Array& a, std::optional<double> nan, std::optional<double> posinf,
                         std::optional<double> neginf) {
    MaybeRelease g(a.numel());
    return nan_to_num(a, nan, posinf, neginf);
  }, py::arg("a"), py::arg("nan") = py::none(), py::arg("posinf") = py::none(), py::arg("neginf") = py::none());
  m.def("nan_to_num_out", [](const Array& out, const Array& a, std::optional<double> nan,
                             std::optional<double> posinf, std::optional<double> neginf) {
    MaybeRelease g(a.numel());
    return nan_to_num(a, nan, posinf, neginf, &out);
  }, py::arg("out"), py::arg("a"), py::arg("nan") = py::none(), py::arg("posinf") = py::none(),
     py::arg("neginf") = py::none());
  m.def("round", [](const Array& a, int64_t decimals) {
    MaybeRelease g(a.numel());
    return round(a, decimals);
  }, py::arg("a"), py::arg("decimals"));
  m.def("round_out", [](const Array& out, const Array& a, int64_t decimals) {
    MaybeRelease g(a.numel());
    return round(a, decimals, &out);
  }, py::arg("out"), py::arg("a"), py::arg("decimals"));

  m.def("where", [](const Array& c, const Operand& a, const Operand& b) {
    MaybeRelease g(c.numel());
    return where(c, a, b);
  });
  m.def("where_out", [](const Array& out, const Array& c, const Operand& a, const Operand& b) {
    MaybeRelease g(out.numel());
    return where(c, a, b, &out);
  });
  m.def("lerp", [](const Array& s, const Array& e, const Operand& w) {
    MaybeRelease g(s.numel());
    return lerp(s, e, w);
  });
  m.def("lerp_out", [](const Array& out, const Array& s, const Array& e, const Operand& w) {
    MaybeRelease g(out.numel());
    return lerp(s, e, w, &out);
  });
  m.def("addcmul", [](const Array& s, const Array& a, const Array& b, Scalar v) {
    MaybeRelease g(s.numel());
    return addcmul(s, a, b, v);
  }, py::arg("self"), py::arg("t1"), py::arg("t2"), py::arg("value") = Scalar::from_int(1));
  m.def("addcmul_out", [](const Array& out, const Array& s, const Array& a, const Array& b, Scalar v) {
    MaybeRelease g(out.numel());
    return addcmul(s, a, b, v, &out);
  }, py::arg("out"), py::arg("self"), py::arg("t1"), py::arg("t2"), py::arg("value") = Scalar::from_int(1));
  m.def("addcdiv", [](const Array& s, const Array& a, const Array& b, Scalar v) {
    MaybeRelease g(s.numel());
    return addcdiv(s, a, b, v);
  }, py::arg("self"), py::arg("t1"), py::arg("t2"), py::arg("value") = Scalar::from_int(1));
  m.def("addcdiv_out", [](const Array& out, const Array& s, const Array& a, const Array& b, Scalar v) {
    MaybeRelease g(out.numel());
    return addcdiv(s, a, b, v, &out);
  }, py::arg("out"), py::arg("self"), py::arg("t1"), py::arg("t2"), py::arg("value") = Scalar::from_int(1));

  // torch's overlap checks (core/overlap.h) for writes assembled in Python: the
  // autograd path of in-place ops, setitem with a number, scatter/index ops with grad.
  m.def("_assert_no_internal_overlap", [](const Array& out, const std::string& op) {
    assert_no_internal_overlap(out, op.c_str());
  }, py::arg("out"), py::arg("op"));
  m.def("_assert_no_partial_overlap", [](const Array& out, const std::vector<Array>& ins, const std::string& op) {
    for (const Array& in : ins) assert_no_partial_overlap(out, in, op.c_str());
  }, py::arg("out"), py::arg("inputs"), py::arg("op"));
  m.def("_assert_no_overlap", [](const Array& out, const std::vector<Array>& ins, const std::string& op) {
    for (const Array& in : ins) assert_no_overlap(out, in, op.c_str());
  }, py::arg("out"), py::arg("inputs"), py::arg("op"));
}

}  // namespace ember
