"""``ember info`` (and ``ember`` alone): the build report a bug report needs."""
import platform
import sys


def report():
    import numpy as np

    import ember
    from ember import _C

    lines = [
        f"ember {ember.__version__}",
        f"build type: {_C.build_type}",
        f"python: {sys.version.split()[0]} ({platform.machine()}, {platform.system()})",
        f"numpy: {np.__version__}",
        f"SIMD level in use: {_C.simd_level()} (CPU supports {_C.cpu_max_simd_level()})",
        f"CPU threads: {_C.get_num_threads()}",
        f"CUDA compiled: {_C.cuda.compiled()}",
    ]
    n = _C.cuda.device_count()
    lines.append(f"CUDA available: {n > 0}")
    if n > 0:
        for i in range(n):
            lines.append(f"GPU {i}: {_C.cuda.device_name(i)}")
    elif _C.cuda.compiled():
        lines.append(f"CUDA unavailable because: {_C.cuda.unavailable_reason()}")
    return "\n".join(lines)


def main(argv):
    if argv and argv[0] in ("-h", "--help"):
        print("usage: ember info   (prints the build report)")
        return 0
    if argv:
        print(f"ember info: error: unexpected arguments {argv}", file=sys.stderr)
        return 2
    print(report())
    return 0
