"""Pinned runs: a finished (or paused) run's loss curves and final boundary kept to compare with later runs.

The panel owns the list of pinned runs; the loss plot overlays their curves (LossPlot.show_pinned(panel.runs())
whenever the panel says it ``changed``). Each row names how the run's settings differ from the current ones.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gui.views.common import PALETTE, TEST_COLOR, TRAIN_COLOR
from gui.views.loss import loss_rows
from model.config import TrainConfig
from model.trainer import Snapshot

# Colours of pinned runs' curves: the palette's first ten without the live curves' two.
PINNED_COLORS = tuple(c for c in PALETTE[:10] if c not in (TRAIN_COLOR, TEST_COLOR))
MAX_PINNED = len(PINNED_COLORS)  # one colour each; pinning one more unpins the oldest
THUMBNAIL_PX = 64  # a row's thumbnail, in logical pixels
THUMBNAIL_KEPT_PX = 2 * THUMBNAIL_PX  # kept at this size: sharp on a display of device pixel ratio 2
SWATCH_SIZE = (22, 10)


@dataclass(frozen=True, eq=False)  # eq=False: a run is itself (hashed by identity), arrays are not compared
class PinnedRun:
    """One pinned run. On creation its loss rows are thinned as the loss plot thins them (at most
    MAX_LOSS_POINTS, spikes, first and last kept) into read-only float64 copies, and its thumbnail scaled to
    fit THUMBNAIL_KEPT_PX."""

    name: str  # "Run 1": its legend entry
    config: TrainConfig
    dataset_key: str
    epochs: np.ndarray
    train_loss: np.ndarray
    test_loss: np.ndarray  # all NaN without a test split
    thumbnail: QImage  # the final decision boundary (null: none)
    color: str  # its curves' and swatch's colour, "#rrggbb"

    def __post_init__(self):
        rows = loss_rows(np.asarray(self.train_loss, dtype=np.float64))
        for name in ("epochs", "train_loss", "test_loss"):
            values = np.array(np.asarray(getattr(self, name), dtype=np.float64)[rows])
            values.setflags(write=False)
            object.__setattr__(self, name, values)
        object.__setattr__(self, "thumbnail", _small(self.thumbnail))

    @classmethod
    def from_snapshot(cls, name: str, snapshot: Snapshot, dataset_key: str, thumbnail: QImage,
                      color: str) -> PinnedRun:
        history = snapshot.history
        return cls(name, snapshot.config, dataset_key, history["epoch"], history["train_loss"],
                   history["test_loss"], thumbnail, color)

    @property
    def label(self) -> str:
        """"Run 1: xor, 2,000 epochs, loss 3.1e-4" (the last recorded epoch and its train loss)."""
        parts = [self.dataset_key, f"{int(self.epochs[-1]) if len(self.epochs) else 0:,} epochs"]
        finite = self.train_loss[np.isfinite(self.train_loss)]
        if len(finite):
            parts.append(f"loss {short_number(float(finite[-1]))}")
        return f"{self.name}: {', '.join(parts)}"


def image_array(image: QImage) -> np.ndarray:
    """A picture as a (height, width, 4) uint8 RGBA array (empty for a null picture)."""
    if image.isNull():
        return np.zeros((0, 0, 4), dtype=np.uint8)
    image = image.convertToFormat(QImage.Format.Format_RGBA8888)
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    return rows[:, : image.width() * 4].reshape(image.height(), image.width(), 4).copy()


def array_image(pixels: np.ndarray) -> QImage:
    if pixels.ndim != 3 or pixels.shape[2] != 4 or pixels.size == 0:
        return QImage()
    pixels = np.ascontiguousarray(pixels, dtype=np.uint8)
    height, width, _ = pixels.shape
    return QImage(pixels.data, width, height, 4 * width, QImage.Format.Format_RGBA8888).copy()


PINNED_ARRAYS = ("epochs", "train_loss", "test_loss")


def runs_to_session(runs: list[PinnedRun]) -> tuple[list[dict], dict[str, np.ndarray]]:
    """Pinned runs as a session keeps them: JSON facts, and arrays named pinned<k>.<field>."""
    facts = [{"name": run.name, "config": run.config.as_dict(), "dataset_key": run.dataset_key, "color": run.color}
             for run in runs]
    arrays = {f"pinned{k}.{name}": getattr(run, name) for k, run in enumerate(runs) for name in PINNED_ARRAYS}
    arrays.update({f"pinned{k}.thumbnail": image_array(run.thumbnail) for k, run in enumerate(runs)})
    return facts, arrays


def runs_from_session(facts: object, arrays: dict[str, np.ndarray]) -> list[PinnedRun]:
    """The pinned runs a session kept; a run whose facts or arrays do not fit is left out (it is a comparison,
    not the run itself)."""
    runs = []
    for k, fact in enumerate(facts if isinstance(facts, list) else []):
        try:
            values = [arrays[f"pinned{k}.{name}"] for name in PINNED_ARRAYS]
            if len({len(v) for v in values}) != 1:
                continue
            runs.append(PinnedRun(str(fact["name"]), TrainConfig.from_dict(fact["config"]), str(fact["dataset_key"]),
                                  *values, array_image(arrays.get(f"pinned{k}.thumbnail", np.zeros((0, 0, 4)))),
                                  str(fact["color"])))
        except (KeyError, TypeError, ValueError):  # SettingError is a ValueError
            continue
    return runs


def short_number(value: float) -> str:
    """Two significant digits, in a compact exponent form for small and large values ("3.1e-4", "0.25")."""
    if value == 0 or not math.isfinite(value) or 1e-2 <= abs(value) < 1e4:
        return f"{value:.2g}"
    mantissa, exponent = f"{value:.1e}".split("e")
    return f"{mantissa.removesuffix('.0')}e{int(exponent)}"


def differing_settings(config_a: TrainConfig, config_b: TrainConfig, key_a: str, key_b: str) -> list[str]:
    """How settings b differ from settings a, one "name a → b" each: the dataset first, then every field of
    TrainConfig in its order ("dataset xor → and_or", "lr 0.1 → 0.03", "bias on → off")."""
    changes = [("dataset", key_a, key_b)] + [(f.name.replace("_", " "), getattr(config_a, f.name),
                                               getattr(config_b, f.name)) for f in fields(TrainConfig)]
    return [f"{name} {_setting_text(a)} → {_setting_text(b)}" for name, a, b in changes if a != b]


def _setting_text(value: object) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _small(image: QImage) -> QImage:
    if image.isNull() or max(image.width(), image.height()) <= THUMBNAIL_KEPT_PX:
        return QImage(image)
    return image.scaled(THUMBNAIL_KEPT_PX, THUMBNAIL_KEPT_PX, Qt.AspectRatioMode.KeepAspectRatio,
                        Qt.TransformationMode.SmoothTransformation)


class PinnedRunsPanel(QWidget):
    """The pinned runs, one row each: a swatch of its curve, its thumbnail, its label, how its settings differ
    from the current ones (pinned → now) and a button to unpin it; "Clear all" unpins every one. The one owner
    of the list of pinned runs."""

    changed = Signal()  # a run was pinned or unpinned
    pin_wanted = Signal()  # the "Pin this run" button: the window pins the run in use

    def __init__(self, parent=None):
        super().__init__(parent)
        self._runs: list[PinnedRun] = []
        self._rows: list[_RunRow] = []
        self._current: tuple[TrainConfig, str] | None = None
        self._next_number = 1
        title = QLabel("Pinned runs")
        title.setStyleSheet("font-weight: bold;")
        self.pin_button = QPushButton("Pin this run")
        self.pin_button.setToolTip("Keep the run in use, as it is now, to compare with later runs (Ctrl+P)")
        self.pin_button.clicked.connect(self.pin_wanted)
        self.clear_button = QPushButton("Clear all")
        self.clear_button.setToolTip("Unpin every run")
        self.clear_button.clicked.connect(self.clear)
        hint = QLabel("Each run's settings that differ from the current ones: pinned → now")
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #707070; font-size: 8pt;")
        header = QHBoxLayout()
        header.addWidget(title)
        header.addStretch(1)
        header.addWidget(self.pin_button)
        header.addWidget(self.clear_button)
        self.empty_label = QLabel("No pinned runs. Pin a run (Ctrl+P) to keep its loss curve on the loss plot and "
                                  "compare "
                                  "it with later runs.")
        self.empty_label.setWordWrap(True)
        self.empty_label.setStyleSheet("color: #707070;")
        self._rows_layout = QVBoxLayout()
        self._rows_layout.setContentsMargins(0, 0, 0, 0)
        self._rows_layout.setSpacing(2)
        self._rows_layout.addWidget(self.empty_label)
        self._rows_layout.addStretch(1)
        rows_widget = QWidget()
        rows_widget.setLayout(self._rows_layout)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(rows_widget)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(header)
        layout.addWidget(hint)
        layout.addWidget(scroll, 1)
        self.setToolTip("Runs kept to compare: their loss curves are dashed (test dotted) on the loss plot. Each "
                        "row lists the settings that differ from the current ones, as pinned → now.")
        self._update_empty()

    def pin(self, snapshot: Snapshot, dataset_key: str, thumbnail: QImage) -> PinnedRun:
        """Pin this run (its settings, loss history and final boundary's picture) as "Run N" in a free colour;
        with MAX_PINNED pinned already, the oldest is unpinned first."""
        if len(self._runs) == MAX_PINNED:
            self._remove_quietly(0)
        used = {run.color for run in self._runs}
        color = next(c for c in PINNED_COLORS if c not in used)
        run = PinnedRun.from_snapshot(f"Run {self._next_number}", snapshot, dataset_key, thumbnail, color)
        self._next_number += 1
        self._add(run)
        self.changed.emit()
        return run

    def restore(self, runs: list[PinnedRun]) -> None:
        """Show these runs instead (a reopened session's), numbering later pins after them."""
        while self._runs:
            self._remove_quietly(0)
        for run in runs[-MAX_PINNED:]:
            self._add(run)
        numbers = [int(run.name.removeprefix("Run ")) for run in runs if run.name.removeprefix("Run ").isdigit()]
        self._next_number = max(numbers, default=0) + 1
        self.changed.emit()

    def _add(self, run: PinnedRun) -> None:
        self._runs.append(run)
        row = _RunRow(run)
        row.remove_button.clicked.connect(lambda: self.remove(self._rows.index(row)))
        self._rows.append(row)
        self._rows_layout.insertWidget(len(self._rows) - 1, row)
        self._show_differences(row)
        self._update_empty()

    def remove(self, index: int) -> None:
        self._remove_quietly(index)
        self._update_empty()
        self.changed.emit()

    def clear(self) -> None:
        """Unpin every run; the next one pinned is Run 1 again."""
        while self._runs:
            self._remove_quietly(0)
        self._next_number = 1
        self._update_empty()
        self.changed.emit()

    def _remove_quietly(self, index: int) -> None:
        del self._runs[index]
        row = self._rows.pop(index)
        self._rows_layout.removeWidget(row)
        row.deleteLater()

    def runs(self) -> list[PinnedRun]:
        """The pinned runs, oldest first (a new list)."""
        return list(self._runs)

    def set_current(self, config: TrainConfig, dataset_key: str) -> None:
        """The settings now in use: each row lists how its run's differ from them."""
        self._current = (config, dataset_key)
        for row in self._rows:
            self._show_differences(row)

    def _show_differences(self, row: _RunRow) -> None:
        if self._current is None:
            row.differences.setText("")
            return
        config, key = self._current
        changes = differing_settings(row.run.config, config, row.run.dataset_key, key)
        row.differences.setText(", ".join(changes) if changes else "same settings as now")

    def _update_empty(self) -> None:
        self.empty_label.setVisible(not self._runs)
        self.clear_button.setEnabled(bool(self._runs))

    def row_texts(self) -> list[tuple[str, str]]:
        """Each row's label and differences as shown, oldest first."""
        return [(row.label.text(), row.differences.text()) for row in self._rows]


class _RunRow(QFrame):
    """One pinned run's row."""

    def __init__(self, run: PinnedRun):
        super().__init__()
        self.run = run
        self.setFrameShape(QFrame.Shape.StyledPanel)
        swatch = QLabel()
        swatch.setPixmap(_swatch(run.color))
        swatch.setToolTip("Its curves on the loss plot: train dashed, test dotted")
        thumbnail = QLabel()
        thumbnail.setFixedSize(THUMBNAIL_PX, THUMBNAIL_PX)
        thumbnail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        if not run.thumbnail.isNull():
            pixmap = QPixmap.fromImage(run.thumbnail)
            pixmap.setDevicePixelRatio(max(1.0, max(pixmap.width(), pixmap.height()) / THUMBNAIL_PX))
            thumbnail.setPixmap(pixmap)
            thumbnail.setToolTip("Its decision boundary when pinned")
        self.label = QLabel(run.label)
        self.label.setWordWrap(True)
        self.differences = QLabel()
        self.differences.setWordWrap(True)
        self.differences.setStyleSheet("color: #505050; font-size: 8pt;")
        self.remove_button = QToolButton()
        self.remove_button.setText("✕")
        self.remove_button.setAutoRaise(True)
        self.remove_button.setToolTip(f"Unpin {run.name}")
        texts = QVBoxLayout()
        texts.setSpacing(1)
        texts.addWidget(self.label)
        texts.addWidget(self.differences)
        texts.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 3, 2, 3)
        layout.addWidget(swatch, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(thumbnail, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(texts, 1)
        layout.addWidget(self.remove_button, 0, Qt.AlignmentFlag.AlignTop)


def _swatch(color: str) -> QPixmap:
    """A short dashed line in ``color``, as the run's train curve is drawn."""
    width, height = SWATCH_SIZE
    pixmap = QPixmap(width, height)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    pen = QPen(QColor(color), 2.5, Qt.PenStyle.DashLine)
    painter.setPen(pen)
    painter.drawLine(QPointF(1, height / 2), QPointF(width - 1, height / 2))
    painter.end()
    return pixmap
