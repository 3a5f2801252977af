"""The decision boundary: the network's output over the input plane (or along the one input) with the data on top."""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal, Slot
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QGraphicsItem,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from gui.views.common import CLASS_COLORS, SURFACE_STRENGTH, PlotView, diverging_colormap, style_plot
from model.datasets import Dataset
from model.network import NetworkSpec, Params, Workspace, predict

# The two classes' colours (Okabe-Ito blue and orange: colour-blind safe, and apart in greyscale too), used
# at full strength for the points and muted (mixed with white) for the surface under them, so the points
# stand out on any part of it. The surface's scale runs blue - white - orange: 0.5 (classification) is white.
POINT_EDGE = "#1a1a1a"  # a dark outline reads on the pale surface and on either class colour
COORD_LIMIT = 4e307  # the boundary plot's axes stay within +-this: twice it, plus a pixel, is still finite
REGRESSION_BINS = 16  # regression points take one of this many shared brushes along the colour scale
GRID_POINTS = 101  # per side of the heatmap grid
MAX_GRID_VALUES = 2_000_000  # grid points x hidden units per frame, so 1024 hidden units stay fluid
SLICE_SLIDER_STEPS = 100
CONTOUR_INTERVAL = 0.25  # seconds between decision-line updates while training (marching squares is Python)

class BoundaryPlot(QWidget):
    """The network's output over the x1-x2 plane as a heatmap with fixed levels and a colour bar, the data
    on top coloured by target. Inputs beyond the second are held at slider values (AND-OR's x3); a
    one-input dataset shows the output along x1 as a curve instead."""

    slice_changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.view = PlotView()
        # Repaint only what changed (the heatmap and what lies on it), not the axes and the colour bar.
        self.view.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.MinimalViewportUpdate)
        self.plot = self.view.addPlot()
        style_plot(self.plot, "Decision boundary", "x1", "x2")
        self.plot.setMenuEnabled(False)
        self.colormap = diverging_colormap(SURFACE_STRENGTH)  # the surface and its colour bar: muted
        self.point_colormap = diverging_colormap()  # the points (regression targets): full strength
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.colorbar = pg.ColorBarItem(values=(0, 1), colorMap=self.colormap, interactive=False, width=16,
                                        label="network output", colorMapMenu=False)
        self.colorbar.setImageItem(self.image, insert_in=self.plot)
        self.contour = pg.IsocurveItem(level=0.5, pen=pg.mkPen("#202020", width=2, style=Qt.PenStyle.DashLine),
                                       axisOrder="row-major")
        self.contour.setParentItem(self.image)  # in the image's pixel coordinates, like the data it traces
        self.output_curve = self.plot.plot(pen=pg.mkPen("#202020", width=2), name="network output")
        # The legend sits in a row of its own under the plot, so it never covers a data point.
        self.legend = pg.LegendItem(labelTextSize="9pt", colCount=4, horSpacing=20)
        self.view.addItem(self.legend, row=1, col=0)
        # The few shared brushes and pens every point is drawn with (pyqtgraph keeps a reference per point,
        # not a copy): solid on the current slice, faded off it.
        # Keyed by (solid, many): many points take a thinner edge.
        self._edge = {(solid, many): pg.mkPen(_with_alpha(POINT_EDGE, 255 if solid else 70),
                                              width=0.7 if many else 1.2)
                      for solid in (True, False) for many in (True, False)}
        self._class_brushes = {(label, solid): pg.mkBrush(_with_alpha(color, 255 if solid else 60))
                               for label, color in enumerate(CLASS_COLORS) for solid in (True, False)}
        bins = self.point_colormap.map(np.linspace(0.0, 1.0, REGRESSION_BINS), mode="qcolor")
        self._bin_brushes = {solid: [pg.mkBrush(_with_alpha(c, 255 if solid else 60)) for c in bins]
                             for solid in (True, False)}
        # Legend samples (never added to the plot): class colours as circles, then train and test shapes.
        neutral = pg.mkBrush("#b0b0b0")
        self._legend_samples = {
            "class 0": pg.ScatterPlotItem(symbol="o", size=10, pen=self._edge[True, False],
                                          brush=self._class_brushes[0, True]),
            "class 1": pg.ScatterPlotItem(symbol="o", size=10, pen=self._edge[True, False],
                                          brush=self._class_brushes[1, True]),
            "train (circle)": pg.ScatterPlotItem(symbol="o", size=10, pen=self._edge[True, False], brush=neutral),
            "test (square)": pg.ScatterPlotItem(symbol="s", size=10, pen=self._edge[True, False], brush=neutral),
        }
        self.train_points = pg.ScatterPlotItem(name="train", symbol="o")
        self.test_points = pg.ScatterPlotItem(name="test", symbol="s")
        for points in (self.train_points, self.test_points):
            # The points stay put while the surface under them changes every frame: paint them from a
            # cached picture (Qt redraws the cache only when they or the view change).
            points.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
            self.plot.addItem(points)
        self.slice_box = QWidget()
        self.slice_layout = QHBoxLayout(self.slice_box)
        self.slice_layout.setContentsMargins(8, 0, 8, 4)
        # Classification only: the classes' regions (output >= 0.5) instead of the continuous output.
        self.discretize_box = QCheckBox("Class regions")
        self.discretize_box.setToolTip("Colour each point of the plane by the class the network gives it (output "
                                       ">= 0.5: class 1) instead of by the continuous output.")
        self.discretize_box.toggled.connect(self._discretize_toggled)
        self.slice_layout.addWidget(self.discretize_box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.slice_box)
        self.sliders: list[tuple[QSlider, QLabel, float, float]] = []
        self._dataset: Dataset | None = None
        self._key = None
        self._params: Params | None = None
        self._spec: NetworkSpec | None = None
        self._grid: np.ndarray | None = None
        self._workspace: Workspace | None = None
        self._values: np.ndarray | None = None  # the latest predictions, shaped like the image
        self._last_contour = 0.0
        self._classification = True

    # --- structure: once per network --------------------------------------------------------------------
    def set_network(self, dataset: Dataset, spec: NetworkSpec, n_hidden: int) -> None:
        """Lay out the grid, levels, points and sliders for this dataset and network shape."""
        key = (id(dataset), spec, n_hidden)
        if key == self._key:
            return
        new_dataset = dataset is not self._dataset
        self._key, self._dataset, self._spec = key, dataset, spec
        self._classification = dataset.task == "classification"
        d = dataset.n_inputs
        self._params = Params(d, n_hidden)
        side = int(min(GRID_POINTS, max(24, np.sqrt(MAX_GRID_VALUES / max(n_hidden, 1)))))
        self._bounds = [_padded_range(dataset, column) for column in range(d)]
        if new_dataset:
            self._build_sliders(dataset)
        if d == 1:
            self._grid = np.linspace(*self._bounds[0], 400)[:, None]
        else:
            xs, ys = (np.linspace(*self._bounds[i], side) for i in (0, 1))
            self._grid = np.empty((side * side, d))
            self._grid[:, 0] = np.tile(xs, side)  # row-major: row = x2 index, column = x1 index
            self._grid[:, 1] = np.repeat(ys, side)
            self._side = side
            self._image = np.empty((side, side), dtype=np.float32)
            self._apply_slice()
        self._workspace = Workspace(len(self._grid), d, n_hidden)
        self._layout_items(dataset, spec)
        self._values = None

    def _layout_items(self, dataset: Dataset, spec: NetworkSpec) -> None:
        d = dataset.n_inputs
        names = dataset.feature_names
        self.levels = _levels_for(dataset, spec)
        self.colorbar.setLevels(self.levels)
        self.contour.setVisible(d > 1 and self._classification)
        self.image.setVisible(d > 1)
        self.colorbar.setVisible(d > 1)
        self.output_curve.setVisible(d == 1)
        self.legend.clear()
        if d == 1:
            style_plot(self.plot, "Network output along the input", names[0], "output / target")
            self.legend.addItem(self.output_curve, "network output")
        else:
            title = "Decision boundary" if self._classification else "Prediction surface"
            style_plot(self.plot, title, names[0], names[1])
            step_x = (self._bounds[0][1] - self._bounds[0][0]) / (self._side - 1)
            step_y = (self._bounds[1][1] - self._bounds[1][0]) / (self._side - 1)
            # setRect scales by the image's shape, so an image of the final shape must be there first.
            blank = np.full((self._side, self._side), np.mean(self.levels), dtype=np.float32)
            self.image.setImage(blank, autoLevels=False, levels=self.levels)
            # Pixel centres on the grid points.
            self.image.setRect(QRectF(self._bounds[0][0] - step_x / 2, self._bounds[1][0] - step_y / 2,
                                      step_x * self._side, step_y * self._side))
        if self._classification:
            self.legend.addItem(self._legend_samples["class 0"], "class 0")
            self.legend.addItem(self._legend_samples["class 1"], "class 1")
        self.legend.addItem(self._legend_samples["train (circle)"], "train" if dataset.has_test else "data")
        if dataset.has_test:
            self.legend.addItem(self._legend_samples["test (square)"], "test")
        self.test_points.setVisible(dataset.has_test)
        self._place_points()
        if d == 1:
            self.plot.enableAutoRange()
        else:
            self.plot.disableAutoRange()
            self.plot.setRange(xRange=self._bounds[0], yRange=self._bounds[1], padding=0)

    def _build_sliders(self, dataset: Dataset) -> None:
        for slider, label, _, _ in self.sliders:
            slider.deleteLater()
            label.deleteLater()
        self.sliders = []
        for column in range(2, dataset.n_inputs):
            low, high = _clamped_range(dataset, column)
            label = QLabel()
            slider = QSlider(Qt.Orientation.Horizontal)
            slider.setRange(0, SLICE_SLIDER_STEPS)
            # Start at the column's median over the training rows (AND-OR's are all x3 = 1), a typical slice.
            median = min(max(float(np.median(dataset.X[:, column])), low), high)
            slider.setValue(round((median - low) / (high - low) * SLICE_SLIDER_STEPS) if high > low else 0)
            name = dataset.feature_names[column]
            slider.setToolTip(f"The plane shows the network with {name} held at this value; points near this "
                              f"{name} are drawn solid, the others faded.")
            slider.valueChanged.connect(self._slider_moved)
            self.slice_layout.addWidget(label)
            self.slice_layout.addWidget(slider, 1)
            self.sliders.append((slider, label, low, high))
        self._update_slice_box()
        self._update_slider_labels()

    def _update_slice_box(self) -> None:
        shows_regions = self._dataset is not None and self._classification and self._dataset.n_inputs > 1
        self.discretize_box.setVisible(shows_regions)
        self.slice_box.setVisible(bool(self.sliders) or shows_regions)

    def discretized(self) -> bool:
        """Whether the plane shows class regions (classification) rather than the continuous output."""
        return self.discretize_box.isChecked()

    def set_discretized(self, on: bool) -> None:
        self.discretize_box.setChecked(on)

    @Slot(bool)
    def _discretize_toggled(self, _on: bool) -> None:
        if self._values is not None and self._values.ndim == 2:
            self._draw_image(final=True)

    def slice_values(self) -> list[float]:
        return [low + (high - low) * (slider.value() / SLICE_SLIDER_STEPS) for slider, _, low, high in self.sliders]

    def set_slice_value(self, index: int, value: float) -> None:
        slider, _, low, high = self.sliders[index]
        slider.setValue(round((value - low) / (high - low) * SLICE_SLIDER_STEPS) if high > low else 0)

    def _update_slider_labels(self) -> None:
        for (_, label, _, _), value, name in zip(self.sliders, self.slice_values(),
                                                 self._dataset.feature_names[2:], strict=False):
            label.setText(f"{name} = {value:.4g}")  # short for any magnitude

    @Slot(int)
    def _slider_moved(self, _position: int) -> None:
        self._update_slider_labels()
        self._apply_slice()
        self._place_points()
        self._values = None
        self.slice_changed.emit()

    def _apply_slice(self) -> None:
        for column, value in enumerate(self.slice_values(), start=2):
            self._grid[:, column] = value

    def _place_points(self) -> None:
        dataset = self._dataset
        self._set_points(self.train_points, dataset.X, dataset.y, "o")
        if dataset.has_test:
            self._set_points(self.test_points, dataset.X_test, dataset.y_test, "s")

    def _set_points(self, item: pg.ScatterPlotItem, X: np.ndarray, y: np.ndarray, symbol: str) -> None:
        """Points in their class's colour (regression: the target on the colour scale, in bins) with a dark
        edge; off the current slice: faded. Every point shares one of a few brushes and pens."""
        n, d = X.shape
        on_slice = np.ones(n, dtype=bool)
        for column, value in enumerate(self.slice_values(), start=2):
            low, high = _clamped_range(self._dataset, column)
            on_slice &= np.abs(_clamped(X[:, column]) - value) <= 0.25 * max(high - low, 1e-12)
        order = np.argsort(on_slice, kind="stable")  # solid points drawn last, on top
        solid = on_slice[order]
        if self._classification:
            labels = (y[order, 0] >= 0.5).astype(int)
            brushes = [self._class_brushes[label, s] for label, s in zip(labels.tolist(), solid.tolist(),
                                                                         strict=True)]
        else:
            lo, hi = self.levels
            scaled = np.clip((_clamped(y[order, 0]) - lo) / (hi - lo), 0.0, 1.0)
            bins = np.rint(np.nan_to_num(scaled, nan=0.5) * (REGRESSION_BINS - 1)).astype(int)
            brushes = [self._bin_brushes[s][b] for b, s in zip(bins.tolist(), solid.tolist(), strict=True)]
        # A few points: large; many (up to thousands): small, so the surface stays visible between them.
        many = n > 100
        size = 5 if many else 14
        pens = [self._edge[s, many] for s in solid.tolist()]
        ys = X[order, 1] if d > 1 else y[order, 0]
        item.setData(x=_clamped(X[order, 0]), y=_clamped(ys), brush=brushes, pen=pens, size=size, symbol=symbol)
        # Of train and test, the one with more points on the slice is drawn on top (AND-OR's rows coincide
        # in x1-x2: the faded ones must not cover the solid ones).
        item.setZValue(float(solid.mean()) if n else 0.0)

    def legend_labels(self) -> list[str]:
        """The legend's entries, in order."""
        return [label.text for _sample, label in self.legend.items]

    # --- every frame ------------------------------------------------------------------------------------
    def show_network(self, theta: np.ndarray, final: bool = True) -> None:
        """Draw the output of the network with parameters ``theta`` over the grid."""
        if self._params is None:
            return
        self._params.theta[...] = theta
        p = predict(self._params, self._grid, self._spec, self._workspace)
        if self._dataset.n_inputs == 1:
            self._values = p[:, 0].copy()
            self.output_curve.setData(self._grid[:, 0], np.where(np.isfinite(self._values), self._values, np.nan))
            return
        self._values = p.reshape(self._side, self._side).copy()
        self._draw_image(final)

    def _draw_image(self, final: bool) -> None:
        """Feed the heatmap (and the decision line) from the latest predictions."""
        # The image only needs the levels' range: clip first so a huge output (a diverging network) cannot
        # overflow float32, and draw NaN at the low end.
        lo, hi = self.levels
        span = hi - lo
        np.clip(self._values, lo - span, hi + span, out=self._image)
        self._image[np.isnan(self._values)] = lo
        if self._classification and self.discretized():
            with np.errstate(invalid="ignore"):  # NaN is neither class: drawn as class 0, the low end
                np.greater_equal(self._values, 0.5, out=self._image, casting="unsafe")
        self.image.setImage(self._image, autoLevels=False, levels=self.levels)
        now = time.perf_counter()
        if self._classification and (final or now - self._last_contour >= CONTOUR_INTERVAL):
            self._last_contour = now
            self.contour.setData(self._image, level=0.5)

    def grid_inputs(self) -> np.ndarray:
        """The inputs the heatmap (or curve) is evaluated at, in image order."""
        return self._grid.copy()

    def image_values(self) -> np.ndarray:
        """The heatmap's pixels as drawn (row-major: [x2 index, x1 index]), in the levels' units."""
        return np.array(self.image.image, copy=True)

    def values(self) -> np.ndarray | None:
        """The predictions last drawn: (rows, columns) for the plane, (points,) along one input."""
        return self._values


def _with_alpha(color, alpha: int) -> QColor:
    color = QColor(color)
    color.setAlpha(alpha)
    return color


def _data_range(dataset: Dataset, column: int) -> tuple[float, float]:
    values = dataset.X[:, column] if not dataset.has_test else np.concatenate([dataset.X[:, column],
                                                                               dataset.X_test[:, column]])
    return float(values.min()), float(values.max())


def _clamped(values: np.ndarray) -> np.ndarray:
    """Values within +-COORD_LIMIT (data beyond it is drawn at the edge of the plot's finite range)."""
    return np.clip(values, -COORD_LIMIT, COORD_LIMIT)


def _clamped_range(dataset: Dataset, column: int) -> tuple[float, float]:
    low, high = _data_range(dataset, column)
    return max(low, -COORD_LIMIT), min(high, COORD_LIMIT)


def _padded_range(dataset: Dataset, column: int) -> tuple[float, float]:
    return _finite_padded(*_data_range(dataset, column), fraction=0.25)


def _levels_for(dataset: Dataset, spec: NetworkSpec) -> tuple[float, float]:
    """Fixed colour levels: 0..1 for classification; the targets' range, padded, for regression."""
    if dataset.task == "classification":
        return 0.0, 1.0
    y = dataset.y if not dataset.has_test else np.vstack([dataset.y, dataset.y_test])
    return _finite_padded(float(y.min()), float(y.max()), fraction=0.1)


def _finite_padded(low: float, high: float, fraction: float) -> tuple[float, float]:
    """[low, high] widened by ``fraction`` of its width on each side (a point: by half its size, at least 1),
    kept within +-COORD_LIMIT so the width, the grid steps and the view's range stay finite however large
    the data (up to the largest float, 1.8e308: such data is drawn at the edge of the range)."""
    low, high = (min(max(v, -COORD_LIMIT), COORD_LIMIT) for v in (low, high))
    half_span = high / 2 - low / 2  # halves: the difference of two huge values would overflow
    pad = 2 * fraction * half_span if half_span > 0 else max(1.0, abs(low) * 0.5)
    low, high = max(low - pad, -COORD_LIMIT), min(high + pad, COORD_LIMIT)
    if not high > low:  # every value at the same limit
        low, high = (high * 0.5, high) if high > 0 else (low, low * 0.5)
    return low, high

