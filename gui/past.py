"""The run's past in the window: the history bar's chosen epoch, drawn instead of the live network, and the
arithmetic of an inspected past update.

The one owner of what past is shown. Paused, it holds the worker's copy of every recorded epoch's weights
(worker.RecordedWeights, asked for once a pause), so a move of the history bar is drawn at once; an epoch the copy
does not hold (training goes on, or the copy is on its way) is asked of the worker. Resuming from a past epoch
makes a new network, so the window does that.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal, Slot

from gui.views.arithmetic import format_update
from gui.worker import Frame, Inspection, PastState, RecordedWeights


class RunPast(QObject):
    past_shown = Signal(object)  # the PastState the views now show (for tests and the benchmark)

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self._past: PastState | None = None
        self._recorded: RecordedWeights | None = None
        self._asked: tuple[int, int] | None = None  # (network, last epoch) asked for, not yet answered
        controller = window.controller
        window.history_bar.epoch_chosen.connect(self._epoch_chosen)
        window.history_bar.inspect_wanted.connect(lambda update: controller.inspect_update(window.network_id, update))
        controller.past_ready.connect(self._show_past)
        controller.recorded_ready.connect(self._take_recorded)
        controller.inspected.connect(self._show_inspection)

    def shown(self) -> PastState | None:
        """The past epoch the views show instead of the live network, if any."""
        return self._past

    def reset(self) -> None:
        """A new network in use: live, and nothing of the old one's past kept."""
        self._past = self._recorded = self._asked = None
        self.window.history_bar.reset()

    def recorded_held(self) -> int | None:
        """The last epoch of the recorded weights held for the network in use (None: none)."""
        held = self._held()
        return None if held is None else held.last_epoch()

    def show_editable(self, frame: Frame | None) -> None:
        """Edits apply to the live network, paused and not diverged (it could not train on): the diagram takes
        clicks then, and else says why not."""
        live = self._past is None
        diverged = frame is not None and frame.snapshot.diverged is not None
        self.window.network_diagram.set_editable(live and frame is not None and not frame.running and not diverged,
                                                 "past" if not live else "diverged" if diverged else "training")

    def frame_drawn(self, frame: Frame) -> None:
        """Paused, ask once for the recorded weights not held yet (a move is then drawn at once)."""
        if frame.running:
            self._asked = None  # a pause asks again
            return
        epochs = frame.snapshot.history["epoch"]
        wanted = (frame.network, int(epochs[-1]) if len(epochs) else 0)
        held = self._recorded
        if wanted == self._asked or (held is not None and (held.network, held.last_epoch()) == wanted):
            return
        self._asked = wanted
        self.window.controller.request_recorded(frame.network)

    def _held(self) -> RecordedWeights | None:
        held = self._recorded
        return held if held is not None and held.network == self.window.network_id else None

    @Slot(object)
    def _take_recorded(self, recorded: RecordedWeights) -> None:
        if recorded.network == self.window.network_id:
            self._recorded, self._asked = recorded, None

    @Slot(object)
    def _epoch_chosen(self, epoch: int | None) -> None:
        window = self.window
        if epoch is not None:
            held = self._held()
            past = None if held is None else held.past_at(epoch)
            if past is not None:
                self._show_past(past)
            else:
                window.controller.show_epoch(window.network_id, epoch)
            return
        self._past = None
        window.loss_plot.set_cursor(None)
        window.weights_plot.set_cursor(None)
        frame = window.drawn_frame()
        if frame is not None:
            window.show_weights(frame.snapshot.theta, final=not frame.running)
        self.show_editable(frame)

    @Slot(object)
    def _show_past(self, past: PastState) -> None:
        window = self.window
        if past.network != window.network_id or window.history_bar.chosen_epoch() is None:
            return  # answered too late: the network changed, or the user went back to live
        self._past = past
        self.show_editable(window.drawn_frame())
        window.show_weights(past.theta)
        window.loss_plot.set_cursor(past.epoch)
        window.weights_plot.set_cursor(past.epoch)
        self.past_shown.emit(past)

    @Slot(object)
    def _show_inspection(self, inspection: Inspection) -> None:
        window = self.window
        frame = window.drawn_frame()
        if inspection.network != window.network_id or frame is None:
            return
        text = format_update(inspection.snapshot, inspection.explanation, frame.dataset, frame.names,
                             frame.shown.index)
        window.arithmetic.setPlainText(f"Inspected update {inspection.update:,} (replayed; the run is at update "
                                       f"{frame.snapshot.updates:,})\n\n{text}")
        window.detail_tabs.setCurrentWidget(window.arithmetic.parentWidget())
