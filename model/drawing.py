"""Drawing data on the boundary plot: a dataset with a point added or the nearest point removed, and its CSV text.

Every function takes a :class:`~model.datasets.Dataset` and leaves it as it is: an edit returns a new dataset
(made by :func:`~model.datasets.make_dataset`) with the same feature names, task, test split, class values and
input scaling, named "<name> (edited)". Only a dataset of exactly 2 inputs can be drawn on: the plot's x1-x2
plane is then the whole input space, so a click gives a whole row. Coordinates and targets are in the dataset's
own units: the inputs as the network sees them (a standardised CSV's standardised values, as the plot shows
them) and the targets as ``y`` holds them (a classification's 0 and 1, whatever its class values).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import math

import numpy as np

from model.config import SettingError
from model.csv_io import MAX_MAGNITUDE
from model.datasets import Dataset, class_value_text, make_dataset

DRAWN_INPUTS = 2
SPLITS = ("train", "test")
EDITED = " (edited)"
TARGET_HEADER = "y"  # the target column's name in the CSV (a Dataset keeps no name for it)


def check_drawable(dataset: Dataset) -> None:
    """A SettingError unless points can be drawn on ``dataset`` (exactly 2 inputs)."""
    if dataset.n_inputs != DRAWN_INPUTS:
        raise SettingError("dataset", dataset.name, f"has {dataset.n_inputs} inputs; points can be drawn only on "
                           f"a dataset of {DRAWN_INPUTS} (the plot's plane is then every input)")


def edited_name(name: str) -> str:
    """The name of a dataset edited from one named ``name``: "xor" -> "xor (edited)" (once, however often)."""
    return name if name.endswith(EDITED) else name + EDITED


def with_point(dataset: Dataset, x, target: float, split: str = "train") -> Dataset:
    """``dataset`` with the row (x1, x2) -> target appended to its ``split`` ("train", or "test": a dataset with
    no test split gets one of this row). A classification's target must be 0 or 1; a regression's any finite
    number of magnitude at most MAX_MAGNITUDE (what the CSV loader reads back), as must the inputs."""
    check_drawable(dataset)
    point = _point(x)
    target = _target(dataset, target)
    if split not in SPLITS:
        raise SettingError("split", split, f"must be one of {', '.join(SPLITS)}")
    rows = {"train": (dataset.X, dataset.y), "test": (dataset.X_test, dataset.y_test)}
    X, y = rows[split]
    if X is None:
        X, y = np.empty((0, DRAWN_INPUTS)), np.empty((0, 1))
    rows[split] = (np.vstack([X, point]), np.vstack([y, [[target]]]))
    return _edited(dataset, *rows["train"], *rows["test"])


def without_nearest(dataset: Dataset, x, within: float | None = None) -> tuple[Dataset, int | None]:
    """``dataset`` without its row nearest to ``x`` (Euclidean distance over the 2 inputs, training and test rows
    alike; the first such row on a tie), and that row's index in the order train rows then test rows (the CSV's
    order): below len(dataset.X) a training row, else test row ``index - len(dataset.X)``. With ``within``, only a
    row at most that far counts: if there is none, ``(dataset, None)``, the dataset itself. Removing the last test
    row removes the test split; the last training row cannot be removed (a SettingError)."""
    check_drawable(dataset)
    point = _point(x)
    X_all = dataset.X if not dataset.has_test else np.vstack([dataset.X, dataset.X_test])
    distances = np.hypot(X_all[:, 0] - point[0], X_all[:, 1] - point[1])
    index = int(np.argmin(distances))
    if within is not None and not distances[index] <= within:
        return dataset, None
    n_train = len(dataset.X)
    if index < n_train:
        if n_train == 1:
            raise SettingError("point", tuple(dataset.X[0]), "is the only training row; a dataset needs one")
        train = np.delete(dataset.X, index, axis=0), np.delete(dataset.y, index, axis=0)
        test = dataset.X_test, dataset.y_test
    else:
        train = dataset.X, dataset.y
        test = np.delete(dataset.X_test, index - n_train, axis=0), np.delete(dataset.y_test, index - n_train, axis=0)
        if not len(test[0]):
            test = None, None
    return _edited(dataset, *train, *test), index


def dataset_csv_text(dataset: Dataset, target_name: str = TARGET_HEADER) -> str:
    """The dataset as the CSV the app reads (model.csv_io): a header of the feature names and ``target_name``,
    then one line per row, training rows first, then test rows. There is no split column: the app's loader
    reads every column but the last as an input, so it reads the test rows back as training rows. Numbers are
    written with repr (the shortest text that reads back as the same float64); a classification's targets as
    its class values (0 and 1, or the two values its file had). Reading the text back with load_csv(path,
    task=dataset.task_chosen) gives X (then X_test) and y (then y_test) exactly."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow([*dataset.feature_names, target_name])
    splits = [(dataset.X, dataset.y)] + ([(dataset.X_test, dataset.y_test)] if dataset.has_test else [])
    for X, y in splits:
        targets = _file_targets(dataset, y[:, 0])
        out.writelines(",".join(map(repr, row)) + "\n" for row in np.column_stack([X, targets]).tolist())
    return out.getvalue()


def _file_targets(dataset: Dataset, y: np.ndarray) -> np.ndarray:
    """Targets as the file holds them: a classification with class values maps 0 and 1 back to those."""
    if dataset.class_values is None:
        return y
    return np.where(y == 1.0, dataset.class_values[1], dataset.class_values[0])


def _point(x) -> np.ndarray:
    point = np.asarray(x, dtype=np.float64).reshape(-1)
    if point.shape != (DRAWN_INPUTS,) or not np.all(np.abs(point) <= MAX_MAGNITUDE):  # False for NaN too
        raise SettingError("point", tuple(point.tolist()), f"must be {DRAWN_INPUTS} finite numbers of magnitude "
                           f"at most {MAX_MAGNITUDE:g}")
    return point


def _target(dataset: Dataset, target: float) -> float:
    target = float(target)
    if dataset.task == "classification":
        if target not in (0.0, 1.0):
            classes = "" if dataset.class_values is None else \
                f" (class 0 = {class_value_text(dataset.class_values[0])}, " \
                f"class 1 = {class_value_text(dataset.class_values[1])})"
            raise SettingError("target", target, f"must be 0 or 1 for a classification{classes}")
    elif not (math.isfinite(target) and abs(target) <= MAX_MAGNITUDE):
        raise SettingError("target", target, f"must be a finite number of magnitude at most {MAX_MAGNITUDE:g}")
    return target


def _edited(dataset: Dataset, X, y, X_test, y_test) -> Dataset:
    """A dataset of these rows with everything else of ``dataset``: names, task (as it was settled, even if the
    new targets alone would settle it otherwise), class values, input scaling."""
    rows = f"{len(X):,} training rows" + (f" and {len(X_test):,} test rows" if X_test is not None else "")
    base = dataset.name.removesuffix(EDITED)
    task = dataset.task_chosen
    if task is None and dataset.task == "regression" and np.isin(y, (0.0, 1.0)).all() \
            and (y_test is None or np.isin(y_test, (0.0, 1.0)).all()):
        task = "regression"  # automatic would now make it a classification
    made = make_dataset(edited_name(dataset.name), X, y, X_test, y_test, description=f"{rows}, edited from {base}",
                        feature_names=dataset.feature_names, task=task,
                        input_mean=dataset.input_mean, input_std=dataset.input_std)
    # make_dataset maps a classification's two target values to 0 and 1; these already are, so restore the
    # file's values it could not see.
    return dataclasses.replace(made, class_values=dataset.class_values)
