"""ember.optim.lr_scheduler: every schedule's lr (and momentum) sequence equals PyTorch's."""
import math
import pickle
import warnings

import numpy as np
import pytest

import ember
from ember.optim import lr_scheduler as elr
from helpers import needs_torch

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

STEPS = 200


def _opts(opt_name="SGD", groups=2, **kw):
    """The same optimizer in ember and torch, with ``groups`` param groups of different lr."""
    def make(lib):
        ps = [lib.nn.Parameter(lib.zeros(2)) for _ in range(groups)]
        cls = getattr(lib.optim, opt_name)
        base = dict(kw)
        return cls([{"params": [p], "lr": 0.1 * (i + 1)} for i, p in enumerate(ps)], **base)
    return make(ember), make(torch)


def _group_vals(opt):
    out = []
    for g in opt.param_groups:
        out.append(float(g["lr"]))
        if "momentum" in g:
            out.append(float(g["momentum"]))
        if "betas" in g:
            out.append(float(g["betas"][0]))
    return out


def _run(make_sched, opt_name="SGD", steps=STEPS, metrics=None, **opt_kw):
    eo, to = _opts(opt_name, **opt_kw)
    es, ts = make_sched(ember, eo), make_sched(torch, to)
    e_seq, t_seq = [_group_vals(eo)], [_group_vals(to)]
    e_last, t_last = [list(es.get_last_lr())], [list(ts.get_last_lr())]
    for i in range(steps):
        eo.step()
        to.step()
        if metrics is None:
            es.step()
            ts.step()
        else:
            es.step(metrics[i])
            ts.step(metrics[i])
        e_seq.append(_group_vals(eo))
        t_seq.append(_group_vals(to))
        e_last.append(list(es.get_last_lr()))
        t_last.append(list(ts.get_last_lr()))
    np.testing.assert_allclose(np.array(e_seq), np.array(t_seq), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(np.array(e_last, dtype=float), np.array(t_last, dtype=float), rtol=1e-12, atol=1e-12)
    return es, eo


SCHEDULES = {
    "lambda": lambda L, o: L.optim.lr_scheduler.LambdaLR(o, lambda e: 0.95 ** e),
    "lambda_list": lambda L, o: L.optim.lr_scheduler.LambdaLR(o, [lambda e: 1 / (e + 1), lambda e: 0.99 ** e]),
    "multiplicative": lambda L, o: L.optim.lr_scheduler.MultiplicativeLR(o, lambda e: 0.98),
    "step": lambda L, o: L.optim.lr_scheduler.StepLR(o, step_size=30, gamma=0.5),
    "multistep": lambda L, o: L.optim.lr_scheduler.MultiStepLR(o, milestones=[10, 50, 50, 120], gamma=0.3),
    "constant": lambda L, o: L.optim.lr_scheduler.ConstantLR(o, factor=0.25, total_iters=17),
    "linear": lambda L, o: L.optim.lr_scheduler.LinearLR(o, start_factor=0.1, end_factor=0.9, total_iters=37),
    "exponential": lambda L, o: L.optim.lr_scheduler.ExponentialLR(o, gamma=0.97),
    "polynomial": lambda L, o: L.optim.lr_scheduler.PolynomialLR(o, total_iters=150, power=2.0),
    "cosine": lambda L, o: L.optim.lr_scheduler.CosineAnnealingLR(o, T_max=40, eta_min=0.001),
    "cosine_warm": lambda L, o: L.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=10, T_mult=2,
                                                                                  eta_min=1e-4),
    "cosine_warm1": lambda L, o: L.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=7),
    "cyclic_tri": lambda L, o: L.optim.lr_scheduler.CyclicLR(o, 0.01, 0.1, step_size_up=13),
    "cyclic_tri2": lambda L, o: L.optim.lr_scheduler.CyclicLR(o, [0.01, 0.02], 0.1, step_size_up=9,
                                                              step_size_down=15, mode="triangular2"),
    "cyclic_exp": lambda L, o: L.optim.lr_scheduler.CyclicLR(o, 0.01, 0.1, step_size_up=11, mode="exp_range",
                                                             gamma=0.99, base_momentum=0.7, max_momentum=0.95),
    "cyclic_fn": lambda L, o: L.optim.lr_scheduler.CyclicLR(o, 0.01, 0.1, step_size_up=5,
                                                            scale_fn=lambda x: 0.9 ** x, scale_mode="iterations",
                                                            cycle_momentum=False),
    "onecycle": lambda L, o: L.optim.lr_scheduler.OneCycleLR(o, max_lr=[0.5, 1.0], total_steps=STEPS),
    "onecycle_lin3": lambda L, o: L.optim.lr_scheduler.OneCycleLR(o, max_lr=0.3, epochs=10, steps_per_epoch=20,
                                                                  anneal_strategy="linear", three_phase=True,
                                                                  div_factor=10.0, final_div_factor=100.0,
                                                                  pct_start=0.25),
    "sequential": lambda L, o: L.optim.lr_scheduler.SequentialLR(
        o, [L.optim.lr_scheduler.LinearLR(o, start_factor=0.1, total_iters=20),
            L.optim.lr_scheduler.CosineAnnealingLR(o, T_max=60),
            L.optim.lr_scheduler.ExponentialLR(o, gamma=0.98)], milestones=[20, 90]),
    "chained": lambda L, o: L.optim.lr_scheduler.ChainedScheduler(
        [L.optim.lr_scheduler.ConstantLR(o, factor=0.5, total_iters=15),
         L.optim.lr_scheduler.ExponentialLR(o, gamma=0.99),
         L.optim.lr_scheduler.StepLR(o, step_size=25, gamma=0.7)]),
}


@needs_torch
@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_sequence_matches_torch_sgd(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _run(SCHEDULES[name], "SGD", momentum=0.9)


@needs_torch
@pytest.mark.parametrize("name", ["cyclic_tri", "cyclic_exp", "onecycle", "onecycle_lin3"])
def test_momentum_cycles_betas_with_adam(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _run(SCHEDULES[name], "Adam")


@needs_torch
@pytest.mark.parametrize("kw", [
    dict(), dict(mode="max", factor=0.5, patience=2, threshold=0.05, threshold_mode="abs"),
    dict(patience=3, cooldown=4, min_lr=[0.02, 0.05], factor=0.3),
    dict(mode="max", patience=0, threshold_mode="rel", eps=1e-3, min_lr=0.001),
])
def test_reduce_on_plateau(kw):
    rng = np.random.default_rng(0)
    series = list(np.concatenate([np.linspace(1, 0.5, 40), 0.5 + 0.02 * rng.standard_normal(160)]))
    _run(lambda L, o: L.optim.lr_scheduler.ReduceLROnPlateau(o, **kw), "SGD", metrics=series, momentum=0.5)


@needs_torch
def test_closed_form_epoch_argument_matches_torch():
    for name in ["step", "multistep", "exponential", "cosine", "linear", "polynomial", "constant"]:
        eo, to = _opts()
        es, ts = SCHEDULES[name](ember, eo), SCHEDULES[name](torch, to)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for ep in [3, 10, 55, 7, 120]:
                es.step(ep)
                ts.step(ep)
                assert es.get_last_lr() == pytest.approx(ts.get_last_lr(), rel=1e-12, abs=1e-15), name


def test_state_dict_keys_and_round_trip():
    p = ember.nn.Parameter(ember.zeros(2))
    opt = ember.optim.SGD([p], lr=0.1, momentum=0.9)
    s = elr.OneCycleLR(opt, max_lr=1.0, total_steps=50)
    for _ in range(10):
        opt.step()
        s.step()
    sd = s.state_dict()
    assert "optimizer" not in sd
    if torch is not None:
        tp = torch.nn.Parameter(torch.zeros(2))
        topt = torch.optim.SGD([tp], lr=0.1, momentum=0.9)
        ts = torch.optim.lr_scheduler.OneCycleLR(topt, max_lr=1.0, total_steps=50)
        assert set(sd) == set(ts.state_dict())
    # A fresh scheduler loaded from the state continues exactly where the first was.
    opt2 = ember.optim.SGD([ember.nn.Parameter(ember.zeros(2))], lr=0.1, momentum=0.9)
    opt2.load_state_dict(opt.state_dict())
    s2 = elr.OneCycleLR(opt2, max_lr=1.0, total_steps=50)
    s2.load_state_dict(pickle.loads(pickle.dumps(sd)))
    for _ in range(20):
        opt.step()
        s.step()
        opt2.step()
        s2.step()
        assert s.get_last_lr() == s2.get_last_lr()
        assert opt.param_groups[0]["momentum"] == opt2.param_groups[0]["momentum"]


@needs_torch
def test_state_dict_keys_match_torch_for_all():
    for name, make in SCHEDULES.items():
        eo, to = _opts(momentum=0.9)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            es, ts = make(ember, eo), make(torch, to)
        ek, tk = set(es.state_dict()), set(ts.state_dict())
        assert ek == tk, (name, ek ^ tk)
    eo, to = _opts()
    assert set(elr.ReduceLROnPlateau(eo).state_dict()) == set(torch.optim.lr_scheduler.ReduceLROnPlateau(
        to).state_dict())


class _Scale:
    def __init__(self):
        self.factor = 0.5

    def __call__(self, epoch):
        return self.factor ** epoch


def test_lambda_state_dict_skips_functions_keeps_callable_objects():
    opt = ember.optim.SGD([ember.nn.Parameter(ember.zeros(1)), ember.nn.Parameter(ember.zeros(1))], lr=1.0)
    opt.param_groups[1:] = []
    obj = _Scale()
    s = elr.LambdaLR(opt, lambda e: 1.0)
    assert s.state_dict()["lr_lambdas"] == [None]
    s = elr.LambdaLR(opt, obj)
    obj.factor = 0.25
    sd = s.state_dict()
    assert sd["lr_lambdas"] == [{"factor": 0.25}]
    obj2 = _Scale()
    s2 = elr.LambdaLR(opt, obj2)
    s2.load_state_dict(sd)
    assert obj2.factor == 0.25


def test_initial_lr_set_and_resume_requires_it():
    opt = ember.optim.SGD([ember.nn.Parameter(ember.zeros(1))], lr=0.3)
    with pytest.raises(KeyError, match=r"param 'initial_lr' is not specified in param_groups\[0\]"):
        elr.StepLR(opt, step_size=3, last_epoch=4)
    s = elr.StepLR(opt, step_size=3)
    assert opt.param_groups[0]["initial_lr"] == 0.3
    assert s.base_lrs == [0.3] and s.last_epoch == 0
    # With initial_lr present, resuming at epoch 5 works (closed form not used: recursive from the current lr).
    s2 = elr.StepLR(opt, step_size=3, last_epoch=5)
    assert s2.last_epoch == 6


def test_warnings_for_calling_order():
    p = ember.nn.Parameter(ember.zeros(1))
    opt = ember.optim.SGD([p], lr=0.1)
    s = elr.StepLR(opt, step_size=2)
    with pytest.warns(UserWarning, match=r"Detected call of `lr_scheduler.step\(\)` before `optimizer.step\(\)`"):
        s.step()
    opt2 = ember.optim.SGD([p], lr=0.1)
    s2 = elr.StepLR(opt2, step_size=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt2.step()
        s2.step()  # right order: no warning
    with pytest.warns(UserWarning, match="use `get_last_lr\\(\\)`"):
        s2.get_lr()
    with pytest.warns(UserWarning, match="The epoch parameter in `scheduler.step\\(\\)` was not necessary"):
        s2.step(4)
    opt3 = ember.optim.SGD([p], lr=0.1)
    s3 = elr.ExponentialLR(opt3, gamma=0.5)
    opt3.step = lambda closure=None: None  # overriding step after the scheduler wrapped it
    with pytest.warns(UserWarning, match="has been overridden after learning rate scheduler initialization"):
        s3.step()


def test_alias_and_bad_arguments():
    assert issubclass(elr._LRScheduler, elr.LRScheduler)
    opt = ember.optim.SGD([ember.nn.Parameter(ember.zeros(1))], lr=0.1, momentum=0.9)
    with pytest.raises(TypeError, match="is not an Optimizer"):
        elr.StepLR("sgd", 3)
    with pytest.raises(ValueError, match=r"\[StepLR\] expected a positive number for step_size"):
        elr.StepLR(opt, step_size=0)
    with pytest.raises(ValueError, match=r"\[CosineAnnealingLR\]"):
        elr.CosineAnnealingLR(opt, T_max=0)
    with pytest.raises(ValueError, match=r"\[PolynomialLR\]"):
        elr.PolynomialLR(opt, total_iters=-2)
    with pytest.raises(ValueError, match=r"\[LinearLR\]"):
        elr.LinearLR(opt, total_iters="5")
    assert elr.StepLR(opt, step_size=2.0).step_size == 2.0  # torch accepts a float step
    with pytest.raises(ValueError, match="Constant multiplicative factor"):
        elr.ConstantLR(opt, factor=2.0)
    with pytest.raises(ValueError, match="Starting multiplicative factor"):
        elr.LinearLR(opt, start_factor=0)
    with pytest.raises(ValueError, match="total_steps OR"):
        elr.OneCycleLR(opt, max_lr=1.0)
    with pytest.raises(ValueError, match="positive integer total_steps"):
        elr.OneCycleLR(opt, max_lr=1.0, total_steps=-3)
    with pytest.raises(ValueError, match="pct_start"):
        elr.OneCycleLR(opt, max_lr=1.0, total_steps=10, pct_start=1.5)
    with pytest.raises(ValueError, match="anneal_strategy"):
        elr.OneCycleLR(opt, max_lr=1.0, total_steps=10, anneal_strategy="exp")
    with pytest.raises(ValueError, match="max_lr must have the same length"):
        elr.OneCycleLR(opt, max_lr=[1.0, 2.0], total_steps=10)
    with pytest.raises(ValueError, match="mode is invalid"):
        elr.CyclicLR(opt, 0.1, 1.0, mode="zigzag")
    with pytest.raises(ValueError, match="T_0"):
        elr.CosineAnnealingWarmRestarts(opt, T_0=0)
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        elr.ReduceLROnPlateau(opt, factor=1.5)
    with pytest.raises(ValueError, match="mode bogus is unknown"):
        elr.ReduceLROnPlateau(opt, mode="bogus")
    with pytest.raises(ValueError, match="does not support `ReduceLROnPlateau`"):
        elr.ChainedScheduler([elr.ReduceLROnPlateau(opt)])
    with pytest.raises(ValueError, match="number of milestones"):
        elr.SequentialLR(opt, [elr.ExponentialLR(opt, 0.9)], milestones=[3])
    adam_free = ember.optim.SGD([ember.nn.Parameter(ember.zeros(1))], lr=0.1)
    adam_free.defaults.pop("momentum")
    with pytest.raises(ValueError, match="optimizer must support momentum"):
        elr.OneCycleLR(adam_free, max_lr=1.0, total_steps=10)
    s = elr.OneCycleLR(opt, max_lr=1.0, total_steps=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(3):
            s.step()
        with pytest.raises(ValueError, match="Tried to step 4 times"):
            s.step()


def test_bad_input_in_child():
    from helpers import assert_raises_in_child

    assert_raises_in_child(
        "opt = ember.optim.SGD([ember.nn.Parameter(ember.zeros(1))], lr=0.1)\n"
        "ember.optim.lr_scheduler.StepLR(opt, step_size=-5)", "ValueError", "[StepLR]")
    assert_raises_in_child(
        "opt = ember.optim.SGD([ember.nn.Parameter(ember.zeros(1))], lr=0.1)\n"
        "ember.optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=10**30 + 0.5)",
        "ValueError", "total_steps")
    assert_raises_in_child(
        "opt = ember.optim.SGD([ember.nn.Parameter(ember.zeros(1))], lr=0.1)\n"
        "ember.optim.lr_scheduler.CyclicLR(opt, 0.1, 1.0, step_size_up=0, step_size_down=0)",
        "ValueError", "[CyclicLR]")


def test_cosine_matches_closed_form_over_a_period():
    opt = ember.optim.SGD([ember.nn.Parameter(ember.zeros(1))], lr=1.0)
    s = elr.CosineAnnealingLR(opt, T_max=10, eta_min=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for t in range(1, 30):
            s.step()
            want = 0.1 + 0.9 * (1 + math.cos(math.pi * t / 10)) / 2
            assert s.get_last_lr()[0] == pytest.approx(want, abs=1e-12)
