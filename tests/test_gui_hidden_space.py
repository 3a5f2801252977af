"""The hidden space view on its own: the points, the grid lines and the decision line equal hidden activations and
output formulas computed here by hand from theta (plain NumPy, not the model's functions); the grid follows the
boundary plot's slice; a large dataset and hidden layer cost a bounded frame. Assertions are on the drawn data."""

from __future__ import annotations

import time

import numpy as np
import pytest
import shiboken6

from gui.views.boundary import MAX_POINTS, BoundaryPlot, sample_rows
from gui.views.common import configure_pyqtgraph
from gui.views.hidden_space import GRID_LINES, LINE_POINTS, HiddenSpaceView
from model.config import TrainConfig
from model.datasets import load_dataset, make_dataset
from model.network import Layout, NetworkSpec, init_params, predict
from model.trainer import Trainer

ACTIVATION_FORMULAS = {
    "linear": lambda z: z,
    "relu": lambda z: np.maximum(z, 0.0),
    "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
    "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "tanh": np.tanh,
}


@pytest.fixture
def views(qtbot):
    """Make hidden space views (following a boundary plot, as in the window); delete them afterwards."""
    configure_pyqtgraph()
    made = []

    def make(boundary: bool = True) -> HiddenSpaceView:
        plot = BoundaryPlot() if boundary else None
        view = HiddenSpaceView(boundary=plot)
        for widget in (plot, view):
            if widget is not None:
                qtbot.addWidget(widget)
                made.append(widget)
        view.resize(700, 500)  # not shown: the offscreen platform warns about a shown top-level widget
        return view

    yield make
    for widget in made:
        if shiboken6.isValid(widget):
            if isinstance(widget, BoundaryPlot):
                widget.shutdown()
            shiboken6.delete(widget)


def random_theta(dataset, config: TrainConfig, seed: int = 1) -> np.ndarray:
    """The network's initial weights, moved by noise so that every bias is non-zero too."""
    theta = init_params(config, dataset.n_inputs).theta
    return theta + 0.5 * np.random.default_rng(seed).standard_normal(theta.shape)


def lay_out(view: HiddenSpaceView, dataset, config: TrainConfig) -> NetworkSpec:
    spec = NetworkSpec.from_config(config)
    if view.boundary is not None:
        view.boundary.set_network(dataset, spec, config.hidden)
    view.set_network(dataset, spec, config.hidden, Layout(dataset.n_inputs, config.hidden).names())
    return spec


def activations(theta, config: TrainConfig, X: np.ndarray, units) -> np.ndarray:
    """act(X W1[:, u] + b1[u]) for the units, by hand: W1 is theta's first d*h entries, row-major (input, unit),
    then b1 (h entries); a disabled bias is not added."""
    d, h = X.shape[1], config.hidden
    W1 = np.asarray(theta[: d * h]).reshape(d, h)
    b1 = np.asarray(theta[d * h : d * h + h]) if config.bias else np.zeros(h)
    z = X @ W1[:, list(units)] + b1[list(units)]
    return ACTIVATION_FORMULAS[config.activation](z)


def output_weights(theta, config: TrainConfig, n_inputs: int) -> tuple[np.ndarray, float]:
    """w2 (h,) and b2 (0 when biases are off), by hand: after W1 and b1."""
    d, h = n_inputs, config.hidden
    w2 = np.asarray(theta[d * h + h : d * h + 2 * h])
    return w2, float(theta[-1]) if config.bias else 0.0


def drawn_rows(dataset) -> np.ndarray:
    """The rows the view draws: the boundary plot's sample of the training rows, then of the test rows."""
    X = dataset.X[sample_rows(len(dataset.X))]
    if dataset.has_test:
        X = np.vstack([X, dataset.X_test[sample_rows(len(dataset.X_test))]])
    return X


XOR_TANH = TrainConfig(hidden=4, activation="tanh", output="sigmoid", loss="bce", lr=0.5, mode="full", init="xavier")


def test_points_are_the_chosen_units_activations_after_a_change_of_units_or_weights(views):
    view = views()
    dataset = load_dataset("xor")
    lay_out(view, dataset, XOR_TANH)
    theta = random_theta(dataset, XOR_TANH)
    view.show_params(theta)
    assert view.units() == (0, 1)  # units 1 and 2 at first
    np.testing.assert_allclose(view.point_coordinates(), activations(theta, XOR_TANH, dataset.X, (0, 1)))

    view.set_units(3, 1)
    assert view.units() == (3, 1)
    assert (view.x_box.currentText(), view.y_box.currentText()) == ("unit 4", "unit 2")
    assert "hidden unit 4" in view.plot.getAxis("bottom").labelText
    np.testing.assert_allclose(view.point_coordinates(), activations(theta, XOR_TANH, dataset.X, (3, 1)))

    view.y_box.setCurrentIndex(2)  # as the user picks a unit
    assert view.units() == (3, 2)
    np.testing.assert_allclose(view.point_coordinates(), activations(theta, XOR_TANH, dataset.X, (3, 2)))

    moved = random_theta(dataset, XOR_TANH, seed=2)
    view.show_params(moved, final=False)
    np.testing.assert_allclose(view.point_coordinates(), activations(moved, XOR_TANH, dataset.X, (3, 2)))
    with pytest.raises(ValueError):
        view.set_units(0, 4)


@pytest.mark.parametrize(("activation", "bias"), [("relu", False), ("leaky_relu", True), ("sigmoid", True),
                                                  ("linear", True)])
def test_every_activation_is_mapped_as_its_formula(views, activation, bias):
    view = views(boundary=False)
    dataset = load_dataset("product")
    config = TrainConfig(hidden=3, activation=activation, output="linear", bias=bias)
    lay_out(view, dataset, config)
    theta = random_theta(dataset, config)  # non-zero biases: ignored when biases are off
    view.show_params(theta)
    X = drawn_rows(dataset)
    np.testing.assert_allclose(view.point_coordinates(), activations(theta, config, X, (0, 1)))
    assert len(view.point_coordinates()) == len(dataset.X) + len(dataset.X_test)  # both splits, all rows


def test_grid_lines_are_the_mapped_grid_of_the_datas_range(views):
    view = views()
    dataset = load_dataset("xor")
    lay_out(view, dataset, XOR_TANH)
    theta = random_theta(dataset, XOR_TANH)
    view.show_params(theta)
    grid = view.grid_inputs()
    steps = np.linspace(0.0, 1.0, GRID_LINES)  # XOR's inputs span [0, 1]
    along = np.linspace(0.0, 1.0, LINE_POINTS)
    assert grid.shape == (2 * GRID_LINES, LINE_POINTS, 2)
    np.testing.assert_allclose(grid[:GRID_LINES, :, 0], np.repeat(steps[:, None], LINE_POINTS, axis=1))
    np.testing.assert_allclose(grid[:GRID_LINES, :, 1], np.tile(along, (GRID_LINES, 1)))
    np.testing.assert_allclose(grid[GRID_LINES:, :, 0], np.tile(along, (GRID_LINES, 1)))
    np.testing.assert_allclose(grid[GRID_LINES:, :, 1], np.repeat(steps[:, None], LINE_POINTS, axis=1))

    curves = view.grid_line_coordinates().reshape(2 * GRID_LINES, LINE_POINTS + 1, 2)
    assert np.isnan(curves[:, -1]).all()  # a gap after every line
    expected = activations(theta, XOR_TANH, grid.reshape(-1, 2), (0, 1)).reshape(2 * GRID_LINES, LINE_POINTS, 2)
    np.testing.assert_allclose(curves[:, :-1], expected)
    # The data's corners are the grid's: (1, 1) is the last point of the last line of constant x1.
    np.testing.assert_allclose(view.point_coordinates()[3], curves[GRID_LINES - 1, LINE_POINTS - 1])
    x, y = view.grid_curve.getData()
    np.testing.assert_array_equal(np.column_stack([x, y]), view.grid_line_coordinates())


def test_one_hidden_unit_shows_activation_against_target_and_the_output_curve(views):
    view = views()
    dataset = load_dataset("product")
    config = TrainConfig(hidden=1, activation="tanh", output="linear")
    lay_out(view, dataset, config)
    theta = random_theta(dataset, config)
    view.show_params(theta)
    assert view.units() == (0,)
    assert view.y_box.isHidden()
    X = drawn_rows(dataset)
    targets = np.concatenate([dataset.y[:, 0], dataset.y_test[:, 0]])
    np.testing.assert_allclose(view.point_coordinates(), np.column_stack([activations(theta, config, X, (0,))[:, 0],
                                                                          targets]))
    assert view.grid_line_coordinates().shape == (0, 2)
    assert view.decision_line() is None
    curve = view.output_curve_coordinates()
    w2, b2 = output_weights(theta, config, 2)
    np.testing.assert_allclose(curve[:, 1], w2[0] * curve[:, 0] + b2)  # a linear output: a straight line
    low, high = view.plot.getViewBox().viewRange()[0]
    assert curve[0, 0] <= low and curve[-1, 0] >= high  # across the whole view
    view.set_units(0)
    assert view.units() == (0,)


def test_the_grid_follows_the_boundary_plots_slice(views):
    view = views()
    dataset = load_dataset("and_or")
    config = TrainConfig(hidden=3, activation="sigmoid", output="sigmoid", loss="bce")
    lay_out(view, dataset, config)
    theta = random_theta(dataset, config)
    view.show_params(theta)
    boundary = view.boundary
    start = boundary.slice_values()[0]
    np.testing.assert_allclose(view.grid_inputs()[:, :, 2], start)
    before = view.grid_line_coordinates()
    points_before = view.point_coordinates()
    np.testing.assert_allclose(points_before, activations(theta, config, drawn_rows(dataset), (0, 1)))

    new_value = 0.0 if start > 0.5 else 1.0
    boundary.set_slice_value(0, new_value)
    assert boundary.slice_values()[0] == pytest.approx(new_value)
    grid = view.grid_inputs()
    np.testing.assert_allclose(grid[:, :, 2], new_value)
    curves = view.grid_line_coordinates().reshape(len(grid), LINE_POINTS + 1, 2)[:, :-1]
    np.testing.assert_allclose(curves, activations(theta, config, grid.reshape(-1, 3), (0, 1)).reshape(curves.shape))
    assert not np.allclose(view.grid_line_coordinates(), before, equal_nan=True)  # the lines moved
    np.testing.assert_array_equal(view.point_coordinates(), points_before)  # the rows did not
    assert f"x3 = {new_value:.3g}" in view.caption.text()


@pytest.mark.parametrize(("output", "loss", "threshold"), [("sigmoid", "bce", 0.0), ("linear", "squared", 0.5)])
def test_the_decision_line_of_two_hidden_units_is_where_the_output_is_one_half(views, output, loss, threshold):
    view = views()
    config = TrainConfig(hidden=2, activation="tanh", output=output, loss=loss, lr=0.5, mode="full", init="xavier",
                         seed=3)
    trainer = Trainer(config, load_dataset("xor"))
    trainer.run(300)
    theta = trainer.params.theta.copy()
    lay_out(view, trainer.dataset, config)
    view.show_params(theta)
    line = view.decision_line()
    assert line is not None and line.shape == (2, 2)
    assert np.linalg.norm(line[1] - line[0]) > 0
    w2, b2 = output_weights(theta, config, 2)
    np.testing.assert_allclose(line @ w2 + b2, threshold, atol=1e-9)  # p = sigmoid(z) = 0.5 at z = 0
    # Each point is on the side of the line its predicted class is.
    points = view.point_coordinates()
    predicted = predict(trainer.params, trainer.dataset.X, trainer.spec)[:, 0] >= 0.5
    np.testing.assert_array_equal(points @ w2 + b2 >= threshold, predicted)
    x, y = view.line_curve.getData()
    np.testing.assert_array_equal(np.column_stack([x, y]), line)

    view.set_units(1, 0)  # swapped axes: the same line, swapped
    w2_swapped = w2[::-1]
    np.testing.assert_allclose(view.decision_line() @ w2_swapped + b2, threshold, atol=1e-9)
    view.set_units(1, 1)  # one unit on both axes: the output is not a function of this plane
    assert view.decision_line() is None


@pytest.mark.parametrize(("key", "hidden"), [("xor", 4), ("product", 2)])
def test_no_decision_line_when_the_plane_does_not_decide(views, key, hidden):
    view = views()
    dataset = load_dataset(key)
    config = TrainConfig(hidden=hidden, activation="tanh", output="sigmoid", loss="squared")
    lay_out(view, dataset, config)
    view.show_params(random_theta(dataset, config))
    assert view.decision_line() is None  # more than two units, or regression


def test_bounded_activations_keep_their_range_and_unbounded_ones_only_grow_while_training(views):
    view = views()
    dataset = load_dataset("xor")
    lay_out(view, dataset, XOR_TANH.replace(activation="sigmoid"))
    theta = random_theta(dataset, XOR_TANH)
    box = view.plot.getViewBox()
    view.show_params(theta)
    first = box.viewRange()
    view.show_params(3 * theta)
    assert box.viewRange() == first
    assert first[0][0] <= 0 and first[0][1] >= 1 and first[0][1] - first[0][0] < 1.2

    relu = XOR_TANH.replace(activation="relu")
    lay_out(view, dataset, relu)
    view.show_params(2 * theta, final=False)
    grown = box.viewRange()
    drawn = np.vstack([view.point_coordinates(), view.grid_line_coordinates()])
    top = np.nanmax(drawn, axis=0)
    assert grown[0][1] >= top[0] and grown[1][1] >= top[1]
    view.show_params(1.6 * theta, final=False)  # smaller, while training: the axes stay
    assert box.viewRange() == grown
    view.show_params(1.6 * theta, final=True)  # paused: fitted again
    fitted = box.viewRange()
    assert fitted != grown
    top = np.nanmax(np.vstack([view.point_coordinates(), view.grid_line_coordinates()]), axis=0)
    assert top[0] <= fitted[0][1] < grown[0][1]


def test_a_large_dataset_and_hidden_layer_draw_a_bounded_sample_quickly(views):
    view = views()
    rng = np.random.default_rng(0)
    X = rng.standard_normal((100_000, 2))
    dataset = make_dataset("big", X, (X[:, 0] * X[:, 1] > 0).astype(float))
    config = TrainConfig(hidden=1024, activation="tanh", output="sigmoid", loss="bce", init="xavier")
    lay_out(view, dataset, config)
    theta = random_theta(dataset, config)
    view.show_params(theta, final=False)  # the first frame sets up the scatter's records
    times = []
    for k in range(5):
        started = time.perf_counter()
        view.show_params(theta * (1 + 0.01 * k), final=False)
        times.append(time.perf_counter() - started)
    assert np.median(times) < 0.05  # a smoke check: a few ms here
    rows = sample_rows(len(X))
    assert len(rows) == MAX_POINTS
    np.testing.assert_allclose(view.point_coordinates(), activations(theta * 1.04, config, X[rows], (0, 1)))
    assert len(view.points["train"].getData()[0]) == MAX_POINTS
    assert any(f"of {len(X):,}" in label.text for _sample, label in view.legend.items)
