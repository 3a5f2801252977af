"""The weights plot: every shown parameter over the epochs, and the last update's change of each."""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor, QFont, QFontMetrics

from gui.views.common import (
    FollowView,
    PlotView,
    curve_colors,
    finite_range,
    install_follow_reset,
    set_title,
    style_plot,
)
from model.trainer import Snapshot

LEGEND_MAX_CURVES = 32
BARS_INTERVAL = 0.2  # seconds between bar chart updates while training (always updated when paused)
CURVES_INTERVAL = 0.1  # seconds between weight-curve updates while training
MAX_CURVE_POINTS = 1024  # rows of history drawn per weight curve (the plot is narrower than that)


class WeightsPlot(PlotView):
    """Each shown parameter's value over the epochs (one named curve each), and the last update's change
    of each as a bar chart, coloured alike."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.curves_plot = self.addPlot(row=0, col=0)
        style_plot(self.curves_plot, "Weights and biases", "epoch", "value")
        self.bars_plot = self.addPlot(row=1, col=0, colspan=2)
        style_plot(self.bars_plot, "Last update's change", "", "Δ = -lr · gradient")
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
