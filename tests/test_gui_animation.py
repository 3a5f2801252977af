"""The animation export (gui/animation.py): which epochs the frames show, what a frame's heatmap shows (checked
against the network's predictions computed here, from the history's parameter rows), and the writers: a PNG
sequence whole file by file, cancelled midway or not, in a thread with progress, behind a progress dialog."""

from __future__ import annotations

import itertools
import math
import threading
from pathlib import Path

import numpy as np
import pytest
import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtGui import QImage, QImageReader, QImageWriter
from PySide6.QtWidgets import QProgressDialog, QPushButton, QWidget

from gui.animation import (
    MAX_FRAMES,
    AnimationExport,
    AnimationJob,
    available_formats,
    existing_frames,
    frame_name,
    frame_rows,
    gif_available,
    run_with_progress_dialog,
    write_gif,
    write_png_sequence,
)
from gui.views.boundary import BoundaryPlot
from gui.views.common import SURFACE_STRENGTH, configure_pyqtgraph, diverging_colormap
from model.config import SettingError, TrainConfig
from model.datasets import load_dataset, make_dataset, product
from model.network import Params, predict
from model.presets import DATASET_DEFAULTS
from model.trainer import Trainer

EXPORT_TIMEOUT_MS = 30_000
GATE_SECONDS = 20  # the longest a gated frame waits: less than EXPORT_TIMEOUT_MS, so a missed release fails
SMALL = (320, 180)


def trained(dataset, config: TrainConfig, epochs: int) -> dict[str, np.ndarray]:
    trainer = Trainer(config, dataset)
    trainer.run(epochs)
    return trainer.snapshot().history


def boundary_view(qtbot, dataset, config: TrainConfig) -> dict:
    """The grid inputs, slice values and levels of a real boundary plot showing this network."""
    configure_pyqtgraph()
    plot = BoundaryPlot()
    qtbot.addWidget(plot)
    plot.set_network(dataset, Trainer(config, dataset).spec, config.hidden)
    view = {"grid_inputs": plot.grid_inputs(), "slice_values": plot.slice_values(), "levels": plot.levels}
    plot.shutdown()
    return view


@pytest.fixture
def xor_run(qtbot):
    dataset, config = load_dataset("xor"), DATASET_DEFAULTS["xor"][0]
    return dataset, config, trained(dataset, config, 300), boundary_view(qtbot, dataset, config)


def make_job(run, **kwargs) -> AnimationJob:
    dataset, config, history, view = run
    return AnimationJob(dataset, config, history, **view, **kwargs)


def pixels(image: QImage) -> np.ndarray:
    """An image's RGB values, (height, width, 3) ints."""
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    rows = np.frombuffer(bytes(rgb.constBits()), np.uint8).reshape(rgb.height(), rgb.bytesPerLine())
    return rows[:, : 3 * rgb.width()].reshape(rgb.height(), rgb.width(), 3).astype(int)


def files_in(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def delete_later_now() -> None:
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def hold_frames_after_the_first(monkeypatch) -> threading.Event:
    """Make the export thread wait, from its second frame on, until the returned event is set: a cancel made
    before setting it then comes before the third frame, however late the GUI thread runs (the frames take
    milliseconds each)."""
    import gui.animation

    released = threading.Event()
    encode, frame = gui.animation.png_bytes, itertools.count()

    def png_bytes_held(image):
        if next(frame) > 0:
            released.wait(GATE_SECONDS)
        return encode(image)

    monkeypatch.setattr(gui.animation, "png_bytes", png_bytes_held)
    return released


# --- which frames ---------------------------------------------------------------------------------------------------
def test_frames_default_to_at_most_120_evenly_spread_with_the_first_and_last_epochs(xor_run):
    history = xor_run[2]
    job = make_job(xor_run)
    assert job.frame_count == MAX_FRAMES < len(history["epoch"])
    assert job.frame_epochs[0] == history["epoch"][0] and job.frame_epochs[-1] == history["epoch"][-1]
    steps = np.diff(job.frame_epochs)
    assert steps.min() >= 2 and steps.max() - steps.min() <= 1  # 299 epochs over 119 steps: 2 or 3 apart
    np.testing.assert_array_equal(job.frame_theta(0), history["params"][0])
    np.testing.assert_array_equal(job.frame_theta(job.frame_count - 1), history["params"][-1])
    image = job.render_frame(0)
    assert (image.width(), image.height()) == (640, 360)


def test_a_frame_count_and_size_can_be_asked_for(xor_run):
    job = make_job(xor_run, frames=7, size=(800, 450))
    assert job.frame_count == 7
    assert list(job.frame_epochs) == [1, 51, 101, 150, 200, 250, 300]
    last = job.render_frame(6)
    assert (last.width(), last.height()) == (800, 450)
    with pytest.raises(IndexError):
        job.render_frame(7)
    assert make_job(xor_run, frames=1000).frame_count == 300  # no more frames than recorded epochs
    with pytest.raises(SettingError, match="size"):
        make_job(xor_run, size=(100, 50))


def test_frame_rows_take_the_nearest_rows_once_each():
    epochs = np.array([2, 4, 6, 8, 16, 32, 64, 128])
    rows = frame_rows(epochs, 5)  # wanted 2, 33.5, 65, 96.5, 128
    assert list(rows) == [0, 5, 6, 7]  # 96.5 is nearest 64 again: taken once
    assert list(frame_rows(epochs, 1)) == [7]
    with pytest.raises(SettingError, match="no recorded epochs"):
        frame_rows(np.array([], dtype=np.int64), 5)


def test_a_history_of_some_parameters_only_is_refused(xor_run):
    dataset, config, history, view = xor_run
    some = dict(history, params=history["params"][:, :4])
    with pytest.raises(SettingError, match="all 17 of the network's parameters"):
        AnimationJob(dataset, config, some, **view)


# --- what a frame shows -------------------------------------------------------------------------------------------
def expected_colour(value: float, levels: tuple[float, float]) -> np.ndarray:
    """The app's colour for an output value: the boundary plot's muted diverging colormap over its levels."""
    lo, hi = levels
    scaled = np.clip((value - lo) / (hi - lo), 0.0, 1.0)
    return diverging_colormap(SURFACE_STRENGTH).map(np.array([scaled]), mode="byte")[0, :3].astype(int)


def check_heatmap(job: AnimationJob, run, k: int, cells: list[tuple[int, int]]) -> int:
    """Compare the frame's pixel at each grid cell (row i = x2 index, column j = x1 index) with the colormap of the
    network's prediction there, computed from the history's parameter row for the frame's epoch. Cells next to a
    data point or the decision line are skipped (they are drawn over). Returns how many were compared."""
    dataset, config, history, view = run
    row = int(np.flatnonzero(history["epoch"] == job.frame_epochs[k])[0])
    params = Params(dataset.n_inputs, config.hidden, history["params"][row])
    spec = Trainer(config, dataset).spec
    inputs = view["grid_inputs"]
    side = math.isqrt(len(inputs))
    values = predict(params, inputs, spec)[:, 0].reshape(side, side)
    image = job.render_frame(k)
    points = np.array([job.plane_pixel(*x[:2]) for x in dataset.X])
    compared = 0
    for i, j in cells:
        x = inputs[i * side + j]
        px, py = job.plane_pixel(x[0], x[1])
        near_point = np.hypot(*(points - (px, py)).T).min() < 12
        around = values[max(i - 1, 0) : i + 2, max(j - 1, 0) : j + 2]
        near_line = dataset.task == "classification" and len(np.unique(around >= 0.5)) > 1
        if near_point or near_line:
            continue
        colour = image.pixelColor(px, py)
        got = np.array([colour.red(), colour.green(), colour.blue()])
        want = expected_colour(values[i, j], view["levels"])
        assert np.abs(got - want).max() <= 3, (k, i, j, values[i, j], got, want)
        compared += 1
    return compared


def test_the_heatmap_shows_the_colours_of_the_networks_predictions_at_each_epoch(xor_run):
    job = make_job(xor_run, frames=10)
    cells = [(i, j) for i in range(3, 101, 12) for j in range(5, 101, 12)]
    for k in (0, 4, job.frame_count - 1):
        assert check_heatmap(job, xor_run, k, cells) >= 40


def test_the_heatmap_of_a_regression_uses_its_levels(qtbot):
    dataset = product(n=200, n_test=50)
    config = DATASET_DEFAULTS["product"][0]
    run = (dataset, config, trained(dataset, config, 20), boundary_view(qtbot, dataset, config))
    assert run[3]["levels"] != (0.0, 1.0)
    job = make_job(run, frames=3)
    edge = [(i, j) for i in range(2, 99, 4) for j in (2, 8, 93, 98)]  # beyond the data's square: no point there
    for k in (0, 2):
        assert check_heatmap(job, run, k, edge) >= 60


@pytest.mark.parametrize("name", ["and_or", "line"])
def test_three_input_and_one_input_networks_are_drawn(qtbot, name):
    if name == "line":
        x = np.linspace(-2, 2, 30)[:, None]
        dataset = make_dataset("line", x, np.sin(2 * x[:, 0]))
        config = TrainConfig(hidden=8, activation="tanh", lr=0.05, mode="full", init="xavier")
    else:
        dataset, config = load_dataset(name), DATASET_DEFAULTS[name][0]
    job = make_job((dataset, config, trained(dataset, config, 50), boundary_view(qtbot, dataset, config)), frames=3)
    image = job.render_frame(2)
    assert (image.width(), image.height()) == (640, 360)
    assert image != job.render_frame(0)


def test_frames_render_the_same_in_other_threads(xor_run):
    job = make_job(xor_run, frames=6, size=SMALL)
    expected = [job.render_frame(k) for k in range(job.frame_count)]
    results: dict[int, list[QImage]] = {}

    def render(n: int) -> None:
        results[n] = [job.render_frame(k) for k in range(job.frame_count)]

    threads = [threading.Thread(target=render, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
        assert not thread.is_alive()
    assert all(images == expected for images in results.values())


# --- writing --------------------------------------------------------------------------------------------------------
def test_a_png_sequence_has_one_whole_file_per_frame(xor_run, tmp_path):
    job = make_job(xor_run, frames=5, size=SMALL)
    seen = []
    outcome = write_png_sequence(job, tmp_path / "frames", progress=lambda done, total: seen.append((done, total)))
    assert files_in(tmp_path / "frames") == [f"frame_000{k}.png" for k in range(1, 6)]
    for k in range(5):
        image = QImage(str(tmp_path / "frames" / frame_name(k, 5)))
        assert (image.width(), image.height()) == SMALL
    assert seen == [(k, 5) for k in range(1, 6)]
    assert not outcome.cancelled and outcome.written == 5
    assert outcome.message == f"Wrote 5 frames of the animation to {tmp_path / 'frames'}."
    assert frame_name(0, 12_000) == "frame_00001.png"
    (tmp_path / "frames" / "frame_notes.png").write_bytes(b"")
    assert existing_frames(tmp_path / "frames") == [tmp_path / "frames" / frame_name(k, 5) for k in range(5)]
    assert existing_frames(tmp_path / "elsewhere") == []


def test_cancelling_midway_leaves_only_whole_frames(xor_run, tmp_path):
    job = make_job(xor_run, frames=6, size=SMALL)
    seen = []
    outcome = write_png_sequence(job, tmp_path, progress=lambda done, total: seen.append(done),
                                 cancelled=lambda: len(seen) >= 2)
    assert outcome.cancelled and outcome.written == 2
    assert "cancelled: 2 of 6 frames" in outcome.message
    assert files_in(tmp_path) == ["frame_0001.png", "frame_0002.png"]  # no temporary file either
    for name in files_in(tmp_path):
        assert not QImage(str(tmp_path / name)).isNull()


def test_a_failed_write_leaves_no_partial_file(xor_run, tmp_path, monkeypatch):
    job = make_job(xor_run, frames=3, size=SMALL)
    import gui.animation

    def fail_on_the_second(image):
        if fail_on_the_second.calls:
            raise OSError(28, "No space left on device")
        fail_on_the_second.calls += 1
        return original(image)

    original = gui.animation.png_bytes
    fail_on_the_second.calls = 0
    monkeypatch.setattr(gui.animation, "png_bytes", fail_on_the_second)
    with pytest.raises(OSError, match="No space left"):
        write_png_sequence(job, tmp_path)
    assert files_in(tmp_path) == ["frame_0001.png"]


def test_an_export_in_its_thread_reports_progress_up_to_the_total(qtbot, xor_run, tmp_path):
    job = make_job(xor_run, frames=8, size=SMALL)
    export = AnimationExport(job, tmp_path, "png")
    seen = []
    export.progress.connect(lambda done, total: seen.append((done, total)))
    with qtbot.waitSignal(export.finished, timeout=EXPORT_TIMEOUT_MS) as finished:
        export.start()
    assert seen == [(k, 8) for k in range(1, 9)]
    assert finished.args == [f"Wrote 8 frames of the animation to {tmp_path}."]
    assert len(files_in(tmp_path)) == 8 and not export.is_running()


def test_an_export_cancelled_from_the_gui_thread_stops_at_the_next_frame(qtbot, xor_run, tmp_path, monkeypatch):
    job = make_job(xor_run, frames=40, size=SMALL)
    export = AnimationExport(job, tmp_path, "png")
    released = hold_frames_after_the_first(monkeypatch)

    def cancel(done, total):
        export.cancel()
        released.set()

    export.progress.connect(cancel)
    with qtbot.waitSignal(export.finished, timeout=EXPORT_TIMEOUT_MS) as finished:
        export.start()
    assert export.outcome.cancelled and "cancelled" in finished.args[0]
    written = files_in(tmp_path)
    # cancelled after the first frame: stopped before the second, or after it if that was under way
    assert len(written) in (1, 2) and written == [frame_name(k, 40) for k in range(len(written))]
    for name in written:
        assert QImage(str(tmp_path / name)).size().width() == SMALL[0]


def test_an_export_that_cannot_write_fails_with_the_reason(qtbot, xor_run, tmp_path):
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    export = AnimationExport(make_job(xor_run, frames=2, size=SMALL), blocker / "frames", "png")
    with qtbot.waitSignal(export.failed, timeout=EXPORT_TIMEOUT_MS) as failed:
        export.start()
    assert failed.args[0].startswith("Could not export the animation: export = ")
    assert "cannot make the folder" in failed.args[0]


def test_the_progress_dialog_follows_the_export_and_goes_when_it_ends(qtbot, xor_run, tmp_path):
    parent = QWidget()
    qtbot.addWidget(parent)
    export = run_with_progress_dialog(parent, make_job(xor_run, frames=4, size=SMALL), tmp_path)
    dialogs = parent.findChildren(QProgressDialog)
    assert len(dialogs) == 1 and dialogs[0].maximum() == 4
    with qtbot.waitSignal(export.finished, timeout=EXPORT_TIMEOUT_MS):
        pass
    delete_later_now()
    assert parent.findChildren(QProgressDialog) == []
    assert len(files_in(tmp_path)) == 4


def test_the_dialogs_cancel_button_cancels(qtbot, xor_run, tmp_path, monkeypatch):
    parent = QWidget()
    qtbot.addWidget(parent)
    released = hold_frames_after_the_first(monkeypatch)
    export = run_with_progress_dialog(parent, make_job(xor_run, frames=60, size=SMALL), tmp_path)
    dialog = parent.findChildren(QProgressDialog)[0]
    dialog.canceled.connect(released.set)  # after the export's own cancel, connected first
    with qtbot.waitSignal(export.finished, timeout=EXPORT_TIMEOUT_MS):
        dialog.findChild(QPushButton).click()
    assert export.outcome.cancelled
    delete_later_now()
    assert not shiboken6.isValid(dialog)


def test_qt_cannot_write_a_gif():
    """Why the GIF needs Pillow: if this fails, a Qt build can write GIFs and gui/animation.py should say so."""
    assert b"gif" not in [bytes(f) for f in QImageWriter.supportedImageFormats()]


@pytest.mark.skipif(not gif_available(), reason="Pillow is not installed: the export offers PNG sequences only")
def test_a_gif_holds_every_frame(qtbot, xor_run, tmp_path):
    job = make_job(xor_run, frames=6, size=SMALL)
    seen = []
    outcome = write_gif(job, tmp_path / "run.gif", progress=lambda done, total: seen.append(done))
    assert seen == [1, 2, 3, 4, 5, 6] and not outcome.cancelled
    reader = QImageReader(str(tmp_path / "run.gif"))
    assert reader.imageCount() == 6
    assert (reader.size().width(), reader.size().height()) == SMALL
    frames = [reader.read() for _ in range(6)]
    for k in (0, 5):  # 256 colours: the heatmap's within a step of its lookup table, a few others farther
        got, want = (pixels(image) for image in (frames[k], job.render_frame(k)))
        error = np.abs(got - want).max(axis=2)
        assert (error == 0).mean() > 0.9 and np.percentile(error, 99) <= 8
    assert files_in(tmp_path) == ["run.gif"]
    cancelled = write_gif(job, tmp_path / "none.gif", cancelled=lambda: True)
    assert cancelled.cancelled and files_in(tmp_path) == ["run.gif"]


@pytest.mark.skipif(gif_available(), reason="Pillow is installed")
def test_without_pillow_only_png_sequences_are_offered(xor_run, tmp_path):
    assert available_formats() == ("png",)
    job = make_job(xor_run, frames=2, size=SMALL)
    with pytest.raises(SettingError, match="needs Pillow"):
        write_gif(job, tmp_path / "run.gif")
    with pytest.raises(SettingError, match="must be one of png"):
        AnimationExport(job, tmp_path / "run.gif", "gif")
    assert files_in(tmp_path) == []


# --- from the window -------------------------------------------------------------------------------------------

def test_the_window_exports_the_run_as_png_frames_from_the_whole_history(window, qtbot, tmp_path):
    from test_gui_window import train_epochs

    window.apply_dataset("product")
    window.new_network(window.config.replace(hidden=16), "product", window.dataset)  # 65 parameters: frames hold 8
    frame = train_epochs(qtbot, window, 30)
    assert frame.snapshot.history["params"].shape[1] < len(frame.snapshot.theta)
    assert window.files.export_animation(tmp_path / "run.png")
    qtbot.waitUntil(lambda: window.files.animation is not None, timeout=10_000)
    with qtbot.waitSignal(window.files.animation.finished, timeout=60_000):
        pass
    frames = existing_frames(tmp_path / "run-frames")
    assert len(frames) == 30  # epochs 1..30 recorded, each a frame
    assert all(QImage(str(f)).size().width() == 640 for f in frames)
    assert not window.files.export_animation(tmp_path / "run.png")  # frames there already: nothing overwritten
    assert "already holds frames" in window.message_bar.text()
