"""Reading a numeric CSV file: NumPy's C parser for speed, errors that name the line and the column.

The file's rules:

- UTF-8 text, with or without a byte-order mark; lines end with ``\\n``, ``\\r\\n`` or ``\\r``.
- Blank lines (empty or only whitespace) are skipped; line numbers in messages are the file's own, counting
  the header and blank lines.
- The first non-blank line is a header of column names when its first cell is not a finite number. It then
  needs one name per column.
- Every other non-blank line is a row of numbers separated by commas, all rows with the same number of cells:
  at least 2 and at most ``MAX_INPUTS + 1``; one column is the target (the last, unless ``target_column``
  names another), the others are the inputs, in the file's order.
- A cell is a number as Python's ``float()`` reads it, with any surrounding whitespace. It may be quoted the way
  the csv module reads quotes (``"1.5"``, ``""`` for a quote inside a quoted cell); a quote cannot span lines.
- A value's magnitude is at most ``MAX_MAGNITUDE`` (1e150): its square (at most 1e300, or 4e300 for a
  deviation from a column's mean) summed over tens of millions of rows stays below float64's largest value,
  1.8e308, so means, standard deviations and squared losses cannot overflow. NaN and infinity are refused.
- A cell has at most ``MAX_CELL_CHARS`` characters (131,072, the csv module's field limit).

How it reads: a first pass counts the line ends and looks for over-long lines. Then NumPy's C reader
(``numpy.loadtxt``) parses the whole file from its first data row in one call, the fastest way it has, and
the inputs are moved to the front of its array so that no second copy is held. If it refuses the file, or a
value breaks a rule above, the file is read again in blocks of about ``block_bytes`` bytes of whole lines:
loadtxt parses each block, and a block it refuses is parsed line by line in Python, which either accepts it
(quoted cells, ``1_000``, non-ASCII digits: what ``float()`` reads and loadtxt does not) or reports the first
bad cell with its line and column. The blocks' rows go into arrays sized by the count of line ends, so memory
stays the result plus one block.

A test split (``test_ratio`` > 0) takes ``round(n * test_ratio)`` rows (at least 1, at most n - 1), at places
drawn from ``split_seed``, out of the n rows; both parts keep the file's order. The test rows are copied out
and the training rows moved up in place, so the split adds only the test rows to the memory held.

:func:`read_head` reads only the first rows, as text, for a preview: it checks them by the same rules and
stops there, so a file of any size is previewed at once.

Differences from the csv-module loader this replaced: only ``\\n``, ``\\r\\n`` and ``\\r`` end a line
(``str.splitlines`` also split on form feed, U+2028 and other separators); a quoted cell ends at the end of
its line instead of continuing onto the next one; a header must have one name per column (it was not
checked); a line of only whitespace is blank (it was a row of one cell, or a header of no names); any Unicode
whitespace around a number is allowed (``float()`` alone refuses a few control characters); values beyond
``MAX_MAGNITUDE`` and cells longer than ``MAX_CELL_CHARS`` are refused with a message instead of loading (or,
for long cells, a csv-module traceback).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from model.config import MAX_INPUTS, SettingError

MAX_MAGNITUDE = 1e150
MAX_CELL_CHARS = 131_072
BLOCK_BYTES = 1 << 20
_BOM = b"\xef\xbb\xbf"
# A line with more bytes than this has a cell longer than MAX_CELL_CHARS or more than MAX_INPUTS + 1 cells
# (a character takes at most 4 bytes), so reading stops there rather than holding a file-long "line".
_LONGEST_LINE_BYTES = 4 * (MAX_INPUTS + 1) * (MAX_CELL_CHARS + 1)
_COMPRESSED = (".gz", ".bz2", ".xz", ".lzma")  # suffixes numpy.loadtxt decompresses
_SHOWN_CHARS = 40  # a long cell or line is shown cut to this many characters in a message
PREVIEW_ROWS = 20  # data rows read_head reads by default
_HEAD_CHUNK = 1 << 16  # read_head's first read; each further read is twice the one before


@dataclass(frozen=True)
class CsvTable:
    """A CSV file's contents: inputs ``X`` (n, d) and targets ``y`` (n,), both C-contiguous float64; with a
    test split, the test rows in ``X_test`` and ``y_test`` (else None)."""

    X: np.ndarray
    y: np.ndarray
    names: tuple[str, ...] | None  # the header's input names, or None without a header
    target: str | None = None  # the header's name of the target column, or None without a header
    target_column: int = -1  # the target's index among the file's columns (0 = the first)
    X_test: np.ndarray | None = None
    y_test: np.ndarray | None = None


def read_csv(path: str | Path, block_bytes: int = BLOCK_BYTES, *, target_column: int | None = None,
             test_ratio: float = 0.0, split_seed: int = 0) -> CsvTable:
    """Read a numeric CSV file (see the module docstring for its rules); bad input raises SettingError.

    ``target_column`` is the index of the target among the file's columns (0 = the first; None: the last).
    ``test_ratio`` (0 <= ratio < 1) is the share of rows set apart as the test split (0: none), chosen at
    random from ``split_seed``: the same file, ratio and seed give the same split.
    """
    path = Path(path)
    if block_bytes < 1:
        raise SettingError("block_bytes", block_bytes, "must be at least 1")
    _check_split(target_column, test_ratio, split_seed)
    try:
        with open(path, "rb") as file:
            table = _Table(path, target_column)
            for first_line, text, complete in _blocks(file, path.name, block_bytes):
                if table.add(first_line, text, complete):
                    break
    except OSError as exc:
        raise _unreadable(path, exc) from None
    return table.finish(test_ratio, split_seed)


def _check_split(target_column: object, test_ratio: object, split_seed: object) -> None:
    """Refuse options that no file could make valid (a target column past the file's end is found later)."""
    if target_column is not None and (type(target_column) is not int or target_column < 0):
        raise SettingError("target_column", target_column, "must be a column index, at least 0 (0 = the first "
                                                           "column), or None for the last")
    if type(test_ratio) not in (int, float) or not 0 <= test_ratio < 1:
        raise SettingError("test_ratio", test_ratio, "must be at least 0 (no test split) and less than 1")
    if type(split_seed) is not int or split_seed < 0:
        raise SettingError("split_seed", split_seed, "must be a whole number, at least 0")


def _unreadable(path: Path, exc: OSError) -> SettingError:
    if isinstance(exc, IsADirectoryError):
        return SettingError("csv", str(path), "is a directory; choose a CSV file")
    return SettingError("csv", str(path), f"cannot be read ({exc.__class__.__name__}: {exc.strerror or exc})")


def split_rows(n: int, test_ratio: float, seed: int) -> np.ndarray:
    """Which of ``n`` rows form the test split: a boolean mask with ``round(n * test_ratio)`` (half up) rows
    set, at least 1 and at most n - 1, at places drawn from ``seed``. No rows (all False) for a ratio of 0."""
    is_test = np.zeros(n, dtype=bool)
    if test_ratio == 0:
        return is_test
    count = min(n - 1, max(1, math.floor(n * test_ratio + 0.5)))
    is_test[np.random.default_rng(seed).permutation(n)[:count]] = True
    return is_test


def _take_rows(X: np.ndarray, y: np.ndarray, is_test: np.ndarray):
    """(X, y, X_test, y_test): the rows flagged in ``is_test`` copied out, and the others moved up in X's and
    y's own memory (both must own it), which is then shrunk; all in the file's order."""
    X_test, y_test = X[is_test], y[is_test]
    keep = np.flatnonzero(~is_test)
    step = max(1, (1 << 16) // max(1, X.shape[1]))
    for start in range(0, len(keep), step):
        rows = keep[start:start + step]  # rows[i] >= start + i: each row moves up, never onto one still to move
        X[start:start + len(rows)] = X[rows]
        y[start:start + len(rows)] = y[rows]
    X.resize((len(keep), X.shape[1]), refcheck=False)
    y.resize(len(keep), refcheck=False)
    return X, y, X_test, y_test


@dataclass(frozen=True)
class CsvHead:
    """The first rows of a CSV file as text, for a preview, and the first problem in them."""

    header: tuple[str, ...] | None  # the header's names (every column's), or None without a header
    rows: tuple[tuple[str, ...], ...]  # each row's cells as written, without surrounding whitespace
    lines: tuple[int, ...]  # each row's line number in the file
    width: int  # the cells of a row: the first row's count (0 when there is no row)
    complete: bool  # the file has no rows beyond these (it was read to its end)
    error: str = ""  # the loader's one-line message for the first problem in these lines; "" if none
    error_line: int = 0  # the line being read when the problem was found (0: none)


def read_head(path: str | Path, rows: int = PREVIEW_ROWS) -> CsvHead:
    """The header and the first ``rows`` data rows of a CSV file, checked by the file's rules. Reads only the
    lines they take (in reads that double up to BLOCK_BYTES), or up to a line too long to be valid.

    Every problem, in these lines or in opening the file, is a one-line message in ``error``: the one
    read_csv gives for it. ``rows`` then ends with the bad row, when the problem is in a row."""
    path = Path(path)
    name = path.name
    header: list[str] | None = None
    header_line, header_text, width, number = 0, "", 0, 0
    shown: list[tuple[str, ...]] = []
    numbers: list[int] = []
    try:
        lines, cut, at_end, seen_text = _head_lines(path, rows)
        complete = at_end
        for index, (number, raw) in enumerate(lines):
            line = _decode_line(raw, name, number)
            if not line or line.isspace():
                continue
            if header is None and not width and not _is_number(_cells(line)[0]):
                header, header_line, header_text = _header(line, number, name), number, line
                continue
            shown.append(tuple(cell.strip() for cell in _cells(line)))
            numbers.append(number)
            if not width:
                width = _width(line, number, name, header, header_line, header_text)
            _row(line, number, width, name)
            if len(shown) == rows:
                complete = at_end and all(not rest.strip() for _, rest in lines[index + 1:])
                break
        else:
            if cut is not None:
                number = len(lines) + 1
                raise _long_line_error(_decode_cut(cut, name, number), number, name, header is None and not width,
                                       width)
            if at_end and not width:
                number = 0
                raise _no_rows(path, header_line, seen_text)
    except SettingError as exc:
        error, complete = str(exc), False
    except OSError as exc:
        error, complete, number = str(_unreadable(path, exc)), False, 0
    else:
        error, number = "", 0
    names = None if header is None else tuple(cell.strip() for cell in header)
    return CsvHead(names, tuple(shown), tuple(numbers), width, complete, error, number)


def _head_lines(path: Path, rows: int) -> tuple[list[tuple[int, bytes]], bytearray | None, bool, bool]:
    """The file's first whole lines, numbered from 1 (after a byte-order mark): at least enough for a header
    and ``rows`` data rows, or all of them. Returns (lines, cut, at_end, seen_text): ``cut`` is the start of
    the next line when it is too long to be valid (else None); ``at_end`` whether no line follows these;
    ``seen_text`` whether the file has any bytes besides a byte-order mark."""
    with open(path, "rb") as file:
        data, size = bytearray(file.read(3)), _HEAD_CHUNK
        if data == _BOM:
            data.clear()
        while True:
            chunk = file.read(size)
            data += chunk
            at_end = len(chunk) < size
            end = len(data) if at_end else max(data.rfind(b"\n"), data.rfind(b"\r")) + 1
            lines = bytes(data[:end]).splitlines()  # only \n, \r\n and \r end a line of bytes
            if at_end or len(data) - end > _LONGEST_LINE_BYTES or sum(1 for b in lines if b.strip()) > rows:
                break
            size = min(2 * size, BLOCK_BYTES)
    cut = data[end:] if len(data) - end > _LONGEST_LINE_BYTES else None
    return list(enumerate(lines, start=1)), cut, at_end and cut is None, bool(data)


def _decode_line(raw: bytes, name: str, number: int) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _not_utf8(raw, exc.start, name, number) from None


# --- blocks of whole lines -----------------------------------------------------------------------------
def _blocks(file, name: str, block_bytes: int):
    """Yield (number of the first line, text, complete) for consecutive pieces of the file.

    Each text holds whole lines ending with ``\\n`` (the last one of the file may have no line end), with
    ``\\r\\n`` and ``\\r`` turned into ``\\n``. A line longer than ``_LONGEST_LINE_BYTES`` is yielded alone,
    cut, with ``complete`` False: it cannot be valid, and the table reports why.
    """
    buffer = bytearray(file.read(3))
    if buffer == _BOM:
        buffer.clear()
    line, searched = 1, 0  # buffer[:searched] has no line end
    while True:
        chunk = file.read(block_bytes)
        if chunk:
            buffer += chunk
            # The last line end; a \r at the very end may be the first half of a \r\n still to come.
            end = max(buffer.rfind(b"\n", searched), buffer.rfind(b"\r", searched, len(buffer) - 1)) + 1
            searched = max(0, len(buffer) - 1)
            if end == 0:
                if len(buffer) > _LONGEST_LINE_BYTES:
                    yield line, _decode_cut(buffer, name, line), False
                    return
                continue
        else:
            end = len(buffer)
            if end == 0:
                return
        piece = buffer[:end]
        del buffer[:end]
        searched = max(0, len(buffer) - 1)
        yield line, _decode(piece, name, line), True
        line += _line_ends(piece)


def _decode(piece: bytes | bytearray, name: str, first_line: int) -> str:
    """Bytes of whole lines as text, with \\n line ends."""
    try:
        text = piece.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _not_utf8(bytes(piece), exc.start, name, first_line) from None
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def _decode_cut(buffer: bytearray, name: str, line: int) -> str:
    """The start of an over-long line as text, cut at a character boundary."""
    end = len(buffer)
    while end > 0 and len(buffer) - end < 3 and buffer[end - 1] & 0xC0 == 0x80:  # continuation bytes
        end -= 1
    if end > 0 and buffer[end - 1] >= 0xC0:  # a lead byte whose character is cut
        end -= 1
    return _decode(bytes(buffer[:end]), name, line)


def _line_ends(data: bytes | bytearray) -> int:
    """The number of line ends (\\n, \\r\\n, \\r) in data; NumPy counts 5 times faster than bytes.count."""
    count = int(np.count_nonzero(np.frombuffer(data, dtype=np.uint8) == ord("\n")))
    if b"\r" in data:
        count += data.count(b"\r") - data.count(b"\r\n")
    return count


def _not_utf8(piece: bytes, at: int, name: str, first_line: int) -> SettingError:
    """The error for the byte at ``piece[at]``, which is not UTF-8: its line, column and cell."""
    before = piece[:at]
    start = max(before.rfind(b"\n"), before.rfind(b"\r")) + 1
    ends = [i for i in (piece.find(b"\n", at), piece.find(b"\r", at)) if i >= 0]
    stop = min(ends) if ends else len(piece)
    column = len(_cells(piece[start:at].decode("utf-8")))
    cell = _cells(piece[start:stop].decode("utf-8", errors="replace"))[column - 1]
    where = f"{name} line {first_line + _line_ends(before)} column {column}"
    return SettingError(where, _shown(cell), f"has byte 0x{piece[at]:02x}, which is not UTF-8; save the file as "
                                             "UTF-8 text")


# --- cells ---------------------------------------------------------------------------------------------
def _cells(line: str) -> list[str]:
    """A line's cells as the csv module (excel dialect) reads them, the line alone."""
    if '"' not in line:
        return line.split(",")
    if len(line) <= csv.field_size_limit():
        return next(csv.reader((line,)))
    return _split_quoted(line)  # the csv module would refuse a cell this long; say which one instead


def _split_quoted(line: str) -> list[str]:
    """The csv module's reading of one line with quotes (excel dialect, not strict), with no cell size limit."""
    cells: list[str] = []
    cell: list[str] = []
    state = "start"  # start of a cell, "plain", "quoted", "quote" (a quote seen inside a quoted cell)
    for char in line:
        if state == "start" or state == "plain":
            if char == ",":
                cells.append("".join(cell))
                cell, state = [], "start"
            elif char == '"' and state == "start":
                state = "quoted"
            else:
                cell.append(char)
                state = "plain"
        elif state == "quoted":
            if char == '"':
                state = "quote"
            else:
                cell.append(char)
        elif char == '"':  # a doubled quote is one quote character
            cell.append(char)
            state = "quoted"
        elif char == ",":
            cells.append("".join(cell))
            cell, state = [], "start"
        else:  # text after a closing quote joins the cell, as the csv module does unless strict
            cell.append(char)
            state = "plain"
    cells.append("".join(cell))
    return cells


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _shown(text: str) -> str:
    return text if len(text) <= _SHOWN_CHARS else text[:_SHOWN_CHARS] + "..."


def _is_number(cell: str) -> bool:
    try:
        return math.isfinite(float(cell.strip()))
    except ValueError:
        return False


def _number(cell: str, name: str, line: int, column: int) -> float:
    if len(cell) > MAX_CELL_CHARS:
        raise SettingError(f"{name} line {line} column {column}", _shown(cell),
                           f"has {len(cell):,} characters; a cell may have at most {MAX_CELL_CHARS:,}")
    try:
        value = float(cell.strip())
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise SettingError(f"{name} line {line} column {column}", _shown(cell),
                           "must be a finite number (every cell is required)")
    if abs(value) > MAX_MAGNITUDE:
        raise SettingError(f"{name} line {line} column {column}", _shown(cell),
                           f"must be between -{MAX_MAGNITUDE:g} and {MAX_MAGNITUDE:g} (the squares of larger "
                           "numbers, summed over the rows, overflow float64)")
    return value


# --- rows ----------------------------------------------------------------------------------------------
def _row(line: str, number: int, width: int, name: str) -> list[float]:
    cells = _cells(line)
    if len(cells) != width:
        raise SettingError(f"{name} line {number}", _shown(line), f"has {_count(len(cells), 'cell')}; expected {width}")
    return [_number(cell, name, number, column) for column, cell in enumerate(cells, start=1)]


def _fast(text: str, width: int) -> np.ndarray | None:
    """The block's rows parsed by NumPy's C reader, or None if it refuses them or a value breaks the rules."""
    if _has_long_line(text, MAX_CELL_CHARS):
        return None
    try:
        values = np.loadtxt(text.split("\n"), dtype=np.float64, delimiter=",", comments=None, quotechar=None,
                            ndmin=2)
    except ValueError:
        return None
    if not len(values) or values.shape[1] != width:
        return None
    if not (values.min() >= -MAX_MAGNITUDE and values.max() <= MAX_MAGNITUDE):
        return None  # also when a value is NaN: every comparison with NaN is false
    return values


def _slow(text: str, first_line: int, width: int, name: str) -> np.ndarray:
    """The block's rows read line by line in Python: the same values as ``_fast``, or the first bad cell."""
    rows = [_row(line, first_line + offset, width, name)
            for offset, line in enumerate(text.split("\n")) if line and not line.isspace()]
    return np.array(rows, dtype=np.float64).reshape(len(rows), width)


def _whole_file(path: Path, skip_lines: int, width: int) -> np.ndarray | None:
    """All the rows from line ``skip_lines + 1`` on, parsed by NumPy's C reader in one call, or None if it
    refuses them or a value breaks the rules. Only for files with no line longer than MAX_CELL_CHARS."""
    if path.suffix.lower() in _COMPRESSED:
        return None  # numpy.loadtxt would decompress the file, which the block reader does not
    try:
        values = np.loadtxt(path, dtype=np.float64, delimiter=",", comments=None, quotechar=None, ndmin=2,
                            skiprows=skip_lines, encoding="utf-8-sig")
    except (ValueError, OSError):  # UnicodeDecodeError is a ValueError
        return None
    if not len(values) or values.shape[1] != width:
        return None
    if not (values.min() >= -MAX_MAGNITUDE and values.max() <= MAX_MAGNITUDE):
        return None
    return values


def _split_columns(values: np.ndarray, target: int) -> tuple[np.ndarray, np.ndarray]:
    """(inputs, targets) of an (n, w) array, both C-contiguous; the inputs are moved to the front of values'
    own memory, which is then shrunk, so that no second copy of the inputs is ever held."""
    n, w = values.shape
    y = values[:, target].copy()
    inputs = _inputs(w, target)
    if not values.flags.owndata or not values.flags.c_contiguous:
        return np.array(values[:, inputs], order="C"), y
    flat = values.reshape(-1)
    step = max(1, (1 << 16) // w)  # rows moved at a time; NumPy buffers a move whose ends overlap
    for start in range(0, n, step):
        stop = min(n, start + step)
        flat[start * (w - 1):stop * (w - 1)].reshape(stop - start, w - 1)[...] = values[start:stop, inputs]
    del flat
    values.resize((n, w - 1), refcheck=False)  # in place: values keeps owning its memory
    return values, y


def _scan(path: Path) -> tuple[int, bool]:
    """The file's line ends (a \\r\\n split between reads counts twice, still a bound on the lines), and
    whether a line is longer than MAX_CELL_CHARS bytes (then one of its cells may be too)."""
    line_ends, long_line, run = 0, False, 0  # run: bytes of the line still open at the end of the last read
    with open(path, "rb") as file:
        while chunk := file.read(1 << 20):
            line_ends += _line_ends(chunk)
            if not long_line:
                long_line, run = _long_line(chunk, run, MAX_CELL_CHARS)
    return line_ends, long_line


def _long_line(chunk: bytes, run: int, limit: int) -> tuple[bool, int]:
    """Whether ``chunk``, which continues a line of ``run`` bytes, holds a line longer than ``limit`` bytes; and
    the length of the line open at its end. Looks at about one byte in ``limit`` for files of short lines."""
    start = -run  # where the current line starts, relative to the chunk
    while len(chunk) - start > limit:
        low, high = max(start, 0), start + limit + 1
        end = max(chunk.rfind(b"\n", low, high), chunk.rfind(b"\r", low, high))  # the last end within reach
        if end < 0:
            return True, 0
        start = end + 1
    return False, len(chunk) - start


def _has_long_line(text: str, limit: int) -> bool:
    start = 0
    while len(text) - start > limit:
        end = text.rfind("\n", start, start + limit + 1)  # the last line end within reach of a line start
        if end < 0:
            return True
        start = end + 1
    return False


class _Table:
    """The file's rows: read whole by NumPy, or else appended block by block into arrays sized by a bound."""

    def __init__(self, path: Path, target: int | None = None):
        self.path, self.name = path, path.name
        self.target = target  # the target's column index; None (the last) until the width is known
        self.inputs: slice | np.ndarray = slice(None, -1)  # the input columns' indices
        self.header: list[str] | None = None
        self.header_line, self.header_text = 0, ""
        self.width = 0  # cells per row; 0 until the first data row
        self.rows = 0
        self.X = self.y = None
        self.seen_text = False
        self.whole = False  # read whole by numpy.loadtxt

    def add(self, first_line: int, text: str, complete: bool) -> bool:
        """Take the next block; True when the table is complete (the whole file was read at once)."""
        if not complete:
            self._refuse_long_line(first_line, text)
        if text:
            self.seen_text = True
        if not self.width:
            first_line, text = self._start(first_line, text)
            if not self.width:
                return False
            if self.whole:
                return True
        if not text or (text[0] == "\n" and not text.strip("\n")):  # only empty lines (loadtxt would warn)
            return False
        values = _fast(text, self.width)
        if values is None:
            values = _slow(text, first_line, self.width, self.name)
        self._append(values)
        return False

    def _start(self, number: int, text: str) -> tuple[int, str]:
        """Read the header and the first data row, which may be split over blocks; return the rest."""
        start = 0
        while not self.width:
            end = text.find("\n", start)
            line = text[start:] if end < 0 else text[start:end]
            if line and not line.isspace():
                if self.header is None and not _is_number(_cells(line)[0]):
                    self.header, self.header_line, self.header_text = _header(line, number, self.name), number, line
                else:
                    self._first_row(line, number)
            if end < 0:
                return number + 1, ""
            start, number = end + 1, number + 1
        return number, text[start:]

    def _first_row(self, line: str, number: int) -> None:
        width = _width(line, number, self.name, self.header, self.header_line, self.header_text)
        if self.target is None:
            self.target = width - 1
        elif self.target >= width:
            raise SettingError("target_column", self.target, f"must be a column index from 0 to {width - 1}: "
                                                             f"{self.name} has {width} columns")
        self.inputs = _inputs(width, self.target)
        values = np.array([_row(line, number, width, self.name)])
        self.width = width
        line_ends, long_line = _scan(self.path)
        whole = None if long_line else _whole_file(self.path, number - 1, width)
        if whole is not None:
            self.X, self.y = _split_columns(whole, self.target)
            self.rows, self.whole = len(self.y), True
            return
        capacity = max(1, line_ends + 1 - (self.header is not None))  # a bound on the data rows
        self.X, self.y = np.empty((capacity, width - 1)), np.empty(capacity)
        self._append(values)

    def _append(self, values: np.ndarray) -> None:
        rows = self.rows + len(values)
        if rows > len(self.y):  # only if the file grew while being read
            capacity = max(rows, 2 * len(self.y))
            self.X.resize((capacity, self.width - 1), refcheck=False)
            self.y.resize(capacity, refcheck=False)
        self.X[self.rows:rows] = values[:, self.inputs]
        self.y[self.rows:rows] = values[:, self.target]
        self.rows = rows

    def _refuse_long_line(self, number: int, text: str) -> None:
        """Raise the error of a line too long to hold (``text`` is its start): a long cell or too many cells."""
        raise _long_line_error(text, number, self.name, self.header is None and not self.width, self.width)

    def finish(self, test_ratio: float = 0.0, split_seed: int = 0) -> CsvTable:
        if not self.width:
            raise _no_rows(self.path, self.header_line if self.header is not None else 0, self.seen_text)
        if self.rows < len(self.y):
            self.X.resize((self.rows, self.width - 1), refcheck=False)
            self.y.resize(self.rows, refcheck=False)
        X, y, X_test, y_test = self.X, self.y, None, None
        if test_ratio:
            if self.rows < 2:
                raise SettingError("test_ratio", test_ratio, f"needs at least 2 data rows (1 to train, 1 to test); "
                                                             f"{self.name} has 1")
            X, y = (a if a.flags.owndata else a.copy() for a in (X, y))
            X, y, X_test, y_test = _take_rows(X, y, split_rows(self.rows, test_ratio, split_seed))
        names = target = None
        if self.header is not None:
            names = tuple(self.header[c].strip() for c in range(self.width) if c != self.target)
            target = self.header[self.target].strip()
        return CsvTable(X, y, names, target, self.target, X_test, y_test)


def _header(line: str, number: int, name: str) -> list[str]:
    """A header line's names; a name longer than MAX_CELL_CHARS is refused."""
    cells = _cells(line)
    for column, cell in enumerate(cells, start=1):
        if len(cell) > MAX_CELL_CHARS:
            raise SettingError(f"{name} line {number} column {column}", _shown(cell),
                               f"has {len(cell):,} characters; a cell may have at most {MAX_CELL_CHARS:,}")
    return cells


def _width(line: str, number: int, name: str, header: list[str] | None, header_line: int, header_text: str) -> int:
    """The cells of the first data row, which every row must have: checked against the limits and the header."""
    width = len(_cells(line))
    where = f"{name} line {number}"
    if width < 2:
        raise SettingError(where, _shown(line), "needs at least 2 columns (inputs, then the target)")
    if width - 1 > MAX_INPUTS:
        raise SettingError(where, _shown(line), f"has {width - 1} input columns; at most {MAX_INPUTS} are allowed")
    if header is not None and len(header) != width:
        raise SettingError(f"{name} line {header_line}", _shown(header_text),
                           f"is a header of {_count(len(header), 'name')}, but the first row (line {number}) "
                           f"has {width} cells; a header needs one name per column")
    return width


def _inputs(width: int, target: int) -> slice | np.ndarray:
    """The input columns' indices: a slice when the target is the last column (no copy), else an index array."""
    if target == width - 1:
        return slice(None, -1)
    return np.array([c for c in range(width) if c != target])


def _long_line_error(text: str, number: int, name: str, may_be_header: bool, width: int) -> SettingError:
    """The error of a line too long to hold (``text`` is its start): a long cell or too many cells.
    ``width`` is the cells of a row (0 while no data row is read)."""
    cells = _cells(text)
    header = may_be_header and not _is_number(cells[0])
    limit = width or MAX_INPUTS + 1
    for column, cell in enumerate(cells, start=1):
        if column > limit:
            return SettingError(f"{name} line {number}", _shown(text),
                                f"has more than {limit} cells; expected {width}" if width else
                                f"has more than {limit} cells; at most {MAX_INPUTS} inputs and a target are allowed")
        if len(cell) > MAX_CELL_CHARS:
            length = f"at least {len(cell):,}" if column == len(cells) else f"{len(cell):,}"  # the last is cut
            return SettingError(f"{name} line {number} column {column}", _shown(cell),
                                f"has {length} characters; a cell may have at most {MAX_CELL_CHARS:,}")
        if not header:
            _number(cell, name, number, column)
    return SettingError(f"{name} line {number}", _shown(text),  # not reached: some cell is too long
                        f"is longer than {_LONGEST_LINE_BYTES:,} bytes")


def _no_rows(path: Path, header_line: int, seen_text: bool) -> SettingError:
    """The error of a file without data rows; ``header_line`` is the header's line (0: none)."""
    if header_line:
        why = f"only a header, on line {header_line}"
    elif seen_text:
        why = "only blank lines"
    else:
        why = "the file is empty"
    return SettingError("csv", str(path), f"has no data rows ({why})")
