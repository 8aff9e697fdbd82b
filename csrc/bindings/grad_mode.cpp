// grad_mode.cpp — autograd's per-thread flags as a tiny CPython object,
// ember._C._grad_state: state[0] is this thread's grad mode, state[1] its
// inference mode.
//
// Why C: Python hot paths test grad mode on every op (`_state[0]`). Indexing this
// object is one mp_subscript call on a C++ thread_local — about the cost of
// indexing a list — whereas a threading.local attribute costs several times more
// to read and to write. Like PyTorch, every thread has its own flags and a new
// thread starts with grad mode on and inference mode off.
#include <Python.h>

#include "bindings.h"

namespace ember {
namespace {

thread_local bool tls_flags[2] = {true, false};

PyObject* small_int[2] = {nullptr, nullptr};  // the interpreter's cached 0 and 1

Py_ssize_t flag_index(PyObject* key) {
  // Hot paths index with the literals 0 and 1, which CPython shares as cached objects.
  if (key == small_int[0]) return 0;
  if (key == small_int[1]) return 1;
  Py_ssize_t i = PyNumber_AsSsize_t(key, PyExc_IndexError);
  if (i == -1 && PyErr_Occurred()) return -1;
  if (i < 0 || i > 1) {
    PyErr_Format(PyExc_IndexError, "[grad_state] expected index 0 (grad mode) or 1 (inference mode), got %zd", i);
    return -1;
  }
  return i;
}

PyObject* state_get(PyObject*, PyObject* key) {
  Py_ssize_t i = flag_index(key);
  if (i < 0) return nullptr;
  PyObject* r = tls_flags[i] ? Py_True : Py_False;
  Py_INCREF(r);
  return r;
}

int state_set(PyObject*, PyObject* key, PyObject* value) {
  if (value == nullptr) {
    PyErr_SetString(PyExc_TypeError, "[grad_state] flags cannot be deleted");
    return -1;
  }
  Py_ssize_t i = flag_index(key);
  if (i < 0) return -1;
  int b = PyObject_IsTrue(value);
  if (b < 0) return -1;
  tls_flags[i] = b != 0;
  return 0;
}

Py_ssize_t state_len(PyObject*) { return 2; }

PyMappingMethods state_mapping = {state_len, state_get, state_set};

PyTypeObject GradStateType = {PyVarObject_HEAD_INIT(nullptr, 0)};

}  // namespace

void bind_grad_mode(py::module_& m) {
  GradStateType.tp_name = "ember._C.GradState";
  GradStateType.tp_basicsize = sizeof(PyObject);
  GradStateType.tp_flags = Py_TPFLAGS_DEFAULT;
  GradStateType.tp_doc = "Per-thread autograd flags: [0] grad mode, [1] inference mode.";
  GradStateType.tp_as_mapping = &state_mapping;
  if (PyType_Ready(&GradStateType) < 0) throw py::error_already_set();
  for (int i = 0; i < 2; ++i) small_int[i] = PyLong_FromLong(i);  // kept for the module's life
  PyObject* obj = PyObject_New(PyObject, &GradStateType);
  if (obj == nullptr) throw py::error_already_set();
  m.attr("_grad_state") = py::reinterpret_steal<py::object>(obj);
}

}  // namespace ember
