"""The headless CLI as a user runs it: real processes, exit codes, one-line errors, files on disk."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, timeout=120)


def _forward(weights, config, x):
    """The network's output computed here, by hand, from the exported JSON."""
    act = {"relu": lambda z: np.maximum(z, 0), "tanh": np.tanh, "linear": lambda z: z,
           "sigmoid": lambda z: 1 / (1 + np.exp(-z)), "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z)}
    W1, W2 = np.array(weights["W1"]), np.array(weights["W2"])
    b1 = np.array(weights["b1"]) if weights["b1"] is not None else 0.0
    b2 = np.array(weights["b2"]) if weights["b2"] is not None else 0.0
    hidden = act[config["activation"]](np.asarray(x) @ W1 + b1)
    return act[config["output"]](hidden @ W2 + b2)


def test_train_notebook_000_json():
    run = cli("train", "--preset", "notebook_000", "--json")
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["epochs"] == 1000 and result["updates"] == 1000
    assert result["train_loss"] == pytest.approx(9.54880085e-05, rel=1e-8)
    assert result["r2"] is None  # one point: R^2 is undefined, reported as null
    assert result["test_loss"] is None and result["diverged"] is False
    assert result["config"]["init"] == "ones" and result["config"]["lr"] == 0.01
    w = result["weights"]
    assert np.array(w["W1"]).shape == (2, 1) and np.array(w["W2"]).shape == (1, 1) and len(w["b2"]) == 1
    assert _forward(w, result["config"], [2.0, 2.0])[0] == pytest.approx(17.0, abs=0.01)


def test_zero_epochs_shows_the_initial_weights():
    result = json.loads(cli("train", "--preset", "notebook_001", "--epochs", "0", "--json").stdout)
    rng = np.random.RandomState(40)
    np.testing.assert_array_equal(result["weights"]["W1"], rng.random_sample((2, 4)))
    np.testing.assert_array_equal(result["weights"]["W2"], rng.random_sample((4, 1)))
    assert result["weights"]["b1"] is None and result["weights"]["b2"] is None
    assert result["epochs"] == 0 and result["updates"] == 0
    # the loss of the initial network: mean (p - y)^2 / 2 over the 4 rows, computed by hand
    X, y = np.array([[0, 0], [0, 1], [1, 0], [1, 1]]), np.array([[0], [1], [1], [0]])
    expected = np.mean((_forward(result["weights"], result["config"], X) - y) ** 2 / 2)
    assert result["train_loss"] == pytest.approx(expected, rel=1e-12)


def test_export_then_predict(tmp_path):
    path = tmp_path / "andor.json"
    run = cli("train", "--preset", "notebook_002", "--epochs", "300", "--export", str(path))
    assert run.returncode == 0, run.stderr
    assert f"weights written to {path}" in run.stdout
    saved = json.loads(path.read_text())
    assert saved["epochs"] == 300 and saved["dataset"] == "and_or"
    out = cli("predict", "--weights", str(path), "1", "1", "0")
    assert out.returncode == 0, out.stderr
    assert float(out.stdout) == pytest.approx(_forward(saved["weights"], saved["config"], [1, 1, 0])[0], rel=1e-9)


def test_init_weights_continue_training(tmp_path):
    path = tmp_path / "start.npz"
    assert cli("train", "--preset", "notebook_001", "--epochs", "5", "--export", str(path)).returncode == 0
    continued = json.loads(cli("train", "--preset", "notebook_001", "--epochs", "5", "--init-weights", str(path),
                               "--json").stdout)
    straight = json.loads(cli("train", "--preset", "notebook_001", "--epochs", "10", "--json").stdout)
    # sample mode has no random draws, so 5 + 5 epochs equal 10
    np.testing.assert_array_equal(continued["weights"]["W1"], straight["weights"]["W1"])


def test_trace_prints_one_line_per_update():
    run = cli("train", "--preset", "notebook_000", "--epochs", "3", "--trace")
    lines = [line for line in run.stdout.splitlines() if line.startswith("update ")]
    assert len(lines) == 3
    assert lines[0] == "update 1 epoch 1: loss 169 pred 4 y 17 | w1_11 1.52 w1_21 1.52 b1_1 0.26 w2_1 2.04 b2 0.26"
    assert lines[1].startswith("update 2 epoch 2: loss 14.48868096 pred 13.1936 y 17 | w1_11 1.83060224")


def test_target_loss_stops_early():
    result = json.loads(cli("train", "--preset", "notebook_000", "--target-loss", "0.01", "--json").stdout)
    assert result["epochs"] < 1000 and result["train_loss"] <= 0.01


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "--lr", "-1"], "lr = -1.0: must be a number > 0"),
        (["train", "--lr", "abc"], "argument --lr: invalid float value: 'abc'"),
        (["train", "--hidden", "0"], "hidden = 0: must be a whole number from 1 to 1024"),
        (["train", "--activation", "softmax"], "activation = 'softmax': must be one of leaky_relu, linear, relu"),
        (["train", "--dataset", "xor", "--output", "linear", "--loss", "bce"], "loss = 'bce': needs output 'sigmoid'"),
        (["train", "--dataset", "nope"], "dataset = 'nope': must be one of"),
        (["train", "--preset", "notebook_9"], "preset = 'notebook_9'"),
        (["train", "--export", "out.txt"], "must end in .npz or .json"),
        (["train", "--epochs", "-3"], "epochs = -3"),
        (["predict", "--weights", "missing.json", "1"], "no such file"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, message):
    run = cli(*args)
    assert run.returncode == 2
    assert message in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1 and "Traceback" not in run.stderr


def test_bad_csv_and_bad_weights_files(tmp_path):
    (tmp_path / "bad.csv").write_text("x1,x2,y\n0,1,1\n1,oops,0\n")
    run = cli("train", "--csv", str(tmp_path / "bad.csv"))
    assert run.returncode == 2 and "bad.csv line 3 column 2 = 'oops'" in run.stderr
    small = tmp_path / "small.json"
    assert cli("train", "--preset", "notebook_002", "--epochs", "1", "--export", str(small)).returncode == 0
    run = cli("train", "--dataset", "xor", "--init-weights", str(small))
    assert run.returncode == 2 and "has 3 inputs; the dataset has 2" in run.stderr
    run = cli("predict", "--weights", str(small), "1", "2")
    assert run.returncode == 2 and "the network takes 3 values, got 2" in run.stderr
    (tmp_path / "corrupt.npz").write_bytes(b"garbage")
    run = cli("predict", "--weights", str(tmp_path / "corrupt.npz"), "1", "2")
    assert run.returncode == 2 and "not a readable weights file" in run.stderr and "Traceback" not in run.stderr


def test_csv_training(tmp_path):
    rows = "\n".join(f"{a},{b},{int(a > b)}" for a, b in np.random.RandomState(0).rand(40, 2))
    (tmp_path / "d.csv").write_text("a,b,label\n" + rows + "\n")
    result = json.loads(cli("train", "--csv", str(tmp_path / "d.csv"), "--epochs", "200", "--json").stdout)
    assert result["dataset"] == "csv:d.csv" and result["accuracy"] >= 0.9


def test_divergence_exits_3_and_exports_last_finite_weights(tmp_path):
    path = tmp_path / "diverged.npz"
    run = cli("train", "--dataset", "xor", "--output", "linear", "--loss", "squared", "--activation", "linear",
              "--init", "ones", "--lr", "10", "--mode", "full", "--epochs", "100", "--export", str(path), "--json")
    assert run.returncode == 3
    assert "diverged at update" in run.stderr and "smaller learning rate" in run.stderr
    result = json.loads(run.stdout)
    assert result["diverged"] is True and result["epochs"] < 100
    with np.load(path) as saved:
        assert np.isfinite(saved["W1"]).all() and np.isfinite(saved["W2"]).all()
        np.testing.assert_array_equal(saved["W1"], result["weights"]["W1"])


@pytest.mark.parametrize("suffix", [".json", ".npz"])
def test_standardised_csv_weights_predict_from_raw_inputs(tmp_path, suffix):
    rng = np.random.RandomState(1)
    X = rng.uniform([100, -5], [300, 5], (60, 2))
    (tmp_path / "d.csv").write_text("\n".join(f"{a},{b},{a / 100 + b}" for a, b in X) + "\n")
    path = tmp_path / f"w{suffix}"
    run = cli("train", "--csv", str(tmp_path / "d.csv"), "--standardize", "--epochs", "50", "--export", str(path),
              "--json")
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    mean, std = X.mean(axis=0), X.std(axis=0)
    raw = [250.0, 1.5]
    expected = _forward(result["weights"], result["config"], (np.array(raw) - mean) / std)[0]
    out = cli("predict", "--weights", str(path), *map(str, raw))
    assert float(out.stdout) == pytest.approx(expected, rel=1e-9)
