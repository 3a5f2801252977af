"""The boundary plot on its own: point colours and legend, slice sliders, extreme ranges, class regions.
Assertions are on the items' data (brushes, pens, images, ranges), not pixels."""

from __future__ import annotations

import numpy as np
import pytest
import shiboken6
from PySide6.QtGui import QColor

from gui.views.boundary import BoundaryPlot
from gui.views.common import CLASS_COLORS, configure_pyqtgraph
from model import datasets
from model.config import TrainConfig
from model.network import NetworkSpec


@pytest.fixture
def boundary(qtbot):
    configure_pyqtgraph()
    plot = BoundaryPlot()
    qtbot.addWidget(plot)
    plot.resize(500, 450)  # not shown: the offscreen platform warns about a shown top-level widget
    yield plot
    if shiboken6.isValid(plot):
        shiboken6.delete(plot)


def lay_out(plot, dataset, hidden=3, **settings):
    config = TrainConfig(hidden=hidden, **settings)
    plot.set_network(dataset, NetworkSpec.from_config(config), hidden)
    return config


def rgba(brush_or_pen) -> tuple[int, int, int, int]:
    return brush_or_pen.color().getRgb()


def test_classes_have_fixed_distinct_colours_with_a_contrasting_edge_and_a_legend(boundary):
    dataset = datasets.and_or()
    lay_out(boundary, dataset)
    # train rows have x3 = 1 (on the slice); per point: its class's fixed colour, solid, with a dark edge
    data = boundary.train_points.data
    xs, ys = data["x"], data["y"]
    expected = {tuple(row[:2]): target for row, target in zip(dataset.X, dataset.y[:, 0], strict=True)}
    class_rgba = {0: QColor(CLASS_COLORS[0]).getRgb(), 1: QColor(CLASS_COLORS[1]).getRgb()}
    assert class_rgba[0] != class_rgba[1]
    for x, y, brush, pen in zip(xs, ys, data["brush"], data["pen"], strict=True):
        assert rgba(brush) == class_rgba[int(expected[(x, y)])]
        edge = QColor(pen.color())
        assert edge.lightness() < 60 and pen.widthF() > 0  # dark outline on a pale surface
    # the brushes are shared: as many distinct objects as classes x (solid, faded) at most
    every = list(data["brush"]) + list(boundary.test_points.data["brush"])
    assert len({id(b) for b in every}) <= 4
    # train and test take different marker shapes
    assert boundary.train_points.opts["symbol"] == "o"
    assert boundary.test_points.opts["symbol"] == "s"
    assert boundary.legend_labels() == ["class 0", "class 1", "train", "test"]


def test_the_surface_is_muted_so_points_stand_out(boundary):
    lay_out(boundary, datasets.xor())
    lut = boundary.colormap.getLookupTable(0.0, 1.0, 256, alpha=False)
    low, high = QColor(*lut[0]), QColor(*lut[-1])
    point0, point1 = QColor(CLASS_COLORS[0]), QColor(CLASS_COLORS[1])
    # the surface's ends are the class colours' hues, paler and less saturated than the points
    assert low.hsvHue() == pytest.approx(point0.hsvHue(), abs=6)
    assert high.hsvHue() == pytest.approx(point1.hsvHue(), abs=6)
    assert low.saturation() < 0.6 * point0.saturation() and high.saturation() < 0.6 * point1.saturation()
    assert low.lightness() > point0.lightness() + 40 and high.lightness() > point1.lightness() + 40
    assert boundary.image.getLevels() is not None
    np.testing.assert_allclose(np.ravel(boundary.image.getLevels()), [0.0, 1.0])


def test_regression_points_use_a_few_shared_brushes_along_the_scale(boundary):
    dataset = datasets.product()
    lay_out(boundary, dataset, output="linear", loss="squared")
    data = boundary.train_points.data
    assert len(data) == len(dataset.X)
    assert len({id(b) for b in data["brush"]}) <= 16 and len({id(p) for p in data["pen"]}) <= 2
    # a larger target is drawn nearer the orange end of the scale than a smaller one
    lo_i, hi_i = int(np.argmin(data["y"] * data["x"])), int(np.argmax(data["y"] * data["x"]))
    low, high = QColor(data["brush"][lo_i].color()), QColor(data["brush"][hi_i].color())
    assert high.red() > low.red() and high.blue() < low.blue()
    assert "class 0" not in boundary.legend_labels() and "test" in boundary.legend_labels()
    assert max(data["size"]) <= 6  # small enough for 1000 points


def test_extra_inputs_start_at_each_columns_median(boundary, tmp_path):
    rng = np.random.RandomState(1)
    n = 41
    x3 = np.round(rng.exponential(2.0, n), 3)  # skewed: median well below the maximum
    x4 = np.round(rng.uniform(-5.0, 1.0, n), 3)
    rows = [f"{a:.3f},{b:.3f},{c},{d},{int(a > b)}\n" for a, b, c, d in zip(rng.rand(n), rng.rand(n), x3, x4,
                                                                             strict=True)]
    path = tmp_path / "four.csv"
    path.write_text("a,b,c,d,label\n" + "".join(rows))
    dataset = datasets.load_csv(path)
    lay_out(boundary, dataset)
    assert len(boundary.sliders) == 2
    for value, column in zip(boundary.slice_values(), (x3, x4), strict=True):
        step = (column.max() - column.min()) / 100
        assert abs(value - np.median(column)) <= step / 2 + 1e-12
        assert value < column.max() - step
    grid = boundary.grid_inputs()
    np.testing.assert_array_equal(grid[:, 2:], np.broadcast_to(boundary.slice_values(), (len(grid), 2)))
    # AND-OR trains on x3 = 1 only: its median, so the training rows are the solid ones
    lay_out(boundary, datasets.and_or())
    assert boundary.slice_values() == [1.0]


@pytest.mark.parametrize("scale", [1e307, 1.5e308])
def test_data_near_the_largest_float_lays_out_with_a_finite_range(boundary, scale):
    X = np.array([[-1.0, -0.1, 1.0], [1.0, 0.1, -1.0], [0.0, 0.0, 0.0], [0.5, -0.1, 1.1]]) * scale
    X_test = X[::-1] * 0.5
    dataset = datasets.make_dataset("huge", X, [0, 1, 0, 1], X_test, [1, 0, 1, 0])
    config = lay_out(boundary, dataset, output="sigmoid", loss="bce")
    x_range, y_range = boundary.plot.getViewBox().viewRange()
    assert np.isfinite(x_range).all() and np.isfinite(y_range).all()
    assert x_range[1] > x_range[0] and y_range[1] > y_range[0]
    assert np.isfinite(boundary.grid_inputs()).all() and np.isfinite(boundary.slice_values()).all()
    assert np.isfinite(boundary.image.mapRectToParent(boundary.image.boundingRect()).getCoords()).all()
    theta = np.linspace(-1.0, 1.0, 3 * config.hidden + 2 * config.hidden + 1)
    boundary.show_network(theta)  # raises nothing (warnings are errors here)
    assert boundary.values().shape == (boundary.image.image.shape)
    for item in (boundary.train_points, boundary.test_points):
        assert np.isfinite(item.data["x"]).all() and np.isfinite(item.data["y"]).all()


def test_class_regions_show_the_thresholded_output_for_classification(boundary):
    config = lay_out(boundary, datasets.xor(), hidden=4, activation="tanh", output="sigmoid", loss="bce")
    theta = np.random.RandomState(3).randn(2 * 4 + 4 + 4 + 1) * 2
    boundary.show_network(theta)
    continuous = boundary.values()
    np.testing.assert_allclose(boundary.image_values(), continuous, rtol=1e-6)
    assert not boundary.discretized() and boundary.discretize_box.isVisibleTo(boundary)
    assert 0.0 < (continuous >= 0.5).mean() < 1.0  # both classes on the plane
    boundary.set_discretized(True)  # redraws the last network at once
    assert boundary.discretize_box.isChecked()
    np.testing.assert_array_equal(boundary.image_values(), (continuous >= 0.5).astype(np.float32))
    np.testing.assert_array_equal(boundary.values(), continuous)  # the predictions themselves are kept
    np.testing.assert_allclose(np.ravel(boundary.image.getLevels()), [0.0, 1.0])
    boundary.show_network(theta * 0.5)  # and later frames too
    np.testing.assert_array_equal(boundary.image_values(), (boundary.values() >= 0.5).astype(np.float32))
    boundary.set_discretized(False)
    np.testing.assert_allclose(boundary.image_values(), boundary.values(), rtol=1e-6)
    assert config.output == "sigmoid"
    # regression: no class regions to show
    lay_out(boundary, datasets.product(), output="linear", loss="squared")
    assert not boundary.discretize_box.isVisibleTo(boundary)
