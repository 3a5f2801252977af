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
    GilTurns.gui_turn()         --event-->      should_stop() waits while the GUI draws (GIL-bound training)
    TrainingController.pause()  --flag-->       should_stop() sees the interrupt count change

Because the worker's loop is sliced and re-armed through its own event loop, commands queued by the GUI
(a step, a new trainer, a new learning rate) run between slices, and the interrupt counter stops a slice
within one step. The GUI never touches the Trainer once it has handed it over: it reads only Frames, which
hold immutable copies.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import sys
import threading
import time
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

from gui.views.shown_params import (  # noqa: F401 (MAX_SHOWN_PARAMS re-exported)
    MAX_BARS,
    MAX_SHOWN_PARAMS,
    ChangeHistogram,
    ShownParams,
    change_histogram,
    choose_shown_params,
)
from model.config import SettingError
from model.curvature import trainer_lr_limit
from model.datasets import Dataset
from model.trainer import Snapshot, Trainer

SLICE_SECONDS = 0.02  # longest a slice trains before publishing and looking at its queue
LIMITED_POLL_MS = 40  # a speed-limited run looks at its schedule (and a new speed) at least this often
SHUTDOWN_WAIT_MS = 5000
WORKER_BURST_SECONDS = 0.008  # a GIL-bound worker works this long, then rests WORKER_REST_SECONDS (GilTurns)
WORKER_REST_SECONDS = 0.004
GUI_YIELD_SECONDS = 0.05  # longest the worker waits for the GUI thread to go idle before its next call
LIMIT_SECONDS = 0.25  # a run re-estimates the largest stable learning rate at most this often
PROGRESS_SECONDS = 0.03  # a run publishes at least this often, from inside a long update too
LOADING_POLL_MS = 10  # how often a run waiting for its compiled loop looks again
SWITCH_INTERVAL = 0.0002  # seconds a thread waiting for the GIL waits before asking for it (Python's default: 5 ms)


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
    change: ChangeHistogram | None = None  # the last update's change over all parameters, when too many for bars
    progress: float = 0.0  # the share of the next update's batch computed so far (a long update under way)
    preparing: bool = False  # the run waits for its compiled loop (loading, or compiling on a first launch)
    lr_limit: float = math.nan  # estimated largest stable learning rate here (model/curvature.py); nan: none


@dataclass(frozen=True)
class PastState:
    """The network as it was at the end of a recorded epoch (0: the initial weights), for the history scrubber."""

    network: int
    epoch: int
    theta: np.ndarray  # read-only copy, theta's layout


@dataclass(frozen=True)
class RecordedWeights:
    """Every recorded epoch's weights of a network, copied once while it is paused, so the history bar's moves
    are served on the GUI thread at once (a round trip through the worker waits for its turn). A recorded
    epoch's weights never change (an edit changes the live network, not its history), so the copy stays true
    for every epoch it holds; epochs recorded after it are asked of the worker."""

    network: int
    epochs: np.ndarray  # (k,) int64, increasing: 0 (the initial weights), then the history's rows; read-only
    params: np.ndarray  # (k, n_params) float64, theta's layout, row i at epochs[i]; read-only

    @classmethod
    def of(cls, network: int, trainer: Trainer) -> RecordedWeights:
        history = trainer.history
        rows = history.epoch[: history.count] > 0
        epochs = np.concatenate([[0], history.epoch[: history.count][rows]])
        params = np.concatenate([trainer.theta_at_epoch(0)[None, :], history.params[: history.count][rows]])
        epochs.flags.writeable = params.flags.writeable = False
        return cls(network, epochs, params)

    def last_epoch(self) -> int:
        return int(self.epochs[-1])

    def past_at(self, epoch: int) -> PastState | None:
        """The weights at the end of ``epoch``, if the copy holds it."""
        i = int(np.searchsorted(self.epochs, epoch))
        if i == len(self.epochs) or self.epochs[i] != epoch:
            return None
        return PastState(self.network, int(epoch), self.params[i])


@dataclass(frozen=True)
class Inspection:
    """A past update, recomputed by replaying the run up to it: what the arithmetic panel shows of it."""

    network: int
    update: int
    snapshot: Snapshot  # the run right after that update (its last_update is the update)
    explanation: dict


@dataclass
class _RunState:
    token: int
    rate: float = 0.0  # epochs per second the schedule below was made for (0: flat out)
    start_time: float = 0.0
    start_epoch: int = 0


class GilTurns:
    """Turns at the GIL between the GUI thread and the training worker: the one place that decides when the
    worker waits for the window.

    PySide takes the GIL for nearly every virtual call on a widget it wrapped (a widget's paint checks for a
    Python override before it begins), so the GUI thread needs the GIL thousands of times a frame. A worker that
    holds it between short NumPy calls (Trainer.gil_bound: the NumPy path on small batches, used only while the
    compiled loop is unavailable) made each of those takes wait for a thread switch, and one paint of the window
    took seconds. So, at its checkpoints between updates (worker_checkpoint()), such a worker
      - waits without the GIL while the GUI thread feeds the views a frame (``with turns.gui_turn():``),
        at most GUI_YIELD_SECONDS at a time, and
      - rests WORKER_REST_SECONDS after every WORKER_BURST_SECONDS of work, which leaves the GUI thread whole
        moments for what happens outside the frames (paints after them, input, a resized window).
    The compiled loop and NumPy on big arrays release the GIL: they never wait. gui_turn() is for the GUI thread,
    worker_checkpoint() for the worker's."""

    def __init__(self):
        self._gui_idle = threading.Event()
        self._gui_idle.set()
        self._depth = 0  # nested turns
        self._burst_began = time.perf_counter()

    @contextlib.contextmanager
    def gui_turn(self):
        self._depth += 1
        self._gui_idle.clear()
        try:
            yield
        finally:
            self._depth -= 1
            if self._depth == 0:
                self._gui_idle.set()

    def holding(self) -> bool:
        return not self._gui_idle.is_set()

    def release(self) -> None:
        """Let the worker go whatever the GUI thread is doing (when shutting down)."""
        self._gui_idle.set()

    def worker_checkpoint(self) -> None:
        """Called by a GIL-bound worker between updates."""
        if not self._gui_idle.wait(GUI_YIELD_SECONDS):
            return  # the GUI took longer than that: one more update, then wait again
        now = time.perf_counter()
        if now - self._burst_began > WORKER_BURST_SECONDS:
            time.sleep(WORKER_REST_SECONDS)
            self._burst_began = time.perf_counter()


class TrainingWorker(QObject):
    """Owns the Trainer. Lives in a QThread; every slot runs there. Parentless, as moveToThread requires."""

    run_stopped = Signal(int, str)  # run token, reason: "max_epochs", "target", "diverged", "stop"
    past_ready = Signal(object)  # PastState: answers show_epoch
    inspected = Signal(object)  # Inspection: answers inspect_update
    branched = Signal(int, int, object)  # network, epoch, the new Trainer: answers branch
    refused = Signal(str)  # a command that could not be done, and why (one line)
    history_ready = Signal(int, object)  # network, the whole history (History.view(): every parameter)
    recorded_ready = Signal(object)  # RecordedWeights: answers send_recorded
    state_ready = Signal(int, str, object)  # network, what for, TrainerState: answers export_state

    def __init__(self, turns: GilTurns):
        super().__init__()
        self._turns = turns
        self._trainer: Trainer | None = None
        self._shown: ShownParams | None = None
        self._run: _RunState | None = None
        self._latest: Frame | None = None
        self._taken = True  # the GUI has pulled the latest frame
        self._published_at = 0.0
        self._preparing = False  # the run waits for its compiled loop
        self._lr_limit, self._limit_at, self._limit_cost = math.nan, -math.inf, 0.0
        self._seq = itertools.count(1)
        self._network = 0
        # Written by the GUI thread, read here: plain attributes (a single store is atomic).
        self.interrupts = 0
        self.max_epochs = 1000
        self.target_loss: float | None = None
        self.epochs_per_second = 0.0  # 0: as fast as possible
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
        self._shown = self._choose_shown(trainer)
        self._limit_at = -math.inf
        self._publish(explain=True)

    @staticmethod
    def _choose_shown(trainer: Trainer) -> ShownParams:
        return choose_shown_params(trainer.names, trainer.params.n_inputs, trainer.params.n_hidden,
                                   trainer.config.bias, theta=trainer.params.theta, epoch=trainer.epoch)

    @Slot()
    def repick_shown(self) -> None:
        """Show the hidden units with the largest |w2| now (the weights plot's context menu)."""
        if self._trainer is not None:
            self._shown = self._choose_shown(self._trainer)
            self._publish(explain=self._run is None)

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

    # --- the run's past (the history scrubber); each command names the network it is about ---------------
    @Slot(int, int)
    def show_epoch(self, network: int, epoch: int) -> None:
        """Publish the weights at the end of ``epoch``, or of the nearest recorded epoch before it (the history
        may have thinned since the GUI saw it)."""
        if self._trainer is None or network != self._network:
            return
        epoch = self._trainer.recorded_epoch_at_or_before(epoch)
        self.past_ready.emit(PastState(network, epoch, self._trainer.theta_at_epoch(epoch)))

    @Slot(int)
    def send_recorded(self, network: int) -> None:
        """Publish a copy of every recorded epoch's weights, if the network is paused (a run changes them)."""
        if network == self._network and self._idle():
            self.recorded_ready.emit(RecordedWeights.of(network, self._trainer))

    @Slot(int)
    def send_history(self, network: int) -> None:
        """Publish a copy of the whole history, every parameter's column (frames carry the shown ones only)."""
        if self._trainer is not None and network == self._network:
            self.history_ready.emit(network, self._trainer.history.view())

    @Slot(int, str)
    def export_state(self, network: int, purpose: str) -> None:
        """Copy the whole run (Trainer.export_state, a few ms) for the GUI to write as a session elsewhere."""
        if self._trainer is not None and network == self._network:
            self.state_ready.emit(network, purpose, self._trainer.export_state())

    @Slot(int, int)
    def inspect_update(self, network: int, update: int) -> None:
        """Replay the run up to ``update`` and publish that update and its arithmetic."""
        if self._trainer is None or network != self._network:
            return
        if not 1 <= update <= self._trainer.updates:
            self.refused.emit(f"update: {update:,} is not one of this run's updates (1 to {self._trainer.updates:,})")
            return
        past = self._trainer.state_after(update)
        self.inspected.emit(Inspection(network, update, past.snapshot(self._shown.index),
                                       past.explain_last_update()))

    @Slot(int, int)
    def branch(self, network: int, epoch: int) -> None:
        """Make a new trainer that continues from the end of ``epoch`` exactly as this run did (the GUI adopts
        it as a new network; this one is kept for Undo)."""
        if self._trainer is None or network != self._network or not self._idle():
            return
        self.branched.emit(network, epoch, self._trainer.state_at_epoch(epoch))

    @Slot(int, int, float)
    def set_parameter(self, network: int, index: int, value: float) -> None:
        """A weight or bias typed in by the user (paused, not diverged): the next update uses it; the run records
        it."""
        if self._trainer is None or network != self._network:
            return
        if not self._idle():
            self.refused.emit("Pause training to edit a weight.")
            return
        if self._trainer.diverged is not None:  # it could not be trained on
            self.refused.emit("Training diverged: to edit a weight, pick an earlier epoch on the history bar and "
                              "press Resume from here.")
            return
        try:
            self._trainer.set_parameter(index, value)
        except SettingError as exc:
            self.refused.emit(str(exc))
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
        if trainer.compiled_pending():  # its compiled loop is on its way: wait rather than contend with it
            self._preparing = True
            if not self._latest.preparing:
                self._publish(explain=False)  # the window says so (once it has taken the last frame)
            self._timer.start(LOADING_POLL_MS)
            return
        self._preparing = False
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
        """Between the trainer's updates (and row blocks of a long one): let the GUI thread finish drawing
        (GilTurns); publish a frame if a long update has kept the window waiting; stop if the GUI has
        interrupted the run."""
        if self._trainer.gil_bound:
            self._turns.worker_checkpoint()
        if self._taken and time.perf_counter() - self._published_at > PROGRESS_SECONDS:
            self._publish(explain=False)
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

    def _estimate_limit(self, trainer: Trainer, fresh: bool) -> float:
        """Re-estimated when fresh (paused, stepping) or LIMIT_SECONDS after the last (and at most 5 % of the
        time); never after a divergence: the weights kept are at its edge, the last estimate says more."""
        now = time.perf_counter()
        if trainer.diverged is None and (fresh or now - self._limit_at >= max(LIMIT_SECONDS, 20 * self._limit_cost)):
            self._lr_limit = trainer_lr_limit(trainer)
            self._limit_at, self._limit_cost = now, time.perf_counter() - now
        return self._lr_limit

    def _publish(self, explain: bool) -> None:
        """Store a new Frame for the GUI, unless a run is under way and the GUI has not taken the last one."""
        trainer = self._trainer
        if not explain and not self._taken:
            return
        snapshot = trainer.snapshot(self._shown.index)
        explanation = trainer.explain_last_update() if explain and snapshot.updates else None
        record = snapshot.last_update  # the distribution of its change, for networks too big for bars
        change = change_histogram(record.delta) if record is not None and len(snapshot.theta) > MAX_BARS else None
        self._published_at = time.perf_counter()
        self._latest = Frame(next(self._seq), self._network, snapshot, trainer.dataset, tuple(trainer.names),
                             self._shown, explanation, self._run is not None, trainer.on_compiled_path,
                             self._published_at, change, trainer.update_progress, self._preparing,
                             self._estimate_limit(trainer, fresh=explain))
        self._taken = False


class TrainingController(QObject):
    """GUI-thread side: owns the worker thread; every method is called on the GUI thread."""

    run_stopped = Signal(str)  # the current run ended: "max_epochs", "target", "diverged" or "stop"
    past_ready = Signal(object)  # PastState: answers show_epoch
    inspected = Signal(object)  # Inspection: answers inspect_update
    branched = Signal(int, int, object)  # network, epoch, the new Trainer: answers branch
    refused = Signal(str)  # a command that could not be done, and why (one line)
    history_ready = Signal(int, object)  # network, the whole history: answers request_history
    recorded_ready = Signal(object)  # RecordedWeights: answers request_recorded
    state_ready = Signal(int, str, object)  # network, what for, TrainerState: answers request_state

    _send_trainer = Signal(object, int)
    _send_start = Signal(int)
    _send_step_update = Signal()
    _send_step_epoch = Signal()
    _send_learning_rate = Signal(float)
    _send_stop = Signal()
    _send_repick = Signal()
    _send_show_epoch = Signal(int, int)
    _send_inspect = Signal(int, int)
    _send_branch = Signal(int, int)
    _send_parameter = Signal(int, int, float)
    _send_history = Signal(int)
    _send_recorded = Signal(int)
    _send_state = Signal(int, str)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.running = False
        self._token = -1
        self._thread = QThread()
        self._thread.setObjectName("training")
        self.turns = GilTurns()
        self._worker = TrainingWorker(self.turns)
        self._worker.moveToThread(self._thread)
        self._thread.finished.connect(self._worker.deleteLater)
        self._send_trainer.connect(self._worker.set_trainer)
        self._send_start.connect(self._worker.start_run)
        self._send_step_update.connect(self._worker.step_update)
        self._send_step_epoch.connect(self._worker.step_epoch)
        self._send_learning_rate.connect(self._worker.set_learning_rate)
        self._send_stop.connect(self._worker.stop)
        self._send_repick.connect(self._worker.repick_shown)
        self._send_show_epoch.connect(self._worker.show_epoch)
        self._send_inspect.connect(self._worker.inspect_update)
        self._send_branch.connect(self._worker.branch)
        self._send_parameter.connect(self._worker.set_parameter)
        self._send_history.connect(self._worker.send_history)
        self._send_recorded.connect(self._worker.send_recorded)
        self._send_state.connect(self._worker.export_state)
        # The answers, re-emitted by this object on the GUI thread (queued: the worker lives in its own thread).
        for name in ("past_ready", "inspected", "branched", "refused", "history_ready", "recorded_ready",
                     "state_ready"):
            getattr(self._worker, name).connect(getattr(self, name))
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

    @Slot()
    def repick_shown(self) -> None:
        self._send_repick.emit()

    def show_epoch(self, network: int, epoch: int) -> None:
        """Ask for the weights at a recorded epoch (answered by past_ready)."""
        self._send_show_epoch.emit(network, int(epoch))

    def inspect_update(self, network: int, update: int) -> None:
        """Ask for a past update's arithmetic (answered by inspected, or refused)."""
        self._send_inspect.emit(network, int(update))

    def branch(self, network: int, epoch: int) -> None:
        """Ask for a trainer that resumes from the end of ``epoch`` (answered by branched). Stops a run."""
        self._stop_run()
        self._send_branch.emit(network, int(epoch))

    def request_state(self, network: int, purpose: str) -> None:
        """Ask for a copy of the whole run to save (answered by state_ready with ``purpose``)."""
        self._send_state.emit(network, purpose)

    def request_recorded(self, network: int) -> None:
        """Ask for a copy of every recorded epoch's weights of the paused network (answered by recorded_ready;
        not while it trains)."""
        self._send_recorded.emit(network)

    def request_history(self, network: int) -> None:
        """Ask for the whole history (answered by history_ready)."""
        self._send_history.emit(network)

    def set_parameter(self, network: int, index: int, value: float) -> None:
        """Set one weight or bias of the paused network (refused while training, or for a bad value)."""
        self._send_parameter.emit(network, int(index), float(value))

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
        self.turns.release()
        self._stop_run()
        self._send_stop.emit()
        self._thread.quit()
        # A slice lasts ~20 ms and checks the interrupt at every step: the timeout is a safety net only.
        return self._thread.wait(SHUTDOWN_WAIT_MS)

    def _stop_run(self) -> None:
        self._worker.interrupt()
        self.running = False

    @Slot(int, str)
    def _on_worker_run_stopped(self, token: int, reason: str) -> None:
        if token == self._token and self.running:
            self.running = False
            self.run_stopped.emit(reason)
        elif token == self._token and reason != "stop":
            self.run_stopped.emit(reason)

