"""Drawing on a dataset (model/drawing.py): points added and removed as new datasets, the original untouched; the
nearest point checked against a brute-force search; bad targets and non-2-input datasets refused; the CSV text
read back by the app's own loader."""

from __future__ import annotations

import math

import numpy as np
import pytest

from model.config import SettingError
from model.datasets import and_or, load_csv, make_dataset, product, xor
from model.drawing import dataset_csv_text, edited_name, with_point, without_nearest


def all_rows(dataset):
    """(X, y) of the training rows then the test rows."""
    if not dataset.has_test:
        return dataset.X, dataset.y
    return np.vstack([dataset.X, dataset.X_test]), np.vstack([dataset.y, dataset.y_test])


def brute_force_nearest(rows, x):
    """The index of the row nearest to x, by a plain loop (the first on a tie)."""
    best, best_distance = None, math.inf
    for index, (a, b) in enumerate(rows):
        distance = math.sqrt((a - x[0]) ** 2 + (b - x[1]) ** 2)
        if distance < best_distance:
            best, best_distance = index, distance
    return best, best_distance


def test_a_point_is_appended_to_a_new_dataset_and_the_original_is_kept():
    data = xor()
    drawn = with_point(data, (0.25, 0.75), 1)
    np.testing.assert_array_equal(drawn.X, [[0, 0], [0, 1], [1, 0], [1, 1], [0.25, 0.75]])
    np.testing.assert_array_equal(drawn.y, [[0], [1], [1], [0], [1]])
    assert (drawn.task, drawn.feature_names, drawn.has_test) == ("classification", ("x1", "x2"), False)
    assert drawn.name == "xor (edited)"
    again = with_point(drawn, [0.5, 0.5], 0.0)
    assert again.name == "xor (edited)"  # not "(edited) (edited)"
    np.testing.assert_array_equal(again.y[-2:], [[1], [0]])
    assert len(data.X) == 4 and not data.X.flags.writeable and not drawn.X.flags.writeable


def test_a_regression_point_keeps_the_test_split_and_may_go_to_it():
    data = product(n=20, n_test=5)
    drawn = with_point(data, (0.5, 0.5), -3.25)
    assert drawn.task == "regression"
    np.testing.assert_array_equal(drawn.X, np.vstack([data.X, [[0.5, 0.5]]]))
    np.testing.assert_array_equal(drawn.y[:, 0], [*data.y[:, 0], -3.25])
    np.testing.assert_array_equal(drawn.X_test, data.X_test)
    np.testing.assert_array_equal(drawn.y_test, data.y_test)
    to_test = with_point(data, (0.1, 0.2), 7.0, split="test")
    np.testing.assert_array_equal(to_test.X, data.X)
    np.testing.assert_array_equal(to_test.X_test[-1], [0.1, 0.2])
    assert to_test.y_test[-1, 0] == 7.0 and len(to_test.X_test) == 6
    # a dataset with no test split gets one
    first_test = with_point(xor(), (2.0, 2.0), 0, split="test")
    np.testing.assert_array_equal(first_test.X_test, [[2.0, 2.0]])
    np.testing.assert_array_equal(first_test.y_test, [[0.0]])


def test_a_regression_stays_one_when_its_targets_become_all_0_and_1():
    data = make_dataset("r", [[0, 0], [1, 1]], [0.0, 0.5])
    assert data.task == "regression"
    removed, _ = without_nearest(data, (1, 1))
    assert removed.task == "regression" and removed.y.ravel().tolist() == [0.0]


def test_class_values_input_scaling_and_names_are_kept(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,b,label\n0,1,5\n1,0,7\n2,2,7\n")
    data = load_csv(path, standardize=True, task="classification")
    drawn = with_point(data, (0.0, 0.0), 0)
    assert drawn.class_values == (5.0, 7.0) and drawn.task_chosen == "classification"
    assert drawn.feature_names == ("a", "b")
    np.testing.assert_array_equal(drawn.input_mean, data.input_mean)
    np.testing.assert_array_equal(drawn.input_std, data.input_std)
    assert drawn.y.ravel().tolist() == [0.0, 1.0, 1.0, 0.0]


@pytest.mark.parametrize("seed", range(5))
def test_the_nearest_row_over_train_and_test_is_removed(seed):
    rng = np.random.RandomState(seed)
    data = make_dataset("r", rng.randn(30, 2), rng.randn(30), rng.randn(10, 2), rng.randn(10))
    x = rng.randn(2)
    X, y = all_rows(data)
    expected, _ = brute_force_nearest(X.tolist(), x.tolist())
    removed, index = without_nearest(data, x)
    assert index == expected
    X_left, y_left = all_rows(removed)
    np.testing.assert_array_equal(X_left, np.delete(X, expected, axis=0))
    np.testing.assert_array_equal(y_left, np.delete(y, expected, axis=0))
    # the split of each remaining row is kept
    assert len(removed.X) + len(removed.X_test) == 39
    assert len(removed.X) == 30 - (expected < 30)


def test_within_limits_the_distance_and_the_last_rows():
    data = and_or()
    with pytest.raises(SettingError, match="3 inputs"):
        without_nearest(data, (0, 0))
    data = make_dataset("r", [[0, 0], [3, 4]], [0, 1], [[10, 10]], [1])
    same, index = without_nearest(data, (0, 4.9), within=4.0)  # (3, 4) is 3.16 away, (0, 0) 4.9
    assert index == 1 and len(same.X) == 1
    unchanged, none = without_nearest(data, (-3, -3), within=4.0)  # (0, 0) is 4.24 away
    assert unchanged is data and none is None
    no_test, index = without_nearest(data, (9, 9))
    assert index == 2 and not no_test.has_test
    only, _ = without_nearest(no_test, (0, 0))
    with pytest.raises(SettingError, match="only training row"):
        without_nearest(only, (3, 4))


@pytest.mark.parametrize("target", [0.5, 2.0, -1.0, math.nan])
def test_a_classification_target_must_be_0_or_1(target):
    with pytest.raises(SettingError, match="0 or 1") as error:
        with_point(xor(), (0, 0), target)
    assert error.value.field == "target"


@pytest.mark.parametrize("target", [math.nan, math.inf, -math.inf, 1e200])
def test_a_regression_target_must_be_finite(target):
    with pytest.raises(SettingError, match="finite") as error:
        with_point(product(n=5, n_test=2), (0, 0), target)
    assert error.value.field == "target"


def test_bad_points_splits_and_3_input_datasets_are_refused():
    for x in [(0, math.nan), (0, math.inf), (0, 0, 0), (1,)]:
        with pytest.raises(SettingError) as error:
            with_point(xor(), x, 1)
        assert error.value.field == "point"
    with pytest.raises(SettingError) as error:
        with_point(xor(), (0, 0), 1, split="validation")
    assert error.value.field == "split"
    with pytest.raises(SettingError, match="3 inputs") as error:
        with_point(and_or(), (0, 0), 1)
    assert error.value.field == "dataset"


def test_edited_names():
    assert edited_name("xor") == "xor (edited)"
    assert edited_name("xor (edited)") == "xor (edited)"


def read_back(tmp_path, dataset, **options):
    path = tmp_path / "drawn.csv"
    path.write_text(dataset_csv_text(dataset))
    return load_csv(path, **options)


def test_the_csv_text_reads_back_as_the_same_arrays(tmp_path):
    rng = np.random.RandomState(4)
    awkward = np.array([[0.1, -0.0], [1e-300, 123456789.123456789], [1 / 3, -2 / 7], [5e149, -1e-5]])
    data = make_dataset("r", awkward, rng.randn(4) * 1e10, rng.randn(3, 2), [1 / 3, 2.5e-17, -7.0])
    drawn = with_point(data, (2 / 3, math.pi), math.e)
    loaded = read_back(tmp_path, drawn)
    X, y = all_rows(drawn)
    np.testing.assert_array_equal(loaded.X, X)  # bit for bit: repr is exact
    np.testing.assert_array_equal(loaded.y, y)
    assert loaded.task == "regression" and not loaded.has_test  # the loader has no split: all rows train
    assert loaded.feature_names == ("x1", "x2")


def test_the_csv_text_has_a_header_and_class_values(tmp_path):
    text = dataset_csv_text(with_point(xor(), (0.5, 0.25), 1))
    assert text.splitlines() == ["x1,x2,y", "0.0,0.0,0.0", "0.0,1.0,1.0", "1.0,0.0,1.0", "1.0,1.0,0.0",
                                 "0.5,0.25,1.0"]
    source = tmp_path / "d.csv"
    source.write_text('"a, first",b,label\n0,1,5\n1,0,7\n')
    data = load_csv(source, task="classification")
    drawn = with_point(data, (3, 3), 0)
    assert dataset_csv_text(drawn).splitlines()[1:] == ["0.0,1.0,5.0", "1.0,0.0,7.0", "3.0,3.0,5.0"]
    loaded = read_back(tmp_path, drawn, task=drawn.task_chosen)
    assert loaded.feature_names == ("a, first", "b") and loaded.class_values == (5.0, 7.0)
    np.testing.assert_array_equal(loaded.X, drawn.X)
    np.testing.assert_array_equal(loaded.y, drawn.y)
