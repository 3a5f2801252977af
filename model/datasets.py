"""The seed notebooks' datasets, and CSV loading.

A :class:`Dataset` holds read-only float64 arrays: inputs ``X`` of shape (n, d) and targets ``y`` of
shape (n, 1), with an optional test split of the same layout.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from model.config import MAX_INPUTS, SettingError


@dataclass(frozen=True)
class Dataset:
    name: str
    X: np.ndarray  # (n, d)
    y: np.ndarray  # (n, 1)
    X_test: np.ndarray | None = None  # (n_test, d)
    y_test: np.ndarray | None = None  # (n_test, 1)
    task: str = "regression"  # "classification" when every target is 0 or 1
    feature_names: tuple[str, ...] = field(default=())
    description: str = ""
    # Standardisation applied to the inputs (CSV only): x_used = (x_file - mean) / std.
    input_mean: np.ndarray | None = None
    input_std: np.ndarray | None = None

    @property
    def n_inputs(self) -> int:
        return self.X.shape[1]

    @property
    def has_test(self) -> bool:
        return self.X_test is not None


def make_dataset(name, X, y, X_test=None, y_test=None, description="", feature_names=None, **extra) -> Dataset:
    """Shape, type-check and freeze the arrays; work out the task from the targets."""
    X = _frozen(np.asarray(X, dtype=np.float64).reshape(len(X), -1))
    y = _frozen(np.asarray(y, dtype=np.float64).reshape(-1, 1))
    if X_test is not None:
        X_test = _frozen(np.asarray(X_test, dtype=np.float64).reshape(len(X_test), -1))
        y_test = _frozen(np.asarray(y_test, dtype=np.float64).reshape(-1, 1))
    targets = y if y_test is None else np.vstack([y, y_test])
    task = "classification" if np.isin(targets, (0.0, 1.0)).all() else "regression"
    names = tuple(feature_names or (f"x{i + 1}" for i in range(X.shape[1])))
    return Dataset(name, X, y, X_test, y_test, task, names, description, **extra)


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    a.flags.writeable = False
    return a


def single_point() -> Dataset:
    # Notebook 000: y = (1*x1 + 3*x2 + 1) * 2 - 1 at (2, 2).
    return make_dataset("single_point", [[2.0, 2.0]], [17.0], description="one point (2, 2) -> 17 (notebook 000)")


XOR_X = [[0, 0], [0, 1], [1, 0], [1, 1]]


def xor() -> Dataset:
    return make_dataset("xor", XOR_X, [0, 1, 1, 0], description="the four XOR rows (notebook 001)")


def and_or() -> Dataset:
    # Notebook 002: y = x1 AND (x2 OR x3); it trains on these 4 rows, the other 4 are the test split.
    train = [[0, 0, 1], [1, 1, 1], [1, 0, 1], [0, 1, 1]]
    test = [[0, 0, 0], [0, 1, 0], [1, 0, 0], [1, 1, 0]]

    def target(row):
        return float(row[0] and (row[1] or row[2]))

    return make_dataset(
        "and_or", train, [target(r) for r in train], test, [target(r) for r in test],
        description="y = x1 AND (x2 OR x3): 4 training rows, the other 4 as test (notebook 002)",
    )


def product(n: int = 1000, n_test: int = 250, seed: int = 0) -> Dataset:
    # Notebook 003's draws in its order (features, then noise), so the training set equals the
    # notebook's for the same seed; the test split is drawn afterwards from the same stream.
    rng = np.random.RandomState(seed)

    def draw(count):
        features = rng.rand(count, 2)
        targets = 10 * features[:, 0] * features[:, 1] + 0.3 * rng.rand(count) - 0.15
        return features, targets

    X, y = draw(n)
    X_test, y_test = draw(n_test)
    return make_dataset(
        "product", X, y, X_test, y_test,
        description=f"{n} points in [0,1)^2, y = 10 x1 x2 + noise in [-0.15, 0.15) (notebook 003)",
    )


def two_points() -> Dataset:
    # Notebook 004's worked example: X = np.random.RandomState(2).randint(1, 4, (2, 2)), y = [1, 0].
    X = np.random.RandomState(2).randint(1, 4, (2, 2))
    return make_dataset("two_points", X, [1, 0], description="(1,2) -> 1 and (1,3) -> 0 (notebook 004)")


DATASETS = {
    "single_point": single_point,
    "xor": xor,
    "and_or": and_or,
    "product": product,
    "two_points": two_points,
}


def load_dataset(name: str) -> Dataset:
    if name not in DATASETS:
        raise SettingError("dataset", name, f"must be one of {', '.join(sorted(DATASETS))} (or a CSV file)")
    return DATASETS[name]()


def load_csv(path: str | Path, standardize: bool = False) -> Dataset:
    """Numeric columns; the last one is the target; an optional header row of names.

    Errors name the file, line and column. With ``standardize`` each input column is shifted and scaled
    to mean 0 and standard deviation 1 (the mean and std are kept on the dataset).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingError("csv", str(path), f"cannot be read ({exc.__class__.__name__}: {exc})") from None
    rows = [(number, row) for number, row in enumerate(csv.reader(text.splitlines()), start=1) if row]
    if rows and not _numeric(rows[0][1][0]):
        header, rows = rows[0][1], rows[1:]
    else:
        header = None
    if not rows:
        raise SettingError("csv", str(path), "has no data rows")
    width = len(rows[0][1])
    if width < 2:
        raise SettingError("csv", str(path), "needs at least 2 columns (inputs, then the target)")
    if width - 1 > MAX_INPUTS:
        raise SettingError("csv", str(path), f"has {width - 1} input columns; at most {MAX_INPUTS} are allowed")
    values = np.empty((len(rows), width))
    for r, (line, row) in enumerate(rows):
        if len(row) != width:
            raise SettingError(f"{path.name} line {line}", ",".join(row), f"has {len(row)} cells; expected {width}")
        for c, cell in enumerate(row):
            if not _numeric(cell):
                where = f"{path.name} line {line} column {c + 1}"
                raise SettingError(where, cell, "must be a finite number (every cell is required)")
            values[r, c] = float(cell)
    X, y = values[:, :-1], values[:, -1]
    names = tuple(h.strip() for h in header[:-1]) if header else None
    extra = {}
    if standardize:
        mean, std = X.mean(axis=0), X.std(axis=0)
        std[std == 0] = 1.0  # a constant column stays constant (0) rather than becoming nan
        X = (X - mean) / std
        extra = {"input_mean": _frozen(mean), "input_std": _frozen(std)}
    return make_dataset(f"csv:{path.name}", X, y, description=f"{len(rows)} rows from {path}", feature_names=names,
                        **extra)


def _numeric(cell: str) -> bool:
    try:
        return math.isfinite(float(cell))
    except ValueError:
        return False
