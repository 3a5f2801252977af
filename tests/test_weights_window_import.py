"""The window's import of bad weights files: the error is shown in the window, the session is untouched."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from model.config import TrainConfig
from model.network import Params
from model.weights_io import save_weights

TIMEOUT = 10_000


def _trained_session(qtbot, window, tmp_path):
    """XOR trained 40 epochs and exported (so no question is asked before a new network): its drawn frame."""
    window.apply_dataset("xor")
    window.panel.max_epochs.setValue(40)
    with qtbot.waitSignal(window.controller.run_stopped, timeout=30_000):
        window.panel.train_button.click()
    qtbot.waitUntil(lambda: _frame_at(window, 40), timeout=TIMEOUT)
    assert window.files.export_weights(tmp_path / "session.npz")
    return window.drawn_frame()


def _frame_at(window, epoch):
    frame = window.drawn_frame()
    return frame is not None and frame.snapshot.epoch == epoch and not frame.running


def _frame_of_another_network(window, before):
    frame = window.drawn_frame()
    return frame is not None and frame.network != before.network


def _good_meta(**changes) -> dict:
    params = Params(2, 3, np.linspace(-1, 1, 13))
    meta = {"format": "perceptron-playground-weights", "version": 1, "config": TrainConfig(hidden=3).as_dict(),
            "dataset": "xor", "epochs": 7, "updates": 28, "metrics": {},
            "weights": {"W1": params.W1.tolist(), "b1": params.b1.tolist(), "W2": params.W2.tolist(),
                        "b2": params.b2.tolist()},
            "input_scaling": None}
    return {**meta, **changes}


def _npz_bytes(**arrays) -> bytes:
    buffer = io.BytesIO()
    meta = {k: v for k, v in _good_meta().items() if k not in ("weights", "input_scaling")}
    np.savez(buffer, meta=np.array(json.dumps(meta)), **arrays)
    return buffer.getvalue()


BAD_IMPORTS = [
    ("dataset.json", lambda: json.dumps(_good_meta(dataset=["xor"])).encode(), "dataset"),
    ("epochs.json", lambda: json.dumps(_good_meta(epochs="ten")).encode(), "epochs"),
    ("deep.json", lambda: b'{"weights": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "weights"),
    ("scaling.json", lambda: json.dumps(_good_meta(input_scaling={"mean": [0, 0], "std": [1, 0]})).encode(),
     "input_scaling"),
    ("empty.npz", lambda: b"", "weights"),
    ("complex.npz", lambda: _npz_bytes(W1=np.ones((2, 3)) * 1j, W2=np.ones((3, 1))), "W1"),
    ("three-inputs.json", lambda: json.dumps(_good_meta(dataset="csv:other.csv", weights={
        "W1": [[1.0] * 3] * 3, "b1": [0.0] * 3, "W2": [[1.0]] * 3, "b2": [0.0]})).encode(), "3 inputs"),
]


@pytest.mark.parametrize(("name", "make", "named"), BAD_IMPORTS, ids=[case[0] for case in BAD_IMPORTS])
def test_a_bad_file_shows_its_error_and_keeps_the_network(qtbot, window, tmp_path, name, make, named):
    before = _trained_session(qtbot, window, tmp_path)
    title, dataset_choice = window.windowTitle(), window.panel.dataset.currentData()
    path = tmp_path / name
    path.write_bytes(make())
    assert window.files.import_weights(path) is False
    message = window.message_bar.text()
    assert window.message_bar.kind == "error" and named in message and "\n" not in message
    window.refresh()
    after = window.drawn_frame()
    assert after.network == before.network and after.snapshot.epoch == 40
    np.testing.assert_array_equal(after.snapshot.theta, before.snapshot.theta)
    assert (window.windowTitle(), window.panel.dataset.currentData()) == (title, dataset_choice)
    assert window.panel.config() == before.snapshot.config


def test_a_folder_named_like_a_weights_file_shows_an_error(qtbot, window, tmp_path):
    before = _trained_session(qtbot, window, tmp_path)
    (tmp_path / "folder.json").mkdir()
    assert window.files.import_weights(tmp_path / "folder.json") is False
    assert "folder.json" in window.message_bar.text() and window.message_bar.kind == "error"
    window.refresh()
    assert window.drawn_frame().network == before.network


def test_several_bad_imports_in_a_row_then_a_good_one(qtbot, window, tmp_path):
    before = _trained_session(qtbot, window, tmp_path)
    for name, make, named in BAD_IMPORTS:
        (tmp_path / name).write_bytes(make())
        assert window.files.import_weights(tmp_path / name) is False
        assert named in window.message_bar.text()
    window.refresh()
    assert window.drawn_frame().network == before.network
    good = save_weights(tmp_path / "good.json", Params(2, 3, np.linspace(-1, 1, 13)), TrainConfig(hidden=3),
                        dataset="xor")
    assert window.files.import_weights(good)
    qtbot.waitUntil(lambda: _frame_of_another_network(window, before), timeout=TIMEOUT)
    np.testing.assert_array_equal(window.drawn_frame().snapshot.theta, np.linspace(-1, 1, 13))
    assert "Imported good.json" in window.message_bar.text()


def test_an_error_of_the_system_while_reading_is_shown_too(qtbot, window, tmp_path, monkeypatch):
    before = _trained_session(qtbot, window, tmp_path)

    def failing_disk(path):
        raise OSError(5, "Input/output error", str(path))

    monkeypatch.setattr("gui.files.load_weights", failing_disk)
    assert window.files.import_weights(tmp_path / "w.npz") is False
    assert window.message_bar.text() == f"weights = '{tmp_path / 'w.npz'}': cannot be read: Input/output error"
    window.refresh()
    assert window.drawn_frame().network == before.network
