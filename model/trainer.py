"""The trainer: the one owner of a training run's state.

It holds the settings, the dataset, the parameters, the random stream for sample order, the position
inside the current epoch, the per-epoch history and the record of the last update. Work can be split any
way (one update, one epoch, N epochs): the result is the same, because sample orders are drawn from the
stream exactly when an epoch's first update is made, and epoch totals are carried across calls.

Update modes and their epochs:
    sample         n updates, one per sample in order (notebooks 000, 001)
    random_sample  n updates, each on one sample drawn with replacement (004)
    minibatch      ceil(n / batch_size) updates on a fresh shuffle each epoch
    full           1 update on the whole training set (002, 003)

Per-epoch numbers: the train loss of an epoch is the mean over its samples of the loss each update saw
before it was applied (what the notebooks print), and so are the train accuracy / R^2; test loss and
test metrics are evaluated on the network at the end of the epoch.

The run's past: weight edits and learning-rate changes are logged (``events``); the history's rows and epoch
0 are recorded states (``theta_at_epoch``), and any past update can be made again from the one before it
(``state_after``, ``state_at_epoch``, ``inspect_update``), bit for bit: see model/replay.py. The whole state is
copied out and taken back by ``export_state`` and ``from_state`` (TrainerState: what a session file holds,
model/session.py).
"""

from __future__ import annotations

import math
import numbers
import time
from dataclasses import dataclass

import numpy as np

from model import kernel, replay
from model.config import SettingError, TrainConfig, check_lr
from model.datasets import Dataset
from model.history import COLUMNS, DEFAULT_CAPACITY, History
from model.network import (
    Layout,
    NetworkSpec,
    Params,
    Workspace,
    add_weight_decay,
    apply_update,
    backward,
    evaluate_many,
    explain,
    forward,
    init_params,
    loss_value,
    predict,
)
from model.replay import STREAM_WORDS, Checkpoint, Event, stored_array, stored_int

DRAWING_MODES = ("random_sample", "minibatch")  # modes that draw a sample order each epoch
# A chunk of updates is one compiled call (or one pass of the NumPy loop): long enough to amortise the call and
# the bookkeeping, short enough (a few ms) that a stop request or a time limit is served at once.
CHUNK_WORK = 1_000_000  # samples x parameters: the first chunk's size; later ones are timed (CHUNK_SECONDS)
GIL_BOUND_VALUES = 4096  # batch x hidden below which a NumPy-path update is mostly Python (see Trainer.gil_bound)
EXPLAIN_MAX_ROWS = 64  # samples of a batch the arithmetic panel's explanation recomputes (it lists 8)
CHUNK_SECONDS = 0.005  # what a chunk should last: stop requests are checked between chunks
MAX_CHUNK_UPDATES = 65536
NUMPY_CHUNK_WORK = 100_000  # samples x parameters: chunks of a few ms on the NumPy path too
NUMPY_MAX_CHUNK_UPDATES = 128  # a small network's update costs ~30 us of NumPy calls, whatever its size
# The NumPy path works through a batch in blocks of rows, so its buffers stay small (and in cache) whatever the
# data's size, and a stop request is served between blocks of a long update. The block size depends on the
# hidden size alone, so the same settings always sum in the same order.
ROW_BLOCK_VALUES = 1 << 16  # rows x hidden units per block
# Which path a configuration takes is a static rule of its shape (see compiled_path): the compiled loop is
# scalar, the NumPy phases pay ~30 us of calls per update but vectorise (SIMD transcendental functions, BLAS).
# An update's compiled cost grows with batch x hidden x the activation's scalar cost; past this, NumPy wins.
COMPILED_MAX_WORK = 6000
SCALAR_COST = {"sigmoid": 3.0, "tanh": 3.0}  # relative to relu, linear and leaky_relu (1)
STOPPED = 3  # a stop request served inside a long update (NumPy path): that update was not applied
TEST_COLUMNS = ("test_loss", "test_metric")  # an epoch's numbers on the test set, when the dataset has one
MAX_COUNT = 2**62  # epochs and updates a stored state may claim


def compiled_path(config: TrainConfig, n_inputs: int, n_samples: int) -> bool:
    """Whether ``config`` on data of this shape trains on the compiled loop (once it is ready).

    A rule of the settings and the data's shape alone, never of a run's length or of a timing, so a run gives the
    same bits however it is split. Per-sample modes below 2048 hidden units take the compiled loop; minibatch and
    full batch take it while batch x hidden x (3 for sigmoid and tanh, else 1) <= COMPILED_MAX_WORK.
    """
    batch = {"full": n_samples, "minibatch": min(config.batch_size, n_samples)}.get(config.mode, 1)
    return batch * config.hidden * SCALAR_COST.get(config.activation, 1.0) <= COMPILED_MAX_WORK


@dataclass(frozen=True)
class UpdateRecord:
    """One update: what it saw and what it changed. Arrays are copies, in theta's layout."""

    update: int  # 1-based count of updates since the start
    epoch: int  # 1-based epoch the update belongs to
    samples: np.ndarray  # indices of the training rows in the batch
    loss: float  # mean loss over the batch before the update
    prediction: np.ndarray  # the network's output for each sample of the batch, before the update
    lr: float
    theta_before: np.ndarray
    grad: np.ndarray
    delta: np.ndarray  # the applied change: -lr * grad


def epoch_count(epochs: int, position: int, updates_per_epoch: int) -> str:
    """Completed epochs, and the updates made in the unfinished one: "2,001 (+1/2)", or "2,002" when no epoch
    is open. The one way the app counts epochs (status bar, arithmetic panel, divergence messages)."""
    partial = f" (+{position:,}/{updates_per_epoch:,})" if position else ""
    return f"{epochs:,}{partial}"


@dataclass(frozen=True)
class Divergence:
    """Where training diverged, counted as the status bar counts: ``epoch`` completed epochs and ``position``
    updates of the next when update number ``update`` failed (the weights kept are those before it)."""

    epoch: int
    position: int
    updates_per_epoch: int
    update: int
    lr: float
    data: bool = False  # the loss was not finite before any update: the data, not the learning rate

    @property
    def where(self) -> str:
        return f"update {self.update:,}, after epoch {epoch_count(self.epoch, self.position, self.updates_per_epoch)}"

    @property
    def reason(self) -> str:
        if self.data:
            return ("the loss of the initial network is not finite on this data; its inputs or targets are too "
                    "large to compute with.")
        return (f"the loss or a weight became infinite or NaN; the last finite weights are kept. Try a smaller "
                f"learning rate than {self.lr:g}.")

    @property
    def message(self) -> str:
        return f"training diverged at {self.where}: {self.reason}"


@dataclass(frozen=True)
class Snapshot:
    """An immutable copy of what a view needs, taken between steps (arrays are read-only copies)."""

    epoch: int
    updates: int
    position: int  # updates made in the unfinished epoch
    updates_per_epoch: int
    config: TrainConfig
    theta: np.ndarray
    history: dict[str, np.ndarray]  # History.view(): epoch, train_loss, test_loss, metric, test_metric, params
    last_update: UpdateRecord | None
    last_epoch: dict[str, float] | None
    diverged: Divergence | None


@dataclass(frozen=True)
class RunResult:
    epochs: int  # epochs completed in this call
    updates: int
    stopped_by: str  # "epochs", "target", "diverged", "stop", "time"


@dataclass(frozen=True)
class TrainerState:
    """Everything a run is (Trainer.export_state), in the two kinds a file holds (model/session.py): ``facts``,
    numbers and names for JSON, and ``arrays``. Trainer.from_state goes on from it bit for bit.

    facts:
        epoch, updates, position      completed epochs, applied updates, updates made in the unfinished epoch
        row_block                     rows per block on the NumPy path (it orders a batch's sums)
        history_capacity, history_stride
        stream_gauss, origin_gauss    the stream's Gaussian cache [has_gauss, cached_gaussian], now and at epoch 0
        last_epoch                    the names of the latest closed epoch's numbers (arrays["last_epoch"]), or null
        last_update                   {"lr", "loss_sum"} of the last applied update (its arrays: last_*), or null
        diverged                      {"lr", "data"} (Divergence; where: the counts above), or null
    arrays (P parameters, n training rows, W = STREAM_WORDS; k rows each, m the last batch's samples):
        theta (P,), origin_theta (P,)          the parameters now, and at epoch 0 (where replays begin)
        stream (W,), origin_stream (W,) uint32 the sample-order stream's key words and position, now and at epoch 0
        order (n,) int64                       the sample order of the epoch under way
        carry (5,)                             that epoch's sums so far (EpochTotals' columns)
        history_epoch (k,) int64, history_params (k, P), history_states (k, W or 0) uint32, history_<COLUMN> (k,)
        drawn_epochs (k,) int64, drawn_states (k, W) uint32   stream states kept for epochs drawn, not yet closed
        event_update, event_index (k,) int64, event_value, event_old (k,)   Trainer.events (replay.EVENT_COLUMNS)
        paths (k, 2) int64                     (updates made, 1 compiled / 0 NumPy) where the run switched paths
        last_epoch (k,)                        the latest closed epoch's numbers
        last_samples (m,) int64, last_prediction (m,), last_theta_before (P,), last_grad (P,)   the last update
    Arrays are float64 unless said; they are copies, except the dataset's (read-only, shared).
    """

    config: TrainConfig
    dataset: Dataset
    facts: dict
    arrays: dict[str, np.ndarray]


class EpochTotals:
    """Running sums over an epoch's samples, as the compiled loop keeps them: one row of (E, 5) arrays."""

    LOSS, SAMPLES, CORRECT, SSRES, SSTOT = range(kernel.TOTALS)  # SSRES: (p - y)^2, SSTOT: (y - mean y)^2

    @classmethod
    def values(cls, sums: np.ndarray, classification: bool) -> dict[str, np.ndarray]:
        """The epochs' train loss and accuracy (classification) or R^2, from their sums (E, 5)."""
        values = {"train_loss": sums[:, cls.LOSS] / sums[:, cls.SAMPLES]}
        if classification:
            values["metric"] = sums[:, cls.CORRECT] / sums[:, cls.SAMPLES]
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                values["metric"] = np.where(sums[:, cls.SSTOT] > 0,
                                            1.0 - sums[:, cls.SSRES] / sums[:, cls.SSTOT], np.nan)
        return values


def _gauss(stream: tuple) -> list:
    """A RandomState.get_state() tuple's Gaussian cache, for JSON: [has_gauss, cached_gaussian]."""
    return [int(stream[3]), float(stream[4])]


@dataclass
class _LastUpdate:
    """What the latest applied update saw and did (owned by the trainer; copied into an UpdateRecord)."""

    samples: np.ndarray
    theta_before: np.ndarray
    grad: np.ndarray
    prediction: np.ndarray
    loss_sum: float
    lr: float

    @classmethod
    def like(cls, other: _LastUpdate) -> _LastUpdate:
        return cls(other.samples, np.empty_like(other.theta_before), np.empty_like(other.grad),
                   np.empty_like(other.prediction), math.nan, other.lr)


class Trainer:
    def __init__(self, config: TrainConfig, dataset: Dataset, initial: Params | None = None,
                 history_capacity: int = DEFAULT_CAPACITY):
        self.dataset = dataset
        self.config = config
        self.spec = NetworkSpec.from_config(config)
        if self.spec.loss.needs_sigmoid:
            targets = dataset.y if dataset.y_test is None else np.vstack([dataset.y, dataset.y_test])
            if not ((targets >= 0) & (targets <= 1)).all():
                raise SettingError("loss", config.loss, "needs targets between 0 and 1; this dataset has others")
        d = dataset.n_inputs
        # One stream: the initial weights first, then the sample orders (as in notebook 004); its state is read
        # fast, for the history's rows (model/replay.py).
        self.rng, self._stream = replay.new_stream(config.seed)
        if initial is None:
            self.params = init_params(config, d, self.rng)
        else:
            if (initial.n_inputs, initial.n_hidden) != (d, config.hidden):
                raise SettingError("weights", f"{initial.n_inputs} inputs x {initial.n_hidden} hidden",
                                   f"must match the dataset's {d} inputs and hidden = {config.hidden}")
            self.params = initial.copy()
            if not config.bias:
                self.params.b1[...] = 0.0
                self.params.b2[...] = 0.0
        self.layout = self.params.layout
        self.names = self.layout.names()
        n, size = len(dataset.X), self.layout.size
        self.n_samples = n
        self.epoch = 0  # completed epochs
        self.updates = 0  # applied updates
        self.position = 0  # updates made in the current, unfinished epoch
        # The share of the next update's batch computed so far, while a long (NumPy path) update is under way: read
        # by the window's worker between row blocks, to show a 10^5-row update progressing.
        self.update_progress = 0.0
        self._in_order = np.arange(n, dtype=np.int64)[None, :]
        self.order = self._in_order[0]  # sample order of the current epoch
        # where each update's batch begins and ends inside an epoch's order
        batch = {"full": n, "minibatch": config.batch_size}.get(config.mode, 1)
        self._bounds = np.minimum(np.arange(0, n + batch, batch), n)[: -(-n // batch) + 1].astype(np.int64)
        self._max_batch = int(np.diff(self._bounds).max())
        self.uses_compiled = compiled_path(config, d, n)
        # updates per chunk on each path (the NumPy path also runs while the compiled loop is not ready yet)
        self._chunk_updates = {path: max(1, min(most, work // (size * self._max_batch)))
                               for path, work, most in ((True, CHUNK_WORK, MAX_CHUNK_UPDATES),
                                                        (False, NUMPY_CHUNK_WORK, NUMPY_MAX_CHUNK_UPDATES))}
        # Public so tests can make the internal boundaries small: a cap on updates per chunk, rows per block.
        self.max_chunk_updates = MAX_CHUNK_UPDATES
        self.row_block = max(1, ROW_BLOCK_VALUES // config.hidden)
        self._classification = dataset.task == "classification"
        self._carry = np.zeros(kernel.TOTALS)  # the unfinished epoch's sums (EpochTotals' columns)
        # Rows keep the stream's state in the modes that draw orders: a run continues exactly from any row.
        self.history = History(size, history_capacity, STREAM_WORDS if config.mode in DRAWING_MODES else 0)
        self._drawn_states: dict[int, np.ndarray] = {}  # epoch -> stream state at its end, until it closes
        origin = self.params.theta.copy()
        origin.flags.writeable = False
        self._origin = Checkpoint(0, origin, self.rng.get_state())  # epoch 0: where replays begin without a row
        self._events: list[Event] = []  # edits and learning-rate changes, in order (Trainer.events)
        self._paths: list[tuple[int, bool]] = []  # (updates made, compiled) where a run switched paths
        self._numpy_forced = False  # a replay remaking updates first made on the NumPy path
        self.diverged: Divergence | None = None
        self.last_epoch: dict[str, float] | None = None  # the latest closed epoch's numbers
        self._last: _LastUpdate | None = None
        self._out = _LastUpdate(np.empty(0, np.int64), np.empty(size), np.empty(size), np.empty(self._max_batch),
                                math.nan, config.lr)  # where a chunk writes its last update
        self._work = np.empty((3, size))
        self._before, self._prediction = np.empty(size), np.empty(self._max_batch)  # NumPy path scratch
        # (y - mean y)^2 per training sample: R^2's denominator, summed over the samples actually seen
        with np.errstate(over="ignore", invalid="ignore"):  # data too large to square: R^2 is then undefined
            self._sstot = ((dataset.y - dataset.y.mean()) ** 2).ravel()
        self._problem = kernel.Problem(dataset.X, dataset.y, self._sstot, d, config.hidden, self.layout.b1_at,
                                       self.layout.w2_at, self.layout.b2_at, self.spec.activation.code,
                                       self.spec.output.code, self.spec.loss.code, config.bias, config.l2,
                                       self._classification, kernel.loop_shape(self._max_batch, config.hidden))
        self._grad, self._block_grad = Params(d, config.hidden), Params(d, config.hidden)
        self._workspaces: dict[int, Workspace] = {}
        self._batch_x: dict[int, np.ndarray] = {}

    # --- settings that change without a reset -------------------------------------------------------
    def set_learning_rate(self, lr: float) -> None:
        """Train with ``lr`` from the next update on; a change is logged (Trainer.events)."""
        lr = check_lr(lr)
        if lr != self.config.lr:
            self._events.append(Event(self.updates, "lr", replay.LR_INDEX, lr, self.config.lr))
            self.config = self.config.replace(lr=lr)

    def set_parameter(self, index: int, value: float) -> None:
        """Set theta[index] to ``value`` (the next update starts from it) and log the edit (Trainer.events).
        Raises SettingError for an index outside theta, a bias of a network without biases, or a value that is
        not a finite number."""
        self._check_edit(index, value)
        old = float(self.params.theta[index])
        self.params.theta[index] = value
        self._events.append(Event(self.updates, "param", int(index), float(value), old))

    def _check_edit(self, index: int, value: float) -> None:
        size = self.layout.size
        if not isinstance(index, int | np.integer) or isinstance(index, bool) or not 0 <= index < size:
            raise SettingError("parameter", index, f"must be an index from 0 to {size - 1}")
        name = self.names[index]
        biases = (self.layout.b1, self.layout.b2)
        if not self.config.bias and any(part.start <= index < part.stop for part in biases):
            raise SettingError(name, value, "is a bias, and this network has none (bias = false)")
        if not isinstance(value, numbers.Real) or isinstance(value, bool) or not math.isfinite(value):
            raise SettingError(name, value, "must be a finite number")

    @property
    def events(self) -> tuple[Event, ...]:
        """The edits and learning-rate changes made so far, in order (read-only records)."""
        return tuple(self._events)

    # --- sizes ----------------------------------------------------------------------------------------
    @property
    def updates_per_epoch(self) -> int:
        return len(self._bounds) - 1

    @property
    def on_compiled_path(self) -> bool:
        """Whether the next updates run on the compiled loop: the rule picks it and it is ready."""
        return self.uses_compiled and kernel.ready(self._problem.key) is not None

    @property
    def gil_bound(self) -> bool:
        """Whether the next updates hold the GIL most of the time: the NumPy path on small batches x hidden units,
        where Python's overhead between NumPy calls is most of an update (big arrays release the GIL in NumPy's
        loops and BLAS). A window then takes turns with the training thread."""
        return not self.on_compiled_path and self._max_batch * self.config.hidden < GIL_BOUND_VALUES

    def compiled_pending(self) -> bool:
        """Whether the compiled loop this configuration trains on is on its way (a background warm-up is loading
        or compiling it): a live run may rather wait for it than train on the NumPy path meanwhile."""
        return self.uses_compiled and kernel.pending(self._problem.key)

    @property
    def kernel_key(self) -> tuple[int, int]:
        """The compiled loop this configuration trains on (when compiled_path picks it): kernel.KEYS' entry."""
        return self._problem.key

    def prepare_compiled(self) -> bool:
        """Compile (or load) the loop this configuration trains on, waiting for it, when the rule picks it: what
        a command-line run does first, so its numbers never depend on whether numba had finished. Returns
        on_compiled_path."""
        if self.uses_compiled:
            kernel.warm_up([self._problem.key])
        return self.on_compiled_path

    # --- stepping -------------------------------------------------------------------------------------
    def step_update(self) -> UpdateRecord | None:
        """Make one update and return the record of the last update applied (after a divergence no update is
        made, and the record is the last finite one's)."""
        self._advance(1, target_loss=None)
        return self.last_update()

    def step_epoch(self) -> RunResult:
        """Finish the current epoch (a whole one if none is under way)."""
        return self._advance(self.updates_per_epoch - self.position, target_loss=None)

    def run(self, epochs: int, target_loss: float | None = None, should_stop=None,
            max_seconds: float | None = None) -> RunResult:
        """Train ``epochs`` more epochs (finishing the current one first), stopping early when an epoch's
        train loss is <= target_loss, when should_stop() is true (checked between chunks of a few
        milliseconds' work; on the NumPy path also between updates, and between row blocks of a long update),
        after max_seconds, or on divergence."""
        n_updates = epochs * self.updates_per_epoch - self.position if epochs > 0 else 0
        return self._advance(n_updates, target_loss, should_stop, max_seconds)

    def _advance(self, n_updates, target_loss, should_stop=None, max_seconds=None) -> RunResult:
        start_epoch, start_updates = self.epoch, self.updates
        deadline = None if max_seconds is None else time.perf_counter() + max_seconds
        target = -math.inf if target_loss is None else float(target_loss)
        remaining, stopped_by = n_updates, "epochs"
        with np.errstate(over="ignore", invalid="ignore"):
            while remaining > 0:
                if self.diverged:
                    stopped_by = "diverged"
                    break
                if should_stop is not None and should_stop():
                    stopped_by = "stop"
                    break
                if deadline is not None and time.perf_counter() > deadline:
                    stopped_by = "time"
                    break
                compiled = kernel.ready(self._problem.key) if self.uses_compiled and not self._numpy_forced else None
                path = compiled is not None
                if not self._paths or self._paths[-1][1] != path:  # compiled and NumPy agree to 1e-12, not in bits
                    self._paths.append((self.updates, path))
                count = min(remaining, self.max_chunk_updates, self._chunk_updates[path])
                began = time.perf_counter()
                done, status = self._chunk(count, target, compiled, should_stop)
                remaining -= done
                self._fit_chunk(path, count, done, time.perf_counter() - began)
                if status == kernel.DIVERGED:
                    stopped_by = "diverged"
                    break
                if status == kernel.TARGET_REACHED:
                    stopped_by = "target"
                    break
                if status == STOPPED:
                    stopped_by = "stop"
                    break
        return RunResult(self.epoch - start_epoch, self.updates - start_updates, stopped_by)

    def _fit_chunk(self, path: bool, count: int, done: int, seconds: float) -> None:
        """Size the next chunks on this path to last about CHUNK_SECONDS, as measured: a stop request (checked
        between chunks) is then served within that, whatever an update costs. Chunk sizes never change
        results (tests/test_model_splits.py)."""
        if done < count or done == 0 or seconds <= 0:
            return  # a chunk cut short says little about the time an update takes
        fitted = done * CHUNK_SECONDS / seconds
        current = self._chunk_updates[path]
        most = MAX_CHUNK_UPDATES if path else NUMPY_MAX_CHUNK_UPDATES
        self._chunk_updates[path] = int(max(1, min(most, math.sqrt(current * fitted))))  # halfway, in log

    # --- a chunk of updates ---------------------------------------------------------------------------
    def _chunk(self, count: int, target: float, compiled, should_stop) -> tuple[int, int]:
        """Make up to ``count`` updates: compiled when the kernel is ready and the configuration takes it, else
        with the NumPy phases (the two agree to 1e-12). Returns (updates applied, status)."""
        orders, stride, rng_before = self._plan(count)
        closing = (self.position + count) // self.updates_per_epoch
        epoch_sums, rows = np.empty((closing, kernel.TOTALS)), np.empty((closing, self.layout.size))
        out = self._out
        if compiled is not None:
            done, status, attempted_loss = kernel.run_updates(
                compiled, self._problem, orders, stride, self._bounds, self.position, count, self.params.theta,
                self.config.lr, target, self._carry, epoch_sums, rows, out.grad, out.prediction, out.theta_before,
                self._work)
        else:
            done, status, attempted_loss = self._numpy_updates(orders, stride, count, target, epoch_sums, rows,
                                                               should_stop)
        if rng_before is not None and done < count:
            # Stopped early: draw again only the orders of the epochs that were begun, so the stream is where
            # an unsplit run would have it.
            first = 0 if self.position == 0 else self.updates_per_epoch - self.position
            begun = 0 if done <= first else -(-(done - first) // self.updates_per_epoch)
            self.rng.set_state(rng_before)
            self._draw_orders(begun, self._states_every(self.epoch + (self.position + done) // self.updates_per_epoch))
        if compiled is not None:
            out.loss_sum = attempted_loss  # the last applied update's, unless it diverged (_keep_last replays it)
        if done:
            self._keep_last(orders, stride, done, status, compiled)
        closed = (self.position + done) // self.updates_per_epoch
        if closed:
            self._close_epochs(epoch_sums[:closed], rows[:closed])
        if (self.position + done) % self.updates_per_epoch:  # the order of the epoch still under way
            self.order = orders[((self.position + done) // self.updates_per_epoch) * stride]
        self.updates += done
        self.position = (self.position + done) % self.updates_per_epoch
        if status == kernel.DIVERGED:
            self._diverge(attempted_loss)
        return done, status

    def _plan(self, count: int):
        """The sample orders of the epochs the next ``count`` updates touch: row 0 is the epoch under way (if
        one is), then one row per epoch begun, drawn now. Returns (orders (E, n), row stride (0 when every epoch
        is in order), rng state before any draw or None)."""
        if self.config.mode not in DRAWING_MODES:
            return self._in_order, 0, None
        upe, position = self.updates_per_epoch, self.position
        first = 0 if position == 0 else min(count, upe - position)  # updates left in the epoch under way
        new_epochs = -(-(count - first) // upe)
        current = [self.order[None, :]] if first else []  # taken before the draws below replace self.order
        rng_before = self.rng.get_state() if new_epochs else None
        keep_every = self._states_every(self.epoch + (position + count) // upe)
        orders = np.concatenate([*current, self._draw_orders(new_epochs, keep_every)])
        return orders, 1, rng_before

    def _states_every(self, last_epoch: int) -> int:
        """Keep the stream's state at the end of the epochs that are multiples of this (0: none): those that
        are history rows once the epochs up to ``last_epoch`` close, and all that may be later."""
        return self.history.stride_after(last_epoch) if self.history.state_words else 0

    def _draw_orders(self, epochs: int, keep_every: int) -> np.ndarray:
        """The sample orders of the next ``epochs`` epochs, (epochs, n); the last becomes self.order. Keeps the
        stream's state right after the order of each epoch that is a multiple of ``keep_every`` (0: none): its
        state at that epoch's end, since the next draw is the next epoch's order."""
        n = self.n_samples
        orders = np.empty((epochs, n), dtype=np.int64)
        first = self.epoch + 1 + (self.position > 0)  # the epoch the first order is for
        kept = range(-first % keep_every + 1, epochs + 1, keep_every) if keep_every else range(0)  # orders before
        if (self.config.mode == "random_sample" and len(kept) >= replay.FAST_DRAW_MIN_STATES
                and self._stream.draws_fast):
            states = self._stream.draw_below(n, orders.reshape(-1), [end * n for end in kept])  # one draw for all
        else:
            states, start = [], 0
            for end in kept:
                self._fill_orders(orders[start:end])
                states.append(self._stream.words())
                start = end
            self._fill_orders(orders[start:])
        self._drawn_states.update(zip([first + end - 1 for end in kept], states, strict=True))
        if epochs:
            self.order = orders[-1]
        return orders

    def _fill_orders(self, orders: np.ndarray) -> None:
        """Draw the sample orders ``orders`` (epochs, n), in turn."""
        n = self.n_samples
        if not len(orders):
            return
        if self.config.mode == "random_sample":  # one draw of epochs * n equals epochs draws of n, in order
            orders[...] = self.rng.randint(0, n, size=orders.shape)
        else:
            for order in orders:
                order[...] = self.rng.permutation(n)

    def _keep_last(self, orders, stride, done, status, compiled) -> None:
        """Keep the last applied update's record from what the chunk left in self._out."""
        last_position = (self.position + done - 1) % self.updates_per_epoch
        row = ((self.position + done - 1) // self.updates_per_epoch) * stride
        lo, hi = self._bounds[last_position], self._bounds[last_position + 1]
        out = self._out
        if status == kernel.DIVERGED and compiled is not None:
            # The compiled chunk's grad and predictions are the rejected update's: make the last applied one
            # again, from the parameters it started from, on scratch copies (same code, same bits).
            theta, carry = out.theta_before.copy(), np.zeros(kernel.TOTALS)
            sums, rows = np.empty((1, kernel.TOTALS)), np.empty((1, self.layout.size))
            _, _, out.loss_sum = kernel.run_updates(
                compiled, self._problem, orders[row : row + 1], 0, self._bounds, last_position, 1, theta,
                self.config.lr, -math.inf, carry, sums, rows, out.grad, out.prediction, np.empty_like(theta),
                np.empty_like(self._work))
        out.samples, out.lr = orders[row, lo:hi].copy(), self.config.lr
        self._out, self._last = self._last or _LastUpdate.like(out), out

    # --- the NumPy path -------------------------------------------------------------------------------
    def _numpy_updates(self, orders, stride, count, target, epoch_sums, rows, should_stop) -> tuple[int, int, float]:
        """The contract of the compiled loop (model/kernel.py _updates), with the NumPy phases, through each
        batch in blocks of self.row_block rows. The last applied update's numbers go to self._out."""
        upe, out, carry = self.updates_per_epoch, self._out, self._carry
        pos, row, closed, batch_loss = self.position, 0, 0, 0.0
        for u in range(count):
            # Here the NumPy path holds the GIL for a whole chunk: asking before each update lets a caller
            # (the window's worker) give the GIL away promptly, as well as stop.
            if u and should_stop is not None and should_stop():
                return u, STOPPED, batch_loss
            lo, hi = self._bounds[pos], self._bounds[pos + 1]
            sums = self._batch_gradient(orders[row * stride, lo:hi], self._prediction, should_stop)
            if sums is None:
                return u, STOPPED, batch_loss
            batch_loss = sums[EpochTotals.LOSS]
            if not math.isfinite(batch_loss):
                return u, kernel.DIVERGED, batch_loss
            np.copyto(self._before, self.params.theta)
            if not apply_update(self.params, self._grad, self.config.lr, self._workspace(min(hi - lo, self.row_block))):
                return u, kernel.DIVERGED, batch_loss
            np.copyto(out.theta_before, self._before)
            np.copyto(out.grad, self._grad.theta)
            out.prediction[: hi - lo] = self._prediction[: hi - lo]
            out.loss_sum = batch_loss
            for k in range(kernel.TOTALS):  # left to right, as the compiled loop sums
                carry[k] += sums[k]
            pos += 1
            if pos == upe:
                pos, row = 0, row + 1
                epoch_sums[closed], rows[closed] = carry, self.params.theta
                closed += 1
                carry[:] = 0.0
                if epoch_sums[closed - 1, 0] / epoch_sums[closed - 1, 1] <= target:
                    return u + 1, kernel.TARGET_REACHED, batch_loss
        return count, kernel.DONE, batch_loss

    def _batch_gradient(self, samples: np.ndarray, prediction: np.ndarray, should_stop) -> list[float] | None:
        """Fill self._grad with the batch mean gradient over ``samples`` (plus weight decay) and prediction[:m]
        with the outputs, block by block; return the batch's sums (EpochTotals' columns), or None when
        should_stop() asked to stop between two blocks."""
        X, y, spec, m = self.dataset.X, self.dataset.y, self.spec, len(samples)
        in_order = self.config.mode == "full"  # the whole set in order: blocks are slices, no copies
        grad, sums = self._grad, [0.0, float(m), 0.0, 0.0, 0.0]
        block_grad = self._block_grad
        for lo in range(0, m, self.row_block):
            hi = min(m, lo + self.row_block)
            self.update_progress = lo / m
            if lo and should_stop is not None and should_stop():
                self.update_progress = 0.0
                return None
            rows = samples[lo:hi]
            if in_order:
                xb, yb = X[lo:hi], y[lo:hi]
            else:
                xb, yb = np.take(X, rows, axis=0, out=self._batch_buffer(hi - lo)), y[rows]
            ws = self._workspace(hi - lo)
            forward(self.params, xb, ws, spec)
            sums[EpochTotals.LOSS] += loss_value(ws, yb, spec)
            prediction[lo:hi] = ws.p[:, 0]
            backward(self.params, xb, yb, ws, spec, grad if lo == 0 else block_grad, batch_size=m, decay=False)
            if lo:
                grad.theta += block_grad.theta
            residual = np.subtract(ws.p, yb, out=ws.scratch)
            if self._classification:
                sums[EpochTotals.CORRECT] += np.count_nonzero((ws.p >= 0.5) == (yb >= 0.5))
            sums[EpochTotals.SSRES] += float(np.dot(residual[:, 0], residual[:, 0]))
            sums[EpochTotals.SSTOT] += float(self._sstot[lo:hi].sum() if in_order else self._sstot[rows].sum())
        add_weight_decay(self.params, grad, spec)
        self.update_progress = 0.0
        return sums

    def _batch_buffer(self, m: int) -> np.ndarray:
        if m not in self._batch_x:
            self._batch_x[m] = np.empty((m, self.dataset.n_inputs))
        return self._batch_x[m]

    def _workspace(self, m: int) -> Workspace:
        if m not in self._workspaces:
            self._workspaces[m] = Workspace(m, self.params.n_inputs, self.params.n_hidden)
        return self._workspaces[m]

    # --- epoch bookkeeping ----------------------------------------------------------------------------
    def _close_epochs(self, sums: np.ndarray, rows: np.ndarray) -> None:
        k = len(sums)
        epochs = np.arange(self.epoch + 1, self.epoch + k + 1)
        values = EpochTotals.values(sums, self._classification)
        if self.dataset.has_test:
            # Only the epochs the history keeps at its resolution, and the latest: the rest would be thrown away.
            wanted = epochs % self.history.stride == 0
            wanted[-1] = True
            for name in TEST_COLUMNS:
                values[name] = np.full(k, np.nan)
            test = evaluate_many(rows[wanted], self.dataset.X_test, self.dataset.y_test, self.spec, self.layout,
                                 self._classification)
            for name, column in zip(TEST_COLUMNS, test, strict=True):
                values[name][wanted] = column
        self.history.append(epochs, values, rows, self._drawn_states)
        self._drawn_states = {epoch: state for epoch, state in self._drawn_states.items() if epoch > epochs[-1]}
        self.epoch += k
        self.last_epoch = {name: float(column[-1]) for name, column in values.items()}

    def _diverge(self, loss_sum: float) -> None:
        data = self.updates == 0 and not math.isfinite(loss_sum)
        self.diverged = Divergence(self.epoch, self.position, self.updates_per_epoch, self.updates + 1, self.config.lr,
                                   data)

    # --- reading the state ----------------------------------------------------------------------------
    def last_update(self) -> UpdateRecord | None:
        last = self._last
        if self.updates == 0 or last is None:
            return None
        m = len(last.samples)
        epoch = self.epoch if self.position == 0 else self.epoch + 1
        return UpdateRecord(self.updates, epoch, last.samples.copy(), last.loss_sum / m, last.prediction[:m].copy(),
                            last.lr, last.theta_before.copy(), last.grad.copy(), last.grad * -last.lr)

    def snapshot(self, param_columns: slice | np.ndarray | None = None) -> Snapshot:
        """Copies of the state; ``param_columns`` (a slice or index array) limits the parameter history to some
        of theta's entries."""
        history = self.history.view(param_columns)
        for array in history.values():
            array.flags.writeable = False
        theta = self.params.theta.copy()
        theta.flags.writeable = False
        return Snapshot(self.epoch, self.updates, self.position, self.updates_per_epoch, self.config, theta,
                        history, self.last_update(), dict(self.last_epoch) if self.last_epoch else None,
                        self.diverged)

    def explain_last_update(self, max_rows: int | None = EXPLAIN_MAX_ROWS) -> dict[str, np.ndarray] | None:
        """Every intermediate value of the last update, recomputed from the weights it started from: for the
        first ``max_rows`` samples of its batch (None: all), so that a paused 10^5-row full batch explains
        itself in a millisecond rather than seconds. The per-sample terms dz2 and dz1 are those of the whole
        batch (its mean divides by the batch's size m, which ``"m"`` holds); the loss, gradient and change
        are the update's own."""
        record = self.last_update()
        if record is None:
            return None
        before = Params(self.params.n_inputs, self.params.n_hidden, record.theta_before)
        m = len(record.samples)
        rows = record.samples if max_rows is None or m <= max_rows else record.samples[:max_rows]
        e = explain(before, self.dataset.X[rows], self.dataset.y[rows], self.spec, record.lr)
        if len(rows) < m:
            for key in ("dz2", "dz1"):  # explain() divided by len(rows): the batch divides by m
                e[key] *= len(rows) / m
            e.update(loss=np.array(record.loss), grad=record.grad.copy(), delta=record.delta.copy(), m=np.array(m))
        return e

    # --- the whole state, to save and reopen (model/session.py) -----------------------------------------
    def export_state(self) -> TrainerState:
        """Copies of everything this run is (TrainerState), taken between steps: what from_state needs to go on
        bit for bit. Costs a copy of the history (a few ms at most: bench/session.py); the dataset is shared."""
        stream, last, history = self.rng.get_state(), self._last, self.history
        facts = {"epoch": self.epoch, "updates": self.updates, "position": self.position, "row_block": self.row_block,
                 "history_capacity": history.capacity, "history_stride": history.stride,
                 "stream_gauss": _gauss(stream), "origin_gauss": _gauss(self._origin.stream),
                 "last_epoch": None if self.last_epoch is None else list(self.last_epoch),
                 "last_update": None if last is None else {"lr": last.lr, "loss_sum": float(last.loss_sum)},
                 "diverged": None if self.diverged is None else {"lr": self.diverged.lr, "data": self.diverged.data}}
        drawn = sorted(self._drawn_states)
        arrays = {"theta": self.params.theta.copy(), "order": self.order.copy(), "carry": self._carry.copy(),
                  "stream": replay.stream_words(stream), "origin_theta": self._origin.theta.copy(),
                  "origin_stream": replay.stream_words(self._origin.stream),
                  "drawn_epochs": np.array(drawn, dtype=np.int64),
                  "drawn_states": np.array([self._drawn_states[e] for e in drawn], np.uint32).reshape(-1, STREAM_WORDS),
                  "paths": np.array(self._paths, dtype=np.int64).reshape(-1, 2), **replay.event_columns(self._events),
                  **{f"history_{name}": rows for name, rows in history.filled().items()}}
        if self.last_epoch is not None:
            arrays["last_epoch"] = np.array(list(self.last_epoch.values()), dtype=np.float64)
        if last is not None:
            arrays.update(last_samples=last.samples.copy(), last_prediction=last.prediction[: len(last.samples)].copy(),
                          last_theta_before=last.theta_before.copy(), last_grad=last.grad.copy())
        return TrainerState(self.config, self.dataset, facts, arrays)

    @classmethod
    def from_state(cls, state: TrainerState) -> Trainer:
        """The run ``state`` holds (export_state), going on bit for bit; a SettingError naming the first fact or
        array that does not fit the settings, the dataset or the rest (a damaged or edited file)."""
        config, dataset, facts, arrays = state.config, state.dataset, state.facts, state.arrays
        d = dataset.n_inputs
        theta = stored_array(arrays, "theta", np.float64, (Layout(d, config.hidden).size,), finite=True)
        trainer = cls(config, dataset, Params(d, config.hidden, theta))
        trainer._restore_position(facts, arrays)
        trainer._restore_past(facts, arrays)
        trainer._restore_last(facts, arrays)
        trainer.row_block = stored_int(facts, "row_block", 1, 2**31)
        written = trainer.export_state()  # what export_state writes is exactly what is read here
        for kind, given, known in (("fact", facts, written.facts), ("array", arrays, written.arrays)):
            if set(given) != set(known):
                odd = sorted(set(given) ^ set(known))[0]
                raise SettingError(f"trainer {kind}", odd, "is not part of this run's state" if odd in given else
                                   "is missing")
        return trainer

    def _restore_position(self, facts: dict, arrays: dict) -> None:
        """Counts, the epoch under way (its order and sums) and the stream, from a TrainerState."""
        n, upe = self.n_samples, self.updates_per_epoch
        epoch = stored_int(facts, "epoch", 0, MAX_COUNT // upe)
        position = stored_int(facts, "position", 0, upe - 1)
        updates = stored_int(facts, "updates", 0, MAX_COUNT)
        if updates != epoch * upe + position:
            raise SettingError("updates", updates, f"must be epoch x {upe} (updates per epoch) + position = "
                               f"{epoch * upe + position:,}")
        order = stored_array(arrays, "order", np.int64, (n,))
        if ((order < 0) | (order >= n)).any():
            raise SettingError("order", "an index", f"must be sample indices from 0 to {n - 1}")
        self.epoch, self.updates, self.position, self.order = epoch, updates, position, order.copy()
        self._carry[:] = stored_array(arrays, "carry", np.float64, (kernel.TOTALS,))
        self.rng.set_state(replay.checked_stream(arrays, "stream", facts.get("stream_gauss")))

    def _restore_past(self, facts: dict, arrays: dict) -> None:
        """Epoch 0, the history, the stream states of epochs drawn, the events and the paths, from a TrainerState."""
        size, mode = self.layout.size, self.config.mode
        origin = stored_array(arrays, "origin_theta", np.float64, (size,), finite=True).copy()
        origin.flags.writeable = False
        self._origin = Checkpoint(0, origin, replay.checked_stream(arrays, "origin_stream", facts.get("origin_gauss")))
        rows = {key.removeprefix("history_"): rows for key, rows in arrays.items() if key.startswith("history_")}
        self.history = History.from_filled(rows, size, facts.get("history_capacity"), facts.get("history_stride"),
                                           self.history.state_words)
        if self.history.count and self.history.epoch[self.history.count - 1] > self.epoch:
            raise SettingError("history_epoch", int(self.history.epoch[self.history.count - 1]),
                               f"must be at most the epochs made ({self.epoch:,})")
        epochs = stored_array(arrays, "drawn_epochs", np.int64, (None,))
        states = stored_array(arrays, "drawn_states", np.uint32, (len(epochs), STREAM_WORDS))
        fits = (mode in DRAWING_MODES or not len(epochs)) and (epochs > self.epoch).all()
        if not fits or (np.diff(epochs) <= 0).any() or (states[:, -1] >= STREAM_WORDS).any():
            raise SettingError("drawn_epochs", replay.short(epochs), f"must be increasing epochs after {self.epoch:,}, "
                               "with stream states, in a mode that draws orders")
        self._drawn_states = {int(epoch): state.copy() for epoch, state in zip(epochs, states, strict=True)}
        events = replay.events_from_columns(arrays, size, self.updates)
        for event in events:
            if event.kind == "lr":
                check_lr(event.value)
                check_lr(event.old)
            else:
                for value in (event.value, event.old):
                    self._check_edit(event.index, value)
        self._events = events
        paths = stored_array(arrays, "paths", np.int64, (None, 2))
        if len(paths) and (paths[0, 0] < 0 or paths[-1, 0] > self.updates or (np.diff(paths[:, 0]) < 0).any()
                           or not np.isin(paths[:, 1], (0, 1)).all()):
            raise SettingError("paths", replay.short(paths.ravel()), f"must be (updates made, 0 or 1) in order, up to "
                               f"{self.updates:,}")
        self._paths = [(int(at), bool(compiled)) for at, compiled in paths]

    def _restore_last(self, facts: dict, arrays: dict) -> None:
        """The latest epoch's numbers, the last update and a divergence, from a TrainerState."""
        names = facts.get("last_epoch")
        if names is not None:
            if not isinstance(names, list) or not set(names) <= set(COLUMNS) or len(set(names)) != len(names):
                raise SettingError("last_epoch", names, f"must be names among {', '.join(COLUMNS)}, or null")
            values = stored_array(arrays, "last_epoch", np.float64, (len(names),))
            self.last_epoch = dict(zip(names, values.tolist(), strict=True))
        last = facts.get("last_update")
        if last is not None:
            self._last = self._stored_update(last, arrays)
        diverged = facts.get("diverged")
        if diverged is not None:
            if not isinstance(diverged, dict) or set(diverged) != {"lr", "data"} or type(diverged["data"]) is not bool:
                raise SettingError("diverged", diverged, 'must be {"lr": a learning rate, "data": true or false}')
            self.diverged = Divergence(self.epoch, self.position, self.updates_per_epoch, self.updates + 1,
                                       check_lr(diverged["lr"]), diverged["data"])

    def _stored_update(self, last: object, arrays: dict) -> _LastUpdate:
        """The last update's record from a TrainerState, in buffers of its own (they become a chunk's _out)."""
        valid = (isinstance(last, dict) and set(last) == {"lr", "loss_sum"} and isinstance(last["loss_sum"], float)
                 and math.isfinite(last["loss_sum"]))
        if not valid:
            raise SettingError("last_update", last, 'must be {"lr": a learning rate, "loss_sum": a finite number}')
        size, n = self.layout.size, self.n_samples
        samples = stored_array(arrays, "last_samples", np.int64, (None,))
        if not 1 <= len(samples) <= self._max_batch or ((samples < 0) | (samples >= n)).any():
            raise SettingError("last_samples", replay.short(samples), f"must be 1 to {self._max_batch} sample indices "
                               f"from 0 to {n - 1}")
        record = _LastUpdate(samples.copy(), np.empty(size), np.empty(size), np.empty(self._max_batch),
                             last["loss_sum"], check_lr(last["lr"]))
        record.theta_before[:] = stored_array(arrays, "last_theta_before", np.float64, (size,), finite=True)
        record.grad[:] = stored_array(arrays, "last_grad", np.float64, (size,), finite=True)
        record.prediction[: len(samples)] = stored_array(arrays, "last_prediction", np.float64, (len(samples),))
        return record

    # --- the run's past: recorded epochs, and replays from them (model/replay.py) -----------------------
    def theta_at_epoch(self, epoch: int) -> np.ndarray:
        """The parameters at the end of a recorded ``epoch`` (a history row; 0: the initial weights), as a
        read-only copy; KeyError for an epoch not recorded (the history keeps multiples of its stride)."""
        if epoch == 0:
            theta = self._origin.theta
        else:
            row = self.history.row_at_or_before(epoch)
            if row < 0 or self.history.epoch[row] != epoch:
                raise KeyError(f"epoch {epoch:,} is not recorded (the history keeps every {self.history.stride:,})")
            theta = self.history.params[row]
        theta = theta.copy()
        theta.flags.writeable = False
        return theta

    def recorded_epoch_at_or_before(self, epoch: int) -> int:
        """The latest recorded epoch (theta_at_epoch has it) that is <= ``epoch``; 0 when none is."""
        row = self.history.row_at_or_before(epoch)
        return int(self.history.epoch[row]) if row >= 0 else 0

    def state_after(self, update: int) -> Trainer:
        """A new trainer in this run's state right after ``update`` updates (0 to self.updates), before any edit
        made while paused there: the same parameters, stream, position, history rows (at this history's
        resolution), events, learning rate, last update and last epoch. Continued with the same settings, it
        gives the same bits as this run did. Made again from the nearest recorded point before ``update`` (see
        model/replay.py); this trainer is not changed. SettingError for an update out of range."""
        self._check_update(update, 0)
        start = self._checkpoint_before(update)
        fork = self._fork(start, replay.lr_before(self._events, start.epoch * self.updates_per_epoch, self.config.lr))
        for at, change in replay.changes_between(self._events, self._paths, fork.updates, update):
            fork._advance(at - fork.updates, target_loss=None)
            if isinstance(change, Event):
                fork._apply(change)
            else:
                fork._numpy_forced = not change
        fork._advance(update - fork.updates, target_loss=None)
        fork._numpy_forced = False
        return fork

    def state_at_epoch(self, epoch: int) -> Trainer:
        """A new trainer in this run's state at the end of ``epoch`` ("resume from here"): state_after the
        epoch's last update."""
        if (not isinstance(epoch, int | np.integer) or isinstance(epoch, bool)
                or not 0 <= epoch * self.updates_per_epoch <= self.updates):
            raise SettingError("epoch", epoch, f"must be a whole number from 0 to {self.epoch:,} (the epochs made)")
        return self.state_after(int(epoch) * self.updates_per_epoch)

    def inspect_update(self, update: int, max_rows: int | None = EXPLAIN_MAX_ROWS
                       ) -> tuple[UpdateRecord, dict[str, np.ndarray]]:
        """The record of past update number ``update`` (1 to self.updates) and its explanation, as
        last_update() and explain_last_update(max_rows) gave them right after it (made again by state_after)."""
        self._check_update(update, 1)
        past = self.state_after(update)
        return past.last_update(), past.explain_last_update(max_rows)

    def _check_update(self, update: int, lowest: int) -> None:
        if not isinstance(update, int | np.integer) or isinstance(update, bool) or not lowest <= update <= self.updates:
            raise SettingError("update", update, f"must be a whole number from {lowest} to {self.updates:,}")

    def _checkpoint_before(self, update: int) -> Checkpoint:
        """The recorded point nearest before ``update``, strictly (so that update is made again and its record
        known): the history row of the latest recorded epoch whose end comes before it, or epoch 0."""
        history = self.history
        usable = history.state_words or self.config.mode not in DRAWING_MODES  # rows with what a replay needs
        row = history.row_at_or_before((update - 1) // self.updates_per_epoch) if update and usable else -1
        if row < 0:
            return self._origin
        stream = self._origin.stream
        if history.state_words:
            stream = replay.stream_state(history.states[row], stream)
        return Checkpoint(int(history.epoch[row]), history.params[row].copy(), stream)

    def _fork(self, start: Checkpoint, lr: float) -> Trainer:
        """A new trainer at ``start``, with this run's past up to there and the learning rate ``lr``."""
        initial = Params(self.params.n_inputs, self.params.n_hidden, start.theta)
        fork = Trainer(self.config.replace(lr=lr), self.dataset, initial)
        fork.history = self.history.copy_until(start.epoch)
        fork.rng.set_state(start.stream)
        fork.epoch, fork.updates = start.epoch, start.epoch * self.updates_per_epoch
        fork.last_epoch = self._epoch_numbers(start.epoch)
        fork._origin = self._origin
        fork._events = [event for event in self._events if event.update < fork.updates]
        fork._paths = [(at, compiled) for at, compiled in self._paths if at < fork.updates]
        fork.row_block, fork.max_chunk_updates = self.row_block, self.max_chunk_updates  # the same sums, in order
        return fork

    def _epoch_numbers(self, epoch: int) -> dict[str, float] | None:
        """last_epoch as it was when ``epoch`` (recorded, or 0) had just closed."""
        if epoch == 0:
            return None
        row = self.history.row_at_or_before(epoch)
        names = ("train_loss", "metric", *(TEST_COLUMNS if self.dataset.has_test else ()))
        return {name: float(self.history.columns[name][row]) for name in names}

    def _apply(self, event: Event) -> None:
        if event.kind == "lr":
            self.set_learning_rate(event.value)
        else:
            self.set_parameter(event.index, event.value)

    def evaluate(self) -> dict[str, float]:
        """Loss and accuracy / R^2 of the current network on the training set (and test set)."""
        theta = self.params.theta[None, :]
        args = (self.spec, self.layout, self._classification)
        loss, metric = evaluate_many(theta, self.dataset.X, self.dataset.y, *args)
        result = {"train_loss": float(loss[0]), "metric": float(metric[0])}
        if self.dataset.has_test:
            loss, metric = evaluate_many(theta, self.dataset.X_test, self.dataset.y_test, *args)
            result.update(test_loss=float(loss[0]), test_metric=float(metric[0]))
        return result

    def predict(self, X: np.ndarray) -> np.ndarray:
        return predict(self.params, X, self.spec)
