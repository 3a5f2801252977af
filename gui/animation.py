"""An animation of a run: the decision boundary and the loss curve at the recorded epochs, frame by frame, written as
numbered PNG files (Qt's own PNG writer) or, when Pillow is installed, as an animated GIF.

A frame is painted with QPainter on a QImage, with no widget involved, so an :class:`AnimationJob` renders in any
thread. The job keeps its own copies of what it reads (the parameter rows of its frames, the losses, the plotted
sample of the data); what every frame shares (axes, tick labels, the data points) is painted once, when it is made.
:class:`AnimationExport` runs a job in a QThread of its own (Qt's worker pattern), reports progress, and stops at
the next frame when cancelled; :func:`run_with_progress_dialog` shows that in a QProgressDialog.

Why a GIF needs Pillow (measured with PySide6 6.11): Qt's GIF plugin only reads (QImageWriter.supportedImageFormats()
has no "gif", and a writer for it says "Unsupported image format"), and no Qt writer makes an animation (its WebP
writer keeps the first frame however many are written; QImageReader then counts 1 image). Pillow is imported only
when a GIF is written: without it the export offers the PNG sequence alone (:func:`available_formats`).
"""

from __future__ import annotations

import importlib.util
import io
import math
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QBuffer, QIODevice, QObject, QPointF, QRect, QRectF, Qt, QThread, Signal, Slot
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPen
from PySide6.QtWidgets import QProgressDialog, QWidget

from gui.views.boundary import COORD_LIMIT, POINT_EDGE, REGRESSION_BINS, ShownPoints
from gui.views.common import (
    CLASS_COLORS,
    SURFACE_STRENGTH,
    TEST_COLOR,
    TRAIN_COLOR,
    diverging_colormap,
    linear_ticks_in_log,
    positive_or_nan,
)
from gui.views.loss import CURSOR_COLOR, loss_rows
from gui.views.surface import DECISION_LEVEL, SurfaceGrid, SurfaceRequest, Workspaces, compute_surface
from model.config import SettingError, TrainConfig
from model.datasets import Dataset
from model.network import Layout, NetworkSpec
from model.weights_io import write_bytes_atomic

MAX_FRAMES = 120  # frames by default: at most this many, spread evenly over the recorded epochs
DEFAULT_SIZE = (640, 360)
MIN_SIZE, MAX_SIZE = (320, 180), (3840, 2160)
GIF_MAX_SIZE = (1280, 720)  # Pillow holds every frame of a GIF in memory until it writes the file
GIF_FPS = 12.0
GIF_LAST_FRAME_MS = 2000  # the last frame stays this long before the GIF loops
FRAME_PATTERN = "frame_{:0{width}d}.png"  # numbered from 1, at least 4 digits
LUT_SIZE = 256  # colours in the heatmap's lookup table, as pyqtgraph's ImageItem draws it in the app
PALETTE_FRAMES = 5  # frames a GIF's one palette is built from (first, last and between)
BORDER_COLOR = "#808080"
TEXT_COLOR = "#303030"
GRID_COLOR = "#e6e6e6"
FADED_ALPHA, SOLID_ALPHA = 60, 255  # points off the current slice, and on it (as the boundary plot draws them)

ProgressCallback = Callable[[int, int], None]  # (frames done, frames in all)
CancelCheck = Callable[[], bool]


def gif_available() -> bool:
    """Whether a GIF can be written: Pillow is installed (Qt has no GIF writer)."""
    return importlib.util.find_spec("PIL") is not None


def available_formats() -> tuple[str, ...]:
    """The formats an export offers, by their WRITERS key: "png" (a numbered sequence) always, "gif" with Pillow."""
    return ("png", "gif") if gif_available() else ("png",)


def frame_rows(epochs: np.ndarray, count: int) -> np.ndarray:
    """Which rows of a history (its epochs ascending) make ``count`` frames spread evenly over the recorded epochs:
    the rows nearest to ``count`` evenly spaced epochs from the first to the last, each row once (so fewer frames
    when there are fewer rows). With two frames or more, the first and last rows are always among them."""
    epochs = np.asarray(epochs, dtype=np.float64)
    if not len(epochs):
        raise SettingError("animation", "no recorded epochs", "train for at least one epoch first")
    if count < 1:
        raise SettingError("frames", count, "must be at least 1")
    if count == 1 or len(epochs) == 1:
        return np.array([len(epochs) - 1])
    wanted = np.linspace(epochs[0], epochs[-1], min(count, len(epochs)))
    after = np.clip(np.searchsorted(epochs, wanted), 1, len(epochs) - 1)
    nearer_before = wanted - epochs[after - 1] <= epochs[after] - wanted
    return np.unique(np.where(nearer_before, after - 1, after))


def nice_ticks(low: float, high: float, count: int = 5) -> np.ndarray:
    """Round values (1, 2 or 5 times a power of ten apart) between ``low`` and ``high``, about ``count`` of them."""
    if not (math.isfinite(low) and math.isfinite(high) and high > low):
        return np.array([low]) if math.isfinite(low) else np.empty(0)
    raw = (high - low) / count
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    ticks = np.arange(math.ceil(low / step - 1e-9), math.floor(high / step + 1e-9) + 1) * step
    return ticks + 0.0  # no "-0"


def log_ticks(low: float, high: float) -> list[float]:
    """log10 of the loss axis's labelled values between 10**low and 10**high: powers of ten (every few when they are
    many), with 2 and 5 times them when there are few, or round values evenly spaced on a narrow range."""
    decades = range(math.floor(low), math.ceil(high) + 1)
    step = max(1, math.ceil(len(decades) / 6))
    ticks = [float(v) for v in decades if low <= v <= high and v % step == 0]
    if len(ticks) < 3:
        ticks = sorted(ticks + [v + math.log10(m) for v in decades for m in (2, 5) if low <= v + math.log10(m) <= high])
    if len(ticks) < 2:
        ticks = linear_ticks_in_log(low, high, 4)
    return ticks


def _tick_text(value: float) -> str:
    return f"{value + 0.0:.4g}"  # + 0.0: no "-0"


@dataclass(frozen=True)
class _Geometry:
    """Where a frame's parts go, in pixels: the input plane (heatmap or curve), its colour bar, the loss plot."""

    plane: QRect
    bar: QRect | None
    loss: QRect
    scale: float  # font sizes and line widths, relative to a 640 x 360 frame

    @classmethod
    def of(cls, width: int, height: int, colour_bar: bool) -> _Geometry:
        s = min(width / DEFAULT_SIZE[0], height / DEFAULT_SIZE[1])
        top, bottom = round(32 * s), round(44 * s)
        plot_height = height - top - bottom
        split = round(0.58 * width)  # the input plane's share of the width
        left = round(52 * s)
        bar_room = round(50 * s) if colour_bar else round(14 * s)
        side = min(plot_height, split - left - bar_room)
        plane = QRect(left, top, side, plot_height)
        bar = QRect(plane.right() + 1 + round(8 * s), top, round(10 * s), plot_height) if colour_bar else None
        loss_left = plane.right() + 1 + bar_room + round(58 * s)
        loss = QRect(loss_left, top, width - round(16 * s) - loss_left, plot_height)
        return cls(plane, bar, loss, s)


class _Mapping:
    """Data coordinates to pixel coordinates of a plot rectangle (y up)."""

    def __init__(self, rect: QRect, x_range: tuple[float, float], y_range: tuple[float, float]):
        self.rect, self.x_range, self.y_range = rect, x_range, y_range

    def x(self, x):
        x0, x1 = self.x_range
        return self.rect.left() + (np.asarray(x, dtype=np.float64) - x0) / (x1 - x0) * self.rect.width()

    def y(self, y):
        y0, y1 = self.y_range
        return self.rect.top() + self.rect.height() - (np.asarray(y, dtype=np.float64) - y0) / (y1 - y0) * \
            self.rect.height()


class AnimationJob:
    """The frames of an animation of a run, each rendered on demand by :meth:`render_frame` as a QImage: on the left
    the network's output over the input plane at a recorded epoch (the boundary plot's heatmap, grid, colour levels
    and colours, with its sample of the data and the decision line; along the one input for a one-input network), on
    the right the loss per epoch on a log scale up to that epoch, with a marker at it.

    Everything it needs is copied when it is made; afterwards it only reads, so frames can be rendered in any thread
    (each thread keeps its own grid buffers).

    dataset, config: the run's data and settings (the network's shape and functions come from them).
    history: the run's history as Snapshot.history / History.view() gives it: "epoch", "train_loss", "test_loss"
        and "params", whose rows must be the whole theta (a history limited to some parameters cannot be drawn).
    grid_inputs, slice_values, levels: the boundary plot's grid (BoundaryPlot.grid_inputs()), slice values
        (slice_values()) and colour levels (levels).
    frames: at most this many frames (default MAX_FRAMES), spread over the recorded epochs: see frame_rows.
    size: (width, height) of a frame in pixels.
    """

    def __init__(self, dataset: Dataset, config: TrainConfig, history: Mapping[str, np.ndarray],
                 grid_inputs: np.ndarray, slice_values: Sequence[float], levels: tuple[float, float],
                 frames: int | None = None, size: tuple[int, int] = DEFAULT_SIZE):
        width, height = (int(v) for v in size)
        if not (MIN_SIZE[0] <= width <= MAX_SIZE[0] and MIN_SIZE[1] <= height <= MAX_SIZE[1]):
            raise SettingError("size", (width, height), f"must be from {MIN_SIZE[0]} x {MIN_SIZE[1]} to "
                                                        f"{MAX_SIZE[0]} x {MAX_SIZE[1]} pixels")
        self.size = (width, height)
        self.spec, self.n_hidden = NetworkSpec.from_config(config), config.hidden
        d = dataset.n_inputs
        params = np.asarray(history["params"])
        if params.ndim != 2 or params.shape[1] != Layout(d, config.hidden).size:
            raise SettingError("history", f"{params.shape[-1]} parameters a row",
                               f"must hold all {Layout(d, config.hidden).size} of the network's parameters "
                               f"(a history limited to the parameters the weights plot shows cannot be drawn)")
        epochs = np.asarray(history["epoch"], dtype=np.int64)
        self._rows = frame_rows(epochs, MAX_FRAMES if frames is None else int(frames))
        self.frame_epochs = _read_only(epochs[self._rows])
        self._thetas = _read_only(params[self._rows])
        self._classification = dataset.task == "classification"
        self.levels = (float(levels[0]), float(levels[1]))
        self.slice_values = tuple(float(v) for v in slice_values)
        self._slice_names = dataset.feature_names[2:]
        inputs = _read_only(np.asarray(grid_inputs, dtype=np.float64))
        self._grid = _grid_of(inputs, d)
        self._grid_inputs = inputs
        self._local = threading.local()  # each rendering thread's grid buffers
        self._geometry = _Geometry.of(width, height, colour_bar=d > 1)
        lut = diverging_colormap(SURFACE_STRENGTH).getLookupTable(0.0, 1.0, LUT_SIZE, alpha=False).astype(np.uint32)
        self._lut = _read_only(0xFF000000 | lut[:, 0] << 16 | lut[:, 1] << 8 | lut[:, 2])  # as QImage's RGB32
        self._fonts = _Fonts(self._geometry.scale)
        self._set_up_plane(dataset)
        self._set_up_loss(history, epochs, dataset.has_test)
        self._background = self._paint_background(dataset)
        self._overlay = self._paint_overlay(dataset)

    # --- what a caller reads ---------------------------------------------------------------------------------
    @property
    def frame_count(self) -> int:
        return len(self._rows)

    def lut_colours(self) -> np.ndarray:
        """The heatmap's LUT_SIZE colours, low level to high, as (LUT_SIZE, 3) bytes."""
        return np.stack([(self._lut >> shift) & 0xFF for shift in (16, 8, 0)], axis=1).astype(np.uint8)

    def frame_theta(self, k: int) -> np.ndarray:
        """The parameters drawn in frame ``k``: the history's row at frame_epochs[k] (read-only)."""
        return self._thetas[self._check_frame(k)]

    def plane_pixel(self, x1: float, x2: float = 0.0) -> tuple[int, int]:
        """The frame's pixel (column, row) holding the point (x1, x2) of the input plane (x2: the output along the
        input, for a one-input network); a point on the plot's right or bottom edge is in the pixel inside it."""
        plane, rect = self._plane_map, self._geometry.plane
        return (min(math.floor(float(plane.x(x1))), rect.right()),
                min(math.floor(float(plane.y(x2))), rect.bottom()))

    # --- a frame -----------------------------------------------------------------------------------------------
    def render_frame(self, k: int) -> QImage:
        """Frame ``k`` (0 to frame_count - 1) as a new RGB32 image of ``size``."""
        k = self._check_frame(k)
        image = self._background.copy()
        painter = QPainter(image)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            with np.errstate(all="ignore"):  # a diverging network's overflow is drawn, not warned about
                surface = self._surface(self._thetas[k])
            if self._grid.plane.shape[1] == 2:
                self._paint_heatmap(painter, surface.image)
                if surface.line is not None:
                    self._paint_line(painter, surface.line)
            else:
                self._paint_output_curve(painter, surface.values)
            painter.drawImage(0, 0, self._overlay)
            self._paint_title(painter, k)
            self._paint_loss(painter, self._rows[k])
        finally:
            painter.end()
        return image

    def _check_frame(self, k: int) -> int:
        if not 0 <= k < self.frame_count:
            raise IndexError(f"frame {k} of {self.frame_count}")
        return int(k)

    def _surface(self, theta: np.ndarray):
        """The network's output over the grid, computed as the boundary plot computes it (surface.compute_surface)."""
        workspaces = getattr(self._local, "workspaces", None)
        if workspaces is None:
            workspaces = self._local.workspaces = Workspaces()
        request = SurfaceRequest(0, 0, theta, self.spec, self.n_hidden, self._grid, self.slice_values, self.levels,
                                 trace_line=self._classification and self._grid.plane.shape[1] == 2, final=True)
        return compute_surface(request, workspaces, self._grid_inputs)

    # --- set-up: once per job ------------------------------------------------------------------------------------
    def _set_up_plane(self, dataset: Dataset) -> None:
        """The plotted points (the boundary plot's sample), the plane's ranges and, for a heatmap, which grid point
        each pixel of the plot shows (the nearest: the app draws each grid point as a cell)."""
        self._shown = {"train": ShownPoints.of(dataset.X, dataset.y)}
        if dataset.has_test:
            self._shown["test"] = ShownPoints.of(dataset.X_test, dataset.y_test)
        rect = self._geometry.plane
        first, last = self._grid_inputs[0], self._grid_inputs[-1]
        x_range = (float(first[0]), float(last[0]))
        if self._grid.plane.shape[1] == 2:
            y_range = (float(first[1]), float(last[1]))
            side_y, side_x = self._grid.shape
            columns = (np.arange(rect.width()) + 0.5) / rect.width() * (side_x - 1)
            rows = (1.0 - (np.arange(rect.height()) + 0.5) / rect.height()) * (side_y - 1)  # top: the largest x2
            self._pixel_cells = (_read_only(np.rint(rows).astype(np.intp)[:, None]),
                                 _read_only(np.rint(columns).astype(np.intp)[None, :]))
        else:
            y = np.concatenate([shown.y[:, 0] for shown in self._shown.values()])
            low, high = _padded(min(self.levels[0], _finite_min(y)), max(self.levels[1], _finite_max(y)), 0.05)
            y_range = (low, high)
        self._plane_map = _Mapping(rect, x_range, y_range)
        X = np.concatenate([shown.X for shown in self._shown.values()])
        self._ranges = [(float(np.clip(X[:, c].min(), -COORD_LIMIT, COORD_LIMIT)),
                         float(np.clip(X[:, c].max(), -COORD_LIMIT, COORD_LIMIT))) for c in range(X.shape[1])]

    def _set_up_loss(self, history: Mapping[str, np.ndarray], epochs: np.ndarray, has_test: bool) -> None:
        """The loss curves in pixels, for every row, and the rows drawn (at most loss.MAX_LOSS_POINTS)."""
        train = positive_or_nan(history["train_loss"])
        test = positive_or_nan(history["test_loss"]) if has_test else np.full(len(train), np.nan)
        self._has_test = bool(np.isfinite(test).any())
        logs = np.log10(np.concatenate([train, test]))
        logs = logs[np.isfinite(logs)]
        y_range = _padded(float(logs.min()), float(logs.max()), 0.06) if logs.size else (-1.0, 0.0)
        # padded, so the marker at the first and last epochs is drawn whole
        x_range = _padded(float(epochs[0]), float(epochs[-1]), 0.025) if epochs[-1] > epochs[0] else \
            (float(epochs[0]) - 1.0, float(epochs[0]) + 1.0)
        self._loss_map = _Mapping(self._geometry.loss, x_range, y_range)
        with np.errstate(divide="ignore", invalid="ignore"):
            self._loss_x = _read_only(self._loss_map.x(epochs))
            self._loss_y = {"train": _read_only(self._loss_map.y(np.log10(train))),
                            "test": _read_only(self._loss_map.y(np.log10(test)))}
        self._losses = {"train": _read_only(train), "test": _read_only(test)}
        drawn = loss_rows(train)
        self._drawn_rows = _read_only(np.arange(len(train))[drawn])
        self._legend_box = self._place_legend()

    def _place_legend(self) -> QRectF:
        """The loss legend's box: in the corner of the plot that the whole run's curves cross least (top right on a
        tie), sized for the longest text it can hold."""
        rect, s = self._geometry.loss, self._geometry.scale
        metrics = QFontMetricsF(self._fonts.tick)
        lines = 2 if self._has_test else 1
        width = metrics.horizontalAdvance("train 8.88e-88") + 26 * s
        height = metrics.height() * lines + 4 * s
        margin = 4 * s
        left, right = rect.left() + margin, rect.left() + rect.width() - width - margin
        top, bottom = rect.top() + margin, rect.top() + rect.height() - height - margin
        corners = [QRectF(x, y, width, height) for y in (top, bottom) for x in (right, left)]
        xs = np.concatenate([self._loss_x, self._loss_x])
        ys = np.concatenate([self._loss_y["train"], self._loss_y["test"]])

        def crossings(box: QRectF) -> int:
            return int(np.count_nonzero((xs >= box.left() - margin) & (xs <= box.right() + margin)
                                        & (ys >= box.top() - margin) & (ys <= box.bottom() + margin)))

        return min(corners, key=crossings)  # the first of the least crossed: top right, top left, ...

    def _paint_background(self, dataset: Dataset) -> QImage:
        """What lies under every frame's pictures: white, the axes' ticks and labels, the loss plot's grid and
        title, the colour bar."""
        width, height = self.size
        image = QImage(width, height, QImage.Format.Format_RGB32)
        image.fill(QColor("white"))
        painter = QPainter(image)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            geometry, fonts = self._geometry, self._fonts
            plane = self._plane_map
            names = dataset.feature_names
            y_label = names[1] if dataset.n_inputs > 1 else "output / target"
            x_ticks = [(float(plane.x(v)), _tick_text(v)) for v in nice_ticks(*plane.x_range, 4)]
            y_ticks = [(float(plane.y(v)), _tick_text(v)) for v in nice_ticks(*plane.y_range, 4)]
            self._paint_axes(painter, plane, x_ticks, y_ticks, names[0], y_label)
            loss = self._loss_map
            painter.setPen(QPen(QColor(GRID_COLOR), 1))
            y_ticks = [(float(loss.y(v)), f"{10.0 ** v:.3g}") for v in log_ticks(*loss.y_range)]
            for y, _ in y_ticks:
                painter.drawLine(QPointF(geometry.loss.left(), y), QPointF(geometry.loss.right() + 1, y))
            x_ticks = [(float(loss.x(v)), f"{int(v):,}") for v in nice_ticks(*loss.x_range, 4) if v == int(v)]
            self._paint_axes(painter, loss, x_ticks, y_ticks, "epoch", "loss (log scale)")
            painter.setFont(fonts.title)
            painter.setPen(QColor(TEXT_COLOR))
            title_box = QRectF(geometry.loss.left(), 0, geometry.loss.width(), geometry.loss.top())
            painter.drawText(title_box, Qt.AlignmentFlag.AlignCenter, "Loss per epoch")
            if geometry.bar is not None:
                self._paint_colour_bar(painter, geometry.bar)
        finally:
            painter.end()
        return image

    def _paint_axes(self, painter: QPainter, mapping: _Mapping, x_ticks, y_ticks, x_label: str, y_label: str) -> None:
        """Tick marks and labels outside a plot's rectangle (those that fall inside its span), and the axis labels."""
        rect, s, fonts = mapping.rect, self._geometry.scale, self._fonts
        tick = 4 * s
        painter.setPen(QPen(QColor(BORDER_COLOR), max(1.0, s)))
        painter.setFont(fonts.tick)
        metrics = QFontMetricsF(fonts.tick)
        bottom, left = rect.top() + rect.height(), rect.left()
        for x, text in x_ticks:
            if rect.left() - 0.5 <= x <= rect.left() + rect.width() + 0.5:
                painter.drawLine(QPointF(x, bottom), QPointF(x, bottom + tick))
                box = QRectF(x - 40 * s, bottom + tick + s, 80 * s, metrics.height())
                painter.drawText(box, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, text)
        for y, text in y_ticks:
            if rect.top() - 0.5 <= y <= bottom + 0.5:
                painter.drawLine(QPointF(left - tick, y), QPointF(left, y))
                box = QRectF(left - tick - 2 * s - 60 * s, y - metrics.height() / 2, 60 * s, metrics.height())
                painter.drawText(box, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, text)
        painter.setFont(fonts.label)
        painter.setPen(QColor(TEXT_COLOR))
        label_height = QFontMetricsF(fonts.label).height()
        painter.drawText(QRectF(rect.left(), bottom + tick + s + metrics.height(), rect.width(), label_height),
                         Qt.AlignmentFlag.AlignCenter, x_label)
        widest = max((metrics.horizontalAdvance(text) for _, text in y_ticks), default=0.0)
        painter.save()
        painter.translate(left - tick - 5 * s - widest, rect.top() + rect.height() / 2)
        painter.rotate(-90)
        painter.drawText(QRectF(-rect.height() / 2, -label_height, rect.height(), label_height),
                         Qt.AlignmentFlag.AlignCenter, y_label)
        painter.restore()

    def _paint_colour_bar(self, painter: QPainter, bar: QRect) -> None:
        """The heatmap's colours from the low level (bottom) to the high one, labelled at both ends and the middle."""
        colours = np.ascontiguousarray(self._lut[::-1, None])
        strip = QImage(colours.data, 1, LUT_SIZE, 4, QImage.Format.Format_RGB32)
        painter.drawImage(QRectF(bar), strip)
        painter.setPen(QPen(QColor(BORDER_COLOR), 1))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(QRectF(bar).adjusted(0.5, 0.5, -0.5, -0.5))
        painter.setFont(self._fonts.tick)
        painter.setPen(QColor(TEXT_COLOR))
        s = self._geometry.scale
        height = QFontMetricsF(self._fonts.tick).height()
        low, high = self.levels
        for fraction, value in ((0.0, low), (0.5, (low + high) / 2), (1.0, high)):
            y = bar.top() + (1.0 - fraction) * bar.height()
            box = QRectF(bar.right() + 1 + 3 * s, y - height / 2, 60 * s, height)
            painter.drawText(box, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, f"{value:.3g}")

    def _paint_overlay(self, dataset: Dataset) -> QImage:
        """What lies over every frame's heatmap: the data points (faded off the current slice) and the plots' frames.
        Transparent elsewhere."""
        image = QImage(*self.size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setClipRect(self._geometry.plane)
            for split, symbol in (("train", "o"), ("test", "s")):
                if split in self._shown:
                    self._paint_points(painter, self._shown[split], symbol, dataset.n_inputs)
            painter.setClipping(False)
            painter.setPen(QPen(QColor(BORDER_COLOR), max(1.0, self._geometry.scale)))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            for rect in (self._geometry.plane, self._geometry.loss):
                painter.drawRect(QRectF(rect).adjusted(0.5, 0.5, -0.5, -0.5))
        finally:
            painter.end()
        return image

    def _paint_points(self, painter: QPainter, shown: ShownPoints, symbol: str, n_inputs: int) -> None:
        """A split's drawn rows as the boundary plot draws them: class colours (regression: the target on the
        full-strength colour scale, in REGRESSION_BINS bins) with a dark edge, small when there are many."""
        X, y = shown.X, shown.y[:, 0]
        solid = self._on_slice(X)
        if self._classification:
            colours = [QColor(CLASS_COLORS[int(v >= DECISION_LEVEL)]) for v in y]
        else:
            lo, hi = self.levels
            scaled = np.clip((np.clip(y, -COORD_LIMIT, COORD_LIMIT) - lo) / (hi - lo), 0.0, 1.0)
            bins = np.rint(np.nan_to_num(scaled, nan=0.5) * (REGRESSION_BINS - 1)) / (REGRESSION_BINS - 1)
            colours = diverging_colormap().map(bins, mode="qcolor")
        many = len(X) > 100
        s = self._geometry.scale
        size = (5.0 if many else 13.0) * s
        plane = self._plane_map
        xs = plane.x(np.clip(X[:, 0], -COORD_LIMIT, COORD_LIMIT))
        ys = plane.y(np.clip(X[:, 1] if n_inputs > 1 else y, -COORD_LIMIT, COORD_LIMIT))
        for i in np.argsort(solid, kind="stable"):  # the solid points last, on top
            alpha = SOLID_ALPHA if solid[i] else FADED_ALPHA
            edge = QColor(POINT_EDGE)
            edge.setAlpha(255 if solid[i] else 70)
            painter.setPen(QPen(edge, (0.7 if many else 1.2) * s))
            fill = QColor(colours[i])
            fill.setAlpha(alpha)
            painter.setBrush(fill)
            box = QRectF(xs[i] - size / 2, ys[i] - size / 2, size, size)
            if symbol == "s":
                painter.drawRect(box)
            else:
                painter.drawEllipse(box)

    def _on_slice(self, X: np.ndarray) -> np.ndarray:
        """Which rows lie near the slice, as the boundary plot decides it: within a quarter of each extra input's
        range (over the drawn rows) of its slice value."""
        on_slice = np.ones(len(X), dtype=bool)
        for column, value in enumerate(self.slice_values, start=2):
            low, high = self._ranges[column]
            on_slice &= np.abs(np.clip(X[:, column], -COORD_LIMIT, COORD_LIMIT) - value) <= 0.25 * max(high - low,
                                                                                                      1e-12)
        return on_slice

    # --- painting a frame's own parts -------------------------------------------------------------------------
    def _paint_heatmap(self, painter: QPainter, image: np.ndarray) -> None:
        """The output's colours, each pixel the nearest grid point's, the levels mapped onto the lookup table as
        pyqtgraph's ImageItem maps them."""
        lo, hi = self.levels
        index = np.clip(np.floor((image - lo) * (LUT_SIZE / (hi - lo))), 0, LUT_SIZE - 1).astype(np.intp)
        rows, columns = self._pixel_cells
        pixels = np.ascontiguousarray(self._lut[index[rows, columns]])
        height, width = pixels.shape
        picture = QImage(pixels.data, width, height, 4 * width, QImage.Format.Format_RGB32)
        painter.drawImage(self._geometry.plane.topLeft(), picture)

    def _paint_line(self, painter: QPainter, line: tuple[np.ndarray, np.ndarray]) -> None:
        """The decision line (surface.level_lines: in the grid's pixel coordinates, a grid point at i + 0.5)."""
        x_pixels, y_pixels = line
        if not len(x_pixels):
            return
        grid, plane = self._grid, self._plane_map
        side_y, side_x = grid.shape
        (x0, x1), (y0, y1) = plane.x_range, plane.y_range
        x = plane.x(x0 + (x_pixels - 0.5) * (x1 - x0) / (side_x - 1))
        y = plane.y(y0 + (y_pixels - 0.5) * (y1 - y0) / (side_y - 1))
        pen = QPen(QColor("#202020"), 1.6 * self._geometry.scale, Qt.PenStyle.DashLine)
        painter.save()
        painter.setClipRect(self._geometry.plane)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(pg.functions.arrayToQPath(x, y, connect="finite"))
        painter.restore()

    def _paint_output_curve(self, painter: QPainter, values: np.ndarray) -> None:
        """A one-input network's output along the input."""
        plane = self._plane_map
        low, high = plane.y_range
        span = high - low
        shown = np.where(np.isfinite(values), np.clip(values, low - span, high + span), np.nan)
        x = plane.x(self._grid.plane[:, 0])
        painter.save()
        painter.setClipRect(self._geometry.plane)
        painter.setPen(QPen(QColor("#202020"), 2 * self._geometry.scale))
        painter.drawPath(pg.functions.arrayToQPath(x, plane.y(shown), connect="finite"))
        painter.restore()

    def _paint_title(self, painter: QPainter, k: int) -> None:
        rect = self._geometry.plane
        painter.setPen(QColor(TEXT_COLOR))
        painter.setFont(self._fonts.title)
        box = QRectF(rect.left(), 0, rect.width(), rect.top())
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, f"epoch {int(self.frame_epochs[k]):,}")
        if self.slice_values:
            painter.setFont(self._fonts.tick)
            text = ", ".join(f"{name} = {value:.3g}"
                             for name, value in zip(self._slice_names, self.slice_values, strict=False))
            painter.drawText(box, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, text)

    def _paint_loss(self, painter: QPainter, row: int) -> None:
        """The loss curves up to history row ``row``, a dashed line at its epoch, dots on the curves there, and
        the values in a legend."""
        rect, s = self._geometry.loss, self._geometry.scale
        drawn = self._drawn_rows[: np.searchsorted(self._drawn_rows, row, side="right")]
        if not len(drawn) or drawn[-1] != row:
            drawn = np.append(drawn, row)
        x = float(self._loss_x[row])
        painter.save()
        painter.setClipRect(rect)
        painter.setPen(QPen(QColor(CURSOR_COLOR), max(1.0, s), Qt.PenStyle.DashLine))
        painter.drawLine(QPointF(x, rect.top()), QPointF(x, rect.top() + rect.height()))
        splits = ("train", "test") if self._has_test else ("train",)
        for split in reversed(splits):  # the train curve on top
            colour = QColor(TRAIN_COLOR if split == "train" else TEST_COLOR)
            painter.setPen(QPen(colour, 1.3 * s))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(pg.functions.arrayToQPath(self._loss_x[drawn], self._loss_y[split][drawn],
                                                       connect="finite"))
            y = float(self._loss_y[split][row])
            if math.isfinite(y):
                painter.setPen(QPen(QColor("white"), s))
                painter.setBrush(colour)
                painter.drawEllipse(QPointF(x, y), 4 * s, 4 * s)
        painter.restore()
        self._paint_legend(painter, row, splits)

    def _paint_legend(self, painter: QPainter, row: int, splits: tuple[str, ...]) -> None:
        """Each curve's colour, name and loss at the frame's epoch, on a white box (see _place_legend)."""
        s, box = self._geometry.scale, self._legend_box
        painter.setFont(self._fonts.tick)
        line_height = QFontMetricsF(self._fonts.tick).height()
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(255, 255, 255, 215))
        painter.drawRect(box)
        sample = 14 * s
        for i, split in enumerate(splits):
            y = box.top() + 2 * s + (i + 0.5) * line_height
            painter.setPen(QPen(QColor(TRAIN_COLOR if split == "train" else TEST_COLOR), 2 * s))
            painter.drawLine(QPointF(box.left() + 4 * s, y), QPointF(box.left() + 4 * s + sample, y))
            painter.setPen(QColor(TEXT_COLOR))
            painter.drawText(QRectF(box.left() + 8 * s + sample, y - line_height / 2, box.width(), line_height),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             f"{split} {_loss_text(self._losses[split][row])}")


class _Fonts:
    """The frame's fonts, sized in pixels for the frame's scale (the same on any screen)."""

    def __init__(self, scale: float):
        self.title = _font(14 * scale, bold=True)
        self.label = _font(12 * scale)
        self.tick = _font(11 * scale)


def _font(pixels: float, bold: bool = False) -> QFont:
    font = QFont()
    font.setPixelSize(max(6, round(pixels)))
    font.setBold(bold)
    return font


def _loss_text(value: float) -> str:
    return f"{value:.3g}" if math.isfinite(value) else "-"


def _grid_of(inputs: np.ndarray, n_inputs: int) -> SurfaceGrid:
    """The boundary plot's grid from its input rows: a square plane (over_plane's order), or a line for one input."""
    if inputs.ndim != 2 or inputs.shape[1] != n_inputs or len(inputs) < 2:
        raise SettingError("grid", inputs.shape, f"must be the boundary plot's grid inputs: rows of {n_inputs} inputs")
    if n_inputs == 1:
        return SurfaceGrid(inputs, (len(inputs),), 1)
    side = math.isqrt(len(inputs))
    if side * side != len(inputs):
        raise SettingError("grid", len(inputs), "must be a square grid's number of points")
    return SurfaceGrid(_read_only(inputs[:, :2].copy()), (side, side), n_inputs)


def _read_only(array) -> np.ndarray:
    """A read-only copy: what the job keeps, shared by every thread that renders."""
    array = np.array(array, copy=True)
    array.flags.writeable = False
    return array


def _padded(low: float, high: float, fraction: float) -> tuple[float, float]:
    pad = fraction * (high - low) if high > low else max(0.5, abs(low) * 0.1)
    return low - pad, high + pad


def _finite_min(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(np.clip(finite.min(), -COORD_LIMIT, COORD_LIMIT)) if finite.size else 0.0


def _finite_max(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(np.clip(finite.max(), -COORD_LIMIT, COORD_LIMIT)) if finite.size else 1.0


# --- writing ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ExportOutcome:
    """What an export did: ``written`` of ``total`` frames, into ``target`` (a folder, or a GIF file)."""

    target: Path
    kind: str  # "png" or "gif"
    written: int
    total: int
    cancelled: bool

    @property
    def message(self) -> str:
        if self.cancelled:
            if self.kind == "gif":
                return f"Animation export cancelled: no GIF written ({self.target.name})."
            return f"Animation export cancelled: {self.written} of {self.total} frames written to {self.target}."
        if self.kind == "gif":
            return f"Wrote the animation to {self.target} ({self.total} frames)."
        return f"Wrote {self.total} frames of the animation to {self.target}."


def frame_name(k: int, count: int) -> str:
    """The file name of frame ``k`` (0-based) of ``count``: frame_0001.png ... (more digits past 9,999 frames)."""
    return FRAME_PATTERN.format(k + 1, width=max(4, len(str(count))))


def existing_frames(folder) -> list[Path]:
    """The files in ``folder`` named as frames are (frame_0001.png ...), sorted: a window asks before writing over
    them (a shorter export would leave the old run's later frames behind)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.glob("frame_*.png") if path.stem[6:].isdigit())


def png_bytes(image: QImage) -> bytes:
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise OSError("Qt could not encode the PNG image")
    return bytes(buffer.data())


def write_png_sequence(job: AnimationJob, folder, progress: ProgressCallback | None = None,
                       cancelled: CancelCheck | None = None) -> ExportOutcome:
    """Write the job's frames into ``folder`` (made if missing) as frame_0001.png, ...: each file written whole
    (a temporary file renamed over it), so a cancel or an error leaves complete frames only. ``cancelled()`` is
    asked before each frame; ``progress(done, total)`` is called after each. Files already there by those names are
    replaced; others are left alone (see existing_frames). A file that cannot be written is a SettingError naming
    it."""
    folder = Path(folder)
    _make_folder(folder)
    total = job.frame_count
    for k in range(total):
        if cancelled is not None and cancelled():
            return ExportOutcome(folder, "png", k, total, cancelled=True)
        write_bytes_atomic(folder / frame_name(k, total), png_bytes(job.render_frame(k)))
        if progress is not None:
            progress(k + 1, total)
    return ExportOutcome(folder, "png", total, total, cancelled=False)


def write_gif(job: AnimationJob, path, progress: ProgressCallback | None = None,
              cancelled: CancelCheck | None = None, fps: float = GIF_FPS) -> ExportOutcome:
    """Write the job's frames as a looping animated GIF at ``fps`` frames a second (the last frame held
    GIF_LAST_FRAME_MS), with Pillow: one 256-colour palette for every frame, taken from a few of them, so colours do
    not flicker from frame to frame. The file is written whole at the end, or not at all (cancelled, or an error).
    Frames larger than GIF_MAX_SIZE are refused: Pillow keeps every frame in memory until it writes."""
    path = Path(path)
    if not gif_available():
        raise SettingError("export", str(path), "an animated GIF needs Pillow (pip install pillow); Qt cannot write "
                                                "GIF files: export a PNG sequence instead")
    if path.suffix.lower() != ".gif":
        raise SettingError("export", str(path), "must end in .gif")
    if job.size[0] > GIF_MAX_SIZE[0] or job.size[1] > GIF_MAX_SIZE[1]:
        raise SettingError("size", job.size, f"a GIF's frames must be at most {GIF_MAX_SIZE[0]} x {GIF_MAX_SIZE[1]}")
    total = job.frame_count
    palette = _gif_palette(job)
    frames = []
    for k in range(total):
        if cancelled is not None and cancelled():
            return ExportOutcome(path, "gif", 0, total, cancelled=True)
        frames.append(_indexed(job.render_frame(k), palette))
        if progress is not None:
            progress(k + 1, total)
    step = max(20, round(1000 / fps / 10) * 10)  # GIF delays are in hundredths of a second; below 20 ms viewers slow
    durations = [step] * (total - 1) + [max(step, GIF_LAST_FRAME_MS)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=durations, loop=0)
    _make_folder(path.parent)
    write_bytes_atomic(path, buffer.getvalue())
    return ExportOutcome(path, "gif", total, total, cancelled=False)


def _gif_palette(job: AnimationJob) -> np.ndarray:
    """One palette for all of a GIF's frames, (at most 256, 3) bytes: white and every other colour of the heatmap's
    lookup table, so the surface keeps its colours, then the colours that PALETTE_FRAMES frames spread over the run
    use besides those (points, lines, text), reduced by median cut."""
    from PIL import Image

    lut = job.lut_colours()
    fixed = np.unique(np.vstack([[255, 255, 255], lut[::2]]), axis=0)
    total = job.frame_count
    picks = np.unique(np.linspace(0, total - 1, min(PALETTE_FRAMES, total)).round().astype(int))
    pixels = np.concatenate([np.asarray(_pil_rgb(job.render_frame(int(k)))).reshape(-1, 3) for k in picks])
    packed = pixels.astype(np.int64) @ [1 << 16, 1 << 8, 1]
    others = pixels[~np.isin(packed, fixed.astype(np.int64) @ [1 << 16, 1 << 8, 1])]
    free = 256 - len(fixed)
    rest: list[int] = []
    if len(others):
        reduced = Image.fromarray(np.ascontiguousarray(others[None, :, :])).quantize(
            colors=free, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        used = len(reduced.getcolors(free) or ())
        rest = reduced.getpalette()[: 3 * used]
    return np.vstack([fixed, np.reshape(rest, (-1, 3))]).astype(np.uint8)


def _indexed(image: QImage, palette: np.ndarray):
    """The frame as a "P" image of ``palette``, each colour its nearest in the palette. (Pillow's own mapping looks
    colours up at 6 bits a channel, which turned white into (251, 252, 252).)"""
    from PIL import Image

    rgb = np.asarray(_pil_rgb(image))
    packed = rgb.reshape(-1, 3).astype(np.int64) @ [1 << 16, 1 << 8, 1]
    colours, inverse = np.unique(packed, return_inverse=True)  # a frame has a few thousand colours
    unique_rgb = np.stack([(colours >> shift) & 0xFF for shift in (16, 8, 0)], axis=1)
    colour, entry = unique_rgb.astype(np.float32), palette.astype(np.float32)
    distances = (entry**2).sum(axis=1)[None, :] - 2.0 * colour @ entry.T  # + |colour|^2, the same for every entry
    index = distances.argmin(axis=1).astype(np.uint8)[inverse.ravel()]
    indexed = Image.frombytes("P", (image.width(), image.height()), index.tobytes())
    indexed.putpalette(palette.ravel().tolist())
    return indexed


def _pil_rgb(image: QImage):
    from PIL import Image

    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    return Image.frombuffer("RGB", (rgb.width(), rgb.height()), bytes(rgb.constBits()), "raw", "RGB",
                            rgb.bytesPerLine(), 1).copy()


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SettingError("export", str(folder), f"cannot make the folder: {exc.strerror or exc}") from None


WRITERS: dict[str, Callable[..., ExportOutcome]] = {"png": write_png_sequence, "gif": write_gif}


# --- in a thread -------------------------------------------------------------------------------------------------
class _ExportWorker(QObject):
    """Runs one writer in the export's thread. Parentless, as moveToThread requires."""

    progressed = Signal(int, int)
    done = Signal(object)  # ExportOutcome
    error = Signal(str)

    def __init__(self, job: AnimationJob, target: Path, kind: str, stop: threading.Event):
        super().__init__()
        self.job, self.target, self.kind, self.stop = job, target, kind, stop

    @Slot()
    def run(self) -> None:
        try:
            outcome = WRITERS[self.kind](self.job, self.target, progress=self.progressed.emit,
                                         cancelled=self.stop.is_set)
        except Exception as exc:  # reported to the GUI thread as one line
            self.error.emit(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        else:
            self.done.emit(outcome)
        finally:
            QThread.currentThread().quit()


_RUNNING: set[AnimationExport] = set()  # exports whose thread has not ended yet


class AnimationExport(QObject):
    """Writes an animation in a thread of its own: ``kind`` "png" (a folder of numbered frames) or "gif" (a file).

    start() starts it; cancel() stops it before the next frame. Signals, all on the GUI thread: ``progress(done,
    total)`` after each frame, then, once the thread has ended, ``finished(message)`` (written, or cancelled:
    ``outcome`` says which) or ``failed(message)``. shutdown() cancels and waits for the thread: call it before the
    export's parent is deleted (the window's closeEvent)."""

    progress = Signal(int, int)
    finished = Signal(str)
    failed = Signal(str)

    def __init__(self, job: AnimationJob, target, kind: str = "png", parent: QObject | None = None):
        super().__init__(parent)
        if kind not in available_formats():
            raise SettingError("export", kind, f"must be one of {', '.join(available_formats())}")
        self.job, self.target, self.kind = job, Path(target), kind
        self.outcome: ExportOutcome | None = None
        self.error: str | None = None
        self._stop = threading.Event()
        self._thread = QThread(self)
        self._thread.setObjectName("animation-export")
        self._worker = _ExportWorker(job, self.target, kind, self._stop)
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.run)
        self._thread.finished.connect(self._worker.deleteLater)
        self._worker.progressed.connect(self._progressed)
        self._worker.done.connect(self._done)
        self._worker.error.connect(self._error)
        self._thread.finished.connect(self._thread_finished)

    def start(self) -> None:
        _RUNNING.add(self)  # kept alive until its thread has ended, even if the caller drops it
        self._thread.start()

    def cancel(self) -> None:
        """Stop before the next frame (frames written stay: each is whole)."""
        self._stop.set()

    def is_running(self) -> bool:
        return self._thread.isRunning()

    def wait(self, ms: int = 30_000) -> bool:
        """Block until the thread has ended (at most ``ms``); whether it has. Its signals arrive afterwards, through
        the event loop."""
        return self._thread.wait(ms)

    def shutdown(self, ms: int = 30_000) -> bool:
        """Cancel and wait for the thread (a frame takes milliseconds; a GIF being encoded, a few seconds)."""
        self.cancel()
        return self.wait(ms)

    @Slot(int, int)
    def _progressed(self, done: int, total: int) -> None:
        self.progress.emit(done, total)

    @Slot(object)
    def _done(self, outcome: ExportOutcome) -> None:
        self.outcome = outcome

    @Slot(str)
    def _error(self, message: str) -> None:
        self.error = message

    @Slot()
    def _thread_finished(self) -> None:
        # QThread.finished comes from the thread just before it ends: wait for the end (and the worker's deletion
        # there), so that whoever receives the signals below may delete this export at once.
        self._thread.wait()
        _RUNNING.discard(self)
        if self.outcome is not None:
            self.finished.emit(self.outcome.message)
        else:
            self.failed.emit(f"Could not export the animation: {self.error or 'the export stopped'}")


def run_with_progress_dialog(parent: QWidget, job: AnimationJob, target, kind: str = "png") -> AnimationExport:
    """Start an export of ``job`` to ``target`` with a window-modal progress dialog whose Cancel stops it; the dialog
    goes when the export ends. Returns the export: connect its ``finished`` and ``failed`` (they cannot come before
    control returns to the event loop) and call its shutdown() if the window closes meanwhile."""
    export = AnimationExport(job, target, kind, parent)
    total = job.frame_count
    dialog = QProgressDialog(f"Rendering frame 0 of {total}...", "Cancel", 0, total, parent)
    dialog.setWindowTitle("Export animation")
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(0)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    dialog.setValue(0)
    link = _DialogLink(dialog, export)
    dialog.canceled.connect(export.cancel)
    export.progress.connect(link.progressed)
    export.finished.connect(link.ended)
    export.failed.connect(link.ended)
    export.start()
    return export


class _DialogLink(QObject):
    """Keeps a progress dialog in step with an export (both on the GUI thread); a child of the dialog."""

    def __init__(self, dialog: QProgressDialog, export: AnimationExport):
        super().__init__(dialog)
        self.dialog, self.export = dialog, export

    @Slot(int, int)
    def progressed(self, done: int, total: int) -> None:
        self.dialog.setMaximum(total)
        self.dialog.setValue(done)
        writing = "Writing the GIF..." if done == total and self.export.kind == "gif" else \
            f"Rendering frame {done:,} of {total:,}..."
        self.dialog.setLabelText(writing)

    @Slot(str)
    def ended(self, _message: str) -> None:
        self.dialog.canceled.disconnect(self.export.cancel)
        self.dialog.hide()
        self.dialog.deleteLater()
