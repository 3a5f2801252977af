"""The CLI on generated datasets: the drawing options, their one-line refusals, --help, and a file that keeps how
its data was drawn."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from model.config import TrainConfig
from model.generators import GENERATORS, GeneratorSettings, generate
from model.network import NetworkSpec, Params, predict
from model.trainer import Trainer

ROOT = Path(__file__).resolve().parents[1]
MOONS = ["--dataset", "moons", "--samples", "400", "--noise", "0.2", "--test-ratio", "0.3", "--data-seed", "5"]


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *map(str, args)], capture_output=True, text=True,
                          cwd=cwd or ROOT, timeout=120)


def config_of(result: dict) -> TrainConfig:
    return TrainConfig(**{key: result["config"][key] for key in TrainConfig().as_dict()})


def one_line_error(run, *parts):
    assert run.returncode == 2, run.stdout + run.stderr
    assert len(run.stderr.strip().splitlines()) == 1 and "Traceback" not in run.stderr
    for part in parts:
        assert part in run.stderr


def test_train_on_moons_end_to_end():
    run = cli("train", *MOONS, "--epochs", "5", "--json")
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    settings = GeneratorSettings(samples=400, noise=0.2, test_ratio=0.3, data_seed=5)
    assert result["dataset"] == "moons" and result["epochs"] == 5
    assert result["config"]["generator"] == {"samples": 400, "noise": 0.2, "test_ratio": 0.3, "data_seed": 5}
    # the same run here, on the data drawn here, ends with the same weights and numbers (the CLI may take the
    # compiled loop, which agrees with NumPy's to 1e-12, not in bits)
    trainer = Trainer(config_of(result), generate("moons", settings))
    trainer.run(5)
    np.testing.assert_allclose(result["weights"]["W1"], trainer.params.W1, rtol=1e-12, atol=1e-12)
    assert result["test_loss"] == pytest.approx(trainer.last_epoch["test_loss"], rel=1e-12)
    assert (result["accuracy"], result["test_accuracy"]) == (trainer.last_epoch["metric"],
                                                             trainer.last_epoch["test_metric"])


@pytest.mark.parametrize(("args", "parts"), [
    (["--dataset", "moons", "--samples", "5"], ["samples = 5: must be a whole number from 10 to 1000000"]),
    (["--dataset", "moons", "--noise", "1.5"], ["noise = 1.5: must be a number from 0 to 1"]),
    (["--dataset", "spiral", "--test-ratio", "0.95"], ["test_ratio = 0.95: must be a number from 0.1 to 0.9"]),
    (["--dataset", "circle", "--data-seed", "-1"], ["data_seed = -1: must be a whole number from 0 to 2147483647"]),
    (["--dataset", "moons", "--noise", "lots"], ["argument --noise: invalid float value: 'lots'"]),
    (["--dataset", "xor", "--samples", "400"], ["samples = 400: applies to the generated datasets only", "not to xor"]),
    (["--preset", "notebook_003", "--noise", "0.2"], ["noise = 0.2: applies to the generated", "not to product"]),
    (["--csv", "x.csv", "--test-ratio", "0.5"], ["test-ratio = 0.5: applies to the generated", "not to CSV data"]),
    (["--dataset", "torus"], ["dataset = 'torus': must be one of single_point,", "circle, gaussians"]),
])
def test_bad_drawing_options_are_one_line_and_exit_2(args, parts):
    one_line_error(cli("train", *args, "--epochs", "0"), *parts)


def test_help_lists_every_dataset_with_its_description():
    text = cli("train", "--help").stdout
    for option in ("--samples", "--noise", "--test-ratio", "--data-seed"):
        assert option in text
    listed = text[text.index("datasets (--dataset NAME):"):]
    for name, generator in GENERATORS.items():
        line = next(line for line in listed.splitlines() if line.strip().startswith(name + " "))
        assert generator.description.split(";")[0][:40] in line
    for name in ("single_point", "xor", "and_or", "product", "two_points"):
        assert f"\n  {name} " in listed


def test_a_file_trained_on_generated_data_continues_on_the_same_points(tmp_path):
    path = tmp_path / "moons.npz"
    assert cli("train", *MOONS, "--epochs", "3", "--export", path).returncode == 0
    continued = cli("train", "--init-weights", path, "--epochs", "0", "--json")
    assert continued.returncode == 0 and continued.stderr == ""  # the same data: nothing to note
    assert json.loads(continued.stdout)["config"]["generator"]["samples"] == 400
    changed = cli("train", "--init-weights", path, "--epochs", "0", "--noise", "0.3", "--json")
    assert changed.returncode == 0
    assert changed.stderr.strip() == ("note: moons.npz was trained on points drawn with noise 0.2; training on points "
                                      "drawn with noise 0.3")


def test_the_initial_loss_is_the_one_of_the_drawn_test_set():
    """--epochs 0 evaluates the initial network on the data drawn with the options: computed here by hand."""
    result = json.loads(cli("train", "--dataset", "plane", "--samples", "50", "--noise", "0.5", "--data-seed", "9",
                            "--epochs", "0", "--json").stdout)
    data = generate("plane", GeneratorSettings(samples=50, noise=0.5, data_seed=9))
    w = result["weights"]
    params = Params.from_arrays(w["W1"], w["b1"], w["W2"], w["b2"])
    p = predict(params, data.X_test, NetworkSpec.from_config(config_of(result)))
    assert result["test_loss"] == pytest.approx(float(np.mean((p - data.y_test) ** 2)), rel=1e-12)
