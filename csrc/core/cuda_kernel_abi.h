// cuda_kernel_abi.h — the one C symbol _C_cuda exports: its kernel table, read by
// _C's cuda_loader.cpp after dlopen. The build tag (version, configure time and
// the layout of Array) keeps a stale _C_cuda.so from being used by a newer _C.
#pragma once
#include <cstddef>
#include <string>

#include "array.h"
#include "cuda_kernel.h"

namespace ember {
namespace cuda {

struct KernelEntry {
  const char* name;
  KernelPtr fn;
};
using TableFn = const KernelEntry* (*)(size_t* count, const char** build_tag);

constexpr const char* kModuleFile = "_C_cuda.so";
constexpr const char* kTableSymbol = "ember_cuda_kernel_table";

#ifndef EMBER_BUILD_ID
#define EMBER_BUILD_ID "dev"
#endif
inline std::string build_tag() {
  return std::string(EMBER_BUILD_ID) + "/" + std::to_string(sizeof(Array)) + "/" + std::to_string(alignof(Array));
}

}  // namespace cuda
}  // namespace ember
