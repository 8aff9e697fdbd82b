"""ember.datasets: the shipped digits and the readers of local MNIST/CIFAR/ImageFolder/CSV files."""
import gzip
import json
import os
import struct

import numpy as np
import pytest

import ember
from ember.datasets import CIFAR10, CIFAR100, MNIST, CSVDataset, Digits, FashionMNIST, ImageFolder, load_digits
from ember.utils.data import DataLoader

from helpers import run_in_subprocess


# ---------------------------------------------------------------- digits


def test_load_digits_matches_scikit_learn():
    sk = pytest.importorskip("sklearn.datasets")
    ref = sk.load_digits()
    X, y = load_digits()
    assert X.dtype == ember.float32 and y.dtype == ember.int64
    assert X.shape == (1797, 64) and y.shape == (1797,)
    np.testing.assert_array_equal(X.numpy(), ref.data.astype(np.float32))
    np.testing.assert_array_equal(y.numpy(), ref.target)
    Xi, _ = load_digits(flatten=False)
    assert Xi.shape == (1797, 1, 8, 8)
    ds = load_digits(as_dataset=True)
    assert len(ds) == 1797 and int(ds[5][1]) == int(ref.target[5])


def test_digits_package_data_is_small_and_credited():
    d = os.path.join(os.path.dirname(ember.datasets.__file__), "data")
    assert os.path.getsize(os.path.join(d, "digits.npz")) < 100_000
    readme = open(os.path.join(d, "README.md")).read()
    assert "Alpaydin" in readme and "scikit-learn" in readme and "CC BY" in readme


def test_digits_dataset_fixed_split():
    tr, te = Digits(), Digits(train=False)
    assert len(tr) == 1437 and len(te) == 360
    img, target = tr[0]
    assert img.shape == (1, 8, 8) and img.dtype == ember.float32 and isinstance(target, int)
    assert 0.0 <= float(img.min()) and float(img.max()) <= 1.0
    X, y = load_digits(flatten=False)
    all_imgs = {X[i].numpy().tobytes(): int(y[i]) for i in range(1797)}
    seen = set()
    for ds in (tr, te):
        for i in range(0, len(ds), 37):
            raw = (ds.data[i].numpy().astype(np.float32)[None]).tobytes()
            assert raw in all_imgs and all_imgs[raw] == int(ds.targets[i])
            seen.add(raw)
    assert Digits().targets.tolist() == tr.targets.tolist()  # deterministic
    # train and test are disjoint and cover the data (compare by index bytes)
    key = lambda ds: {ds.data[i].numpy().tobytes() + bytes([int(ds.targets[i])]) for i in range(len(ds))}
    assert len(key(tr) | key(te)) == len({X[i].numpy().tobytes() + bytes([int(y[i])]) for i in range(1797)})
    tt = Digits(transform=lambda t: t * 2, target_transform=lambda t: t + 100)
    assert float(tt[0][0].max()) == pytest.approx(2 * float(tr[0][0].max())) and tt[0][1] == target + 100


def test_digits_with_dataloader_workers():
    dl = DataLoader(Digits(train=False), batch_size=64, num_workers=2)
    batches = list(dl)
    assert len(batches) == 6 and batches[0][0].shape == (64, 1, 8, 8) and batches[0][1].dtype == ember.int64
    assert sum(b[1].shape[0] for b in batches) == 360


# ---------------------------------------------------------------- MNIST (IDX)


def _idx_bytes(arr, code=0x08):
    return bytes([0, 0, code, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape) + arr.tobytes()


def _write_mnist(folder, n_train=5, n_test=3, gz=False, dotted=False):
    rng = np.random.default_rng(0)
    os.makedirs(folder, exist_ok=True)
    out = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        imgs = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, n, dtype=np.uint8)
        for kind, arr, suffix in (("images", imgs, "idx3-ubyte"), ("labels", labels, "idx1-ubyte")):
            name = f"{prefix}-{kind}.{suffix}" if dotted else f"{prefix}-{kind}-{suffix}"
            data = _idx_bytes(arr)
            if gz:
                with gzip.open(os.path.join(folder, name + ".gz"), "wb") as f:
                    f.write(data)
            else:
                with open(os.path.join(folder, name), "wb") as f:
                    f.write(data)
        out[prefix] = (imgs, labels)
    return out


@pytest.mark.parametrize("gz,dotted", [(False, False), (True, False), (False, True)])
def test_mnist_reads_idx_files(tmp_path, gz, dotted):
    ref = _write_mnist(str(tmp_path), gz=gz, dotted=dotted)
    tr, te = MNIST(tmp_path), MNIST(str(tmp_path), train=False)
    assert len(tr) == 5 and len(te) == 3
    np.testing.assert_array_equal(tr.data.numpy(), ref["train"][0])
    assert tr.targets.dtype == ember.int64 and tr.targets.tolist() == ref["train"][1].tolist()
    img, target = te[2]
    assert img.shape == (1, 28, 28) and img.dtype == ember.float32 and target == int(ref["t10k"][1][2])
    np.testing.assert_allclose(img.numpy()[0], ref["t10k"][0][2] / 255.0, rtol=1e-6)
    xb, yb = next(iter(DataLoader(tr, batch_size=4)))
    assert xb.shape == (4, 1, 28, 28) and yb.tolist() == ref["train"][1][:4].tolist()


def test_fashion_mnist_torchvision_layout(tmp_path):
    ref = _write_mnist(str(tmp_path / "FashionMNIST" / "raw"), gz=True)
    ds = FashionMNIST(tmp_path, transform=lambda t: t.sum(), target_transform=str)
    assert ds.classes[9] == "Ankle boot" and len(ds) == 5
    s, t = ds[1]
    assert float(s) == pytest.approx(ref["train"][0][1].sum() / 255.0, rel=1e-4) and t == str(ref["train"][1][1])


def test_mnist_missing_and_malformed_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte"):
        MNIST(tmp_path)
    _write_mnist(str(tmp_path))
    bad = tmp_path / "train-labels-idx1-ubyte"
    bad.write_bytes(b"\x00\x00\x08\x01" + struct.pack(">I", 5) + b"\x01\x02")  # truncated
    with pytest.raises(ValueError, match="train-labels-idx1-ubyte.*expected 13 bytes"):
        MNIST(tmp_path)
    bad.write_bytes(b"PK\x03\x04junk")
    with pytest.raises(ValueError, match="train-labels-idx1-ubyte is not an IDX file"):
        MNIST(tmp_path)
    bad.write_bytes(_idx_bytes(np.zeros(4, np.uint8)))  # 4 labels for 5 images
    with pytest.raises(ValueError, match="expected 5 labels"):
        MNIST(tmp_path)
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(b"\x1f\x8bnot really gzip")
    with pytest.raises(ValueError, match="t10k-images-idx3-ubyte"):
        MNIST(tmp_path, train=False)


# ---------------------------------------------------------------- CIFAR


def _write_cifar10(folder, per_batch=4):
    rng = np.random.default_rng(1)
    os.makedirs(folder, exist_ok=True)
    ref = {}
    for name in [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]:
        imgs = rng.integers(0, 256, (per_batch, 3, 32, 32), dtype=np.uint8)
        labels = rng.integers(0, 10, per_batch, dtype=np.uint8)
        recs = np.concatenate([labels[:, None], imgs.reshape(per_batch, -1)], axis=1)
        (open(os.path.join(folder, name), "wb")).write(recs.tobytes())
        ref[name] = (imgs, labels)
    return ref


def test_cifar10_binary_batches(tmp_path):
    ref = _write_cifar10(str(tmp_path / "cifar-10-batches-bin"))
    tr, te = CIFAR10(tmp_path), CIFAR10(tmp_path, train=False)
    assert len(tr) == 20 and len(te) == 4
    img, target = tr[5]  # second sample of data_batch_2
    imgs, labels = ref["data_batch_2.bin"]
    assert img.shape == (3, 32, 32) and target == int(labels[1])
    np.testing.assert_allclose(img.numpy(), imgs[1] / 255.0, rtol=1e-6)
    assert tr.data.shape == (20, 32, 32, 3) and isinstance(tr.targets, list)
    np.testing.assert_array_equal(te.data.numpy()[3], ref["test_batch.bin"][0][3].transpose(1, 2, 0))
    assert tr.classes[0] == "airplane" and tr.class_to_idx["truck"] == 9


def test_cifar100_fine_and_coarse(tmp_path):
    folder = tmp_path / "cifar-100-binary"
    folder.mkdir()
    rng = np.random.default_rng(2)
    imgs = rng.integers(0, 256, (6, 3, 32, 32), dtype=np.uint8)
    coarse, fine = rng.integers(0, 20, 6, dtype=np.uint8), rng.integers(0, 100, 6, dtype=np.uint8)
    recs = np.concatenate([coarse[:, None], fine[:, None], imgs.reshape(6, -1)], axis=1)
    (folder / "test.bin").write_bytes(recs.tobytes())
    (folder / "fine_label_names.txt").write_text("\n".join(f"f{i}" for i in range(100)) + "\n")
    te = CIFAR100(tmp_path, train=False)
    assert len(te) == 6 and te[2][1] == int(fine[2]) and te.targets == fine.tolist()
    assert te.coarse_targets == coarse.tolist() and te.classes[3] == "f3" and te.coarse_classes[0] == "0"
    assert CIFAR100(tmp_path, train=False, target_type="coarse")[2][1] == int(coarse[2])
    assert CIFAR100(tmp_path, train=False, target_type="both")[4][1] == (int(fine[4]), int(coarse[4]))
    np.testing.assert_allclose(te[0][0].numpy(), imgs[0] / 255.0, rtol=1e-6)
    with pytest.raises(FileNotFoundError, match="train.bin"):
        CIFAR100(tmp_path)
    with pytest.raises(ValueError, match="target_type"):
        CIFAR100(tmp_path, train=False, target_type="medium")


def test_cifar_malformed(tmp_path):
    _write_cifar10(str(tmp_path))
    with open(tmp_path / "data_batch_3.bin", "ab") as f:
        f.write(b"\x00" * 10)
    with pytest.raises(ValueError, match="data_batch_3.bin: expected a whole number of 3073-byte records"):
        CIFAR10(tmp_path)
    os.remove(tmp_path / "test_batch.bin")
    with pytest.raises(FileNotFoundError, match="test_batch.bin"):
        CIFAR10(tmp_path, train=False)
    with pytest.raises(ValueError, match="never downloads"):
        CIFAR10(tmp_path, download=True)


# ---------------------------------------------------------------- ImageFolder


def test_image_folder(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    rng = np.random.default_rng(3)
    ref = {}
    for cls, n in (("dog", 2), ("cat", 3), ("zebra", 1)):
        (tmp_path / cls).mkdir()
        for i in range(n):
            arr = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)
            path = tmp_path / cls / f"img{i}.png"
            Image.fromarray(arr).save(path)
            ref[str(path)] = arr
    Image.fromarray(np.full((4, 4), 9, np.uint8), mode="L").save(tmp_path / "cat" / "grey.png")
    (tmp_path / "cat" / "notes.txt").write_text("not an image")
    ds = ImageFolder(tmp_path)
    assert ds.classes == ["cat", "dog", "zebra"] and ds.class_to_idx == {"cat": 0, "dog": 1, "zebra": 2}
    assert len(ds) == 7 and ds.targets == [0, 0, 0, 0, 1, 1, 2]
    for i, (path, target) in enumerate(ds.samples):
        img, t = ds[i]
        assert t == target and img.dtype == ember.float32 and img.shape[0] == 3
        if path in ref:
            np.testing.assert_allclose(img.numpy(), ref[path].transpose(2, 0, 1) / 255.0, rtol=1e-6)
        else:
            np.testing.assert_allclose(img.numpy(), np.full((3, 4, 4), 9 / 255.0), rtol=1e-6)
    jpg = tmp_path / "dog" / "x.jpg"
    Image.fromarray(np.zeros((6, 6, 3), np.uint8)).save(jpg)
    assert ImageFolder(tmp_path)[6][0].shape == (3, 6, 6)
    custom = ImageFolder(tmp_path, loader=lambda p: os.path.basename(p), transform=str.upper)
    assert custom[0] == ("GREY.PNG", 0)
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="empty"):
        ImageFolder(tmp_path)
    assert len(ImageFolder(tmp_path, allow_empty=True).classes) == 4
    (tmp_path / "dog" / "broken.png").write_bytes(b"\x89PNG garbage")
    ds = ImageFolder(tmp_path, allow_empty=True)
    broken = [i for i, (p, _) in enumerate(ds.samples) if p.endswith("broken.png")][0]
    with pytest.raises(ValueError, match="broken.png"):
        ds[broken]
    with pytest.raises(FileNotFoundError, match="root folder not found"):
        ImageFolder(tmp_path / "nope")


def test_image_folder_without_pillow_says_how_to_install(tmp_path):
    (tmp_path / "a").mkdir()
    code = f"""
import sys
sys.modules['PIL'] = None
from ember.datasets import ImageFolder
try:
    ImageFolder({str(tmp_path)!r})
except ImportError as e:
    print('RESULT' + str(e))
"""
    r = run_in_subprocess(code)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "pip install ember[images]" in r.stdout.split("RESULT", 1)[1]


# ---------------------------------------------------------------- CSV


def test_csv_dataset(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("a,b,label,c\n1,2.5,0,3\n4,,1,6\n\n7,8e-1,2,9\n")
    ds = CSVDataset(p, "label")
    assert len(ds) == 3 and ds.feature_names == ["a", "b", "c"] and ds.target_name == "label"
    x, y = ds[2]
    assert x.dtype == ember.float32 and x.tolist() == pytest.approx([7, 0.8, 9]) and y.dtype == ember.int64
    assert np.isnan(ds[1][0].numpy()[1]) and int(ds[1][1]) == 1
    ds2 = CSVDataset(p, 0, feature_columns=["c", "label"], dtype=ember.float64)
    assert ds2.target_name == "a" and ds2.data.dtype == ember.float64 and ds2[0][0].tolist() == [3, 0]
    assert ds2.targets.dtype == ember.int64
    reg = tmp_path / "r.csv"
    reg.write_text("x;y\n1;0.5\n2;1.5\n")
    r = CSVDataset(reg, "y", delimiter=";")
    assert r.targets.dtype == ember.float32 and r.targets.tolist() == [0.5, 1.5]
    nh = tmp_path / "nh.csv"
    nh.write_text("1,2,3\n4,5,6\n")
    d = CSVDataset(nh, -1, header=False)
    assert d.data.tolist() == [[1, 2], [4, 5]] and d.targets.tolist() == [3, 6]
    xb, yb = next(iter(DataLoader(ds, batch_size=2)))
    assert xb.shape == (2, 3) and yb.tolist() == [0, 1]


def test_csv_errors(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text("a,colour,label\n1,2,0\n3,red,1\n")
    with pytest.raises(ValueError, match=r"column 'colour' of .*bad.csv is not numeric: line 3 has 'red'"):
        CSVDataset(p, "label")
    with pytest.raises(FileNotFoundError, match="missing.csv"):
        CSVDataset(tmp_path / "missing.csv", "label")
    with pytest.raises(KeyError, match="'nope' not found"):
        CSVDataset(p, "nope", feature_columns=["a"])
    ok = CSVDataset(p, "label", feature_columns=["a"])  # the bad column is not used
    assert ok.data.tolist() == [[1], [3]]
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("a,b\n1,2\n3\n")
    with pytest.raises(ValueError, match="ragged.csv line 3: expected 2 fields, got 1"):
        CSVDataset(ragged, "b")
    with pytest.raises(ValueError, match="non-integer"):
        CSVDataset(_write(tmp_path / "f.csv", "a,b\n1,0.5\n"), "b", target_dtype=ember.int64)
    with pytest.raises(IndexError, match="out of range"):
        CSVDataset(p, 7)
    with pytest.raises(ValueError, match="no data rows"):
        CSVDataset(_write(tmp_path / "h.csv", "a,b\n"), "a")


def _write(path, text):
    path.write_text(text)
    return path


BAD = [
    ("load_digits(as_dataset='yes')", "TypeError", "[load_digits]"),
    ("Digits(train=1)", "TypeError", "[Digits] train must be a bool"),
    ("MNIST('/nonexistent/dir')", "FileNotFoundError", "[MNIST] file not found"),
    ("MNIST('/tmp', download=True)", "ValueError", "never downloads"),
    ("FashionMNIST('/tmp', train='yes')", "TypeError", "train must be a bool"),
    ("CIFAR10('/nonexistent/dir')", "FileNotFoundError", "data_batch_1.bin"),
    ("CIFAR100('/nonexistent/dir', train=False)", "FileNotFoundError", "test.bin"),
    ("CSVDataset('/nonexistent.csv', 'y')", "FileNotFoundError", "[CSVDataset] file not found"),
    ("CSVDataset(ember.__file__, 'y', dtype='float32')", "TypeError", "dtype and target_dtype"),
    ("ImageFolder('/nonexistent/dir')", "FileNotFoundError", "[ImageFolder] root folder not found"),
    ("ImageFolder('/tmp', loader=3)", "TypeError", "loader must be callable"),
    ("read_idx('/nonexistent.idx')", "FileNotFoundError", "[read_idx]"),
    ("Digits()[10**6]", "IndexError", ""),
]


def test_bad_arguments_in_child():
    code = "import json, ember\nfrom ember.datasets import *\nres = []\n"
    for c, _, _ in BAD:
        code += (f"try:\n    {c}\n    res.append(['NOEXC', ''])\n"
                 "except Exception as e:\n    res.append([type(e).__name__, str(e)])\n")
    code += "print('RESULT' + json.dumps(res))\n"
    r = run_in_subprocess(code)
    assert r.returncode == 0, r.stderr[-2000:]
    res = json.loads(r.stdout.split("RESULT", 1)[1])
    for (c, exc, msg), (got, text) in zip(BAD, res):
        assert got == exc and msg in text, f"{c}: got {got}: {text}"
