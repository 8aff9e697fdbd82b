// index.h — the index op family: gather/scatter, index_select/index_add,
// advanced indexing (index / index_put_), masks, nonzero, one_hot, take.
// In-place ops (trailing underscore) write into `self` (a handle sharing its
// storage) and bump its version. Every index is range-checked before any write.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "core/array.h"

namespace ember {

Array gather(const Array& self, int64_t dim, const Array& index);
// reduce: "" (assign), "add" or "multiply" (torch.Tensor.scatter_'s reduce=).
void scatter_(const Array& self, int64_t dim, const Array& index, const Array& src, const std::string& reduce);
void scatter_value_(const Array& self, int64_t dim, const Array& index, double value, const std::string& reduce);
// reduce: "sum", "prod", "mean", "amax", "amin" (torch.Tensor.scatter_reduce_).
void scatter_reduce_(const Array& self, int64_t dim, const Array& index, const Array& src,
                     const std::string& reduce, bool include_self);

Array index_select(const Array& self, int64_t dim, const Array& index);
void index_add_(const Array& self, int64_t dim, const Array& index, const Array& source, double alpha);

// Advanced indexing: indices[i] (or nullopt for a full slice) indexes the next
// dim(s) of self; a bool mask consumes as many dims as it has. NumPy placement of
// the broadcast index dims (in place when adjacent, else first).
Array index(const Array& self, const std::vector<std::optional<Array>>& indices);
void index_put_(const Array& self, const std::vector<std::optional<Array>>& indices, const Array& values,
                bool accumulate);

void masked_fill_(const Array& self, const Array& mask, double value);
Array masked_select(const Array& self, const Array& mask);
Array nonzero(const Array& self);  // (count, ndim) int64, row-major order
Array one_hot(const Array& self, int64_t num_classes);
Array take(const Array& self, const Array& index);

}  // namespace ember
