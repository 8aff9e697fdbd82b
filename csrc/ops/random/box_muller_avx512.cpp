// box_muller_avx512.cpp — the AVX-512 build of box_muller_impl.h.
#define BM_NAME box_muller_avx512
#include "box_muller_impl.h"
