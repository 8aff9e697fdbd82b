// shape.h — the shape op family: copies that rearrange elements (cat, stack,
// repeat, repeat_interleave, flip, roll, tril/triu). Pure views (reshape, permute,
// expand, ...) live on ember::Array itself.
#pragma once
#include <optional>
#include <vector>

#include "core/array.h"

namespace ember {

// Inputs are promoted to a common dtype (torch.cat); 1-D empty inputs are skipped.
Array cat(const std::vector<Array>& arrays, int64_t dim);
Array stack(const std::vector<Array>& arrays, int64_t dim);
Array repeat(const Array& self, const Shape& repeats);
// repeats: an int tensor of size 1 or self.size(dim); dim nullopt flattens first.
Array repeat_interleave(const Array& self, const Array& repeats, std::optional<int64_t> dim);
Array flip(const Array& self, const std::vector<int64_t>& dims);
// dims empty: roll the flattened array.
Array roll(const Array& self, const std::vector<int64_t>& shifts, const std::vector<int64_t>& dims);
Array tril(const Array& self, int64_t diagonal);
Array triu(const Array& self, int64_t diagonal);

}  // namespace ember
