"""What the plots share: pyqtgraph set-up, colours, following views, the log axis, the layout view."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, Slot
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QWidget

TRAIN_COLOR = "#1f77b4"
TEST_COLOR = "#d62728"
# The two classes' colours (Okabe-Ito blue and orange: colour-blind safe, and apart in greyscale too).
CLASS_COLORS = ("#0072B2", "#E69F00")  # class 0, class 1
SURFACE_STRENGTH = 0.45  # how much of the full colour the surface keeps (the rest is white)
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


def style_plot(plot: pg.PlotItem, title: str, bottom: str, left: str) -> None:
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
    """The pyqtgraph layout view every plot is drawn in."""


def hidden_in_window(widget: QWidget) -> bool:
    """Whether ``widget`` or a widget it is in (short of the window) is hidden, as a tab not shown is: a view
    then keeps the newest data and draws it when shown, rather than at every frame."""
    while not widget.isWindow():
        if widget.isHidden():
            return True
        widget = widget.parentWidget()
    return False
