"""The weights plot on its own and in the window: which parameters get a labelled curve, the last change as bars
or as a histogram over every parameter, short tick labels at any magnitude, nothing cut off at 1280x720.
Assertions are on the items' data (curve data, bar heights, legend labels, drawn tick strings)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import painted_offscreen
from PySide6.QtGui import QImage, QPainter

from gui.views.shown_params import CHANGE_BINS, MAX_BARS, MAX_SHOWN_UNITS, change_histogram, choose_shown_params
from gui.views.weights import MAX_TICK_CHARS, WeightsPlot, legend_order, tick_text
from gui.worker import MAX_SHOWN_PARAMS
from model import datasets, kernel
from model.config import TrainConfig
from model.network import NetworkSpec, Params, explain
from model.trainer import Trainer

TIMEOUT = 10_000
PLAYGROUND = {"activation": "tanh", "output": "sigmoid", "loss": "bce", "init": "xavier", "lr": 0.5}


@pytest.fixture
def plot(qtbot):
    yield from painted_offscreen(qtbot, WeightsPlot(), 640, 400)


@pytest.fixture
def numpy_path(monkeypatch):
    """The trainer's NumPy phases, the same code as explain(): the same bits."""
    monkeypatch.setattr(kernel, "enabled", False)


def xor_trainer(hidden: int, **settings) -> Trainer:
    return Trainer(TrainConfig(hidden=hidden, **{**PLAYGROUND, **settings}), datasets.xor())


def shown_for(trainer: Trainer):
    return choose_shown_params(trainer.names, trainer.params.n_inputs, trainer.params.n_hidden, trainer.config.bias,
                               theta=trainer.params.theta, epoch=trainer.epoch)


def lay_out(plot: WeightsPlot, trainer: Trainer):
    """The plot set up for this (new) trainer's network, as the window does; returns the shown parameters."""
    shown = shown_for(trainer)
    plot.set_params(shown.names, shown.caption, trainer.params.theta.copy())
    return shown


def independent_change(trainer: Trainer) -> dict[str, np.ndarray]:
    """The last update recomputed by explain() from the weights it started from."""
    record = trainer.last_update()
    before = Params(trainer.params.n_inputs, trainer.params.n_hidden, record.theta_before)
    X, y = trainer.dataset.X[record.samples], trainer.dataset.y[record.samples]
    return explain(before, X, y, NetworkSpec.from_config(trainer.config), record.lr)


def drawn_tick_strings(axis) -> list[str]:
    """The tick labels the axis draws at its current size and range."""
    image = QImage(8, 8, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        _, _, texts = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    return [text for _, _, text in texts]


# --- which parameters get a curve -----------------------------------------------------------------------

def test_a_large_network_shows_whole_units_with_the_largest_outgoing_weights():
    trainer = xor_trainer(1024)
    shown = shown_for(trainer)
    w2 = trainer.params.W2[:, 0]
    strongest = set(np.argsort(-np.abs(w2))[:MAX_SHOWN_UNITS] + 1)
    units = {int(name.rsplit("_", 1)[1]) for name in shown.names if name != "b2"}
    assert units == strongest
    per_unit = ["w1_1_{}", "w1_2_{}", "b1_{}", "w2_{}"]
    expected = [form.format(u) for u in sorted(strongest) for form in per_unit] + ["b2"]
    assert list(shown.names) == expected  # each unit's parameters together, b2 last
    assert shown.names == tuple(trainer.names[i] for i in shown.index)
    assert len(shown.index) <= MAX_SHOWN_PARAMS
    assert "largest |w2| at epoch 0" in shown.caption and "33 of 4097 parameters" in shown.caption
    assert ", ".join(str(u) for u in sorted(strongest)) in shown.caption


def test_equal_outgoing_weights_or_no_weights_show_the_first_units():
    trainer = xor_trainer(1024, init="ones")
    shown = shown_for(trainer)
    assert {name for name in shown.names if name.startswith("w2")} == {f"w2_{u}" for u in range(1, 9)}
    assert "first 8 of 1024" in shown.caption and "every |w2| is equal" in shown.caption
    blind = choose_shown_params(trainer.names, 2, 1024, True)
    np.testing.assert_array_equal(blind.index, shown.index)
    assert "largest" not in blind.caption


def test_units_are_rechosen_from_the_weights_of_a_later_epoch():
    trainer = xor_trainer(1024)
    trainer.params.W2[:, 0] = 0.0
    trainer.params.W2[[5, 700], 0] = [-3.0, 2.0]
    shown = choose_shown_params(trainer.names, 2, 1024, True, theta=trainer.params.theta, epoch=250)
    assert {"w2_6", "w2_701"} <= set(shown.names)
    assert "at epoch 250" in shown.caption


# --- curves and their legend ------------------------------------------------------------------------------

def test_every_curve_of_a_1024_unit_network_is_drawn_and_labelled(plot):
    trainer = xor_trainer(1024, mode="full")
    initial = trainer.params.theta.copy()
    shown = lay_out(plot, trainer)
    trainer.run(3)
    snapshot = trainer.snapshot(shown.index)
    plot.show_snapshot(snapshot, shown.index)
    assert len(plot.curves) == len(shown.index) == MAX_SHOWN_UNITS * 4 + 1
    assert plot.legend_labels() == list(shown.names)
    assert [curve.name() for curve in plot.curves] == list(shown.names)
    for k, curve in enumerate(plot.curves):
        x, y = curve.getData()
        np.testing.assert_array_equal(x, [0, 1, 2, 3])
        recorded = trainer.history.view()["params"][:, shown.index[k]]
        np.testing.assert_array_equal(y, [initial[shown.index[k]], *recorded])
    assert plot.caption == shown.caption


def test_the_legend_reads_down_its_columns():
    for n, columns in [(61, 3), (33, 2), (7, 3), (64, 4), (5, 1)]:
        order = legend_order(n, columns)
        assert sorted(order) == list(range(n))
        # pyqtgraph puts the i-th entry added in row i // columns, column i % columns
        read_down = [order[i] for c in range(columns) for i in range(c, n, columns)]
        assert read_down == list(range(n))


def test_a_new_network_reuses_the_curves_and_relabels_them(plot):
    big, small = xor_trainer(1024), xor_trainer(4)
    lay_out(plot, big)
    first_curves = list(plot.curves)
    shown = lay_out(plot, small)
    assert plot.curves == first_curves[: len(shown.index)]
    assert plot.legend_labels() == list(shown.names)
    visible = [item for item in plot.curves_plot.listDataItems() if item.isVisible()]
    assert visible == plot.curves


@pytest.mark.parametrize("hidden", [4, 1024])  # bars below the curves, or the histogram
def test_the_cursor_marks_an_epoch_on_the_curves_over_time(plot, hidden):
    trainer = xor_trainer(hidden, mode="full")
    shown = lay_out(plot, trainer)
    trainer.run(60)
    plot.show_snapshot(trainer.snapshot(shown.index), shown.index)
    assert plot.cursor_epoch() is None and not plot.cursor.isVisible()
    plot.set_cursor(25)
    assert plot.cursor_epoch() == 25 and plot.cursor.isVisible()
    assert plot.cursor.getViewBox() is plot.curves_plot.getViewBox()  # where the epochs are, not on the change
    x_low, x_high = plot.curves_plot.getViewBox().viewRange()[0]
    assert x_low < 25 < x_high
    plot.set_cursor(None)
    assert plot.cursor_epoch() is None and not plot.cursor.isVisible()


# --- the last change: bars or histogram ---------------------------------------------------------------------

def test_a_small_network_shows_each_parameters_change_as_a_bar(plot, numpy_path):
    trainer = xor_trainer(4, mode="sample")
    shown = lay_out(plot, trainer)
    assert len(shown.index) == 17 <= MAX_BARS
    trainer.step_update()
    trainer.step_update()
    plot.show_snapshot(trainer.snapshot(shown.index), shown.index)
    recomputed = independent_change(trainer)
    expected = -trainer.config.lr * recomputed["grad"][shown.index]
    np.testing.assert_allclose(plot.bars.opts["height"], expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(plot.bars.opts["x"], np.arange(17))
    np.testing.assert_array_equal(plot.bar_heights(), trainer.last_update().delta[shown.index])
    assert plot.bars.isVisible() and not plot.histogram.isVisible()
    assert plot.histogram_data()[1].size == 0
    labels = drawn_tick_strings(plot.bars_plot.getAxis("bottom"))
    assert labels and set(labels) <= set(shown.names)  # the bars are named, as many as have room


def test_a_large_network_shows_the_distribution_of_every_parameters_change(plot, numpy_path):
    trainer = xor_trainer(1024, mode="full")
    shown = lay_out(plot, trainer)
    trainer.run(2)
    plot.show_snapshot(trainer.snapshot(shown.index), shown.index)
    edges, counts = plot.histogram_data()
    assert len(counts) == CHANGE_BINS and counts.sum() == 4097 == len(trainer.names)
    delta = independent_change(trainer)["delta"]
    expected_counts, expected_edges = np.histogram(delta, bins=CHANGE_BINS)
    np.testing.assert_array_equal(counts, expected_counts)
    np.testing.assert_allclose(edges, expected_edges, rtol=1e-12)
    assert plot.histogram.isVisible() and not plot.bars.isVisible()
    assert plot.bars_plot.getAxis("left").labelText == "parameters"
    assert "update 2 (epoch 2," in plot.bars_plot.getAxis("bottom").labelText  # full batch: 2 epochs done
    assert plot.repick_action.isVisible()


def test_a_histogram_published_by_the_worker_is_drawn_as_it_is(plot):
    trainer = xor_trainer(1024, mode="full")
    shown = lay_out(plot, trainer)
    trainer.run(1)
    snapshot = trainer.snapshot(shown.index)
    published = change_histogram(snapshot.last_update.delta, bins=9)
    plot.show_snapshot(snapshot, shown.index, histogram=published)
    edges, counts = plot.histogram_data()
    np.testing.assert_array_equal(counts, published.counts)
    np.testing.assert_array_equal(edges, published.edges)


def test_changes_that_are_not_finite_are_counted_apart():
    delta = np.array([0.0, 1.0, np.inf, np.nan, -1.0])
    histogram = change_histogram(delta, bins=4)
    assert histogram.counts.sum() == 3 and histogram.not_finite == 2 and histogram.total == 5


def test_before_any_update_the_histogram_is_empty(plot):
    trainer = xor_trainer(1024)
    shown = lay_out(plot, trainer)
    plot.show_snapshot(trainer.snapshot(shown.index), shown.index)
    assert plot.histogram.isVisible()
    assert len(plot.histogram.opts["height"]) == 0
    assert "no update yet" in plot.bars_plot.getAxis("bottom").labelText


def test_the_context_menu_asks_for_the_strongest_units(plot, qtbot):
    trainer = xor_trainer(1024)
    shown = lay_out(plot, trainer)
    plot.show_snapshot(trainer.snapshot(shown.index), shown.index)
    with qtbot.waitSignal(plot.repick_wanted, timeout=1000):
        plot.repick_action.trigger()
    small = xor_trainer(4)
    shown = lay_out(plot, small)
    plot.show_snapshot(small.snapshot(shown.index), shown.index)
    assert not plot.repick_action.isVisible()  # every parameter is shown: nothing to pick


# --- axes ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "spacing", "text"), [
    (0.25, 0.05, "0.25"), (1500.0, 500.0, "1500"), (-0.5, 0.5, "-0.5"), (3.0, 1.0, "3"),
    (-4.2e124, 1e123, "-4.2e+124"), (4e124, 2e124, "4e+124"), (1e-7, 5e-8, "1.0e-07"),
    (1e-17, 0.1, "0"), (123456789.0, 1e6, "1.23e+08"), (2.5e6, 5e5, "2500000"),
])
def test_tick_labels_have_the_digits_their_spacing_needs(value, spacing, text):
    assert tick_text(value, spacing) == text


@pytest.mark.parametrize("value", [-1.234567e300, 9.87654321e-300, -5e-5, 12345678.9, 1.0000001])
def test_tick_labels_are_short_at_any_magnitude(value):
    for spacing in (abs(value) * 1e-9, abs(value) * 1e-3, abs(value)):
        assert len(tick_text(value, spacing)) <= MAX_TICK_CHARS


def test_weights_near_1e124_keep_short_ticks_and_no_rescaled_label(plot, qtbot):
    huge = Params.from_arrays(np.array([[4e124, -3e124], [1e124, 2e124]]), [1e123, 0.0], [[2e124], [-1e124]], [0.0])
    trainer = Trainer(TrainConfig(hidden=2, **PLAYGROUND), datasets.xor(), initial=huge)
    shown = lay_out(plot, trainer)
    trainer.step_update()  # changes b1_2 by 5e123
    plot.show_snapshot(trainer.snapshot(shown.index), shown.index)
    for axis in (plot.curves_plot.getAxis("left"), plot.bars_plot.getAxis("left")):
        qtbot.waitUntil(lambda axis=axis: len(drawn_tick_strings(axis)) >= 3, timeout=TIMEOUT)  # laid out
        strings = drawn_tick_strings(axis)
        assert all(0 < len(s) <= MAX_TICK_CHARS for s in strings), strings
        assert len(set(strings)) == len(strings)
        assert max(abs(float(s)) for s in strings) > 1e123
        assert "x1e" not in axis.labelString() and not axis.autoSIPrefix


# --- in the window, at 1280 x 720 --------------------------------------------------------------------------

def wait_for_hidden(qtbot, window, hidden: int):
    def drawn():
        frame = window.drawn_frame()
        assert frame is not None and frame.snapshot.config.hidden == hidden

    qtbot.waitUntil(drawn, timeout=TIMEOUT)
    return window.drawn_frame()


def assert_fits_its_view(view: WeightsPlot):
    width = view.viewport().width()
    assert view.ci.minimumWidth() <= width
    for item in (view.curves_plot, view.bars_plot, view.legend, view.curves_plot.titleLabel,
                 view.bars_plot.titleLabel):
        assert item.sceneBoundingRect().right() <= width + 0.5, item


@pytest.mark.parametrize("hidden", [1024, 15])
def test_the_weights_panel_fits_at_1280_by_720(qtbot, window, hidden):
    window.resize(1280, 720)
    window.panel.hidden.setValue(hidden)
    frame = wait_for_hidden(qtbot, window, hidden)
    view = window.weights_plot
    qtbot.waitUntil(lambda: view.legend.isVisible() and view.legend.sceneBoundingRect().height() > 100,
                    timeout=TIMEOUT)
    assert len(view.curves) == len(frame.shown.index)
    assert view.legend_labels() == list(frame.shown.names)
    assert_fits_its_view(view)
