"""The loss plot: train and test loss per epoch, log scale."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

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

MAX_LOSS_POINTS = 2048  # rows of loss history drawn (peak-preserving thinning beyond that)


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

