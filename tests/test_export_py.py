"""Export as a standalone Python file: it reproduces the app's predictions, checks itself, needs only NumPy, and
is never read back."""

import ast
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from model.config import SettingError, TrainConfig
from model.datasets import load_csv
from model.export_py import sample_inputs
from model.functions import ACTIVATIONS, OUTPUTS
from model.generators import GeneratorSettings, generate
from model.network import NetworkSpec, Params, predict
from model.trainer import Trainer
from model.weights_io import load_weights, save_weights

ROOT = Path(__file__).resolve().parents[1]
TOLERANCE = 1e-12
# Run in a fresh interpreter: the file as a script (its self-check), then the top-level modules running it loaded
# (beyond those the interpreter started with, such as site hooks) that are not in the standard library.
RUN_AND_LIST_MODULES = ("import runpy, sys; started = set(sys.modules); "
                        "runpy.run_path(sys.argv[1], run_name='__main__'); "
                        "new = {m.split('.')[0] for m in set(sys.modules) - started}; "
                        "print(sorted(new - set(sys.stdlib_module_names)))")


def trained(config: TrainConfig, dataset, epochs: int = 20) -> Trainer:
    trainer = Trainer(config, dataset)
    trainer.run(epochs)
    return trainer


def export(trainer: Trainer, path: Path) -> Path:
    dataset = trainer.dataset
    return save_weights(path, trainer.params, trainer.config, dataset=dataset.name, epochs=trainer.epoch,
                        metrics=trainer.last_epoch, input_mean=dataset.input_mean, input_std=dataset.input_std,
                        sample_X=sample_inputs(dataset))


def imported(path: Path):
    spec = importlib.util.spec_from_file_location(f"exported_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def apps_outputs(trainer: Trainer, raw: np.ndarray) -> np.ndarray:
    """What the app computes for raw inputs: scaled as `main.py predict` scales them, then model.network.predict."""
    dataset = trainer.dataset
    X = raw if dataset.input_mean is None else (raw - dataset.input_mean) / dataset.input_std
    return predict(trainer.params, X, trainer.spec)[:, 0]


def assert_reproduces(module, trainer: Trainer, raw: np.ndarray) -> None:
    expected = apps_outputs(trainer, raw)
    got = module.predict(raw)
    assert got.shape == expected.shape
    assert np.all(np.abs(got - expected) <= TOLERANCE * np.maximum(1.0, np.abs(expected)))


def run_fresh(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", RUN_AND_LIST_MODULES, str(path)], capture_output=True, text=True,
                          cwd=path.parent, timeout=60)


def imported_names(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            names.add((node.module or "").split(".")[0])
    return names


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("output", OUTPUTS)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_the_file_reproduces_the_app_checks_itself_and_needs_only_numpy(tmp_path, activation, output, bias):
    loss = "bce" if output == "sigmoid" else "squared"
    dataset = generate("moons" if output == "sigmoid" else "plane", GeneratorSettings(samples=60))
    config = TrainConfig(hidden=3, activation=activation, output=output, loss=loss, lr=0.05, mode="full",
                         init="xavier", bias=bias, seed=4)
    trainer = trained(config, dataset)
    path = export(trainer, tmp_path / "net.py")
    module = imported(path)
    for name in ("W1", "W2") + (("b1", "b2") if bias else ()):  # the weights themselves, bit for bit
        assert getattr(module, name).tobytes() == getattr(trainer.params, name).tobytes()
    assert hasattr(module, "b1") == bias
    raw = np.random.RandomState(1).uniform(-8, 8, (500, 2))
    assert_reproduces(module, trainer, raw)
    assert imported_names(path) - set(sys.stdlib_module_names) == {"numpy"}
    run = run_fresh(path)
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].startswith("OK") and lines[-1] == "['numpy']"  # no part of the app was needed


def test_input_scaling_of_a_standardised_csv(tmp_path):
    rng = np.random.RandomState(2)
    X = rng.uniform([100, -0.01], [300, 0.01], (80, 2))
    (tmp_path / "d.csv").write_text("a,b,t\n" + "\n".join(f"{a!r},{b!r},{int(a / 100 + b * 200 > 2.5)}"
                                                          for a, b in X.tolist()) + "\n")
    dataset = load_csv(tmp_path / "d.csv", standardize=True)
    config = TrainConfig(hidden=4, activation="tanh", output="sigmoid", loss="bce", lr=0.5, mode="full",
                         init="xavier")
    trainer = trained(config, dataset, epochs=50)
    path = export(trainer, tmp_path / "scaled.py")
    module = imported(path)
    assert module.INPUT_MEAN.tobytes() == dataset.input_mean.tobytes()
    assert module.INPUT_STD.tobytes() == dataset.input_std.tobytes()
    raw = rng.uniform([50, -0.02], [350, 0.02], (300, 2))
    assert_reproduces(module, trainer, raw)
    # on the raw training rows the file gives what the app computed during training, on the scaled rows
    np.testing.assert_allclose(module.predict(X), predict(trainer.params, dataset.X, trainer.spec)[:, 0],
                               rtol=1e-9, atol=1e-12)
    assert run_fresh(path).stdout.startswith("OK")


@pytest.mark.parametrize("scaled", [False, True])
def test_without_given_inputs_the_check_uses_drawn_ones(tmp_path, scaled):
    params = Params(3, 2, np.random.RandomState(5).standard_normal(3 * 2 + 2 + 2 + 1))
    scaling = {"input_mean": np.array([10.0, -3.0, 0.0]), "input_std": np.array([2.0, 0.5, 1e-3])} if scaled else {}
    path = save_weights(tmp_path / "drawn.py", params, TrainConfig(hidden=2, activation="relu"), **scaling)
    run = run_fresh(path)
    assert run.returncode == 0 and run.stdout.startswith("OK: the 5 check outputs")


def test_a_file_whose_weights_changed_fails_its_check(tmp_path):
    """The self-check can fail: a weight edited in the file is caught, with exit status 1."""
    trainer = trained(TrainConfig(hidden=2, activation="tanh", output="linear", mode="full"), generate("plane"))
    path = export(trainer, tmp_path / "net.py")
    first = repr(float(trainer.params.W1[0, 0]))
    text = path.read_text()
    assert text.count(first) >= 1
    path.write_text(text.replace(first, repr(float(trainer.params.W1[0, 0]) * 1.001), 1))
    run = run_fresh(path)
    assert run.returncode == 1 and run.stdout.startswith("MISMATCH: ")


def test_a_python_file_is_never_read_back(tmp_path):
    path = save_weights(tmp_path / "net.py", Params(2, 1), TrainConfig(hidden=1))
    with pytest.raises(SettingError, match="is an exported Python file: the app never reads one back"):
        load_weights(path)


def cli(*args, cwd):
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120)


def test_cli_export_writes_the_python_file(tmp_path):
    run = cli("train", "--dataset", "moons", "--samples", "100", "--epochs", "30", "--export", "net.py", "--json",
              cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    module = imported(tmp_path / "net.py")
    weights = result["weights"]
    params = Params.from_arrays(weights["W1"], weights["b1"], weights["W2"], weights["b2"])
    config = TrainConfig(**{k: result["config"][k] for k in TrainConfig().as_dict()})
    raw = np.random.RandomState(3).uniform(-5, 5, (50, 2))
    expected = predict(params, raw, NetworkSpec.from_config(config))[:, 0]
    assert np.all(np.abs(module.predict(raw) - expected) <= TOLERANCE * np.maximum(1.0, np.abs(expected)))
    assert run_fresh(tmp_path / "net.py").stdout.startswith("OK")
    refused = cli("train", "--init-weights", "net.py", cwd=tmp_path)
    assert refused.returncode == 2 and "net.py': is an exported Python file" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
