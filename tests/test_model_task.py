"""The task a dataset is trained as: worked out from the targets, or chosen (a CSV file's two target values other
than 0 and 1 then become the classes 0 and 1); and the CLI's --task."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from model.config import SettingError
from model.datasets import class_value_text, load_csv, make_dataset, task_text

ROOT = Path(__file__).resolve().parents[1]


def write(tmp_path, text, name="t.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


ONE_TWO = "a,b,label\n0,1,1\n1,0,2\n2,2,2\n"


def test_automatic_is_classification_for_0_and_1_and_regression_otherwise(tmp_path):
    zero_one = load_csv(write(tmp_path, "a,y\n3,0\n4,1\n5,1\n"))
    assert (zero_one.task, zero_one.task_chosen, zero_one.class_values) == ("classification", None, None)
    assert task_text(zero_one) == "classification (automatic: every target is 0 or 1)"
    one_two = load_csv(write(tmp_path, ONE_TWO))
    assert (one_two.task, one_two.task_chosen, one_two.class_values) == ("regression", None, None)
    assert one_two.y.ravel().tolist() == [1.0, 2.0, 2.0]
    assert task_text(one_two) == "regression (automatic: the targets are not all 0 or 1)"


def test_classification_maps_the_smaller_value_to_0_and_the_larger_to_1(tmp_path):
    data = load_csv(write(tmp_path, ONE_TWO), task="classification")
    assert (data.task, data.task_chosen, data.class_values) == ("classification", "classification", (1.0, 2.0))
    assert data.y.ravel().tolist() == [0.0, 1.0, 1.0]
    assert not data.y.flags.writeable
    assert data.X.tolist() == [[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]]  # the inputs are untouched
    assert task_text(data) == "classification (chosen): class 0 = 1, class 1 = 2"
    # The larger value first in the file, negative and fractional values: still the smaller is class 0.
    other = load_csv(write(tmp_path, "7,7\n-3.5,-3.5\n7,7\n", "other.csv"), task="classification")
    assert other.class_values == (-3.5, 7.0) and other.y.ravel().tolist() == [1.0, 0.0, 1.0]


def test_classification_of_0_and_1_targets_keeps_them(tmp_path):
    data = load_csv(write(tmp_path, "1,0\n2,1\n3,0\n4,0\n"), task="classification")
    assert (data.task, data.class_values) == ("classification", None)
    assert data.y.ravel().tolist() == [0.0, 1.0, 0.0, 0.0]
    assert task_text(data) == "classification (chosen)"


def test_regression_keeps_0_and_1_targets_as_values(tmp_path):
    data = load_csv(write(tmp_path, "1,0\n2,1\n"), task="regression")
    assert (data.task, data.task_chosen, data.class_values) == ("regression", "regression", None)
    assert data.y.ravel().tolist() == [0.0, 1.0]
    assert task_text(data) == "regression (chosen)"


@pytest.mark.parametrize(("text", "column", "count"), [
    ("a,b,label\n0,0,1\n0,1,2\n1,0,3\n1,1,2\n", "t.csv column 3 ('label')", 3),
    ("5,9\n6,9\n", "t.csv column 2", 1),  # no header: no name; one value is not two classes either
    ("".join(f"{i},{i % 11}\n" for i in range(50)), "t.csv column 2", 11),
])
def test_classification_of_other_than_two_values_names_the_column_and_the_count(tmp_path, text, column, count):
    with pytest.raises(SettingError) as raised:
        load_csv(write(tmp_path, text), task="classification")
    message = str(raised.value)
    assert raised.value.field == "task" and raised.value.value == "classification"
    assert f"{column} has {count}:" in message and "exactly 2" in message and "\n" not in message


def test_an_unknown_task_is_refused_before_the_file_is_read(tmp_path):
    for task in ("auto", "Classification", ""):
        with pytest.raises(SettingError) as raised:
            load_csv(tmp_path / "missing.csv", task=task)
        assert raised.value.field == "task" and "classification, regression" in str(raised.value)


def test_a_test_split_is_mapped_with_the_training_targets():
    data = make_dataset("split", [[0], [1]], [4, 4], [[2], [3]], [9, 4], task="classification")
    assert data.class_values == (4.0, 9.0)
    assert data.y.ravel().tolist() == [0.0, 0.0] and data.y_test.ravel().tolist() == [1.0, 0.0]


def test_class_values_print_as_short_labels_never_minus_zero():
    assert [class_value_text(v) for v in (1.0, 2.5, -0.0, -0.001, 1e20, 0.1)] == [
        "1", "2.5", "0", "-0.001", "1e+20", "0.1"]


# --- the CLI ------------------------------------------------------------------------------------------
def cli(*args):
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


def test_cli_task_classification_trains_two_values_as_the_0_1_file_would(tmp_path):
    rows = [(x, 2 if x > 0 else 1) for x in np.linspace(-1, 1, 9)]
    one_two = write(tmp_path, "x,y\n" + "".join(f"{x},{y}\n" for x, y in rows), "one_two.csv")
    zero_one = write(tmp_path, "x,y\n" + "".join(f"{x},{y - 1}\n" for x, y in rows), "zero_one.csv")
    options = ("--epochs", "20", "--seed", "3", "--json")
    chosen = json.loads(cli("train", "--csv", one_two, "--task", "classification", *options).stdout)
    automatic = json.loads(cli("train", "--csv", zero_one, "--task", "auto", *options).stdout)
    assert chosen["weights"] == automatic["weights"] and chosen["train_loss"] == automatic["train_loss"]
    assert chosen["accuracy"] == automatic["accuracy"] and chosen["config"]["loss"] == "bce"
    regression = json.loads(cli("train", "--csv", zero_one, "--task", "regression", *options).stdout)
    assert "r2" in regression and "accuracy" not in regression and regression["config"]["loss"] == "squared"


@pytest.mark.parametrize(("args", "parts"), [
    (("--task", "auto", "--dataset", "xor"), ("task = 'auto'", "--csv")),
    (("--task", "binary", "--csv", "CSV"), ("task = 'binary'", "auto, classification, regression")),
    (("--task", "classification", "--csv", "CSV"), ("task = 'classification'", "t.csv column 3 ('label') has 3")),
])
def test_cli_task_mistakes_are_one_line(tmp_path, args, parts):
    path = write(tmp_path, "a,b,label\n0,0,1\n0,1,2\n1,0,3\n")
    run = cli("train", *(str(path) if a == "CSV" else a for a in args), "--epochs", "1")
    assert run.returncode == 2 and run.stdout == ""
    assert len(run.stderr.splitlines()) == 1 and "Traceback" not in run.stderr
    for part in parts:
        assert part in run.stderr, run.stderr
