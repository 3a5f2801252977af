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
