"""Generated datasets in the window: the dataset list, their samples / noise / test share / seed fields, Regenerate,
and weights files that bring back the same points; and the standalone Python export from the window."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
from test_gui_window import TIMEOUT, frame_where

from model.generators import GENERATORS, GeneratorSettings, generate


def choose_dataset(window, key):
    panel = window.panel
    index = panel.dataset.findData(key)
    assert index >= 0, key
    panel.dataset.setCurrentIndex(index)
    panel.dataset.activated.emit(index)


def same_points(a, b) -> bool:
    return all(np.array_equal(getattr(a, name), getattr(b, name)) for name in ("X", "y", "X_test", "y_test"))


def test_every_generator_is_listed_and_its_fields_show_with_it(window):
    panel = window.panel
    for key, generator in GENERATORS.items():
        assert panel.dataset.itemText(panel.dataset.findData(key)) == generator.label
    assert not panel.samples.isVisibleTo(panel)  # XOR: the notebooks' data has no such fields
    choose_dataset(window, "moons")
    assert window.dataset_key == "moons" and same_points(window.dataset, generate("moons"))
    for field in (panel.samples, panel.noise, panel.test_share, panel.data_seed, panel.regenerate_button):
        assert field.isVisibleTo(panel)
    choose_dataset(window, "xor")
    assert not panel.samples.isVisibleTo(panel)


def test_the_fields_and_regenerate_draw_the_points_again_and_undo_returns(window, qtbot):
    panel = window.panel
    choose_dataset(window, "spiral")
    first = window.dataset
    panel.noise.setValue(0.3)
    panel.samples.setValue(400)
    expected = generate("spiral", GeneratorSettings(samples=400, noise=0.3))
    assert same_points(window.dataset, expected) and len(window.dataset.X) + len(window.dataset.X_test) == 400
    panel.regenerate_button.click()
    assert panel.data_seed.value() == 1
    assert same_points(window.dataset, generate("spiral", GeneratorSettings(samples=400, noise=0.3, data_seed=1)))
    assert window.undo() and same_points(window.dataset, expected)
    assert panel.data_seed.value() == 0 and panel.samples.value() == 400  # the fields show the points in use
    assert window.undo() and window.undo() and window.dataset is first


def test_exported_weights_bring_back_the_same_generated_points(window, qtbot, tmp_path):
    choose_dataset(window, "circle")
    window.panel.noise.setValue(0.25)
    drawn = window.dataset
    frame_where(qtbot, window, lambda f: f.dataset is drawn)
    path = tmp_path / "circle.json"
    assert window.files.export_weights(path)
    choose_dataset(window, "xor")
    assert window.files.import_weights(path)
    assert window.dataset_key == "circle" and same_points(window.dataset, drawn)
    assert window.panel.noise.value() == 0.25


def test_the_window_exports_a_python_file_that_checks_itself(window, qtbot, tmp_path):
    window.panel.max_epochs.setValue(20)
    with qtbot.waitSignal(window.controller.run_stopped, timeout=TIMEOUT):
        window.start_training()
    frame_where(qtbot, window, lambda f: f.snapshot.epoch == 20)
    path = tmp_path / "net.py"
    assert window.files.export_weights(path)
    run = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0 and run.stdout.startswith("OK"), run.stdout + run.stderr
