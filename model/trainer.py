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

SAMPLE_MODES = ("sample", "random_sample")
CHUNK_UPDATES = 16384  # updates per compiled call: long enough to amortise the call, short enough to stop quickly


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
        self.order = np.arange(n, dtype=np.int64)  # sample order of the current epoch
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
        self._classification = dataset.task == "classification"

    # --- settings that change without a reset -------------------------------------------------------
    def set_learning_rate(self, lr: float) -> None:
        self.config = self.config.replace(lr=check_lr(lr))

    # --- sizes ----------------------------------------------------------------------------------------
    @property
    def updates_per_epoch(self) -> int:
        mode = self.config.mode
        if mode == "full":
            return 1
        if mode == "minibatch":
            return -(-self.n_samples // self.config.batch_size)
        return self.n_samples

    # --- stepping -------------------------------------------------------------------------------------
    def step_update(self) -> UpdateRecord | None:
        """Make one update; returns its record (None if training has diverged)."""
        self._advance(1, target_loss=None)
        return self.last_update()

    def step_epoch(self) -> RunResult:
        """Finish the current epoch (a whole one if none is under way)."""
        return self._advance(self.updates_per_epoch - self.position, target_loss=None)

    def run(self, epochs: int, target_loss: float | None = None, should_stop=None,
            max_seconds: float | None = None) -> RunResult:
        """Train ``epochs`` more epochs (finishing the current one first), stopping early when an epoch's
        train loss is <= target_loss, when should_stop() is true (checked between chunks of at most
        CHUNK_UPDATES updates or every batched update), after max_seconds, or on divergence."""
        n_updates = max(0, epochs) * self.updates_per_epoch - self.position if epochs > 0 else 0
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
                if self.config.mode in SAMPLE_MODES:
                    done, reached = self._sample_chunk(min(remaining, CHUNK_UPDATES), target)
                else:
                    done, reached = self._batch_update(target)
                remaining -= done
                if self.diverged:
                    stopped_by = "diverged"
                    break
                if reached:
                    stopped_by = "target"
                    break
        return RunResult(self.epoch - start_epoch, self.updates - start_updates, stopped_by)

    # --- one-sample updates (compiled when the kernel is ready) ---------------------------------------
    def _sample_chunk(self, count: int, target: float) -> tuple[int, bool]:
        compiled = kernel.ready()
        if compiled is None:
            # The NumPy path closes each epoch in Python, so it stops at the epoch's end for the target check.
            count = min(count, self.updates_per_epoch - self.position)
        idx, state_before, starts = self._sample_indices(count)
        d, h, spec, cfg = self.params.n_inputs, self.params.n_hidden, self.spec, self.config
        loss_out, pred_out = np.empty(count), np.empty(count)
        n_rows = (self.position + count) // self.updates_per_epoch
        rows = np.empty((n_rows, self.params.theta.size))
        if compiled is not None:
            done, status = compiled(
                self.dataset.X, self.dataset.y, idx, self.params.theta, d, h, spec.activation.code,
                spec.output.code, spec.loss.code, spec.bias, cfg.lr, cfg.l2, self.position,
                self.updates_per_epoch, self._carry[0], target, loss_out, pred_out, rows,
                self._last[1], self._last[2], self._last[0], self._kernel_grad, self._kernel_delta)
            done, diverged, reached = int(done), status == kernel.DIVERGED, status == kernel.TARGET_REACHED
        else:
            done, diverged = self._numpy_sample_updates(idx, loss_out, pred_out, rows)
            reached = False
        if reached and state_before is not None:
            # Stopped at an epoch's end: draw again only the orders of the epochs that were begun.
            self.rng.set_state(state_before)
            for _ in (start for start in starts if start < done):
                self._draw_random_order()
        if done:
            self._last_samples = idx[done - 1 : done].copy()
            self._last_loss = float(loss_out[done - 1])
            self._last_pred = pred_out[done - 1 : done]
            self._last_lr = cfg.lr
        ys = self.dataset.y[idx[:done], 0]
        self._account(loss_out[:done], np.ones(done), pred_out[:done], ys, self._sstot[idx[:done]], rows)
        if diverged:
            self._diverge()
        elif compiled is None and self.position == 0 and self.last_epoch is not None:
            reached = self.last_epoch["train_loss"] <= target
        return done, reached

    def _numpy_sample_updates(self, idx, loss_out, pred_out, rows) -> tuple[int, bool]:
        ws = self._workspace(1)
        X, y, spec = self.dataset.X, self.dataset.y, self.spec
        row = 0
        for k, i in enumerate(idx):
            x, t = X[i : i + 1], y[i : i + 1]
            forward(self.params, x, ws, spec)
            loss_out[k] = loss_value(ws, t, spec)
            pred_out[k] = ws.p[0, 0]
            if not math.isfinite(loss_out[k]):
                return k, True
            backward(self.params, x, t, ws, spec, self._grad)
            if not self._apply(ws):
                return k, True
            if (self.position + k + 1) % self.updates_per_epoch == 0:
                rows[row] = self.params.theta
                row += 1
        return len(idx), False

    def _sample_indices(self, count: int):
        """The sample index of each of the next ``count`` updates, drawing each new epoch's order."""
        idx = np.empty(count, dtype=np.int64)
        state_before = self.rng.get_state() if self.config.mode == "random_sample" else None
        starts, filled, position = [], 0, self.position
        while filled < count:
            if position == 0:
                starts.append(filled)
                if self.config.mode == "random_sample":
                    self._draw_random_order()
            take = min(count - filled, self.n_samples - position)
            idx[filled : filled + take] = self.order[position : position + take]
            filled += take
            position = (position + take) % self.n_samples
        return idx, state_before, starts

    def _draw_random_order(self) -> None:
        self.order = self.rng.randint(0, self.n_samples, size=self.n_samples).astype(np.int64)

    # --- batched updates (minibatch, full) ------------------------------------------------------------
    def _batch_update(self, target: float) -> tuple[int, bool]:
        X, y = self.dataset.X, self.dataset.y
        if self.config.mode == "full":
            idx, xb, yb = None, X, y
        else:
            if self.position == 0:
                self.order = self.rng.permutation(self.n_samples).astype(np.int64)
            b = self.config.batch_size
            idx = self.order[self.position * b : (self.position + 1) * b]
            xb = np.take(X, idx, axis=0, out=self._batch_buffer(len(idx)))
            yb = y[idx]
        ws = self._workspace(len(xb))
        forward(self.params, xb, ws, self.spec)
        loss_sum = loss_value(ws, yb, self.spec)
        if not math.isfinite(loss_sum):
            self._diverge()
            return 0, False
        backward(self.params, xb, yb, ws, self.spec, self._grad)
        if not self._apply(ws):
            self._diverge()
            return 0, False
        self._last_lr = self.config.lr
        self._last_samples = idx.copy() if idx is not None else None
        self._last_loss = loss_sum / len(xb)
        self._last_pred = ws.p[:, 0]
        closes = self.position + 1 == self.updates_per_epoch
        rows = self.params.theta[None, :].copy() if closes else np.empty((0, self.params.theta.size))
        sstot = self._sstot if idx is None else self._sstot[idx]
        self._account(np.array([loss_sum]), np.array([len(xb)]), ws.p[:, 0], yb[:, 0], sstot, rows, batched=True)
        reached = closes and self.last_epoch["train_loss"] <= target
        return 1, reached

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
    def _account(self, loss_sums, counts, preds, targets, sstot, rows, batched=False) -> None:
        """Add ``len(loss_sums)`` applied updates; close the epochs among them (one row of ``rows`` each)."""
        n = len(loss_sums)
        if n == 0:
            return
        per_update = np.zeros((n, 5))
        per_update[:, 0] = loss_sums
        per_update[:, 1] = counts
        if batched:  # one update over many samples: reduce them to that update's totals
            per_update[0, 2] = self._correct(preds, targets).sum() if self._classification else 0.0
            per_update[0, 3] = np.square(preds - targets).sum()
            per_update[0, 4] = np.sum(sstot)
        else:
            if self._classification:
                per_update[:, 2] = self._correct(preds, targets)
            per_update[:, 3] = np.square(preds - targets)
            per_update[:, 4] = sstot
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

    @staticmethod
    def _correct(preds, targets) -> np.ndarray:
        return ((preds >= 0.5) == (targets >= 0.5)).astype(np.float64)

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

    def snapshot(self, param_columns: slice | None = None) -> Snapshot:
        """Copies of the state; ``param_columns`` limits the parameter history to some of theta's entries."""
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
