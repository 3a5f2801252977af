"""Training in a worker thread, and the GUI-side controller that talks to it.

    GUI thread                                  worker thread (its own event loop)
    ----------                                  ----------------------------------
    TrainingController.start()  --queued-->     TrainingWorker.start_run(): arms a single-shot QTimer
                                                _run_slice(): one trainer.run(..., should_stop,
                                                              max_seconds=0.02); the trainer checks
                                                              should_stop between its ms-long chunks
                                                              publish a Frame (one attribute swap)
                                                              re-arm the timer, or emit run_stopped
    frame timer (~33 Hz)        <--pull---      TrainingWorker.latest_frame()
    TrainingController.pause()  --flag-->       should_stop() sees the interrupt count change

Because the worker's loop is sliced and re-armed through its own event loop, commands queued by the GUI
(a step, a new trainer, a new learning rate) run between slices, and the interrupt counter stops a slice
within one step. The GUI never touches the Trainer once it has handed it over: it reads only Frames, which
hold immutable copies.
"""

from __future__ import annotations

import itertools
import math
import sys
import threading
import time
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

from model.datasets import Dataset
from model.network import Layout
from model.trainer import Snapshot, Trainer

SLICE_SECONDS = 0.02  # longest a slice trains before publishing and looking at its queue
MAX_SHOWN_PARAMS = 64  # weight curves and bars plotted at most (a 2-1024-1 network has 4097 parameters)
LIMITED_POLL_MS = 40  # a speed-limited run looks at its schedule (and a new speed) at least this often
SHUTDOWN_WAIT_MS = 5000
GUI_YIELD_SECONDS = 0.05  # longest the worker waits for the GUI thread to go idle before its next call
SWITCH_INTERVAL = 0.001  # seconds a thread waiting for the GIL waits before asking for it (Python's default: 5 ms)


@dataclass(frozen=True)
class ShownParams:
    """Which parameters the weight plots show: indices into theta, their names and a title saying so."""

    index: np.ndarray
    names: tuple[str, ...]
    caption: str


def choose_shown_params(names: list[str], n_inputs: int, n_hidden: int, bias: bool,
                        limit: int = MAX_SHOWN_PARAMS) -> ShownParams:
    """All parameters if they fit; otherwise every parameter of the first hidden units, and b2.

    Whole hidden units (incoming weights, bias, outgoing weight) say more than the first ``limit``
    entries of theta, which would all be weights from input 1. Disabled biases (always 0) are left out.
    """
    layout, h = Layout(n_inputs, n_hidden), n_hidden
    keep = np.ones(len(names), dtype=bool) if bias else ~layout.bias_mask()
    per_unit = n_inputs + (2 if bias else 1)
    units = h if keep.sum() <= limit else max(1, (limit - 1) // per_unit)
    unit_of = layout.hidden_unit()
    selected = keep & ((unit_of < units) | (unit_of == -1))
    index = np.flatnonzero(selected)
    total = len(names)
    if units == h:
        caption = f"all {len(index)} parameters" + ("" if bias else " (biases off)")
    else:
        caption = f"hidden units 1-{units} of {h}: {len(index)} of {total} parameters"
    return ShownParams(index, tuple(names[i] for i in index), caption)


@dataclass(frozen=True)
class Frame:
    """What the window draws, published by the worker: immutable copies only."""

    seq: int
    network: int  # the GUI's number for the network (trainer) this frame shows
    snapshot: Snapshot
    dataset: Dataset  # frozen, with read-only arrays: safe to share
    names: tuple[str, ...]  # every parameter's name, in theta's order
    shown: ShownParams
    explanation: dict | None  # Trainer.explain_last_update(), when paused or stepping
    running: bool
    compiled: bool  # the compiled per-sample kernel was in use
    time: float  # time.perf_counter() when published


@dataclass
class _RunState:
    token: int
    rate: float = 0.0  # epochs per second the schedule below was made for (0: flat out)
    start_time: float = 0.0
    start_epoch: int = 0


class TrainingWorker(QObject):
    """Owns the Trainer. Lives in a QThread; every slot runs there. Parentless, as moveToThread requires."""

    run_stopped = Signal(int, str)  # run token, reason: "max_epochs", "target", "diverged", "stop"

    def __init__(self):
        super().__init__()
        self._trainer: Trainer | None = None
        self._shown: ShownParams | None = None
        self._run: _RunState | None = None
        self._latest: Frame | None = None
        self._taken = True  # the GUI has pulled the latest frame
        self._seq = itertools.count(1)
        self._network = 0
        # Written by the GUI thread, read here: plain attributes (a single store is atomic).
        self.interrupts = 0
        self.max_epochs = 1000
        self.target_loss: float | None = None
        self.epochs_per_second = 0.0  # 0: as fast as possible
        # Cleared while the GUI thread draws a frame. Both threads need the GIL, and the GUI thread gives it
        # up and takes it back on most Qt calls while it paints: against a busy worker, drawing took 2-3 times
        # as long. So the worker waits (without the GIL) for the frame to be drawn before its next short call.
        self.gui_idle = threading.Event()
        self.gui_idle.set()
        self._timer = QTimer(self)  # a child, so it moves to the worker's thread with it
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._run_slice)

    # --- read from the GUI thread ---------------------------------------------------------------------
    def latest_frame(self) -> Frame | None:
        frame = self._latest
        self._taken = True
        return frame

    def interrupt(self) -> None:
        """Stop the slice under way at its next step (called from the GUI thread)."""
        self.interrupts += 1

    # --- commands (queued slots) ----------------------------------------------------------------------
    @Slot(object, int)
    def set_trainer(self, trainer: Trainer, network: int) -> None:
        self._end_run("stop")
        self._trainer, self._network = trainer, network
        d, h = trainer.params.n_inputs, trainer.params.n_hidden
        self._shown = choose_shown_params(trainer.names, d, h, trainer.config.bias)
        self._publish(explain=True)

    @Slot(int)
    def start_run(self, token: int) -> None:
        if self._trainer is None:
            return
        self._run = _RunState(token)
        self._timer.start(0)

    @Slot()
    def step_update(self) -> None:
        if self._idle():
            self._trainer.step_update()
            self._publish(explain=True)

    @Slot()
    def step_epoch(self) -> None:
        if self._idle():
            self._trainer.step_epoch()
            self._publish(explain=True)

    @Slot(float)
    def set_learning_rate(self, lr: float) -> None:
        if self._trainer is not None:
            self._trainer.set_learning_rate(lr)  # the GUI validated it; applies from the next update
            if self._idle():
                self._publish(explain=True)

    def _idle(self) -> bool:
        """True when no run is under way; ends a run that the GUI has interrupted but that has not
        yet noticed it (it was waiting for its next slice)."""
        if self._run is not None and self.interrupts != self._run.token:
            self._end_run("stop")
        return self._trainer is not None and self._run is None

    @Slot()
    def stop(self) -> None:
        """Before the thread quits: end a run without publishing."""
        self._timer.stop()
        self._run = None

    # --- the sliced run loop --------------------------------------------------------------------------
    @Slot()
    def _run_slice(self) -> None:
        """Train for up to SLICE_SECONDS, publish, and re-arm (or end the run)."""
        run, trainer = self._run, self._trainer
        if run is None or trainer is None:
            return
        if self.interrupts != run.token:
            self._end_run("stop")
            return
        remaining = self.max_epochs - trainer.epoch
        if remaining <= 0:
            self._end_run("max_epochs")
            return
        due = self._epochs_due(run, trainer, remaining)
        if due == 0:  # speed-limited and ahead of schedule
            self._publish(explain=False)
            self._timer.start(self._ms_until_next_epoch(run, trainer))
            return
        # The trainer calls should_stop between its chunks of a few milliseconds, so an interrupt is seen at once.
        result = trainer.run(due, target_loss=self.target_loss, should_stop=lambda: self._should_stop(run),
                             max_seconds=SLICE_SECONDS)
        if result.stopped_by in ("target", "diverged", "stop"):
            self._end_run(result.stopped_by)
            return
        if trainer.epoch >= self.max_epochs:
            self._end_run("max_epochs")
            return
        if run.rate and self._epochs_due(run, trainer, self.max_epochs - trainer.epoch) > run.rate * 0.5:
            run.start_time, run.start_epoch = time.perf_counter(), trainer.epoch  # cannot keep up: drop the backlog
        self._publish(explain=False)
        self._timer.start(0 if not run.rate else self._ms_until_next_epoch(run, trainer))

    def _should_stop(self, run: _RunState) -> bool:
        """Between the trainer's chunks: first let the GUI thread finish painting if it asked (hold_worker),
        then stop if the GUI has interrupted the run."""
        self.gui_idle.wait(GUI_YIELD_SECONDS)
        return self.interrupts != run.token

    def _epochs_due(self, run: _RunState, trainer: Trainer, remaining: int) -> int:
        rate = self.epochs_per_second
        if rate <= 0:
            run.rate = 0.0
            return remaining
        now = time.perf_counter()
        if rate != run.rate:  # a new speed: a new schedule from here, with one epoch due at once
            run.rate, run.start_time, run.start_epoch = rate, now - 1.0 / rate, trainer.epoch
        due = math.floor((now - run.start_time) * rate) - (trainer.epoch - run.start_epoch)
        return max(0, min(due, remaining))

    @staticmethod
    def _ms_until_next_epoch(run: _RunState, trainer: Trainer) -> int:
        next_at = run.start_time + (trainer.epoch - run.start_epoch + 1) / run.rate
        wait_ms = (next_at - time.perf_counter()) * 1000.0
        return int(min(max(wait_ms, 1.0), LIMITED_POLL_MS))

    def _end_run(self, reason: str) -> None:
        self._timer.stop()
        run, self._run = self._run, None
        if run is not None:
            self._publish(explain=True)
            self.run_stopped.emit(run.token, reason)

    def _publish(self, explain: bool) -> None:
        """Store a new Frame for the GUI, unless a run is under way and the GUI has not taken the last one."""
        trainer = self._trainer
        if not explain and not self._taken:
            return
        snapshot = trainer.snapshot(self._shown.index)
        explanation = trainer.explain_last_update() if explain and snapshot.updates else None
        self._latest = Frame(next(self._seq), self._network, snapshot, trainer.dataset, tuple(trainer.names),
                             self._shown, explanation, self._run is not None, trainer.on_compiled_path,
                             time.perf_counter())
        self._taken = False


class TrainingController(QObject):
    """GUI-thread side: owns the worker thread; every method is called on the GUI thread."""

    run_stopped = Signal(str)  # the current run ended: "max_epochs", "target", "diverged" or "stop"

    _send_trainer = Signal(object, int)
    _send_start = Signal(int)
    _send_step_update = Signal()
    _send_step_epoch = Signal()
    _send_learning_rate = Signal(float)
    _send_stop = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.running = False
        self._token = -1
        self._thread = QThread()
        self._thread.setObjectName("training")
        self._worker = TrainingWorker()
        self._worker.moveToThread(self._thread)
        self._thread.finished.connect(self._worker.deleteLater)
        self._send_trainer.connect(self._worker.set_trainer)
        self._send_start.connect(self._worker.start_run)
        self._send_step_update.connect(self._worker.step_update)
        self._send_step_epoch.connect(self._worker.step_epoch)
        self._send_learning_rate.connect(self._worker.set_learning_rate)
        self._send_stop.connect(self._worker.stop)
        self._worker.run_stopped.connect(self._on_worker_run_stopped)
        sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL))
        self._thread.start()
        self._alive = True

    # --- commands ---------------------------------------------------------------------------------
    def set_trainer(self, trainer: Trainer, network: int) -> None:
        """Hand a new trainer to the worker (the GUI must not touch it afterwards). Stops a run.
        ``network`` numbers it: frames carry the number, so the GUI can skip frames of an older one."""
        self._stop_run()
        self._send_trainer.emit(trainer, network)

    def start(self) -> None:
        if self.running:
            return
        self.running = True
        self._token = self._worker.interrupts
        self._send_start.emit(self._token)

    def pause(self) -> None:
        self._stop_run()

    def step_update(self) -> None:
        self._stop_run()
        self._send_step_update.emit()

    def step_epoch(self) -> None:
        self._stop_run()
        self._send_step_epoch.emit()

    def set_learning_rate(self, lr: float) -> None:
        self._send_learning_rate.emit(float(lr))

    def set_limits(self, max_epochs: int, target_loss: float | None) -> None:
        self._worker.max_epochs = int(max_epochs)
        self._worker.target_loss = target_loss

    def set_speed(self, epochs_per_second: float) -> None:
        self._worker.epochs_per_second = float(epochs_per_second)

    def latest_frame(self) -> Frame | None:
        return self._worker.latest_frame() if self._alive else None

    def is_finished(self) -> bool:
        """True once the worker thread has ended (after shutdown()); it cannot be restarted."""
        return self._thread.isFinished() and not self._thread.isRunning()

    def shutdown(self) -> bool:
        """Stop the run and join the thread; safe to call twice. False if the thread did not stop."""
        if not self._alive:
            return True
        self._alive = False
        self._worker.gui_idle.set()
        self._stop_run()
        self._send_stop.emit()
        self._thread.quit()
        # A slice lasts ~20 ms and checks the interrupt at every step: the timeout is a safety net only.
        return self._thread.wait(SHUTDOWN_WAIT_MS)

    def _stop_run(self) -> None:
        self._worker.interrupt()
        self.running = False

    @Slot()
    def hold_worker(self) -> None:
        """Make the worker wait before its next training call (at most GUI_YIELD_SECONDS) while the GUI
        draws; release_worker() lets it go on. The run itself is not interrupted."""
        self._worker.gui_idle.clear()

    @Slot()
    def release_worker(self) -> None:
        self._worker.gui_idle.set()

    @Slot(int, str)
    def _on_worker_run_stopped(self, token: int, reason: str) -> None:
        if token == self._token and self.running:
            self.running = False
            self.run_stopped.emit(reason)
        elif token == self._token and reason != "stop":
            self.run_stopped.emit(reason)

