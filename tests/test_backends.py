"""ember.backends: the TF32 switches exist and default like PyTorch's
(torch.backends.cuda.matmul.allow_tf32 = False, torch.backends.cudnn.allow_tf32 = True)."""
import ember


def test_matmul_allow_tf32_default_and_toggle():
    flags = ember.backends.cuda.matmul
    assert flags.allow_tf32 is False
    try:
        flags.allow_tf32 = True
        assert ember.backends.cuda.matmul.allow_tf32 is True
    finally:
        flags.allow_tf32 = False
    assert flags.allow_tf32 is False


def test_cudnn_allow_tf32_default_and_toggle():
    assert ember.backends.cudnn.allow_tf32 is True
    try:
        ember.backends.cudnn.allow_tf32 = False
        assert ember.backends.cudnn.allow_tf32 is False
    finally:
        ember.backends.cudnn.allow_tf32 = True
    assert ember.backends.cudnn.allow_tf32 is True


def test_cpu_results_ignore_the_flags():
    a = ember.tensor([[1.0, 2.0], [3.0, 4.0]])
    ref = (a @ a).tolist()
    try:
        ember.backends.cuda.matmul.allow_tf32 = True
        ember.backends.cudnn.allow_tf32 = False
        assert (a @ a).tolist() == ref
    finally:
        ember.backends.cuda.matmul.allow_tf32 = False
        ember.backends.cudnn.allow_tf32 = True
