"""The live plots. Each creates its pyqtgraph items once and then only feeds them new data.

    LossPlot      train and test loss per epoch, log scale
    BoundaryPlot  the network's output over the input plane (or along the one input) with the data on top
    WeightsPlot   every shown parameter over the epochs, and the last update's change of each as bars
"""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, QRectF, Qt, Signal, Slot
from PySide6.QtGui import QColor, QFont, QFontMetrics
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

from model.datasets import Dataset
from model.network import NetworkSpec, Params, Workspace, predict
from model.trainer import Snapshot

TRAIN_COLOR = "#1f77b4"
TEST_COLOR = "#d62728"
# The two classes' colours (Okabe-Ito blue and orange: colour-blind safe, and apart in greyscale too), used
# at full strength for the points and muted (mixed with white) for the surface under them, so the points
# stand out on any part of it. The surface's scale runs blue - white - orange: 0.5 (classification) is white.
CLASS_COLORS = ("#0072B2", "#E69F00")  # class 0, class 1
POINT_EDGE = "#1a1a1a"  # a dark outline reads on the pale surface and on either class colour
SURFACE_STRENGTH = 0.45  # how much of the full colour the surface keeps (the rest is white)
COORD_LIMIT = 4e307  # the boundary plot's axes stay within +-this: twice it, plus a pixel, is still finite
REGRESSION_BINS = 16  # regression points take one of this many shared brushes along the colour scale
GRID_POINTS = 101  # per side of the heatmap grid
MAX_GRID_VALUES = 2_000_000  # grid points x hidden units per frame, so 1024 hidden units stay fluid
SLICE_SLIDER_STEPS = 100
CONTOUR_INTERVAL = 0.25  # seconds between decision-line updates while training (marching squares is Python)
LEGEND_MAX_CURVES = 32
BARS_INTERVAL = 0.2  # seconds between bar chart updates while training (always updated when paused)
CURVES_INTERVAL = 0.1  # seconds between weight-curve updates while training
MAX_CURVE_POINTS = 1024  # rows of history drawn per weight curve (the plot is narrower than that)
MAX_LOSS_POINTS = 2048  # rows of loss history drawn (peak-preserving thinning beyond that)
# Distinct colours that read on white (Tableau 20 without its palest shades), then generated hues.
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
           "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2", "#dbdb8d",
           "#9edae5", "#393b79")


def diverging_colormap(strength: float = 1.0) -> pg.ColorMap:
    """Class 0's blue - white - class 1's orange; ``strength`` < 1 mixes the ends with white."""
    white = np.array([255.0, 255.0, 255.0])
    ends = [white + strength * (np.array(QColor(c).getRgb()[:3], dtype=float) - white) for c in CLASS_COLORS]
    colors = np.array([ends[0], white, ends[1]]).round().astype(np.ubyte)
    return pg.ColorMap(pos=np.array([0.0, 0.5, 1.0]), color=colors)


def curve_colors(n: int) -> list[QColor]:
    if n <= len(PALETTE):
        return [QColor(c) for c in PALETTE[:n]]
    return [pg.intColor(i, hues=n, values=1, maxValue=210, minValue=150) for i in range(n)]


def configure_pyqtgraph() -> None:
    """Light plots to match the widgets; row-major images (image[row, column] = [y, x])."""
    pg.setConfigOptions(background="w", foreground="#303030", antialias=False, imageAxisOrder="row-major")


def set_title(plot: pg.PlotItem, title: str) -> None:
    """Set a plot's title without letting its length set the plot's minimum width (a long title would push
    neighbouring items out of the view); a title wider than the plot is clipped instead."""
    plot.setTitle(title, size="11pt")
    plot.titleLabel.setMinimumWidth(0)


def _style_plot(plot: pg.PlotItem, title: str, bottom: str, left: str) -> None:
    set_title(plot, title)
    plot.setLabel("bottom", bottom)
    plot.setLabel("left", left)
    font = QFont()
    font.setPointSize(9)
    for name in ("bottom", "left"):
        plot.getAxis(name).setTickFont(font)


def positive_or_nan(values: np.ndarray) -> np.ndarray:
    """Values for a log axis: zero, negative and non-finite entries become NaN (gaps, no warnings)."""
    values = np.asarray(values, dtype=np.float64)
    return np.where(np.isfinite(values) & (values > 0), values, np.nan)


def peak_rows(values: np.ndarray, limit: int) -> np.ndarray:
    """Indices of at most ~``limit`` rows that keep the shape of ``values``: in each of limit/2 equal bins,
    the rows of its lowest and highest value (so spikes survive), and the last row."""
    n = len(values)
    bins = max(1, limit // 2)
    size = -(-n // bins)
    padded = np.full(bins * size, np.nan)
    padded[:n] = np.where(np.isfinite(values), values, np.nan)
    blocks = padded.reshape(bins, size)
    filled = ~np.isnan(blocks).all(axis=1)
    starts = np.arange(bins) * size
    low = starts[filled] + np.nanargmin(blocks[filled], axis=1)
    high = starts[filled] + np.nanargmax(blocks[filled], axis=1)
    return np.unique(np.concatenate([[0], low, high, [n - 1]]))


class FollowView(QObject):
    """Keeps a plot's view on its data, as pyqtgraph's auto-range does, but sets the range while the data
    is fed, before painting. (Auto-range adjusts it while painting, and the items' reaction to the new range
    then asks for a second and third paint of every frame.) Zooming or panning by hand stops the
    following; a double-click in the plot resumes it."""

    def __init__(self, plot: pg.PlotItem, padding: float = 0.04):
        super().__init__()
        self.plot, self.padding, self.following = plot, padding, True
        self._wanted: tuple | None = None
        view = plot.getViewBox()
        view.disableAutoRange()
        plot.hideButtons()
        view.sigRangeChangedManually.connect(self._moved_by_hand)

    @Slot(object)
    def _moved_by_hand(self, _mask) -> None:
        self.following = False

    def follow_again(self) -> None:
        self.following = True
        if self._wanted is not None:
            x_range, y_range = self._wanted
            view = self.plot.getViewBox()
            view.setRange(xRange=_padded(x_range, self.padding) if x_range else None,
                          yRange=_padded(y_range, self.padding) if y_range else None, padding=0)

    def show(self, x_range: tuple[float, float] | None, y_range: tuple[float, float] | None,
             growing: bool = False) -> None:
        """Show these data ranges (padded), unless the user has moved the view.

        While the data is ``growing`` (training runs) the view changes only when the data leaves it or fills
        less than half of it, and then with some headroom: the axes move now and then rather than every
        frame (redrawing an axis is one of the costliest parts of a frame). Otherwise it fits the data."""
        self._wanted = (x_range, y_range)
        if not self.following:
            return
        view = self.plot.getViewBox()
        (x0, x1), (y0, y1) = view.viewRange()
        kwargs = {}
        if x_range is not None and (not growing or _needs_change((x0, x1), x_range)):
            kwargs["xRange"] = _padded(x_range, self.padding, headroom=0.25 if growing else 0.0)
        if y_range is not None and (not growing or _needs_change((y0, y1), y_range)):
            kwargs["yRange"] = _padded(y_range, self.padding, headroom=0.1 if growing else 0.0)
        if kwargs:
            view.setRange(padding=0, disableAutoRange=True, **kwargs)
            view.updateMatrix()  # now, not while painting: items react to the new transform before the paint


def _needs_change(shown: tuple[float, float], data: tuple[float, float]) -> bool:
    low, high = data
    if not (np.isfinite(low) and np.isfinite(high)):
        return False
    span_shown = shown[1] - shown[0]
    outside = low < shown[0] or high > shown[1]
    too_loose = (high - low) < 0.5 * span_shown
    return outside or too_loose


def _padded(span: tuple[float, float], padding: float, headroom: float = 0.0) -> tuple[float, float]:
    """The span with ``padding`` on both sides and ``headroom`` more above (where growing data goes)."""
    low, high = float(span[0]), float(span[1])
    if not (np.isfinite(low) and np.isfinite(high)):
        return (0.0, 1.0)
    width = high - low
    if width <= 0:
        width = max(abs(low) * 0.1, 1e-3)
        return low - width, high + width
    return low - padding * width, high + (padding + headroom) * width


def finite_range(*arrays: np.ndarray) -> tuple[float, float] | None:
    values = [a[np.isfinite(a)] for a in arrays if a is not None and len(a)]
    values = [v for v in values if v.size]
    if not values:
        return None
    return min(float(v.min()) for v in values), max(float(v.max()) for v in values)


def install_follow_reset(view_widget: pg.GraphicsView, follows: list[FollowView]) -> None:
    """A double-click on a plot makes it follow its data again."""
    def clicked(event):
        if not event.double():
            return
        for follow in follows:
            if follow.plot.sceneBoundingRect().contains(event.scenePos()):
                follow.follow_again()

    view_widget.scene().sigMouseClicked.connect(clicked)


def linear_ticks_in_log(low_log: float, high_log: float, count: int = 5) -> list[float]:
    """log10 of round values (1, 2 or 5 times a power of ten apart) between 10**low_log and 10**high_log."""
    low, high = 10.0**low_log, 10.0**high_log
    raw = (high - low) / count
    if not raw > 0:
        return []
    power = 10.0 ** np.floor(np.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    values = np.arange(np.ceil(low / step) * step, high, step)
    return [float(v) for v in np.log10(values[values > 0])]


class LogAxis(pg.AxisItem):
    """A log axis labelled at 1, 2 and 5 times powers of ten (pyqtgraph labels every 1..9, which collide
    near each power), plainly written ("0.02", "1e-05"), with no SI prefix."""

    def __init__(self, orientation="left", **kwargs):
        super().__init__(orientation, **kwargs)
        self.enableAutoSIPrefix(False)
        self.setStyle(maxTextLevel=1)

    def logTickValues(self, minVal, maxVal, size, stdTicks):
        low, high = int(np.floor(minVal)), int(np.ceil(maxVal))
        decades = list(range(low, high + 1))
        step = max(1, int(np.ceil(len(decades) / 8)))
        majors = [v for v in decades if minVal <= v <= maxVal and v % step == 0]
        labelled = [2, 5] if maxVal - minVal <= 3 else []
        plain = [3, 4, 6, 7, 8, 9] if maxVal - minVal <= 3 else [2, 3, 4, 5, 6, 7, 8, 9]
        if maxVal - minVal > 8:
            plain = []

        def inside(multipliers):
            values = [v + np.log10(m) for v in decades for m in multipliers]
            return [v for v in values if minVal <= v <= maxVal]

        ticks = [(1.0, majors), (None, inside(labelled)), (None, inside(plain))]
        if len(majors) + len(ticks[1][1]) < 2:  # a narrow range: round values evenly spaced in the data's units
            ticks = [(None, linear_ticks_in_log(minVal, maxVal))]
        return ticks

    def logTickStrings(self, values, scale, spacing):
        return [f"{10.0 ** v * scale:.3g}" for v in values]


class PlotView(pg.GraphicsLayoutWidget):
    """A pyqtgraph layout view that says when it has painted (the window releases the worker then)."""

    painted = Signal()

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        self.painted.emit()


class LossPlot(PlotView):
    """Train and test loss per epoch on a log scale. The history is already thinned by the model (at most
    a few thousand rows however long the run); downsampling and clipping keep each repaint cheap."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.plot = self.addPlot(axisItems={"left": LogAxis("left")})
        _style_plot(self.plot, "Loss per epoch", "epoch", "loss (log scale)")
        self.plot.setLogMode(x=False, y=True)
        self.legend = self.plot.addLegend(offset=(-10, 10), labelTextSize="9pt")
        self.train_curve = self.plot.plot(name="train", pen=pg.mkPen(TRAIN_COLOR, width=1))
        self.test_curve = self.plot.plot(name="test", pen=pg.mkPen(TEST_COLOR, width=1))
        for curve in (self.train_curve, self.test_curve):
            curve.setClipToView(True)
        self._has_test: bool | None = None
        self.follow = FollowView(self.plot)
        install_follow_reset(self, [self.follow])

    def show_history(self, history: dict[str, np.ndarray], running: bool = False) -> None:
        epoch = history["epoch"]
        train = positive_or_nan(history["train_loss"])
        test = history["test_loss"]
        has_test = bool(np.isfinite(test).any()) if len(test) else self._has_test is True
        if has_test != self._has_test:
            self._has_test = has_test
            self.test_curve.setVisible(has_test)
            self._show_test_in_legend(has_test)
        test = positive_or_nan(test) if has_test else np.full(len(epoch), np.nan)
        if len(epoch) > MAX_LOSS_POINTS:  # thinned here, once, rather than by the curves at every paint
            keep = peak_rows(train, MAX_LOSS_POINTS)
            epoch, train, test = epoch[keep], train[keep], test[keep]
        # Range first, so the curves clip themselves once, for the view they are painted in.
        loss_range = finite_range(train, test)
        if len(epoch) and loss_range is not None:
            self.follow.show((float(epoch[0]), float(epoch[-1])), tuple(np.log10(loss_range)), growing=running)
        self.train_curve.setData(epoch, train)
        if has_test:
            self.test_curve.setData(epoch, test)

    def _show_test_in_legend(self, shown: bool) -> None:
        self.legend.removeItem(self.test_curve)
        if shown:
            self.legend.addItem(self.test_curve, "test")

    def clear_data(self) -> None:
        self.train_curve.setData([], [])
        self.test_curve.setData([], [])


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
        _style_plot(self.plot, "Decision boundary", "x1", "x2")
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
            _style_plot(self.plot, "Network output along the input", names[0], "output / target")
            self.legend.addItem(self.output_curve, "network output")
        else:
            title = "Decision boundary" if self._classification else "Prediction surface"
            _style_plot(self.plot, title, names[0], names[1])
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


class WeightsPlot(PlotView):
    """Each shown parameter's value over the epochs (one named curve each), and the last update's change
    of each as a bar chart, coloured alike."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.curves_plot = self.addPlot(row=0, col=0)
        _style_plot(self.curves_plot, "Weights and biases", "epoch", "value")
        self.bars_plot = self.addPlot(row=1, col=0, colspan=2)
        _style_plot(self.bars_plot, "Last update's change", "", "Δ = -lr · gradient")
        self.ci.layout.setRowStretchFactor(0, 3)
        self.ci.layout.setRowStretchFactor(1, 2)
        self.bars_plot.addItem(pg.InfiniteLine(pos=0, angle=0, pen=pg.mkPen("#808080", width=1)))
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.75)
        self.bars_plot.addItem(self.bars)
        self.bars_plot.setMouseEnabled(x=False, y=True)
        self._tick_font = QFont()
        self._tick_font.setPointSize(9)
        # The legend has a column of its own beside the curves, so it never hides them.
        self.legend = pg.LegendItem(labelTextSize="8pt", colCount=1, verSpacing=-8, horSpacing=4)
        self.addItem(self.legend, row=0, col=1)
        self.curves_follow = FollowView(self.curves_plot)
        self.bars_follow = FollowView(self.bars_plot, padding=0.08)
        install_follow_reset(self, [self.curves_follow, self.bars_follow])
        self.curves: list[pg.PlotDataItem] = []
        self.names: tuple[str, ...] = ()
        self._colors: list[QColor] = []
        self._heights = np.zeros(0)
        self._bars_time = 0.0
        self._curves_time = 0.0
        self._initial: np.ndarray | None = None  # theta at epoch 0, when this network was made

    def set_params(self, names: tuple[str, ...], caption: str, initial_theta: np.ndarray | None) -> None:
        """New curves and bars for these parameter names (called once per network)."""
        for curve in self.curves:
            self.curves_plot.removeItem(curve)
        self.legend.clear()
        self.names = names
        n = len(names)
        self._colors = curve_colors(n)
        self.curves = []
        for name, color in zip(names, self._colors, strict=True):
            # Antialiased: a weight that zigzags by less than a pixel from epoch to epoch (notebook 000) is
            # otherwise drawn with gaps. Affordable, as the curves are repainted a few times a second.
            curve = pg.PlotDataItem(pen=pg.mkPen(color, width=1), name=name, antialias=True)
            curve.setClipToView(True)  # thinned to MAX_CURVE_POINTS rows when fed, not at every paint
            self.curves_plot.addItem(curve)
            self.curves.append(curve)
        if n <= LEGEND_MAX_CURVES:
            self.legend.setColumnCount(1 if n <= 14 else 2)
            for curve, name in zip(self.curves, names, strict=True):
                self.legend.addItem(curve, name)
        self.legend.setVisible(n <= LEGEND_MAX_CURVES)
        set_title(self.curves_plot, f"Weights and biases: {caption}")
        self._initial = initial_theta
        self._heights = np.zeros(n)
        self.bars.setOpts(x=np.arange(n), height=self._heights, width=0.75, brushes=[pg.mkBrush(c) for c in
                                                                                     self._colors],
                          pens=[pg.mkPen(c.darker(140)) for c in self._colors])
        self._update_bar_ticks()
        self._fit_legend_column()
        self.bars_plot.setXRange(-0.6, n - 0.4, padding=0)
        self.bars_plot.setLabel("bottom", "")

    def _update_bar_ticks(self) -> None:
        """Name every bar that has room for its label, so the names never run into each other."""
        n = len(self.names)
        if n == 0:
            return
        metrics = QFontMetrics(self._tick_font)
        label_width = max(metrics.horizontalAdvance(name) for name in self.names) + 8
        bar_width = max(self.bars_plot.getViewBox().width(), 100) / n
        every = max(1, int(np.ceil(label_width / bar_width)))
        self.bars_plot.getAxis("bottom").setTicks([[(i, self.names[i]) for i in range(0, n, every)], []])

    def _fit_legend_column(self) -> None:
        if not self.names or not self.legend.isVisible():
            self.ci.layout.setColumnFixedWidth(1, 0)
            return
        metrics = QFontMetrics(self._tick_font)
        columns = 1 if len(self.names) <= 14 else 2
        width = columns * (max(metrics.horizontalAdvance(name) for name in self.names) + 44)
        self.ci.layout.setColumnFixedWidth(1, width)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if hasattr(self, "names"):  # GraphicsView's constructor resizes before ours has run
            self._update_bar_ticks()

    def show_snapshot(self, snapshot: Snapshot, shown_index: np.ndarray, running: bool = False) -> bool:
        """Feed the curves and bars; True if anything was fed. While training runs they are fed a few times a
        second (they are the costliest part of a frame); a paused or stepped network is always shown at once."""
        now = time.perf_counter()
        fed = False
        if not running or now - self._curves_time >= CURVES_INTERVAL:
            self._curves_time = now
            self._show_curves(snapshot, shown_index, running)
            fed = True
        if not running or now - self._bars_time >= BARS_INTERVAL:
            self._bars_time = now
            self._show_bars(snapshot, shown_index)
            fed = True
        return fed

    def _show_curves(self, snapshot: Snapshot, shown_index: np.ndarray, running: bool) -> None:
        history = snapshot.history
        epochs, values = history["epoch"], history["params"]
        if len(epochs) > MAX_CURVE_POINTS:  # more rows than pixels: every k-th row, and the last
            keep = np.unique(np.append(np.arange(0, len(epochs), -(-len(epochs) // MAX_CURVE_POINTS)),
                                       len(epochs) - 1))
            epochs, values = epochs[keep], values[keep]
        # Epoch 0 (the initial weights) first, then the recorded epochs, then the current weights when
        # they are in the middle of an epoch (after single steps), so a step always moves the curve ends.
        x_parts, y_parts = [], []
        if self._initial is not None:
            x_parts.append(np.zeros(1))
            y_parts.append(self._initial[shown_index][None, :])
        x_parts.append(epochs.astype(np.float64))
        y_parts.append(values)
        if snapshot.position:
            x_parts.append(np.array([snapshot.epoch + snapshot.position / snapshot.updates_per_epoch]))
            y_parts.append(snapshot.theta[shown_index][None, :])
        x = np.concatenate(x_parts)
        y = np.concatenate(y_parts, axis=0)
        if len(x):
            self.curves_follow.show((0.0, max(float(x[-1]), 1.0)), finite_range(y.ravel()), growing=running)
        with np.errstate(invalid="ignore"):
            for k, curve in enumerate(self.curves):
                curve.setData(x, y[:, k])

    def _show_bars(self, snapshot: Snapshot, shown_index: np.ndarray) -> None:
        record = snapshot.last_update
        heights = np.zeros(len(self.curves)) if record is None else record.delta[shown_index]
        if np.array_equal(heights, self._heights):
            return
        self._heights = heights
        self.bars.setOpts(height=heights)
        if record is not None:  # which update the bars show
            self.bars_plot.setLabel("bottom", f"update {record.update:,} (epoch {record.epoch:,}, "
                                    f"lr {record.lr:g})", **{"font-size": "8pt"})
        low, high = finite_range(np.append(heights, 0.0)) or (0.0, 0.0)
        self.bars_follow.show(None, (low, high) if high > low else (-1.0, 1.0))

    def bar_heights(self) -> np.ndarray:
        return np.array(self._heights, copy=True)
