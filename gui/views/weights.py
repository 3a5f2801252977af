"""The weights plot: every shown parameter over the epochs, and the last update's change: of each shown
parameter as bars in a small network, as a histogram over all parameters in a large one."""

from __future__ import annotations

import html
import math
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics

from gui.views.common import (
    FollowView,
    PlotView,
    curve_colors,
    finite_range,
    install_follow_reset,
    style_plot,
)
from gui.views.loss import cursor_line
from gui.views.shown_params import MAX_BARS, ChangeHistogram, change_histogram
from model.trainer import Snapshot, epoch_count

# Seconds between updates of the curves, and of the bars or histogram, while training (always updated when
# paused). Both in the same frame: every update of either repaints the whole view (some 33 antialiased curves,
# ~10 ms), so at most 1 / CURVES_INTERVAL repaints a second.
BARS_INTERVAL = 0.2
CURVES_INTERVAL = 0.2
MAX_CURVE_POINTS = 1024  # rows of history drawn per weight curve, at most
MIN_CURVE_POINTS = 256  # and at least: else about one per pixel of the plot's width (more rows than pixels
# cost setData and painting time for nothing)
MAX_TICK_CHARS = 10  # longest tick label
LEGEND_POINT_SIZE = 8
LEGEND_SPACING = -10  # rows of the legend drawn closer than pyqtgraph's default
LEGEND_ROW_PX = 13  # height of a legend row (8 pt text, LEGEND_SPACING)
LEGEND_MARGINS_PX = 18  # around the legend's entries
LEGEND_ENTRY_PX = 36  # of a legend column's width, beside its longest name: line sample, spacing, text margins
# the layout's margins and spacing, the value axis and the text's own margins, beside a title
TITLE_MARGINS_PX = 90
TITLE_POINT_SIZES = (11, 10, 9, 8)  # a long title shrinks to fit, down to 8 pt, then takes two lines
TITLE_MAX_LINES = 2
TITLE_ROW_PX = 30  # height of a plot's one-line title row (pyqtgraph's)
HISTOGRAM_COLOR = "#4c72b0"


def tick_text(value: float, spacing: float) -> str:
    """A tick label of at most MAX_TICK_CHARS characters with the digits the tick spacing needs: plain decimals
    for moderate values ("0.25", "1500"), else a mantissa and exponent ("-4.2e+124")."""
    if not (math.isfinite(value) and math.isfinite(spacing)):
        return ""
    if abs(value) < abs(spacing) * 1e-6:
        return "0"  # rounding noise at zero, and never "-0"
    if 1e-3 <= abs(value) < 1e8:
        text = f"{value:.{_decimals(spacing)}f}"
        if len(text) <= MAX_TICK_CHARS:
            return text
    digits = min(3, max(0, math.floor(math.log10(abs(value))) - math.floor(math.log10(abs(spacing) or 1.0))))
    text = f"{value:.{digits}e}"
    while len(text) > MAX_TICK_CHARS and digits:
        digits -= 1
        text = f"{value:.{digits}e}"
    return text


def _decimals(spacing: float) -> int:
    """Decimals that write every multiple of ``spacing`` exactly (0.25: 2; 500: 0), at most 9."""
    spacing = abs(spacing)
    for decimals in range(10):
        if abs(round(spacing, decimals) - spacing) <= spacing * 1e-6:
            return decimals
    return 9


class CompactAxis(pg.AxisItem):
    """An axis whose tick labels stay short at any magnitude (tick_text) and that never rescales its values
    with an SI prefix or a "(x1e+27)" in its label. (Generally useful: it could move to gui/views/common.py.)"""

    def __init__(self, orientation: str, **kwargs):
        super().__init__(orientation, **kwargs)
        self.enableAutoSIPrefix(False)

    def tickStrings(self, values, scale, spacing):
        return [tick_text(v * scale, spacing * scale) for v in values]


def fit_title(plot: pg.PlotItem, text: str, width: float) -> None:
    """``text`` as the plot's title in the largest point size that fits ``width`` pixels on one line, else in
    the smallest on two lines, cut short with "…" if need be (the whole text is then its tooltip): a title never
    widens the plot. (pyqtgraph's LabelItem sets its minimum width to its text's at every resize, so
    common.set_title's setMinimumWidth(0) does not last.)"""
    width = max(int(width), 40)
    for size in TITLE_POINT_SIZES:
        font = QFont()
        font.setPointSize(size)
        metrics = QFontMetrics(font)
        if metrics.horizontalAdvance(text) <= width:
            break
    lines = wrap_words(text, metrics, width, TITLE_MAX_LINES)
    plot.setTitle("<br>".join(html.escape(line) for line in lines), size=f"{size}pt")
    height = TITLE_ROW_PX + (len(lines) - 1) * metrics.lineSpacing()
    plot.layout.setRowFixedHeight(0, height)  # setTitle makes the title's row 30 px high
    plot.titleLabel.setMaximumHeight(height)
    plot.titleLabel.setToolTip(text if " ".join(lines) != text else "")


def wrap_words(text: str, metrics: QFontMetrics, width: int, max_lines: int) -> list[str]:
    """``text`` broken between words into lines of at most ``width`` pixels; the last of ``max_lines`` lines
    holds the rest, cut short with "…"."""
    lines, line = [], ""
    for word in text.split(" "):
        longer = f"{line} {word}" if line else word
        if line and metrics.horizontalAdvance(longer) > width:
            lines.append(line)
            longer = word
        line = longer
    lines.append(line)
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], " ".join(lines[max_lines - 1 :])]
    return [metrics.elidedText(line, Qt.TextElideMode.ElideRight, width) for line in lines]


def legend_order(n: int, columns: int) -> list[int]:
    """The order to add ``n`` entries to a legend that fills its ``columns`` row by row, so that they read down
    each column: every column as long as the first, but the last few one entry shorter."""
    rows = -(-n // columns)
    full = n - (rows - 1) * columns  # columns with ``rows`` entries
    starts = [c * rows - max(0, c - full) for c in range(columns)]
    return [starts[c] + r for r in range(rows) for c in range(columns) if r < rows - 1 or c < full]


def compact_axes() -> dict[str, CompactAxis]:
    return {"left": CompactAxis("left"), "bottom": CompactAxis("bottom")}


class WeightsPlot(PlotView):
    """Each shown parameter's value over the epochs (one named curve each, every one in the legend), and the
    last update's change: of each shown parameter as bars coloured like its curve when the network has at most
    MAX_BARS parameters, else as a histogram of the change of all of them."""

    repick_wanted = Signal()  # the user asked for the hidden units with the largest |w2| now (context menu)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.curves_plot = self.addPlot(row=0, col=0, axisItems=compact_axes())
        style_plot(self.curves_plot, "Weights and biases", "epoch", "value")
        self.bars_plot = self.addPlot(row=1, col=0, axisItems=compact_axes())
        style_plot(self.bars_plot, "Last update's change", "", "Δ = -lr · gradient")
        self.ci.layout.setRowStretchFactor(0, 3)
        self.ci.layout.setRowStretchFactor(1, 2)
        self.bars_plot.addItem(pg.InfiniteLine(pos=0, angle=0, pen=pg.mkPen("#808080", width=1)))
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.75)
        self.bars_plot.addItem(self.bars)
        self.histogram = pg.BarGraphItem(x0=[], x1=[], height=[], brush=pg.mkBrush(HISTOGRAM_COLOR),
                                         pen=pg.mkPen(QColor(HISTOGRAM_COLOR).darker(140)))
        self.bars_plot.addItem(self.histogram)
        self.bars_plot.setMouseEnabled(x=False, y=True)
        self._tick_font = QFont()
        self._tick_font.setPointSize(9)
        self._legend_font = QFont()
        self._legend_font.setPointSize(LEGEND_POINT_SIZE)
        # The legend has a column of its own beside both plots (the bars are coloured like the curves), so it
        # never hides them; its entries read down each column.
        self.legend = self._new_legend(1)
        self._legend_columns = 0
        self.cursor = cursor_line()
        self.curves_plot.addItem(self.cursor, ignoreBounds=True)
        self.cursor.setZValue(1)  # above the curves
        self.curves_follow = FollowView(self.curves_plot)
        self.bars_follow = FollowView(self.bars_plot, padding=0.08)
        install_follow_reset(self, [self.curves_follow, self.bars_follow])
        menu = self.curves_plot.getViewBox().menu
        self.repick_action = menu.addAction("Show the hidden units with the largest |w2| now")
        self.repick_action.triggered.connect(self.repick_wanted.emit)
        self.repick_action.setVisible(False)
        self._pool: list[pg.PlotDataItem] = []  # curves made so far; the first len(names) are in use
        self.curves: list[pg.PlotDataItem] = []
        self.names: tuple[str, ...] = ()
        self.caption = ""
        self._colors: list[QColor] = []
        self._heights = np.zeros(0)
        self._histogram: ChangeHistogram | None = None
        self._histogram_update: int | None = None  # the update the histogram shows
        self._histogram_mode: bool | None = None  # decided by the first snapshot of a network
        self._bars_time = 0.0
        self._curves_time = 0.0
        self._initial: np.ndarray | None = None  # theta at epoch 0, when this network was made
        self.bars_plot.getViewBox().sigResized.connect(self._update_bar_ticks)

    # --- a network's layout -------------------------------------------------------------------------
    def set_params(self, names: tuple[str, ...], caption: str, initial_theta: np.ndarray | None) -> None:
        """Curves and bars for these parameter names (called once per network, and when the shown ones change)."""
        self.names, self.caption = tuple(names), caption
        self._colors = curve_colors(len(names))
        self._use_curves(len(names))
        self._legend_columns = 0  # filled by _fit_legend
        self._initial = initial_theta
        self._heights = np.zeros(len(names))
        self.bars.setOpts(x=np.arange(len(names)), height=self._heights, width=0.75,
                          brushes=[pg.mkBrush(c) for c in self._colors],
                          pens=[pg.mkPen(c.darker(140)) for c in self._colors])
        self._histogram, self._histogram_update, self._histogram_mode = None, None, None
        self.histogram.setOpts(x0=[], x1=[], height=[])
        self._fit_to_width()

    def _use_curves(self, n: int) -> None:
        """The first ``n`` curves of the pool (made as needed), named and coloured; the rest hidden and empty."""
        while len(self._pool) < n:
            # Antialiased: a weight that zigzags by less than a pixel from epoch to epoch (notebook 000) is
            # otherwise drawn with gaps. Affordable, as the curves are repainted a few times a second.
            curve = pg.PlotDataItem(antialias=True)
            curve.setClipToView(True)  # thinned to MAX_CURVE_POINTS rows when fed, not at every paint
            self.curves_plot.addItem(curve)
            self._pool.append(curve)
        for k, curve in enumerate(self._pool):
            if k < n:
                curve.setData(x=[], y=[], name=self.names[k])
                curve.setPen(pg.mkPen(self._colors[k], width=1))
            else:
                curve.setData(x=[], y=[], name=None)
            curve.setVisible(k < n)
        self.curves = self._pool[:n]

    def _use_histogram(self, wanted: bool) -> None:
        """Bars per shown parameter, or the histogram of every parameter's change, with their axes' labels."""
        if wanted == self._histogram_mode:
            return
        self._histogram_mode = wanted
        self.bars.setVisible(not wanted)
        self.histogram.setVisible(wanted)
        self.repick_action.setVisible(wanted)
        bottom = self.bars_plot.getAxis("bottom")
        self._fit_titles()
        if wanted:
            self.bars_plot.setLabel("left", "parameters")
            self.bars_plot.setLabel("bottom", "Δ = -lr · gradient (no update yet)", **{"font-size": "8pt"})
            bottom.setTicks(None)
            self.bars_plot.setMouseEnabled(x=True, y=True)
        else:
            self.bars_plot.setLabel("left", "Δ = -lr · gradient")
            self.bars_plot.setLabel("bottom", "")
            self.bars_plot.setMouseEnabled(x=False, y=True)
            n = len(self.names)
            self.bars_plot.setXRange(-0.6, n - 0.4, padding=0)
            self._update_bar_ticks()

    # --- fitting to the view's size --------------------------------------------------------------------
    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        # Not before our constructor has run (GraphicsView's resizes), nor once close() has cleared the scene
        # (its items' C++ objects are gone: touching them crashes).
        if hasattr(self, "names") and not self.closed:
            self._fit_to_width()

    def _fit_to_width(self) -> None:
        self._fit_legend()
        self._fit_titles()
        self._update_bar_ticks()

    def _fit_legend(self) -> None:
        """As many legend columns as the view's height needs, in a column of the layout just that wide."""
        n = len(self.names)
        self.legend.setVisible(n > 0)
        if n == 0:
            self.ci.layout.setColumnFixedWidth(1, 0)
            return
        rows_fit = max(1, int((self.viewport().height() - 2 * LEGEND_MARGINS_PX) // LEGEND_ROW_PX))
        columns = -(-n // rows_fit)
        if columns != self._legend_columns:
            self._fill_legend(columns)
        metrics = QFontMetrics(self._legend_font)
        name_px = max(metrics.horizontalAdvance(name) for name in self.names)
        self.ci.layout.setColumnFixedWidth(1, LEGEND_MARGINS_PX + columns * (name_px + LEGEND_ENTRY_PX))

    def _fill_legend(self, columns: int) -> None:
        """Every curve's entry, in ``columns`` columns read from top to bottom: a new legend (pyqtgraph's fills
        its grid row by row, and misplaces entries added after a clear()), its entries added in the transposed
        order."""
        self._legend_columns = columns
        self.removeItem(self.legend)
        self.legend = self._new_legend(columns)
        for k in legend_order(len(self.curves), columns):
            self.legend.addItem(self.curves[k], self.names[k])
        # At the top of its cell, its rows as close as LEGEND_SPACING makes them (not spread over the cell's
        # height, where the names drift away from their line samples).
        self.legend.setMaximumHeight(self.legend.layout.preferredHeight())
        self.ci.layout.setAlignment(self.legend, Qt.AlignmentFlag.AlignTop)

    def _new_legend(self, columns: int) -> pg.LegendItem:
        legend = pg.LegendItem(labelTextSize=f"{LEGEND_POINT_SIZE}pt", colCount=columns, verSpacing=LEGEND_SPACING,
                               horSpacing=4)
        self.addItem(legend, row=0, col=1, rowspan=2)
        return legend

    def _fit_titles(self) -> None:
        """The titles fit above the plots, beside the legend."""
        width = self.viewport().width() - self.ci.layout.columnMaximumWidth(1) - TITLE_MARGINS_PX
        curves_title = f"Weights and biases: {self.caption}" if self.caption else "Weights and biases"
        fit_title(self.curves_plot, curves_title, width)
        fit_title(self.bars_plot, "Last update's change" + (" of every parameter" if self._histogram_mode else ""),
                  width)

    def _update_bar_ticks(self) -> None:
        """Name every bar that has room for its label, so the names never run into each other."""
        n = len(self.names)
        if n == 0 or self._histogram_mode:
            return
        metrics = QFontMetrics(self._tick_font)
        label_width = max(metrics.horizontalAdvance(name) for name in self.names) + 8
        bar_width = max(self.bars_plot.getViewBox().width(), 100) / n
        every = max(1, int(np.ceil(label_width / bar_width)))
        self.bars_plot.getAxis("bottom").setTicks([[(i, self.names[i]) for i in range(0, n, every)], []])

    # --- each frame ----------------------------------------------------------------------------------
    def show_snapshot(self, snapshot: Snapshot, shown_index: np.ndarray, running: bool = False,
                      histogram: ChangeHistogram | None = None) -> bool:
        """Feed the curves and the change view; True if anything was fed. While training runs they are fed a
        few times a second (they are the costliest part of a frame); a paused or stepped network is always
        shown at once. ``histogram``: the last change's distribution, when the worker has computed it (else
        the view computes it from snapshot.last_update, for a network of more than MAX_BARS parameters)."""
        now = time.perf_counter()
        fed = False
        if not running or now - self._curves_time >= CURVES_INTERVAL:
            self._curves_time = now
            self._show_curves(snapshot, shown_index, running)
            fed = True
        if fed or now - self._bars_time >= BARS_INTERVAL:  # with the curves: one repaint
            self._bars_time = now
            self._use_histogram(len(snapshot.theta) > MAX_BARS)
            if self._histogram_mode:
                self._show_histogram(snapshot, histogram)
            else:
                self._show_bars(snapshot, shown_index)
            fed = True
        return fed

    def _show_curves(self, snapshot: Snapshot, shown_index: np.ndarray, running: bool) -> None:
        history = snapshot.history
        epochs, values = history["epoch"], history["params"]
        limit = self._curve_points()
        if len(epochs) > limit:  # more rows than pixels: every k-th row, and the last
            keep = np.unique(np.append(np.arange(0, len(epochs), -(-len(epochs) // limit)),
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

    def _curve_points(self) -> int:
        """Rows of history drawn per curve: about one per pixel of the plot's width, within MIN_CURVE_POINTS ..
        MAX_CURVE_POINTS."""
        width = int(self.curves_plot.getViewBox().width())
        return int(min(MAX_CURVE_POINTS, max(MIN_CURVE_POINTS, width)))

    def _show_bars(self, snapshot: Snapshot, shown_index: np.ndarray) -> None:
        record = snapshot.last_update
        heights = np.zeros(len(self.curves)) if record is None else record.delta[shown_index]
        if np.array_equal(heights, self._heights):
            return
        self._heights = heights
        self.bars.setOpts(height=heights)
        if record is not None:  # which update the bars show
            self.bars_plot.setLabel("bottom", _update_label(snapshot), **{"font-size": "8pt"})
        low, high = finite_range(np.append(heights, 0.0)) or (0.0, 0.0)
        self.bars_follow.show(None, (low, high) if high > low else (-1.0, 1.0))

    def _show_histogram(self, snapshot: Snapshot, histogram: ChangeHistogram | None) -> None:
        record = snapshot.last_update
        if record is None:
            histogram = None
        elif histogram is None:
            histogram = change_histogram(record.delta)
        update = None if record is None else record.update
        if update == self._histogram_update and _same_histogram(histogram, self._histogram):
            return
        self._histogram, self._histogram_update = histogram, update
        if histogram is None:  # no update yet (as the label says since _use_histogram)
            self.histogram.setOpts(x0=[], x1=[], height=[])
            return
        edges, counts = histogram.edges, histogram.counts
        self.histogram.setOpts(x0=edges[:-1], x1=edges[1:], height=counts)
        skipped = f"; {histogram.not_finite:,} not finite" if histogram.not_finite else ""
        self.bars_plot.setLabel("bottom", f"Δ of {_update_label(snapshot)}{skipped}",
                                **{"font-size": "8pt"})
        self.bars_follow.show((float(edges[0]), float(edges[-1])), (0.0, max(float(counts.max()), 1.0)))

    def set_cursor(self, epoch: float | None) -> None:
        """A vertical line at ``epoch`` over the parameters' curves (None: no line)."""
        self.cursor.setVisible(epoch is not None)
        if epoch is not None:
            self.cursor.setValue(float(epoch))

    # --- what is drawn (for tests and the window) ------------------------------------------------------
    def cursor_epoch(self) -> float | None:
        return self.cursor.value() if self.cursor.isVisible() else None

    def bar_heights(self) -> np.ndarray:
        return np.array(self._heights, copy=True)

    def histogram_data(self) -> tuple[np.ndarray, np.ndarray]:
        """The histogram as drawn: bar edges (bins + 1) and counts; empty arrays in bars mode."""
        if not self._histogram_mode or self._histogram is None:
            return np.zeros(0), np.zeros(0)
        opts = self.histogram.opts
        return np.append(opts["x0"], opts["x1"][-1:]), np.array(opts["height"], copy=True)

    def legend_labels(self) -> list[str | None]:
        """Each curve's label in the legend, in the curves' order (None for a curve without one)."""
        label_of = {id(sample.item): label.text for sample, label in self.legend.items}
        return [label_of.get(id(curve)) for curve in self.curves]


def _update_label(snapshot: Snapshot) -> str:
    """Which update the change view shows, counted as the status bar counts."""
    record = snapshot.last_update
    epoch = epoch_count(snapshot.epoch, snapshot.position, snapshot.updates_per_epoch)
    return f"update {record.update:,} (epoch {epoch}, lr {record.lr:g})"


def _same_histogram(a: ChangeHistogram | None, b: ChangeHistogram | None) -> bool:
    if a is None or b is None:
        return a is b
    return np.array_equal(a.counts, b.counts) and np.array_equal(a.edges, b.edges)
