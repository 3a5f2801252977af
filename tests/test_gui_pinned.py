"""Pinned runs and the loss plot's cursor: which settings differ, the pinned curves overlaid (and removed) on the
loss plot, the panel's rows, the bounded copies a pinned run keeps, and the cursor's epoch and recorded losses.
Assertions are on the data fed to the items and the texts shown."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import painted_offscreen
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QToolButton

from gui.views.common import TEST_COLOR, TRAIN_COLOR
from gui.views.loss import MAX_LOSS_POINTS, LossPlot
from gui.views.pinned_runs import (
    MAX_PINNED,
    THUMBNAIL_KEPT_PX,
    PinnedRun,
    PinnedRunsPanel,
    differing_settings,
    short_number,
)
from model import datasets
from model.config import TrainConfig
from model.trainer import Trainer

XOR = TrainConfig(hidden=4, activation="tanh", output="sigmoid", loss="bce", lr=0.5, mode="full", init="xavier")


@pytest.fixture
def loss_plot(qtbot):
    yield from painted_offscreen(qtbot, LossPlot(), 600, 350)


@pytest.fixture
def panel(qtbot):
    made = PinnedRunsPanel()  # not shown: a top-level widget with a layout shown offscreen makes Qt warn
    qtbot.addWidget(made)
    return made


def trained(config: TrainConfig = XOR, dataset=None, epochs: int = 40):
    trainer = Trainer(config, dataset or datasets.xor())
    trainer.run(epochs)
    return trainer.snapshot()


def thumbnail(width: int = 300, height: int = 200) -> QImage:
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor("#abcdef"))
    return image


def pinned_run(epochs: np.ndarray, train: np.ndarray, test: np.ndarray | None = None, image: QImage | None = None):
    test = np.full(len(epochs), np.nan) if test is None else test
    return PinnedRun("Run 7", XOR, "xor", epochs, train, test, image or QImage(), "#2ca02c")


# --- which settings differ ----------------------------------------------------------------------------------

def test_differing_settings_name_each_changed_setting_old_to_new_dataset_first():
    changed = XOR.replace(hidden=8, lr=0.03, bias=False, batch_size=64, activation="relu")
    assert differing_settings(XOR, changed, "xor", "and_or") == [
        "dataset xor → and_or", "hidden 4 → 8", "activation tanh → relu", "lr 0.5 → 0.03", "batch size 32 → 64",
        "bias on → off"]
    assert differing_settings(changed, XOR, "xor", "xor") == [
        "hidden 8 → 4", "activation relu → tanh", "lr 0.03 → 0.5", "batch size 64 → 32", "bias off → on"]


def test_equal_settings_differ_in_nothing_and_each_field_is_compared():
    assert differing_settings(XOR, XOR.replace(), "xor", "xor") == []
    assert differing_settings(XOR, XOR.replace(seed=3), "xor", "xor") == ["seed 0 → 3"]
    assert differing_settings(XOR, XOR.replace(l2=1e-4, init="he"), "xor", "xor") == ["init xavier → he",
                                                                                        "l2 0 → 0.0001"]
    squared = XOR.replace(output="linear", loss="squared", mode="minibatch")
    assert differing_settings(XOR, squared, "xor", "xor") == ["output sigmoid → linear", "loss bce → squared",
                                                              "mode full → minibatch"]


# --- what a pinned run keeps ----------------------------------------------------------------------------------

def test_a_long_history_is_thinned_to_the_plot_limit_keeping_the_ends_and_a_spike():
    n = 10_000
    epochs = np.arange(1, n + 1)
    train = np.exp(-epochs / 2000.0)
    train[6543] = 50.0  # a spike
    run = pinned_run(epochs, train, train / 2)
    assert len(run.epochs) <= MAX_LOSS_POINTS
    assert run.epochs[0] == 1 and run.epochs[-1] == n
    assert 6544 in run.epochs and run.train_loss.max() == 50.0
    rows = run.epochs.astype(int) - 1  # epochs 1..n are rows 0..n-1
    np.testing.assert_array_equal(run.train_loss, train[rows])
    np.testing.assert_array_equal(run.test_loss, train[rows] / 2)


def test_a_pinned_run_keeps_read_only_copies_and_a_small_thumbnail():
    epochs, train = np.arange(1, 11), np.linspace(1.0, 0.1, 10)
    run = pinned_run(epochs, train, image=thumbnail(600, 300))
    train[:] = 7.0  # the caller's array changes afterwards: the run's copy does not
    np.testing.assert_array_equal(run.train_loss, np.linspace(1.0, 0.1, 10))
    with pytest.raises(ValueError, match="read-only"):
        run.train_loss[0] = 1.0
    assert (run.thumbnail.width(), run.thumbnail.height()) == (THUMBNAIL_KEPT_PX, THUMBNAIL_KEPT_PX // 2)
    assert pinned_run(epochs, train).thumbnail.isNull()


def test_a_runs_label_gives_its_dataset_epochs_and_last_finite_loss():
    run = pinned_run(np.array([1000, 2000, 3000]), np.array([0.5, 3.1e-4, np.nan]))
    assert run.label == "Run 7: xor, 3,000 epochs, loss 3.1e-4"
    assert [short_number(v) for v in (0.25, 0.031, 1.0, 12345.0, 0.0)] == ["0.25", "0.031", "1", "1.2e4", "0"]


# --- the panel ------------------------------------------------------------------------------------------------

def test_the_panel_lists_how_each_run_differs_from_the_current_settings(qtbot, panel):
    first = panel.pin(trained(XOR), "xor", thumbnail())
    panel.pin(trained(XOR.replace(lr=0.1, hidden=3)), "xor", thumbnail())
    assert [label for label, _ in panel.row_texts()] == [first.label, panel.runs()[1].label]
    assert first.label.startswith("Run 1: xor, 40 epochs, loss ")
    assert [differences for _, differences in panel.row_texts()] == ["", ""]  # no current settings yet
    panel.set_current(XOR, "xor")
    assert [differences for _, differences in panel.row_texts()] == ["same settings as now",
                                                                     "hidden 3 → 4, lr 0.1 → 0.5"]
    panel.set_current(XOR.replace(seed=5), "and_or")
    assert [differences for _, differences in panel.row_texts()] == [
        "dataset xor → and_or, seed 0 → 5", "dataset xor → and_or, hidden 3 → 4, lr 0.1 → 0.5, seed 0 → 5"]


def test_runs_get_distinct_colours_apart_from_the_live_curves_and_the_oldest_makes_room(qtbot, panel):
    snapshot = trained(epochs=3)
    for _ in range(MAX_PINNED + 1):
        panel.pin(snapshot, "xor", QImage())
    runs = panel.runs()
    assert [run.name for run in runs] == [f"Run {k}" for k in range(2, MAX_PINNED + 2)]
    colors = {run.color for run in runs}
    assert len(colors) == MAX_PINNED and not colors & {TRAIN_COLOR, TEST_COLOR}


def test_the_remove_button_and_clear_all_unpin_and_say_so(qtbot, panel):
    snapshot = trained(epochs=3)
    for _ in range(3):
        panel.pin(snapshot, "xor", QImage())
    kept = panel.runs()[0], panel.runs()[2]
    with qtbot.waitSignal(panel.changed, timeout=1000):
        panel.findChildren(QToolButton)[1].click()  # the second row's
    assert panel.runs() == list(kept)
    assert [label.split(":")[0] for label, _ in panel.row_texts()] == ["Run 1", "Run 3"]
    with qtbot.waitSignal(panel.changed, timeout=1000):
        panel.clear_button.click()
    assert panel.runs() == [] and panel.row_texts() == []
    assert panel.pin(snapshot, "xor", QImage()).name == "Run 1"


# --- pinned curves on the loss plot -----------------------------------------------------------------------------

def test_pinned_runs_are_drawn_under_their_names_with_the_runs_data(qtbot, loss_plot, panel):
    with_test = trained(XOR, datasets.and_or(), epochs=30)
    without_test = trained(XOR.replace(lr=0.1), epochs=50)
    panel.pin(with_test, "and_or", QImage())
    panel.pin(without_test, "xor", QImage())
    live = trained(XOR.replace(lr=0.2), epochs=20).history
    loss_plot.show_history(live)
    loss_plot.show_pinned(panel.runs())
    curves = loss_plot.pinned_curves()
    assert len(curves) == 2
    for (x, y), snapshot in zip(curves, (with_test, without_test), strict=True):
        np.testing.assert_array_equal(x, snapshot.history["epoch"])
        np.testing.assert_array_equal(y, snapshot.history["train_loss"])
    (test_x, test_y), = loss_plot.pinned_curves("test")  # only the run with a test split has a test curve
    np.testing.assert_array_equal(test_x, with_test.history["epoch"])
    np.testing.assert_array_equal(test_y, with_test.history["test_loss"])
    assert loss_plot.legend_labels() == ["train", "Run 1", "Run 2"]
    live_x, live_y = loss_plot.train_curve.getOriginalDataset()  # the live run is still drawn as it was
    np.testing.assert_array_equal(live_x, live["epoch"])
    np.testing.assert_array_equal(live_y, live["train_loss"])
    # The view takes in the longest run's epochs.
    x_low, x_high = loss_plot.plot.getViewBox().viewRange()[0]
    assert x_low <= 1 and x_high >= 50


def test_unpinning_removes_that_runs_curves_and_keeps_the_others(qtbot, loss_plot, panel):
    panel.changed.connect(lambda: loss_plot.show_pinned(panel.runs()))
    items_before = len(loss_plot.plot.listDataItems())
    runs = [trained(XOR.replace(lr=lr), datasets.and_or(), epochs=10 + k) for k, lr in enumerate((0.1, 0.2, 0.3))]
    for snapshot in runs:
        panel.pin(snapshot, "and_or", QImage())
    assert len(loss_plot.plot.listDataItems()) == items_before + 6  # train and test curves of each
    loss_plot.show_pinned(panel.runs())  # shown again: nothing is made anew
    assert len(loss_plot.plot.listDataItems()) == items_before + 6
    panel.remove(1)
    assert len(loss_plot.plot.listDataItems()) == items_before + 4
    assert [len(x) for x, _ in loss_plot.pinned_curves()] == [10, 12]
    assert [len(x) for x, _ in loss_plot.pinned_curves("test")] == [10, 12]
    assert loss_plot.legend_labels()[-2:] == ["Run 1", "Run 3"]
    panel.clear()
    assert loss_plot.pinned_curves() == [] and len(loss_plot.plot.listDataItems()) == items_before


# --- the cursor ----------------------------------------------------------------------------------------------

def recorded(history: dict[str, np.ndarray], column: str, epoch: int) -> float:
    rows = np.flatnonzero(history["epoch"] == epoch)
    assert len(rows) == 1
    return float(history[column][rows[0]])


def test_the_cursor_marks_an_epoch_with_the_losses_recorded_then(loss_plot):
    history = trained(XOR, datasets.and_or(), epochs=60).history
    loss_plot.show_history(history)
    assert loss_plot.cursor_epoch() is None and loss_plot.cursor_text() == ""
    loss_plot.set_cursor(25)
    assert loss_plot.cursor_epoch() == 25
    train, test = recorded(history, "train_loss", 25), recorded(history, "test_loss", 25)
    assert loss_plot.cursor_text() == f"epoch 25\ntrain {train:.3g}\ntest {test:.3g}"
    loss_plot.set_cursor(None)
    assert loss_plot.cursor_epoch() is None and loss_plot.cursor_text() == ""


def test_between_recorded_epochs_the_cursor_reads_the_curve_as_drawn_and_outside_them_nothing(loss_plot):
    history = {"epoch": np.array([10, 20, 40]), "train_loss": np.array([0.1, 0.001, 0.0001]),
               "test_loss": np.full(3, np.nan)}
    loss_plot.set_cursor(15)  # before any history: the epoch alone
    assert loss_plot.cursor_text() == "epoch 15"
    loss_plot.show_history(history)  # the cursor's values follow the history fed
    assert loss_plot.cursor_text() == "epoch 15\ntrain 0.01"  # halfway in log10 between 0.1 and 0.001
    loss_plot.set_cursor(0)
    assert loss_plot.cursor_text() == "epoch 0"  # before the first recorded epoch
    loss_plot.clear_data()
    loss_plot.set_cursor(20)
    assert loss_plot.cursor_epoch() == 20 and loss_plot.cursor_text() == "epoch 20"
