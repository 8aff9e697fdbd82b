// error.h — ember's C++ exceptions. Each maps to a Python exception type in the
// bindings; messages start with the op's name: "[conv2d] expected ...".
#pragma once
#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace ember {

enum class ErrorKind { Value, Type, Index, Runtime, NotImplemented };

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& msg) : std::runtime_error(msg), kind_(kind) {}
  ErrorKind kind() const { return kind_; }
 private:
  ErrorKind kind_;
};

namespace detail {
inline void str_append(std::ostringstream&) {}
template <class T, class... R>
inline void str_append(std::ostringstream& os, const T& v, const R&... rest) {
  os << v;
  str_append(os, rest...);
}
}  // namespace detail

template <class... Args>
inline std::string str(const Args&... args) {
  std::ostringstream os;
  detail::str_append(os, args...);
  return os.str();
}

// "(3, 28, 28)" — PyTorch-style shape text for messages.
inline std::string shape_str(const std::vector<int64_t>& s) {
  std::string out = "(";
  for (size_t i = 0; i < s.size(); ++i) {
    if (i) out += ", ";
    out += std::to_string(s[i]);
  }
  if (s.size() == 1) out += ",";
  return out + ")";
}

}  // namespace ember

// EMBER_CHECK(cond, Value, "[op] expected ...", x, " got ", y);
#define EMBER_CHECK(cond, KIND, ...) \
  do {                               \
    if (!(cond)) throw ::ember::Error(::ember::ErrorKind::KIND, ::ember::str(__VA_ARGS__)); \
  } while (0)
#define EMBER_FAIL(KIND, ...) throw ::ember::Error(::ember::ErrorKind::KIND, ::ember::str(__VA_ARGS__))
