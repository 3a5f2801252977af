"""The network diagram on its own: edges styled by their weights, bias labels, neuron maps computed off the GUI
thread and equal to the network's own forward pass, hover values that follow the weights under a still cursor,
a map shown large on a click, the weight matrices of a large hidden layer with a diagram of a few units, maps on
the boundary plot's slice, and editing a weight or a bias by clicking it while paused. Assertions are on the items'
data (pens, texts, images, the editor's text and the signal's arguments), not pixels."""

from __future__ import annotations

import itertools

import numpy as np
import pyqtgraph as pg
import pytest
import shiboken6
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QFocusEvent, QFontMetrics, QMouseEvent
from PySide6.QtWidgets import QApplication, QLabel, QTabWidget

from gui.views.boundary import BoundaryPlot
from gui.views.common import CLASS_COLORS, configure_pyqtgraph
from gui.views.diagram import (
    DIAGRAM_MAX_UNITS,
    HEADER_FORMS,
    HEADER_GAP_PX,
    MAX_EDGE_WIDTH,
    STAGGER,
    STAGGER_FROM,
    STAGGERED_NODE_SIZE,
    SUBSET_UNITS,
    DiagramGeometry,
    EdgeStyles,
    MatrixView,
    NetworkDiagram,
    strongest_units,
)
from gui.views.neuron_maps import (
    LARGE_SIDE,
    MAP_SIDE,
    OUTPUT_UNIT,
    MapPlane,
    MapRequest,
    compute_neuron_maps,
    hidden_levels,
    stepped_ceiling,
)
from model.datasets import load_dataset, make_dataset
from model.network import Layout, NetworkSpec, Params, Workspace, forward, predict
from model.presets import DATASET_DEFAULTS, PRESETS
from model.trainer import Trainer


@pytest.fixture
def widgets(qtbot):
    """Make diagrams (following a boundary plot, as in the window); delete them and their threads afterwards."""
    configure_pyqtgraph()
    made = []

    def make(boundary: bool = True) -> NetworkDiagram:
        plot = BoundaryPlot() if boundary else None
        diagram = NetworkDiagram(boundary=plot)
        for widget in (plot, diagram):
            if widget is not None:
                qtbot.addWidget(widget)
                made.append(widget)
        diagram.resize(600, 400)  # not shown: the offscreen platform warns about a shown top-level widget
        if plot is not None:
            plot.resize(500, 450)
        return diagram

    yield make
    for widget in made:
        if shiboken6.isValid(widget):
            widget.shutdown()
            shiboken6.delete(widget)


def trained(config, key: str, epochs: int) -> Trainer:
    trainer = Trainer(config, load_dataset(key))
    trainer.run(epochs)
    return trainer


def show(diagram: NetworkDiagram, trainer: Trainer) -> np.ndarray:
    """Lay the diagram (and its boundary plot) out for the trainer's network and show its weights."""
    spec = NetworkSpec.from_config(trainer.config)
    if diagram.boundary is not None:
        diagram.boundary.set_network(trainer.dataset, spec, trainer.config.hidden)
    diagram.set_network(trainer.dataset, spec, trainer.config.hidden, trainer.names)
    diagram.grab()  # lays the widgets out, as showing them would
    theta = trainer.params.theta.copy()
    diagram.show_params(theta)
    assert diagram.wait_for_maps()
    return theta


def xor_notebook(epochs: int = 50) -> Trainer:
    return trained(PRESETS["notebook_001"].config, "xor", epochs)


def activations(trainer: Trainer, X: np.ndarray, theta: np.ndarray | None = None) -> Workspace:
    params = trainer.params if theta is None else Params(trainer.params.n_inputs, trainer.config.hidden, theta)
    workspace = Workspace(len(X), params.n_inputs, params.n_hidden)
    forward(params, X, workspace, trainer.spec)
    return workspace


def move_mouse(view, point: QPoint) -> None:
    QApplication.sendEvent(view.viewport(), QMouseEvent(QEvent.Type.MouseMove, QPointF(point), QPointF(point),
                                                        Qt.MouseButton.NoButton, Qt.MouseButton.NoButton,
                                                        Qt.KeyboardModifier.NoModifier))


def click(view, point: QPoint, button=Qt.MouseButton.LeftButton) -> None:
    move_mouse(view, point)
    for kind, buttons in ((QEvent.Type.MouseButtonPress, button),
                          (QEvent.Type.MouseButtonRelease, Qt.MouseButton.NoButton)):
        QApplication.sendEvent(view.viewport(), QMouseEvent(kind, QPointF(point), QPointF(point), button, buttons,
                                                            Qt.KeyboardModifier.NoModifier))


def test_edges_take_their_weights_sign_colour_and_a_width_growing_with_magnitude(widgets):
    diagram = widgets()
    trainer = xor_notebook()
    theta = show(diagram, trainer)
    names = trainer.names
    expected_names = [f"w1_{i}{j}" for i in (1, 2) for j in range(1, 5)] + [f"w2_{j}" for j in range(1, 5)]
    assert diagram.edge_names() == expected_names  # an edge per weight, biases are not edges
    weights = np.array([theta[names.index(name)] for name in expected_names])
    widths = np.array([diagram.edge_pen(name).widthF() for name in expected_names])
    colors = [diagram.edge_pen(name).color() for name in expected_names]
    assert (weights != 0).all()
    for weight, color in zip(weights, colors, strict=True):
        wanted = QColor(CLASS_COLORS[1] if weight > 0 else CLASS_COLORS[0])
        assert color.rgb() == wanted.rgb()  # orange: positive, blue: negative (the same alpha for both)
    order = np.argsort(np.abs(weights))
    assert (np.diff(widths[order]) >= 0).all()  # never thinner for a larger |w|
    assert widths[order[-1]] == MAX_EDGE_WIDTH
    # the width is proportional to |w| / max |w|, rounded up to a step
    assert widths == pytest.approx(np.maximum(0.6, np.ceil(np.abs(weights) / np.abs(weights).max() * 12) / 12 * 6))
    # a weight changing sign changes the edge's colour; one of 0 is grey and thinnest
    flipped = theta.copy()
    flipped[names.index("w1_11")] *= -1
    flipped[names.index("w2_3")] = 0.0
    diagram.show_params(flipped)
    wanted = QColor(CLASS_COLORS[0] if theta[names.index("w1_11")] > 0 else CLASS_COLORS[1])
    assert diagram.edge_pen("w1_11").color().rgb() == wanted.rgb()
    assert diagram.edge_pen("w2_3").widthF() == pytest.approx(0.6)
    assert QColor(diagram.edge_pen("w2_3").color()).saturation() == 0


def test_edge_styles_are_few_shared_pens_whatever_the_weights():
    styles = EdgeStyles()
    keys = styles.keys(np.array([-3.0, -1e-9, 0.0, np.nan, 1e-9, 1.5, 3.0, np.inf]))
    pens = [styles.pens[k] for k in keys]
    # widths relative to the largest finite |w| (3); an infinite one at full width, NaN and 0 thinnest
    assert [p.widthF() for p in pens] == pytest.approx([6.0, 0.6, 0.6, 0.6, 0.6, 3.0, 6.0, 6.0])
    blue, orange = QColor(CLASS_COLORS[0]).rgb(), QColor(CLASS_COLORS[1]).rgb()
    colors = [p.color().rgb() for p in pens]
    assert colors[:2] == [blue, blue] and colors[4:] == [orange] * 4
    assert QColor(colors[2]).saturation() == QColor(colors[3]).saturation() == 0  # 0 and NaN: grey
    assert len({id(p) for p in pens}) == len(set(keys.tolist())) and len(styles.pens) == 3 * 13


def test_each_node_shows_its_bias(widgets):
    diagram = widgets()
    config = DATASET_DEFAULTS["xor"][0]  # 2-4-1 tanh with biases
    trainer = trained(config, "xor", 30)
    theta = show(diagram, trainer)
    params = Params(2, 4, theta)
    for j in range(4):
        assert diagram.bias_text(j) == f"b = {params.b1[j]:.3g}"
        assert diagram.bias_label_visible(j)
    assert diagram.bias_text(OUTPUT_UNIT) == f"b = {params.b2[0]:.3g}"
    changed = theta.copy()
    changed[Layout(2, 4).b1_at + 2] = -123.456
    diagram.show_params(changed)
    assert diagram.bias_text(2) == "b = -123"
    # without biases there are none to show
    show(diagram, xor_notebook())
    assert not any(diagram.bias_label_visible(u) for u in (0, 1, 2, 3, OUTPUT_UNIT))


def test_neuron_maps_are_each_units_activation_over_the_boundary_plane(widgets):
    diagram = widgets()
    trainer = xor_notebook()
    theta = show(diagram, trainer)
    X = diagram.map_inputs()
    # the boundary plot's plane: its grid's corners, at MAP_SIDE points a side, row-major [x2, x1]
    corners = diagram.boundary.grid_inputs()[[0, -1]]
    xs, ys = np.linspace(corners[0, 0], corners[1, 0], MAP_SIDE), np.linspace(corners[0, 1], corners[1, 1], MAP_SIDE)
    np.testing.assert_array_equal(X[:, 0].reshape(MAP_SIDE, MAP_SIDE), np.tile(xs, (MAP_SIDE, 1)))
    np.testing.assert_array_equal(X[:, 1].reshape(MAP_SIDE, MAP_SIDE), np.repeat(ys[:, None], MAP_SIDE, axis=1))
    workspace = activations(trainer, X, theta)
    for j in range(4):
        expected = workspace.a1[:, j].reshape(MAP_SIDE, MAP_SIDE)
        np.testing.assert_allclose(diagram.map_values(j), expected, rtol=0, atol=1e-12)
        np.testing.assert_allclose(diagram.map_image(j), expected.astype(np.float32), rtol=1e-6, atol=1e-7)
        low, high = diagram.map_levels(j)
        assert low == -high and high >= np.abs(expected).max()  # relu: a symmetric scale that holds every value
    output = predict(Params(2, 4, theta), X, trainer.spec)[:, 0].reshape(MAP_SIDE, MAP_SIDE)
    np.testing.assert_allclose(diagram.map_values(OUTPUT_UNIT), output, rtol=0, atol=1e-12)
    np.testing.assert_allclose(diagram.map_image(OUTPUT_UNIT), np.clip(output, -1, 2).astype(np.float32), rtol=1e-6)
    assert diagram.map_levels(OUTPUT_UNIT) == (0.0, 1.0)  # the boundary plot's levels


def test_a_hover_value_follows_the_weights_under_a_still_cursor(widgets):
    diagram = widgets()
    trainer = xor_notebook()
    theta = show(diagram, trainer)
    names = trainer.names
    move_mouse(diagram.diagram_view, diagram.point_of("w1_23"))
    assert diagram.hover_text().startswith(f"w1_23 = {theta[names.index('w1_23')]:.4g}  (x2 → hidden 3)")
    newer = theta.copy()
    newer[names.index("w1_23")] = 0.123456
    diagram.show_params(newer, final=False)  # the cursor has not moved
    assert diagram.hover_text().startswith("w1_23 = 0.1235")
    trainer.run(20)  # a real next frame
    diagram.show_params(trainer.params.theta, final=False)
    assert diagram.hover_text().startswith(f"w1_23 = {trainer.params.theta[names.index('w1_23')]:.4g}")
    # over a hidden node: its activation under the cursor, from the map as drawn
    assert diagram.wait_for_maps()
    move_mouse(diagram.diagram_view, diagram.point_of("b1_2"))
    text = diagram.hover_text()
    assert text.startswith("hidden 2: a = ") and "no bias" in text
    centre = diagram.map_values(1)[MAP_SIDE // 2, MAP_SIDE // 2]
    assert f"a = {centre:.4g} at x1 = " in text
    # leaving the view clears it
    QApplication.sendEvent(diagram.diagram_view.viewport(), QEvent(QEvent.Type.Leave))
    assert not diagram.hover_text().startswith("hidden")


def test_clicking_a_map_shows_that_unit_large(widgets):
    diagram = widgets()
    trainer = xor_notebook()
    theta = show(diagram, trainer)
    assert diagram.large_unit() is None
    click(diagram.diagram_view, diagram.point_of("b1_3"))
    assert diagram.large_unit() == 2
    assert diagram.pages.currentWidget() is diagram.large_view
    assert "Hidden unit 3" in diagram.large_view.title.text()
    assert diagram.wait_for_maps()
    X = diagram.map_inputs(LARGE_SIDE)
    np.testing.assert_array_equal(X, diagram.boundary.grid_inputs())  # the boundary plot's own grid
    expected = activations(trainer, X, theta).a1[:, 2].reshape(LARGE_SIDE, LARGE_SIDE)
    np.testing.assert_allclose(diagram.large_map(), expected.astype(np.float32), rtol=1e-6, atol=1e-7)
    diagram.large_view.back_button.click()
    assert diagram.large_unit() is None and diagram.pages.currentIndex() == 0
    click(diagram.diagram_view, diagram.point_of("b2"))
    assert diagram.large_unit() == OUTPUT_UNIT
    assert diagram.wait_for_maps()
    output = predict(Params(2, 4, theta), X, trainer.spec)[:, 0].reshape(LARGE_SIDE, LARGE_SIDE)
    np.testing.assert_allclose(diagram.large_map(), np.clip(output, -1, 2).astype(np.float32), rtol=1e-6)


def test_a_large_hidden_layer_shows_its_weight_matrices_and_a_diagram_of_a_few_units(widgets):
    diagram = widgets()
    config = DATASET_DEFAULTS["xor"][0].replace(hidden=64)
    trainer = trained(config, "xor", 20)
    theta = show(diagram, trainer)
    params = Params(2, 64, theta)
    assert diagram.matrix_view.isVisibleTo(diagram)
    image = diagram.matrix_image()
    assert image.shape == (4, 64)
    np.testing.assert_allclose(image[:2], params.W1.astype(np.float32), rtol=1e-6)
    np.testing.assert_allclose(image[2], params.b1.astype(np.float32), rtol=1e-6, atol=1e-30)
    np.testing.assert_allclose(image[3], params.W2[:, 0].astype(np.float32), rtol=1e-6)
    units = diagram.hidden_units()
    assert len(units) == SUBSET_UNITS
    strongest = np.argsort(-np.abs(params.W2[:, 0]))[:SUBSET_UNITS]
    assert set(units) == set(strongest.tolist()) == set(strongest_units(theta, Layout(2, 64)))
    assert len(diagram.edge_names()) == 2 * SUBSET_UNITS + SUBSET_UNITS
    # the drawn units' maps are theirs
    workspace = activations(trainer, diagram.map_inputs(), theta)
    for unit in units:
        np.testing.assert_allclose(diagram.map_values(unit), workspace.a1[:, unit].reshape(MAP_SIDE, MAP_SIDE),
                                   rtol=0, atol=1e-12)
    # hovering a cell reads its parameter, live
    view = diagram.matrix_view
    move_mouse(view, view.point_of(1, 40))
    name = Layout(2, 64).names()[64 + 40]
    assert diagram.hover_text().startswith(f"{name} = {params.W1[1, 40]:.4g}")
    newer = theta.copy()
    newer[64 + 40] = -7.5
    diagram.show_params(newer, final=False)
    assert diagram.hover_text().startswith(f"{name} = -7.5")
    # clicking a column adds its unit to the diagram, clicking again takes it out
    extra = next(u for u in range(64) if u not in units)
    click(view, view.point_of(0, extra))
    assert extra in diagram.hidden_units() and len(diagram.hidden_units()) == SUBSET_UNITS + 1
    assert f"w2_{extra + 1}" in diagram.edge_names()
    click(view, view.point_of(3, extra))
    assert diagram.hidden_units() == units
    # "Largest |w2|" picks again from the weights shown now
    stronger = newer.copy()
    stronger[Layout(2, 64).W2] = 0.0
    stronger[Layout(2, 64).w2_at + np.arange(10, 18)] = np.arange(1.0, 9.0)
    diagram.show_params(stronger)
    assert diagram.hidden_units() == units  # the drawn units stay until asked
    diagram.repick_button.click()
    assert diagram.hidden_units() == tuple(range(10, 18))


def with_inputs(n_inputs: int, hidden: int = 64) -> Trainer:
    """A network of ``n_inputs`` inputs (random data, trained 1 epoch): its matrix has n_inputs + 2 rows."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, n_inputs))
    dataset = make_dataset(f"{n_inputs} inputs", X, (X.sum(axis=1) > 0).astype(float))
    trainer = Trainer(DATASET_DEFAULTS["xor"][0].replace(hidden=hidden), dataset)
    trainer.run(1)
    return trainer


def test_the_weight_matrix_gives_every_row_label_a_line_in_a_small_pane(widgets):
    diagram = widgets()
    show(diagram, with_inputs(2))
    diagram.resize(600, 260)  # about the Network tab's size in a 1280x720 window
    diagram.grab()
    view = diagram.matrix_view
    assert view.row_labels() == [(0, "x1"), (1, "x2"), (2, "b1"), (3, "w2")]
    assert view.row_height() >= QFontMetrics(view.row_font).height()  # the labels do not overlap
    assert diagram.diagram_view.height() >= 0.3 * diagram.height()  # the diagram of a few units keeps its room


@pytest.mark.parametrize("n_inputs", [5, 16])
@pytest.mark.parametrize("size", [(600, 260), (810, 474)])  # the Network tab's size at 1280x720 and 1920x1080
def test_the_weight_matrix_labels_of_more_rows_never_overlap(widgets, n_inputs, size):
    diagram = widgets()
    show(diagram, with_inputs(n_inputs))
    diagram.resize(*size)
    diagram.grab()
    view = diagram.matrix_view
    names = [*(f"x{i + 1}" for i in range(n_inputs)), "b1", "w2"]
    labels = view.row_labels()
    rows = [row for row, _ in labels]
    assert rows[0] == 0 and labels == [(row, names[row]) for row in rows]
    assert len(set(np.diff(rows))) <= 1  # every few rows, evenly
    assert view.row_height() * min(np.diff(rows), default=len(names)) >= QFontMetrics(view.row_font).height()
    if n_inputs == 5 and size == (810, 474):
        assert len(labels) == len(names)  # room for every label
    assert diagram.diagram_view.height() >= 0.3 * diagram.height()


@pytest.mark.parametrize("n_inputs, size", [(2, (600, 400)), (2, (600, 260)), (5, (450, 260)), (16, (450, 260))])
def test_the_column_headers_never_overlap(widgets, n_inputs, size):
    """A small diagram of many rows is narrow: its headers shorten (the activations' names go first) rather than
    run into each other; with room they name the activations."""
    diagram = widgets()
    show(diagram, with_inputs(n_inputs))
    diagram.resize(*size)
    diagram.grab()
    boxes = diagram.header_boxes()
    for (_, left), (_, right) in itertools.pairwise(boxes):
        assert left.right() + HEADER_GAP_PX / 2 <= right.left(), boxes
    texts = [text for text, _ in boxes]
    if size == (600, 400):
        assert texts == ["inputs", "hidden: tanh", "output: sigmoid"]
    assert texts in [[text.format(activation="tanh", output="sigmoid") for text in form] for form in HEADER_FORMS]


def test_a_small_layer_has_no_matrix_view(widgets):
    diagram = widgets()
    show(diagram, trained(DATASET_DEFAULTS["xor"][0].replace(hidden=DIAGRAM_MAX_UNITS), "xor", 5))
    assert not diagram.matrix_view.isVisibleTo(diagram)
    assert diagram.hidden_units() == tuple(range(DIAGRAM_MAX_UNITS))
    assert not diagram.bias_label_visible(0)  # 32 rows in 400 pixels: no room for them between the maps


@pytest.mark.parametrize("hidden", [STAGGER_FROM + 1, 24, DIAGRAM_MAX_UNITS])
def test_a_dense_layer_staggers_its_maps_to_draw_them_nearly_two_rows_high(qtbot, widgets, hidden):
    # The Network pane at 1280x720 (478 x 294 pixels): a map a row high was 7 pixels for 32 units. Alternate units
    # move left and right of the column, so a map can be nearly two rows high without touching another.
    diagram = widgets()
    show(diagram, trained(DATASET_DEFAULTS["xor"][0].replace(hidden=hidden), "xor", 5))
    diagram.resize(478, 294)
    diagram.grab()
    boxes = [diagram.map_box(unit) for unit in range(hidden)]
    pitch = (boxes[-1].center().y() - boxes[0].center().y()) / (hidden - 1)  # pixels between rows
    assert all(box.height() > 1.5 * pitch for box in boxes)
    for k, box in enumerate(boxes):
        assert not any(box.intersects(other) for other in boxes[k + 1:])
    assert max(box.right() for box in boxes[::2]) < min(box.left() for box in boxes[1::2])  # left, right, left...
    assert not diagram.bias_label_visible(0)
    view = diagram.diagram_view
    edges = diagram.edge_names()  # W1 input by unit, then w2
    for name in (edges[0], edges[hidden + 1], edges[2 * hidden], edges[2 * hidden + 1]):  # found where drawn
        hover(qtbot, view, diagram.point_of(name))
        assert diagram.hover_text().startswith(f"{name} = "), name
    for unit in (1, 2):  # a map on the left, one on the right
        hover(qtbot, view, diagram.map_box(unit).center().toPoint())
        assert diagram.hover_text().startswith(f"hidden {unit + 1}: a = "), unit


def test_a_layer_with_room_or_few_units_is_one_column(widgets):
    for hidden, size in ((STAGGER_FROM, (478, 294)), (STAGGER_FROM + 1, (1200, 1000))):
        diagram = widgets()
        show(diagram, trained(DATASET_DEFAULTS["xor"][0].replace(hidden=hidden), "xor", 5))
        diagram.resize(*size)
        diagram.grab()
        assert len({round(diagram.map_box(unit).center().x()) for unit in range(hidden)}) == 1, (hidden, size)


def test_staggered_geometry_ends_each_edge_at_its_maps_side():
    geometry = DiagramGeometry.of(2, 10, tuple(range(10)), STAGGERED_NODE_SIZE, stagger=STAGGER)
    x = geometry.hidden_centres[:, 0]
    np.testing.assert_allclose(x, geometry.gap + STAGGER * np.tile([-1.0, 1.0], 5))
    half = geometry.node_size / 2
    np.testing.assert_allclose(geometry.edge_to[:20, 0], np.tile(x - half, 2))  # W1: into each map's left side
    np.testing.assert_allclose(geometry.edge_from[20:, 0], x + half)  # w2: out of its right side
    np.testing.assert_allclose(geometry.edge_to[:20, 1], np.tile(geometry.hidden_centres[:, 1], 2))


def test_three_inputs_maps_show_the_boundary_plots_slice(widgets):
    diagram = widgets()
    trainer = trained(PRESETS["notebook_002"].config, "and_or", 200)
    theta = show(diagram, trainer)
    assert diagram.map_inputs()[:, 2] == pytest.approx(1.0)  # AND-OR's slider starts at x3 = 1
    diagram.boundary.set_slice_value(0, 0.0)  # the user moves the slice: the maps follow
    assert diagram.wait_for_maps()
    X = diagram.map_inputs()
    assert (X[:, 2] == diagram.boundary.slice_values()[0]).all()
    assert abs(diagram.boundary.slice_values()[0]) < 0.02
    workspace = activations(trainer, X, theta)
    for j in range(2):
        np.testing.assert_allclose(diagram.map_values(j), workspace.a1[:, j].reshape(MAP_SIDE, MAP_SIDE), atol=1e-12)
        assert diagram.map_levels(j) == (0.0, 1.0)  # sigmoid
    np.testing.assert_allclose(diagram.map_values(OUTPUT_UNIT), workspace.p[:, 0].reshape(MAP_SIDE, MAP_SIDE),
                               atol=1e-12)
    move_mouse(diagram.diagram_view, diagram.input_point(2))
    assert diagram.hover_text().startswith("x3: held at ")


def test_a_diagram_of_its_own_covers_the_data():
    dataset = load_dataset("product")
    plane = MapPlane.around(dataset)
    assert plane.x_range[0] < dataset.X[:, 0].min() and plane.x_range[1] > dataset.X[:, 0].max()
    assert plane.inputs(MAP_SIDE).shape == (MAP_SIDE * MAP_SIDE, 2)


def test_geometry_puts_each_edge_between_its_nodes():
    geometry = DiagramGeometry.of(3, 10, (2, 7))
    layout = Layout(3, 10)
    names = layout.names()
    assert [names[i] for i in geometry.edge_index] == ["w1_1_3", "w1_1_8", "w1_2_3", "w1_2_8", "w1_3_3", "w1_3_8",
                                                      "w2_3", "w2_8"]
    # w1_2_8 runs from input 2 to the second drawn unit; w2_3 from the first drawn unit to the output
    assert geometry.edge_from[3][1] == geometry.input_centres[1][1]
    assert geometry.edge_to[3][1] == geometry.hidden_centres[1][1]
    assert geometry.edge_to[6][0] < geometry.output_centre[0]


def test_map_levels_are_fixed_or_change_in_steps():
    assert stepped_ceiling(0.0) == 1.0 and stepped_ceiling(np.nan) == 1.0
    assert [stepped_ceiling(v) for v in (0.9, 1.0, 1.1, 2.2, 7.0, 0.031)] == pytest.approx(
        [1.0, 1.0, 1.25, 2.5, 8.0, 0.04])
    assert hidden_levels("tanh", np.array([5.0])) == (-1.0, 1.0)
    assert hidden_levels("sigmoid", np.array([5.0])) == (0.0, 1.0)
    assert hidden_levels("relu", np.array([0.0, 2.2, np.inf])) == (-2.5, 2.5)


def test_the_maps_of_a_request_are_computed_exactly_without_a_widget():
    trainer = xor_notebook(10)
    plane = MapPlane((-1.0, 2.0), (-1.0, 2.0), (), 2)
    request = MapRequest(1, 1, trainer.params.theta.copy(), trainer.spec, 4, plane, (3, 1), (0.0, 1.0),
                         large_unit=3, matrix=True)
    maps = compute_neuron_maps(request)
    workspace = activations(trainer, plane.inputs(MAP_SIDE))
    np.testing.assert_allclose(maps.hidden[0], workspace.a1[:, 3].reshape(MAP_SIDE, MAP_SIDE), atol=1e-12)
    np.testing.assert_allclose(maps.hidden[1], workspace.a1[:, 1].reshape(MAP_SIDE, MAP_SIDE), atol=1e-12)
    large = activations(trainer, plane.inputs(LARGE_SIDE)).a1[:, 3].reshape(LARGE_SIDE, LARGE_SIDE)
    np.testing.assert_allclose(maps.large, large, atol=1e-12)
    assert maps.matrix_image.shape == (4, 4)


def test_shutdown_stops_the_maps_thread(widgets):
    diagram = widgets(boundary=False)
    diagram.shutdown()
    diagram.shutdown()
    assert not diagram.maps_thread_running()


def test_a_tab_not_shown_computes_no_maps_until_it_is(qapp):
    configure_pyqtgraph()
    tabs = QTabWidget()
    diagram = NetworkDiagram()
    tabs.addTab(QLabel("weights"), "Weights")
    tabs.addTab(diagram, "Network")
    tabs.resize(600, 420)
    tabs.show()
    try:
        trainer = xor_notebook(5)
        diagram.set_network(trainer.dataset, trainer.spec, 4, trainer.names)
        diagram.show_params(trainer.params.theta)
        assert not diagram.maps_pending() and diagram.map_values(0) is None  # nothing asked of the thread
        tabs.setCurrentIndex(1)
        assert diagram.wait_for_maps()
        workspace = activations(trainer, diagram.map_inputs())
        np.testing.assert_allclose(diagram.map_values(0), workspace.a1[:, 0].reshape(MAP_SIDE, MAP_SIDE),
                                   atol=1e-12)
    finally:
        diagram.shutdown()
        shiboken6.delete(tabs)


# --- editing a parameter by clicking it (while paused) ----------------------------------------------------------
def indices(n_inputs: int, n_hidden: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Where W1 (inputs, hidden), b1 (1, hidden), W2 (hidden, 1) and b2 (1, 1) sit in theta, by the model's Layout."""
    return Layout(n_inputs, n_hidden).split(np.arange(Layout(n_inputs, n_hidden).size))


def hover(qtbot, view, point: QPoint) -> None:
    """Move the mouse to a point, after the pause pyqtgraph's scene needs between two moves it reports."""
    qtbot.wait(int(np.ceil(1000 / pg.getConfigOption("mouseRateLimit"))) + 2)
    move_mouse(view, point)


def type_and_press(qtbot, diagram: NetworkDiagram, text: str, key=Qt.Key.Key_Return) -> None:
    """Type over the editor's selected text, as the user does, then press a key."""
    qtbot.keyClicks(diagram.editor, text)
    qtbot.keyClick(diagram.editor, key)


def xor_with_biases(epochs: int = 30, **changes) -> Trainer:
    return trained(DATASET_DEFAULTS["xor"][0].replace(**changes), "xor", epochs)  # 2-4-1 tanh, biases


@pytest.mark.parametrize("what", ["w1 x2 to hidden 3", "b1 of hidden 3", "w2 of hidden 4", "b2"])
def test_clicking_a_weight_or_bias_while_editable_edits_it(qtbot, widgets, what):
    diagram = widgets()
    trainer = xor_with_biases()
    theta = show(diagram, trainer)
    W1, b1, W2, b2 = indices(2, 4)
    index, point = {
        "w1 x2 to hidden 3": (W1[1, 2], lambda: diagram.point_of("w1_23")),  # the edge's middle
        "b1 of hidden 3": (b1[0, 2], lambda: diagram.bias_point(2)),  # the label under its map
        "w2 of hidden 4": (W2[3, 0], lambda: diagram.point_of("w2_4")),
        "b2": (b2[0, 0], lambda: diagram.bias_point(OUTPUT_UNIT)),
    }[what]
    diagram.set_editable(True)
    click(diagram.diagram_view, point())
    assert diagram.editing() == index
    assert diagram.editor.isVisibleTo(diagram)
    assert diagram.editor.text() == repr(float(theta[index]))  # every digit
    assert trainer.names[index] in diagram.hover_text()
    with qtbot.waitSignal(diagram.parameter_edited, timeout=1000) as edited:
        type_and_press(qtbot, diagram, "-1.25e-1")
    assert edited.args == [index, -0.125]
    assert diagram.editing() is None and not diagram.editor.isVisibleTo(diagram)
    # the diagram shows the value the window sends back, not its own idea of it
    hover(qtbot, diagram.diagram_view, point())
    assert diagram.hover_text().startswith(f"{trainer.names[index]} = {theta[index]:.4g}")
    changed = theta.copy()
    changed[index] = -0.125
    diagram.show_params(changed)
    assert diagram.hover_text().startswith(f"{trainer.names[index]} = -0.125")
    if what.startswith("b"):
        assert diagram.bias_text(2 if what == "b1 of hidden 3" else OUTPUT_UNIT) == "b = -0.125"


def test_right_clicking_a_map_edits_its_bias_also_where_its_label_has_no_room(qtbot, widgets):
    diagram = widgets()
    trainer = xor_with_biases(5, hidden=24)
    theta = show(diagram, trainer)
    _, b1, _, b2 = indices(2, 24)
    assert not diagram.bias_label_visible(4)  # 24 maps leave no room for their labels
    click(diagram.diagram_view, diagram.point_of("b1_5"), Qt.MouseButton.RightButton)
    assert diagram.editing() is None and diagram.large_unit() is None  # not editable; no map enlarged either
    diagram.set_editable(True)
    hover(qtbot, diagram.diagram_view, diagram.point_of("b1_5"))
    assert f"b1_5 = {theta[b1[0, 4]]:.4g} (right-click: edit)" in diagram.hover_text()
    for name, index in (("b1_5", b1[0, 4]), ("b2", b2[0, 0])):
        click(diagram.diagram_view, diagram.point_of(name), Qt.MouseButton.RightButton)
        assert diagram.editing() == index and diagram.large_unit() is None
        assert diagram.editor.text() == repr(float(theta[index]))
        with qtbot.waitSignal(diagram.parameter_edited, timeout=1000) as edited:
            type_and_press(qtbot, diagram, "0.5")
        assert edited.args == [index, 0.5]


def test_text_that_is_not_a_finite_number_is_refused_and_named(qtbot, widgets):
    diagram = widgets()
    trainer = xor_with_biases()
    theta = show(diagram, trainer)
    index = indices(2, 4)[0][0, 3]  # w1_14: x1 to hidden 4
    diagram.set_editable(True)
    click(diagram.diagram_view, diagram.point_of("w1_14"))
    assert diagram.editing() == index
    with qtbot.assertNotEmitted(diagram.parameter_edited):
        type_and_press(qtbot, diagram, "abc")
        message = "w1_14 (x1 → hidden 4): 'abc' is not a number; type a finite number"
        assert diagram.edit_error() == diagram.hover_text() == diagram.editor.toolTip() == message
        assert diagram.editing() == index and diagram.editor.property("invalid") is True  # red, and still open
        qtbot.keyClick(diagram.editor, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
        type_and_press(qtbot, diagram, "1e999")  # a float overflows to inf
        assert diagram.edit_error() == "w1_14 (x1 → hidden 4): '1e999' is not finite; type a finite number"
        qtbot.keyClick(diagram.editor, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
        qtbot.keyClicks(diagram.editor, "nan")
        assert diagram.edit_error() == "" and diagram.editor.property("invalid") is False  # typing clears it
        qtbot.keyClick(diagram.editor, Qt.Key.Key_Return)
        assert "'nan' is not finite" in diagram.edit_error()
        qtbot.keyClick(diagram.editor, Qt.Key.Key_Escape)  # Escape cancels
        assert diagram.editing() is None and not diagram.editor.isVisibleTo(diagram)
        click(diagram.diagram_view, diagram.point_of("w1_14"))
        assert diagram.editor.text() == repr(float(theta[index]))  # a new editor: the value, not the old text
        for reason in (Qt.FocusReason.PopupFocusReason, Qt.FocusReason.MouseFocusReason):
            QApplication.sendEvent(diagram.editor, QFocusEvent(QEvent.Type.FocusOut, reason))
            if reason == Qt.FocusReason.PopupFocusReason:  # its own context menu: still editing
                assert diagram.editing() == index
        assert diagram.editing() is None  # clicking elsewhere cancels


def test_clicks_do_not_edit_unless_editable(qtbot, widgets):
    diagram = widgets()
    show(diagram, xor_with_biases())
    assert not diagram.is_editable()  # as while training
    hover(qtbot, diagram.diagram_view, diagram.point_of("w2_1"))
    assert diagram.hover_text().endswith("pause to edit")
    click(diagram.diagram_view, diagram.point_of("w2_1"))
    click(diagram.diagram_view, diagram.bias_point(0))
    assert diagram.editing() is None and not diagram.editor.isVisibleTo(diagram)
    diagram.set_editable(True)  # paused
    hover(qtbot, diagram.diagram_view, diagram.bias_point(0))
    assert diagram.hover_text().startswith("b1_1 = ") and diagram.hover_text().endswith("click to edit")
    click(diagram.diagram_view, diagram.point_of("w2_1"))
    assert diagram.editing() == indices(2, 4)[2][0, 0]
    diagram.set_editable(False)  # training resumes: the editor goes
    assert diagram.editing() is None and not diagram.editor.isVisibleTo(diagram)
    click(diagram.diagram_view, diagram.point_of("b1_1"))  # a map still enlarges
    assert diagram.large_unit() == 0


def test_a_network_without_biases_has_no_bias_to_edit(qtbot, widgets):
    diagram = widgets()
    trainer = xor_with_biases(10, bias=False, hidden=40)  # a matrix view: its b1 row is there, all zeros
    show(diagram, trainer)
    diagram.set_editable(True)
    _, _, W2, b2 = indices(2, 40)
    view = diagram.matrix_view
    with qtbot.assertNotEmitted(diagram.parameter_edited):
        click(view, view.point_of(2, 7))  # row 2: b1
        assert diagram.editing() is None
        assert diagram.hover_text() == ("b1_8 (bias of hidden 8): this network has no biases (they stay 0); "
                                        "nothing to edit")
        assert not diagram.edit_parameter(int(b2[0, 0]))  # the output's bias has no label to click
        assert diagram.editing() is None
    hover(qtbot, view, view.point_of(2, 9))
    assert diagram.hover_text() == "b1_10 = 0  (bias of hidden 10)  · no biases in this network"
    click(view, view.point_of(3, 7))  # its w2 can be edited
    assert diagram.editing() == W2[7, 0]


def test_the_matrix_view_edits_a_cell_and_its_strip_picks_units(qtbot, widgets):
    diagram = widgets()
    trainer = xor_with_biases(20, hidden=64)
    theta = show(diagram, trainer)
    W1, b1, W2, _ = indices(2, 64)
    view = diagram.matrix_view
    diagram.set_editable(True)
    for row, unit, index in ((1, 40, W1[1, 40]), (2, 5, b1[0, 5]), (3, 63, W2[63, 0])):
        click(view, view.point_of(row, unit))
        assert diagram.editing() == index
        assert diagram.editor.text() == repr(float(theta[index]))
        with qtbot.waitSignal(diagram.parameter_edited, timeout=1000) as edited:
            type_and_press(qtbot, diagram, "3")
        assert edited.args == [index, 3.0]
    # paused, a cell edits; the strip above a column adds its unit to the diagram (or takes it out)
    units = diagram.hidden_units()
    extra = next(u for u in range(64) if u not in units)
    click(view, view.point_of(MatrixView.MARK_ROW, extra))
    assert diagram.editing() is None and extra in diagram.hidden_units()
    assert "a cell to edit it" in diagram.caption.text()
    click(view, view.point_of(MatrixView.MARK_ROW, extra))
    assert diagram.hidden_units() == units
