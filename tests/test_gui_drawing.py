"""Drawing points on the boundary plot: real mouse clicks (qtbot) at the pixel of a data coordinate ask for a point
of the right class, or for the nearest one to go; nothing with drawing off, outside the plot area, or on a dataset
of other than 2 inputs; a regression's target comes from the value field. The window's part (a new dataset from
model/drawing.py, then set_network) is played here by the test: the new points are drawn, the view kept."""

from __future__ import annotations

import numpy as np
import pytest
import shiboken6
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtWidgets import QWidget

from gui.views.boundary import MAX_POINTS, BoundaryPlot
from gui.views.common import configure_pyqtgraph
from model import datasets
from model.config import TrainConfig
from model.drawing import with_point
from model.network import NetworkSpec

SHIFT = Qt.KeyboardModifier.ShiftModifier
CTRL = Qt.KeyboardModifier.ControlModifier
NONE = Qt.KeyboardModifier.NoModifier
LEFT = Qt.MouseButton.LeftButton


@pytest.fixture
def boundary(qtbot):
    configure_pyqtgraph()
    # Shown, so that mouse events reach it, in a window of no layout: a top-level widget whose layout changes
    # its minimum size makes the offscreen platform warn ("does not support propagateSizeHints()").
    window = QWidget()
    qtbot.addWidget(window)
    window.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)  # laid out and given events, never on a screen
    window.resize(520, 470)
    plot = BoundaryPlot(window)
    plot.resize(520, 470)
    window.show()
    qtbot.waitExposed(window)
    yield plot
    if shiboken6.isValid(window):
        shiboken6.delete(window)


def lay_out(plot, dataset, hidden=3):
    plot.set_network(dataset, NetworkSpec.from_config(TrainConfig(hidden=hidden)), hidden)


def pixel_of(plot, x1: float, x2: float) -> QPoint:
    """The viewport pixel showing the data point (x1, x2): view -> scene -> widget."""
    return plot.view.mapFromScene(plot.plot.vb.mapViewToScene(QPointF(x1, x2)))


def click(qtbot, plot, x1, x2, modifier=NONE) -> None:
    qtbot.mouseClick(plot.view.viewport(), LEFT, modifier, pixel_of(plot, x1, x2))


class Recorder:
    """Every emission of the plot's two drawing signals, in order."""

    def __init__(self, plot):
        self.added, self.removed = [], []
        plot.point_added.connect(lambda *args: self.added.append(args))
        plot.point_removed.connect(lambda *args: self.removed.append(args))


def assert_near(plot, got, expected) -> None:
    """Within a pixel's size in data units, per axis."""
    width, height = plot.plot.vb.viewPixelSize()
    assert abs(got[0] - expected[0]) <= width and abs(got[1] - expected[1]) <= height


def test_clicks_ask_for_class_1_shift_clicks_for_class_0_and_ctrl_clicks_remove(qtbot, boundary):
    lay_out(boundary, datasets.xor())
    boundary.set_drawing(True)
    assert boundary.drawing() and boundary.draw_box.isVisibleTo(boundary)
    assert not boundary.value_box.isVisibleTo(boundary)  # classification: the class comes from Shift
    recorder = Recorder(boundary)
    click(qtbot, boundary, 0.3, 0.7)
    click(qtbot, boundary, 0.9, 0.1, SHIFT)
    click(qtbot, boundary, 1.1, -0.2, CTRL)
    click(qtbot, boundary, 0.5, 0.5, CTRL | SHIFT)  # Ctrl wins: remove
    assert [target for *_, target in recorder.added] == [1.0, 0.0]
    assert_near(boundary, recorder.added[0], (0.3, 0.7))
    assert_near(boundary, recorder.added[1], (0.9, 0.1))
    assert len(recorder.removed) == 2
    assert_near(boundary, recorder.removed[0], (1.1, -0.2))
    assert_near(boundary, recorder.removed[1], (0.5, 0.5))


def test_nothing_is_asked_with_drawing_off_or_outside_the_plot_area(qtbot, boundary):
    lay_out(boundary, datasets.xor())
    recorder = Recorder(boundary)
    click(qtbot, boundary, 0.3, 0.7)
    click(qtbot, boundary, 0.3, 0.7, CTRL)
    assert not boundary.drawing() and recorder.added == recorder.removed == []
    boundary.set_drawing(True)
    box = boundary.plot.vb.sceneBoundingRect()
    below = boundary.view.mapFromScene(QPointF(box.center().x(), box.bottom() + 8))  # on the x1 axis
    qtbot.mouseClick(boundary.view.viewport(), LEFT, NONE, below)
    assert recorder.added == []
    click(qtbot, boundary, 0.3, 0.7)  # the same click as above, now drawing
    assert len(recorder.added) == 1
    boundary.set_drawing(False)
    click(qtbot, boundary, 0.3, 0.7)
    assert len(recorder.added) == 1


def test_a_held_click_that_barely_moves_still_draws_and_a_drag_pans(qtbot, boundary):
    lay_out(boundary, datasets.xor())
    boundary.set_drawing(True)
    recorder = Recorder(boundary)
    viewport = boundary.view.viewport()
    start = pixel_of(boundary, 0.5, 0.5)
    qtbot.mousePress(viewport, LEFT, NONE, start)
    qtbot.wait(700)  # longer than pyqtgraph's 0.5 s after which a move would start a drag
    qtbot.mouseMove(viewport, start + QPoint(2, 1))
    qtbot.mouseRelease(viewport, LEFT, NONE, start + QPoint(2, 1))
    assert len(recorder.added) == 1
    x_range = boundary.plot.viewRange()[0]
    qtbot.mousePress(viewport, LEFT, NONE, start)
    for step in range(1, 6):
        qtbot.mouseMove(viewport, start + QPoint(12 * step, 0))
        qtbot.wait(30)  # the scene reports moves at a limited rate
    qtbot.mouseRelease(viewport, LEFT, NONE, start + QPoint(60, 0))
    assert len(recorder.added) == 1  # a drag is no click
    assert boundary.plot.viewRange()[0][0] < x_range[0]  # and it panned the view


def test_a_3_input_dataset_cannot_be_drawn_on(qtbot, boundary):
    lay_out(boundary, datasets.and_or())
    boundary.set_drawing(True)
    assert not boundary.drawing()
    assert boundary.draw_box.isVisibleTo(boundary) and not boundary.draw_box.isEnabled()
    assert "2 inputs" in boundary.draw_box.toolTip() and "has 3" in boundary.draw_box.toolTip()
    recorder = Recorder(boundary)
    click(qtbot, boundary, 0.5, 0.5)
    click(qtbot, boundary, 0.5, 0.5, CTRL)
    assert recorder.added == recorder.removed == []
    lay_out(boundary, datasets.xor())  # back to 2 inputs: the box kept its check
    assert boundary.drawing() and "Shift+click" in boundary.draw_box.toolTip()


def test_a_regression_point_takes_the_value_field(qtbot, boundary):
    data = datasets.product(n=200, n_test=50)
    lay_out(boundary, data)
    boundary.set_drawing(True)
    assert boundary.value_box.isVisibleTo(boundary)
    low, high = data.y.min(), data.y.max()
    assert low <= boundary.value_box.value() <= high  # starts inside the targets' range
    boundary.value_box.setValue(3.5)
    recorder = Recorder(boundary)
    click(qtbot, boundary, 0.25, 0.75)
    click(qtbot, boundary, 0.75, 0.25, SHIFT)
    assert [target for *_, target in recorder.added] == [3.5, 3.5]
    assert_near(boundary, recorder.added[0], (0.25, 0.75))
    boundary.set_drawing(False)
    assert not boundary.value_box.isVisibleTo(boundary)


def scatter_xy(item) -> set[tuple[float, float]]:
    x, y = item.getData()
    return set(zip(x.tolist(), y.tolist(), strict=True))


def test_a_drawn_dataset_redraws_only_its_points_and_keeps_the_view_and_surface(qtbot, boundary):
    data = datasets.xor()
    lay_out(boundary, data)
    boundary.set_drawing(True)
    boundary.show_network(np.random.RandomState(0).randn(2 * 3 + 3 + 3 + 1))
    assert boundary.wait_for_surface()
    image, view_range = boundary.image_values(), boundary.plot.viewRange()
    drawn = with_point(data, (0.5, 0.25), 1)
    lay_out(boundary, drawn)
    assert scatter_xy(boundary.train_points) == {(0, 0), (0, 1), (1, 0), (1, 1), (0.5, 0.25)}
    assert boundary.plot.viewRange() == view_range
    np.testing.assert_array_equal(boundary.image_values(), image)  # the last surface stays until the next
    assert not boundary.surface_pending()
    lay_out(boundary, data)  # undone: the point goes, the view stays
    assert scatter_xy(boundary.train_points) == {(0, 0), (0, 1), (1, 0), (1, 1)}
    assert boundary.plot.viewRange() == view_range
    # a point beyond the grid: the plot is laid out again around every point
    far = with_point(data, (3.0, -2.0), 0)
    lay_out(boundary, far)
    (x_low, x_high), (y_low, y_high) = boundary.plot.viewRange()
    assert x_low < 0 and x_high > 3.0 and y_low < -2.0 and y_high > 1.0
    assert (3.0, -2.0) in scatter_xy(boundary.train_points)


def test_with_drawing_off_a_new_dataset_is_laid_out_afresh(qtbot, boundary):
    data = datasets.xor()
    lay_out(boundary, data)
    view_range = boundary.plot.viewRange()
    boundary.plot.setRange(xRange=(0.2, 0.4), yRange=(0.2, 0.4), padding=0)  # zoomed in
    lay_out(boundary, with_point(data, (0.5, 0.5), 1))
    np.testing.assert_allclose(boundary.plot.viewRange(), view_range)


# --- in the window ------------------------------------------------------------------------------------------

def test_points_drawn_in_the_window_make_a_dataset_that_undo_takes_back_and_csv_keeps(window, qtbot, tmp_path):
    from model.datasets import load_csv

    window.apply_dataset("xor")
    xor = window.dataset
    window.boundary_plot.point_added.emit(0.5, 0.25, 1.0)
    assert window.dataset_key == "drawn" and len(window.dataset.X) == 5
    np.testing.assert_array_equal(window.dataset.X[-1], [0.5, 0.25])
    assert window.dataset.y[-1, 0] == 1.0
    qtbot.waitUntil(lambda: window.drawn_frame() is not None and len(window.drawn_frame().dataset.X) == 5)
    assert window.panel.dataset.currentData() == "drawn"
    window.boundary_plot.point_removed.emit(0.05, -0.02)  # nearest: (0, 0)
    assert len(window.dataset.X) == 4 and not any((row == [0.0, 0.0]).all() for row in window.dataset.X)
    path = tmp_path / "drawn.csv"
    assert window.files.save_data(path)
    again = load_csv(path, task="classification")
    np.testing.assert_array_equal(again.X, window.dataset.X)
    np.testing.assert_array_equal(again.y, window.dataset.y)
    assert window.undo() and len(window.dataset.X) == 5  # the point removed comes back
    assert window.undo() and window.dataset is xor and window.dataset_key == "xor"


def test_drawing_on_big_data_moves_no_other_point_and_undo_gives_the_points_back(window, qtbot):
    # 6,000 training and 5,500 test rows: the plot draws a sample of each. An edit keeps the sample's rows (a
    # point added is drawn too; one removed goes) instead of drawing a new sample, so only the edited point moves.
    rng = np.random.default_rng(5)
    X, X_test = rng.uniform(-1, 1, size=(6_000, 2)), rng.uniform(-1, 1, size=(5_500, 2))
    big = datasets.make_dataset("big", X, (X[:, :1] * X[:, 1:] > 0).astype(float), X_test,
                                (X_test[:, :1] * X_test[:, 1:] > 0).astype(float))
    plot = window.boundary_plot

    def drawn(dataset):
        qtbot.waitUntil(lambda: window.drawn_frame() is not None and window.drawn_frame().dataset is dataset)
        return plot.shown_rows("train"), plot.shown_rows("test"), scatter_xy(plot.train_points), \
            scatter_xy(plot.test_points)

    assert window.new_network(window.config, "drawn", big)
    rows0, test0, points0, test_points0 = drawn(big)
    assert len(rows0) == len(test0) == MAX_POINTS
    assert window.add_point(0.125, -0.5, 1.0)
    rows1, test1, points1, test_points1 = drawn(window.dataset)
    np.testing.assert_array_equal(rows1, np.append(rows0, 6_000))  # the new row is the last
    assert points1 == points0 | {(0.125, -0.5)} and test_points1 == test_points0
    np.testing.assert_array_equal(test1, test0)

    gone = int(rows1[100])  # a drawn training row
    assert window.remove_point(*window.dataset.X[gone])
    rows2, _test2, points2, _ = drawn(window.dataset)
    kept = np.delete(rows1, 100)
    np.testing.assert_array_equal(rows2, np.where(kept > gone, kept - 1, kept))
    assert points2 == points1 - {tuple(X[gone])}

    hidden = int(np.setdiff1d(np.arange(5_500), test0)[7])  # a test row not drawn
    assert window.remove_point(*X_test[hidden])
    _rows3, test3, points3, test_points3 = drawn(window.dataset)
    assert len(window.dataset.X_test) == 5_499
    np.testing.assert_array_equal(test3, np.where(test0 > hidden, test0 - 1, test0))
    assert points3 == points2 and test_points3 == test_points0  # nothing drawn moved

    for _ in range(3):
        assert window.undo()
    assert window.dataset is big
    rows, test, points, test_points = drawn(big)
    np.testing.assert_array_equal(rows, rows0)
    np.testing.assert_array_equal(test, test0)
    assert points == points0 and test_points == test_points0
