"""ember.utils.data: datasets, samplers, DataLoader batching/shuffling/collation, workers."""
import collections
import json

import numpy as np
import pytest

import ember
from ember.utils.data import (
    BatchSampler, ConcatDataset, DataLoader, Dataset, IterableDataset, RandomSampler, SequentialSampler, StackDataset,
    Subset, SubsetRandomSampler, TensorDataset, WeightedRandomSampler, default_collate, get_worker_info,
    random_split,
)

from helpers import run_in_subprocess


def _xy(n=10):
    x = ember.from_numpy(np.arange(n * 2, dtype=np.float32).reshape(n, 2))
    y = ember.from_numpy(np.arange(n, dtype=np.int64))
    return x, y


class Squares(Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return np.full((2,), i * i, dtype=np.float32), i


class Stream(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


def test_tensor_dataset_and_subset_concat():
    x, y = _xy()
    ds = TensorDataset(x, y)
    assert len(ds) == 10
    a, b = ds[3]
    np.testing.assert_array_equal(a.numpy(), [6, 7])
    assert int(b) == 3
    sub = Subset(ds, [5, 1])
    assert len(sub) == 2 and int(sub[1][1]) == 1
    cat = ds + Squares(3)
    assert isinstance(cat, ConcatDataset) and len(cat) == 13
    assert cat[11][1] == 1 and cat[-1][1] == 2
    st = StackDataset(ds, Squares(10))
    assert len(st) == 10 and st[2][1][1] == 2
    with pytest.raises(ValueError, match="TensorDataset"):
        TensorDataset(x, ember.zeros(3))


def test_dataloader_batching_and_len():
    x, y = _xy(10)
    dl = DataLoader(TensorDataset(x, y), batch_size=4)
    batches = list(dl)
    assert len(dl) == 3 and len(batches) == 3
    assert isinstance(batches[0], list)
    assert [b[0].shape for b in batches] == [(4, 2), (4, 2), (2, 2)]
    np.testing.assert_array_equal(np.concatenate([b[1].numpy() for b in batches]), np.arange(10))
    dl = DataLoader(TensorDataset(x, y), batch_size=4, drop_last=True)
    assert len(dl) == 2 and [b[1].shape[0] for b in dl] == [4, 4]
    one = next(iter(DataLoader(TensorDataset(x, y))))
    assert one[0].shape == (1, 2) and one[1].dtype == ember.int64


def test_tensor_dataset_fast_path_equals_generic_collate():
    x, y = _xy(7)
    ds = TensorDataset(x, y)
    fast = list(DataLoader(ds, batch_size=3, shuffle=True, generator=ember.Generator().manual_seed(4)))
    slow = list(DataLoader(ds, batch_size=3, shuffle=True, generator=ember.Generator().manual_seed(4),
                           collate_fn=lambda b: default_collate(b)))
    for f, s in zip(fast, slow):
        for a, b in zip(f, s):
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_shuffle_reproducible_and_a_permutation():
    x, y = _xy(20)
    ds = TensorDataset(x, y)

    def order(**kw):
        return np.concatenate([b[1].numpy() for b in DataLoader(ds, batch_size=6, shuffle=True, **kw)])

    ember.manual_seed(123)
    a = order()
    ember.manual_seed(123)
    b = order()
    np.testing.assert_array_equal(a, b)
    assert sorted(a.tolist()) == list(range(20)) and a.tolist() != list(range(20))
    c = order(generator=ember.Generator().manual_seed(5))
    d = order(generator=ember.Generator().manual_seed(5))
    np.testing.assert_array_equal(c, d)
    # two epochs of one loader differ
    dl = DataLoader(ds, batch_size=20, shuffle=True)
    assert list(dl)[0][1].tolist() != list(dl)[0][1].tolist()


def test_collate_numpy_tuples_dicts_numbers():
    dl = DataLoader(Squares(5), batch_size=2)
    xb, ib = next(iter(dl))
    assert isinstance(xb, ember.Tensor) and xb.shape == (2, 2) and xb.dtype == ember.float32
    assert ib.dtype == ember.int64 and ib.tolist() == [0, 1]
    batch = default_collate([{"a": 1.5, "b": (np.int32(1), "s")}, {"a": 2.5, "b": (np.int32(2), "t")}])
    assert batch["a"].dtype == ember.float64 and batch["a"].tolist() == [1.5, 2.5]
    assert batch["b"][0].dtype == ember.int32 and batch["b"][1] == ("s", "t")
    P = collections.namedtuple("P", "x y")
    out = default_collate([P(ember.zeros(2), 1), P(ember.ones(2), 2)])
    assert isinstance(out, P) and out.x.shape == (2, 2) and out.y.tolist() == [1, 2]
    assert default_collate([[1, 2], [3, 4]])[0].tolist() == [1, 3]
    assert default_collate([True, False]).dtype == ember.bool
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([[1, 2], [3]])
    with pytest.raises(TypeError, match="default_collate: batch must contain"):
        default_collate([object(), object()])


def test_collate_matches_torch():
    torch = pytest.importorskip("torch")
    samples = [(np.arange(3, dtype=np.float64) * i, i, float(i), {"k": np.float32(i)}) for i in range(4)]
    e = default_collate(samples)
    t = torch.utils.data.default_collate(samples)
    assert type(e) is type(t)
    for a, b in zip(e[:3], t[:3]):
        assert str(a.dtype).split(".")[1] == str(b.dtype).split(".")[1]
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert str(e[3]["k"].dtype).split(".")[1] == str(t[3]["k"].dtype).split(".")[1]


def test_batch_size_none_and_custom_samplers():
    dl = DataLoader(Squares(3), batch_size=None)
    items = list(dl)
    assert len(dl) == 3 and isinstance(items[1][0], ember.Tensor) and items[1][1] == 1
    bs = BatchSampler(SequentialSampler(range(7)), 3, drop_last=False)
    assert list(bs) == [[0, 1, 2], [3, 4, 5], [6]] and len(bs) == 3
    dl = DataLoader(Squares(7), batch_sampler=bs)
    assert [len(b[1]) for b in dl] == [3, 3, 1]
    sr = list(SubsetRandomSampler([10, 20, 30], generator=ember.Generator().manual_seed(0)))
    assert sorted(sr) == [10, 20, 30]
    rs = RandomSampler(range(5), replacement=True, num_samples=40, generator=ember.Generator().manual_seed(0))
    draws = list(rs)
    assert len(draws) == 40 and set(draws) <= set(range(5))
    rs = RandomSampler(range(5), num_samples=12)
    assert len(list(rs)) == 12 and len(rs) == 12
    ws = list(WeightedRandomSampler([0.0, 1.0, 0.0], 10))
    assert ws == [1] * 10


def test_iterable_dataset():
    dl = DataLoader(Stream(7), batch_size=3)
    assert [b.tolist() for b in dl] == [[0, 1, 2], [3, 4, 5], [6]]
    assert len(dl) == 3
    assert [b.tolist() for b in DataLoader(Stream(7), batch_size=3, drop_last=True)] == [[0, 1, 2], [3, 4, 5]]
    assert [int(b) for b in DataLoader(Stream(3), batch_size=None)] == [0, 1, 2]


def test_random_split():
    parts = random_split(range(10), [3, 7], generator=ember.Generator().manual_seed(42))
    assert [len(p) for p in parts] == [3, 7]
    assert sorted(list(parts[0]) + list(parts[1])) == list(range(10))
    again = random_split(range(10), [3, 7], generator=ember.Generator().manual_seed(42))
    assert list(again[0]) == list(parts[0])
    fr = random_split(range(10), [0.35, 0.35, 0.3])
    assert [len(p) for p in fr] == [4, 3, 3]  # floor 3,3,3 then round-robin remainder
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(range(10), [3, 3])


def test_num_workers():
    x, y = _xy(23)
    single = list(DataLoader(TensorDataset(x, y), batch_size=5))
    multi = list(DataLoader(TensorDataset(x, y), batch_size=5, num_workers=2))
    assert len(single) == len(multi) == 5
    for s, m in zip(single, multi):
        for a, b in zip(s, m):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert get_worker_info() is None

    class WhoAmI(Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            info = get_worker_info()
            return info.id, info.num_workers

    ids = [b for b in DataLoader(WhoAmI(), batch_size=1, num_workers=2)]
    assert all(int(n[0]) == 2 for _, n in ids) and {int(i[0]) for i, _ in ids} <= {0, 1}


BAD_ARGS = [
    ("DataLoader(range(5), batch_size=0)", "ValueError", "batch_size should be a positive integer value"),
    ("DataLoader(range(5), shuffle=True, sampler=SequentialSampler(range(5)))", "ValueError",
     "sampler option is mutually exclusive with shuffle"),
    ("DataLoader(range(5), batch_size=2, batch_sampler=[[0]])", "ValueError",
     "batch_sampler option is mutually exclusive"),
    ("DataLoader(range(5), num_workers=-1)", "ValueError", "num_workers option should be non-negative"),
    ("DataLoader(range(5), batch_size=None, drop_last=True)", "ValueError", "batch_size=None"),
    ("DataLoader(range(5), persistent_workers=True)", "ValueError", "persistent_workers option needs"),
    ("RandomSampler(range(5), num_samples=0)", "ValueError", "num_samples should be a positive integer"),
    ("RandomSampler(range(5), replacement=1)", "TypeError", "replacement should be a boolean"),
    ("BatchSampler(range(5), 2, drop_last=None)", "ValueError", "drop_last should be a boolean"),
    ("random_split(range(4), [0.5, 1.5])", "ValueError", "random_split"),
]


def test_bad_arguments():
    # Pure-Python validation: one child process checks every case (a crash still fails).
    code = "from ember.utils.data import *\nimport json\nres = []\n"
    for c, _, _ in BAD_ARGS:
        code += (f"try:\n    {c}\n    res.append(['NOEXC', ''])\n"
                 "except Exception as e:\n    res.append([type(e).__name__, str(e)])\n")
    code += "print('RESULT' + json.dumps(res))\n"
    r = run_in_subprocess(code)
    assert r.returncode == 0, r.stderr[-2000:]
    res = json.loads(r.stdout.split("RESULT", 1)[1])
    for (c, exc, msg), (got, text) in zip(BAD_ARGS, res):
        assert got == exc and msg in text, f"{c}: got {got}: {text}"
