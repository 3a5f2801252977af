"""The hidden space: the data as the output unit sees it, each row placed at the activations of two hidden units
the user picks (notebook 001's plot of the hidden layer's representation), with the input plane's grid lines
carried along, so the learner sees how the hidden layer bends and folds the plane until the classes can be cut
apart by a straight line. With exactly two hidden units that line is drawn: the output's decision line.

A network of one hidden unit is shown in 1-D: the unit's activation across, each row's target up, and the
network's output as a curve (with one unit the output depends on that activation alone).

The grid: GRID_LINES lines of constant x1 and as many of constant x2 across the data's range (of the drawn
sample), LINE_POINTS points each, on the boundary plot's slice (its x1-x2 plane, the inputs beyond them at its
slider values). Their images are one curve item with NaN separators.

Every frame (show_params) costs the same whatever the data's and the hidden layer's size: the drawn sample
(boundary.MAX_POINTS rows of each split at most) and the grid, through the two chosen units only.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSignalBlocker, Qt, Slot
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from gui.views.boundary import COORD_LIMIT, POINT_EDGE, REGRESSION_BINS, BoundaryPlot, SharedStyleScatter, ShownPoints
from gui.views.common import (
    CLASS_COLORS,
    FollowView,
    PlotView,
    diverging_colormap,
    finite_range,
    hidden_in_window,
    install_follow_reset,
    style_plot,
)
from gui.views.neuron_maps import BOUNDED_LEVELS, MapPlane, output_levels, padded_range
from gui.views.surface import DECISION_LEVEL
from model.datasets import Dataset
from model.network import Layout, NetworkSpec

GRID_LINES = 11  # lines of constant x1, and as many of constant x2
LINE_POINTS = 61  # points along each grid line (odd: the middle of the range is one)
CURVE_POINTS = 200  # along the output curve of a one-unit network
GRID_PEN = pg.mkPen((120, 120, 120, 150), width=1)
LINE_PEN = pg.mkPen("#202020", width=2, style=Qt.PenStyle.DashLine)  # as the boundary plot's decision line
OUTPUT_PEN = pg.mkPen("#202020", width=2)
MANY_POINTS = 100  # more points than this are drawn small with thin edges, as in the boundary plot
POINT_SIZES = (14, 5)  # few, many
EDGE_WIDTHS = (1.2, 0.7)  # few, many
TARGET_PADDING = 0.1  # the 1-D view's target axis: the target levels widened by this share on each side
# z2 at which the output is DECISION_LEVEL, by output function: the decision line is w2·a + b2 = this.
OUTPUT_THRESHOLDS = {"linear": DECISION_LEVEL, "sigmoid": math.log(DECISION_LEVEL / (1 - DECISION_LEVEL))}


def grid_lines(plane: MapPlane, lines: int = GRID_LINES, points: int = LINE_POINTS) -> np.ndarray:
    """The input rows of the plane's grid lines, (lines, points, n_inputs): ``lines`` lines of constant x1 (x2
    across its range), then as many of constant x2; the inputs beyond x2 at the plane's slice values. A one-input
    plane is a single line along x1."""
    along_x = np.linspace(*plane.x_range, points)
    if plane.y_range is None:
        return along_x[None, :, None]
    along_y = np.linspace(*plane.y_range, points)
    grid = np.empty((2 * lines, points, plane.n_inputs))
    grid[:lines, :, 0] = np.linspace(*plane.x_range, lines)[:, None]
    grid[:lines, :, 1] = along_y
    grid[lines:, :, 0] = along_x
    grid[lines:, :, 1] = np.linspace(*plane.y_range, lines)[:, None]
    grid[:, :, 2:] = plane.slice_values
    return grid


def line_in_box(normal, offset: float, x_range, y_range) -> np.ndarray | None:
    """The part of the line normal · a = offset inside the box x_range by y_range: its two ends (2, 2), or None
    when it misses the box (or normal is 0)."""
    (x0, x1), (y0, y1) = x_range, y_range
    wx, wy = (float(w) for w in normal)
    ends = []
    if wy != 0:
        ends += [(x, (offset - wx * x) / wy) for x in (x0, x1)]
    if wx != 0:
        ends += [((offset - wy * y) / wx, y) for y in (y0, y1)]
    slack = 1e-9 * max(x1 - x0, y1 - y0)
    inside = np.array([end for end in ends if x0 - slack <= end[0] <= x1 + slack and y0 - slack <= end[1] <= y1 + slack
                       and np.isfinite(end).all()]).reshape(-1, 2)
    if len(inside) < 2:
        return None
    along = inside @ np.array([-wy, wx])  # position along the line
    first, last = inside[np.argmin(along)], inside[np.argmax(along)]
    return None if np.array_equal(first, last) else np.array([first, last])


def _shared(items) -> np.ndarray:
    """A few shared pens or brushes as an object array, to index per point (np.array would look inside them)."""
    items = list(items)
    return np.fromiter(items, dtype=object, count=len(items))


class HiddenSpaceView(QWidget):
    """The data mapped into two chosen hidden units' activations, with the input plane's grid lines and (two
    hidden units, classification) the decision line.

    Once per network: set_network() (after the boundary plot's, whose sample, slice and target levels it shares).
    Every frame: show_params(theta, final). ``boundary``: the boundary plot whose slice the grid follows;
    without one, the inputs beyond x2 are held at their median."""

    def __init__(self, boundary: BoundaryPlot | None = None, parent=None):
        super().__init__(parent)
        self.boundary = boundary
        self._build_widgets()
        self._dataset: Dataset | None = None
        self._spec: NetworkSpec | None = None
        self._layout: Layout | None = None
        self._units: tuple[int, ...] = ()
        self._shown: dict[str, ShownPoints] = {}
        self._plane: MapPlane | None = None
        self._levels = (0.0, 1.0)  # the targets' colour levels (the boundary plot's)
        self._styles: dict[str, tuple[np.ndarray, np.ndarray, float]] = {}  # by split: pens, brushes, size
        self._styled: dict[str, bool] = {}  # by split: its scatter has those styles (later frames only move points)
        self._inputs = np.empty((0, 0))  # the drawn rows (train, then test), then the grid's points
        self._n_points = 0
        self._targets = np.empty(0)  # the drawn rows' targets (the one-unit view's y)
        self._ranges: list[tuple[float, float]] = []  # x1's (and x2's) range over the drawn rows
        self._grid = np.empty((0, 0, 0))  # the grid lines' input rows (see grid_lines)
        self._theta: np.ndarray | None = None
        self._stale = False  # weights came while the view was hidden
        self._points = np.empty((0, 2))
        self._curves = np.empty((0, 2))
        self._line: np.ndarray | None = None
        if boundary is not None:
            boundary.slice_changed.connect(self._boundary_slice_changed)

    # --- widgets ------------------------------------------------------------------------------------
    def _build_widgets(self) -> None:
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.caption.setContentsMargins(4, 2, 4, 0)
        self.x_box, self.y_box = QComboBox(), QComboBox()
        self.x_box.setToolTip("The hidden unit whose activation places the points across")
        self.y_box.setToolTip("The hidden unit whose activation places the points up")
        self.y_label = QLabel("y:")
        row = QHBoxLayout()
        row.setContentsMargins(4, 0, 4, 0)
        for widget in (QLabel("x:"), self.x_box, self.y_label, self.y_box):
            row.addWidget(widget)
        row.addStretch(1)
        for box in (self.x_box, self.y_box):
            box.currentIndexChanged.connect(self._unit_chosen)
        self.view = PlotView()
        self.plot = self.view.addPlot()
        self.plot.setMenuEnabled(False)
        for name in ("bottom", "left"):
            self.plot.getAxis(name).enableAutoSIPrefix(False)  # activations as they are, not "x0.001"
        self.grid_curve = pg.PlotDataItem(pen=GRID_PEN, connect="finite", antialias=True)
        self.line_curve = pg.PlotDataItem(pen=LINE_PEN, antialias=True)
        self.output_curve = pg.PlotDataItem(pen=OUTPUT_PEN, antialias=True)
        self.points = {"train": SharedStyleScatter(symbol="o"), "test": SharedStyleScatter(symbol="s")}
        for item in (self.grid_curve, self.line_curve, self.output_curve, *self.points.values()):
            self.plot.addItem(item)
        self.point_colormap = diverging_colormap()  # regression targets, as the boundary plot's points
        self.colorbar = pg.ColorBarItem(values=(0, 1), colorMap=self.point_colormap, interactive=False, width=12,
                                        label="target", colorMapMenu=False)
        self.view.addItem(self.colorbar, row=0, col=1)
        self.legend = pg.LegendItem(labelTextSize="9pt", colCount=3, horSpacing=20)
        self.view.addItem(self.legend, row=1, col=0, colspan=2)
        self._make_point_styles()
        self.follow = FollowView(self.plot)
        install_follow_reset(self.view, [self.follow])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.caption)
        layout.addLayout(row)
        layout.addWidget(self.view, 1)

    def _make_point_styles(self) -> None:
        """The shared pens and brushes of every point (by few/many, by class or colour bin), and legend samples."""
        self._edges = _shared(pg.mkPen(POINT_EDGE, width=width) for width in EDGE_WIDTHS)
        self._class_brushes = _shared(pg.mkBrush(color) for color in CLASS_COLORS)
        bins = self.point_colormap.map(np.linspace(0.0, 1.0, REGRESSION_BINS), mode="qcolor")
        self._bin_brushes = _shared(pg.mkBrush(color) for color in bins)
        neutral = pg.mkBrush("#b0b0b0")
        self._legend_samples = {
            "class 0": pg.ScatterPlotItem(symbol="o", size=10, pen=self._edges[0], brush=self._class_brushes[0]),
            "class 1": pg.ScatterPlotItem(symbol="o", size=10, pen=self._edges[0], brush=self._class_brushes[1]),
            "train": pg.ScatterPlotItem(symbol="o", size=10, pen=self._edges[0], brush=neutral),
            "test": pg.ScatterPlotItem(symbol="s", size=10, pen=self._edges[0], brush=neutral),
        }

    # --- structure: once per network ------------------------------------------------------------------
    def set_network(self, dataset: Dataset, spec: NetworkSpec, n_hidden: int, names=()) -> None:
        """Lay the view out for this dataset and network shape (``names``, the parameters' names, are taken for
        the views' common signature and not needed). The chosen units stay if the new network has them."""
        new_dataset = dataset is not self._dataset
        self._dataset, self._spec, self._layout = dataset, spec, Layout(dataset.n_inputs, n_hidden)
        self._theta = None
        if new_dataset:
            self._choose_points(dataset)
        self._levels = tuple(self.boundary.levels) if self.boundary is not None else output_levels(dataset)
        self._style_points()
        self._fill_unit_boxes(n_hidden)
        self._read_plane()
        self._lay_out()

    def _choose_points(self, dataset: Dataset) -> None:
        """The rows the boundary plot draws (the same seeded sample), and the grid's range: theirs."""
        self._shown = {"train": ShownPoints.of(dataset.X, dataset.y)}
        if dataset.has_test:
            self._shown["test"] = ShownPoints.of(dataset.X_test, dataset.y_test)
        X = np.concatenate([shown.X for shown in self._shown.values()])
        self._n_points = len(X)
        self._targets = np.concatenate([shown.y[:, 0] for shown in self._shown.values()])
        self._ranges = [padded_range(float(X[:, c].min()), float(X[:, c].max()), 0.0)
                        for c in range(min(2, dataset.n_inputs))]

    def _style_points(self) -> None:
        """Each split's pens and brushes (one of a few shared ones per point) and size."""
        classification = self._dataset.task == "classification"
        self._styles, self._styled = {}, {}
        for split, shown in self._shown.items():
            many = int(len(shown.rows) > MANY_POINTS)
            y = shown.y[:, 0]
            if classification:
                brushes = self._class_brushes[(y >= 0.5).astype(np.intp)]
            else:
                low, high = self._levels
                scaled = np.clip((y - low) / (high - low), 0.0, 1.0)
                brushes = self._bin_brushes[np.rint(np.nan_to_num(scaled, nan=0.5) * (REGRESSION_BINS - 1))
                                            .astype(np.intp)]
            pens = self._edges[np.full(len(y), many)]
            self._styles[split] = (pens, brushes, POINT_SIZES[many])

    def _fill_unit_boxes(self, n_hidden: int) -> None:
        """Units 1..h in both boxes; the chosen units stay if this network has them, else units 1 and 2."""
        wanted = 1 if n_hidden == 1 else 2
        keep = len(self._units) == wanted and max(self._units) < n_hidden
        self._units = self._units if keep else tuple(range(wanted))
        for box, at in ((self.x_box, 0), (self.y_box, 1)):
            with QSignalBlocker(box):
                box.clear()
                box.addItems([f"unit {u + 1}" for u in range(n_hidden)])
                box.setCurrentIndex(self._units[at] if at < wanted else -1)
        for widget in (self.y_label, self.y_box):
            widget.setVisible(wanted == 2)

    def _read_plane(self) -> None:
        """The grid's plane: the data's x1 (and x2) range on the boundary plot's slice (without one: at the
        other inputs' medians, as the neuron maps' own plane)."""
        d = self._dataset.n_inputs
        if self.boundary is not None:
            slice_values = tuple(float(v) for v in self.boundary.slice_values())
        else:
            slice_values = MapPlane.around(self._dataset).slice_values
        self._plane = MapPlane(self._ranges[0], self._ranges[1] if d > 1 else None, slice_values, d)
        self._grid = grid_lines(self._plane)
        X = [shown.X for shown in self._shown.values()]
        self._inputs = np.concatenate([*X, self._grid.reshape(-1, d)])

    def _lay_out(self) -> None:
        """Axis labels, caption, legend and which items show, for the network and the chosen units."""
        one_unit = len(self._units) == 1
        classification = self._dataset.task == "classification"
        self._pre = np.empty((len(self._inputs), len(self._units)))  # pre-activations, then activations
        self._activations = np.empty_like(self._pre)
        lines, points = self._grid.shape[:2]
        self._curves = np.full((lines, points + 1, 2), np.nan)  # a NaN row after each line separates them
        self._line = None
        y_label = "target" if one_unit else self._unit_label(self._units[1])
        style_plot(self.plot, "", self._unit_label(self._units[0]), y_label)
        self.plot.setTitle(None)  # the caption above says what the view is
        self.grid_curve.setVisible(not one_unit)
        self.output_curve.setVisible(one_unit)
        self.line_curve.setVisible(self._exact_line())
        self.colorbar.setVisible(not classification)
        self.colorbar.setLevels(self._levels)
        for item in (self.grid_curve, self.line_curve, self.output_curve, *self.points.values()):
            item.setData([], [])
        self.points["test"].setVisible("test" in self._shown)
        self._points = np.empty((0, 2))
        self._fill_legend(classification, one_unit)
        self.caption.setText(self._caption_text(one_unit))
        self.follow.following = True
        x_range, y_range = self._fixed_ranges()
        self.plot.setRange(xRange=x_range or (0.0, 1.0), yRange=y_range or (0.0, 1.0), padding=0.04)

    def _unit_label(self, unit: int) -> str:
        return f"hidden unit {unit + 1} activation ({self._spec.activation.name})"

    def _exact_line(self) -> bool:
        """Whether the output's decision line is a line in this plane: classification, exactly two hidden units
        (both drawn), and an output function with a threshold."""
        return (self._dataset.task == "classification" and self._layout.n_hidden == 2
                and sorted(self._units) == [0, 1] and self._spec.output.name in OUTPUT_THRESHOLDS)

    def _fill_legend(self, classification: bool, one_unit: bool) -> None:
        self.legend.clear()
        if classification:
            self.legend.addItem(self._legend_samples["class 0"], "class 0")
            self.legend.addItem(self._legend_samples["class 1"], "class 1")
        for split, shown in self._shown.items():
            label = split if "test" in self._shown else "data"
            if shown.sampled:
                label = f"showing {len(shown.rows):,} of {shown.total:,} {label} points"
            self.legend.addItem(self._legend_samples[split], label)
        if one_unit:
            self.legend.addItem(self.output_curve, "network output")
        else:
            self.legend.addItem(self.grid_curve, "input grid lines")
        if self._exact_line():
            self.legend.addItem(self.line_curve, f"decision line (output = {DECISION_LEVEL:g})")
        entries = len(self.legend.items)
        self.legend.setColumnCount(entries if entries <= 3 else math.ceil(entries / 2))

    def _caption_text(self, one_unit: bool) -> str:
        if one_unit:
            return "The data at the hidden unit's activation, against the target; the curve: the network's output."
        names = self._dataset.feature_names
        if len(names) == 1:
            grid = f"the {names[0]} axis"
        else:
            values = self._plane.slice_values
            on_slice = [f"{name} = {value:.3g}" for name, value in zip(names[2:], values, strict=True)]
            grid = f"the {names[0]}-{names[1]} grid lines" + (f" at {', '.join(on_slice)}" if on_slice else "")
        return f"The data at two hidden units' activations (what the output sees); grey: {grid}."

    def _fixed_ranges(self) -> tuple[tuple[float, float] | None, tuple[float, float] | None]:
        """Axis ranges that do not depend on the weights: a bounded activation's range, the 1-D view's targets."""
        bounded = BOUNDED_LEVELS.get(self._spec.activation.name)
        if len(self._units) == 1:
            low, high = self._levels
            pad = TARGET_PADDING * (high - low)
            return bounded, (low - pad, high + pad)
        return bounded, bounded

    # --- the units shown ------------------------------------------------------------------------------
    def units(self) -> tuple[int, ...]:
        """The hidden units shown (0-based): (across, up), or (unit,) for a one-unit network."""
        return self._units

    def set_units(self, i: int, j: int | None = None) -> None:
        """Show hidden unit i (0-based) across and unit j up (ignored for a one-unit network)."""
        n_hidden = self._layout.n_hidden if self._layout is not None else 0
        units = (i,) if n_hidden == 1 else (i, j)
        if any(u is None or not 0 <= u < n_hidden for u in units):
            raise ValueError(f"units {units} out of range: the network has {n_hidden} hidden units")
        units = tuple(int(u) for u in units)
        for box, unit in zip((self.x_box, self.y_box), units, strict=False):
            with QSignalBlocker(box):
                box.setCurrentIndex(unit)
        if units != self._units:
            self._units = units
            self._lay_out()
            if self._theta is not None:
                self._draw(final=True)

    @Slot(int)
    def _unit_chosen(self, _index: int) -> None:
        if self._layout is not None:
            self.set_units(self.x_box.currentIndex(), self.y_box.currentIndex() if len(self._units) == 2 else None)

    @Slot()
    def _boundary_slice_changed(self) -> None:
        if self._dataset is not None:
            self._read_plane()
            self.caption.setText(self._caption_text(len(self._units) == 1))
            if self._theta is not None:
                self._draw(final=True)

    # --- every frame ----------------------------------------------------------------------------------
    def show_params(self, theta: np.ndarray, final: bool = True) -> None:
        """Show the network with parameters ``theta``. While training (``final`` False) the axes of an unbounded
        activation only grow, now and then; a final frame (paused or stepped) fits them to the data."""
        if self._layout is None:
            return
        self._theta = np.array(theta, dtype=np.float64).reshape(self._layout.size)
        self._stale = hidden_in_window(self)
        if not self._stale:
            self._draw(final)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._stale and self._theta is not None:
            self._stale = False
            self._draw(final=True)

    def _draw(self, final: bool) -> None:
        self._activate()
        a = np.clip(self._activations, -COORD_LIMIT, COORD_LIMIT)
        points = a[: self._n_points]
        if len(self._units) == 1:
            self._points = np.column_stack([points[:, 0], self._targets])
        else:
            self._points = points
            self._curves[:, :-1] = a[self._n_points :].reshape(*self._grid.shape[:2], 2)
        self._draw_points()
        self._follow(final)
        if len(self._units) == 2:
            curves = self.grid_line_coordinates()
            self.grid_curve.setData(curves[:, 0], curves[:, 1], connect="finite")
        self._draw_output_line()

    def _activate(self) -> None:
        """The chosen units' activations at every drawn row and grid point: act(X W1[:, u] + b1[u]), as forward()."""
        W1, b1, _, _ = self._layout.split(self._theta)
        units = list(self._units)
        np.matmul(self._inputs, W1[:, units], out=self._pre)
        if self._spec.bias:  # as forward(): a disabled bias is not added
            self._pre += b1[0, units]
        with np.errstate(all="ignore"):  # a diverging network's overflow is drawn, not warned about
            self._spec.activation.output(self._pre, self._activations)

    def _draw_points(self) -> None:
        start = 0
        for split, shown in self._shown.items():
            coords = self._points[start : start + len(shown.rows)]
            start += len(shown.rows)
            item = self.points[split]
            if not self._styled.get(split, False) or not item.move_points(coords[:, 0], coords[:, 1]):
                pens, brushes, size = self._styles[split]
                item.set_points(coords[:, 0], coords[:, 1], pens, brushes, size, item.opts["symbol"])
                self._styled[split] = True

    def _follow(self, final: bool) -> None:
        """Keep the axes on the points and grid lines (a bounded activation's axis: on its range)."""
        fixed_x, fixed_y = self._fixed_ranges()
        drawn = np.vstack([self._points, self._curves.reshape(-1, 2)]) if len(self._units) == 2 else self._points
        x_range = fixed_x or finite_range(drawn[:, 0])
        y_range = fixed_y or finite_range(drawn[:, 1])
        self.follow.show(x_range, y_range, growing=not final)

    def _draw_output_line(self) -> None:
        """The decision line (two units) or the output's curve (one unit), across the view and as far again on
        each side, so that panning a little never shows its end."""
        (x0, x1), (y0, y1) = self.plot.getViewBox().viewRange()
        wide_x, wide_y = (x0 - (x1 - x0), x1 + (x1 - x0)), (y0 - (y1 - y0), y1 + (y1 - y0))
        _, _, W2, b2 = self._layout.split(self._theta)
        bias = float(b2[0, 0]) if self._spec.bias else 0.0
        if len(self._units) == 1:
            a = np.linspace(*wide_x, CURVE_POINTS)[:, None]
            z = a * float(W2[0, 0]) + bias
            p = np.empty_like(z)
            with np.errstate(all="ignore"):
                self._spec.output.output(z, p)
            self.output_curve.setData(a[:, 0], np.clip(p[:, 0], -COORD_LIMIT, COORD_LIMIT))
        elif self._exact_line():
            weights = W2[list(self._units), 0]
            self._line = line_in_box(weights, OUTPUT_THRESHOLDS[self._spec.output.name] - bias, wide_x, wide_y)
            line = self._line if self._line is not None else np.empty((0, 2))
            self.line_curve.setData(line[:, 0], line[:, 1])

    # --- read-outs -------------------------------------------------------------------------------------
    def point_coordinates(self) -> np.ndarray:
        """(rows, 2): each drawn row's place in the view (the boundary plot's sample of the training rows, then of
        the test rows): its two units' activations, or (activation, target) for a one-unit network."""
        drawn = [self.points[split].getData() for split in self._shown]
        return np.vstack([np.column_stack(xy) for xy in drawn]) if drawn else np.zeros((0, 2))

    def grid_line_coordinates(self) -> np.ndarray:
        """(lines x (LINE_POINTS + 1), 2): the grid lines' images as drawn, each line followed by a NaN row
        (empty for a one-unit network)."""
        return self._curves.reshape(-1, 2).copy() if len(self._units) == 2 else np.empty((0, 2))

    def grid_inputs(self) -> np.ndarray:
        """(lines, LINE_POINTS, n_inputs): the input rows of the grid lines (see grid_lines)."""
        return self._grid.copy()

    def decision_line(self) -> np.ndarray | None:
        """The decision line's two ends (2, 2) in the view's coordinates, where w2·a + b2 is the output function's
        value at 0.5; None when it is not drawn (regression, other than two hidden units, or no weights yet)."""
        return None if self._line is None else self._line.copy()

    def output_curve_coordinates(self) -> np.ndarray:
        """(points, 2): the network's output against the unit's activation, as drawn (a one-unit network)."""
        x, y = self.output_curve.getData()
        return np.empty((0, 2)) if x is None else np.column_stack([x, y])
