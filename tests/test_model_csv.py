"""CSV loading (model/csv_io.py, through model.datasets.load_csv): the values, the errors with their line and
column, and the block reader that takes over when NumPy's one-call read refuses a file.

Expected values are written out as Python floats, independently of the loader. The ``read`` fixture runs a
test twice: as the app calls load_csv, and with the one-call read switched off and tiny blocks, so that every
file also goes through the block reader, its block boundaries and its Python fallback.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

import numpy as np
import pytest

from model import csv_io
from model.config import SettingError
from model.datasets import _standardize, load_csv

TINY_BLOCK = 7  # bytes: every line of these files spans blocks or fills one


@pytest.fixture(params=["one call", "blocks"])
def read(request, monkeypatch):
    if request.param == "blocks":
        monkeypatch.setattr(csv_io, "_whole_file", lambda *args: None)
        return lambda path, **options: load_csv(path, block_bytes=TINY_BLOCK, **options)
    return load_csv


def write(tmp_path: Path, content: str | bytes, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def error_of(path: Path, **options) -> str:
    with pytest.raises(SettingError) as caught:
        load_csv(path, **options)
    message = str(caught.value)
    assert "\n" not in message
    return message


def assert_loaded(data, X, y, names=None):
    np.testing.assert_array_equal(data.X, np.array(X, dtype=np.float64).reshape(len(X), -1))
    np.testing.assert_array_equal(data.y, np.array(y, dtype=np.float64).reshape(-1, 1))
    assert data.X.dtype == np.float64 and data.X.flags.c_contiguous and not data.X.flags.writeable
    if names is not None:
        assert data.feature_names == names


# --- valid files -----------------------------------------------------------------------------------------
VALID = {
    "header": ("a,b,label\n1,10,0\n2,20,1\n3,30,1\n", [[1, 10], [2, 20], [3, 30]], [0, 1, 1], ("a", "b")),
    "BOM, CRLF, spaced header, blank line": (
        "\ufeff x1 , x2 ,y\r\n0.5,-1.25,3e2\r\n\r\n.5,+7,1E-3\r\n", [[0.5, -1.25], [0.5, 7.0]], [300.0, 0.001],
        ("x1", "x2")),
    "lone CR, no last line end": ("1,2\r3,4\r5,6", [[1], [3], [5]], [2, 4, 6], ("x1",)),
    "blank and whitespace lines, padded cells": ("\n \n1 ,\t2\n\n  \n3,4 \n\t\n", [[1], [3]], [2, 4], ("x1",)),
    "quoted cells": ('"1.5","2"\n3,"-4e-2"\n"1"2,"7\n', [[1.5], [3], [12]], [2, -0.04, 7], ("x1",)),
    "what float() reads and loadtxt does not": ("1_000,\u0661\u0662\n\u00a06,7\u2003\n", [[1000], [6]], [12, 7],
                                               None),
    "extremes": ("1e150,-1e150\n1e-320,0.1000000000000000055511151231257827021181583404541015625\n"
                 "2.2250738585072014e-308,-0\n123456789012345678901234567890,5e-324\n",
                 [[1e150], [1e-320], [2.2250738585072014e-308], [1.2345678901234568e29]],
                 [-1e150, 0.1, -0.0, 5e-324], None),
    "16 inputs": (",".join(f"c{i}" for i in range(17)) + "\n" + ",".join(str(i) for i in range(17)) + "\n",
                  [list(range(16))], [16], tuple(f"c{i}" for i in range(16))),
}


@pytest.mark.parametrize("name", VALID)
def test_valid_files_give_exactly_the_written_values(tmp_path, read, name):
    text, X, y, names = VALID[name]
    assert_loaded(read(write(tmp_path, text)), X, y, names)


def test_task_and_names_as_before(tmp_path, read):
    data = read(write(tmp_path, "0.5,1.5\n0.25,2.5\n"))
    assert data.task == "regression" and data.feature_names == ("x1",) and data.name == "csv:data.csv"
    assert data.description == f"2 rows from {tmp_path / 'data.csv'}"
    assert read(write(tmp_path, "x,y\n1,0\n2,1\n")).task == "classification"


def test_a_cell_of_the_longest_allowed_length_loads(tmp_path, read):
    tiny = "0." + "0" * (csv_io.MAX_CELL_CHARS - 3) + "5"  # 131,072 characters: 5e-131070, which is 0.0
    assert len(tiny) == csv_io.MAX_CELL_CHARS
    assert_loaded(read(write(tmp_path, f"1,{tiny}\n2,\"{tiny}\"\n")), [[1], [2]], [0.0, 0.0])


def test_a_file_named_like_a_compressed_one_is_read_as_text(tmp_path):
    assert_loaded(load_csv(write(tmp_path, "1,2\n3,4\n", name="data.csv.gz")), [[1], [3]], [2, 4])


# --- standardisation -------------------------------------------------------------------------------------
def test_standardisation_is_the_old_formula_bit_for_bit(tmp_path, read):
    rng = random.Random(3)
    rows = [[rng.uniform(-5, 5), 7.0, rng.uniform(0, 1e6), rng.random()] for _ in range(200)]
    path = write(tmp_path, "a,b,c,y\n" + "".join(",".join(repr(v) for v in row) + "\n" for row in rows))
    data = read(path, standardize=True)
    raw = np.array(rows)[:, :3]
    mean, std = raw.mean(axis=0), raw.std(axis=0)
    std[std == 0] = 1.0  # the constant column b
    np.testing.assert_array_equal(data.X, (raw - mean) / std)
    np.testing.assert_array_equal(data.input_mean, mean)
    np.testing.assert_array_equal(data.input_std, std)
    np.testing.assert_array_equal(data.X[:, 1], 0.0)
    np.testing.assert_array_equal(data.y[:, 0], [row[3] for row in rows])


def test_values_at_the_magnitude_limit_standardise_without_warnings(tmp_path, read):
    # pytest turns any RuntimeWarning (overflow, invalid value) into a failure.
    data = read(write(tmp_path, "1e150,-1e150\n-1e150,1e150\n1e150,0\n-1e150,1\n"), standardize=True)
    np.testing.assert_array_equal(data.X[:, 0], [1, -1, 1, -1])
    np.testing.assert_array_equal(data.input_std, [1e150])


def test_values_whose_squares_overflow_are_refused_before_standardising(tmp_path, read):
    # They used to load, warn about overflow while standardising, then fail training as a divergence.
    with pytest.raises(SettingError) as caught:
        read(write(tmp_path, "1,2\n1e308,1\n-1e308,2\n"), standardize=True)
    assert str(caught.value) == ("data.csv line 2 column 1 = '1e308': must be between -1e+150 and 1e+150 (the "
                                 "squares of larger numbers, summed over the rows, overflow float64)")


def test_an_overflowing_standardisation_is_a_message_naming_the_column():
    X = np.array([[1.0, 1e308], [2.0, -1e308]])  # beyond the loader's limit, which keeps files from this
    with pytest.raises(SettingError) as caught:
        _standardize(X, Path("big.csv"))
    assert str(caught.value) == ("big.csv column 2 largest magnitude = 1e+308: cannot be standardised over 2 rows: the "
                                 "sum of squares overflows float64")


# --- errors ----------------------------------------------------------------------------------------------
ERRORS = [
    ("x,y\n1,2\n3,abc\n", "data.csv line 3 column 2 = 'abc': must be a finite number (every cell is required)"),
    ("1,2\n\n3,\n", "data.csv line 3 column 2 = '': must be a finite number (every cell is required)"),
    ("1,2\n3,nan\n", "data.csv line 2 column 2 = 'nan': must be a finite number (every cell is required)"),
    ("1,2\n-inf,3\n", "data.csv line 2 column 1 = '-inf': must be a finite number (every cell is required)"),
    ("1,2\n3,1e400\n", "data.csv line 2 column 2 = '1e400': must be a finite number (every cell is required)"),
    ('1,"2,5"\n', "data.csv line 1 column 2 = '2,5': must be a finite number (every cell is required)"),
    ("1,2\n1e151,0\n", "data.csv line 2 column 1 = '1e151': must be between -1e+150 and 1e+150 (the squares of "
                       "larger numbers, summed over the rows, overflow float64)"),
    ("1,-1.5e150\n", "data.csv line 1 column 2 = '-1.5e150': must be between -1e+150 and 1e+150 (the squares of "
                     "larger numbers, summed over the rows, overflow float64)"),
    ("1,2\n3,4,5\n", "data.csv line 2 = '3,4,5': has 3 cells; expected 2"),
    ("1,2,3\n\n4,5\n", "data.csv line 3 = '4,5': has 2 cells; expected 3"),
    ("1,2\n  x  \n", "data.csv line 2 = '  x  ': has 1 cell; expected 2"),
    ("a,b,y\n1,2\n", "data.csv line 1 = 'a,b,y': is a header of 3 names, but the first row (line 2) has 2 cells; a "
                     "header needs one name per column"),
    ("\n1\n2\n", "data.csv line 2 = '1': needs at least 2 columns (inputs, then the target)"),
    ("0," * 17 + "0\n", "data.csv line 1 = '0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0': has 17 input columns; at most 16 are "
                        "allowed"),
    ("\ufeff\r\nx,y\r\n\r\n1,2\r3,4\n\n5,bad\r\n",
     "data.csv line 7 column 2 = 'bad': must be a finite number (every cell is required)"),
]


@pytest.mark.parametrize("block_bytes", [csv_io.BLOCK_BYTES, TINY_BLOCK])
@pytest.mark.parametrize(("text", "message"), ERRORS)
def test_errors_name_the_line_and_column(tmp_path, text, message, block_bytes):
    assert error_of(write(tmp_path, text), block_bytes=block_bytes) == message


@pytest.mark.parametrize(("text", "why"), [
    ("x,y\n", "only a header, on line 1"),
    ("\n\nx,y\n\n", "only a header, on line 3"),
    ("", "the file is empty"),
    ("\ufeff", "the file is empty"),
    ("\n \r\n\t\n", "only blank lines"),
])
def test_files_without_data_rows(tmp_path, text, why):
    path = write(tmp_path, text)
    assert error_of(path) == f"csv = '{path}': has no data rows ({why})"


@pytest.mark.parametrize(("content", "message"), [
    (b"x,y\n1,2\n3,4\xff5\n", "data.csv line 3 column 2 = '4\ufffd5': has byte 0xff, which is not UTF-8; save the "
                              "file as UTF-8 text"),
    (b"temp\xe9rature,y\n1,2\n", "data.csv line 1 column 1 = 'temp\ufffdrature': has byte 0xe9, which is not UTF-8; "
                                 "save the file as UTF-8 text"),
    (b"1,2\r\n3,4\r\n\r\n5,\"6\xc3\"\r\n", "data.csv line 4 column 2 = '6\ufffd': has byte 0xc3, which is not UTF-8; "
                                        "save the file as UTF-8 text"),
])
@pytest.mark.parametrize("block_bytes", [csv_io.BLOCK_BYTES, TINY_BLOCK])
def test_bytes_that_are_not_utf8_are_located(tmp_path, content, message, block_bytes):
    assert error_of(write(tmp_path, content), block_bytes=block_bytes) == message


def test_a_cell_longer_than_the_limit_is_named(tmp_path):
    long = "0." + "0" * (csv_io.MAX_CELL_CHARS - 2) + "5"  # 131,073 characters; the csv module used to crash
    expected = (f"data.csv line 2 column 2 = '{long[:40]}...': has 131,073 characters; a cell may have at most "
                "131,072")
    assert error_of(write(tmp_path, f"1,2\n3,{long}\n")) == expected
    assert error_of(write(tmp_path, f'1,2\n3,"{long}"\n')) == expected  # quoted: the csv module's limit
    assert error_of(write(tmp_path, f"x,{'n' * 131_073}\n1,2\n")) == (
        f"data.csv line 1 column 2 = '{'n' * 40}...': has 131,073 characters; a cell may have at most 131,072")


def test_a_line_without_end_is_not_held_whole(tmp_path):
    # 9.5 MB with no line end: reading stops after ~9 MB, which must hold a cell over the limit.
    message = error_of(write(tmp_path, "1," + "2" * 9_500_000))
    assert message.startswith(f"data.csv line 1 column 2 = '{'2' * 40}...': has at least ")
    assert message.endswith(" characters; a cell may have at most 131,072")


def test_a_directory_or_a_missing_file(tmp_path):
    assert error_of(tmp_path) == f"csv = '{tmp_path}': is a directory; choose a CSV file"
    missing = tmp_path / "missing.csv"
    assert error_of(missing) == f"csv = '{missing}': cannot be read (FileNotFoundError: No such file or directory)"


def test_block_size_must_be_positive(tmp_path):
    assert error_of(write(tmp_path, "1,2\n"), block_bytes=0) == "block_bytes = 0: must be at least 1"


# --- files bigger than a block ---------------------------------------------------------------------------
def big_file(tmp_path: Path, rows: int = 600, seed: int = 7) -> tuple[Path, list[str], list[list[float]]]:
    """A header, rows of Python floats written with repr, blank lines and mixed line ends."""
    rng = random.Random(seed)
    lines, values = ["x1,x2,y"], []
    for _ in range(rows):
        row = [rng.uniform(-1e3, 1e3), rng.choice([0.0, 1.0, rng.random()]), rng.gauss(0, 1)]
        values.append(row)
        lines.append(",".join(repr(v) for v in row))
        if rng.random() < 0.05:
            lines.append("")
    ends = [rng.choice(["\n", "\r\n", "\r"]) for _ in lines]
    path = write(tmp_path, "".join(line + end for line, end in zip(lines, ends, strict=True)))
    return path, lines, values


@pytest.mark.parametrize("block_bytes", [1, TINY_BLOCK, 100, 4096, csv_io.BLOCK_BYTES])
@pytest.mark.parametrize("extra", ["", "1_000", '"2.5"'])
def test_a_file_bigger_than_a_block(tmp_path, monkeypatch, block_bytes, extra):
    """The block reader gives the written values across block boundaries; with an extra last row that NumPy
    refuses but Python reads, one block falls back to Python and the others stay with NumPy."""
    monkeypatch.setattr(csv_io, "_whole_file", lambda *args: None)
    path, _lines, values = big_file(tmp_path)
    if extra:
        with open(path, "a") as file:
            file.write(f"4,5,{extra}\n")
        values.append([4.0, 5.0, {"1_000": 1000.0, '"2.5"': 2.5}[extra]])
    data = load_csv(path, block_bytes=block_bytes)
    assert_loaded(data, [row[:2] for row in values], [row[2] for row in values], ("x1", "x2"))
    monkeypatch.undo()
    assert_loaded(load_csv(path), [row[:2] for row in values], [row[2] for row in values], ("x1", "x2"))


@pytest.mark.parametrize(("bad", "message"), [
    ("oops", "column 2 = 'oops': must be a finite number (every cell is required)"),
    ("1e200", "column 2 = '1e200': must be between -1e+150 and 1e+150 (the squares of larger numbers, summed over "
              "the rows, overflow float64)"),
    ("2,3", "= '1,2,3,3': has 4 cells; expected 3"),
])
@pytest.mark.parametrize("at", [0.4, 0.9])
def test_an_error_deep_in_a_file_names_its_own_line(tmp_path, bad, message, at):
    path, lines, _values = big_file(tmp_path)
    number = int(len(lines) * at)  # the line's number is its index + 1
    while not lines[number - 1] or number == 1:
        number += 1
    lines[number - 1] = f"1,{bad},3"
    content = "".join(line + "\r\n" for line in lines)
    path.write_bytes(content.encode())
    block_bytes = 2048
    assert content.index(lines[number - 1]) > 2 * block_bytes  # in the third block or later
    assert error_of(path, block_bytes=block_bytes) == f"data.csv line {number} {message}"
    assert error_of(path) == f"data.csv line {number} {message}"


# --- cells -----------------------------------------------------------------------------------------------
def test_quoted_lines_are_split_as_the_csv_module_splits_them():
    rng = random.Random(1)
    for _ in range(20_000):
        line = "".join(rng.choice('"",1 a') for _ in range(rng.randint(1, 12)))
        assert csv_io._split_quoted(line) == next(csv.reader([line])), line


# --- target column and test split (read_csv's options) ---------------------------------------------------
@pytest.fixture(params=["one call", "blocks"])
def read_table(request, monkeypatch):
    """csv_io.read_csv, through NumPy's one-call read and through the block reader with tiny blocks."""
    if request.param == "blocks":
        monkeypatch.setattr(csv_io, "_whole_file", lambda *args: None)
        return lambda path, **options: csv_io.read_csv(path, block_bytes=TINY_BLOCK, **options)
    return csv_io.read_csv


def numbered_rows(n: int, width: int = 4) -> list[list[float]]:
    """Rows whose first cell is the row's index (so every row is told apart) and whose other cells differ."""
    return [[float(i)] + [i * 10.0 + c + 0.5 for c in range(1, width)] for i in range(n)]


def csv_text(rows, header=None) -> str:
    lines = [",".join(header)] if header else []
    return "\n".join(lines + [",".join(repr(v) for v in row) for row in rows]) + "\n"


@pytest.mark.parametrize("target", [0, 1, 2, 3, None])
def test_the_target_column_chosen(tmp_path, read_table, target):
    rows = numbered_rows(5)
    table = read_table(write(tmp_path, csv_text(rows, ["a", "b", "c", "d"])), target_column=target)
    t = 3 if target is None else target
    np.testing.assert_array_equal(table.X, [row[:t] + row[t + 1:] for row in rows])
    np.testing.assert_array_equal(table.y, [row[t] for row in rows])
    assert table.X.flags.c_contiguous and table.y.flags.c_contiguous
    assert table.names == tuple(n for n in "abcd" if n != "abcd"[t]) and table.target == "abcd"[t]
    assert table.target_column == t and table.X_test is None and table.y_test is None


def test_the_target_column_without_a_header(tmp_path, read_table):
    table = read_table(write(tmp_path, "1,2,3\n4,5,6\n"), target_column=1)
    np.testing.assert_array_equal(table.X, [[1, 3], [4, 6]])
    np.testing.assert_array_equal(table.y, [2, 5])
    assert table.names is None and table.target is None


@pytest.mark.parametrize(("options", "message"), [
    ({"target_column": 3}, "target_column = 3: must be a column index from 0 to 2: data.csv has 3 columns"),
    ({"target_column": -1}, "target_column = -1: must be a column index, at least 0 (0 = the first column), or None "
                            "for the last"),
    ({"target_column": 1.0}, "target_column = 1.0: must be a column index, at least 0 (0 = the first column), or "
                             "None for the last"),
    ({"test_ratio": 1.0}, "test_ratio = 1.0: must be at least 0 (no test split) and less than 1"),
    ({"test_ratio": -0.1}, "test_ratio = -0.1: must be at least 0 (no test split) and less than 1"),
    ({"test_ratio": float("nan")}, "test_ratio = nan: must be at least 0 (no test split) and less than 1"),
    ({"test_ratio": "0.2"}, "test_ratio = '0.2': must be at least 0 (no test split) and less than 1"),
    ({"split_seed": -1}, "split_seed = -1: must be a whole number, at least 0"),
    ({"split_seed": True}, "split_seed = True: must be a whole number, at least 0"),
])
def test_bad_options_are_named(tmp_path, options, message):
    with pytest.raises(SettingError) as caught:
        csv_io.read_csv(write(tmp_path, "1,2,3\n4,5,6\n"), **options)
    assert str(caught.value) == message


@pytest.mark.parametrize(("n", "ratio", "n_test"), [
    (10, 0.3, 3), (7, 0.5, 4), (1000, 0.25, 250), (999, 0.1, 100), (3, 0.1, 1), (2, 0.9, 1), (5, 0.9, 4),
    (4, 0.0, 0),
])
def test_split_sizes_and_rows(tmp_path, read_table, n, ratio, n_test):
    rows = numbered_rows(n)
    table = read_table(write(tmp_path, csv_text(rows)), test_ratio=ratio, split_seed=5)
    if n_test == 0:
        assert table.X_test is None and table.y_test is None
        np.testing.assert_array_equal(table.X, [row[:3] for row in rows])
        return
    assert table.X_test.shape == (n_test, 3) and table.y_test.shape == (n_test,)
    assert table.X.shape == (n - n_test, 3) and table.y.shape == (n - n_test,)
    for X, y in ((table.X, table.y), (table.X_test, table.y_test)):  # each part: whole rows, in the file's order
        index = X[:, 0].astype(int)
        assert (np.diff(index) > 0).all()
        np.testing.assert_array_equal(np.column_stack([X, y]), [rows[i] for i in index])
        assert X.flags.c_contiguous and y.flags.c_contiguous
    assert sorted(np.concatenate([table.X[:, 0], table.X_test[:, 0]])) == list(range(n))


def test_the_split_depends_on_the_seed_only(tmp_path, monkeypatch):
    path = write(tmp_path, csv_text(numbered_rows(200)))

    def test_indices(**options):
        return tuple(csv_io.read_csv(path, test_ratio=0.2, **options).X_test[:, 0])

    first = test_indices(split_seed=1)
    assert test_indices(split_seed=1) == first
    assert test_indices(split_seed=2) != first
    assert test_indices(split_seed=1, target_column=0) != first  # the first column is now the target
    monkeypatch.setattr(csv_io, "_whole_file", lambda *args: None)
    assert test_indices(split_seed=1, block_bytes=TINY_BLOCK) == first  # the block reader splits alike


def test_a_split_needs_two_rows(tmp_path, read_table):
    with pytest.raises(SettingError) as caught:
        read_table(write(tmp_path, "x,y\n1,2\n"), test_ratio=0.5)
    assert str(caught.value) == "test_ratio = 0.5: needs at least 2 data rows (1 to train, 1 to test); data.csv has 1"


@pytest.mark.parametrize("options", [{"target_column": 0}, {"test_ratio": 0.3, "split_seed": 4},
                                     {"target_column": 1, "test_ratio": 0.5}])
@pytest.mark.parametrize("at", [0.1, 0.95])
def test_an_error_deep_in_a_big_file_names_its_line_and_column_with_options(tmp_path, options, at):
    rows = numbered_rows(30_000, width=3)
    number = int(len(rows) * at)  # the bad row's line (no header: line = index + 1)
    lines = csv_text(rows).splitlines()
    lines[number - 1] = f"{number - 1},oops,2"
    path = write(tmp_path, "\n".join(lines) + "\n")
    with pytest.raises(SettingError) as caught:
        csv_io.read_csv(path, **options)
    assert str(caught.value) == (f"data.csv line {number} column 2 = 'oops': must be a finite number (every cell is "
                                 "required)")


# --- the head of a file, for a preview -------------------------------------------------------------------
def test_the_head_is_the_header_and_first_rows_as_written(tmp_path):
    text = "\ufeff\n a , b ,y\r\n1.50, 2,0\r\n\r\n" + "".join(f"{i},{i}e1,{i % 2}\r\n" for i in range(3, 40))
    head = csv_io.read_head(write(tmp_path, text), rows=5)
    assert head.header == ("a", "b", "y") and head.width == 3 and not head.complete and head.error == ""
    assert head.rows == (("1.50", "2", "0"), ("3", "3e1", "1"), ("4", "4e1", "0"), ("5", "5e1", "1"),
                         ("6", "6e1", "0"))
    assert head.lines == (3, 5, 6, 7, 8)


def test_the_head_of_a_short_file_is_all_of_it(tmp_path):
    head = csv_io.read_head(write(tmp_path, "1,2\n3,4\n\n"))
    assert head == csv_io.CsvHead(None, (("1", "2"), ("3", "4")), (1, 2), 2, True)
    assert csv_io.read_head(write(tmp_path, "1,2\n3,4\n5,6\n"), rows=3).complete
    assert not csv_io.read_head(write(tmp_path, "1,2\n3,4\n5,6\n7,8"), rows=3).complete


def test_the_head_reads_no_further_than_its_rows(tmp_path):
    # After the first rows comes 2 MB that is not UTF-8 and not rows: read_csv refuses it, read_head never sees it.
    good = "x,y\n" + "1,2\n" * 25
    path = write(tmp_path, good.encode() + b"\xff,\xfe,\xfd\n" * 500_000)
    head = csv_io.read_head(path)
    assert head.error == "" and len(head.rows) == csv_io.PREVIEW_ROWS and not head.complete
    assert error_of(path).startswith("data.csv line 27 column 1")


@pytest.mark.parametrize(("text", "message"), ERRORS)
def test_the_head_reports_the_loaders_message(tmp_path, text, message):
    head = csv_io.read_head(write(tmp_path, text))
    assert head.error == message and not head.complete
    line = int(message.split(" line ")[1].split()[0])  # the line the message names
    if "header of" not in message:
        assert head.error_line == line == head.lines[-1]  # the bad row is the last one shown


@pytest.mark.parametrize("content", [
    b"x,y\n1,2\n3,4\xff5\n", b"temp\xe9rature,y\n1,2\n", b"1,2\r\n3,4\r\n\r\n5,\"6\xc3\"\r\n", b"x,y\n", b"",
    b"\xef\xbb\xbf", b"\n \r\n\t\n", "1,2\n3,{}\n".format("0." + "0" * csv_io.MAX_CELL_CHARS + "5").encode(),
])
def test_the_head_of_other_bad_files_has_the_loaders_message(tmp_path, content):
    path = write(tmp_path, content)
    assert csv_io.read_head(path).error == error_of(path)


def test_the_head_stops_at_a_line_too_long_to_be_valid(tmp_path):
    path = write(tmp_path, "x,y\n1,2\n3," + "2" * 12_000_000)
    head = csv_io.read_head(path)
    assert head.error.startswith(f"data.csv line 3 column 2 = '{'2' * 40}...': has at least ")
    assert head.error.endswith(" characters; a cell may have at most 131,072")
    assert head.rows == (("1", "2"),) and head.error_line == 3


def test_the_head_of_a_missing_file(tmp_path):
    head = csv_io.read_head(tmp_path / "missing.csv")
    assert head.error == error_of(tmp_path / "missing.csv") and head.rows == () and head.width == 0


# --- load_csv's target column and test split ---------------------------------------------------------------
def test_load_csv_takes_the_target_column_and_a_test_split(tmp_path, read):
    rows = [[i * 1.5, float(i % 2) + 5, i * -2.0] for i in range(40)]  # the middle column: 5 or 6
    path = write(tmp_path, "a,label,c\n" + "".join(",".join(repr(v) for v in row) + "\n" for row in rows))
    data = read(path, target_column=1, test_ratio=0.25, split_seed=3, task="classification")
    assert data.feature_names == ("a", "c") and data.class_values == (5.0, 6.0)
    assert data.X.shape == (30, 2) and data.X_test.shape == (10, 2)
    assert data.description == f"30 training and 10 test rows from {path}"
    for X, y in ((data.X, data.y), (data.X_test, data.y_test)):
        index = (X[:, 0] / 1.5).round().astype(int)
        np.testing.assert_array_equal(X, [[rows[i][0], rows[i][2]] for i in index])
        np.testing.assert_array_equal(y[:, 0], [rows[i][1] - 5 for i in index])
    with pytest.raises(SettingError) as caught:
        read(path, target_column=0, task="classification")
    assert str(caught.value) == ("task = 'classification': needs a target with exactly 2 distinct values; data.csv "
                                 "column 1 ('a') has 40: choose regression (or automatic)")


def test_standardising_with_a_split_uses_the_training_rows(tmp_path, read):
    rng = random.Random(4)
    rows = [[rng.uniform(-5, 5), rng.uniform(0, 1e3), float(i)] for i in range(50)]  # the target: the row index
    path = write(tmp_path, "".join(",".join(repr(v) for v in row) + "\n" for row in rows))
    data = read(path, standardize=True, test_ratio=0.2, split_seed=9)
    train = np.array([rows[int(i)][:2] for i in data.y[:, 0]])
    test = np.array([rows[int(i)][:2] for i in data.y_test[:, 0]])
    mean, std = train.mean(axis=0), train.std(axis=0)
    np.testing.assert_array_equal(data.input_mean, mean)
    np.testing.assert_array_equal(data.input_std, std)
    np.testing.assert_array_equal(data.X, (train - mean) / std)
    np.testing.assert_array_equal(data.X_test, (test - mean) / std)


def test_a_test_row_that_overflows_when_standardised_is_named(tmp_path):
    # Training rows (all but one) barely vary in column 2; the test row's value, divided by their spread, overflows.
    rows = ["1,1e-160,0", "2,1e150,1"] + [f"{i},{1 + 2 * (i % 2)}e-160,{i % 2}" for i in range(3, 12)]
    path = write(tmp_path, "\n".join(rows) + "\n")
    for seed in range(100):  # the seed that puts line 2 in the test split
        table = csv_io.read_csv(path, test_ratio=0.1, split_seed=seed)
        if table.X_test[0, 1] == 1e150:
            break
    std = float(table.X[:, 1].std())
    assert error_of(path, standardize=True, test_ratio=0.1, split_seed=seed) == (
        f"data.csv column 2 standard deviation = {std!r}: is too small to standardise the test rows (a test value, "
        "divided by it, overflows float64): use no test split, or do not standardise")
