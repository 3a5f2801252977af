"""A compiled update loop, for every mode: a run of updates, each on a batch of samples.

For a 2-4-1 network an update is about 30 NumPy calls of ~1 us each, all overhead; compiled, the same
arithmetic takes a few tens of nanoseconds, and a run of many updates costs one call. The loop mirrors
model/network.py phase by phase and is tested against it to 1e-12 (tests/test_model_gradients.py). It is
optional: without numba, or until it has been compiled, the trainer uses the NumPy path, so nothing ever
waits for compilation at start-up.

What keeps an update cheap: the branches on the activation sit outside the loops over units (so the loops
vectorise), the parameters live in three rotating buffers (so "theta before the last update" is kept without
a copy, and a rejected update needs no undo), finiteness is checked on the sum of the new parameters (one
add each; a sum that is finite proves every term is), and the epoch totals are summed here, sample by sample.

Compilation happens on first use and is cached on disk by numba (``cache=True``); ``warm_up()`` does it
ahead of time, ``ready()`` says whether a call would be instant.
"""

from __future__ import annotations

import math
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from model.functions import ACTIVATIONS, LEAKY_SLOPE, LOSSES

DONE, DIVERGED, TARGET_REACHED = 0, 1, 2
# Codes of model/functions.py's tables; numba reads module globals as compile-time constants.
LINEAR, RELU, LEAKY_RELU, SIGMOID, TANH = (ACTIVATIONS[name].code
                                           for name in ("linear", "relu", "leaky_relu", "sigmoid", "tanh"))
SQUARED, HALF_SQUARED, BCE = (LOSSES[name].code for name in ("squared", "half_squared", "bce"))
FUSED_MAX_HIDDEN = 16  # up to this many hidden units, loops over units beat vectorised loops over layers
# The columns of an epoch's running totals (model/trainer.py EpochTotals names them).
TOTALS = 5

_lock = threading.Lock()
_compiled = None  # the jitted function once compiled
_failed: str | None = None  # why it cannot be had (no numba, compilation error)


def ready():
    """The compiled update loop if it has been compiled, else None (never blocks)."""
    return _compiled


def unavailable_reason() -> str | None:
    return _failed


@dataclass(frozen=True)
class Problem:
    """The arguments of the compiled loop that stay fixed for a training run, in its order: built in one place
    for the trainer and for the warm-up's compiling call, so both have the exact same types."""

    X: np.ndarray  # (n, d) read-only
    y: np.ndarray  # (n, 1) read-only
    sstot: np.ndarray  # (n,) (y - mean y)^2, R^2's denominator per sample
    d: int
    h: int
    b1_at: int
    w2_at: int
    b2_at: int
    activation: int
    output: int
    loss: int
    bias: bool
    l2: float
    classification: bool

    def arguments(self) -> tuple:
        return (self.X, self.y, self.sstot, self.d, self.h, self.b1_at, self.w2_at, self.b2_at, self.activation,
                self.output, self.loss, self.bias, float(self.l2), self.classification)


def run_updates(fn, problem: Problem, orders, order_stride, bounds, position, count, theta, lr, target, carry,
                epoch_sums, epoch_rows, grad, batch_pred, theta_before, work):
    """Call the compiled loop ``fn``: see _updates for the arguments. Returns (updates applied, status, the
    summed loss of the last batch attempted)."""
    done, status, last_loss = fn(*problem.arguments(), orders, order_stride, bounds, position, count, theta,
                                 float(lr), float(target), carry, epoch_sums, epoch_rows, grad, batch_pred,
                                 theta_before, work)
    return int(done), int(status), float(last_loss)


def warm_up():
    """Import numba and compile (or load from the on-disk cache). Returns the function or None."""
    global _compiled, _failed
    with _lock:
        if _compiled is not None or _failed is not None:
            return _compiled
        jitted = _dispatcher()
        if jitted is None:
            return None
        try:
            _smoke_call(jitted)
        except Exception as exc:  # a broken numba/llvmlite install must not stop training
            _failed = f"numba could not compile the update loop: {exc.__class__.__name__}: {exc}"
            return None
        _compiled = jitted
        return _compiled


_jitted = None


def _dispatcher():
    """numba's dispatcher for the loop (not yet compiled), or None without numba."""
    global _jitted, _failed, _act, _der, _activate, _derivative, _update_loop
    if _jitted is not None:
        return _jitted
    try:
        import numba
    except ImportError:
        _failed = "numba is not installed"
        return None
    try:
        # The loop looks its helpers up as module globals: compile them first, under the same names. They are
        # inlined into the caller, so _updates's copy of the loop for each activation has it as a constant.
        inline = numba.njit(nogil=True, inline="always")
        _act, _der, _activate, _derivative = inline(_act), inline(_der), inline(_activate), inline(_derivative)
        _update_loop = inline(_update_loop)
        _jitted = numba.njit(cache=True, nogil=True)(_updates)
    except Exception as exc:
        _failed = f"numba could not compile the update loop: {exc.__class__.__name__}: {exc}"
        return None
    return _jitted


def warm_up_in_background() -> threading.Thread:
    """Make the compiled loop ready without stalling this process: numba holds the GIL for about 1.5 s
    while it compiles, so a first compilation runs in a child process, which leaves numba's on-disk cache;
    this process then only loads it (a few hundred ms, in a background thread)."""

    def work():
        if not cache_exists():
            code = "from model import kernel; kernel.warm_up()"
            try:
                subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[1],
                               capture_output=True, timeout=600, check=False)
            except (OSError, subprocess.SubprocessError):
                pass  # warm_up() below compiles in this process instead
        warm_up()

    thread = threading.Thread(target=work, name="kernel-warm-up", daemon=True)
    thread.start()
    return thread


def cache_exists() -> bool:
    """Whether numba's on-disk cache holds the loop, in the folder numba itself chose (NUMBA_CACHE_DIR, next to
    this file, or a per-user folder when this install is read-only)."""
    jitted = _dispatcher()
    folder = getattr(getattr(jitted, "stats", None), "cache_path", None)
    return bool(folder) and any(Path(folder).glob(f"{Path(__file__).stem}._updates-*.nbi"))


def _smoke_call(fn) -> None:
    """Compile for the exact argument types the trainer passes (a dataset's X and y are read-only), so
    training never triggers a second compilation."""
    X, y = np.zeros((1, 1)), np.zeros((1, 1))
    X.flags.writeable = y.flags.writeable = False
    problem = Problem(X, y, np.zeros(1), 1, 1, 1, 2, 3, 0, 0, 0, True, 0.0, False)
    size = 4
    run_updates(fn, problem, np.zeros((1, 1), dtype=np.int64), 0, np.array([0, 1], dtype=np.int64), 0, 1,
                np.zeros(size), 0.1, -1.0, np.zeros(TOTALS), np.empty((1, TOTALS)), np.empty((1, size)),
                np.empty(size), np.empty(1), np.empty(size), np.empty((3, size)))


def _act(code, z):
    if code == LINEAR:
        return z
    if code == RELU:
        return z if z > 0.0 else 0.0
    if code == LEAKY_RELU:
        return z if z > 0.0 else LEAKY_SLOPE * z
    if code == SIGMOID:
        return 1.0 / (1.0 + math.exp(-z))
    return math.tanh(z)


def _der(code, z, a):
    if code == LINEAR:
        return 1.0
    if code == RELU:
        return 1.0 if z > 0.0 else 0.0
    if code == LEAKY_RELU:
        return 1.0 if z > 0.0 else LEAKY_SLOPE
    if code == SIGMOID:
        return (1.0 - a) * a
    return 1.0 - a * a


def _activate(code, z, a, h):
    """a[:h] = f(z[:h]): one branch, then a loop the compiler can vectorise."""
    if code == LINEAR:
        for j in range(h):
            a[j] = z[j]
    elif code == RELU:
        for j in range(h):
            a[j] = z[j] if z[j] > 0.0 else 0.0
    else:
        for j in range(h):
            a[j] = _act(code, z[j])


def _derivative(code, z, a, out, h):
    """out[:h] = f'(z[:h]) from z and a."""
    if code == LINEAR:
        for j in range(h):
            out[j] = 1.0
    elif code == RELU:
        for j in range(h):
            out[j] = 1.0 if z[j] > 0.0 else 0.0
    else:
        for j in range(h):
            out[j] = _der(code, z[j], a[j])


def _updates(X, y, sstot, d, h, b1_at, w2_at, b2_at, act, out, loss, bias, l2, classification,
             orders, order_stride, bounds, position, count, theta, lr, target, carry, epoch_sums, epoch_rows,
             grad, batch_pred, theta_before, work):
    """The compiled entry point: _update_loop with the activation and the loop shape constants, so no copy's
    loops branch on them (together 4x faster for small networks than one generic loop)."""
    fixed = (X, y, sstot, d, h, b1_at, w2_at, b2_at, out, loss, bias, l2, classification)
    run = (orders, order_stride, bounds, position, count, theta, lr, target, carry, epoch_sums, epoch_rows, grad,
           batch_pred, theta_before, work)
    if h <= FUSED_MAX_HIDDEN:
        if act == RELU:
            return _update_loop(RELU, True, fixed, run)
        if act == LINEAR:
            return _update_loop(LINEAR, True, fixed, run)
        if act == LEAKY_RELU:
            return _update_loop(LEAKY_RELU, True, fixed, run)
        if act == SIGMOID:
            return _update_loop(SIGMOID, True, fixed, run)
        return _update_loop(TANH, True, fixed, run)
    if act == RELU:
        return _update_loop(RELU, False, fixed, run)
    if act == LINEAR:
        return _update_loop(LINEAR, False, fixed, run)
    if act == LEAKY_RELU:
        return _update_loop(LEAKY_RELU, False, fixed, run)
    if act == SIGMOID:
        return _update_loop(SIGMOID, False, fixed, run)
    return _update_loop(TANH, False, fixed, run)


def _update_loop(act, fused, fixed, run):
    """(_updates's arguments: act a constant, the rest in two tuples; fused, a constant too, chooses loops that do
    one hidden unit at a time, fastest for a few units, or one layer at a time, which vectorise for many.)

    Make ``count`` updates, from update ``position`` of the epoch under way.

    An epoch is one ordering of the n samples, cut into updates at ``bounds`` (updates per epoch + 1 offsets).
    Row e * order_stride of ``orders`` is the ordering of the e-th epoch touched here (order_stride 0: the same
    ordering every epoch). Update u uses X[orders[row, bounds[k]:bounds[k + 1]]] and changes theta (layout of
    model/network.py) by -lr * (the batch mean gradient + l2 * W).

    carry (5,) holds the running sums of the epoch under way (loss, samples, correct, squared residual,
    sstot), summed left to right sample by sample, so any split of the work gives the same bits. When an
    update ends an epoch, its sums go to the next row of epoch_sums, theta to the next row of epoch_rows,
    and training stops there if the epoch's mean loss is <= target. It stops before an update whose loss or
    result is not finite, leaving theta as it was. On return theta holds the result, theta_before the
    parameters before the last update applied, grad and batch_pred the gradient and predictions of the last
    update attempted. work is (3, len(theta)) scratch. Returns (updates applied, status, last batch's loss sum).
    """
    X, y, sstot, d, h, b1_at, w2_at, b2_at, out, loss, bias, l2, classification = fixed
    (orders, order_stride, bounds, position, count, theta, lr, target, carry, epoch_sums, epoch_rows, grad,
     batch_pred, theta_before, work) = run
    size = theta.shape[0]
    upe = bounds.shape[0] - 1
    z1, a1, dz1, dd = np.empty(h), np.empty(h), np.empty(h), np.empty(h)
    cur, cand, prev = 0, 1, 2  # rows of work: current parameters, candidate, parameters before the last update
    for k in range(size):
        work[cur, k] = theta[k]
    loss_sum, samples, correct, ssres, ss_total = carry[0], carry[1], carry[2], carry[3], carry[4]
    pos, row, closed, status, applied, batch_loss = position, 0, 0, DONE, 0, 0.0
    for _ in range(count):
        lo, hi = bounds[pos], bounds[pos + 1]
        m = hi - lo
        order_row = row * order_stride
        for k in range(size):
            grad[k] = 0.0
        batch_loss, batch_correct, batch_ssres, batch_sstot = 0.0, 0.0, 0.0, 0.0
        for s in range(lo, hi):
            i = orders[order_row, s]
            if fused:
                # forward, one hidden unit at a time: z1 = x W1 + b1, a1 = f(z1), z2 = a1 W2 + b2, p = g(z2)
                z2 = 0.0
                for j in range(h):
                    acc = 0.0
                    for q in range(d):
                        acc += X[i, q] * work[cur, q * h + j]
                    if bias:
                        acc += work[cur, b1_at + j]
                    a = _act(act, acc)
                    z1[j], a1[j] = acc, a
                    z2 += a * work[cur, w2_at + j]
                if bias:
                    z2 += work[cur, b2_at]
            else:
                # forward, layer by layer: z1 = x W1 + b1, a1 = f(z1), z2 = a1 W2 + b2, p = g(z2)
                for j in range(h):
                    z1[j] = 0.0
                for q in range(d):
                    xq = X[i, q]
                    for j in range(h):
                        z1[j] += xq * work[cur, q * h + j]
                if bias:
                    for j in range(h):
                        z1[j] += work[cur, b1_at + j]
                _activate(act, z1, a1, h)
                z2 = 0.0
                for j in range(h):
                    z2 += a1[j] * work[cur, w2_at + j]
                if bias:
                    z2 += work[cur, b2_at]
            p = _act(out, z2)
            t = y[i, 0]
            batch_pred[s - lo] = p
            # loss and dL/dz2 (bce needs a sigmoid output, where its gradient is p - y)
            if loss == BCE:
                # same order of operations as model/functions.py's _bce
                value = (math.log1p(math.exp(-abs(z2))) + max(z2, 0.0)) - z2 * t
                dz2 = p - t
            else:
                value = (p - t) * (p - t)
                dz2 = 2.0 * (p - t) if loss == SQUARED else p - t
                if loss == HALF_SQUARED:
                    value *= 0.5
                if out != LINEAR:
                    dz2 *= _der(out, z2, p)
            batch_loss += value
            if classification and (p >= 0.5) == (t >= 0.5):
                batch_correct += 1.0
            batch_ssres += (p - t) * (p - t)
            batch_sstot += sstot[i]
            if m != 1:
                dz2 /= m
            if fused:
                # backward, summed over the batch: dW2 += a1 dz2, db2 += dz2, dz1 = dz2 W2 f'(z1), dW1 += x dz1
                for j in range(h):
                    grad[w2_at + j] += a1[j] * dz2
                    dz1_j = dz2 * work[cur, w2_at + j] * _der(act, z1[j], a1[j])
                    for q in range(d):
                        grad[q * h + j] += X[i, q] * dz1_j
                    if bias:
                        grad[b1_at + j] += dz1_j
                if bias:
                    grad[b2_at] += dz2
            else:
                # backward, layer by layer
                _derivative(act, z1, a1, dd, h)
                for j in range(h):
                    grad[w2_at + j] += a1[j] * dz2
                    dz1[j] = dz2 * work[cur, w2_at + j] * dd[j]
                for q in range(d):
                    xq = X[i, q]
                    for j in range(h):
                        grad[q * h + j] += xq * dz1[j]
                if bias:
                    for j in range(h):
                        grad[b1_at + j] += dz1[j]
                    grad[b2_at] += dz2
        if not math.isfinite(batch_loss):
            status = DIVERGED
            break
        if l2 != 0.0:
            for k in range(b1_at):
                grad[k] += l2 * work[cur, k]
            for j in range(h):
                grad[w2_at + j] += l2 * work[cur, w2_at + j]
        # the candidate; the update is applied only if every value is finite
        total = 0.0
        for k in range(size):
            value = work[cur, k] + grad[k] * -lr
            work[cand, k] = value
            total += value
        if not math.isfinite(total):
            finite = True
            for k in range(size):
                finite = finite and math.isfinite(work[cand, k])
            if not finite:
                status = DIVERGED
                break
        cur, cand, prev = cand, prev, cur
        applied += 1
        loss_sum += batch_loss
        samples += m
        correct += batch_correct
        ssres += batch_ssres
        ss_total += batch_sstot
        pos += 1
        if pos == upe:
            pos = 0
            epoch_sums[closed, 0], epoch_sums[closed, 1], epoch_sums[closed, 2] = loss_sum, samples, correct
            epoch_sums[closed, 3], epoch_sums[closed, 4] = ssres, ss_total
            for k in range(size):
                epoch_rows[closed, k] = work[cur, k]
            closed += 1
            row += 1
            reached = loss_sum / samples <= target
            loss_sum, samples, correct, ssres, ss_total = 0.0, 0.0, 0.0, 0.0, 0.0
            if reached:
                status = TARGET_REACHED
                break
    carry[0], carry[1], carry[2], carry[3], carry[4] = loss_sum, samples, correct, ssres, ss_total
    for k in range(size):
        theta[k] = work[cur, k]
        if applied:
            theta_before[k] = work[prev, k]
    return applied, status, batch_loss
