"""MNIST handwritten digits: IDX reader, folder loader and cached download.

MNIST is the warm-up dataset of genfin: autoencoders are explained on digits before they are used on
transactions. Four ways in, from the most to the least data:

- :func:`load_mnist` reads the four standard IDX files from a folder the user already has.
- :func:`fetch_mnist` downloads them once from public mirrors into a cache folder, checks them, and
  then reads them from the cache without touching the network.
- :func:`~genfin.data.mnist_sample.load_mnist_sample` returns a few thousand real digits that an
  installed package ships, so that the demo and the tests run on a machine with no MNIST files and
  no network; it lives in :mod:`genfin.data.mnist_sample`.
- :func:`read_idx` reads one IDX file of any IDX type, for other datasets in the same format.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import logging
import os
import tempfile
import urllib.request
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from genfin.data.cache import default_data_home
from genfin.exceptions import DataValidationError, DownloadError

__all__ = [
    "DEFAULT_MIRRORS",
    "DownloadError",
    "ImageSet",
    "fetch_mnist",
    "images_to_unit",
    "load_mnist",
    "read_idx",
]

logger = logging.getLogger(__name__)

DEFAULT_MIRRORS: tuple[str, ...] = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
"""Base URLs that serve the four ``*-ubyte.gz`` files, tried in order."""

# The checksums are of the DECOMPRESSED files: mirrors and local copies are sometimes recompressed
# (the copies on this project's shared drive are), which changes the .gz bytes but not the data.
# For reference, the original .gz files hash to f68b3c2d..., d53e105e..., 9fb629c4..., ec29112d...
# (the values torchvision checks).
_MNIST_MD5: dict[str, str] = {
    "train-images-idx3-ubyte.gz": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte.gz": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte.gz": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte.gz": "27ae3e4e09519cfbb04c329615203637",
}

# A module-level name, so that tests can serve files without a network by replacing it.
_urlopen = urllib.request.urlopen

_IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"

# (split, kind) -> accepted file names, the standard name first. The dotted variants are how some
# browsers and unzip tools save the files.
_MNIST_NAMES: dict[tuple[str, str], tuple[str, ...]] = {
    ("train", "images"): ("train-images-idx3-ubyte", "train-images.idx3-ubyte"),
    ("train", "labels"): ("train-labels-idx1-ubyte", "train-labels.idx1-ubyte"),
    ("test", "images"): ("t10k-images-idx3-ubyte", "t10k-images.idx3-ubyte"),
    ("test", "labels"): ("t10k-labels-idx1-ubyte", "t10k-labels.idx1-ubyte"),
}


@dataclass(frozen=True, eq=False)
class ImageSet:
    """Grey-scale images with one integer label each.

    Unpacks as ``images, labels = image_set``.

    Parameters
    ----------
    images
        Pixel values, ``uint8`` of shape ``(n, height, width)`` (``(n, 28, 28)`` for MNIST).
    labels
        Class of each image, shape ``(n,)``. Any integer dtype is accepted and stored as ``int64``.
    source
        Where the images came from (a file path or a description), used in error messages and reports.

    Raises
    ------
    DataValidationError
        If the arrays have the wrong dtype or shape, or their lengths differ.
    """

    images: np.ndarray
    labels: np.ndarray
    source: str

    def __post_init__(self) -> None:
        images, labels = self.images, self.labels
        if not isinstance(images, np.ndarray) or images.dtype != np.uint8 or images.ndim != 3:
            got = (
                f"{images.dtype} array of shape {images.shape}"
                if isinstance(images, np.ndarray)
                else type(images).__name__
            )
            raise DataValidationError(
                f"images must be a uint8 array of shape (n, height, width), got {got}", source=self.source
            )
        if not isinstance(labels, np.ndarray) or labels.ndim != 1 or labels.dtype.kind not in "iu":
            got = (
                f"{labels.dtype} array of shape {labels.shape}"
                if isinstance(labels, np.ndarray)
                else type(labels).__name__
            )
            raise DataValidationError(f"labels must be a 1-D integer array, got {got}", source=self.source)
        if len(labels) != len(images):
            raise DataValidationError(f"{len(images)} images but {len(labels)} labels", source=self.source)
        if labels.dtype != np.int64:
            # Frozen, so the normalised array is set the way dataclasses set fields.
            object.__setattr__(self, "labels", labels.astype(np.int64))

    def __len__(self) -> int:
        return len(self.images)

    def __iter__(self) -> Iterator[np.ndarray]:
        yield self.images
        yield self.labels

    def __repr__(self) -> str:
        return f"ImageSet(n={len(self)}, image_shape={self.images.shape[1:]}, source={self.source!r})"


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read one IDX file, raw or gzip-compressed, into a native-endian array.

    Compression is detected from the content (the gzip magic bytes ``1f 8b``), not the file name.
    The IDX header is four bytes ``0, 0, dtype code, number of dimensions`` followed by one
    big-endian ``uint32`` size per dimension; the data follow, big-endian, in C order.

    Parameters
    ----------
    path
        The IDX file.

    Returns
    -------
    numpy.ndarray
        A writable array whose shape is the header's sizes and whose dtype is the IDX type:
        ``0x08`` uint8, ``0x09`` int8, ``0x0B`` int16, ``0x0C`` int32, ``0x0D`` float32,
        ``0x0E`` float64.

    Raises
    ------
    DataValidationError
        If the file is missing, is a corrupt gzip file, has a malformed header (wrong magic number,
        unknown dtype code, no dimensions, header cut short), or holds fewer or more data bytes than
        its header declares. The message names the file.
    """
    path = Path(path)
    source = str(path)
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        raise DataValidationError("file not found", source=source) from None
    except IsADirectoryError:
        raise DataValidationError("is a folder, expected an IDX file", source=source) from None

    if content[:2] == _GZIP_MAGIC:
        try:
            content = gzip.decompress(content)
        except (OSError, EOFError, zlib.error) as exc:
            raise DataValidationError(
                f"gzip-compressed file is truncated or corrupt ({exc})", source=source
            ) from None

    if len(content) < 4:
        raise DataValidationError(
            f"too short for an IDX header: {len(content)} bytes, need at least 4", source=source
        )
    zero0, zero1, code, ndim = content[:4]
    if zero0 != 0 or zero1 != 0:
        raise DataValidationError(
            "not an IDX file: wrong magic number, the first two bytes must be 0x00 0x00, "
            f"got 0x{zero0:02x} 0x{zero1:02x} (magic bytes {content[:4].hex(' ')})",
            source=source,
        )
    if code not in _IDX_DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in _IDX_DTYPES)
        raise DataValidationError(
            f"unsupported IDX dtype code 0x{code:02X} in the third header byte, expected one of {known}",
            source=source,
        )
    if ndim == 0:
        raise DataValidationError(
            "IDX header declares 0 dimensions in its fourth byte, expected at least 1", source=source
        )
    header_len = 4 + 4 * ndim
    if len(content) < header_len:
        raise DataValidationError(
            f"IDX header cut short: {ndim} dimensions need a {header_len}-byte header, "
            f"the file has {len(content)} bytes",
            source=source,
        )
    shape = tuple(int(size) for size in np.frombuffer(content, dtype=">u4", count=ndim, offset=4))
    dtype = _IDX_DTYPES[code]
    count = 1
    for size in shape:
        count *= size
    expected = count * dtype.itemsize
    got = len(content) - header_len
    if got != expected:
        problem = "truncated" if got < expected else "longer than its header declares"
        raise DataValidationError(
            f"IDX file is {problem}: expected {expected} data bytes for shape {shape} of {dtype.name}, "
            f"got {got}",
            source=source,
        )
    data = np.frombuffer(content, dtype=dtype, count=count, offset=header_len)
    # astype copies into native byte order, and the copy is writable, unlike a view of bytes.
    return data.astype(dtype.newbyteorder("=")).reshape(shape)


def load_mnist(path: str | os.PathLike[str]) -> tuple[ImageSet, ImageSet]:
    """Load MNIST (or any dataset in its four-file IDX layout) from a folder.

    Parameters
    ----------
    path
        Folder holding ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
        ``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte``, each raw or with a ``.gz``
        suffix. The dotted names some tools save (``train-images.idx3-ubyte``) are accepted too.

    Returns
    -------
    tuple of ImageSet
        ``(train, test)``; for MNIST 60,000 and 10,000 images of 28 x 28 pixels.

    Raises
    ------
    DataValidationError
        If the folder or one of the files is missing (the message says which, and suggests
        :func:`fetch_mnist`), a file is malformed (see :func:`read_idx`), images are not ``uint8``
        of shape ``(n, height, width)``, the label count differs from the image count, or a label
        is outside 0..9. Every message names the file.

    Examples
    --------
    >>> train, test = load_mnist("data/mnist")  # doctest: +SKIP
    >>> images, labels = train  # doctest: +SKIP
    """
    folder = Path(path).expanduser()
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "folder not found"
        raise DataValidationError(
            f"{what}; expected a folder holding the four MNIST IDX files, "
            "or call fetch_mnist() to download them",
            source=str(folder),
        )
    train = _load_split(folder, "train")
    test = _load_split(folder, "test")
    if train.images.shape[1:] != test.images.shape[1:]:
        raise DataValidationError(
            f"training images are {train.images.shape[1:]} pixels but test images are "
            f"{test.images.shape[1:]}",
            source=test.source,
        )
    return train, test


def _find_file(folder: Path, split: str, kind: str) -> Path:
    names = _MNIST_NAMES[(split, kind)]
    for name in names:
        for candidate in (folder / name, folder / f"{name}.gz"):
            if candidate.is_file():
                return candidate
    raise DataValidationError(
        f"missing MNIST file {names[0]} (or {names[0]}.gz) in folder {folder}; "
        "call fetch_mnist() to download MNIST into a cache folder",
        source=str(folder / names[0]),
    )


def _load_split(folder: Path, split: str) -> ImageSet:
    # Locate both files before reading either, so a missing file is reported before slow work.
    image_path = _find_file(folder, split, "images")
    label_path = _find_file(folder, split, "labels")
    images = read_idx(image_path)
    if images.dtype != np.uint8 or images.ndim != 3:
        raise DataValidationError(
            f"expected unsigned-byte images of shape (n, height, width), got {images.dtype} "
            f"of shape {images.shape}",
            source=str(image_path),
        )
    labels = read_idx(label_path)
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise DataValidationError(
            f"expected a 1-D array of integer labels, got {labels.dtype} of shape {labels.shape}",
            source=str(label_path),
        )
    if len(labels) != len(images):
        raise DataValidationError(
            f"{len(labels)} labels for {len(images)} images in {image_path.name}",
            source=str(label_path),
        )
    bad = np.flatnonzero((labels < 0) | (labels > 9))
    if bad.size:
        raise DataValidationError(
            f"label {labels[bad[0]]} is outside 0..9 ({bad.size} such labels)",
            source=str(label_path),
            row=int(bad[0]) + 1,
        )
    return ImageSet(images=images, labels=labels.astype(np.int64), source=str(image_path))


def fetch_mnist(
    data_home: str | os.PathLike[str] | None = None,
    *,
    download_if_missing: bool = True,
    timeout: float = 60,
    mirrors: Sequence[str] = DEFAULT_MIRRORS,
) -> tuple[ImageSet, ImageSet]:
    """Load MNIST from the cache, downloading the four files first if they are missing.

    Each file is downloaded to a temporary file in the cache folder, checked against the known MD5
    of its decompressed content, and only then renamed into place, so an interrupted or corrupt
    download never leaves a file that looks complete. Once all four files are cached, no network is
    used.

    Parameters
    ----------
    data_home
        Root of the cache; the files go into its ``mnist/`` subfolder. Defaults to the environment
        variable ``GENFIN_DATA``, else ``~/.cache/genfin``.
    download_if_missing
        If false, raise instead of downloading when a file is not cached.
    timeout
        Seconds to wait for each connection or read before trying the next mirror.
    mirrors
        Base URLs tried in order for each file; the file name is appended to each.

    Returns
    -------
    tuple of ImageSet
        ``(train, test)``: 60,000 and 10,000 images of 28 x 28 pixels.

    Raises
    ------
    DownloadError
        If a file is not cached and ``download_if_missing`` is false, or no mirror served a file
        whose checksum matches (the message lists each mirror's failure and says how to load files
        obtained another way with :func:`load_mnist`).
    DataValidationError
        If a cached file is malformed (see :func:`load_mnist`).
    """
    folder = default_data_home(data_home) / "mnist"
    missing = [name for name in _MNIST_MD5 if not (folder / name).is_file()]
    if missing and not download_if_missing:
        raise DownloadError(
            f"MNIST files {', '.join(missing)} are not in the cache folder {folder} and "
            "download_if_missing is False; download them, or pass a folder holding them to "
            "load_mnist(path)"
        )
    if missing:
        folder.mkdir(parents=True, exist_ok=True)
    for name in missing:
        _download(name, folder, mirrors=mirrors, timeout=timeout)
    return load_mnist(folder)


def _download(name: str, folder: Path, *, mirrors: Sequence[str], timeout: float) -> None:
    expected_md5 = _MNIST_MD5[name]
    failures: list[str] = []
    for mirror in mirrors:
        url = mirror.rstrip("/") + "/" + name
        logger.info("downloading %s", url)
        fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".part")
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out, _urlopen(url, timeout=timeout) as response:
                while chunk := response.read(1 << 20):
                    out.write(chunk)
            actual_md5 = _gunzip_md5(tmp)
            if actual_md5 != expected_md5:
                raise _ChecksumError(f"MD5 of the decompressed file is {actual_md5}, expected {expected_md5}")
            # mkstemp creates the file private to its owner; a cache is ordinary readable data.
            tmp.chmod(0o644)
            os.replace(tmp, folder / name)
            return
        # URLError and timeouts are OSErrors; IncompleteRead is not; ValueError is a malformed URL.
        except (OSError, EOFError, zlib.error, http.client.HTTPException, ValueError, _ChecksumError) as exc:
            logger.warning("could not download %s: %s", url, exc)
            failures.append(f"{url}: {exc}")
        finally:
            tmp.unlink(missing_ok=True)
    tried = "\n  ".join(failures) if failures else "(no mirrors given)"
    raise DownloadError(
        f"could not download {name} into {folder} from any mirror:\n  {tried}\n"
        "Without network access, copy the four MNIST files into a folder and call load_mnist(path)."
    )


class _ChecksumError(Exception):
    """A downloaded file whose content is not the expected one."""


def _gunzip_md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with gzip.open(path, "rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def images_to_unit(images: np.ndarray) -> np.ndarray:
    """Scale pixel values 0..255 to ``float32`` in [0, 1].

    Parameters
    ----------
    images
        Integer pixel values in 0..255 (typically ``uint8``), any shape. A floating-point array
        already in [0, 1] is returned as ``float32`` unchanged in value, so the call is idempotent.

    Returns
    -------
    numpy.ndarray
        A new ``float32`` array of the same shape.

    Raises
    ------
    DataValidationError
        If integer values fall outside 0..255, floating-point values outside [0, 1] (divide by 255
        first), or the dtype is neither integer nor floating point.
    """
    images = np.asarray(images)
    if images.dtype.kind in "iu":
        if images.dtype != np.uint8 and images.size and (images.min() < 0 or images.max() > 255):
            raise DataValidationError(
                f"pixel values must be in 0..255, got {images.min()}..{images.max()}", source="images"
            )
        # Cast then divide in place: several times faster than a mixed-type np.divide, one allocation.
        unit = images.astype(np.float32)
        unit /= np.float32(255.0)
        return unit
    if images.dtype.kind == "f":
        if images.size and not np.isfinite(images).all():
            raise DataValidationError("pixel values include NaN or infinity", source="images")
        if images.size and (images.min() < 0.0 or images.max() > 1.0):
            raise DataValidationError(
                f"floating-point pixel values must already be in [0, 1], got "
                f"{images.min()}..{images.max()}; pass uint8 values 0..255 instead",
                source="images",
            )
        return images.astype(np.float32)
    raise DataValidationError(f"pixel values must be numbers, got dtype {images.dtype}", source="images")
