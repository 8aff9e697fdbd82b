// embedding_bag.h — nn.functional.embedding_bag: sums, means or maxes of bags of
// embedding rows, without materialising the gathered (L, D) rows.
#pragma once
#include <optional>
#include <tuple>

#include "core/array.h"

namespace ember {

enum class BagMode : int { Sum = 0, Mean = 1, Max = 2 };

// weight (V, D) float; indices (L,) int; offsets (B,) int: bag b holds
// indices[offsets[b] : offsets[b+1]] (the last bag runs to L). Entries equal to
// padding_idx (-1: none) are skipped and not counted. per_sample_weights (L,) scales
// rows in Sum mode. Returns (out (B, D), bag_size (B,) int64 of counted entries,
// argmax (B, D) int64 row chosen per column in Max mode (-1 for an empty bag;
// an empty (0,) array in the other modes)).
std::tuple<Array, Array, Array> embedding_bag(const Array& weight, const Array& indices, const Array& offsets,
                                              int mode, const std::optional<Array>& per_sample_weights,
                                              int64_t padding_idx);

// Gradient wrt weight (V, D) given grad (B, D) and the forward's outputs.
Array embedding_bag_backward(const Array& grad, const Array& indices, const Array& offsets, const Array& bag_size,
                             const Array& argmax, int64_t num_weights, int mode,
                             const std::optional<Array>& per_sample_weights, int64_t padding_idx);

}  // namespace ember
