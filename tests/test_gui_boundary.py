"""The boundary plot on its own: point colours and legend, slice sliders, extreme ranges, class regions, a
sample of big data, the surface computed off the GUI thread. Assertions are on the items' data (brushes, pens,
images, ranges), not pixels."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import shiboken6
from PySide6.QtGui import QColor

from gui.views import boundary as boundary_module
from gui.views import surface as surface_module
from gui.views.boundary import BoundaryPlot
from gui.views.common import CLASS_COLORS, configure_pyqtgraph
from model import datasets
from model.config import TrainConfig
from model.network import NetworkSpec, Params, predict


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
    assert boundary.wait_for_surface()
    assert boundary.values().shape == (boundary.image.image.shape)
    for item in (boundary.train_points, boundary.test_points):
        assert np.isfinite(item.data["x"]).all() and np.isfinite(item.data["y"]).all()


def test_class_regions_show_the_thresholded_output_for_classification(boundary):
    config = lay_out(boundary, datasets.xor(), hidden=4, activation="tanh", output="sigmoid", loss="bce")
    theta = np.random.RandomState(3).randn(2 * 4 + 4 + 4 + 1) * 2
    boundary.show_network(theta)
    assert boundary.wait_for_surface()
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
    assert boundary.wait_for_surface()
    np.testing.assert_array_equal(boundary.image_values(), (boundary.values() >= 0.5).astype(np.float32))
    boundary.set_discretized(False)
    np.testing.assert_allclose(boundary.image_values(), boundary.values(), rtol=1e-6)
    assert config.output == "sigmoid"
    # regression: no class regions to show
    lay_out(boundary, datasets.product(), output="linear", loss="squared")
    assert not boundary.discretize_box.isVisibleTo(boundary)


# --- big data and big networks: bounded work on the GUI thread ----------------------------------------------


def rows_of(points) -> np.ndarray:
    """The drawn points' (x, y), sorted, for comparing with rows of a dataset."""
    xy = np.column_stack([points.data["x"], points.data["y"]])
    return xy[np.lexsort(xy.T[::-1])]


def sorted_rows(xy: np.ndarray) -> np.ndarray:
    return xy[np.lexsort(xy.T[::-1])]


def test_a_large_dataset_draws_a_seeded_sample_and_the_legend_says_so(boundary):
    rng = np.random.RandomState(5)
    n, n_test = 200_000, 8_000
    X, X_test = rng.randn(n, 2), rng.randn(n_test, 2)
    dataset = datasets.make_dataset("big", X, (X[:, 0] * X[:, 1] > 0), X_test, (X_test[:, 0] > 0))
    lay_out(boundary, dataset)
    limit = boundary_module.MAX_POINTS
    expected = np.sort(np.random.default_rng(boundary_module.POINT_SEED).choice(n, limit, replace=False))
    np.testing.assert_array_equal(boundary.shown_rows("train"), expected)
    # the points are exactly those rows of X, each in its row's class colour
    assert len(boundary.train_points.data) == limit
    np.testing.assert_array_equal(rows_of(boundary.train_points), sorted_rows(X[expected]))
    label_of = {tuple(row): int(label) for row, label in zip(X[expected], dataset.y[expected, 0], strict=True)}
    class_rgba = [QColor(c).getRgb() for c in CLASS_COLORS]
    data = boundary.train_points.data
    for x, y, brush in zip(data["x"], data["y"], data["brush"], strict=True):
        assert rgba(brush) == class_rgba[label_of[(x, y)]]
    assert len({id(b) for b in data["brush"]}) <= 4 and len({id(p) for p in data["pen"]}) <= 2
    test_rows = boundary.shown_rows("test")
    assert len(test_rows) == len(boundary.test_points.data) == limit
    np.testing.assert_array_equal(rows_of(boundary.test_points), sorted_rows(X_test[test_rows]))
    assert boundary.legend_labels() == ["class 0", "class 1", "showing 5,000 of 200,000 training points",
                                        "showing 5,000 of 8,000 test points"]
    # the plane covers the drawn points
    x_range, y_range = boundary.plot.getViewBox().viewRange()
    assert x_range[0] < X[expected, 0].min() and X[expected, 0].max() < x_range[1]
    assert y_range[0] < X[expected, 1].min() and X[expected, 1].max() < y_range[1]
    # a small dataset is drawn whole, and says nothing of a sample
    lay_out(boundary, datasets.xor())
    assert len(boundary.train_points.data) == 4 and boundary.legend_labels()[-1] == "data"


def test_a_slider_move_fades_points_of_the_sample_only(boundary, qtbot):
    rng = np.random.RandomState(6)
    n, d = 100_000, 16
    X = rng.uniform(-1.0, 1.0, (n, d))
    X[:, 3:] = rng.rand(n, d - 3) < 0.05  # mostly 0: many rows lie on a slice through all of them
    dataset = datasets.make_dataset("wide", X, X[:, 0] > X[:, 1])
    lay_out(boundary, dataset)
    assert len(boundary.sliders) == d - 2 and boundary.grid_inputs().shape == (101 * 101, d)
    rows = boundary.shown_rows()
    drawn = X[rows]
    by_xy = {tuple(row[:2]): row for row in drawn}

    def solid_expected(row, values):
        # within a quarter of the drawn rows' range of each slice value
        spans = drawn[:, 2:].max(axis=0) - drawn[:, 2:].min(axis=0)
        return bool((np.abs(row[2:] - values) <= 0.25 * spans).all())

    with qtbot.waitSignal(boundary.slice_changed):
        boundary.set_slice_value(0, 0.9)  # x3 near its top: few rows of the sample on the slice
    values = np.array(boundary.slice_values())
    data = boundary.train_points.data
    assert len(data) == len(rows) == boundary_module.MAX_POINTS  # only the sample was restyled
    solid = [solid_expected(by_xy[(x, y)], values) for x, y in zip(data["x"], data["y"], strict=True)]
    assert 0 < sum(solid) < len(solid)
    for is_solid, brush, pen in zip(solid, data["brush"], data["pen"], strict=True):
        assert (rgba(brush)[3] == 255) == is_solid and (rgba(pen)[3] == 255) == is_solid
    assert len({id(b) for b in data["brush"]}) <= 4 and len({id(p) for p in data["pen"]}) <= 2
    # the solid points are drawn last, on top of the faded ones
    assert solid == sorted(solid)


def test_the_surface_of_1024_hidden_units_is_a_full_grid_computed_off_the_gui_thread(boundary, monkeypatch):
    threads = []
    real_predict = surface_module.predict

    def recording_predict(*args, **kwargs):
        threads.append(threading.current_thread())
        return real_predict(*args, **kwargs)

    monkeypatch.setattr(surface_module, "predict", recording_predict)
    config = lay_out(boundary, datasets.xor(), hidden=1024, activation="tanh", output="sigmoid", loss="bce")
    spec = NetworkSpec.from_config(config)
    size = 2 * 1024 + 1024 + 1024 + 1
    rng = np.random.RandomState(7)
    thetas = [rng.randn(size) * 0.5 for _ in range(4)]
    for theta in thetas:  # faster than the thread computes: only the newest must end up drawn
        boundary.show_network(theta, final=False)
    boundary.show_network(thetas[-1] * 1.5)
    assert boundary.wait_for_surface() and not boundary.surface_pending()
    assert threads and threading.main_thread() not in threads
    expected = predict(Params(2, 1024, thetas[-1] * 1.5), boundary.grid_inputs(), spec)[:, 0]
    assert boundary.values().shape == (101, 101) and boundary.image_values().shape == (101, 101)
    np.testing.assert_allclose(boundary.values().ravel(), expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(boundary.image_values().ravel(), expected, rtol=1e-6)
    # the decision line runs where the image crosses 0.5: each vertex on a grid edge, interpolated linearly
    x, y = boundary.contour.getData()
    assert 0.0 < (expected >= 0.5).mean() < 1.0 and np.isfinite(x).sum() > 10
    image = boundary.image_values().astype(np.float64)
    for px, py in zip(x[np.isfinite(x)], y[np.isfinite(y)], strict=True):
        assert line_value(image, px - 0.5, py - 0.5) == pytest.approx(0.5, abs=1e-9)


def line_value(image, column, row):
    """The image linearly interpolated along the grid edge that (column, row) lies on."""
    if float(column).is_integer():
        low = int(np.floor(row))
        t = row - low
        upper = image[min(low + 1, image.shape[0] - 1), int(column)]
        return (1 - t) * image[low, int(column)] + t * upper
    low = int(np.floor(column))
    t = column - low
    return (1 - t) * image[int(row), low] + t * image[int(row), min(low + 1, image.shape[1] - 1)]


def big_request(final=True, hidden=1024, seed=3):
    """A surface request of a tanh network on XOR's 101 x 101 grid, as the boundary plot makes it."""
    config = TrainConfig(hidden=hidden, activation="tanh", output="sigmoid", loss="bce")
    grid = surface_module.SurfaceGrid.over_plane((-0.5, 1.5), (-0.5, 1.5), 101, 2)
    theta = np.random.RandomState(seed).randn(4 * hidden + 1) * 0.5
    return surface_module.SurfaceRequest(1, 1, theta, NetworkSpec.from_config(config), hidden, grid, (),
                                         (0.0, 1.0), trace_line=True, final=final)


def test_a_preview_is_the_grid_s_even_points_filled_in_linearly():
    request = big_request()
    assert surface_module.wants_preview(request)
    assert not surface_module.wants_preview(big_request(final=False))  # while training: the rest between passes
    assert not surface_module.wants_preview(big_request(hidden=256))  # a quick pass needs none
    inputs = request.grid.inputs(())
    preview = surface_module.compute_preview(request, surface_module.Workspaces(), inputs)
    assert preview.preview and preview.values.shape == (101, 101)
    exact = predict(Params(2, 1024, request.theta), inputs, request.spec)[:, 0].reshape(101, 101)
    coarse = exact[::2, ::2]
    np.testing.assert_allclose(preview.values[::2, ::2], coarse, rtol=0, atol=1e-12)
    # between: each odd point the mean of its two (or four) even neighbours, computed here point by point
    for i, j in [(0, 1), (1, 0), (1, 1), (57, 38), (99, 100), (100, 99), (99, 99)]:
        rows = [i] if i % 2 == 0 else [i - 1, i + 1]
        columns = [j] if j % 2 == 0 else [j - 1, j + 1]
        assert preview.values[i, j] == pytest.approx(np.mean([exact[r, c] for r in rows for c in columns]), abs=1e-12)
    np.testing.assert_allclose(preview.image, preview.values, rtol=1e-6)  # within the levels' reach here
    # the line is traced on the coarse points: mapped back, each vertex lies where they cross 0.5
    x, y = preview.line
    coarse_image = surface_module.image_of(coarse, (0.0, 1.0)).astype(np.float64)
    assert np.isfinite(x).sum() > 10
    for px, py in zip(x[np.isfinite(x)], y[np.isfinite(y)], strict=True):
        column, row = (px + 0.5) / 2 - 0.5, (py + 0.5) / 2 - 0.5
        assert line_value(coarse_image, column, row) == pytest.approx(0.5, abs=1e-6)


def test_grid_passes_in_blocks_of_every_size_allocate_one_workspace(monkeypatch):
    """Blocks made small (the last one shorter, a preview's of another size): the values are the network's at
    every point, and one Workspace serves every block of every pass."""
    made = []

    class CountedWorkspace(surface_module.Workspace):
        def __init__(self, *args):
            made.append(args)
            super().__init__(*args)

    monkeypatch.setattr(surface_module, "Workspace", CountedWorkspace)
    monkeypatch.setattr(surface_module, "BLOCK_VALUES", 1000 * 1024)  # 1000 rows a block: 10201 = 10 x 1000 + 201
    request, workspaces = big_request(), surface_module.Workspaces()
    inputs = request.grid.inputs(())
    exact = predict(Params(2, 1024, request.theta), inputs, request.spec)[:, 0].reshape(101, 101)
    for _ in range(2):
        preview = surface_module.compute_preview(request, workspaces, inputs)  # 2601 rows: 2 x 1000 + 601
        whole = surface_module.compute_surface(request, workspaces, inputs)
        np.testing.assert_allclose(preview.values[::2, ::2], exact[::2, ::2], rtol=0, atol=1e-12)
        np.testing.assert_allclose(whole.values, exact, rtol=0, atol=1e-12)
    assert made == [(1000, 2, 1024)]


def test_a_big_network_s_final_surface_shows_its_preview_first_then_the_whole_grid(boundary, monkeypatch, qtbot):
    gate = threading.Event()
    real_compute = surface_module.compute_surface

    def gated_compute(*args, **kwargs):
        gate.wait(10)
        return real_compute(*args, **kwargs)

    monkeypatch.setattr(surface_module, "compute_surface", gated_compute)
    request = big_request()
    lay_out(boundary, datasets.xor(), hidden=1024, activation="tanh", output="sigmoid", loss="bce")
    boundary.show_network(request.theta)
    qtbot.waitUntil(lambda: not boundary.image_pending(), timeout=10_000)
    assert boundary.showing_preview() and boundary.surface_pending()  # the whole grid is still being computed
    exact = predict(Params(2, 1024, request.theta), boundary.grid_inputs(), request.spec)[:, 0].reshape(101, 101)
    np.testing.assert_allclose(boundary.image_values()[::2, ::2], exact[::2, ::2], rtol=1e-6)
    gate.set()
    assert boundary.wait_for_surface()
    assert not boundary.showing_preview()
    np.testing.assert_allclose(boundary.image_values(), exact, rtol=1e-6)


def test_a_drag_computes_the_whole_grid_of_its_last_position_only(boundary, monkeypatch, qtbot):
    """Moves that come while a preview is computed skip the whole grids of the positions passed."""
    gate, wholes = threading.Event(), []
    real_preview, real_compute = surface_module.compute_preview, surface_module.compute_surface

    def gated_preview(*args, **kwargs):
        gate.wait(10)
        return real_preview(*args, **kwargs)

    def recording_compute(request, *args, **kwargs):
        wholes.append(request.seq)
        return real_compute(request, *args, **kwargs)

    monkeypatch.setattr(surface_module, "compute_preview", gated_preview)
    monkeypatch.setattr(surface_module, "compute_surface", recording_compute)
    lay_out(boundary, datasets.xor(), hidden=1024, activation="tanh", output="sigmoid", loss="bce")
    thetas = [big_request(seed=seed).theta for seed in range(3)]
    boundary.show_network(thetas[0])  # its preview waits at the gate
    qtbot.wait(50)
    boundary.show_network(thetas[1])
    boundary.show_network(thetas[2])  # replaces the second before it starts
    gate.set()
    assert boundary.wait_for_surface()
    assert len(wholes) == 1  # the first position's whole grid was skipped, the second never started
    exact = predict(Params(2, 1024, thetas[2]), boundary.grid_inputs(), big_request().spec)[:, 0]
    np.testing.assert_allclose(boundary.values().ravel(), exact, rtol=0, atol=1e-12)


def test_a_one_input_dataset_draws_the_output_curve_and_a_sample_of_points(boundary):
    rng = np.random.RandomState(8)
    n = 50_000
    x = rng.uniform(-2.0, 3.0, n)
    dataset = datasets.make_dataset("line", x[:, None], 2 * x + rng.randn(n) * 0.1)
    config = lay_out(boundary, dataset, hidden=64, activation="tanh", output="linear", loss="squared")
    theta = rng.randn(64 + 64 + 64 + 1)
    boundary.show_network(theta)
    assert boundary.wait_for_surface()
    curve_x, curve_y = boundary.output_curve.getData()
    grid = boundary.grid_inputs()
    expected = predict(Params(1, 64, theta), grid, NetworkSpec.from_config(config))[:, 0]
    np.testing.assert_array_equal(curve_x, grid[:, 0])
    np.testing.assert_allclose(curve_y, expected, rtol=0, atol=1e-12)
    assert grid[:, 0].min() < x.min() and x.max() < grid[:, 0].max()
    rows = boundary.shown_rows()
    assert len(rows) == len(boundary.train_points.data) == boundary_module.MAX_POINTS
    np.testing.assert_array_equal(rows_of(boundary.train_points),
                                  sorted_rows(np.column_stack([x[rows], dataset.y[rows, 0]])))
    assert boundary.legend_labels() == ["network output", "showing 5,000 of 50,000 training points"]
    assert not boundary.image.isVisible()


def test_the_surface_thread_stops_when_the_view_is_deleted(qtbot):
    def surface_threads():
        return [t for t in threading.enumerate() if t.name == "boundary-surface"]

    before = len(surface_threads())
    plot = BoundaryPlot()
    qtbot.addWidget(plot)
    lay_out(plot, datasets.xor())
    plot.show_network(np.ones(2 * 3 + 3 + 3 + 1))
    assert plot.wait_for_surface()
    assert len(surface_threads()) == before + 1
    shiboken6.delete(plot)
    assert len(surface_threads()) == before
