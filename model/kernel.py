"""A compiled update loop, for every mode: a run of updates, each on a batch of samples.

For a 2-4-1 network an update is about 30 NumPy calls of ~1 us each, all overhead; compiled, the same
arithmetic takes well under a microsecond, and a run of many updates costs one call. The loop mirrors
model/network.py phase by phase and is tested against it to 1e-12 (tests/test_model_gradients.py). It is
optional: without numba, or until it has been compiled, the trainer uses the NumPy path, so nothing ever
waits for compilation at start-up.

Compilation happens on first use and is cached on disk by numba (``cache=True``); ``warm_up()`` does it
ahead of time, ``ready()`` says whether a call would be instant.
"""

from __future__ import annotations

import math
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np

DONE, DIVERGED, TARGET_REACHED = 0, 1, 2

_lock = threading.Lock()
_compiled = None  # the jitted function once compiled
_failed: str | None = None  # why it cannot be had (no numba, compilation error)


def ready():
    """The compiled update loop if it has been compiled, else None (never blocks)."""
    return _compiled


def unavailable_reason() -> str | None:
    return _failed


def warm_up():
    """Import numba and compile (or load from the on-disk cache). Returns the function or None."""
    global _compiled, _failed, _act, _der
    with _lock:
        if _compiled is not None or _failed is not None:
            return _compiled
        try:
            import numba
        except ImportError:
            _failed = "numba is not installed"
            return None
        try:
            jit = numba.njit(cache=True, nogil=True)
            # The loop looks its helpers up as module globals: compile them first, under the same names.
            _act, _der = jit(_act), jit(_der)
            jitted = jit(_updates)
            _smoke_call(jitted)
        except Exception as exc:  # a broken numba/llvmlite install must not stop training
            _failed = f"numba could not compile the update loop: {exc.__class__.__name__}: {exc}"
            return None
        _compiled = jitted
        return _compiled


def warm_up_in_background() -> threading.Thread:
    """Make the compiled loop ready without stalling this process: numba holds the GIL for about 1.5 s
    while it compiles, so a first compilation runs in a child process, which leaves numba's on-disk cache;
    this process then only loads it (a few hundred ms, in a background thread)."""

    def work():
        if not _cache_exists():
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


def _cache_exists() -> bool:
    return any((Path(__file__).parent / "__pycache__").glob("kernel._updates-*.nbi"))


def _smoke_call(fn) -> None:
    """Compile for the exact argument types the trainer passes (a dataset's X and y are read-only), so
    training never triggers a second compilation."""
    X = np.zeros((1, 1))
    y = np.zeros((1, 1))
    X.flags.writeable = y.flags.writeable = False
    idx = np.zeros(1, dtype=np.int64)
    starts = np.array([0, 1], dtype=np.int64)
    theta = np.zeros(4)
    rows = np.empty((1, 4))
    fn(X, y, idx, starts, theta, 1, 1, 0, 0, 0, True, 0.1, 0.0, 0, 1, 1, 0.0, -1.0,
       np.empty(1), np.empty(1), rows, np.empty(4), np.empty(4), np.empty(4), np.empty(4), np.empty(4))


def _act(code, z):
    # Codes as in model/functions.py: linear 0, relu 1, leaky_relu 2, sigmoid 3, tanh 4.
    if code == 0:
        return z
    if code == 1:
        return z if z > 0.0 else 0.0
    if code == 2:
        return z if z > 0.0 else 0.01 * z
    if code == 3:
        return 1.0 / (1.0 + math.exp(-z))
    return math.tanh(z)


def _der(code, z, a):
    if code == 0:
        return 1.0
    if code == 1:
        return 1.0 if z > 0.0 else 0.0
    if code == 2:
        return 1.0 if z > 0.0 else 0.01
    if code == 3:
        return (1.0 - a) * a
    return 1.0 - a * a


def _updates(X, y, idx, starts, theta, d, h, act, out, loss, bias, lr, l2, first_pos, epoch_len, n_samples,
             epoch_loss, target, loss_out, pred_out, epoch_rows, last_grad, last_delta, last_theta_before, grad, delta):
    """Apply one update per batch: update u uses the samples X[idx[starts[u]:starts[u + 1]]].

    theta is updated in place (layout of model/network.py) with the batch mean gradient plus l2 * W.
    loss_out[u] receives the batch's summed loss before the update, pred_out[s] the prediction for idx[s].
    When an update ends an epoch (its position first_pos + u is the last of epoch_len) theta is copied
    into the next row of epoch_rows. last_* receive the gradient, the change and theta before the change
    of the last update applied. epoch_loss is the loss summed so far in the current epoch; training
    stops after an epoch whose mean loss (over n_samples) is <= target. Stops before an update whose loss
    or result is not finite. Returns (updates applied, DONE | DIVERGED | TARGET_REACHED).
    """
    w2_at = d * h + h
    b2_at = w2_at + h
    size = theta.shape[0]
    z1 = np.empty(h)
    a1 = np.empty(h)
    row = 0
    n_updates = starts.shape[0] - 1
    for u in range(n_updates):
        m = starts[u + 1] - starts[u]
        for n in range(size):
            grad[n] = 0.0
        batch_loss = 0.0
        for s in range(starts[u], starts[u + 1]):
            i = idx[s]
            # forward: z1 = x W1 + b1, a1 = f(z1), z2 = a1 W2 + b2, p = g(z2)
            for j in range(h):
                acc = 0.0
                for q in range(d):
                    acc += X[i, q] * theta[q * h + j]
                z1[j] = acc + theta[d * h + j]
                a1[j] = _act(act, z1[j])
            acc = 0.0
            for j in range(h):
                acc += a1[j] * theta[w2_at + j]
            z2 = acc + theta[b2_at]
            p = _act(out, z2)
            t = y[i, 0]
            pred_out[s] = p
            # loss and dL/dz2 (bce needs a sigmoid output, where its gradient is p - y)
            if loss == 2:
                # same order of operations as model/functions.py's _bce
                value = (math.log1p(math.exp(-abs(z2))) + max(z2, 0.0)) - z2 * t
                dz2 = p - t
            else:
                value = (p - t) * (p - t)
                dz2 = 2.0 * (p - t) if loss == 0 else p - t
                if loss == 1:
                    value *= 0.5
                if out != 0:
                    dz2 *= _der(out, z2, p)
            batch_loss += value
            if m != 1:
                dz2 /= m
            # backward, summed over the batch: dW2 += a1 dz2, db2 += dz2, dz1 = dz2 W2 f'(z1), dW1 += x dz1
            for j in range(h):
                grad[w2_at + j] += a1[j] * dz2
                dz1 = dz2 * theta[w2_at + j] * _der(act, z1[j], a1[j])
                grad[d * h + j] += dz1
                for q in range(d):
                    grad[q * h + j] += X[i, q] * dz1
            grad[b2_at] += dz2
        loss_out[u] = batch_loss
        if not math.isfinite(batch_loss):
            return u, DIVERGED
        if l2 != 0.0:
            for j in range(h):
                grad[w2_at + j] += l2 * theta[w2_at + j]
                for q in range(d):
                    grad[q * h + j] += l2 * theta[q * h + j]
        if not bias:
            for j in range(h):
                grad[d * h + j] = 0.0
            grad[b2_at] = 0.0
        # update, only if every result is finite
        finite = True
        for n in range(size):
            delta[n] = grad[n] * -lr
            if not math.isfinite(theta[n] + delta[n]):
                finite = False
        if not finite:
            return u, DIVERGED
        for n in range(size):
            last_theta_before[n] = theta[n]
            theta[n] += delta[n]
            last_grad[n] = grad[n]
            last_delta[n] = delta[n]
        epoch_loss += batch_loss
        if (first_pos + u + 1) % epoch_len == 0:
            for n in range(size):
                epoch_rows[row, n] = theta[n]
            row += 1
            if epoch_loss / n_samples <= target:
                return u + 1, TARGET_REACHED
            epoch_loss = 0.0
    return n_updates, DONE
