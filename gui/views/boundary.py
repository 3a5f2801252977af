"""The decision boundary: the network's output over the input plane (or along the one input) with the data on top.

However large the data, the GUI thread's work is bounded: the plot draws a seeded sample of at most MAX_POINTS
rows of each split (its axes, slices and colour levels come from the sample too), and the network's output over
the grid is computed in a thread of its own (gui/views/surface.py), whatever the hidden layer's size.

With "Draw points" on (2-input datasets only), clicks on the plot ask for points: a click (and, in the view's
coordinates, where) is a ``point_added`` or ``point_removed`` signal. The plot never edits the dataset itself:
its owner makes the edited one (model/drawing.py) and calls set_network again, which then only redraws the
points while they fit the grid, keeping the view, the surface and the colour levels as they were.
"""

from __future__ import annotations

import math
import weakref
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal, Slot
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QGraphicsItem,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from gui.views.common import CLASS_COLORS, SURFACE_STRENGTH, PlotView, diverging_colormap, style_plot
from gui.views.surface import (
    Surface,
    SurfaceComputer,
    SurfaceGrid,
    SurfaceRequest,
    class_regions,
    wait_until_shown,
)
from model.csv_io import MAX_MAGNITUDE
from model.datasets import Dataset
from model.drawing import DRAWN_INPUTS
from model.network import NetworkSpec

# The two classes' colours (Okabe-Ito blue and orange: colour-blind safe, and apart in greyscale too), used
# at full strength for the points and muted (mixed with white) for the surface under them, so the points
# stand out on any part of it. The surface's scale runs blue - white - orange: 0.5 (classification) is white.
POINT_EDGE = "#1a1a1a"  # a dark outline reads on the pale surface and on either class colour
COORD_LIMIT = 4e307  # the boundary plot's axes stay within +-this: twice it, plus a pixel, is still finite
REGRESSION_BINS = 16  # regression points take one of this many shared brushes along the colour scale
GRID_POINTS = 101  # per side of the heatmap grid, whatever the network's size (the grid pass is off-thread)
CURVE_POINTS = 400  # along the one input of a one-input dataset
SLICE_SLIDER_STEPS = 100
# Points drawn at most per split (train, test): a seeded sample beyond this. Restyling 5,000 points on a slider
# move takes a few ms; all of a million rows took pyqtgraph two minutes.
MAX_POINTS = 5_000
POINT_SEED = 0
SURFACE_WAIT_SECONDS = 10.0  # wait_for_surface's default: a grid pass takes well under a second
VALUE_BOX_CHARS = 12  # the regression value field's width, in digits, whatever its range
DRAW_TIP = ("Draw on the data: click the plot to add a point of class 1, Shift+click for class 0 (regression: a "
            "point whose target is the value beside), Ctrl+click removes the nearest point. The edited data is a "
            "dataset of its own (Edit > Undo takes a point back). Dragging still pans the view.")


@dataclass(frozen=True)
class ShownPoints:
    """The rows of one split the plot draws: all of them, or a seeded sample of MAX_POINTS."""

    rows: np.ndarray  # indices into the split's X and y, ascending
    X: np.ndarray  # those rows' inputs
    y: np.ndarray  # and targets (n, 1)
    total: int  # rows in the split

    @classmethod
    def of(cls, X: np.ndarray, y: np.ndarray, limit: int = MAX_POINTS) -> ShownPoints:
        rows = sample_rows(len(X), limit)
        return cls(rows, X[rows], y[rows], len(X))

    @property
    def sampled(self) -> bool:
        return len(self.rows) < self.total

    def edited(self, X: np.ndarray, y: np.ndarray, added: bool = False, removed: int | None = None) -> ShownPoints:
        """The same rows of the split (X, y) after an edit: with its last row (``added``), or without row
        ``removed`` (the rows after it move up one). Bounded work: only the drawn rows are read."""
        rows = self.rows
        if added:
            rows = np.append(rows, len(X) - 1)
        if removed is not None:
            rows = rows[rows != removed]
            rows = np.where(rows > removed, rows - 1, rows)
        return ShownPoints(rows, X[rows], y[rows], len(X))


class PointChoices:
    """Which rows the plot draws of each dataset it has drawn, the last few dozen (weakly held): a dataset
    edited by drawing keeps its parent's rows (with the point added, without the one removed), so on a sampled
    dataset a click moves no other point, and Undo, going back to a dataset drawn before, draws its rows again."""

    def __init__(self, capacity: int = 64):
        self._capacity = capacity
        self._held: OrderedDict[int, tuple[weakref.ref, dict[str, ShownPoints]]] = OrderedDict()

    def of(self, dataset: Dataset) -> dict[str, ShownPoints]:
        """The rows to draw of each split of ``dataset`` (a seeded sample of one not edited here)."""
        held = self._held.get(id(dataset))
        if held is not None and held[0]() is dataset:
            self._held.move_to_end(id(dataset))
            return held[1]
        shown = {"train": ShownPoints.of(dataset.X, dataset.y)}
        if dataset.has_test:
            shown["test"] = ShownPoints.of(dataset.X_test, dataset.y_test)
        return self._hold(dataset, shown)

    def edited(self, parent: Dataset, edited: Dataset, added: str | None = None,
               removed: int | None = None) -> None:
        """``edited`` is ``parent`` with a row appended to split ``added`` ("train" or "test"), or without row
        ``removed`` (counted training rows then test rows, as model.drawing.without_nearest counts): draw it with
        its parent's rows."""
        before = self.of(parent)
        where = {"train": (edited.X, edited.y), "test": (edited.X_test, edited.y_test)}
        removed_split, removed_row = None, None
        if removed is not None:
            n_train = len(parent.X)
            removed_split, removed_row = ("train", removed) if removed < n_train else ("test", removed - n_train)
        shown = {}
        for split, (X, y) in where.items():
            if X is None:
                continue
            old = before.get(split, ShownPoints(np.arange(0), X[:0], y[:0], 0))
            shown[split] = old.edited(X, y, added=split == added,
                                      removed=removed_row if split == removed_split else None)
        self._hold(edited, shown)

    def _hold(self, dataset: Dataset, shown: dict[str, ShownPoints]) -> dict[str, ShownPoints]:
        self._held[id(dataset)] = (weakref.ref(dataset), shown)
        self._held.move_to_end(id(dataset))
        while len(self._held) > self._capacity:
            self._held.popitem(last=False)
        return shown


def sample_rows(n: int, limit: int = MAX_POINTS, seed: int = POINT_SEED) -> np.ndarray:
    """Which of n rows to draw, the same every time: all if n <= limit, else ``limit`` of them drawn without
    replacement by np.random.default_rng(seed).choice, in ascending order. The draw costs O(limit) however
    many rows there are (NumPy uses Floyd's algorithm when limit is a small part of n)."""
    if n <= limit:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, limit, replace=False))


class SharedStyleScatter(pg.ScatterPlotItem):
    """A scatter plot whose points share a few pens and brushes, passed as NumPy object arrays.

    pyqtgraph takes per-point pens and brushes at about 6 us a point (it turns the arrays into lists, which
    NumPy then inspects object by object, and asks its symbol atlas once per point): 30 ms for 5,000 points.
    Here the arrays are stored as they are and the atlas is asked once per distinct style: about 2 ms."""

    def set_points(self, x: np.ndarray, y: np.ndarray, pens: np.ndarray, brushes: np.ndarray, size: float,
                   symbol: str) -> None:
        """As setData(x=, y=, pen=, brush=, size=, symbol=). The same number of points in the same size and
        symbol (a slider move reorders and restyles them) are written into the record array in place: making a
        new one costs 0.5 us a point, NumPy filling its object fields one by one."""
        if len(self.data) != len(x) or self.opts["size"] != size or self.opts["symbol"] != symbol:
            self.setData(x=x, y=y, pen=pens, brush=brushes, size=size, symbol=symbol)
            return
        data = self.data
        data["item"] = None  # as addPoints: point items made for the old rows no longer apply
        data["x"], data["y"], data["pen"], data["brush"] = x, y, pens, brushes
        data["sourceRect"] = 0
        # What setData does after filling the rows: new geometry, bounds measured again, pictures looked up.
        self.prepareGeometryChange()
        self.informViewBoundsChanged()
        self.bounds = [None, None]
        self.invalidate()
        self.updateSpots(data)
        self.sigPlotChanged.emit(self)

    def move_points(self, x: np.ndarray, y: np.ndarray) -> bool:
        """New positions for the same points, their styles (and their looked-up pictures) kept: what a view that
        moves its points every frame needs (the hidden space). False, doing nothing, if the count differs."""
        data = self.data
        if len(data) != len(x):
            return False
        data["x"], data["y"] = x, y
        self.prepareGeometryChange()
        self.informViewBoundsChanged()
        self.bounds = [None, None]
        self.invalidate()
        self.sigPlotChanged.emit(self)
        return True

    def setPen(self, *args, **kargs):
        if _one_object_array(args):
            self._set_styles("pen", args[0], **kargs)
        else:
            super().setPen(*args, **kargs)

    def setBrush(self, *args, **kargs):
        if _one_object_array(args):
            self._set_styles("brush", args[0], **kargs)
        else:
            super().setBrush(*args, **kargs)

    def _set_styles(self, field: str, values: np.ndarray, update: bool = True, dataSet=None, mask=None) -> None:
        data = self.data if dataSet is None else dataSet
        if mask is not None:
            values = values[mask]
        if len(values) != len(data):
            raise ValueError(f"{len(values)} {field}s for {len(data)} points")
        data[field] = values
        data["sourceRect"] = 0  # the points' pictures are looked up again
        if update:
            self.updateSpots(data)

    def updateSpots(self, dataSet=None):
        if not (self.opts["pxMode"] and self.opts["useCache"]) or self.opts["hoverable"]:
            super().updateSpots(dataSet)  # the per-point styles this class speeds up are not in play
            return
        data = self.data if dataSet is None else dataSet
        missing = np.flatnonzero(data["sourceRect"]["w"] == 0)
        if missing.size:
            # One atlas lookup per distinct (symbol, size, pen, brush); objects compare by identity, as in the atlas.
            style = np.zeros(missing.size, dtype=np.int64)
            for column in (_ids(data["symbol"][missing]), data["size"][missing], _ids(data["pen"][missing]),
                           _ids(data["brush"][missing])):
                _values, codes = np.unique(column, return_inverse=True)
                style = style * (codes.max() + 1) + codes.ravel()  # at most a few styles: no overflow
            _styles, first, inverse = np.unique(style, return_index=True, return_inverse=True)
            source = data["sourceRect"]
            for k, at in enumerate(first):
                source[missing[inverse.ravel() == k]] = self.fragmentAtlas[[self._style_of(data[missing[at]])]][0]
            self.invalidate()
        self._maybeRebuildAtlas()
        self._updateMaxSpotSizes(data=data)

    def _style_of(self, point) -> tuple:
        """A point's (symbol, size, pen, brush), the item's defaults where the point has none."""
        opts = self.opts
        return (opts["symbol"] if point["symbol"] is None else point["symbol"],
                opts["size"] if point["size"] == -1 else point["size"],
                opts["pen"] if point["pen"] is None else point["pen"],
                opts["brush"] if point["brush"] is None else point["brush"])


def _one_object_array(args: tuple) -> bool:
    return len(args) == 1 and isinstance(args[0], np.ndarray) and args[0].dtype == object


def _ids(column: np.ndarray) -> np.ndarray:
    return np.fromiter(map(id, column), dtype=np.int64, count=len(column))


def _object_array(items) -> np.ndarray:
    """An object array of these objects (np.array would look inside a QBrush for a sequence)."""
    items = list(items)
    array = np.empty(len(items), dtype=object)
    array[:] = items
    return array


class BoundaryPlot(QWidget):
    """The network's output over the x1-x2 plane as a heatmap with fixed levels and a colour bar, the data
    on top coloured by target. Inputs beyond the second are held at slider values (AND-OR's x3); a
    one-input dataset shows the output along x1 as a curve instead.

    show_network() only submits the weights: the grid pass runs in the view's own thread, and the surface
    is drawn when it is done (``surface_shown``); wait_for_surface() waits for the latest one (tests,
    exports). A big network's final surface is drawn first as a preview from every other grid point
    (surface.compute_preview, showing_preview()). Call shutdown() (or delete the widget) to stop the thread.

    With drawing on (set_drawing), a left click in the plot area emits ``point_added(x1, x2, target)``: class 1,
    Shift+click class 0, for regression the value field's number; Ctrl+click emits ``point_removed(x1, x2)``."""

    slice_changed = Signal()
    surface_shown = Signal()
    point_added = Signal(float, float, float)  # x1, x2, target: where a click asked for a new point
    point_removed = Signal(float, float)  # x1, x2: where a Ctrl+click asked for the nearest point to go

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
        # The decision line, traced off the GUI thread, as polylines in the image's pixel coordinates.
        self.contour = pg.PlotCurveItem(pen=pg.mkPen("#202020", width=2, style=Qt.PenStyle.DashLine))
        self.contour.setParentItem(self.image)
        self.output_curve = self.plot.plot(pen=pg.mkPen("#202020", width=2), name="network output")
        # The legend sits in a row of its own under the plot, so it never covers a data point.
        self.legend = pg.LegendItem(labelTextSize="9pt", colCount=4, horSpacing=20)
        self.view.addItem(self.legend, row=1, col=0)
        self._make_point_styles()
        self.train_points = SharedStyleScatter(name="train", symbol="o")
        self.test_points = SharedStyleScatter(name="test", symbol="s")
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
        self._make_drawing_controls()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.slice_box)
        self.sliders: list[tuple[QSlider, QLabel, float, float]] = []
        self._dataset: Dataset | None = None
        self._key = None
        self._spec: NetworkSpec | None = None
        self._n_hidden = 0
        self._shown: dict[str, ShownPoints] = {}
        self.point_choices = PointChoices()  # the window tells it of drawn edits
        self._ranges: list[tuple[float, float]] = []  # each input's range over the drawn rows
        self._grid: SurfaceGrid | None = None
        self._classification = True
        self._surface: Surface | None = None  # the latest drawn
        self._generation = 0  # of the layout; a surface computed for an older one is dropped
        self._requested_seq = self._shown_seq = 0
        self._image_seq = 0  # the request whose image is drawn: its whole surface (_shown_seq) or its preview
        self._computer = SurfaceComputer()
        self._computer.computed.connect(self._surface_computed, Qt.ConnectionType.QueuedConnection)
        self.destroyed.connect(self._computer.close)
        self._default_drag_time = self.view.scene().minDragTime
        self.view.scene().sigMouseClicked.connect(self._scene_clicked)
        self._update_slice_box()

    def _make_point_styles(self) -> None:
        """The few shared brushes and pens every point is drawn with (pyqtgraph keeps a reference per point,
        not a copy), as object arrays indexed by (class or colour bin, solid): solid on the current slice,
        faded off it."""
        alpha = (60, 255)  # faded, solid
        self._class_brushes = np.array([_object_array(pg.mkBrush(_with_alpha(color, a)) for a in alpha)
                                        for color in CLASS_COLORS])
        bins = self.point_colormap.map(np.linspace(0.0, 1.0, REGRESSION_BINS), mode="qcolor")
        self._bin_brushes = np.array([_object_array(pg.mkBrush(_with_alpha(c, a)) for a in alpha) for c in bins])
        # Indexed by (solid, many): many points take a thinner edge.
        self._edges = np.array([_object_array(pg.mkPen(_with_alpha(POINT_EDGE, a), width=width)
                                              for width in (1.2, 0.7)) for a in (70, 255)])
        # Legend samples (never added to the plot): class colours as circles, then train and test shapes.
        neutral = pg.mkBrush("#b0b0b0")
        edge = self._edges[1, 0]
        self._legend_samples = {
            "class 0": pg.ScatterPlotItem(symbol="o", size=10, pen=edge, brush=self._class_brushes[0, 1]),
            "class 1": pg.ScatterPlotItem(symbol="o", size=10, pen=edge, brush=self._class_brushes[1, 1]),
            "train (circle)": pg.ScatterPlotItem(symbol="o", size=10, pen=edge, brush=neutral),
            "test (square)": pg.ScatterPlotItem(symbol="s", size=10, pen=edge, brush=neutral),
        }

    # --- structure: once per network --------------------------------------------------------------------
    def set_network(self, dataset: Dataset, spec: NetworkSpec, n_hidden: int) -> None:
        """Lay out the grid, levels, points and sliders for this dataset and network shape. Bounded work
        however many rows the dataset has: only the drawn sample is read. While drawing, a dataset of the same
        plane (inputs, names, task) and network shape whose points fit the grid and levels only has its points
        drawn again: the view, the surface shown and the colour levels stay (a click does not reset them)."""
        key = (id(dataset), spec, n_hidden)
        if key == self._key:
            return
        previous = self._dataset
        same_plane = previous is not None and _plane(previous) == _plane(dataset)
        same_network = (spec, n_hidden) == (self._spec, self._n_hidden)
        self._key, self._dataset, self._spec, self._n_hidden = key, dataset, spec, n_hidden
        self._classification = dataset.task == "classification"
        if dataset is not previous:
            self._choose_points(dataset)
            self._build_sliders(dataset)
        if not same_plane:
            self._reset_value_box()
        if same_plane and same_network and self.drawing() and self._fits_layout():
            self._lay_out_points(dataset)  # drawn or removed points: the grid, surface and view stay
            return
        self._bounds = [_finite_padded(*r, fraction=0.25) for r in self._ranges]
        if dataset.n_inputs == 1:
            self._grid = SurfaceGrid.along_line(self._bounds[0], CURVE_POINTS)
        else:
            self._grid = SurfaceGrid.over_plane(self._bounds[0], self._bounds[1], GRID_POINTS, dataset.n_inputs)
        self._generation += 1
        self._shown_seq = self._image_seq = self._requested_seq  # nothing of this layout is waiting
        self._surface = None
        self._layout_items(dataset, spec)

    def _choose_points(self, dataset: Dataset) -> None:
        """Pick the rows to draw, and take the inputs' ranges from them."""
        self._shown = dict(self.point_choices.of(dataset))
        X = np.concatenate([shown.X for shown in self._shown.values()])
        self._ranges = [(float(X[:, c].min()), float(X[:, c].max())) for c in range(dataset.n_inputs)]

    def _fits_layout(self) -> bool:
        """Whether the drawn points lie on the grid and (regression) their targets within the colour levels: then
        a dataset of the same plane needs only its points drawn again."""
        if self._grid is None:
            return False
        on_grid = all(b_low <= low and high <= b_high
                      for (low, high), (b_low, b_high) in zip(self._ranges, self._bounds, strict=True))
        if self._classification:
            return on_grid
        low, high = self._target_range()
        return on_grid and self.levels[0] <= low and high <= self.levels[1]

    def _layout_items(self, dataset: Dataset, spec: NetworkSpec) -> None:
        d = dataset.n_inputs
        names = dataset.feature_names
        self.levels = self._levels()
        self.colorbar.setLevels(self.levels)
        self.contour.setData([], [])
        self.contour.setVisible(d > 1 and self._classification)
        self.image.setVisible(d > 1)
        self.colorbar.setVisible(d > 1)
        self.output_curve.setData([], [])
        self.output_curve.setVisible(d == 1)
        if d == 1:
            style_plot(self.plot, "Network output along the input", names[0], "output / target")
        else:
            title = "Decision boundary" if self._classification else "Prediction surface"
            style_plot(self.plot, title, names[0], names[1])
            self._place_image()
        self._lay_out_points(dataset)
        if d == 1:
            self.plot.enableAutoRange()
        else:
            self.plot.disableAutoRange()
            self.plot.setRange(xRange=self._bounds[0], yRange=self._bounds[1], padding=0)

    def _lay_out_points(self, dataset: Dataset) -> None:
        """The legend and the points of this dataset (its sample chosen already)."""
        self.legend.clear()
        if dataset.n_inputs == 1:
            self.legend.addItem(self.output_curve, "network output")
        if self._classification:
            self.legend.addItem(self._legend_samples["class 0"], "class 0")
            self.legend.addItem(self._legend_samples["class 1"], "class 1")
        self.legend.addItem(self._legend_samples["train (circle)"], self._points_label("train"))
        if dataset.has_test:
            self.legend.addItem(self._legend_samples["test (square)"], self._points_label("test"))
        sampled = any(shown.sampled for shown in self._shown.values())
        self.legend.setColumnCount(2 if sampled else 4)  # "showing 5,000 of 1,000,000 ..." needs the width
        self.test_points.setVisible(dataset.has_test)
        self._place_points()

    def _place_image(self) -> None:
        """A blank image of the grid's shape, its pixel centres on the grid points."""
        side = self._grid.shape[0]
        step_x = (self._bounds[0][1] - self._bounds[0][0]) / (side - 1)
        step_y = (self._bounds[1][1] - self._bounds[1][0]) / (side - 1)
        # setRect scales by the image's shape, so an image of the final shape must be there first.
        blank = np.full((side, side), np.mean(self.levels), dtype=np.float32)
        self.image.setImage(blank, autoLevels=False, levels=self.levels)
        self.image.setRect(QRectF(self._bounds[0][0] - step_x / 2, self._bounds[1][0] - step_y / 2,
                                  step_x * side, step_y * side))

    def _points_label(self, split: str) -> str:
        """The legend's name for a split: "train", "test" ("data" without a test split), or, for a sample,
        "showing 5,000 of 1,000,000 training points"."""
        shown = self._shown[split]
        if shown.sampled:
            noun = "training" if split == "train" else "test"
            return f"showing {len(shown.rows):,} of {shown.total:,} {noun} points"
        return split if self._dataset.has_test or split == "test" else "data"

    def _levels(self) -> tuple[float, float]:
        """Fixed colour levels: 0..1 for classification; the drawn targets' range, padded, for regression."""
        if self._classification:
            return 0.0, 1.0
        return _finite_padded(*self._target_range(), fraction=0.1)

    def _target_range(self) -> tuple[float, float]:
        """The lowest and highest target of the drawn points."""
        y = np.concatenate([shown.y[:, 0] for shown in self._shown.values()])
        return float(y.min()), float(y.max())

    def _build_sliders(self, dataset: Dataset) -> None:
        for slider, label, _, _ in self.sliders:
            slider.deleteLater()
            label.deleteLater()
        self.sliders = []
        drawn = self._shown["train"].X
        for column in range(2, dataset.n_inputs):
            low, high = self._clamped_range(column)
            label = QLabel()
            slider = QSlider(Qt.Orientation.Horizontal)
            slider.setRange(0, SLICE_SLIDER_STEPS)
            # Start at the column's median over the drawn training rows (AND-OR's are all x3 = 1), a typical slice.
            median = min(max(float(np.median(drawn[:, column])), low), high)
            slider.setValue(round((median - low) / (high - low) * SLICE_SLIDER_STEPS) if high > low else 0)
            name = dataset.feature_names[column]
            slider.setToolTip(f"The plane shows the network with {name} held at this value; points near this "
                              f"{name} are drawn solid, the others faded.")
            slider.valueChanged.connect(self._slider_moved)
            end = self.slice_layout.count() - 1  # before the closing stretch
            self.slice_layout.insertWidget(end, label)
            self.slice_layout.insertWidget(end + 1, slider, 1)
            self.sliders.append((slider, label, low, high))
        self._update_slice_box()
        self._update_slider_labels()

    def _clamped_range(self, column: int) -> tuple[float, float]:
        low, high = self._ranges[column]
        return max(low, -COORD_LIMIT), min(high, COORD_LIMIT)

    def _update_slice_box(self) -> None:
        planar = self._dataset is not None and self._dataset.n_inputs > 1
        self.discretize_box.setVisible(planar and self._classification)
        self._update_drawing()
        self.slice_box.setVisible(planar)

    def discretized(self) -> bool:
        """Whether the plane shows class regions (classification) rather than the continuous output."""
        return self.discretize_box.isChecked()

    def set_discretized(self, on: bool) -> None:
        self.discretize_box.setChecked(on)

    @Slot(bool)
    def _discretize_toggled(self, _on: bool) -> None:
        if self._surface is not None and self._surface.image is not None:
            self._draw_image()

    # --- drawing points -------------------------------------------------------------------------------
    def _make_drawing_controls(self) -> None:
        """The "Draw points" box and the value field of the points a click adds to a regression."""
        self.draw_box = QCheckBox("Draw points")
        self.draw_box.setToolTip(DRAW_TIP)
        self.draw_box.toggled.connect(self._drawing_toggled)
        self.value_label = QLabel("value")
        self.value_box = QDoubleSpinBox()
        self.value_box.setMaximumWidth(self.value_box.fontMetrics().horizontalAdvance("0" * VALUE_BOX_CHARS))
        for widget in (self.value_label, self.value_box):
            widget.setToolTip("The target of the points a click adds.")
        for widget in (self.draw_box, self.value_label, self.value_box):
            self.slice_layout.addWidget(widget)
        # Packed to the left: the stretch takes the room a slider (added before it, with a stretch) does not.
        self.slice_layout.addStretch(0)

    def drawing(self) -> bool:
        """Whether clicks on the plot draw points: "Draw points" is on and the dataset has 2 inputs."""
        return self.draw_box.isChecked() and self.draw_box.isEnabled()

    def set_drawing(self, on: bool) -> None:
        """Turn "Draw points" on or off (it draws only while the dataset has 2 inputs)."""
        self.draw_box.setChecked(on)

    @Slot(bool)
    def _drawing_toggled(self, _on: bool) -> None:
        self._update_drawing()

    def _update_drawing(self) -> None:
        """Offer drawing for a 2-input dataset only (a disabled box says why), the value field for regression.
        While drawing, a press held still is a click however long it lasts: only a move pans the view."""
        n_inputs = 0 if self._dataset is None else self._dataset.n_inputs
        available = n_inputs == DRAWN_INPUTS
        self.draw_box.setVisible(n_inputs > 1)  # one input: the plot is a curve, not the inputs' plane
        self.draw_box.setEnabled(available)
        self.draw_box.setToolTip(DRAW_TIP if available else f"Points can be drawn only on a dataset of "
                                 f"{DRAWN_INPUTS} inputs (the plot's plane); this one has {n_inputs}.")
        drawing = self.drawing()
        for widget in (self.value_label, self.value_box):
            widget.setVisible(drawing and not self._classification)
        self.view.scene().minDragTime = math.inf if drawing else self._default_drag_time
        if drawing:
            self.view.viewport().setCursor(Qt.CursorShape.CrossCursor)
        else:
            self.view.viewport().unsetCursor()

    def _reset_value_box(self) -> None:
        """The value field's range, precision and value for this dataset's targets: the middle of their range."""
        low, high = self._target_range()
        span = high - low if high - low > 0 else 1.0
        digits = math.floor(math.log10(span))
        self.value_box.setDecimals(min(max(3 - digits, 0), 10))  # about a thousandth of the range
        self.value_box.setSingleStep(10.0 ** (digits - 1))
        self.value_box.setRange(max(low - 10 * span, -MAX_MAGNITUDE), min(high + 10 * span, MAX_MAGNITUDE))
        self.value_box.setValue(low / 2 + high / 2)

    @Slot(object)
    def _scene_clicked(self, event) -> None:
        """A left click in the plot area while drawing: point_removed with Ctrl, else point_added."""
        if not self.drawing() or event.button() != Qt.MouseButton.LeftButton:
            return
        box = self.plot.vb
        if not box.sceneBoundingRect().contains(event.scenePos()):
            return  # on an axis, the title or the colour bar
        where = box.mapSceneToView(event.scenePos())
        modifiers = event.modifiers()
        if modifiers & Qt.KeyboardModifier.ControlModifier:
            self.point_removed.emit(where.x(), where.y())
        elif not self._classification:
            self.point_added.emit(where.x(), where.y(), self.value_box.value())
        else:
            shift = bool(modifiers & Qt.KeyboardModifier.ShiftModifier)
            self.point_added.emit(where.x(), where.y(), 0.0 if shift else 1.0)
        event.accept()

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
        self._place_points()
        self.slice_changed.emit()  # the window shows the network again, on the new slice

    def _place_points(self) -> None:
        self._set_points(self.train_points, self._shown["train"], "o")
        if "test" in self._shown:
            self._set_points(self.test_points, self._shown["test"], "s")

    def _set_points(self, item: SharedStyleScatter, shown: ShownPoints, symbol: str) -> None:
        """Points in their class's colour (regression: the target on the colour scale, in bins) with a dark
        edge; off the current slice: faded. Every point shares one of a few brushes and pens."""
        X, y = shown.X, shown.y
        n, d = X.shape
        solid = self._on_slice(X)
        order = np.argsort(solid, kind="stable")  # solid points drawn last, on top
        solid = solid[order].astype(np.intp)
        if self._classification:
            brushes = self._class_brushes[(y[order, 0] >= 0.5).astype(np.intp), solid]
        else:
            lo, hi = self.levels
            scaled = np.clip((_clamped(y[order, 0]) - lo) / (hi - lo), 0.0, 1.0)
            bins = np.rint(np.nan_to_num(scaled, nan=0.5) * (REGRESSION_BINS - 1)).astype(np.intp)
            brushes = self._bin_brushes[bins, solid]
        # A few points: large; many (up to thousands): small, so the surface stays visible between them.
        many = n > 100
        size = 5 if many else 14
        pens = self._edges[solid, int(many)]
        ys = X[order, 1] if d > 1 else y[order, 0]
        item.set_points(_clamped(X[order, 0]), _clamped(ys), pens, brushes, size, symbol)
        # Of train and test, the one with more points on the slice is drawn on top (AND-OR's rows coincide
        # in x1-x2: the faded ones must not cover the solid ones).
        item.setZValue(float(solid.mean()) if n else 0.0)

    def _on_slice(self, X: np.ndarray) -> np.ndarray:
        """Which rows lie near the current slice: within a quarter of each extra input's range of its value."""
        on_slice = np.ones(len(X), dtype=bool)
        for column, value in enumerate(self.slice_values(), start=2):
            low, high = self._clamped_range(column)
            on_slice &= np.abs(_clamped(X[:, column]) - value) <= 0.25 * max(high - low, 1e-12)
        return on_slice

    def legend_labels(self) -> list[str]:
        """The legend's entries, in order."""
        return [label.text for _sample, label in self.legend.items]

    def shown_rows(self, split: str = "train") -> np.ndarray:
        """Indices of the rows of a split ("train" or "test") drawn as points (all of them, or a seeded sample:
        see sample_rows)."""
        return self._shown[split].rows.copy()

    # --- every frame ------------------------------------------------------------------------------------
    def show_network(self, theta: np.ndarray, final: bool = True) -> None:
        """Draw the output of the network with parameters ``theta`` over the grid: submitted to the view's
        thread, drawn when done (the newest weights only, if several come meanwhile). ``final`` (paused or
        stepped) also traces the decision line at once; while training it is traced every LINE_INTERVAL."""
        if self._grid is None:
            return
        self._requested_seq += 1
        self._computer.submit(SurfaceRequest(
            self._requested_seq, self._generation, np.array(theta, dtype=np.float64), self._spec, self._n_hidden,
            self._grid, tuple(self.slice_values()), self.levels,
            trace_line=self._classification and self._dataset.n_inputs > 1, final=final))

    @Slot(object)
    def _surface_computed(self, surface: Surface) -> None:
        request = surface.request
        if request.generation != self._generation or request.seq <= self._shown_seq or request.seq < self._image_seq:
            return  # of an older layout, or older than the one drawn
        self._image_seq = request.seq
        if not surface.preview:
            self._shown_seq = request.seq
        if surface.error is not None:
            raise surface.error
        self._surface = surface
        if surface.image is None:
            values = surface.values
            self.output_curve.setData(request.grid.plane[:, 0], np.where(np.isfinite(values), values, np.nan))
        else:
            self._draw_image()
            if surface.line is not None:
                self.contour.setData(*surface.line, connect="finite")
        if not surface.preview:
            self.surface_shown.emit()

    def _draw_image(self) -> None:
        """Feed the heatmap from the latest surface: its image, or the class regions."""
        surface = self._surface
        image = class_regions(surface.values) if self._classification and self.discretized() else surface.image
        self.image.setImage(image, autoLevels=False, levels=self.levels)

    def thumbnail(self) -> QImage:
        """The plot area as it is drawn now (no axes or legend): a pinned run's picture of its boundary."""
        box = self.plot.getViewBox()
        rect = self.view.mapFromScene(box.mapRectToScene(box.boundingRect())).boundingRect()
        return self.view.grab(rect).toImage()

    def surface_pending(self) -> bool:
        """Whether the latest show_network's surface is still being computed (the image shows an older one, or
        its preview)."""
        return self._shown_seq < self._requested_seq

    def image_pending(self) -> bool:
        """Whether the image is older than the latest show_network (not even its preview is drawn yet)."""
        return self._image_seq < self._requested_seq

    def showing_preview(self) -> bool:
        """Whether the image is a preview (surface.compute_preview) of the latest surface, which follows."""
        return self._image_seq > self._shown_seq

    def wait_for_surface(self, timeout: float = SURFACE_WAIT_SECONDS) -> bool:
        """Wait (processing events) until the latest show_network's surface is drawn; whether it was in time.
        For tests and exports: the window itself never waits."""
        return wait_until_shown(self._computer, self.surface_pending, lambda: self._requested_seq, timeout)

    def shutdown(self) -> None:
        """Stop the surface thread (deleting the widget does too). Safe to call more than once."""
        self._computer.close()

    def grid_inputs(self) -> np.ndarray:
        """The inputs the heatmap (or curve) is evaluated at on the current slice, in image order."""
        return self._grid.inputs(self.slice_values())

    def image_values(self) -> np.ndarray:
        """The heatmap's pixels as drawn (row-major: [x2 index, x1 index]), in the levels' units."""
        return np.array(self.image.image, copy=True)

    def values(self) -> np.ndarray | None:
        """The predictions last drawn: (rows, columns) for the plane, (points,) along one input."""
        return None if self._surface is None else self._surface.values


def _plane(dataset: Dataset) -> tuple:
    """What the plot's layout depends on besides the rows: datasets alike in this differ only in their points."""
    return dataset.n_inputs, dataset.feature_names, dataset.task


def _with_alpha(color, alpha: int) -> QColor:
    color = QColor(color)
    color.setAlpha(alpha)
    return color


def _clamped(values: np.ndarray) -> np.ndarray:
    """Values within +-COORD_LIMIT (data beyond it is drawn at the edge of the plot's finite range)."""
    return np.clip(values, -COORD_LIMIT, COORD_LIMIT)


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
