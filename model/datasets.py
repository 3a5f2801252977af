"""The seed notebooks' datasets, the generated ones' names (model/generators.py), and CSV loading.

A :class:`Dataset` holds read-only float64 arrays: inputs ``X`` of shape (n, d) and targets ``y`` of
shape (n, 1), with an optional test split of the same layout.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from model import csv_io
from model.config import SettingError
from model.generators import GENERATORS, GeneratorSettings, generate

TASKS = ("classification", "regression")  # what make_dataset and load_csv take besides None (automatic)


def check_task(task: object) -> None:
    if task is not None and task not in TASKS:
        raise SettingError("task", task, f"must be one of {', '.join(TASKS)} (or None: from the targets)")


@dataclass(frozen=True)
class Dataset:
    name: str
    X: np.ndarray  # (n, d)
    y: np.ndarray  # (n, 1)
    X_test: np.ndarray | None = None  # (n_test, d)
    y_test: np.ndarray | None = None  # (n_test, 1)
    task: str = "regression"  # "classification" or "regression"; see make_dataset
    feature_names: tuple[str, ...] = field(default=())
    description: str = ""
    # Standardisation applied to the inputs (CSV only): x_used = (x_file - mean) / std.
    input_mean: np.ndarray | None = None
    input_std: np.ndarray | None = None
    # The task asked for (None: worked out from the targets), and for a classification whose two target values
    # were not 0 and 1, those values: class 0 is the smaller, class 1 the larger.
    task_chosen: str | None = None
    class_values: tuple[float, float] | None = None
    # For a generated dataset, the settings it was drawn with (its name is the generator's).
    generator: GeneratorSettings | None = None

    @property
    def n_inputs(self) -> int:
        return self.X.shape[1]

    @property
    def has_test(self) -> bool:
        return self.X_test is not None


def make_dataset(name, X, y, X_test=None, y_test=None, description="", feature_names=None, task=None,
                 target_name="the target", **extra) -> Dataset:
    """Shape, type-check and freeze the arrays; settle the task.

    ``task`` None works it out from the targets: classification when every one is 0 or 1, else regression.
    "classification" also takes targets of exactly two other values, mapped to 0 (the smaller) and 1 (the
    larger); more values are a SettingError naming ``target_name``. "regression" takes the targets as they are.
    """
    check_task(task)
    X = _frozen(np.asarray(X, dtype=np.float64).reshape(len(X), -1))
    y = np.asarray(y, dtype=np.float64).reshape(-1, 1)
    if X_test is not None:
        X_test = _frozen(np.asarray(X_test, dtype=np.float64).reshape(len(X_test), -1))
        y_test = np.asarray(y_test, dtype=np.float64).reshape(-1, 1)
    targets = y if y_test is None else np.vstack([y, y_test])
    zero_one = bool(np.isin(targets, (0.0, 1.0)).all())
    settled = task or ("classification" if zero_one else "regression")
    class_values = None
    if settled == "classification" and not zero_one:
        class_values = _two_values(targets, target_name)
        y = (y == class_values[1]).astype(np.float64)
        y_test = None if y_test is None else (y_test == class_values[1]).astype(np.float64)
    y, y_test = _frozen(y), None if y_test is None else _frozen(y_test)
    names = tuple(feature_names or (f"x{i + 1}" for i in range(X.shape[1])))
    return Dataset(name, X, y, X_test, y_test, settled, names, description, task_chosen=task,
                   class_values=class_values, **extra)


def _two_values(targets: np.ndarray, target_name: str) -> tuple[float, float]:
    """The targets' two distinct values, smaller first; a SettingError if there are more (or fewer)."""
    low, high = float(targets.min()), float(targets.max())
    if low == high or not ((targets == low) | (targets == high)).all():
        count = len(np.unique(targets))
        raise SettingError("task", "classification", f"needs a target with exactly 2 distinct values; "
                           f"{target_name} has {count:,}: choose regression (or automatic)")
    return low, high


def class_value_text(value: float) -> str:
    """A target value as a label: 1, 2.5, -0.001, 1e+20 (up to 15 significant digits, never "-0")."""
    return f"{value + 0.0:.15g}"


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


# The notebooks' datasets, defined exactly as there. DATASET_NAMES adds the generated ones.
DATASETS = {
    "single_point": single_point,
    "xor": xor,
    "and_or": and_or,
    "product": product,
    "two_points": two_points,
}


DATASET_NAMES = (*DATASETS, *GENERATORS)


def load_dataset(name: str) -> Dataset:
    """A notebook's dataset, or a generated one with the default GeneratorSettings."""
    if name in GENERATORS:
        return generate(name)
    if name not in DATASETS:
        raise SettingError("dataset", name, f"must be one of {', '.join(DATASET_NAMES)} (or a CSV file)")
    return DATASETS[name]()


def load_csv(path: str | Path, standardize: bool = False, task: str | None = None, *,
             target_column: int | None = None, test_ratio: float = 0.0, split_seed: int = 0,
             block_bytes: int = csv_io.BLOCK_BYTES) -> Dataset:
    """Numeric columns; one is the target (the last unless ``target_column``, 0 = the first); an optional
    header row of names.

    The file's rules, and how it is read fast, are in :mod:`model.csv_io`; in short, values must be finite
    with a magnitude of at most 1e150, so that squares and their sums cannot overflow float64. Errors name
    the file, line and column. ``test_ratio`` > 0 sets that share of the rows apart as the test split, chosen
    from ``split_seed`` (see :func:`model.csv_io.split_rows`). With ``standardize`` each input column is
    shifted and scaled to mean 0 and standard deviation 1 over the training rows (a constant column is only
    shifted), and the test rows by the same mean and std; both are kept on the dataset.
    ``task`` is None (automatic), "classification" or "regression", as for :func:`make_dataset`
    (:func:`task_text` says in words which task the dataset is trained as, and which value is which class).
    ``block_bytes`` is the size of the pieces the file is parsed in (small values are for tests).
    """
    path = Path(path)
    check_task(task)
    table = csv_io.read_csv(path, block_bytes=block_bytes, target_column=target_column, test_ratio=test_ratio,
                            split_seed=split_seed)
    X, X_test, extra = table.X, table.X_test, {}
    if standardize:
        columns = [c + 1 for c in range(X.shape[1] + 1) if c != table.target_column]  # the inputs' columns in the file
        mean, std = _standardize(X, path, columns)
        if X_test is not None:
            _standardize_test(X_test, mean, std, path, columns)
        extra = {"input_mean": _frozen(mean), "input_std": _frozen(std)}
    target = f"{path.name} column {table.target_column + 1}" + (f" ({table.target!r})" if table.target else "")
    rows = f"{len(X):,} rows" if X_test is None else f"{len(X):,} training and {len(X_test):,} test rows"
    return make_dataset(f"csv:{path.name}", X, table.y, X_test, table.y_test, description=f"{rows} from {path}",
                        feature_names=table.names, task=task, target_name=target, **extra)


def task_text(dataset: Dataset) -> str:
    """How the dataset is trained, in words: "regression (automatic: the targets are not all 0 or 1)",
    "classification: class 0 = 1, class 1 = 2"."""
    how = "automatic" if dataset.task_chosen is None else "chosen"
    if dataset.class_values is not None:
        low, high = (class_value_text(v) for v in dataset.class_values)
        return f"{dataset.task} ({how}): class 0 = {low}, class 1 = {high}"
    if dataset.task_chosen is not None:
        return f"{dataset.task} (chosen)"
    why = "every target is 0 or 1" if dataset.task == "classification" else "the targets are not all 0 or 1"
    return f"{dataset.task} (automatic: {why})"


def _standardize(X: np.ndarray, path: Path, columns: list[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Scale X's columns in place to mean 0 and std 1; return the mean and std. ``columns`` are the inputs'
    column numbers in the file, for messages (None: 1, 2, ...).

    With every |value| <= 1e150 nothing overflows below tens of millions of rows; beyond, an overflow is
    reported (naming the column) rather than warned about.
    """
    try:
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            mean, std = X.mean(axis=0), X.std(axis=0)
            std[std == 0] = 1.0  # a constant column stays constant (0) rather than becoming nan
            X -= mean
            X /= std
    except FloatingPointError:
        bad = [c for c in range(X.shape[1]) if not _column_scales(X[:, c])] or [0]
        largest = float(np.abs(X[:, bad[0]]).max())
        column = bad[0] + 1 if columns is None else columns[bad[0]]
        raise SettingError(f"{path.name} column {column} largest magnitude", largest,
                           f"cannot be standardised over {len(X):,} rows: the sum of squares overflows float64")\
            from None
    return mean, std


def _standardize_test(X_test: np.ndarray, mean: np.ndarray, std: np.ndarray, path: Path, columns: list[int]) -> None:
    """Scale the test rows in place by the training rows' mean and std. A test value far from the training
    mean, in a column whose training values barely vary, can overflow: that is a SettingError naming it."""
    with np.errstate(over="ignore", invalid="ignore"):
        X_test -= mean
        X_test /= std
    if not np.isfinite(X_test).all():
        bad = int(np.flatnonzero(~np.isfinite(X_test).all(axis=0))[0])
        raise SettingError(f"{path.name} column {columns[bad]} standard deviation", float(std[bad]),
                           "is too small to standardise the test rows (a test value, divided by it, overflows "
                           "float64): use no test split, or do not standardise")


def _column_scales(column: np.ndarray) -> bool:
    try:
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            column.std()
        return True
    except FloatingPointError:
        return False
