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
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from model import kernel
from model.config import SettingError, TrainConfig, check_lr
from model.datasets import Dataset
from model.history import History
from model.network import (
    NetworkSpec,
    Params,
    Workspace,
    apply_update,
    backward,
    explain,
    forward,
    init_params,
    loss_value,
    param_names,
    predict,
)

DRAWING_MODES = ("random_sample", "minibatch")  # modes that draw a sample order each epoch
# A chunk of updates is one compiled call: long enough to amortise the call and the bookkeeping, short
# enough (a few ms) that a stop request or a time limit is served at once.
CHUNK_WORK = 4_000_000  # samples x parameters
MAX_CHUNK_UPDATES = 16384
# The compiled loop runs one core; headless, NumPy's vectorised phases (and BLAS) are faster for batches
# this large. A window raises Trainer.compiled_batch_limit: the compiled loop runs without the GIL, so the
# GUI thread can paint while it trains.
KERNEL_MAX_BATCH_WORK = 4096  # batch size x hidden units
NUMPY_CHUNK_WORK = 100_000  # the NumPy path costs ~30 us an update: chunks of a few ms there too


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


@dataclass(frozen=True)
class Divergence:
    epoch: int
    update: int
    lr: float

    @property
    def message(self) -> str:
        return (f"training diverged at epoch {self.epoch} (update {self.update}): the loss or a weight became "
                f"infinite or NaN; the last finite weights are kept. Try a smaller learning rate than {self.lr:g}.")


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


class Trainer:
    def __init__(self, config: TrainConfig, dataset: Dataset, initial: Params | None = None):
        self.dataset = dataset
        self.config = config
        self.spec = NetworkSpec.from_config(config)
        if self.spec.loss.needs_sigmoid and not ((dataset.y >= 0) & (dataset.y <= 1)).all():
            raise SettingError("loss", config.loss, "needs targets between 0 and 1; this dataset has others")
        d = dataset.n_inputs
        # One stream: the initial weights first, then the sample orders (as in notebook 004).
        self.rng = np.random.RandomState(config.seed)
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
        self.names = param_names(d, config.hidden)
        n, size = len(dataset.X), self.params.theta.size
        self.n_samples = n
        self.epoch = 0  # completed epochs
        self.updates = 0  # applied updates
        self.position = 0  # updates made in the current, unfinished epoch
        self._in_order = np.arange(n, dtype=np.int64)
        self.order = self._in_order  # sample order of the current epoch
        # where each update's batch begins and ends inside an epoch's order
        batch = {"full": n, "minibatch": config.batch_size}.get(config.mode, 1)
        self._bounds = np.minimum(np.arange(0, n + batch, batch), n)[: -(-n // batch) + 1].astype(np.int64)
        self._batch_work = batch * config.hidden
        self._chunk_updates = max(1, min(MAX_CHUNK_UPDATES, CHUNK_WORK // (size * batch)))
        self._numpy_chunk_updates = max(1, min(MAX_CHUNK_UPDATES, NUMPY_CHUNK_WORK // (size * batch)))
        self.compiled_batch_limit: float = KERNEL_MAX_BATCH_WORK  # use the compiled loop up to this batch x hidden
        self._carry = np.zeros(5)  # current epoch's sums: loss, samples, correct, squared residual, total
        self.history = History(size)
        self.diverged: Divergence | None = None
        self.last_epoch: dict[str, float] | None = None  # the latest closed epoch's numbers
        self._last_samples: np.ndarray | None = None
        self._last_loss = math.nan
        self._last_pred = np.empty(0)  # read lazily: for a batch it is the workspace's output buffer
        self._last = np.empty((3, size))  # theta before, grad, delta of the last update
        self._last_lr = config.lr
        self._before = np.empty(size)
        self._grad = Params(d, config.hidden)
        self._kernel_grad, self._kernel_delta = np.empty(size), np.empty(size)
        self._workspaces: dict[int, Workspace] = {}
        self._batch_x: dict[int, np.ndarray] = {}
        # (y - mean y)^2 per training sample: R^2's denominator, summed over the samples actually seen
        self._sstot = ((dataset.y - dataset.y.mean()) ** 2).ravel()
        self._sstot_sum = float(np.add.reduceat(self._sstot, [0])[0])  # summed as _batch_totals sums
        self._classification = dataset.task == "classification"

    # --- settings that change without a reset -------------------------------------------------------
    def set_learning_rate(self, lr: float) -> None:
        self.config = self.config.replace(lr=check_lr(lr))

    # --- sizes ----------------------------------------------------------------------------------------
    @property
    def updates_per_epoch(self) -> int:
        return len(self._bounds) - 1

    @property
    def uses_compiled(self) -> bool:
        """Whether this configuration trains on the compiled loop (once it is ready): a static rule of the
        settings and the data's shape, never of the run's length, so any split of a run gives the same bits."""
        return self._batch_work <= self.compiled_batch_limit

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
        milliseconds' work), after max_seconds, or on divergence."""
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
                compiled = kernel.ready() if self._batch_work <= self.compiled_batch_limit else None
                limit = self._chunk_updates if compiled is not None else self._numpy_chunk_updates
                done, reached = self._chunk(min(remaining, limit), target, compiled)
                remaining -= done
                if self.diverged:
                    stopped_by = "diverged"
                    break
                if reached:
                    stopped_by = "target"
                    break
        return RunResult(self.epoch - start_epoch, self.updates - start_updates, stopped_by)

    # --- a chunk of updates ---------------------------------------------------------------------------
    def _chunk(self, count: int, target: float, compiled) -> tuple[int, bool]:
        """Make up to ``count`` updates: compiled when the kernel is ready and the batches are small, else
        with the NumPy phases (the two agree to 1e-12).
        Returns (updates applied, whether an epoch reached the target loss)."""
        idx, starts, rng_before, epoch_offsets = self._plan(count)
        loss_out, pred_out = np.empty(count), np.empty(len(idx))
        rows = np.empty(((self.position + count) // self.updates_per_epoch, self.params.theta.size))
        if compiled is not None:
            spec, cfg = self.spec, self.config
            done, status = compiled(
                self.dataset.X, self.dataset.y, idx, starts, self.params.theta, self.params.n_inputs,
                self.params.n_hidden, spec.activation.code, spec.output.code, spec.loss.code, spec.bias, cfg.lr,
                cfg.l2, self.position, self.updates_per_epoch, self.n_samples, self._carry[0], target, loss_out,
                pred_out, rows, self._last[1], self._last[2], self._last[0], self._kernel_grad, self._kernel_delta)
            done = int(done)
        else:
            done, status = self._numpy_updates(idx, starts, target, loss_out, pred_out, rows)
        reached = status == kernel.TARGET_REACHED
        if reached and rng_before is not None:
            # Stopped at an epoch's end: draw again only the orders of the epochs that were begun.
            self.rng.set_state(rng_before)
            self._draw_orders(sum(1 for offset in epoch_offsets if offset < done))
        if done:
            last = slice(starts[done - 1], starts[done])
            self._last_samples = idx[last].copy()
            self._last_pred = pred_out[last]
            self._last_loss = float(loss_out[done - 1]) / (starts[done] - starts[done - 1])
            self._last_lr = self.config.lr
        self._account(loss_out[:done], idx, starts[: done + 1], pred_out, rows)
        if status == kernel.DIVERGED:
            self._diverge()
        return done, reached

    def _numpy_updates(self, idx, starts, target, loss_out, pred_out, rows) -> tuple[int, int]:
        """The same contract as the compiled loop (model/kernel.py), with the NumPy phases."""
        X, y, spec = self.dataset.X, self.dataset.y, self.spec
        epoch_loss, row = self._carry[0], 0
        for u in range(len(starts) - 1):
            lo, hi = starts[u], starts[u + 1]
            if hi - lo == self.n_samples and self.config.mode == "full":
                xb, yb = X, y  # the whole set in order: no copy
            else:
                xb = np.take(X, idx[lo:hi], axis=0, out=self._batch_buffer(hi - lo))
                yb = y[idx[lo:hi]]
            ws = self._workspace(hi - lo)
            forward(self.params, xb, ws, spec)
            loss_out[u] = loss_value(ws, yb, spec)
            pred_out[lo:hi] = ws.p[:, 0]
            if not math.isfinite(loss_out[u]):
                return u, kernel.DIVERGED
            backward(self.params, xb, yb, ws, spec, self._grad)
            if not self._apply(ws):
                return u, kernel.DIVERGED
            epoch_loss += loss_out[u]
            if (self.position + u + 1) % self.updates_per_epoch == 0:
                rows[row] = self.params.theta
                row += 1
                if epoch_loss / self.n_samples <= target:
                    return u + 1, kernel.TARGET_REACHED
                epoch_loss = 0.0
        return len(starts) - 1, kernel.DONE

    def _plan(self, count: int):
        """Sample indices and batch boundaries of the next ``count`` updates.

        Every mode's epoch is one ordering of n sample indices cut into batches at self._bounds; orders are
        drawn for the epochs that begin in this chunk. Returns (idx, starts, rng state before any draw,
        update offsets at which epochs begin)."""
        upe, n, bounds = self.updates_per_epoch, self.n_samples, self._bounds
        position = self.position
        first = 0 if position == 0 else min(count, upe - position)  # updates left in the epoch under way
        whole, tail = divmod(count - first, upe)
        new_epochs = whole + (1 if tail else 0)
        rng_before = self.rng.get_state() if new_epochs and self.config.mode in DRAWING_MODES else None
        orders = self._draw_orders(new_epochs)
        idx_parts = [self.order[bounds[position] : bounds[position + first]]] if first else []
        start_parts = [bounds[position : position + first] - bounds[position]] if first else []
        offset = bounds[position + first] - bounds[position] if first else 0
        if whole:
            idx_parts.append(orders[:whole].ravel())
            start_parts.append((bounds[:-1][None, :] + (offset + n * np.arange(whole))[:, None]).ravel())
            offset += whole * n
        if tail:
            idx_parts.append(orders[whole, : bounds[tail]])
            start_parts.append(bounds[:tail] + offset)
            offset += bounds[tail]
        idx = np.concatenate(idx_parts).astype(np.int64, copy=False)  # a new, writable array, as the kernel expects
        starts = np.concatenate([*start_parts, [offset]]).astype(np.int64)
        epoch_offsets = [first + e * upe for e in range(new_epochs)]
        return idx, starts, rng_before, epoch_offsets

    def _draw_orders(self, epochs: int) -> np.ndarray:
        """The sample orders of the next ``epochs`` epochs, (epochs, n); the last becomes self.order."""
        n, mode = self.n_samples, self.config.mode
        if mode == "random_sample":  # one draw of epochs * n equals epochs draws of n, in order
            orders = self.rng.randint(0, n, size=(epochs, n)).astype(np.int64)
        elif mode == "minibatch":
            orders = np.array([self.rng.permutation(n) for _ in range(epochs)], dtype=np.int64).reshape(epochs, n)
        else:
            orders = np.broadcast_to(self._in_order, (epochs, n))
        if epochs:
            self.order = orders[-1]
        return orders

    def _apply(self, ws: Workspace) -> bool:
        """Apply self._grad; on success keep theta before, grad and change as the last update's."""
        np.copyto(self._before, self.params.theta)
        if not apply_update(self.params, self._grad, self.config.lr, ws):
            return False
        self._last[0] = self._before
        self._last[1] = self._grad.theta
        self._last[2] = ws.delta
        return True

    def _batch_buffer(self, m: int) -> np.ndarray:
        if m not in self._batch_x:
            self._batch_x[m] = np.empty((m, self.dataset.n_inputs))
        return self._batch_x[m]

    def _workspace(self, m: int) -> Workspace:
        if m not in self._workspaces:
            self._workspaces[m] = Workspace(m, self.params.n_inputs, self.params.n_hidden)
        return self._workspaces[m]

    # --- epoch bookkeeping ----------------------------------------------------------------------------
    def _account(self, loss_sums, idx, starts, preds, rows) -> None:
        """Add the applied updates (their batches are idx[starts[u]:starts[u + 1]]) to the epoch totals and
        close the epochs that ended among them (one row of ``rows`` each)."""
        n = len(loss_sums)
        if n == 0:
            return
        per_update = np.empty((n, 5))
        per_update[:, 0] = loss_sums
        per_update[:, 1:] = self._batch_totals(idx[: starts[-1]], starts, preds[: starts[-1]])
        # Epoch sums are strict left-to-right sums from 0 (np.add.accumulate), so they are the same to the
        # last bit however the epoch's updates were split across calls.
        per_epoch = self.updates_per_epoch
        first = min(n, per_epoch - self.position)
        head = np.add.accumulate(np.vstack([self._carry, per_update[:first]]))[-1]
        if self.position + first < per_epoch:
            self._carry = head
        else:
            whole = (n - first) // per_epoch
            body = per_update[first : first + whole * per_epoch].reshape(whole, per_epoch, 5)
            sums = np.vstack([head, np.add.accumulate(body, axis=1)[:, -1]])
            tail = per_update[first + whole * per_epoch :]
            self._carry = np.add.accumulate(np.vstack([np.zeros(5), tail]))[-1]
            self._close_epochs(sums, rows[: len(sums)])
        self.updates += n
        self.position = (self.position + n) % per_epoch

    def _batch_totals(self, seen, starts, preds) -> np.ndarray:
        """Per update: samples, correct predictions, squared residuals and (y - mean y)^2, summed over its batch.

        Sums use np.add.reduceat on contiguous rows, whose order does not depend on how the updates were
        grouped into calls, so the epoch totals are the same to the last bit however the work was split."""
        if len(starts) == 2 and len(seen) == self.n_samples and self.config.mode == "full":
            # one whole-set update (large full batches take this path): a few reductions, no per-sample table
            targets = self.dataset.y[:, 0]
            residual = preds - targets
            correct = np.count_nonzero((preds >= 0.5) == (targets >= 0.5)) if self._classification else 0
            ssres = np.add.reduceat(residual * residual, [0])[0]
            return np.array([[len(seen), correct, ssres, self._sstot_sum]])
        per_sample = np.zeros((4, len(seen)))
        per_sample[0] = 1.0
        targets = self.dataset.y[seen, 0]
        if self._classification:
            per_sample[1] = (preds >= 0.5) == (targets >= 0.5)
        per_sample[2] = np.square(preds - targets)
        per_sample[3] = self._sstot[seen]
        if len(seen) == len(starts) - 1:  # one sample per update
            return per_sample.T
        return np.add.reduceat(per_sample, starts[:-1], axis=1).T

    def _close_epochs(self, sums: np.ndarray, rows: np.ndarray) -> None:
        k = len(sums)
        epochs = np.arange(self.epoch + 1, self.epoch + k + 1)
        values = {"train_loss": sums[:, 0] / sums[:, 1]}
        if self._classification:
            values["metric"] = sums[:, 2] / sums[:, 1]
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                values["metric"] = np.where(sums[:, 4] > 0, 1.0 - sums[:, 3] / sums[:, 4], np.nan)
        if self.dataset.has_test:
            test = evaluate_many(rows, self.dataset.X_test, self.dataset.y_test, self.spec, self.params)
            values["test_loss"], values["test_metric"] = test
        self.history.append(epochs, values, rows)
        self.epoch += k
        self.last_epoch = {name: float(column[-1]) for name, column in values.items()}

    def _diverge(self) -> None:
        self.diverged = Divergence(self.epoch + 1, self.updates + 1, self.config.lr)

    # --- reading the state ----------------------------------------------------------------------------
    def last_update(self) -> UpdateRecord | None:
        if self.updates == 0:
            return None
        samples = np.arange(self.n_samples) if self._last_samples is None else self._last_samples.copy()
        epoch = self.epoch if self.position == 0 else self.epoch + 1
        return UpdateRecord(self.updates, epoch, samples, self._last_loss, self._last_pred.copy(), self._last_lr,
                            self._last[0].copy(),
                            self._last[1].copy(), self._last[2].copy())

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

    def explain_last_update(self) -> dict[str, np.ndarray] | None:
        """Every intermediate value of the last update, recomputed from the weights it started from."""
        record = self.last_update()
        if record is None:
            return None
        before = Params(self.params.n_inputs, self.params.n_hidden, record.theta_before)
        X, y = self.dataset.X[record.samples], self.dataset.y[record.samples]
        return explain(before, X, y, self.spec, record.lr)

    def evaluate(self) -> dict[str, float]:
        """Loss and accuracy / R^2 of the current network on the training set (and test set)."""
        theta = self.params.theta[None, :]
        loss, metric = evaluate_many(theta, self.dataset.X, self.dataset.y, self.spec, self.params)
        result = {"train_loss": float(loss[0]), "metric": float(metric[0])}
        if self.dataset.has_test:
            loss, metric = evaluate_many(theta, self.dataset.X_test, self.dataset.y_test, self.spec, self.params)
            result.update(test_loss=float(loss[0]), test_metric=float(metric[0]))
        return result

    def predict(self, X: np.ndarray) -> np.ndarray:
        return predict(self.params, X, self.spec)


def evaluate_many(thetas: np.ndarray, X: np.ndarray, y: np.ndarray, spec: NetworkSpec, like: Params,
                  block_values: int = 1_000_000) -> tuple[np.ndarray, np.ndarray]:
    """Mean loss and accuracy (classification) or R^2 of the networks ``thetas`` (k, n_params) on (X, y).

    Processes blocks of networks at once (k x m x h values at most ``block_values``), so a chunk of many
    epochs costs a few NumPy calls rather than a Python loop per epoch.
    """
    k, (m, d), h = len(thetas), X.shape, like.n_hidden
    losses, metrics = np.empty(k), np.empty(k)
    classification = np.isin(y, (0.0, 1.0)).all()
    sstot = float(((y - y.mean()) ** 2).sum())
    step = max(1, block_values // max(1, m * h))
    with np.errstate(over="ignore", invalid="ignore"):
        for lo in range(0, k, step):
            _evaluate_block(thetas[lo : lo + step], X, y, spec, d, h, classification, sstot,
                            losses[lo : lo + step], metrics[lo : lo + step])
    return losses, metrics


def _evaluate_block(block, X, y, spec, d, h, classification, sstot, losses, metrics) -> None:
    """Fill losses and metrics for the networks in block (k, n_params), all at once."""
    W1 = block[:, : d * h].reshape(-1, d, h)
    b1 = block[:, d * h : d * h + h][:, None, :]
    W2 = block[:, d * h + h : d * h + 2 * h].reshape(-1, h, 1)
    b2 = block[:, -1:][:, None, :]
    z1 = np.matmul(X, W1) + b1
    a1 = np.empty_like(z1)
    spec.activation.output(z1, a1)
    z2 = np.matmul(a1, W2) + b2
    p = np.empty_like(z2)
    spec.output.output(z2, p)
    yy = np.broadcast_to(y, p.shape)
    per_sample = np.empty_like(p)
    spec.loss.value(p, yy, z2, per_sample)
    losses[:] = per_sample.mean(axis=(1, 2))
    if classification:
        metrics[:] = ((p >= 0.5) == (yy >= 0.5)).mean(axis=(1, 2))
    else:
        ssres = np.square(p - yy).sum(axis=(1, 2))
        metrics[:] = 1.0 - ssres / sstot if sstot > 0 else np.nan
