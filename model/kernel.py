"""A compiled update loop, for every mode: a run of updates, each on a batch of samples.

For a 2-4-1 network an update is about 30 NumPy calls of ~1 us each, all overhead; compiled, the same
arithmetic takes a few tens of nanoseconds, and a run of many updates costs one call. The loop mirrors
model/network.py phase by phase and is tested against it to 1e-12 (tests/test_model_gradients.py). It is
optional: without numba, or until it has been compiled, the trainer uses the NumPy path, so nothing ever
waits for compilation at start-up.

What keeps an update cheap: each (activation, loop shape) pair is its own compiled function with both as
constants, so no inner loop branches on them; the parameters live in three rotating buffers (so "theta before
the last update" is kept without a copy, and a rejected update needs no undo); finiteness is checked on the
sum of the new parameters (one add each; a sum that is finite proves every term is); the epoch totals are
summed here; tanh is computed in arithmetic alone, so loops of it vectorise. Adding an activation to
model/functions.py's table needs its case in _act and _der here too (the output unit is linear or sigmoid).

Compilation happens on first use of a loop (a few seconds each) and is cached on disk by numba
(``cache=True``); ``warm_up(keys)`` does it ahead of time, ``ready(key)`` says whether a call would be instant.
"""

from __future__ import annotations

import math
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from model.functions import ACTIVATIONS, LEAKY_SLOPE, LOSSES

DONE, DIVERGED, TARGET_REACHED = 0, 1, 2
# Codes of model/functions.py's tables; numba reads module globals as compile-time constants.
LINEAR, RELU, LEAKY_RELU, SIGMOID, TANH = (ACTIVATIONS[name].code
                                           for name in ("linear", "relu", "leaky_relu", "sigmoid", "tanh"))
SQUARED, HALF_SQUARED, BCE = (LOSSES[name].code for name in ("squared", "half_squared", "bce"))
# The loop's shapes: one sample at a time, one hidden unit at a time (fastest for a few units); one sample at a
# time, one layer at a time (its loops over units vectorise: many units); a whole batch one hidden unit at a time
# (its loops over samples vectorise: batches of a few units).
FUSED, LAYERED, BATCHED = 0, 1, 2
FUSED_MAX_HIDDEN = 16
KEYS = tuple((act.code, shape) for act in ACTIVATIONS.values() for shape in (FUSED, LAYERED, BATCHED))
LOAD_PAUSE_SECONDS = 0.05  # between loading one cached loop and the next, in the background
TOTALS = 5  # the columns of an epoch's running totals (model/trainer.py EpochTotals names them)

enabled = True  # False makes ready() answer None: every trainer takes the NumPy path
_lock = threading.Lock()
_loops: dict[tuple[int, int], object] = {}  # (activation code, shape) -> the compiled loop
_failed: str | None = None  # why it cannot be had (no numba, compilation error)
_pending: set[tuple[int, int]] = set()  # keys a background warm-up will make ready (loading or compiling)


def loop_shape(batch: int, hidden: int) -> int:
    """The loop shape for updates on ``batch`` samples with ``hidden`` units."""
    if hidden > FUSED_MAX_HIDDEN:
        return LAYERED
    return FUSED if batch == 1 else BATCHED


def ready(key: tuple[int, int]):
    """The compiled loop for key = (activation code, shape) if it has been compiled or loaded, else None (never
    blocks)."""
    return _loops.get(key) if enabled else None


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
    shape: int

    @property
    def key(self) -> tuple[int, int]:
        return self.activation, self.shape

    def arguments(self) -> tuple:
        return (self.X, self.y, self.sstot, self.d, self.h, self.b1_at, self.w2_at, self.b2_at, self.output,
                self.loss, self.bias, float(self.l2), self.classification)


def run_updates(fn, problem: Problem, orders, order_stride, bounds, position, count, theta, lr, target, carry,
                epoch_sums, epoch_rows, grad, batch_pred, theta_before, work):
    """Call the compiled loop ``fn`` (see _update_loop for the arguments). Returns (updates applied, status, the
    summed loss of the last batch attempted)."""
    done, status, last_loss = fn(*problem.arguments(), orders, order_stride, bounds, position, count, theta,
                                 float(lr), float(target), carry, epoch_sums, epoch_rows, grad, batch_pred,
                                 theta_before, work)
    return int(done), int(status), float(last_loss)


def warm_up(keys=KEYS) -> bool:
    """Compile (or load from numba's disk cache) the loops for ``keys``; True if they are all ready."""
    global _failed
    with _lock:
        for key in keys:
            if key in _loops:
                continue
            if _failed is not None or not _jit_helpers():
                return False
            try:
                loop = _specialise(*key)
                _smoke_call(loop)
            except Exception as exc:  # a broken numba/llvmlite install must not stop training
                _failed = f"numba could not compile the update loop: {exc.__class__.__name__}: {exc}"
                return False
            _loops[key] = loop
        return True


def _jit_helpers() -> bool:
    """Replace the loop's helpers, module globals, by their numba versions, which are inlined into each loop."""
    global _failed, _act, _der, _tanh, _activate, _derivative, _output, _update_loop, _batch_gradient, _numba
    if _numba is not None:
        return True
    try:
        import numba
    except ImportError:
        _failed = "numba is not installed"
        return False
    inline = numba.njit(nogil=True, inline="always", fastmath=FASTMATH, error_model="numpy")
    _tanh = inline(_tanh)
    _act, _der, _activate, _derivative = inline(_act), inline(_der), inline(_activate), inline(_derivative)
    _output, _update_loop = inline(_output), inline(_update_loop)
    _batch_gradient = inline(_batch_gradient)
    _numba = numba
    return True


_numba = None
# Reassociation lets sums over a batch's samples vectorise; each sum is still made in one fixed order for a given
# batch, so a split of the work never changes a bit. No fast-math flag that assumes finite values: divergence is
# detected with isfinite. (error_model="numpy" below: a division by zero gives inf rather than a check per
# division, which would keep loops from vectorising.)
FASTMATH = {"reassoc", "contract"}


def _specialise(act: int, shape: int):
    """A loop compiled with the activation and the shape as constants, so none of its inner loops branches on
    them; cached on disk under its own name."""

    def loop(X, y, sstot, d, h, b1_at, w2_at, b2_at, out, loss, bias, l2, classification, orders, order_stride,
             bounds, position, count, theta, lr, target, carry, epoch_sums, epoch_rows, grad, batch_pred,
             theta_before, work):
        return _update_loop(act, shape, (X, y, sstot, d, h, b1_at, w2_at, b2_at, out, loss, bias, l2,
                                         classification),
                            (orders, order_stride, bounds, position, count, theta, lr, target, carry, epoch_sums,
                             epoch_rows, grad, batch_pred, theta_before, work))

    loop.__name__ = loop.__qualname__ = _loop_name(act, shape)  # numba's cache is keyed by it
    return _numba.njit(cache=True, nogil=True, fastmath=FASTMATH, error_model="numpy")(loop)


def _loop_name(act: int, shape: int) -> str:
    return f"updates_{act}_{shape}"


def warm_up_in_background(keys=KEYS) -> threading.Thread:
    """Make the compiled loops ready, in ``keys``' order, without stalling this process, and say meanwhile that
    they are coming (pending(key)), so a live run may wait for its loop rather than contend for the GIL with its
    NumPy path. Loops in numba's disk cache load in milliseconds each (numba's import first takes a quarter of
    a second) and are loaded first. Compiling holds the GIL for seconds, so loops not cached yet are compiled in
    a child process (the first key alone first), which leaves numba's cache; this process then loads them."""
    keys = [key for key in keys if key not in _loops]
    _pending.update(keys)

    def load(wanted) -> None:
        for number, key in enumerate(wanted):
            if number:  # each load holds the GIL ~10 ms: spaced out, a window drawing meanwhile hardly notices
                time.sleep(LOAD_PAUSE_SECONDS)
            warm_up([key])
            _pending.discard(key)

    def compile_elsewhere(wanted) -> None:
        code = f"from model import kernel; kernel.warm_up({list(wanted)!r})"
        try:
            subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[1],
                           capture_output=True, timeout=1800, check=False)
        except (OSError, subprocess.SubprocessError):
            pass  # load() then compiles in this process instead

    def work():
        try:
            if not _jit_helpers():
                return
            load([key for key in keys if cache_exists([key])])
            missing = [key for key in keys if key not in _loops]
            for batch in (missing[:1], missing[1:]):
                if batch:
                    compile_elsewhere(batch)
                    load(batch)
        finally:
            _pending.difference_update(keys)  # ready, or never to be (numba missing or failing)

    thread = threading.Thread(target=work, name="kernel-warm-up", daemon=True)
    thread.start()
    return thread


def expect(keys) -> None:
    """Say that warm_up_in_background(keys) will be called soon: pending() answers yes for them from now on."""
    if _failed is None:
        _pending.update(key for key in keys if key not in _loops)


def pending(key: tuple[int, int]) -> bool:
    """Whether a background warm-up is making the loop for ``key`` ready (loading it from numba's cache within a
    second, or compiling it: seconds, on a machine's first launch)."""
    return enabled and key in _pending and key not in _loops


def cache_exists(keys=KEYS) -> bool:
    """Whether numba's on-disk cache holds the loops, in the folder numba itself chose (NUMBA_CACHE_DIR, next to
    this file, or a per-user folder when this install is read-only)."""
    if not _jit_helpers():
        return False
    folder = Path(_specialise(*keys[0]).stats.cache_path)
    stem = Path(__file__).stem
    return all(any(folder.glob(f"{stem}.{_loop_name(*key)}-*.nbi")) for key in keys)


def _smoke_call(fn) -> None:
    """Compile for the exact argument types the trainer passes (a dataset's X and y are read-only), so
    training never triggers a second compilation."""
    X, y = np.zeros((1, 1)), np.zeros((1, 1))
    X.flags.writeable = y.flags.writeable = False
    problem = Problem(X, y, np.zeros(1), 1, 1, 1, 2, 3, 0, 0, 0, True, 0.0, False, FUSED)
    size = 4
    run_updates(fn, problem, np.zeros((1, 1), dtype=np.int64), 0, np.array([0, 1], dtype=np.int64), 0, 1,
                np.zeros(size), 0.1, -1.0, np.zeros(TOTALS), np.empty((1, TOTALS)), np.empty((1, size)),
                np.empty(size), np.empty(1), np.empty(size), np.empty((3, size)))


# tanh as Cephes computes it, in arithmetic alone so that loops of it vectorise (libm's tanh is a call per value):
# x + x z P(z) / Q(z) with z = x^2 below 0.625, else 1 - 2 / (e^(2|x|) + 1), with e^y = 2^k e^r, |r| <= ln 2 / 2,
# e^r by its Taylor series to r^13. Within 2 ulp of libm's tanh (tests/test_model_gradients.py).
TANH_P = (-9.64399179425052238628e-1, -9.92877231001918586564e1, -1.61468768441708447952e3)
TANH_Q = (1.12811678491632931402e2, 2.23548839060100448583e3, 4.84406305325125486048e3)
LN2_HI, LN2_LO = 6.93147180369123816490e-01, 1.90821492927058770002e-10
EXP_TAYLOR = tuple(1.0 / math.factorial(n) for n in range(14))


def _tanh(x):
    ax = abs(x)
    z = x * x
    small = x + x * z * (((TANH_P[0] * z + TANH_P[1]) * z + TANH_P[2])
                         / (((z + TANH_Q[0]) * z + TANH_Q[1]) * z + TANH_Q[2]))
    y = 2.0 * min(ax, 20.0)  # tanh(20) rounds to 1; the clamp keeps 2^k within an int64
    k = np.floor(y / LN2_HI + 0.5)
    r = (y - k * LN2_HI) - k * LN2_LO
    e = EXP_TAYLOR[13]
    for n in range(12, -1, -1):
        e = e * r + EXP_TAYLOR[n]
    e *= float(np.int64(1) << np.int64(k))
    big = 1.0 - 2.0 / (e + 1.0)
    return small if ax < 0.625 else (big if x >= 0.0 else -big)


def _act(code, z):
    if code == LINEAR:
        return z
    if code == RELU:
        return z if z > 0.0 else 0.0
    if code == LEAKY_RELU:
        return z if z > 0.0 else LEAKY_SLOPE * z
    if code == SIGMOID:
        return 1.0 / (1.0 + math.exp(-z))
    return _tanh(z)


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


def _activate(code, one, h):
    """one[1, :h] = f(one[0, :h]) (a1 from z1): one branch, then a loop the compiler can vectorise."""
    if code == LINEAR:
        for j in range(h):
            one[1, j] = one[0, j]
    elif code == RELU:
        for j in range(h):
            one[1, j] = one[0, j] if one[0, j] > 0.0 else 0.0
    else:
        for j in range(h):
            one[1, j] = _act(code, one[0, j])


def _derivative(code, one, h):
    """one[3, :h] = f'(z1) from z1 = one[0] and a1 = one[1]."""
    if code == LINEAR:
        for j in range(h):
            one[3, j] = 1.0
    elif code == RELU:
        for j in range(h):
            one[3, j] = 1.0 if one[0, j] > 0.0 else 0.0
    else:
        for j in range(h):
            one[3, j] = _der(code, one[0, j], one[1, j])


def _output(out, loss, classification, m, z2, t):
    """One sample's output p, its loss, dL/dz2 divided by the batch size m (bce needs a sigmoid output, where
    its gradient is p - y), whether it is classified right (1 or 0) and its squared residual."""
    p = 1.0 / (1.0 + math.exp(-z2)) if out == SIGMOID else z2  # the output unit is linear or sigmoid
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
    if m != 1:
        dz2 /= m
    right = 1.0 if classification and (p >= 0.5) == (t >= 0.5) else 0.0
    return p, value, dz2, right, (p - t) * (p - t)


def _update_loop(act, shape, fixed, run):
    """Make ``count`` updates, from update ``position`` of the epoch under way. (act and shape are constants in
    each compiled copy; the other arguments come in two tuples, in the order of Problem.arguments and
    run_updates.)

    An epoch is one ordering of the n samples, cut into updates at ``bounds`` (updates per epoch + 1 offsets).
    Row e * order_stride of ``orders`` is the ordering of the e-th epoch touched here (order_stride 0: the same
    ordering every epoch). Update u uses X[orders[row, bounds[k]:bounds[k + 1]]] and changes theta (layout of
    model/network.py) by -lr * (the batch mean gradient + l2 * W).

    carry (5,) holds the running sums of the epoch under way (loss, samples, correct, squared residual,
    sstot), summed update by update, so any split of the work gives the same bits. When an update ends an
    epoch, its sums go to the next row of epoch_sums, theta to the next row of epoch_rows, and training stops
    there if the epoch's mean loss is <= target. It stops before an update whose loss or result is not finite,
    leaving theta as it was. On return theta holds the result, theta_before the parameters before the last
    update applied, grad and batch_pred the gradient and predictions of the last update attempted. work is
    (3, len(theta)) scratch. Returns (updates applied, status, last batch's loss sum).

    fixed = (X, y, sstot, d, h, b1_at, w2_at, b2_at, out, loss, bias, l2, classification).
    """
    X, y, sstot, d, h, b1_at, w2_at, b2_at, out, loss, bias, l2, classification = fixed
    (orders, order_stride, bounds, position, count, theta, lr, target, carry, epoch_sums, epoch_rows, grad,
     batch_pred, theta_before, work) = run
    size = theta.shape[0]
    upe = bounds.shape[0] - 1
    batch = 0
    for k in range(upe):
        batch = max(batch, bounds[k + 1] - bounds[k])
    batched = shape == BATCHED
    one = np.empty((4, h))  # one sample's z1, a1, dL/dz1, f'(z1)
    units = np.empty((2, h if batched else 0, batch))  # z1 and a1 of every sample of the batch
    samples_of = np.empty((3, batch if batched else 0))  # z2, dL/dz2 and one unit's dL/dz1 of each sample
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
        if shape == BATCHED:
            batch_loss, batch_correct, batch_ssres, batch_sstot = _batch_gradient(
                act, fixed, orders, order_row, lo, m, work, cur, grad, batch_pred, units, samples_of)
        else:  # one sample at a time, written out here: an inlined call per update costs more than a small update
            batch_loss, batch_correct, batch_ssres, batch_sstot = 0.0, 0.0, 0.0, 0.0
            for s in range(m):
                i = orders[order_row, lo + s]
                if shape == FUSED:
                    # forward, one hidden unit at a time: z1 = x W1 + b1, a1 = f(z1), z2 = a1 W2 + b2, p = g(z2)
                    z2 = 0.0
                    for j in range(h):
                        acc = 0.0
                        for q in range(d):
                            acc += X[i, q] * work[cur, q * h + j]
                        if bias:
                            acc += work[cur, b1_at + j]
                        a = _act(act, acc)
                        one[0, j], one[1, j] = acc, a
                        z2 += a * work[cur, w2_at + j]
                    if bias:
                        z2 += work[cur, b2_at]
                else:
                    # forward, layer by layer
                    for j in range(h):
                        one[0, j] = 0.0
                    for q in range(d):
                        xq = X[i, q]
                        for j in range(h):
                            one[0, j] += xq * work[cur, q * h + j]
                    if bias:
                        for j in range(h):
                            one[0, j] += work[cur, b1_at + j]
                    _activate(act, one, h)
                    z2 = 0.0
                    for j in range(h):
                        z2 += one[1, j] * work[cur, w2_at + j]
                    if bias:
                        z2 += work[cur, b2_at]
                p, value, dz2, right, squared_residual = _output(out, loss, classification, m, z2, y[i, 0])
                batch_pred[s] = p
                batch_loss += value
                batch_correct += right
                batch_ssres += squared_residual
                batch_sstot += sstot[i]
                if shape == FUSED:
                    # backward, summed over the batch: dW2 += a1 dz2, db2 += dz2, dz1 = dz2 W2 f'(z1), dW1 += x dz1
                    for j in range(h):
                        grad[w2_at + j] += one[1, j] * dz2
                        dz1_j = dz2 * work[cur, w2_at + j] * _der(act, one[0, j], one[1, j])
                        for q in range(d):
                            grad[q * h + j] += X[i, q] * dz1_j
                        if bias:
                            grad[b1_at + j] += dz1_j
                else:
                    # backward, layer by layer
                    _derivative(act, one, h)
                    for j in range(h):
                        grad[w2_at + j] += one[1, j] * dz2
                        one[2, j] = dz2 * work[cur, w2_at + j] * one[3, j]
                    for q in range(d):
                        xq = X[i, q]
                        for j in range(h):
                            grad[q * h + j] += xq * one[2, j]
                    if bias:
                        for j in range(h):
                            grad[b1_at + j] += one[2, j]
                if bias:
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


def _batch_gradient(act, fixed, orders, order_row, lo, m, work, cur, grad, batch_pred, units, samples_of):
    """The BATCHED shape: fill grad with the batch mean gradient over the m samples orders[order_row, lo:]
    (grad is 0 on entry) at the parameters work[cur], and batch_pred with the outputs, one hidden unit at a time
    over all the batch's samples. Returns the batch's (loss, correct, squared residual, sstot) sums."""
    X, y, sstot, d, h, b1_at, w2_at, b2_at, out, loss, bias, _, classification = fixed
    for k in range(m):
        samples_of[0, k] = 0.0
    # forward: z1 = x W1 + b1, a1 = f(z1), z2 = a1 W2 (+ b2 below)
    for j in range(h):
        for k in range(m):
            units[0, j, k] = 0.0
        for q in range(d):  # the loops over the samples are innermost, so they vectorise
            w1_qj = work[cur, q * h + j]
            for k in range(m):
                units[0, j, k] += X[orders[order_row, lo + k], q] * w1_qj
        b1_j, w2_j = work[cur, b1_at + j], work[cur, w2_at + j]
        for k in range(m):
            acc = units[0, j, k] + b1_j if bias else units[0, j, k]
            a = _act(act, acc)
            units[0, j, k], units[1, j, k] = acc, a
            samples_of[0, k] += a * w2_j
    batch_loss, batch_correct, batch_ssres, batch_sstot, db2 = 0.0, 0.0, 0.0, 0.0, 0.0
    for k in range(m):
        i = orders[order_row, lo + k]
        z2 = samples_of[0, k] + work[cur, b2_at] if bias else samples_of[0, k]
        p, value, g, right, squared_residual = _output(out, loss, classification, m, z2, y[i, 0])
        batch_pred[k] = p
        batch_loss += value
        batch_correct += right
        batch_ssres += squared_residual
        batch_sstot += sstot[i]
        samples_of[1, k] = g
        db2 += g
    if bias:
        grad[b2_at] = db2
    # backward: dW2 = a1 dz2, dz1 = dz2 W2 f'(z1), db1 = sum dz1, dW1 = x dz1, each a sum over the samples
    for j in range(h):
        w2_j = work[cur, w2_at + j]
        dw2, db1 = 0.0, 0.0
        for k in range(m):
            g = samples_of[1, k] * w2_j * _der(act, units[0, j, k], units[1, j, k])
            samples_of[2, k] = g
            dw2 += units[1, j, k] * samples_of[1, k]
            db1 += g
        grad[w2_at + j] = dw2
        if bias:
            grad[b1_at + j] = db1
        for q in range(d):
            dw1 = 0.0
            for k in range(m):
                dw1 += X[orders[order_row, lo + k], q] * samples_of[2, k]
            grad[q * h + j] = dw1
    return batch_loss, batch_correct, batch_ssres, batch_sstot
