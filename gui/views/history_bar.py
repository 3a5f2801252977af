"""The history bar: a slider over the run's recorded epochs, to look at the network as it was then, inspect any
past update, and resume training from a past epoch.

The slider's positions are the recorded epochs (0, the initial weights, then the history's rows at its present
resolution) and, at the far right, "live". The bar only says what the user chose; the window asks the worker for
the weights of that epoch, an update's replay, or a trainer resumed from there.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSlider, QSpinBox, QWidget

LIVE_TEXT = "live"


class HistoryBar(QWidget):
    epoch_chosen = Signal(object)  # a recorded epoch (int), or None: back to the live network
    inspect_wanted = Signal(int)  # an update number (1-based)
    resume_wanted = Signal(int)  # an epoch to continue training from

    def __init__(self, parent=None):
        super().__init__(parent)
        self._epochs = np.zeros(1, dtype=np.int64)  # the recorded epochs, increasing; 0 first
        self._chosen: int | None = None
        self._updates_per_epoch = 1
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 1)
        self.slider.setValue(1)
        self.slider.setToolTip("Drag through the recorded epochs: the network, its maps, the boundary and the hidden "
                               "space show the network as it was then; the loss and weight plots mark the epoch. "
                               "Far right: live.")
        self.slider.valueChanged.connect(self._slider_moved)
        self.position_label = QLabel(LIVE_TEXT)
        self.position_label.setMinimumWidth(self.fontMetrics().horizontalAdvance("epoch 10,000,000 of 10,000,000"))
        self.live_button = QPushButton("Live")
        self.live_button.setToolTip("Back to the network as it is now")
        self.live_button.clicked.connect(self.go_live)
        self.update_box = QSpinBox()
        self.update_box.setRange(1, 1)
        self.update_box.setGroupSeparatorShown(True)
        self.update_box.setPrefix("update ")
        self.update_box.setToolTip("The update to inspect: it is recomputed exactly by replaying the run from the "
                                   "nearest stored state")
        self.inspect_button = QPushButton("Inspect")
        self.inspect_button.setToolTip("Show this update's arithmetic, exactly as it happened")
        self.inspect_button.clicked.connect(lambda: self.inspect_wanted.emit(self.update_box.value()))
        self.resume_button = QPushButton("Resume from here")
        self.resume_button.setToolTip("Continue training from the chosen epoch, exactly as this run went on (the same "
                                      "sample orders); change the learning rate first to try another way. The run "
                                      "as it is now stays in Edit > Undo.")
        self.resume_button.clicked.connect(lambda: self.resume_wanted.emit(self._chosen))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        title = QLabel("History")
        title.setStyleSheet("font-weight: bold;")
        layout.addWidget(title)
        layout.addWidget(self.slider, 1)
        for widget in (self.position_label, self.live_button, self.update_box, self.inspect_button,
                       self.resume_button):
            layout.addWidget(widget)
        self._show_state()

    # --- fed by the window ----------------------------------------------------------------------------
    def set_recorded(self, epochs: np.ndarray, updates: int, updates_per_epoch: int) -> None:
        """The epochs that can be shown (history rows; 0 is added), the updates made and an epoch's updates."""
        self._updates_per_epoch = max(1, updates_per_epoch)
        self.update_box.setMaximum(max(1, updates))
        self.update_box.setEnabled(updates > 0)
        self.inspect_button.setEnabled(updates > 0)
        last = int(epochs[-1]) if len(epochs) else 0
        if len(epochs) + 1 == len(self._epochs) and last == self._epochs[-1]:
            return  # the same rows as drawn (every frame of a paused run, and between new rows)
        self._epochs = np.concatenate([[0], np.asarray(epochs, dtype=np.int64)])
        self.slider.blockSignals(True)
        self.slider.setRange(0, len(self._epochs))
        self.slider.setValue(len(self._epochs) if self._chosen is None else self._index_of(self._chosen))
        self.slider.blockSignals(False)
        self._show_state()

    def reset(self) -> None:
        """A new network: live, nothing recorded yet."""
        self._chosen = None
        self.set_recorded(np.zeros(0, dtype=np.int64), 0, 1)
        self.slider.blockSignals(True)
        self.slider.setValue(self.slider.maximum())
        self.slider.blockSignals(False)
        self._show_state()

    # --- read and driven (the window, tests) ---------------------------------------------------------------
    def chosen_epoch(self) -> int | None:
        """The epoch shown, or None when live."""
        return self._chosen

    def recorded_epochs(self) -> np.ndarray:
        return self._epochs.copy()

    def choose_epoch(self, epoch: int | None) -> None:
        """Show the recorded epoch at or before ``epoch`` (None: live), as moving the slider there would."""
        self.slider.setValue(self.slider.maximum() if epoch is None else self._index_of(epoch))

    @Slot()
    def go_live(self) -> None:
        self.choose_epoch(None)

    def _index_of(self, epoch: int) -> int:
        return max(0, int(np.searchsorted(self._epochs, epoch, side="right")) - 1)

    @Slot(int)
    def _slider_moved(self, position: int) -> None:
        chosen = None if position >= len(self._epochs) else int(self._epochs[position])
        if chosen == self._chosen:
            return
        self._chosen = chosen
        if chosen is not None:
            self.update_box.setValue(max(1, chosen * self._updates_per_epoch))
        self._show_state()
        self.epoch_chosen.emit(chosen)

    def _show_state(self) -> None:
        live = self._chosen is None
        last = int(self._epochs[-1])
        self.position_label.setText(LIVE_TEXT if live else f"epoch {self._chosen:,} of {last:,}")
        self.live_button.setEnabled(not live)
        self.resume_button.setEnabled(not live)
