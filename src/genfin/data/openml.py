"""Download the full credit card data set from OpenML (data id 1597) once, then load it from a cache.

The data description (``/api/v1/json/data/1597``) says where the file is: a Parquet file when it
advertises ``parquet_url``, otherwise the ARFF file (``url``, or ``/data/v1/download/<file_id>``),
checked against ``md5_checksum``. Downloads go to a temporary file that is renamed only when
complete, so an interrupted download never leaves a file that looks finished. The converted data
is cached as Parquet with the ``creditcard.csv`` columns; later calls read the cache, offline.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import http.client
import json
import logging
import os
import tempfile
import urllib.request
from collections.abc import Callable
from os import PathLike
from pathlib import Path
from typing import Any

import pandas as pd

from genfin.data.cache import default_data_home
from genfin.data.creditcard import CREDITCARD_COLUMNS, load_creditcard
from genfin.data.tables import Transactions, transactions_from_frame
from genfin.exceptions import DataValidationError, DownloadError

OPENML_CREDITCARD_ID = 1597
OPENML_API = "https://api.openml.org"
CACHE_FILE = "creditcard_openml_1597.parquet"
MANUAL_FILES = ("creditcard.csv", "creditcard.csv.gz")

_CHUNK = 1 << 20
_log = logging.getLogger(__name__)

#: The function that opens URLs; tests replace it so that nothing touches the network.
_urlopen: Callable[..., Any] = urllib.request.urlopen


def fetch_creditcard(
    data_home: str | PathLike[str] | None = None,
    *,
    download_if_missing: bool = True,
    timeout: float = 60,
    include_time: bool = False,
    opener: Callable[..., Any] | None = None,
) -> Transactions:
    """Return the full credit card data (284,807 rows), downloading it from OpenML the first time.

    Looks, in order, for the cached ``creditcard_openml_1597.parquet`` in ``data_home``; for a
    ``creditcard.csv`` (or ``.csv.gz``) that the user put there by hand; then downloads from OpenML
    and caches the result, so later calls need no network.

    Parameters
    ----------
    data_home
        Cache folder; if ``None``, the ``GENFIN_DATA`` environment variable, else
        ``~/.cache/genfin``. Created when needed.
    download_if_missing
        Download when nothing is cached; if false, raise :class:`DownloadError` instead.
    timeout
        Seconds to wait for the server on each request.
    include_time
        Put ``Time`` first among the features, as in :func:`~genfin.data.load_creditcard`.
    opener
        Function called as ``opener(request, timeout=...)`` returning a file-like response; defaults
        to :func:`urllib.request.urlopen`. Tests pass a fake one.

    Returns
    -------
    Transactions
        As :func:`~genfin.data.load_creditcard` returns it.

    Raises
    ------
    DownloadError
        If the data are not cached and cannot be downloaded (offline, server error, checksum
        mismatch); the message says where to put a copy of ``creditcard.csv`` instead.
    DataValidationError
        If the cached or downloaded file does not have the credit card schema.
    """
    folder = default_data_home(data_home)
    cached = folder / CACHE_FILE
    if cached.is_file():
        return load_creditcard(cached, include_time=include_time)
    for name in MANUAL_FILES:
        if (folder / name).is_file():
            return load_creditcard(folder / name, include_time=include_time)
    if not download_if_missing:
        raise DownloadError(
            f"the credit card data are not in {folder} and download_if_missing=False. {_advice(folder)}"
        )
    folder.mkdir(parents=True, exist_ok=True)
    try:
        frame = _download_creditcard(folder, opener or _urlopen, timeout)
    except (OSError, http.client.HTTPException, ValueError) as exc:
        if isinstance(exc, DataValidationError):
            raise
        raise DownloadError(
            f"could not download the credit card data from OpenML ({exc}). {_advice(folder)}"
        ) from exc
    _write_atomically(cached, lambda part: frame.to_parquet(part, engine="pyarrow", index=False))
    return load_creditcard(cached, include_time=include_time)


def _advice(folder: Path) -> str:
    return (
        f"Download creditcard.csv (Kaggle 'mlg-ulb/creditcardfraud', or OpenML data id "
        f"{OPENML_CREDITCARD_ID}) and put it at {folder / 'creditcard.csv'}, where fetch_creditcard "
        "will find it, or load any copy with genfin.data.load_creditcard(path)."
    )


def _download_creditcard(folder: Path, opener: Callable[..., Any], timeout: float) -> pd.DataFrame:
    """Download, verify and convert the OpenML data; return it with the creditcard.csv columns."""
    url = f"{OPENML_API}/api/v1/json/data/{OPENML_CREDITCARD_ID}"
    with _open(opener, url, timeout) as response:
        payload = json.loads(response.read().decode("utf-8"))
    if "error" in payload:
        raise DownloadError(f"OpenML answered with an error for {url}: {payload['error']}")
    try:
        description = payload["data_set_description"]
    except (KeyError, TypeError) as exc:
        raise DownloadError(f"unexpected answer from {url}: no 'data_set_description'") from exc

    parquet_url = description.get("parquet_url")
    if parquet_url:
        raw = folder / "creditcard_openml_1597.pq"
        try:
            _download(opener, parquet_url, raw, timeout, md5=None)
            return _to_schema(pd.read_parquet(raw, engine="pyarrow"), parquet_url)
        except (OSError, http.client.HTTPException, ValueError) as exc:
            # The Parquet copies live on a separate file server and carry no checksum; the ARFF file
            # is the reference copy, so any trouble with the Parquet one falls back to it.
            _log.info("OpenML Parquet copy unusable (%s); downloading the ARFF file instead", exc)
        finally:
            raw.unlink(missing_ok=True)

    arff_url = description.get("url")
    if not arff_url:
        file_id = description.get("file_id")
        if not file_id:
            raise DownloadError(f"the OpenML description at {url} names neither a file url nor a file_id")
        arff_url = f"{OPENML_API}/data/v1/download/{file_id}"
    raw = _download(
        opener, arff_url, folder / "creditcard_openml_1597.arff", timeout, md5=description.get("md5_checksum")
    )
    try:
        return _to_schema(read_arff(raw, source=arff_url), arff_url)
    finally:
        raw.unlink(missing_ok=True)


@contextlib.contextmanager
def _open(opener: Callable[..., Any], url: str, timeout: float) -> Any:
    request = urllib.request.Request(url, headers={"User-Agent": "genfin (python urllib)"})
    with opener(request, timeout=timeout) as response:
        headers = getattr(response, "headers", None) or {}
        if str(headers.get("Content-Encoding", "")).lower() == "gzip":
            with gzip.GzipFile(fileobj=response) as unzipped:
                yield unzipped
        else:
            yield response


def _download(opener: Callable[..., Any], url: str, target: Path, timeout: float, *, md5: str | None) -> Path:
    """Stream ``url`` to ``target`` through a temporary file; check the md5 before the rename."""
    digest = hashlib.md5(usedforsecurity=False)

    def fetch(part: Path) -> None:
        with _open(opener, url, timeout) as response, part.open("wb") as out:
            for chunk in iter(lambda: response.read(_CHUNK), b""):
                digest.update(chunk)
                out.write(chunk)
        if md5 and digest.hexdigest() != md5.lower():
            raise DownloadError(
                f"checksum mismatch for {url}: expected md5 {md5}, got {digest.hexdigest()}; the "
                "download was corrupted or the file changed on the server; try again"
            )

    _write_atomically(target, fetch)
    return target


def _write_atomically(target: Path, write: Callable[[Path], None]) -> None:
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    os.close(handle)
    part = Path(name)
    try:
        write(part)
        os.replace(part, target)
    finally:
        part.unlink(missing_ok=True)


def _to_schema(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    """Validate the downloaded table and return it with the creditcard.csv columns and types."""
    data = transactions_from_frame(
        frame,
        source=source,
        label_column="Class",
        feature_columns=CREDITCARD_COLUMNS[:-1],
        time_column="Time",
        require_labels=True,
    )
    out = data.X.copy()
    out["Class"] = data.y
    return out[CREDITCARD_COLUMNS]


def read_arff(path: str | PathLike[str], *, source: str | None = None) -> pd.DataFrame:
    """Read a dense ARFF file into a DataFrame; nominal values are kept as text.

    Parameters
    ----------
    path
        The ARFF file.
    source
        Name used in error messages; defaults to the path.

    Returns
    -------
    pandas.DataFrame
        One column per ``@attribute``; ``?`` is read as missing.

    Raises
    ------
    DataValidationError
        If the header is malformed, the file is sparse ARFF, or a data line has the wrong number
        of fields.
    """
    name = source or str(path)
    with open(path, encoding="utf-8") as handle:
        names: list[str] = []
        while True:
            line = handle.readline()
            if not line:
                raise DataValidationError("not an ARFF file: no @data line", source=name)
            text = line.strip()
            if text.lower().startswith("@attribute"):
                names.append(_attribute_name(text[len("@attribute") :].strip(), name))
            elif text.lower().startswith("@data"):
                break
        if not names:
            raise DataValidationError("not an ARFF file: no @attribute lines", source=name)
        start = handle.tell()
        first = handle.readline()
        while first and (not first.strip() or first.lstrip().startswith("%")):
            first = handle.readline()
        if first.lstrip().startswith("{"):
            raise DataValidationError("sparse ARFF is not supported", source=name)
        handle.seek(start)
        try:
            return pd.read_csv(
                handle,
                header=None,
                names=names,
                quotechar="'",
                na_values=["?"],
                keep_default_na=False,
                skipinitialspace=True,
                comment="%",
                engine="c",
            )
        except pd.errors.ParserError as exc:
            raise DataValidationError(f"malformed ARFF data: {exc}", source=name) from exc


def _attribute_name(rest: str, source: str) -> str:
    if rest[:1] in ("'", '"'):
        end = rest.find(rest[0], 1)
        if end < 0:
            raise DataValidationError(f"unterminated quoted attribute name: {rest!r}", source=source)
        return rest[1:end]
    parts = rest.split(None, 1)
    if not parts:
        raise DataValidationError("@attribute line without a name", source=source)
    return parts[0]
