"""The network diagram: input nodes, hidden nodes and the output node, an edge per weight (coloured by its sign,
as thick as its magnitude) and each node's bias; every hidden node and the output node is its neuron map, that
unit's activation over the input plane (the boundary plot's plane and slice). Hovering over an edge or a node
reads its value, kept up to date while training; clicking a map shows it large. While the window is paused
(set_editable), clicking an edge or a bias label opens an editor for that parameter; a valid number is handed to
the window (``parameter_edited``), which passes it to training and shows the weights again (show_params): the
diagram never changes theta itself.

A hidden layer of more than DIAGRAM_MAX_UNITS units is shown as its weight matrices instead (W1, b1 and w2 as one
heatmap, a column per unit; hover for values, click a cell to edit it while paused), with a diagram of a few units:
at first the SUBSET_UNITS with the largest |w2|, then whichever the user clicks in the matrix (a column, or while
paused the strip above it).

The GUI thread's work per frame is bounded by the drawn diagram (at most DIAGRAM_MAX_UNITS units, MAX_INPUTS
inputs): edge pens come from a few shared ones and change only when an edge's width step or sign does; the maps
and the matrix image are computed in a thread of their own (gui/views/neuron_maps.py).
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QLineF, QObject, QPoint, QPointF, QRectF, QSize, Qt, Signal, Slot
from PySide6.QtGui import QColor, QFont, QFontMetrics
from PySide6.QtWidgets import (
    QGraphicsLineItem,
    QGraphicsRectItem,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from gui.views.boundary import BoundaryPlot
from gui.views.common import CLASS_COLORS, PlotView, diverging_colormap, hidden_in_window, set_title, style_plot
from gui.views.neuron_maps import (
    LARGE_SIDE,
    MAP_SIDE,
    OUTPUT_UNIT,
    MapPlane,
    MapRequest,
    NeuronMapComputer,
    NeuronMaps,
    output_levels,
)
from gui.views.surface import wait_until_shown
from model.datasets import Dataset
from model.network import Layout, NetworkSpec

DIAGRAM_MAX_UNITS = 32  # hidden units drawn as a diagram; a larger layer is shown as weight matrices
SUBSET_UNITS = 8  # units in the diagram of a larger layer at first: those with the largest |w2|
MAX_SUBSET_UNITS = 12  # the most the user can add to it
NODE_SIZE = 0.62  # a map's side, as a share of the spacing between hidden units (the rest holds the bias label)
DENSE_NODE_SIZE = 0.86  # when the bias labels do not fit between the maps (they are hidden then)
# Denser still (more than STAGGER_FROM units): the hidden units alternate between two columns STAGGER apart (in
# node spacings either side of the column), so each map can be nearly two spacings high: twice as large.
STAGGER_FROM = 8
STAGGERED_NODE_SIZE = 1.7
STAGGER = 1.0
INPUT_SIZE = 0.34  # an input node's side
MAX_SPREAD = 2.5  # a column of fewer nodes than the tallest spreads out, up to this spacing
OUTPUT_SHARE = 0.1  # the output's map is at least this share of the diagram's height
MIN_COLUMN_GAP = 2.4  # between the columns of nodes, in node spacings
COLUMN_GAP_PER_ROW = 0.75  # a tall diagram is wider too, keeping roughly the pane's shape
WIDTH_STEPS = 12  # distinct edge widths: an edge's pen changes only when its step (or sign) does
MAX_EDGE_WIDTH = 6.0  # pixels, of the edge with the largest |w|
MIN_EDGE_WIDTH = 0.6
EDGE_ALPHA = 220
ZERO_COLOR = "#a0a0a0"  # a weight of exactly 0 (or not a number)
BORDER_COLOR = "#505050"
HOVER_COLOR = "#101010"
INPUT_FILL = "#e4e4e4"
MAP_STRENGTH = 0.8  # the maps' colours: the boundary's scale, a little paler than the points
EDGE_PICK_PX = 5.0  # an edge within this many pixels of the cursor is under it
LABEL_POINT_SIZE = 8
MARGIN_PX = 6
# The columns' headers, longest first: the first whose neighbours keep HEADER_GAP_PX apart is drawn (a small
# diagram of many rows is narrow: its columns are close together).
HEADER_FORMS = (("inputs", "hidden: {activation}", "output: {output}"), ("inputs", "hidden", "output"),
                ("in", "hidden", "out"))
HEADER_GAP_PX = 8
VALUE_DIGITS = 4  # significant digits of a hovered value
LABEL_DIGITS = 3  # of a bias label
MAPS_WAIT_SECONDS = 10.0
# Seconds between restyling the edges and bias labels while training (a final frame is restyled at once): a
# restyled edge repaints the part of the view it crosses, a few ms with 100 antialiased edges.
RESTYLE_INTERVAL = 0.1
NEGATIVE, ZERO, POSITIVE = 0, 1, 2  # an edge's colour
LABEL_FILL = (255, 255, 255, 210)  # behind a bias label: edges pass under it
MARK_Y = -0.45  # the matrix's marks of the drawn units, in a strip above its first row (in rows)
ROW_LABEL_POINT_SIZE = 9  # the matrix's row labels (as style_plot's ticks)
# The matrix is at least tall enough to give this many rows (2 inputs, b1 and w2) a line of their labels' font
# each. More rows share that height, and when a row is less than a line high only every few rows are labelled:
# a taller minimum would leave the diagram below no room in a 1280x720 window.
LABELLED_ROWS = 4
MATRIX_MARGIN_PX = 2  # around the matrix's plot (pyqtgraph's 9 would take height from its rows)
EDITABLE_HINT = "Hover: a value. Click an edge or a bias: edit it; a map: enlarge it."
# Why a click does not edit (set_editable's reason): the hover line's hint, and the word after a hovered value.
NOT_EDITABLE = {
    "training": ("Hover: a value. Click a map: enlarge it. Pause to edit a weight.", "pause to edit"),
    "past": ("Hover: a value. Click a map: enlarge it. Back to live (history bar) to edit.", "live only"),
    "diverged": ("Hover: a value. Click a map: enlarge it. Diverged: Resume earlier to edit.", "diverged"),
}
EDITOR_SAMPLE = "-0.12345678901234567"  # the editor is wide enough for a float's repr
EDITOR_STYLE = 'QLineEdit[invalid="true"] { background: #fde2e2; border: 1px solid #c62828; }'


def label_value(value: float) -> str:
    """A bias as its node's label shows it: "b = -0.123"."""
    return f"b = {value:.{LABEL_DIGITS}g}"


def value_text(value: float) -> str:
    return f"{value:.{VALUE_DIGITS}g}"


@dataclass(frozen=True)
class DiagramGeometry:
    """Where the nodes and edges go, in units of the spacing between neighbouring nodes (y up, the first node
    of each column on top): inputs at x = 0, hidden units at x = gap, the output at x = 2 gap."""

    input_centres: np.ndarray  # (inputs, 2)
    hidden_centres: np.ndarray  # (drawn units, 2)
    output_centre: np.ndarray  # (2,)
    edge_index: np.ndarray  # (edges,) each edge's weight's position in theta: W1 (input by unit), then w2
    edge_from: np.ndarray  # (edges, 2)
    edge_to: np.ndarray  # (edges, 2)
    gap: float
    rows: int
    node_size: float  # a hidden unit's map's side
    output_size: float  # the output's map's side: at least OUTPUT_SHARE of the diagram's height

    @classmethod
    def of(cls, n_inputs: int, n_hidden: int, units: tuple[int, ...], node_fraction: float = NODE_SIZE,
           min_gap: float = 0.0, stagger: float = 0.0) -> DiagramGeometry:
        """``node_fraction``: a map's side, as a share of the spacing between hidden units; ``min_gap``: the
        columns at least this far apart (room for their headers); ``stagger``: the hidden units alternately this
        far left and right of their column (in node spacings), the first on the left."""
        rows = max(n_inputs, len(units), 1)
        gap = max(MIN_COLUMN_GAP, COLUMN_GAP_PER_ROW * rows, min_gap)
        inputs = np.column_stack([np.zeros(n_inputs), _column_heights(n_inputs, rows)])
        offsets = stagger * _spacing(len(units), rows) * np.where(np.arange(len(units)) % 2, 1.0, -1.0)
        hidden = np.column_stack([gap + offsets, _column_heights(len(units), rows)])
        output = np.array([2 * gap, 0.0])
        node_size = node_fraction * _spacing(len(units), rows)
        output_size = max(node_size, OUTPUT_SHARE * rows)
        unit_array = np.asarray(units, dtype=np.int64)
        w1 = (np.arange(n_inputs)[:, None] * n_hidden + unit_array[None, :]).ravel()
        w2 = Layout(n_inputs, n_hidden).w2_at + unit_array
        input_side, node_side = np.array([INPUT_SIZE / 2, 0.0]), np.array([node_size / 2, 0.0])
        starts = np.vstack([np.repeat(inputs + input_side, len(units), axis=0), hidden + node_side])
        output_side = np.array([output_size / 2, 0.0])
        ends = np.vstack([np.tile(hidden - node_side, (n_inputs, 1)), np.tile(output - output_side, (len(units), 1))])
        return cls(inputs, hidden, output, np.concatenate([w1, w2]), starts, ends, gap, rows, node_size, output_size)

    def label_room(self) -> float:
        """The height between two neighbouring hidden units' maps, where a bias label goes (a single unit's
        label goes in the margin below: room enough)."""
        if len(self.hidden_centres) < 2:
            return math.inf
        return self.hidden_centres[0, 1] - self.hidden_centres[1, 1] - self.node_size

    def content(self) -> QRectF:
        """The nodes' bounding box (left, bottom, width, height)."""
        half = max(np.abs(self.hidden_centres[:, 1]).max(initial=0.0) + self.node_size / 2,
                   np.abs(self.input_centres[:, 1]).max(initial=0.0) + INPUT_SIZE / 2, self.output_size / 2)
        left = -INPUT_SIZE / 2
        return QRectF(left, -half, 2 * self.gap + self.output_size / 2 - left, 2 * half)

    def edge_middle(self, k: int) -> QPointF:
        return QPointF(*((self.edge_from[k] + self.edge_to[k]) / 2))


def _spacing(count: int, rows: int) -> float:
    """The spacing of a column of ``count`` nodes in a diagram ``rows`` high: 1, or wider to spread a short
    column over the height, up to MAX_SPREAD."""
    return min(MAX_SPREAD, rows / count) if count else 1.0


def _column_heights(count: int, rows: int) -> np.ndarray:
    """The y of each of ``count`` nodes, the first on top, centred on 0."""
    return ((count - 1) / 2 - np.arange(count)) * _spacing(count, rows)


def _scale(geometry: DiagramGeometry, width: float, height: float, margins: tuple[float, float, float, float]
           ) -> float:
    """Pixels per unit that fit the geometry's content into width x height less the margins (pixels)."""
    left, right, top, bottom = margins
    content = geometry.content()
    return max(1e-6, min((width - left - right) / content.width(), (height - top - bottom) / content.height()))


def node_rect(centre, size: float) -> QRectF:
    return QRectF(float(centre[0]) - size / 2, float(centre[1]) - size / 2, size, size)


class EdgeStyles:
    """The shared pens of every edge, one per (sign, width step), and which one a weight takes: its sign's colour
    and a width proportional to |w| / the largest |w| drawn, in WIDTH_STEPS steps (0 or NaN: thin and grey)."""

    def __init__(self):
        colors = {NEGATIVE: CLASS_COLORS[0], ZERO: ZERO_COLOR, POSITIVE: CLASS_COLORS[1]}
        self.pens = []
        for sign in (NEGATIVE, ZERO, POSITIVE):
            color = QColor(colors[sign])
            color.setAlpha(EDGE_ALPHA)
            for step in range(WIDTH_STEPS + 1):
                pen = pg.mkPen(color, width=float(self.width_of(step)))
                pen.setCapStyle(Qt.PenCapStyle.FlatCap)
                self.pens.append(pen)
        self.hover_pens = [pg.mkPen(HOVER_COLOR, width=float(self.width_of(step)) + 2)
                           for step in range(WIDTH_STEPS + 1)]
        self.border_pens = (pg.mkPen(BORDER_COLOR), pg.mkPen(HOVER_COLOR, width=2.5))  # by hovered

    @staticmethod
    def width_of(step):
        """The width in pixels of a width step (or an array of them)."""
        return np.maximum(MIN_EDGE_WIDTH, MAX_EDGE_WIDTH * np.asarray(step) / WIDTH_STEPS)

    @staticmethod
    def keys(weights: np.ndarray) -> np.ndarray:
        """Each weight's pen: sign * (WIDTH_STEPS + 1) + width step."""
        magnitude = np.abs(weights)
        finite = np.isfinite(magnitude)
        top = magnitude[finite].max() if finite.any() else 0.0
        with np.errstate(invalid="ignore", divide="ignore"):
            steps = np.ceil(magnitude / top * WIDTH_STEPS) if top > 0 else np.zeros_like(magnitude)
        steps = np.where(np.isposinf(magnitude), WIDTH_STEPS, np.nan_to_num(steps, nan=0.0))
        sign = np.where(np.isnan(weights) | (steps == 0), ZERO, np.where(weights > 0, POSITIVE, NEGATIVE))
        return (sign * (WIDTH_STEPS + 1) + np.clip(steps, 0, WIDTH_STEPS)).astype(np.int64)


def _text_item(text: str, anchor: tuple[float, float], fill=None) -> pg.TextItem:
    item = pg.TextItem(text, color="#202020", anchor=anchor, fill=fill)
    font = QFont()
    font.setPointSize(LABEL_POINT_SIZE)
    item.setFont(font)
    return item


def _map_image(lut: np.ndarray) -> pg.ImageItem:
    image = pg.ImageItem(axisOrder="row-major")
    image.setLookupTable(lut)
    return image


@dataclass
class NodeItems:
    """One hidden or output node's items: its map, the map's border and its bias label."""

    image: pg.ImageItem
    border: QGraphicsRectItem
    label: pg.TextItem
    rect: QRectF


class MatrixView(PlotView):
    """A large hidden layer's parameters as one heatmap, a column per hidden unit: a row per input (W1), then b1
    and w2; a mark over the units the diagram below shows, in a strip above the cells. A click on a cell or in
    the strip says where (``cell_clicked``: row, unit; row MARK_ROW for the strip). Its rows' labels never
    overlap: rows less than a line of ``row_font`` high are labelled every few rows."""

    MARK_ROW = -1
    cell_clicked = Signal(int, int)

    def __init__(self, colormap: pg.ColorMap):
        super().__init__()
        self.ci.setContentsMargins(*[MATRIX_MARGIN_PX] * 4)
        self.plot = self.addPlot()
        style_plot(self.plot, "", "", "")
        self.row_font = QFont()
        self.row_font.setPointSize(ROW_LABEL_POINT_SIZE)
        self.plot.getAxis("left").setTickFont(self.row_font)
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(False, False)
        self.plot.hideButtons()
        self.plot.invertY(True)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.colorbar = pg.ColorBarItem(values=(-1, 1), colorMap=colormap, interactive=False, width=12,
                                        colorMapMenu=False)
        self.colorbar.setImageItem(self.image, insert_in=self.plot)
        self.marks = pg.ScatterPlotItem(symbol="t", size=8, pen=pg.mkPen(BORDER_COLOR), brush=pg.mkBrush("#303030"))
        self.plot.addItem(self.marks)
        self.row_names: list[str] = []
        self.n_hidden = 0
        self._labelled: list[tuple[int, str]] = []  # the rows labelled at the size drawn, and their labels
        self.plot.vb.sigResized.connect(self._label_rows)
        self.scene().sigMouseClicked.connect(self._clicked)

    def set_shape(self, row_names: list[str], n_hidden: int) -> None:
        """A blank heatmap of len(row_names) rows by n_hidden columns; unit u (1-based) is centred at x = u."""
        self.row_names, self.n_hidden = row_names, n_hidden
        set_title(self.plot, f"W1, b1, w2: a column per hidden unit ({n_hidden})")  # short: the pane is narrow
        rows = len(row_names)
        self.image.setImage(np.zeros((rows, n_hidden), dtype=np.float32), autoLevels=False, levels=(-1, 1))
        self.image.setRect(QRectF(0.5, 0, n_hidden, rows))
        self.plot.setRange(xRange=(0.5, n_hidden + 0.5), yRange=(2 * MARK_Y, rows), padding=0)
        self.setMinimumHeight(self._minimum_height())
        self._labelled = []
        self._label_rows()

    def _minimum_height(self) -> int:
        """Pixels enough to give each of the first LABELLED_ROWS rows a line of the labels' font."""
        rows = min(len(self.row_names), LABELLED_ROWS)
        return math.ceil(self._frame_height() + self._line_height() * _height_in_rows(rows))

    def _line_height(self) -> int:
        return QFontMetrics(self.row_font).height()

    def _frame_height(self) -> float:
        """The view's height in pixels besides the rows: its margins, the title's row and the units' axis."""
        _, top, _, bottom = self.ci.layout.getContentsMargins()
        _, plot_top, _, plot_bottom = self.plot.layout.getContentsMargins()
        title, axis = self.plot.titleLabel.maximumHeight(), self.plot.getAxis("bottom").minimumHeight()
        return top + bottom + plot_top + plot_bottom + title + axis + 2 * self.frameWidth()

    @Slot()
    def _label_rows(self) -> None:
        """Label every row, or (rows less than a line high) every few rows from the first."""
        row_height = self.row_height()
        step = math.ceil(self._line_height() / row_height) if row_height > 0 else len(self.row_names)
        labelled = [(row, self.row_names[row]) for row in range(0, len(self.row_names), max(step, 1))]
        if labelled != self._labelled:
            self._labelled = labelled
            self.plot.getAxis("left").setTicks([[(row + 0.5, name) for row, name in labelled]])

    def row_height(self) -> float:
        """The height of a row of cells as drawn, in pixels."""
        return self.plot.vb.height() / _height_in_rows(len(self.row_names))

    def row_labels(self) -> list[tuple[int, str]]:
        """The labelled rows (0-based) and their labels, as drawn."""
        return list(self._labelled)

    def show_matrix(self, image: np.ndarray, levels: tuple[float, float]) -> None:
        """Draw the heatmap (its colour bar only when the levels change: a repaint of its own)."""
        if tuple(self.colorbar.levels()) != tuple(levels):
            self.colorbar.setLevels(levels)
        shown = self.image.image
        if shown is not None and shown.shape == image.shape and np.array_equal(shown, image):
            return
        self.image.setImage(image, autoLevels=False, levels=levels)

    def mark_units(self, units: tuple[int, ...]) -> None:
        self.marks.setData(x=np.asarray(units, dtype=float) + 1, y=np.full(len(units), MARK_Y))

    def cell_at(self, scene_pos: QPointF) -> tuple[int, int] | None:
        """(row, unit) of the heatmap under a scene position (0-based), or None."""
        if not self.plot.vb.sceneBoundingRect().contains(scene_pos) or not self.n_hidden:
            return None
        point = self.plot.vb.mapSceneToView(scene_pos)
        unit, row = round(point.x()) - 1, int(np.floor(point.y()))
        if 0 <= unit < self.n_hidden and 0 <= row < len(self.row_names):
            return row, unit
        return None

    def mark_at(self, scene_pos: QPointF) -> int | None:
        """The unit (0-based) of the strip of marks above the cells under a scene position, or None."""
        if not self.plot.vb.sceneBoundingRect().contains(scene_pos) or not self.n_hidden:
            return None
        point = self.plot.vb.mapSceneToView(scene_pos)
        unit = round(point.x()) - 1
        return unit if 0 <= unit < self.n_hidden and point.y() < 0 else None

    def point_of(self, row: int, unit: int) -> QPoint:
        """Where cell (row, unit) is drawn (row MARK_ROW: the strip above), in the view's viewport coordinates."""
        y = MARK_Y if row == self.MARK_ROW else row + 0.5
        return self.mapFromScene(self.plot.vb.mapViewToScene(QPointF(unit + 1, y)))

    @Slot(object)
    def _clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        cell = self.cell_at(event.scenePos())
        unit = self.mark_at(event.scenePos()) if cell is None else None
        if cell is not None:
            self.cell_clicked.emit(*cell)
        elif unit is not None:
            self.cell_clicked.emit(self.MARK_ROW, unit)


def _height_in_rows(rows: int) -> float:
    """The matrix's plot's height, in rows, for ``rows`` rows of cells: theirs and the strip of marks above."""
    return rows - 2 * MARK_Y


class LargeMapView(QWidget):
    """One neuron map, large: over the plane with axes and a colour bar, and a button back to the diagram."""

    back_clicked = Signal()

    def __init__(self, colormap: pg.ColorMap):
        super().__init__()
        self.back_button = QPushButton("◀ Network")
        self.back_button.setToolTip("Back to the network diagram (Esc)")
        self.back_button.setShortcut(Qt.Key.Key_Escape)
        self.back_button.clicked.connect(self.back_clicked.emit)
        self.title = QLabel()
        header = QHBoxLayout()
        header.setContentsMargins(4, 4, 4, 0)
        header.addWidget(self.back_button)
        header.addWidget(self.title, 1)
        self.view = PlotView()
        self.plot = self.view.addPlot()
        self.plot.setMenuEnabled(False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.colorbar = pg.ColorBarItem(values=(0, 1), colorMap=colormap, interactive=False, width=14,
                                        colorMapMenu=False)
        self.colorbar.setImageItem(self.image, insert_in=self.plot)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(header)
        layout.addWidget(self.view, 1)

    def set_map(self, title: str, plane: MapPlane, input_names, levels: tuple[float, float]) -> None:
        """Lay out the map of one unit over ``plane`` (blank until show_map)."""
        self.title.setText(title)
        style_plot(self.plot, "", input_names[0], input_names[1] if plane.y_range is not None else "")
        self.plot.setTitle(None)  # the title is in the row above, beside the button
        self.plot.showAxis("left", plane.y_range is not None)  # one input: a strip along x1
        rows, columns = plane.image_shape(LARGE_SIDE)
        (x0, x1), (y0, y1) = plane.x_range, plane.y_range or (0.0, 1.0)
        step_x, step_y = (x1 - x0) / (columns - 1), (y1 - y0) / max(rows - 1, 1)
        self.image.setImage(np.full((rows, columns), np.mean(levels), dtype=np.float32), autoLevels=False,
                            levels=levels)
        height = step_y * rows if rows > 1 else y1 - y0
        self.image.setRect(QRectF(x0 - step_x / 2, y0 - (step_y / 2 if rows > 1 else 0), step_x * columns, height))
        self.colorbar.setLevels(levels)
        self.plot.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0.02)

    def show_map(self, image: np.ndarray, levels: tuple[float, float]) -> None:
        self.colorbar.setLevels(levels)
        self.image.setImage(image, autoLevels=False, levels=levels)


class NetworkDiagram(QWidget):
    """The network as a diagram of nodes and edges, each hidden node and the output node a live neuron map.

    Once per network: set_network(). Every frame: show_params(theta, final) restyles the edges and bias labels
    and submits the maps to the view's thread (drawn when done: ``maps_shown``). ``boundary``: the boundary plot
    whose plane and slice the maps share (set_network after its set_network); without one, a plane over the
    data. Call shutdown() (or delete the widget) to stop the thread.

    Editing: set_editable(True) while paused. Then a click on an edge, a bias label or a matrix cell opens
    ``editor`` over it, holding the parameter's value at full precision; Enter hands a finite number to
    ``parameter_edited`` (its index in theta, the value), Escape or leaving the field cancels. The diagram
    shows the new value when the window shows the weights again."""

    maps_shown = Signal()
    parameter_edited = Signal(int, float)  # index into theta, the value typed

    def __init__(self, boundary: BoundaryPlot | None = None, parent=None):
        super().__init__(parent)
        self.boundary = boundary
        self.colormap = diverging_colormap(MAP_STRENGTH)
        self._lut = self.colormap.getLookupTable(0.0, 1.0, 256)
        self._styles = EdgeStyles()
        self._font = QFont()
        self._font.setPointSize(LABEL_POINT_SIZE)
        self._build_widgets()
        self._dataset: Dataset | None = None
        self._spec: NetworkSpec | None = None
        self._n_hidden = 0
        self._names: tuple[str, ...] = ()
        self._plane: MapPlane | None = None
        self._output_levels = (0.0, 1.0)
        self._units: tuple[int, ...] = ()
        self._geometry: DiagramGeometry | None = None
        self._edges: list[QGraphicsLineItem] = []
        self._edge_keys = np.zeros(0, dtype=np.int64)
        self._nodes: dict[int, NodeItems] = {}  # by hidden unit, OUTPUT_UNIT for the output
        self._input_boxes: list[QGraphicsRectItem] = []
        self._input_labels: list[pg.TextItem] = []
        self._headers: list[pg.TextItem] = []
        self._layout_items: list = []  # every item of the current layout, removed at the next one
        self._theta: np.ndarray | None = None
        self._maps: NeuronMaps | None = None  # the latest drawn
        self._hover: tuple | None = None  # what the cursor is over: (kind, index, view point)
        self._outlined: int | None = None  # the node drawn with the hover outline
        self._large_unit: int | None = None
        self._editable = False
        self._not_editable = "training"  # why not (NOT_EDITABLE), when not editable
        self._edit: int | None = None  # the parameter whose editor is open
        self._edit_error = ""  # why the text typed was refused
        self._edit_size = QSize()  # the widget's size when the editor was placed
        self._styled_at = -np.inf  # when the edges and labels were last restyled (perf_counter)
        self._stale = False  # weights came while the view was hidden
        self._generation = 0
        self._requested_seq = self._shown_seq = 0
        self._computer = NeuronMapComputer()
        self._computer.computed.connect(self._maps_computed, Qt.ConnectionType.QueuedConnection)
        self.destroyed.connect(self._computer.close)
        if boundary is not None:
            boundary.slice_changed.connect(self._boundary_slice_changed)

    # --- widgets ------------------------------------------------------------------------------------
    def _build_widgets(self) -> None:
        self.editor = QLineEdit(self)  # over the pages (raised when shown), where a parameter is clicked
        self.editor.setStyleSheet(EDITOR_STYLE)
        self.editor.hide()
        self.editor.returnPressed.connect(self._commit_edit)
        self.editor.textEdited.connect(self._edit_text_changed)
        self.editor.installEventFilter(self)
        self.diagram_view = pg.GraphicsView()
        self.diagram_view.setAntialiasing(True)
        self.view_box = pg.ViewBox(enableMouse=False, enableMenu=False)
        self.view_box.disableAutoRange()
        self.diagram_view.setCentralItem(self.view_box)
        self.view_box.sigResized.connect(self._fit_view)
        self.diagram_view.scene().sigMouseMoved.connect(self._mouse_moved)
        self.diagram_view.scene().sigMouseClicked.connect(self._mouse_clicked)
        self.diagram_view.viewport().installEventFilter(self)
        self._hover_edge = QGraphicsLineItem()
        self._hover_edge.setZValue(5)
        self._hover_edge.setVisible(False)
        self.matrix_view = MatrixView(self.colormap)
        self.matrix_view.cell_clicked.connect(self._matrix_clicked)
        self.matrix_view.scene().sigMouseMoved.connect(self._matrix_mouse_moved)
        self.matrix_view.viewport().installEventFilter(self)
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.repick_button = QPushButton("Largest |w2|")
        self.repick_button.setToolTip("Show the hidden units with the largest outgoing weight |w2| now")
        self.repick_button.clicked.connect(self.pick_strongest_units)
        subset_row = QHBoxLayout()
        subset_row.setContentsMargins(4, 0, 4, 0)
        subset_row.addWidget(self.caption, 1)
        subset_row.addWidget(self.repick_button)
        self.subset_box = QWidget()
        self.subset_box.setLayout(subset_row)
        self.hover_label = QLabel(NOT_EDITABLE["training"][0])
        self.hover_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.hover_label.setContentsMargins(6, 2, 6, 2)
        network_page = QWidget()
        page_layout = QVBoxLayout(network_page)
        page_layout.setContentsMargins(0, 0, 0, 0)
        page_layout.setSpacing(2)
        page_layout.addWidget(self.matrix_view, 2)
        page_layout.addWidget(self.subset_box)
        page_layout.addWidget(self.diagram_view, 3)
        page_layout.addWidget(self.hover_label)
        self.large_view = LargeMapView(self.colormap)
        self.large_view.back_clicked.connect(self.close_large)
        self.pages = QStackedWidget()
        self.pages.addWidget(network_page)
        self.pages.addWidget(self.large_view)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.pages)
        self.matrix_view.hide()
        self.subset_box.hide()

    # --- structure: once per network ------------------------------------------------------------------
    def set_network(self, dataset: Dataset, spec: NetworkSpec, n_hidden: int, names) -> None:
        """Lay out the diagram of a network of this shape (``names``: every parameter's name in theta's order)."""
        self.cancel_edit()
        self._dataset, self._spec, self._n_hidden, self._names = dataset, spec, n_hidden, tuple(names)
        self._theta, self._maps, self._hover = None, None, None
        self._read_plane()
        large = n_hidden > DIAGRAM_MAX_UNITS
        self.matrix_view.setVisible(large)
        self.subset_box.setVisible(large)
        if large:
            self.matrix_view.set_shape([*dataset.feature_names, "b1", "w2"], n_hidden)
            self._units = ()  # picked from the first weights shown
        else:
            self._units = tuple(range(n_hidden))
        self.close_large()
        self._lay_out_diagram()

    def _read_plane(self) -> None:
        if self.boundary is not None:
            self._plane = MapPlane.of_grid(self.boundary.grid_inputs(), self.boundary.slice_values())
            self._output_levels = tuple(self.boundary.levels)
        else:
            self._plane = MapPlane.around(self._dataset)
            self._output_levels = output_levels(self._dataset)

    def set_plane(self, plane: MapPlane) -> None:
        """Show the maps over this plane (a slice of its own, when there is no boundary plot to follow)."""
        self._plane = plane
        self._update_input_labels()
        self._fit_view()  # the labels' widths set the left margin
        if self._large_unit is not None:
            self.show_large(self._large_unit)  # its title names the slice
        else:
            self._resubmit()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._stale and self._theta is not None:
            self.show_params(self._theta)

    @Slot()
    def _boundary_slice_changed(self) -> None:
        if self._dataset is not None:
            self.set_plane(MapPlane.of_grid(self.boundary.grid_inputs(), self.boundary.slice_values()))

    def _lay_out_diagram(self) -> None:
        """Make the items of the diagram of self._units (once per network, or when the drawn units change)."""
        self.cancel_edit()
        for item in self._layout_items:
            self.view_box.removeItem(item)
        self._layout_items = []
        self._generation += 1
        self._shown_seq = self._requested_seq  # nothing of the old layout is waiting
        self._geometry = DiagramGeometry.of(self._dataset.n_inputs, self._n_hidden, self._units)
        self._make_edges()
        self._make_input_nodes()
        self._nodes = {unit: self._make_node() for unit in (*self._units, OUTPUT_UNIT)}
        self._outlined = None
        self._make_headers()
        self._add(self._hover_edge)
        self._hover_edge.setVisible(False)
        self._update_caption()
        self._place_items()
        self._fit_view()

    def _add(self, item) -> None:
        self.view_box.addItem(item, ignoreBounds=True)
        self._layout_items.append(item)

    def _make_edges(self) -> None:
        self._edges = []
        for _ in self._geometry.edge_index:
            edge = QGraphicsLineItem()
            edge.setPen(self._styles.pens[ZERO * (WIDTH_STEPS + 1)])
            self._add(edge)
            self._edges.append(edge)
        self._edge_keys = np.full(len(self._edges), ZERO * (WIDTH_STEPS + 1), dtype=np.int64)

    def _make_input_nodes(self) -> None:
        self._input_boxes, self._input_labels = [], []
        for _ in range(self._dataset.n_inputs):
            box = QGraphicsRectItem()
            box.setPen(self._styles.border_pens[False])
            box.setBrush(pg.mkBrush(INPUT_FILL))
            box.setZValue(10)
            label = _text_item("", anchor=(1.0, 0.5))
            label.setZValue(20)
            for item in (box, label):
                self._add(item)
            self._input_boxes.append(box)
            self._input_labels.append(label)
        self._update_input_labels()

    def _update_input_labels(self) -> None:
        """Each input's name; an input beyond the plane's two with its slice value."""
        names = self._dataset.feature_names
        slice_values = self._plane.slice_values if self._plane is not None else ()
        for i, label in enumerate(self._input_labels):
            text = names[i] if i < 2 or i - 2 >= len(slice_values) else f"{names[i]} = {slice_values[i - 2]:.3g}"
            label.setText(text)

    def _make_node(self) -> NodeItems:
        image = _map_image(self._lut)
        image.setImage(np.zeros(self._plane.image_shape(MAP_SIDE), dtype=np.float32), autoLevels=False,
                       levels=(-1, 1))
        image.setZValue(10)
        border = QGraphicsRectItem()
        border.setPen(self._styles.border_pens[False])
        border.setZValue(11)
        label = _text_item("", anchor=(0.5, 0.0), fill=LABEL_FILL)
        label.setZValue(20)
        label.setVisible(self._spec.bias)
        for item in (image, border, label):
            self._add(item)
        return NodeItems(image, border, label, QRectF())

    def _make_headers(self) -> None:
        self._headers = [_text_item(text, anchor=(0.5, 1.0)) for text in self._header_texts(HEADER_FORMS[0])]
        for header in self._headers:
            self._add(header)

    def _header_texts(self, form: tuple[str, str, str]) -> list[str]:
        return [text.format(activation=self._spec.activation.name, output=self._spec.output.name) for text in form]

    def _place_items(self) -> None:
        """Put every item where the geometry says (after a layout, or a change of the node size)."""
        geometry = self._geometry
        for edge, start, end in zip(self._edges, geometry.edge_from, geometry.edge_to, strict=True):
            edge.setLine(QLineF(*start, *end))
        for box, label, centre in zip(self._input_boxes, self._input_labels, geometry.input_centres, strict=True):
            box.setRect(node_rect(centre, INPUT_SIZE))
            label.setPos(float(centre[0]) - INPUT_SIZE / 2, float(centre[1]))
        centres = [*geometry.hidden_centres, geometry.output_centre]
        sizes = [geometry.node_size] * len(geometry.hidden_centres) + [geometry.output_size]
        for node, centre, size in zip(self._nodes.values(), centres, sizes, strict=True):
            node.rect = node_rect(centre, size)
            node.image.setRect(node.rect)
            node.border.setRect(node.rect)
            node.label.setPos(node.rect.center().x(), node.rect.top())
        top = geometry.content().bottom()  # the top edge: y up
        for header, x in zip(self._headers, (0.0, geometry.gap, 2 * geometry.gap), strict=True):
            header.setPos(x, top)

    # --- fitting the diagram to the view ------------------------------------------------------------------
    @Slot()
    def _fit_view(self) -> None:
        """Show the nodes as large as fit, with room in pixels for the labels around them. When the hidden
        units' bias labels do not fit between their maps, the labels are hidden and the maps drawn larger."""
        if self._geometry is None:
            return
        width, height = self.view_box.width(), self.view_box.height()
        if width < 10 or height < 10:
            return
        metrics = QFontMetrics(self._font)
        text_height = metrics.height() + 2
        left = max((metrics.horizontalAdvance(label.toPlainText()) for label in self._input_labels), default=0) + 12
        shape = (self._dataset.n_inputs, self._n_hidden, self._units)
        padding = 2 * self._headers[0].textItem.document().documentMargin()  # a text item's box around its text
        for form in HEADER_FORMS:  # the longest headers that fit, the columns spread out for them if need be
            widths = [metrics.horizontalAdvance(text) + padding for text in self._header_texts(form)]
            margins = (left, widths[-1] / 2 + MARGIN_PX, text_height + MARGIN_PX, text_height + MARGIN_PX)
            needed = max((a + b) / 2 + HEADER_GAP_PX for a, b in itertools.pairwise(widths))  # pixels
            roomy = DiagramGeometry.of(*shape)
            scale = _scale(roomy, width, height, margins)  # pixels per unit
            if roomy.gap * scale < needed:
                roomy = DiagramGeometry.of(*shape, min_gap=needed / scale)
                scale = _scale(roomy, width, height, margins)  # smaller, if that made the content too wide
            if roomy.gap * scale >= needed - 1e-6:
                break
        for header, text in zip(self._headers, self._header_texts(form), strict=True):
            header.setText(text)
        fits = bool(roomy.label_room() * scale >= text_height)
        if fits:
            geometry = roomy
        elif len(self._units) > STAGGER_FROM:
            geometry = DiagramGeometry.of(*shape, STAGGERED_NODE_SIZE, min_gap=roomy.gap, stagger=STAGGER)
        else:
            geometry = DiagramGeometry.of(*shape, DENSE_NODE_SIZE, min_gap=roomy.gap)
        if geometry.node_size != self._geometry.node_size or \
                not np.array_equal(geometry.hidden_centres, self._geometry.hidden_centres):  # (they hold the gap)
            self._geometry = geometry
            self._place_items()
        self._set_range(_scale(self._geometry, width, height, margins), margins)
        for unit, node in self._nodes.items():
            node.label.setVisible(self._spec.bias and (fits or unit == OUTPUT_UNIT))
        if self._theta is not None:
            self._label_biases()

    def _set_range(self, scale: float, margins: tuple[float, float, float, float]) -> None:
        """Show the content at ``scale`` pixels per unit, centred in the room the margins leave."""
        left, right, top, bottom = margins
        width, height = self.view_box.width(), self.view_box.height()
        content = self._geometry.content()
        spare_x = width - left - right - scale * content.width()
        spare_y = height - top - bottom - scale * content.height()
        x0 = content.left() - (left + spare_x / 2) / scale
        y1 = content.bottom() + (top + spare_y / 2) / scale
        self.view_box.setRange(xRange=(x0, x0 + width / scale), yRange=(y1 - height / scale, y1), padding=0)

    # --- every frame --------------------------------------------------------------------------------------
    def show_params(self, theta: np.ndarray, final: bool = True) -> None:
        """Show the network with parameters ``theta``: the hover value now; the edges and bias labels now if
        ``final`` (paused or stepped), else every RESTYLE_INTERVAL; the maps when computed (while training at
        most every neuron_maps.MAP_INTERVAL)."""
        if self._geometry is None:
            return
        self._theta = np.array(theta, dtype=np.float64)
        self._theta.flags.writeable = False  # shared with the maps' thread
        if hidden_in_window(self):  # a tab not shown: drawn when it is (showEvent)
            self._stale = True
            return
        self._stale = False
        if self._n_hidden > DIAGRAM_MAX_UNITS and not self._units:
            self._units = strongest_units(self._theta, self._layout())
            self._lay_out_diagram()
        now = time.perf_counter()
        if final or now - self._styled_at >= RESTYLE_INTERVAL:
            self._style_edges()
            self._label_biases()
            self._styled_at = now
        self._submit(final)
        self._refresh_hover()

    def _style_edges(self) -> None:
        keys = self._styles.keys(self._theta[self._geometry.edge_index])
        for k in np.flatnonzero(keys != self._edge_keys):
            self._edges[k].setPen(self._styles.pens[keys[k]])
        self._edge_keys = keys

    def _label_biases(self) -> None:
        if not self._spec.bias:
            return
        layout = self._layout()
        for unit, node in self._nodes.items():
            if not node.label.isVisible():  # no room for it: its text is set when it is shown
                continue
            text = label_value(self._theta[self._bias_index(unit, layout)])
            if node.label.toPlainText() != text:
                node.label.setText(text)

    @staticmethod
    def _bias_index(unit: int, layout: Layout) -> int:
        return layout.b2_at if unit == OUTPUT_UNIT else layout.b1_at + unit

    def _submit(self, final: bool) -> None:
        self._requested_seq += 1
        self._computer.submit(MapRequest(
            self._requested_seq, self._generation, self._theta, self._spec, self._n_hidden, self._plane,
            self._units, self._output_levels, large_unit=self._large_unit,
            matrix=self._n_hidden > DIAGRAM_MAX_UNITS, final=final))

    def _resubmit(self) -> None:
        """The maps again with the weights shown (the plane or the large map changed)."""
        if self._theta is not None:
            self._submit(final=True)

    @Slot(object)
    def _maps_computed(self, maps: NeuronMaps) -> None:
        request = maps.request
        if request.generation != self._generation or request.seq <= self._shown_seq:
            return  # of an older layout, or older than the one drawn
        self._shown_seq = request.seq
        if maps.error is not None:
            raise maps.error
        self._maps = maps
        for k, unit in enumerate(request.units):
            self._nodes[unit].image.setImage(maps.hidden_images[k], autoLevels=False, levels=maps.hidden_levels)
        self._nodes[OUTPUT_UNIT].image.setImage(maps.output_image, autoLevels=False, levels=request.output_levels)
        if maps.matrix_image is not None:
            self.matrix_view.show_matrix(maps.matrix_image, maps.matrix_levels)
        if maps.large is not None and request.large_unit == self._large_unit:
            self.large_view.show_map(maps.large_image, maps.large_levels)
        self._refresh_hover()
        self.maps_shown.emit()

    def maps_pending(self) -> bool:
        """Whether the latest show_params' maps are still being computed."""
        return self._shown_seq < self._requested_seq

    def wait_for_maps(self, timeout: float = MAPS_WAIT_SECONDS) -> bool:
        """Wait (processing events) until the latest show_params' maps are drawn; whether they were in time.
        For tests and exports: the window itself never waits."""
        return wait_until_shown(self._computer, self.maps_pending, lambda: self._requested_seq, timeout)

    def shutdown(self) -> None:
        """Stop the maps' thread (deleting the widget does too). Safe to call more than once."""
        self._computer.close()

    def maps_thread_running(self) -> bool:
        return self._computer.is_running()

    # --- the units of a large layer's diagram ------------------------------------------------------------
    def hidden_units(self) -> tuple[int, ...]:
        """The hidden units (0-based) the diagram draws."""
        return self._units

    def set_units(self, units) -> None:
        """Draw these hidden units (a large layer's subset; a small layer always draws all of them)."""
        units = tuple(sorted(set(int(u) for u in units)))
        if self._n_hidden <= DIAGRAM_MAX_UNITS or not units or units == self._units:
            return
        self._units = units[:MAX_SUBSET_UNITS]
        self._lay_out_diagram()
        if self._theta is not None:
            self.show_params(self._theta)

    @Slot(int)
    def toggle_unit(self, unit: int) -> None:
        """Add a unit to the diagram of a large layer, or take it out (at least one stays, at most
        MAX_SUBSET_UNITS)."""
        if unit in self._units:
            self.set_units(u for u in self._units if u != unit)
        elif len(self._units) < MAX_SUBSET_UNITS:
            self.set_units((*self._units, unit))
        else:
            self.hover_label.setText(f"The diagram shows at most {MAX_SUBSET_UNITS} units: click one of its "
                                     "columns to take it out first.")

    @Slot()
    def pick_strongest_units(self) -> None:
        if self._theta is not None and self._n_hidden > DIAGRAM_MAX_UNITS:
            self.set_units(strongest_units(self._theta, self._layout()))

    def _update_caption(self) -> None:
        if self._n_hidden > DIAGRAM_MAX_UNITS:
            self.matrix_view.mark_units(self._units)
            listed = ", ".join(str(u + 1) for u in self._units)
            how = "click above a column to add or remove one, a cell to edit it" if self._editable else \
                "click a column to add or remove one"
            self.caption.setText(f"Diagram: units {listed} ({how})")

    # --- the map shown large ----------------------------------------------------------------------------
    def show_large(self, unit: int) -> None:
        """Show the map of a hidden unit (0-based, one the diagram draws) or the output (OUTPUT_UNIT) large."""
        self.cancel_edit()
        self._large_unit = unit
        levels = self._output_levels if unit == OUTPUT_UNIT else self._hidden_levels()
        self.large_view.set_map(self._unit_title(unit), self._plane, self._dataset.feature_names, levels)
        self.pages.setCurrentWidget(self.large_view)
        self._resubmit()

    @Slot()
    def close_large(self) -> None:
        self._large_unit = None
        self.pages.setCurrentIndex(0)

    def large_unit(self) -> int | None:
        """The unit whose map is shown large (OUTPUT_UNIT: the output), or None."""
        return self._large_unit

    def large_map(self) -> np.ndarray:
        """The large map's pixels as drawn."""
        return np.array(self.large_view.image.image, copy=True)

    def _hidden_levels(self) -> tuple[float, float]:
        return self._maps.hidden_levels if self._maps is not None else (-1.0, 1.0)

    def _unit_title(self, unit: int) -> str:
        names = self._dataset.feature_names
        plane = ", ".join(names[:2])
        held = ", ".join(f"{n} = {v:.3g}" for n, v in zip(names[2:], self._plane.slice_values, strict=False))
        where = f" over {plane}" + (f" at {held}" if held else "")
        if unit == OUTPUT_UNIT:
            return f"Output: {self._spec.output.name}(z2){where}"
        return f"Hidden unit {unit + 1}: {self._spec.activation.name}(z1_{unit + 1}){where}"

    # --- editing a parameter ------------------------------------------------------------------------------
    def set_editable(self, on: bool, reason: str = "training") -> None:
        """Whether a click on an edge, a bias label or a matrix cell edits that parameter (the window: while
        paused on the live network; called at every frame); when not, ``reason`` (a key of NOT_EDITABLE) says
        why in the hints. Turning it off closes an open editor."""
        if bool(on) == self._editable and reason == self._not_editable:
            return
        self._editable, self._not_editable = bool(on), reason
        if not on:
            self.cancel_edit()
        self._update_caption()
        self._refresh_hover()

    def is_editable(self) -> bool:
        return self._editable

    def editing(self) -> int | None:
        """The index in theta of the parameter whose editor is open, or None."""
        return self._edit

    def edit_error(self) -> str:
        """Why the text in the editor was refused ("" if it was not)."""
        return self._edit_error

    def edit_parameter(self, index: int, at: QPoint | None = None) -> bool:
        """Open the editor of theta[index] centred on ``at`` (this widget's coordinates; default: its centre),
        holding the value shown at full precision: what a click does when editable. False, and nothing opened,
        if not editable or that parameter cannot be edited (a bias of a network without biases: said on the
        hover line)."""
        if not self._editable or self._theta is None or not 0 <= index < len(self._theta):
            return False
        if not self._can_edit(index):
            self.hover_label.setText(self._no_bias_text(index))
            return False
        self._edit, self._edit_error, self._edit_size = index, "", self.size()
        self._mark_invalid(False)
        self.editor.setText(repr(float(self._theta[index])))
        self.editor.setToolTip(self._edit_prompt(index))
        self._place_editor(self.rect().center() if at is None else at)
        self.editor.show()
        self.editor.raise_()
        self.editor.setFocus(Qt.FocusReason.MouseFocusReason)
        self.editor.selectAll()
        self._refresh_hover()
        return True

    @Slot()
    def cancel_edit(self) -> None:
        """Close the editor without a change (Escape, the field losing focus, training resuming)."""
        if self._edit is None:
            return
        self._edit, self._edit_error = None, ""
        self.editor.hide()  # its focus-out comes back here, with nothing left to do
        self._refresh_hover()

    @Slot()
    def _commit_edit(self) -> None:
        index = self._edit
        if index is None:
            return
        text = self.editor.text().strip()
        try:
            value = float(text.replace("\u2212", "-"))  # a typographic minus sign too
        except ValueError:
            value = None
        if value is None or not math.isfinite(value):
            problem = "is not a number" if value is None else "is not finite"
            self._edit_error = f"{self._param_label(index)}: {text!r} {problem}; type a finite number"
            self._mark_invalid(True)
            self.editor.setToolTip(self._edit_error)
            self._refresh_hover()
            return
        self.cancel_edit()
        self.parameter_edited.emit(index, value)

    @Slot()
    def _edit_text_changed(self) -> None:
        if self._edit_error:
            self._edit_error = ""
            self._mark_invalid(False)
            self.editor.setToolTip(self._edit_prompt(self._edit))
            self._refresh_hover()

    def _mark_invalid(self, invalid: bool) -> None:
        """Red (EDITOR_STYLE) while the text typed is refused."""
        self.editor.setProperty("invalid", invalid)
        self.editor.style().unpolish(self.editor)
        self.editor.style().polish(self.editor)

    def _place_editor(self, at: QPoint) -> None:
        """Size the editor for a float's repr and centre it on ``at``, inside this widget."""
        height = self.editor.sizeHint().height()
        width = self.editor.fontMetrics().horizontalAdvance(EDITOR_SAMPLE) + 2 * height // 3
        x = min(max(at.x() - width // 2, 0), max(self.width() - width, 0))
        y = min(max(at.y() - height // 2, 0), max(self.height() - height, 0))
        self.editor.setGeometry(x, y, width, height)

    def _can_edit(self, index: int) -> bool:
        """A bias of a network without biases stays 0; every other parameter can be edited."""
        return self._spec.bias or not self._is_bias(index)

    def _is_bias(self, index: int) -> bool:
        layout = self._layout()
        return layout.b1_at <= index < layout.w2_at or index == layout.b2_at

    def _edit_prompt(self, index: int) -> str:
        return f"{self._param_label(index)}: Enter sets it, Esc cancels"

    def _no_bias_text(self, index: int) -> str:
        return f"{self._param_label(index)}: this network has no biases (they stay 0); nothing to edit"

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._edit is not None and self.size() != self._edit_size:  # (grab() repeats a resize, of no change)
            self.cancel_edit()  # it would no longer be over its parameter

    # --- hovering and clicking ----------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if watched is self.editor:
            escape = kind in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress) and event.key() == Qt.Key.Key_Escape
            if escape:  # the editor's, not a window shortcut's (as the large map's back button)
                event.accept()
                if kind == QEvent.Type.KeyPress:
                    self.cancel_edit()
                return True
            passing = (Qt.FocusReason.PopupFocusReason, Qt.FocusReason.ActiveWindowFocusReason)  # its context menu,
            if kind == QEvent.Type.FocusOut and event.reason() not in passing:  # or another window for a moment
                self.cancel_edit()
            return False
        if kind == QEvent.Type.Leave:
            self._set_hover(None)
        return super().eventFilter(watched, event)

    @Slot(object)
    def _mouse_moved(self, scene_pos: QPointF) -> None:
        self._set_hover(self._target_at(scene_pos))

    @Slot(object)
    def _matrix_mouse_moved(self, scene_pos: QPointF) -> None:
        cell = self.matrix_view.cell_at(scene_pos)
        mark = self.matrix_view.mark_at(scene_pos) if cell is None else None
        self._set_hover(("cell", *cell) if cell is not None else None if mark is None else ("mark", mark))

    @Slot(object)
    def _mouse_clicked(self, event) -> None:
        target = self._target_at(event.scenePos())
        kind = None if target is None else target[0]
        if event.button() == Qt.MouseButton.RightButton:
            # A node's bias, also where its label has no room (a diagram of more than a few units).
            if kind == "node" and self._editable and self._spec.bias:
                unit = target[1]
                self.edit_parameter(self._bias_index(unit, self._layout()), self._to_self(self.diagram_view,
                                                                                          self.bias_point(unit)))
            return
        if event.button() != Qt.MouseButton.LeftButton:
            return
        if kind == "node":
            self.show_large(target[1])
        elif kind in ("edge", "bias") and self._editable:
            point = self.diagram_view.mapFromScene(event.scenePos()) if kind == "edge" else self.bias_point(target[1])
            self.edit_parameter(self._target_index(target), self._to_self(self.diagram_view, point))

    @Slot(int, int)
    def _matrix_clicked(self, row: int, unit: int) -> None:
        """Paused, a cell edits its parameter; otherwise (and in the strip above) the column's unit is added to
        the diagram or taken out."""
        if self._editable and row != MatrixView.MARK_ROW:
            view = self.matrix_view
            self.edit_parameter(self._cell_index(row, unit), self._to_self(view, view.point_of(row, unit)))
        else:
            self.toggle_unit(unit)

    def _to_self(self, view: QGraphicsView, point: QPoint) -> QPoint:
        return view.viewport().mapTo(self, point)

    def _target_at(self, scene_pos: QPointF) -> tuple | None:
        """What is under a scene position: ("node", unit, view point), ("input", i), ("bias", unit) (its label),
        ("edge", k) or None."""
        if self._geometry is None or not self.view_box.sceneBoundingRect().contains(scene_pos):
            return None
        point = self.view_box.mapSceneToView(scene_pos)
        for unit, node in self._nodes.items():
            if node.rect.contains(point):
                return ("node", unit, point)
        for i, box in enumerate(self._input_boxes):
            if box.rect().contains(point):
                return ("input", i)
        for unit, node in self._nodes.items():
            if node.label.isVisible() and node.label.sceneBoundingRect().contains(scene_pos):
                return ("bias", unit)
        edge = self._nearest_edge(point)
        return None if edge is None else ("edge", edge)

    def _target_index(self, target: tuple) -> int | None:
        """The index in theta of the parameter an edge, bias label or matrix cell shows (else None)."""
        kind = target[0]
        if kind == "edge":
            return int(self._geometry.edge_index[target[1]])
        if kind == "bias":
            return self._bias_index(target[1], self._layout())
        if kind == "cell":
            return self._cell_index(*target[1:])
        return None

    def _cell_index(self, row: int, unit: int) -> int:
        """The index in theta of the matrix's cell (row, unit): W1's rows, then b1, then w2."""
        layout = self._layout()
        if row < layout.n_inputs:
            return row * self._n_hidden + unit
        return (layout.b1_at if row == layout.n_inputs else layout.w2_at) + unit

    def _nearest_edge(self, point: QPointF) -> int | None:
        """The edge nearest the point, if within EDGE_PICK_PX pixels (and half its own width)."""
        geometry = self._geometry
        if not len(geometry.edge_index):
            return None
        pixel = self.view_box.viewPixelSize()[0]  # x and y scale alike
        p = np.array([point.x(), point.y()])
        a, b = geometry.edge_from, geometry.edge_to
        along = b - a
        t = np.clip(((p - a) * along).sum(axis=1) / (along * along).sum(axis=1), 0.0, 1.0)
        distance = np.hypot(*(a + t[:, None] * along - p).T) / pixel
        slack = distance - self._styles.width_of(self._edge_keys % (WIDTH_STEPS + 1)) / 2
        nearest = int(np.argmin(slack))
        return nearest if slack[nearest] <= EDGE_PICK_PX else None

    def _set_hover(self, target: tuple | None) -> None:
        self._hover = target
        self._refresh_hover()

    def _refresh_hover(self) -> None:
        """The hover line (and the highlight) for what is under the cursor, with the values shown now; while
        a parameter is edited, what to do (or why the text was refused) instead."""
        target = self._hover
        if self._edit is not None:  # the edited weight's edge stays outlined
            edges = np.flatnonzero(self._geometry.edge_index == self._edit)
            self._highlight(("edge", int(edges[0])) if len(edges) else None)
            self.hover_label.setText(self._edit_error or f"Editing {self._edit_prompt(self._edit)}")
            return
        self._highlight(target)
        if target is None or self._theta is None:
            self._set_hover_text(EDITABLE_HINT if self._editable else NOT_EDITABLE[self._not_editable][0])
            return
        kind = target[0]
        index = self._target_index(target)
        if index is not None:
            hint = "click to edit" if self._editable else NOT_EDITABLE[self._not_editable][1]
            if not self._can_edit(index):
                hint = "no biases in this network"
            text = f"{self._param_text(index)}  · {hint}"
        elif kind == "input":
            text = self._input_text(target[1])
        elif kind == "mark":
            unit = target[1]
            text = f"hidden {unit + 1}: click to {'take it out of' if unit in self._units else 'add it to'} the " \
                   "diagram"
        else:
            text = self._node_text(target[1], target[2])
        self._set_hover_text(text)

    def _set_hover_text(self, text: str) -> None:
        if self.hover_label.text() != text:  # (every frame: a label set anew repaints and may relayout)
            self.hover_label.setText(text)

    def _highlight(self, target: tuple | None) -> None:
        """Outline the hovered edge or node."""
        edge = target[1] if target is not None and target[0] == "edge" else None
        if edge is not None:
            self._hover_edge.setLine(self._edges[edge].line())
            self._hover_edge.setPen(self._styles.hover_pens[self._edge_keys[edge] % (WIDTH_STEPS + 1)])
        self._hover_edge.setVisible(edge is not None)
        node = target[1] if target is not None and target[0] == "node" else None
        if node != self._outlined:
            for unit in (self._outlined, node):
                if unit in self._nodes:
                    self._nodes[unit].border.setPen(self._styles.border_pens[unit == node])
            self._outlined = node

    def _param_text(self, index: int) -> str:
        """A parameter's hover line: "w1_23 = 0.1235  (x2 → hidden 3)"."""
        return f"{self._names[index]} = {value_text(self._theta[index])}  ({self._param_place(index)})"

    def _param_label(self, index: int) -> str:
        """A parameter's name and place: "w1_23 (x2 → hidden 3)"."""
        return f"{self._names[index]} ({self._param_place(index)})"

    def _param_place(self, index: int) -> str:
        layout = self._layout()
        if index < layout.b1_at:
            i, j = divmod(index, self._n_hidden)
            return f"{self._dataset.feature_names[i]} → hidden {j + 1}"
        if index < layout.w2_at:
            return f"bias of hidden {index - layout.b1_at + 1}"
        if index < layout.b2_at:
            return f"hidden {index - layout.w2_at + 1} → output"
        return "bias of the output"

    def _input_text(self, i: int) -> str:
        names = self._dataset.feature_names
        if i >= 2:
            return f"{names[i]}: held at {value_text(self._plane.slice_values[i - 2])} on the maps (the boundary " \
                   "plot's slice)"
        return f"{names[i]}: input {i + 1}, the maps' {'horizontal' if i == 0 else 'vertical'} axis"

    def _layout(self) -> Layout:
        return Layout(self._dataset.n_inputs, self._n_hidden)

    def _node_text(self, unit: int, point: QPointF) -> str:
        bias_index = self._bias_index(unit, self._layout())
        bias = f"{self._names[bias_index]} = {value_text(self._theta[bias_index])}" if self._spec.bias else "no bias"
        if self._editable and self._spec.bias:
            bias += " (right-click: edit)"  # its label, if shown, is clickable too; a click here enlarges the map
        name = "output" if unit == OUTPUT_UNIT else f"hidden {unit + 1}"
        symbol = "p" if unit == OUTPUT_UNIT else "a"
        value = self._map_value_at(unit, point)
        if value is None:
            return f"{name}: {bias}; click for its map"
        where, reading = value
        return f"{name}: {symbol} = {value_text(reading)} at {where};  {bias}"

    def _map_value_at(self, unit: int, point: QPointF) -> tuple[str, float] | None:
        """The map's value under a point of the node (as drawn: the latest maps), and where in input space."""
        maps = self._maps
        if maps is None or (unit != OUTPUT_UNIT and unit not in maps.request.units):
            return None
        values = maps.output if unit == OUTPUT_UNIT else maps.hidden[maps.request.units.index(unit)]
        rect = self._nodes[unit].rect
        rows, columns = values.shape
        column = min(max(int((point.x() - rect.left()) / rect.width() * columns), 0), columns - 1)
        row = min(max(int((point.y() - rect.top()) / rect.height() * rows), 0), rows - 1)
        plane, names = maps.request.plane, self._dataset.feature_names
        where = f"{names[0]} = {_grid_value(plane.x_range, column, columns):.3g}"
        if plane.y_range is not None:
            where += f", {names[1]} = {_grid_value(plane.y_range, row, rows):.3g}"
        return where, float(values[row, column])

    # --- reading what is shown (tests, exports) --------------------------------------------------------------
    def hover_text(self) -> str:
        return self.hover_label.text()

    def edge_names(self) -> list[str]:
        """The parameter name of every drawn edge, in drawing order."""
        return [self._names[i] for i in self._geometry.edge_index]

    def edge_pen(self, name: str):
        """The pen the edge of weight ``name`` is drawn with."""
        return self._edges[self.edge_names().index(name)].pen()

    def header_boxes(self) -> list[tuple[str, QRectF]]:
        """The columns' headers as drawn: their texts and boxes in the diagram view's pixels."""
        view = self.diagram_view
        return [(header.toPlainText(), view.mapFromScene(header.sceneBoundingRect()).boundingRect().toRectF())
                for header in self._headers]

    def map_box(self, unit: int) -> QRectF:
        """The map of a hidden unit (0-based) or of the output (OUTPUT_UNIT) as drawn, in the diagram view's
        pixels."""
        return self.diagram_view.mapFromScene(self.view_box.mapViewToScene(self._nodes[unit].rect)).boundingRect() \
            .toRectF()

    def bias_text(self, unit: int) -> str:
        """The bias label of a hidden unit (0-based) or of the output (OUTPUT_UNIT)."""
        return self._nodes[unit].label.toPlainText()

    def bias_label_visible(self, unit: int) -> bool:
        return self._nodes[unit].label.isVisible()

    def map_image(self, unit: int) -> np.ndarray:
        """The pixels of a hidden unit's map (or the output's: OUTPUT_UNIT) as drawn, row-major [x2, x1]."""
        return np.array(self._nodes[unit].image.image, copy=True)

    def map_values(self, unit: int) -> np.ndarray | None:
        """The latest drawn map's values (float64) of a hidden unit or the output."""
        maps = self._maps
        if maps is None:
            return None
        return maps.output if unit == OUTPUT_UNIT else maps.hidden[maps.request.units.index(unit)]

    def map_levels(self, unit: int) -> tuple[float, float]:
        return self._output_levels if unit == OUTPUT_UNIT else self._hidden_levels()

    def map_inputs(self, side: int = MAP_SIDE) -> np.ndarray:
        """The input rows a map (side MAP_SIDE) or the large map (LARGE_SIDE) is evaluated at, in image order."""
        return self._plane.inputs(side)

    def matrix_image(self) -> np.ndarray:
        """The weight-matrix heatmap as drawn: W1's rows, then b1, then w2 (a layer too large for a diagram)."""
        return np.array(self.matrix_view.image.image, copy=True)

    def point_of(self, name: str) -> QPoint:
        """Where a drawn parameter is, in diagram_view.viewport() coordinates: a weight's edge's middle, a bias's
        node's centre."""
        if name in self.edge_names():
            return self.view_point(self._geometry.edge_middle(self.edge_names().index(name)))
        layout = self._layout()
        index = self._names.index(name)
        unit = OUTPUT_UNIT if index == layout.b2_at else index - layout.b1_at
        return self.view_point(self._nodes[unit].rect.center())

    def bias_point(self, unit: int) -> QPoint:
        """Where the bias label of a hidden unit (0-based) or of the output (OUTPUT_UNIT) is, in
        diagram_view.viewport() coordinates (where it would be, if it is hidden)."""
        return self.diagram_view.mapFromScene(self._nodes[unit].label.sceneBoundingRect().center())

    def input_point(self, i: int) -> QPoint:
        """Where input i's node (0-based) is, in diagram_view.viewport() coordinates."""
        return self.view_point(QPointF(*self._geometry.input_centres[i]))

    def view_point(self, point: QPointF) -> QPoint:
        """A point of the diagram's coordinates in diagram_view.viewport() coordinates."""
        return self.diagram_view.mapFromScene(self.view_box.mapViewToScene(point))


def _grid_value(span: tuple[float, float], index: int, count: int) -> float:
    return span[0] + (span[1] - span[0]) * index / max(count - 1, 1)


def strongest_units(theta: np.ndarray, layout: Layout, count: int = SUBSET_UNITS) -> tuple[int, ...]:
    """The ``count`` hidden units with the largest |w2| (ascending; the first ones when every |w2| is equal)."""
    strength = np.abs(theta[layout.W2])
    strength = np.where(np.isfinite(strength), strength, -1.0)
    return tuple(int(u) for u in np.sort(np.argsort(-strength, kind="stable")[:count]))
