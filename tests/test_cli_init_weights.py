"""``train --init-weights`` continues the same network: the file's settings, dataset and input scaling, unless
the command line names others, and then one note on stderr says what differs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
FILE_SETTINGS = ["--dataset", "xor", "--hidden", "5", "--activation", "relu", "--output", "sigmoid", "--loss", "bce",
                 "--lr", "0.3", "--mode", "minibatch", "--batch-size", "3", "--l2", "0.001", "--seed", "3",
                 "--no-bias"]


def cli(*args):
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


def train_json(*args, note=False):
    run = cli("train", *args, "--json")
    assert run.returncode == 0, run.stderr
    if not note:
        assert run.stderr == ""
    return json.loads(run.stdout), run.stderr


@pytest.fixture
def exported(tmp_path):
    path = tmp_path / "weights.json"
    run = cli("train", *FILE_SETTINGS, "--epochs", "30", "--export", path)
    assert run.returncode == 0, run.stderr
    return path


def test_the_files_settings_and_dataset_are_used_with_no_note(exported):
    result, _ = train_json("--init-weights", exported, "--epochs", "0")
    saved = json.loads(exported.read_text())
    assert result["dataset"] == "xor"
    config = {k: result["config"][k] for k in saved["config"]}
    assert config == saved["config"]
    assert (config["activation"], config["hidden"], config["lr"], config["mode"], config["bias"]) == (
        "relu", 5, 0.3, "minibatch", False)
    assert result["weights"]["W1"] == saved["weights"]["W1"] and result["weights"]["b1"] is None


def test_continuing_equals_training_straight_through(exported, tmp_path):
    """30 epochs exported, then 20 more from the file with no settings given, equal 50 in one run (the
    minibatch order comes from the seed again, so compare a full-batch run: no random draws after the init)."""
    first = tmp_path / "first.json"
    settings = ["--dataset", "and_or", "--activation", "sigmoid", "--lr", "0.7", "--mode", "full", "--hidden", "6"]
    assert cli("train", *settings, "--epochs", "30", "--export", first).returncode == 0
    continued, _ = train_json("--init-weights", first, "--epochs", "20")
    straight, _ = train_json(*settings, "--epochs", "50")
    np.testing.assert_array_equal(continued["weights"]["W1"], straight["weights"]["W1"])
    np.testing.assert_array_equal(continued["weights"]["W2"], straight["weights"]["W2"])
    assert continued["train_loss"] == straight["train_loss"]


def test_a_setting_given_on_the_command_line_wins_and_is_noted(exported):
    result, note = train_json("--init-weights", exported, "--lr", "0.05", "--epochs", "0", note=True)
    assert result["config"]["lr"] == 0.05 and result["config"]["activation"] == "relu"
    assert note.count("\n") == 1 and note.startswith("note: weights.json was trained with lr 0.3; ")
    assert "training with lr 0.05" in note


def test_another_dataset_is_noted_and_training_goes_on(exported):
    result, note = train_json("--init-weights", exported, "--dataset", "two_points", "--epochs", "3", note=True)
    assert result["dataset"] == "two_points" and result["epochs"] == 3
    assert result["config"]["activation"] == "relu" and result["config"]["hidden"] == 5
    assert note == "note: weights.json was trained on xor; training on two_points\n"


def test_a_preset_names_every_setting(tmp_path):
    path = tmp_path / "nb1.npz"
    assert cli("train", "--preset", "notebook_001", "--epochs", "5", "--lr", "0.002", "--export", path).returncode == 0
    result, note = train_json("--preset", "notebook_001", "--init-weights", path, "--epochs", "0", note=True)
    assert result["config"]["lr"] == 0.001
    assert note.strip() == "note: nb1.npz was trained with lr 0.002; training with lr 0.001"


def test_a_different_hidden_size_is_refused(exported):
    run = cli("train", "--init-weights", exported, "--hidden", "4")
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.startswith("error: hidden = 4: ") and "5 hidden units" in run.stderr
    assert len(run.stderr.splitlines()) == 1


def _csv(path, X, y):
    rows = (f"{float(a)!r},{float(b)!r},{float(t)!r}\n" for (a, b), t in zip(X, y, strict=True))
    path.write_text("a,b,y\n" + "".join(rows))
    return path


def test_a_standardised_files_scaling_is_kept_on_new_data(tmp_path):
    rng = np.random.RandomState(4)
    X1 = rng.uniform([100, -5], [300, 5], (50, 2))
    X2 = rng.uniform([0, 10], [50, 20], (30, 2))  # other means and spreads
    first = _csv(tmp_path / "first.csv", X1, X1[:, 0] / 100 + X1[:, 1])
    second = _csv(tmp_path / "second.csv", X2, X2[:, 0] / 100 + X2[:, 1])
    w1, w2 = tmp_path / "w1.json", tmp_path / "w2.npz"
    assert cli("train", "--csv", first, "--standardize", "--epochs", "20", "--export", w1).returncode == 0
    result, note = train_json("--csv", second, "--init-weights", w1, "--epochs", "0", "--export", w2, note=True)
    assert note == "note: w1.json was trained on csv:first.csv; training on csv:second.csv\n"
    saved = json.loads(w1.read_text())
    mean, std = np.array(saved["input_scaling"]["mean"]), np.array(saved["input_scaling"]["std"])
    np.testing.assert_allclose(mean, X1.mean(axis=0), rtol=1e-12)
    # the loss of the file's network on the new data, behind the file's scaling, computed here
    weights = saved["weights"]
    hidden = np.tanh((X2 - mean) / std @ np.array(weights["W1"]) + weights["b1"])
    output = hidden @ np.array(weights["W2"]) + weights["b2"]
    expected = np.mean((output[:, 0] - (X2[:, 0] / 100 + X2[:, 1])) ** 2)
    assert result["train_loss"] == pytest.approx(expected, rel=1e-9)
    with np.load(w2) as again:  # the continued network carries the same scaling
        np.testing.assert_array_equal(again["input_mean"], mean)
        np.testing.assert_array_equal(again["input_std"], std)


def test_a_file_trained_on_a_csv_needs_its_data_named(tmp_path):
    data = _csv(tmp_path / "d.csv", [[1.0, 2.0], [2.0, 1.0], [3.0, 3.0]], [0.0, 1.0, 1.0])
    path = tmp_path / "w.json"
    assert cli("train", "--csv", data, "--epochs", "2", "--export", path).returncode == 0
    run = cli("train", "--init-weights", path)
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.startswith(f"error: init-weights = '{path}': was trained on csv:d.csv")
    assert "--csv" in run.stderr and len(run.stderr.splitlines()) == 1
