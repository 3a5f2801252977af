"""Weights export/import round trips exactly; bad files and CSVs give one-line errors naming the problem."""

import json
import os

import numpy as np
import pytest

from model import datasets, weights_io
from model.config import SettingError, TrainConfig
from model.datasets import load_csv
from model.generators import GeneratorSettings
from model.network import Params, param_names
from model.trainer import Trainer
from model.weights_io import history_csv_text, load_weights, save_weights


def _awkward_params(d=3, h=5, seed=0):
    rng = np.random.RandomState(seed)
    theta = rng.standard_normal(d * h + 2 * h + 1) * 10.0 ** rng.randint(-300, 300, d * h + 2 * h + 1)
    theta[0], theta[1] = 0.1 + 0.2, -0.0  # values whose decimal form is not short
    return Params(d, h, theta)


@pytest.mark.parametrize("suffix", [".npz", ".json"])
@pytest.mark.parametrize("bias", [True, False])
def test_round_trip_is_exact(tmp_path, suffix, bias):
    params = _awkward_params()
    if not bias:
        params.b1[...] = 0.0
        params.b2[...] = 0.0
    config = TrainConfig(hidden=5, activation="tanh", lr=0.123, bias=bias, seed=9)
    path = save_weights(tmp_path / f"w{suffix}", params, config, dataset="and_or", epochs=12, updates=48,
                        metrics={"train_loss": 0.5, "test_loss": float("nan")})
    loaded = load_weights(path)
    assert loaded.params.theta.tobytes() == params.theta.tobytes()  # bit for bit, signs of zero included
    assert loaded.config == config
    assert (loaded.dataset, loaded.epochs, loaded.updates) == ("and_or", 12, 48)
    assert loaded.metrics == {"train_loss": 0.5, "test_loss": None}
    if suffix == ".json":
        weights = json.loads(path.read_text())["weights"]
        assert (weights["b1"] is None) == (not bias)
        assert np.array(weights["W1"]).shape == (3, 5) and np.array(weights["W2"]).shape == (5, 1)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left behind


def test_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "w.json"
    config = TrainConfig(hidden=5)
    save_weights(path, _awkward_params(seed=1), config)
    before = path.read_bytes()

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(weights_io.os, "replace", broken_replace)
    with pytest.raises(SettingError, match=f"export = '{path}': cannot be written: No space left on device"):
        save_weights(path, _awkward_params(seed=2), config)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["w.json"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not json at all", "is not a readable weights file"),
        (b'{"format": "something else"}', "is not a perceptron-playground-weights file"),
        (b'{"format": "perceptron-playground-weights", "version": 99}', "version = 99: this app reads format"),
    ],
)
def test_corrupt_files_are_refused(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(SettingError, match=message):
        load_weights(path)


def test_corrupt_npz_and_missing_file(tmp_path):
    path = tmp_path / "bad.npz"
    path.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(SettingError, match="not a readable weights file"):
        load_weights(path)
    with pytest.raises(SettingError, match="no such file"):
        load_weights(tmp_path / "missing.npz")
    with pytest.raises(SettingError, match=r"must end in \.npz or \.json"):
        load_weights(tmp_path / "w.txt")


def test_wrong_shapes_are_refused(tmp_path):
    path = save_weights(tmp_path / "w.json", _awkward_params(), TrainConfig(hidden=5))
    data = json.loads(path.read_text())
    data["weights"]["W2"] = [[1.0], [2.0]]
    path.write_text(json.dumps(data))
    with pytest.raises(SettingError, match=r"weights W2 = \(2, 1\): must have shape \(5, 1\)"):
        load_weights(path)
    data["weights"]["W2"] = [[1.0]] * 5
    data["weights"]["W1"][0][0] = None
    path.write_text(json.dumps(data))
    with pytest.raises(SettingError):
        load_weights(path)


def _csv(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_csv_with_header_and_standardisation(tmp_path):
    path = _csv(tmp_path, "a,b,label\n1,10,0\n2,20,1\n3,30,1\n")
    data = load_csv(path)
    assert data.feature_names == ("a", "b") and data.task == "classification"
    np.testing.assert_array_equal(data.X, [[1, 10], [2, 20], [3, 30]])
    np.testing.assert_array_equal(data.y[:, 0], [0, 1, 1])
    scaled = load_csv(path, standardize=True)
    np.testing.assert_allclose(scaled.X.mean(axis=0), 0, atol=1e-15)
    np.testing.assert_allclose(scaled.X.std(axis=0), 1, rtol=1e-15)
    np.testing.assert_allclose(scaled.X * scaled.input_std + scaled.input_mean, data.X, rtol=1e-15)


def test_csv_without_header_is_regression_when_targets_are_not_0_1(tmp_path):
    data = load_csv(_csv(tmp_path, "0.5,1.5\n0.25,2.5\n"))
    assert data.task == "regression" and data.feature_names == ("x1",)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x,y\n1,2\n3,abc\n", "data.csv line 3 column 2 = 'abc': must be a finite number"),
        ("1,2\n3,\n", "data.csv line 2 column 2 = '': must be a finite number"),
        ("1,2\n3,4,5\n", "data.csv line 2 = '3,4,5': has 3 cells; expected 2"),
        ("x,y\n", "has no data rows"),
        ("1\n2\n", "needs at least 2 columns"),
    ],
)
def test_csv_errors_name_line_and_column(tmp_path, text, message):
    with pytest.raises(SettingError) as error:
        load_csv(_csv(tmp_path, text))
    assert message in str(error.value)
    assert "\n" not in str(error.value)


# --- generated datasets in weights files ------------------------------------------------------------------
@pytest.mark.parametrize("suffix", [".npz", ".json"])
def test_the_generator_settings_round_trip(tmp_path, suffix):
    settings = GeneratorSettings(samples=321, noise=0.25, test_ratio=0.4, data_seed=77)
    path = save_weights(tmp_path / f"w{suffix}", _awkward_params(), TrainConfig(hidden=5), dataset="moons",
                        generator=settings)
    assert load_weights(path).generator == settings
    plain = save_weights(tmp_path / f"plain{suffix}", _awkward_params(), TrainConfig(hidden=5), dataset="xor")
    assert load_weights(plain).generator is None


@pytest.mark.parametrize(("generator", "message"), [
    ({"samples": 5}, "weights generator samples = 5: must be a whole number from 10 to 1000000 (in w.json)"),
    ({"noise": "lots"}, "weights generator noise = 'lots': must be a number from 0 to 1"),
    ({"colour": 1}, "weights generator = {'colour': 1}: must be an object of samples, noise, test_ratio, data_seed"),
    ([1, 2], "weights generator = [1, 2]: must be an object of"),
])
def test_bad_generator_settings_in_a_file_are_refused(tmp_path, generator, message):
    path = save_weights(tmp_path / "w.json", _awkward_params(), TrainConfig(hidden=5), dataset="moons")
    data = json.loads(path.read_text())
    data["generator"] = generator
    path.write_text(json.dumps(data))
    with pytest.raises(SettingError) as caught:
        load_weights(path)
    assert str(caught.value).startswith(message)


# --- the loss history as CSV ------------------------------------------------------------------------------
def _parsed(text: str) -> tuple[list[str], list[list[str]]]:
    header, *rows = [line.split(",") for line in text.splitlines()]
    return header, rows


def _column(rows, index) -> np.ndarray:
    return np.array([float(row[index]) if row[index] else np.nan for row in rows])


@pytest.mark.parametrize("columns", [None, slice(2, 7)])
def test_history_csv_carries_every_recorded_column_exactly(columns):
    trainer = Trainer(TrainConfig(hidden=3, activation="tanh", output="sigmoid", loss="bce", lr=0.5, mode="full",
                                  init="xavier"), datasets.and_or())
    trainer.run(40)
    history = trainer.snapshot(columns).history
    names = param_names(3, 3)[columns or slice(None)]
    header, rows = _parsed(history_csv_text(history, names, classification=True))
    assert header == ["epoch", "train_loss", "test_loss", "train_accuracy", "test_accuracy", *names]
    assert len(rows) == len(history["epoch"]) and all(len(row) == len(header) for row in rows)
    assert [int(row[0]) for row in rows] == history["epoch"].tolist()
    for index, key in enumerate(("train_loss", "test_loss", "metric", "test_metric"), start=1):
        assert _column(rows, index).tobytes() == history[key].tobytes()  # repr reads back to the same bits
    for index in range(len(names)):
        assert _column(rows, 5 + index).tobytes() == history["params"][:, index].tobytes()


def test_history_csv_without_a_test_set_leaves_the_test_columns_out():
    X = np.random.RandomState(0).uniform(-1, 1, (30, 2))
    data = datasets.make_dataset("line", X, X @ [2.0, -1.0])
    trainer = Trainer(TrainConfig(hidden=2, lr=0.05, mode="full"), data)
    trainer.run(5)
    history = trainer.snapshot().history
    header, rows = _parsed(history_csv_text(history, param_names(2, 2), classification=False))
    assert header == ["epoch", "train_loss", "train_r2", *param_names(2, 2)]
    assert _column(rows, 2).tobytes() == history["metric"].tobytes()


def test_history_csv_names_must_match_the_recorded_columns():
    trainer = Trainer(TrainConfig(hidden=2), datasets.xor())
    with pytest.raises(ValueError, match="3 parameter names for 9 recorded parameter columns"):
        history_csv_text(trainer.snapshot().history, ["a", "b", "c"], classification=True)


def test_history_csv_keeps_a_train_column_with_missing_numbers_as_empty_cells():
    """R^2 of constant targets is undefined: its cells are empty, the column stays."""
    X = np.random.RandomState(1).uniform(-1, 1, (20, 2))
    trainer = Trainer(TrainConfig(hidden=2, lr=0.05, mode="full"), datasets.make_dataset("flat", X, np.full(20, 3.0)))
    trainer.run(3)
    history = trainer.snapshot().history
    assert np.isnan(history["metric"]).all()
    header, rows = _parsed(history_csv_text(history, param_names(2, 2), classification=False))
    assert header[:3] == ["epoch", "train_loss", "train_r2"] and all(row[2] == "" for row in rows)
