from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from genfin.data import CREDITCARD_COLUMNS, CREDITCARD_FEATURES, Transactions, load_creditcard, load_table
from genfin.exceptions import DataValidationError


def creditcard_frame(n: int = 6) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(n, len(CREDITCARD_COLUMNS))).round(6), columns=CREDITCARD_COLUMNS)
    frame["Time"] = np.arange(n, dtype=float) * 10
    frame["Amount"] = np.abs(frame["Amount"]) * 100
    frame["Class"] = [0, 1] * (n // 2) + [0] * (n % 2)
    return frame


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def csv_lines(frame: pd.DataFrame) -> list[str]:
    return frame.to_csv(index=False).splitlines()


def set_cell(lines: list[str], row: int, column: str, value: str) -> list[str]:
    """Replace one cell; `row` counts data rows from 1 as the error messages do."""
    header = lines[0].split(",")
    cells = lines[row].split(",")
    cells[header.index(column)] = value
    return [*lines[:row], ",".join(cells), *lines[row + 1 :]]


# -- reading -------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz", ".parquet"])
def test_round_trip_each_format(tmp_path, suffix):
    frame = creditcard_frame()
    path = tmp_path / f"cc{suffix}"
    if suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)
    data = load_creditcard(path)
    assert isinstance(data, Transactions)
    assert list(data.X.columns) == CREDITCARD_FEATURES
    assert (data.X.dtypes == np.float64).all()
    np.testing.assert_allclose(data.X.to_numpy(), frame[CREDITCARD_FEATURES].to_numpy())
    assert data.y.dtype == np.int64 and data.y.name == "Class"
    assert data.y.tolist() == frame["Class"].tolist()
    assert data.time.tolist() == frame["Time"].tolist()
    assert data.source == str(path)
    assert len(data) == len(frame)
    X, y = data
    assert X is data.X and y is data.y


def test_quoted_labels_and_header_as_in_the_original_file(tmp_path):
    frame = creditcard_frame(4)
    header = ",".join(f'"{c}"' for c in CREDITCARD_COLUMNS)
    rows = [",".join([*(str(float(v)) for v in r[:-1]), f'"{int(r[-1])}"']) for r in frame.to_numpy()]
    data = load_creditcard(write_lines(tmp_path / "cc.csv", [header, *rows]))
    assert data.y.tolist() == [0, 1, 0, 1]
    assert data.y.dtype == np.int64


def test_include_time_puts_time_first(tmp_path):
    path = tmp_path / "cc.csv"
    creditcard_frame().to_csv(path, index=False)
    data = load_creditcard(path, include_time=True)
    assert list(data.X.columns) == ["Time", *CREDITCARD_FEATURES]
    assert data.time.tolist() == data.X["Time"].tolist()


def test_columns_in_another_order_are_accepted(tmp_path):
    frame = creditcard_frame()
    path = tmp_path / "cc.csv"
    frame[CREDITCARD_COLUMNS[::-1]].to_csv(path, index=False)
    assert list(load_creditcard(path).X.columns) == CREDITCARD_FEATURES


def test_unlabelled_file_has_no_y_unless_labels_are_required(tmp_path):
    path = tmp_path / "cc.csv"
    creditcard_frame().drop(columns="Class").to_csv(path, index=False)
    data = load_creditcard(path)
    assert data.y is None
    X, y = data
    assert y is None and X.shape == (6, 29)
    with pytest.raises(DataValidationError, match=r"no label column 'Class'") as info:
        load_creditcard(path, require_labels=True)
    assert str(path) in str(info.value)


def test_generic_table_features_are_all_other_columns(tmp_path):
    path = write_lines(tmp_path / "t.csv", ["a,b,label,t", "1,2,0,5", "3,4,1,6"])
    data = load_table(path, label_column="label", time_column="t")
    assert list(data.X.columns) == ["a", "b"]
    assert data.y.name == "label" and data.y.tolist() == [0, 1]
    assert data.time.tolist() == [5.0, 6.0]
    assert load_table(path, label_column=None).X.shape == (2, 4)


def test_float_and_boolean_labels(tmp_path):
    path = write_lines(tmp_path / "t.csv", ["a,Class", "1,0.0", "2,1.0"])
    assert load_table(path).y.tolist() == [0, 1]
    path = tmp_path / "t.parquet"
    pd.DataFrame({"a": [1.0, 2.0], "Class": [False, True]}).to_parquet(path)
    assert load_table(path).y.tolist() == [0, 1]


def test_parquet_with_nominal_text_labels(tmp_path):
    frame = creditcard_frame()
    frame["Class"] = frame["Class"].astype(str).astype("category")
    path = tmp_path / "cc.parquet"
    frame.to_parquet(path, index=False)
    assert load_creditcard(path).y.tolist() == [0, 1, 0, 1, 0, 1]


# -- refusals --------------------------------------------------------------------------------------


def check(error: pytest.ExceptionInfo, path: Path, column: str | None, row: int | None) -> str:
    message = str(error.value)
    assert str(path) in message
    assert error.value.source == str(path)
    if column is not None:
        assert f"column {column!r}" in message and error.value.column == column
    if row is not None:
        assert f"row {row}" in message and error.value.row == row
    return message


def test_missing_file(tmp_path):
    path = tmp_path / "nothere.csv"
    with pytest.raises(DataValidationError, match="file not found") as info:
        load_creditcard(path)
    check(info, path, None, None)


def test_unsupported_extension(tmp_path):
    path = write_lines(tmp_path / "cc.xlsx", ["a"])
    with pytest.raises(DataValidationError, match=r"unsupported file type '\.xlsx'") as info:
        load_creditcard(path)
    check(info, path, None, None)


def test_empty_file(tmp_path):
    path = tmp_path / "cc.csv"
    path.write_bytes(b"")
    with pytest.raises(DataValidationError, match="no header") as info:
        load_creditcard(path)
    check(info, path, None, None)


def test_empty_gzip_file(tmp_path):
    path = tmp_path / "cc.csv.gz"
    with gzip.open(path, "wb"):
        pass
    with pytest.raises(DataValidationError, match="no header"):
        load_creditcard(path)


def test_header_without_rows(tmp_path):
    path = write_lines(tmp_path / "cc.csv", [",".join(CREDITCARD_COLUMNS)])
    with pytest.raises(DataValidationError, match="header but no data rows") as info:
        load_creditcard(path)
    check(info, path, None, None)


def test_missing_columns_are_all_listed(tmp_path):
    path = tmp_path / "cc.csv"
    creditcard_frame().drop(columns=["V3", "Amount"]).to_csv(path, index=False)
    with pytest.raises(DataValidationError, match=r"missing column\(s\) 'V3', 'Amount'") as info:
        load_creditcard(path)
    check(info, path, None, None)


def test_missing_time_column(tmp_path):
    path = tmp_path / "cc.csv"
    creditcard_frame().drop(columns=["Time"]).to_csv(path, index=False)
    with pytest.raises(DataValidationError, match=r"missing column\(s\) 'Time'") as info:
        load_creditcard(path)
    check(info, path, "Time", None)


def test_unexpected_columns_are_listed(tmp_path):
    path = tmp_path / "cc.csv"
    creditcard_frame().assign(merchant=1.0, city=2.0).to_csv(path, index=False)
    with pytest.raises(DataValidationError, match=r"unexpected column\(s\) 'merchant', 'city'") as info:
        load_creditcard(path)
    check(info, path, None, None)


def test_saved_index_is_an_unexpected_column(tmp_path):
    path = tmp_path / "cc.csv"
    creditcard_frame().to_csv(path)  # index=True writes an unnamed first column
    with pytest.raises(DataValidationError, match=r"unexpected column\(s\) 'Unnamed: 0'"):
        load_creditcard(path)


def test_duplicate_column_names(tmp_path):
    lines = csv_lines(creditcard_frame())
    lines[0] = lines[0].replace("V2", "V1")
    path = write_lines(tmp_path / "cc.csv", lines)
    with pytest.raises(DataValidationError, match="duplicate column names: 'V1'") as info:
        load_creditcard(path)
    check(info, path, "V1", None)


def test_duplicate_column_names_in_gzip(tmp_path):
    path = tmp_path / "t.csv.gz"
    with gzip.open(path, "wt") as out:
        out.write("a,b,a\n1,2,3\n")
    with pytest.raises(DataValidationError, match="duplicate column names: 'a'"):
        load_table(path)


@pytest.mark.parametrize(
    ("row", "column", "value", "expected"),
    [
        (3, "V5", "abc", r"value 'abc' is not a number"),
        (2, "Amount", "$12.00", r"value '\$12.00' is not a number"),
        (4, "V1", "", r"missing value"),
        (1, "V28", "NA", r"missing value"),
        (5, "Time", "", r"missing value"),
        (2, "V9", "inf", r"infinite value inf"),
        (6, "Amount", "-inf", r"infinite value -inf"),
        (3, "Class", "2", r"label 2 is not 0 or 1"),
        (4, "Class", "fraud", r"label 'fraud' is not 0 or 1"),
        (2, "Class", "", r"missing label"),
        (5, "Class", "0.5", r"label 0.5 is not 0 or 1"),
    ],
)
def test_bad_cell_names_file_column_row_and_value(tmp_path, row, column, value, expected):
    lines = set_cell(csv_lines(creditcard_frame()), row, column, value)
    path = write_lines(tmp_path / "cc.csv", lines)
    with pytest.raises(DataValidationError, match=expected) as info:
        load_creditcard(path)
    check(info, path, column, row)


def test_first_offending_row_is_reported_whatever_the_column(tmp_path):
    lines = csv_lines(creditcard_frame(8))
    lines = set_cell(set_cell(set_cell(lines, 6, "V2", "x"), 3, "V4", "y"), 5, "Time", "")
    path = write_lines(tmp_path / "cc.csv", lines)
    with pytest.raises(DataValidationError, match="'y' is not a number") as info:
        load_creditcard(path)
    check(info, path, "V4", 3)
    lines = set_cell(csv_lines(creditcard_frame(8)), 5, "V1", "")
    path = write_lines(tmp_path / "cc.csv", set_cell(lines, 2, "Time", "inf"))
    with pytest.raises(DataValidationError, match="infinite value inf") as info:
        load_creditcard(path)
    check(info, path, "Time", 2)


def test_bad_cell_in_gzip_csv(tmp_path):
    lines = set_cell(csv_lines(creditcard_frame()), 2, "V7", "oops")
    path = tmp_path / "cc.csv.gz"
    with gzip.open(path, "wt") as out:
        out.write("\n".join(lines) + "\n")
    with pytest.raises(DataValidationError, match="'oops' is not a number") as info:
        load_creditcard(path)
    check(info, path, "V7", 2)


def test_blank_line_is_reported_not_skipped(tmp_path):
    lines = csv_lines(creditcard_frame())
    path = write_lines(tmp_path / "cc.csv", [*lines[:3], "", *lines[3:]])
    with pytest.raises(DataValidationError, match="blank line") as info:
        load_creditcard(path)
    check(info, path, None, 3)


def test_short_row_is_a_missing_value(tmp_path):
    lines = csv_lines(creditcard_frame())
    lines[2] = lines[2].rsplit(",", 2)[0]
    path = write_lines(tmp_path / "cc.csv", lines)
    with pytest.raises(DataValidationError, match="missing value") as info:
        load_creditcard(path)
    check(info, path, "Amount", 2)


def test_long_row_is_malformed(tmp_path):
    lines = csv_lines(creditcard_frame())
    lines[4] += ",7"
    path = write_lines(tmp_path / "cc.csv", lines)
    with pytest.raises(DataValidationError, match="malformed CSV") as info:
        load_creditcard(path)
    check(info, path, None, 4)


def test_require_labels_in_generic_table(tmp_path):
    path = write_lines(tmp_path / "t.csv", ["a,b", "1,2"])
    with pytest.raises(DataValidationError, match="no label column"):
        load_table(path, require_labels=True)


def test_no_feature_columns(tmp_path):
    path = write_lines(tmp_path / "t.csv", ["Class", "1", "0"])
    with pytest.raises(DataValidationError, match="no feature columns"):
        load_table(path)


def test_parquet_bad_cells(tmp_path):
    path = tmp_path / "cc.parquet"
    frame = creditcard_frame()
    frame.loc[3, "V11"] = np.nan
    frame.to_parquet(path, index=False)
    with pytest.raises(DataValidationError, match="missing value") as info:
        load_creditcard(path)
    check(info, path, "V11", 4)
    frame = creditcard_frame()
    frame["V12"] = frame["V12"].astype(str)
    frame.loc[1, "V12"] = "n/a"
    frame.to_parquet(path, index=False)
    with pytest.raises(DataValidationError, match="'n/a' is not a number") as info:
        load_creditcard(path)
    check(info, path, "V12", 2)


def test_corrupt_parquet(tmp_path):
    path = tmp_path / "cc.parquet"
    path.write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(DataValidationError, match="cannot read the file as Parquet") as info:
        load_creditcard(path)
    check(info, path, None, None)


def test_boolean_feature_is_not_a_number(tmp_path):
    path = write_lines(tmp_path / "t.csv", ["a,b,Class", "1,True,0", "2,False,1"])
    with pytest.raises(DataValidationError, match="value True is not a number") as info:
        load_table(path)
    check(info, path, "b", 1)


def test_nothing_is_changed_silently(tmp_path):
    frame = creditcard_frame(10)
    path = tmp_path / "cc.csv"
    frame.to_csv(path, index=False)
    data = load_creditcard(path)
    assert len(data) == 10
    assert data.X.index.tolist() == list(range(10))


def test_label_error_before_feature_error_is_reported_first(tmp_path):
    lines = set_cell(set_cell(csv_lines(creditcard_frame(8)), 7, "V5", "abc"), 2, "Class", "3")
    path = write_lines(tmp_path / "cc.csv", lines)
    with pytest.raises(DataValidationError, match="label 3 is not 0 or 1") as info:
        load_creditcard(path)
    check(info, path, "Class", 2)
