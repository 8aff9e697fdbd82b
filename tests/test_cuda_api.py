"""ember.cuda on any machine: queries never crash; without a GPU (or without a CUDA
build) they report why, and CUDA tensors raise a clear RuntimeError."""
import pytest

import ember
from ember import _C
from helpers import assert_raises_in_child


def test_queries_do_not_raise():
    assert isinstance(ember.cuda.is_available(), bool)
    assert isinstance(ember.cuda.is_built(), bool)
    n = ember.cuda.device_count()
    assert isinstance(n, int) and n >= 0
    assert ember.cuda.is_available() == (n > 0)
    ember.cuda.empty_cache()
    assert ember.cuda.memory_allocated() >= 0
    assert ember.cuda.memory_reserved() >= ember.cuda.memory_allocated()


@pytest.mark.skipif(ember.cuda.is_available(), reason="a GPU is present")
def test_without_gpu():
    assert _C.cuda.unavailable_reason()
    assert ember.cuda.memory_allocated() == 0
    with pytest.raises(RuntimeError, match="CUDA"):
        ember.zeros(2, device="cuda")
    with pytest.raises(RuntimeError, match="CUDA"):
        ember.cuda.current_device()
    with pytest.raises(RuntimeError, match="CUDA"):
        ember.cuda.synchronize()
    assert_raises_in_child("ember.ones(3).cuda()", "RuntimeError", "CUDA")
    assert_raises_in_child("ember.tensor([1.0]).to('cuda:1')", "RuntimeError", "CUDA")


def test_bad_device_arguments():
    with pytest.raises(ValueError):
        ember.cuda.memory_allocated("cpu")
    with pytest.raises(TypeError):
        ember.cuda.memory_allocated(1.5)


def test_cpu_use_never_loads_the_cuda_module():
    # The CUDA kernels live in ember/_C_cuda.so, loaded on the first use of a CUDA
    # device; importing ember and running CPU work must not map it.
    import subprocess
    import sys
    code = (
        "import ember\n"
        "x = ember.randn(8, 8, requires_grad=True)\n"
        "(x @ x).sum().backward()\n"
        "print(any('_C_cuda' in l for l in open('/proc/self/maps')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_cuda_query_reports_why_it_is_unavailable():
    if ember.cuda.is_available():
        pytest.skip("a GPU is present")
    why = _C.cuda.unavailable_reason()
    assert why  # "ember was built without CUDA", or the driver's reason
    with pytest.raises(RuntimeError, match=r"^\[full\] "):
        ember.ones(2, device="cuda")


def test_memory_and_stream_api_without_gpu():
    if ember.cuda.is_available():
        pytest.skip("a GPU is present")
    assert ember.cuda.memory_stats() == {}
    assert ember.cuda.max_memory_allocated() == 0 and ember.cuda.max_memory_reserved() == 0
    t = ember.ones(3)
    assert not t.is_pinned()
    with pytest.raises(RuntimeError, match="CUDA"):
        t.pin_memory()
    with pytest.raises(RuntimeError, match="CUDA"):
        ember.cuda.Stream()
    with pytest.raises(RuntimeError, match="CUDA"):
        ember.cuda.current_stream()
    ev = ember.cuda.Event(enable_timing=True)
    assert ev.query()  # never recorded
    ev.synchronize()
    with pytest.raises(RuntimeError, match="recorded"):
        ev.elapsed_time(ember.cuda.Event(enable_timing=True))
    with ember.cuda.stream(None):
        pass
    with pytest.raises(RuntimeError, match="CUDA"):
        t.to("cuda", non_blocking=True)
    with pytest.raises(RuntimeError, match="CUDA"):
        t.cuda(non_blocking=True)
    with pytest.raises(RuntimeError, match="expected a CUDA tensor"):
        t.record_stream(0)  # a stream handle (0: the default stream)
