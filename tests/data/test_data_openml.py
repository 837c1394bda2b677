from __future__ import annotations

import copy
import gzip
import io
import json
import urllib.error
from pathlib import Path

import pytest

import genfin.data.openml as openml
from genfin.data import CREDITCARD_FEATURES, DownloadError, fetch_creditcard, load_creditcard
from genfin.exceptions import DataValidationError, GenfinError

FIXTURES = Path(__file__).parent / "fixtures" / "openml_1597"
DESCRIPTION_URL = "https://api.openml.org/api/v1/json/data/1597"
DESCRIPTION = json.loads((FIXTURES / "description.json").read_text())
ARFF_URL = DESCRIPTION["data_set_description"]["url"]
PARQUET_URL = DESCRIPTION["data_set_description"]["parquet_url"]
N_ROWS, N_FRAUDS = 8, 2  # what make_fixtures.py wrote


class FakeResponse(io.BytesIO):
    def __init__(self, body: bytes, headers: dict[str, str] | None = None, fail_after: int | None = None):
        super().__init__(body)
        self.headers = headers or {}
        self.fail_after = fail_after

    def read(self, size: int | None = -1) -> bytes:
        if self.fail_after is not None and self.tell() >= self.fail_after:
            raise ConnectionResetError("connection reset by peer")
        return super().read(self.fail_after if self.fail_after is not None else size)


class FakeOpenML:
    """Answers the URLs of OpenML from recorded files; anything else is a network error."""

    def __init__(self, description: dict | None = None, **overrides):
        self.description = description if description is not None else DESCRIPTION
        self.routes = {
            DESCRIPTION_URL: lambda: FakeResponse(json.dumps(self.description).encode()),
            ARFF_URL: lambda: FakeResponse((FIXTURES / "creditcard.arff").read_bytes()),
            PARQUET_URL: lambda: FakeResponse((FIXTURES / "dataset_1597.pq").read_bytes()),
        }
        self.routes.update(overrides)
        self.calls: list[str] = []

    def __call__(self, request, timeout=None):
        url = request.full_url
        self.calls.append(url)
        assert timeout is not None
        if url not in self.routes:
            raise urllib.error.URLError(f"no route to {url}")
        answer = self.routes[url]()
        if isinstance(answer, Exception):
            raise answer
        return answer


def offline(request, timeout=None):
    raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Whatever a test does, the real urlopen is never reached."""
    monkeypatch.setattr(openml, "_urlopen", offline)


def without(*keys: str) -> dict:
    description = copy.deepcopy(DESCRIPTION)
    for key in keys:
        del description["data_set_description"][key]
    return description


def test_downloads_parquet_when_advertised_and_caches_it(tmp_path):
    opener = FakeOpenML()
    data = fetch_creditcard(tmp_path, opener=opener)
    assert opener.calls == [DESCRIPTION_URL, PARQUET_URL]
    assert list(data.X.columns) == CREDITCARD_FEATURES
    assert len(data) == N_ROWS and int(data.y.sum()) == N_FRAUDS
    assert data.time is not None
    assert sorted(p.name for p in tmp_path.iterdir()) == [openml.CACHE_FILE]


def test_falls_back_to_arff_by_url_with_md5(tmp_path):
    opener = FakeOpenML(without("parquet_url"))
    data = fetch_creditcard(tmp_path, opener=opener)
    assert opener.calls == [DESCRIPTION_URL, ARFF_URL]
    assert len(data) == N_ROWS and data.y.tolist().count(1) == N_FRAUDS
    assert sorted(p.name for p in tmp_path.iterdir()) == [openml.CACHE_FILE]


def test_arff_by_file_id_when_no_url(tmp_path):
    file_url = "https://api.openml.org/data/v1/download/1673544"
    opener = FakeOpenML(
        without("parquet_url", "url"),
        **{file_url: lambda: FakeResponse((FIXTURES / "creditcard.arff").read_bytes())},
    )
    data = fetch_creditcard(tmp_path, opener=opener)
    assert opener.calls[-1] == file_url
    assert len(data) == N_ROWS


def test_parquet_and_arff_give_the_same_data(tmp_path):
    a = fetch_creditcard(tmp_path / "a", opener=FakeOpenML())
    b = fetch_creditcard(tmp_path / "b", opener=FakeOpenML(without("parquet_url")))
    assert a.X.equals(b.X) and a.y.equals(b.y) and a.time.equals(b.time)


def test_parquet_server_failure_falls_back_to_arff(tmp_path):
    opener = FakeOpenML(**{PARQUET_URL: lambda: urllib.error.HTTPError(PARQUET_URL, 503, "down", {}, None)})
    data = fetch_creditcard(tmp_path, opener=opener)
    assert opener.calls == [DESCRIPTION_URL, PARQUET_URL, ARFF_URL]
    assert len(data) == N_ROWS
    assert sorted(p.name for p in tmp_path.iterdir()) == [openml.CACHE_FILE]


def test_gzip_encoded_answer(tmp_path):
    body = gzip.compress((FIXTURES / "creditcard.arff").read_bytes())
    opener = FakeOpenML(
        without("parquet_url"), **{ARFF_URL: lambda: FakeResponse(body, {"Content-Encoding": "gzip"})}
    )
    assert len(fetch_creditcard(tmp_path, opener=opener)) == N_ROWS


def test_cache_hit_does_no_network(tmp_path, monkeypatch):
    fetch_creditcard(tmp_path, opener=FakeOpenML())

    def forbidden(request, timeout=None):
        raise AssertionError("the network was used although the data are cached")

    monkeypatch.setattr(openml, "_urlopen", forbidden)
    data = fetch_creditcard(tmp_path, include_time=True)
    assert list(data.X.columns) == ["Time", *CREDITCARD_FEATURES]
    assert fetch_creditcard(tmp_path, download_if_missing=False).X.shape == (N_ROWS, 29)


def test_data_home_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("GENFIN_DATA", str(tmp_path / "env"))
    fetch_creditcard(opener=FakeOpenML())
    assert (tmp_path / "env" / openml.CACHE_FILE).is_file()
    assert openml.default_data_home() == tmp_path / "env"
    monkeypatch.delenv("GENFIN_DATA")
    assert openml.default_data_home() == Path.home() / ".cache" / "genfin"


def test_manually_placed_csv_is_used_without_network(tmp_path):
    data = fetch_creditcard(tmp_path / "a", opener=FakeOpenML())
    frame = data.X.assign(Time=data.time, Class=data.y)
    frame.to_csv(tmp_path / "creditcard.csv", index=False)
    assert fetch_creditcard(tmp_path).X.equals(data.X)


def test_offline_says_what_to_do(tmp_path):
    with pytest.raises(DownloadError) as info:
        fetch_creditcard(tmp_path)
    message = str(info.value)
    assert isinstance(info.value, GenfinError)
    assert "name resolution" in message
    assert str(tmp_path / "creditcard.csv") in message
    assert "load_creditcard" in message
    assert list(tmp_path.iterdir()) == []


def test_download_if_missing_false(tmp_path):
    with pytest.raises(DownloadError, match="download_if_missing=False") as info:
        fetch_creditcard(tmp_path, download_if_missing=False)
    assert str(tmp_path / "creditcard.csv") in str(info.value)


def test_interrupted_download_leaves_no_partial_file(tmp_path):
    body = (FIXTURES / "creditcard.arff").read_bytes()
    opener = FakeOpenML(without("parquet_url"), **{ARFF_URL: lambda: FakeResponse(body, fail_after=1000)})
    with pytest.raises(DownloadError, match="connection reset"):
        fetch_creditcard(tmp_path, opener=opener)
    assert list(tmp_path.iterdir()) == []


def test_checksum_mismatch_is_refused(tmp_path):
    body = (FIXTURES / "creditcard.arff").read_bytes().replace(b"'1'\n", b"'0'\n")
    opener = FakeOpenML(without("parquet_url"), **{ARFF_URL: lambda: FakeResponse(body)})
    with pytest.raises(DownloadError, match="checksum mismatch"):
        fetch_creditcard(tmp_path, opener=opener)
    assert list(tmp_path.iterdir()) == []


def test_openml_error_answer(tmp_path):
    opener = FakeOpenML({"error": {"code": "111", "message": "Unknown dataset"}})
    with pytest.raises(DownloadError, match="Unknown dataset"):
        fetch_creditcard(tmp_path, opener=opener)


def test_downloaded_file_with_wrong_schema_is_refused(tmp_path):
    text = (
        (FIXTURES / "creditcard.arff").read_text().replace("@ATTRIBUTE V3 NUMERIC", "@ATTRIBUTE X3 NUMERIC")
    )
    opener = FakeOpenML(
        without("parquet_url", "md5_checksum"), **{ARFF_URL: lambda: FakeResponse(text.encode())}
    )
    with pytest.raises(DataValidationError, match=r"missing column\(s\) 'V3'.*unexpected column\(s\) 'X3'"):
        fetch_creditcard(tmp_path, opener=opener)
    assert list(tmp_path.iterdir()) == []


def test_read_arff_handles_quotes_comments_and_missing(tmp_path):
    path = tmp_path / "t.arff"
    path.write_text(
        "% comment\n@relation t\n@attribute 'a b' numeric\n@ATTRIBUTE c {'x','y'}\n"
        "@data\n% note\n1.5,'x'\n?,y\n"
    )
    frame = openml.read_arff(path)
    assert list(frame.columns) == ["a b", "c"]
    assert frame["c"].tolist() == ["x", "y"]
    assert frame["a b"].isna().tolist() == [False, True]


def test_read_arff_refuses_sparse(tmp_path):
    path = tmp_path / "t.arff"
    path.write_text("@relation t\n@attribute a numeric\n@data\n{0 1.5}\n")
    with pytest.raises(DataValidationError, match="sparse ARFF"):
        openml.read_arff(path)


def test_cached_file_is_validated(tmp_path):
    (tmp_path / openml.CACHE_FILE).write_bytes(b"not parquet")
    with pytest.raises(DataValidationError, match="cannot read the file as Parquet"):
        fetch_creditcard(tmp_path)


def test_fixtures_load_like_a_user_file(tmp_path):
    data = load_creditcard(FIXTURES / "dataset_1597.pq")
    assert len(data) == N_ROWS


def test_unreadable_parquet_falls_back_to_arff(tmp_path):
    opener = FakeOpenML(**{PARQUET_URL: lambda: FakeResponse(b"PAR1 garbage")})
    data = fetch_creditcard(tmp_path, opener=opener)
    assert opener.calls == [DESCRIPTION_URL, PARQUET_URL, ARFF_URL]
    assert len(data) == N_ROWS
    assert sorted(p.name for p in tmp_path.iterdir()) == [openml.CACHE_FILE]
