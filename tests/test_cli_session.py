"""`train --session FILE`: created when missing, continued when present; 2N epochs in one go equal N, save, open,
N more, bit for bit, in every update mode; a saved session's data and network cannot be changed by options."""

from __future__ import annotations

import numpy as np
import pytest

from model.cli import EXIT_BAD_INPUT, EXIT_OK, run_cli
from model.generators import GeneratorSettings, generate
from model.presets import DATASET_DEFAULTS
from model.session import load_session
from model.trainer import Trainer

MODES = [("sample", 1), ("random_sample", 1), ("minibatch", 3), ("full", 32)]


@pytest.mark.parametrize("mode, batch", MODES)
def test_n_then_n_more_through_a_session_equals_2n_in_one_go(tmp_path, capsys, mode, batch):
    path = tmp_path / f"{mode}.session.npz"
    options = ["train", "--dataset", "moons", "--samples", "60", "--mode", mode, "--batch-size", str(batch),
               "--session", str(path), "--json"]
    assert run_cli([*options, "--epochs", "7"]) == EXIT_OK
    assert run_cli(["train", "--session", str(path), "--epochs", "8", "--json"]) == EXIT_OK
    capsys.readouterr()
    continued = load_session(path).trainer
    config = DATASET_DEFAULTS["moons"][0].replace(mode=mode, batch_size=batch)
    dataset = generate("moons", GeneratorSettings(samples=60))
    straight = Trainer(config, dataset)
    straight.prepare_compiled()
    straight.run(15)
    assert continued.epoch == 15 and continued.updates == straight.updates
    np.testing.assert_array_equal(continued.params.theta, straight.params.theta)
    np.testing.assert_array_equal(continued.history.view()["params"], straight.history.view()["params"])


def test_a_saved_sessions_data_and_network_cannot_be_changed(tmp_path, capsys):
    path = tmp_path / "run.session.npz"
    assert run_cli(["train", "--dataset", "xor", "--epochs", "3", "--session", str(path)]) == EXIT_OK
    capsys.readouterr()
    assert run_cli(["train", "--session", str(path), "--hidden", "9", "--epochs", "1"]) == EXIT_BAD_INPUT
    error = capsys.readouterr().err.strip()
    assert error.startswith("error: hidden = 9: cannot change a saved session") and "\n" not in error
    assert load_session(path).trainer.epoch == 3  # untouched
    assert run_cli(["train", "--session", str(tmp_path / "run.npz"), "--epochs", "1"]) == EXIT_BAD_INPUT
    assert "must end in .session.npz" in capsys.readouterr().err
    (tmp_path / "junk.session.npz").write_bytes(b"junk")
    assert run_cli(["train", "--session", str(tmp_path / "junk.session.npz"), "--epochs", "1"]) == EXIT_BAD_INPUT
    assert capsys.readouterr().err.count("\n") == 1
