"""The loss plot: train and test loss per epoch, log scale; pinned runs' curves beneath the live ones; a cursor at
a past epoch with the loss recorded then."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from gui.views.common import (
    TEST_COLOR,
    TRAIN_COLOR,
    FollowView,
    LogAxis,
    PlotView,
    finite_range,
    install_follow_reset,
    peak_rows,
    positive_or_nan,
    style_plot,
)

if TYPE_CHECKING:
    from gui.views.pinned_runs import PinnedRun

MAX_LOSS_POINTS = 2048  # rows of a loss history drawn (peak-preserving thinning beyond that)
PINNED_Z, LIVE_Z, CURSOR_Z = 1, 2, 3  # pinned curves under the live ones, the cursor above both
CURSOR_COLOR = "#505050"

Span = tuple[tuple[float, float], tuple[float, float]]  # (epochs, log10 losses) the view should show


def cursor_line(**kwargs) -> pg.InfiniteLine:
    """The past-epoch cursor of the loss and weights plots: a dashed vertical line, hidden until placed.
    (Could move to common.py.)"""
    line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(CURSOR_COLOR, width=1, style=Qt.PenStyle.DashLine),
                           **kwargs)
    line.setVisible(False)
    return line


def loss_rows(train: np.ndarray) -> slice | np.ndarray:
    """The rows of a loss history to draw: all, or at most MAX_LOSS_POINTS keeping its spikes, first and last."""
    if len(train) <= MAX_LOSS_POINTS:
        return slice(None)
    return peak_rows(train, MAX_LOSS_POINTS - 2)  # two rows per bin, plus the first and last


def loss_at(epochs: np.ndarray, losses: np.ndarray, epoch: float) -> float | None:
    """The loss at ``epoch``: its recorded row's, or between two rows as the log plot draws it (straight in
    log10); None outside the recorded epochs or where no positive finite loss was recorded."""
    known = np.isfinite(losses) & (losses > 0)
    epochs, losses = epochs[known], losses[known]
    if not len(epochs) or not epochs[0] <= epoch <= epochs[-1]:
        return None
    row = int(np.searchsorted(epochs, epoch))
    if epochs[row] == epoch:
        return float(losses[row])
    return float(10.0 ** np.interp(epoch, epochs, np.log10(losses)))


class LossPlot(PlotView):
    """Train and test loss per epoch on a log scale. The history is already thinned by the model (at most
    a few thousand rows however long the run); downsampling and clipping keep each repaint cheap."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.plot = self.addPlot(axisItems={"left": LogAxis("left")})
        style_plot(self.plot, "Loss per epoch", "epoch", "loss (log scale)")
        self.plot.setLogMode(x=False, y=True)
        self.legend = self.plot.addLegend(offset=(-10, 10), labelTextSize="9pt")
        self.train_curve = self.plot.plot(name="train", pen=pg.mkPen(TRAIN_COLOR, width=1))
        self.test_curve = self.plot.plot(name="test", pen=pg.mkPen(TEST_COLOR, width=1))
        for curve in (self.train_curve, self.test_curve):
            curve.setClipToView(True)
            curve.setZValue(LIVE_Z)
        self._has_test: bool | None = None
        self._history: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # epoch, train, test as fed
        self._live_span: Span | None = None
        self._pinned_span: Span | None = None
        self._running = False
        self._pinned: dict[PinnedRun, tuple[pg.PlotDataItem, pg.PlotDataItem | None]] = {}
        self.cursor = cursor_line(label="", labelOpts={"position": 0.88, "color": "#202020",
                                                       "fill": pg.mkBrush(255, 255, 255, 215)})
        self.cursor_marks = pg.PlotDataItem(pen=None, symbol="o", symbolSize=7, symbolPen=pg.mkPen("w"))
        self.cursor_marks.setVisible(False)
        for item in (self.cursor, self.cursor_marks):
            self.plot.addItem(item, ignoreBounds=True)
            item.setZValue(CURSOR_Z)
        self.follow = FollowView(self.plot)
        install_follow_reset(self, [self.follow])

    # --- the live run -------------------------------------------------------------------------------
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
        self._history, self._running = (epoch, train, test), running
        rows = loss_rows(train)  # thinned here, once, rather than by the curves at every paint
        epoch, train, test = epoch[rows], train[rows], test[rows]
        self._live_span = _span(epoch, train, test)
        # Range first, so the curves clip themselves once, for the view they are painted in.
        self._follow()
        self.train_curve.setData(epoch, train)
        if has_test:
            self.test_curve.setData(epoch, test)
        if self.cursor.isVisible():
            self._show_cursor_values()

    def _show_test_in_legend(self, shown: bool) -> None:
        self.legend.removeItem(self.test_curve)
        if shown:
            self.legend.addItem(self.test_curve, "test")

    def clear_data(self) -> None:
        """No live run (a new network): its curves and the cursor's values go; pinned runs stay."""
        self.train_curve.setData([], [])
        self.test_curve.setData([], [])
        self._history, self._live_span = None, None
        if self.cursor.isVisible():
            self._show_cursor_values()

    def _follow(self) -> None:
        """The view on the live curves and every pinned one."""
        span = _union([self._live_span, self._pinned_span])
        if span is not None:
            self.follow.show(*span, growing=self._running)

    # --- pinned runs --------------------------------------------------------------------------------
    def show_pinned(self, runs: list[PinnedRun]) -> None:
        """Overlay these runs' curves (train dashed and in the legend under the run's name, test dotted) beneath
        the live ones: curves are made for newly pinned runs and removed for unpinned ones; the others stay."""
        for run in [run for run in self._pinned if run not in runs]:
            for item in self._pinned.pop(run):
                if item is not None:
                    self.plot.removeItem(item)
        for run in runs:
            if run not in self._pinned:
                self._pinned[run] = self._pinned_curves(run)
        self._pinned = {run: self._pinned[run] for run in runs}  # in the runs' order
        self._pinned_span = _union([_span(run.epochs, run.train_loss, run.test_loss) for run in runs])
        self._follow()

    def _pinned_curves(self, run: PinnedRun) -> tuple[pg.PlotDataItem, pg.PlotDataItem | None]:
        train = pg.PlotDataItem(run.epochs, positive_or_nan(run.train_loss), name=run.name,
                                pen=pg.mkPen(run.color, width=1.5, style=Qt.PenStyle.DashLine))
        test = None
        if np.isfinite(run.test_loss).any():
            test = pg.PlotDataItem(run.epochs, positive_or_nan(run.test_loss),
                                   pen=pg.mkPen(run.color, width=1.5, style=Qt.PenStyle.DotLine))
        for item in (train, test):
            if item is not None:
                self.plot.addItem(item)
                item.setClipToView(True)  # after addItem, which sets the plot's mode (off)
                item.setZValue(PINNED_Z)
        return train, test

    # --- the cursor at a past epoch -----------------------------------------------------------------
    def set_cursor(self, epoch: float | None) -> None:
        """A vertical line at ``epoch`` with the losses recorded then (None: no cursor)."""
        shown = epoch is not None
        self.cursor.setVisible(shown)  # first: a hidden line's label ignores new text
        self.cursor_marks.setVisible(shown)
        if shown:
            self.cursor.setValue(float(epoch))
            self._show_cursor_values()

    def _show_cursor_values(self) -> None:
        epoch = self.cursor.value()
        losses = self._cursor_losses(epoch)
        lines = [f"epoch {epoch:,.0f}" if epoch == round(epoch) else f"epoch {epoch:,.2f}"]
        lines += [f"{name} {loss:.3g}" for name, (loss, _) in losses.items()]
        self.cursor.label.setFormat("\n".join(lines))
        self.cursor_marks.setData([epoch] * len(losses), [loss for loss, _ in losses.values()],
                                  symbolBrush=[pg.mkBrush(color) for _, color in losses.values()])

    def _cursor_losses(self, epoch: float) -> dict[str, tuple[float, str]]:
        """The live run's losses at ``epoch`` (that have a value), with their curves' colours."""
        if self._history is None:
            return {}
        epochs, train, test = self._history
        found = {"train": (loss_at(epochs, train, epoch), TRAIN_COLOR),
                 "test": (loss_at(epochs, test, epoch), TEST_COLOR)}
        return {name: (loss, color) for name, (loss, color) in found.items() if loss is not None}

    # --- what is drawn (for tests and the window) ---------------------------------------------------
    def cursor_epoch(self) -> float | None:
        return self.cursor.value() if self.cursor.isVisible() else None

    def cursor_text(self) -> str:
        """The cursor's label as shown ("" without a cursor)."""
        return self.cursor.label.toPlainText() if self.cursor.isVisible() else ""

    def pinned_curves(self, kind: str = "train") -> list[tuple[np.ndarray, np.ndarray]]:
        """The pinned runs' ``kind`` ("train" or "test") curves as fed, (epochs, losses), in the runs' order;
        runs without a test loss have no test curve."""
        column = {"train": 0, "test": 1}[kind]
        items = [items[column] for items in self._pinned.values()]
        return [item.getOriginalDataset() for item in items if item is not None]

    def legend_labels(self) -> list[str]:
        return [label.text for _, label in self.legend.items]


def _union(spans: list[Span | None]) -> Span | None:
    """The smallest span holding all these (None: no span)."""
    spans = [span for span in spans if span is not None]
    if not spans:
        return None
    return ((min(s[0][0] for s in spans), max(s[0][1] for s in spans)),
            (min(s[1][0] for s in spans), max(s[1][1] for s in spans)))


def _span(epochs: np.ndarray, train: np.ndarray, test: np.ndarray) -> Span | None:
    """The epochs and log10 losses of one run's curves; None without a positive finite loss."""
    loss_range = finite_range(positive_or_nan(train), positive_or_nan(test))
    if not len(epochs) or loss_range is None:
        return None
    return (float(epochs[0]), float(epochs[-1])), (float(np.log10(loss_range[0])), float(np.log10(loss_range[1])))
