// box_muller_avx2.cpp — the AVX2+FMA build of box_muller_impl.h.
#define BM_NAME box_muller_avx2
#include "box_muller_impl.h"
