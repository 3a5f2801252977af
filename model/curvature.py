"""The curvature of the training loss, and the largest learning rate gradient descent is stable at.

Near a minimum the loss is a quadratic form in the Hessian H, and a gradient step with rate lr multiplies the
error along each eigenvector of H by (1 - lr * lambda): it shrinks while lr < 2 / lambda and grows, alternating in
sign, once lr > 2 / lambda. So 2 / lambda_max, lambda_max the largest eigenvalue of H, is the largest stable rate.
The objective is the one training descends: the mean loss over the rows plus (l2 / 2)|W|^2 (biases not decayed;
disabled biases never move, so their rows and columns of H are 0).

Hessian-vector products are exact, not finite differences: Pearlmutter's R-operator, the directional derivative
of each phase of forward and backward (model/network.py) along v, written out in ``_hessian_vector``. It needs the
second derivative of the activations and of the loss in z2, which model/functions.py does not hold: they are the
two small tables below, keyed by the same names (tests/test_model_curvature.py checks that every activation and
loss has an entry). At a ReLU kink f'' is a point mass that the formulas leave out, as the finite-difference
Hessian also does unless a pre-activation lies within its step of 0. Exactness is what makes the tests' 1e-6 an
honest bound: a central difference of gradients, (g(theta + h v) - g(theta - h v)) / 2h, carries an error of
order h^2 |g'''| + eps |g| / h, about 1e-8 relative at the best h but depending on the network's scale.

The largest eigenvalue: Lanczos iteration on those products, from a seeded random start (so the estimate is
deterministic). Lanczos is power iteration that keeps its earlier vectors: after k products it has the best
estimate in the Krylov space that power iteration's k-th vector lies in, so it is never worse and usually far
better, and it finds the largest *algebraic* eigenvalue, even when a negative one (a saddle's) is larger in
magnitude, where power iteration would find that one instead. Its estimates rise towards lambda_max from below
(so the method can only put the limit a little high, never low), and it stops early once the Ritz residual bounds
the error below RELATIVE_TOLERANCE; a network with at most ``iterations`` parameters gets its top eigenvalue
exactly (to rounding), and 20 products were exact to 1e-12 on every network tried (up to 2-64-1).

Big data: the estimate uses at most ``sample_size(n, hidden)`` rows (all of them up to 4096 rows and 2^18
row x hidden values, else a seeded random subset of that many), so that it costs tens of milliseconds at most
whatever the size of the data (2-64-1 on 10^5 rows: 25 ms with ReLU, 40 ms with tanh); the top curvature of
4096 random rows of the product data was that of all 10^5 to 0.3 % (ReLU) and 1e-5 (tanh).

It is the curvature of the full training loss. Updates on single samples or minibatches see their own batch's
curvature, which varies around it, so for them the limit is a guide rather than a sharp edge.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from model.network import Layout, NetworkSpec, Params, Workspace, forward

MAX_SAMPLE_ROWS = 4096  # rows the estimate uses at most
SAMPLE_VALUES = 1 << 18  # rows x hidden units it uses at most (a 1024-unit network: 256 rows)
MIN_SAMPLE_ROWS = 256  # ... but never fewer rows than this (or all of them)
RELATIVE_TOLERANCE = 1e-8  # Lanczos stops once its Ritz residual, a bound on the error of lambda_max, is below this
# times the largest |eigenvalue| seen (typically the error is far smaller: its square over the spectral gap)


# --- second derivatives, keyed by the names of model/functions.py -------------------------------------------
def _zero(z: np.ndarray, a: np.ndarray) -> np.ndarray:
    return np.zeros_like(z)


def _sigmoid_second(z: np.ndarray, a: np.ndarray) -> np.ndarray:
    out = np.subtract(1.0, a)  # s'' = s (1 - s) (1 - 2 s)
    out *= a
    out *= 1.0 - 2.0 * a
    return out


def _tanh_second(z: np.ndarray, a: np.ndarray) -> np.ndarray:
    out = np.multiply(a, a)  # tanh'' = -2 tanh (1 - tanh^2) = 2 tanh (tanh^2 - 1)
    out -= 1.0
    out *= a
    out *= 2.0
    return out


# f''(z), from z and a = f(z); the piecewise-linear functions have 0 away from their kink.
SECOND_DERIVATIVES = {"linear": _zero, "relu": _zero, "leaky_relu": _zero, "sigmoid": _sigmoid_second,
                      "tanh": _tanh_second}


def _output_derivatives(spec: NetworkSpec, z2: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    first = np.empty_like(z2)
    spec.output.der(z2, p, first)
    return first, SECOND_DERIVATIVES[spec.output.name](z2, p)


def _squared_curvature(spec, p, y, z2) -> np.ndarray:
    g1, g2 = _output_derivatives(spec, z2, p)  # d^2/dz^2 (g(z) - y)^2 = 2 (g'^2 + (g - y) g'')
    return 2.0 * (g1 * g1 + (p - y) * g2)


def _half_squared_curvature(spec, p, y, z2) -> np.ndarray:
    return 0.5 * _squared_curvature(spec, p, y, z2)


def _bce_curvature(spec, p, y, z2) -> np.ndarray:
    return _output_derivatives(spec, z2, p)[0]  # d/dz (p - y) = p (1 - p)


# d^2 L / dz2^2 per sample, for the loss's name (the derivative of its grad_z).
LOSS_CURVATURES = {"squared": _squared_curvature, "half_squared": _half_squared_curvature, "bce": _bce_curvature}


# --- Hessian-vector products --------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Linearisation:
    """What every Hessian-vector product at one theta shares: the forward pass and the first and second
    derivatives along it, per row and already divided by m where the mean divides; and buffers for the products
    (fresh megabyte arrays per product would be page-faulted in every time)."""

    params: Params
    X: np.ndarray
    spec: NetworkSpec
    a1: np.ndarray  # f(z1) (m, h)
    f1: np.ndarray  # f'(z1)
    dz2: np.ndarray  # dL/dz2 / m (m, 1)
    d2z2: np.ndarray  # d^2L/dz2^2 / m (m, 1)
    bend: np.ndarray | None  # (dz2 W2^T) f''(z1): how z1's change moves dz1 through f'; None where f'' = 0
    ones: np.ndarray  # (m,): sums over rows as a product
    rz1: np.ndarray  # (m, h) buffers
    rdz1: np.ndarray
    pair: np.ndarray  # (m, 2): [R dz2, dz2]


def _linearise(params: Params, X: np.ndarray, y: np.ndarray, spec: NetworkSpec) -> _Linearisation:
    m = len(X)
    ws = Workspace(m, params.n_inputs, params.n_hidden)
    forward(params, X, ws, spec)
    spec.activation.der(ws.z1, ws.a1, ws.der)
    dz2 = np.empty_like(ws.z2)
    spec.loss.grad_z(ws.p, y, ws.z2, spec.output, dz2, ws.scratch)
    dz2 /= m
    d2z2 = LOSS_CURVATURES[spec.loss.name](spec, ws.p, y, ws.z2) / m
    bend = None
    if SECOND_DERIVATIVES[spec.activation.name] is not _zero:
        bend = SECOND_DERIVATIVES[spec.activation.name](ws.z1, ws.a1)
        bend *= dz2
        bend *= params.W2.T
    pair = np.empty((m, 2))
    pair[:, 1] = dz2[:, 0]
    return _Linearisation(params, X, spec, ws.a1, ws.der, dz2, d2z2, bend, ws.ones, ws.z1, ws.dz1, pair)


def _hessian_vector(lin: _Linearisation, v: np.ndarray) -> np.ndarray:
    """H v: the R-operator (derivative along v) of forward and backward, phase by phase:
        R z1 = X V1 + c1             R a1 = f'(z1) R z1          R z2 = R a1 W2 + a1 V2 + c2
        R dz2 = L''(z2) R z2 / m     R dW2 = R a1^T dz2 + a1^T R dz2
        R dz1 = (R dz2 W2^T + dz2 V2^T) f'(z1) + dz2 W2^T f''(z1) R z1       R dW1 = X^T R dz1
    with v = (V1, c1, V2, c2), the biases' rows summed, plus l2 v on the weights."""
    params, X, spec = lin.params, lin.X, lin.spec
    V = Params(params.n_inputs, params.n_hidden, v)
    out = Params(params.n_inputs, params.n_hidden)
    rz1, ra1 = np.matmul(X, V.W1, out=lin.rz1), lin.rdz1
    if spec.bias:
        rz1 += V.b1
    np.multiply(lin.f1, rz1, out=ra1)
    rz2 = ra1 @ params.W2 + lin.a1 @ V.W2
    if spec.bias:
        rz2 += V.b2
    rdz2 = lin.pair[:, :1]
    np.multiply(lin.d2z2, rz2, out=rdz2)
    out.W2[...] = ra1.T @ lin.dz2 + lin.a1.T @ rdz2
    rdz1 = np.matmul(lin.pair, np.vstack([params.W2.T, V.W2.T]), out=lin.rdz1)  # overwrites R a1, used above
    rdz1 *= lin.f1
    if lin.bend is not None:
        rz1 *= lin.bend
        rdz1 += rz1
    out.W1[...] = X.T @ rdz1
    if spec.bias:
        out.b2[...] = rdz2.sum()
        np.matmul(lin.ones, rdz1, out=out.b1)
    if spec.l2:
        out.W1 += spec.l2 * V.W1
        out.W2 += spec.l2 * V.W2
    return out.theta


def _as_batch(params: Params, X, y) -> tuple[np.ndarray, np.ndarray]:
    X = np.asarray(X, dtype=np.float64).reshape(-1, params.n_inputs)
    return X, np.asarray(y, dtype=np.float64).reshape(-1, 1)


def hessian_vector(params: Params, X: np.ndarray, y: np.ndarray, spec: NetworkSpec, v: np.ndarray) -> np.ndarray:
    """H v, H the Hessian of the mean loss over the rows of (X, y) plus (l2 / 2)|W|^2 with respect to theta (the
    layout of model/network.py), exactly (see the module's notes). Uses every row given."""
    X, y = _as_batch(params, X, y)
    with np.errstate(over="ignore", invalid="ignore"):
        return _hessian_vector(_linearise(params, X, y, spec), np.asarray(v, dtype=np.float64))


# --- the largest eigenvalue ---------------------------------------------------------------------------------
def _top_ritz_value(alphas: list[float], betas: list[float]) -> tuple[float, float, float]:
    """The largest eigenvalue of the Lanczos tridiagonal matrix, the last entry of its eigenvector, and the largest
    magnitude of its eigenvalues (the scale of H seen so far)."""
    k = len(alphas)
    T = np.diag(alphas) + np.diag(betas[: k - 1], 1) + np.diag(betas[: k - 1], -1)
    values, vectors = np.linalg.eigh(T)
    return float(values[-1]), float(vectors[-1, -1]), float(np.abs(values).max())


def lanczos_largest(product, size: int, iterations: int = 20, seed: int = 0) -> float:
    """The largest eigenvalue of the symmetric operator ``product`` (v -> H v) on vectors of ``size``, from at
    most ``iterations`` products (Lanczos with full reorthogonalisation, from a seeded random start)."""
    q = np.random.default_rng(seed).standard_normal(size)
    q /= np.linalg.norm(q)
    basis, alphas, betas = np.empty((min(max(iterations, 1), size), size)), [], []
    top = 0.0
    for k in range(len(basis)):
        basis[k] = q
        w = product(q)
        alphas.append(float(q @ w))
        for _ in range(2):  # twice is enough (Kahan): w stays orthogonal to the basis to rounding
            w -= basis[: k + 1].T @ (basis[: k + 1] @ w)
        beta = float(np.linalg.norm(w))
        betas.append(beta)
        top, last, scale = _top_ritz_value(alphas, betas)
        if not math.isfinite(top) or abs(beta * last) <= RELATIVE_TOLERANCE * scale:
            break  # |H s - top s| = |beta * last| bounds the error of top; beta ~ 0: an invariant subspace
        q = w / beta
    return top


def sample_size(n_rows: int, n_hidden: int) -> int:
    """How many rows the estimate uses: all of them, or at most MAX_SAMPLE_ROWS and SAMPLE_VALUES // hidden
    (never fewer than MIN_SAMPLE_ROWS)."""
    return min(n_rows, max(MIN_SAMPLE_ROWS, min(MAX_SAMPLE_ROWS, SAMPLE_VALUES // n_hidden)))


def sample_rows(n_rows: int, n_hidden: int, seed: int = 0) -> np.ndarray | None:
    """The rows the estimate uses, sorted: None for all of them, else a seeded random subset."""
    k = sample_size(n_rows, n_hidden)
    if k >= n_rows:
        return None
    return np.sort(np.random.default_rng(seed).choice(n_rows, k, replace=False))


def largest_eigenvalue(params: Params, X: np.ndarray, y: np.ndarray, spec: NetworkSpec, iterations: int = 20,
                       seed: int = 0) -> float:
    """lambda_max of the Hessian of the training objective at ``params`` on (at most a sample of) the rows of
    (X, y); nan when it cannot be computed (weights so large that the loss is not finite)."""
    X, y = _as_batch(params, X, y)
    rows = sample_rows(len(X), params.n_hidden, seed)
    if rows is not None:
        X, y = X[rows], y[rows]
    with np.errstate(over="ignore", invalid="ignore"):
        lin = _linearise(params, X, y, spec)
        if not (np.isfinite(lin.dz2).all() and np.isfinite(lin.d2z2).all()):
            return math.nan
        top = lanczos_largest(lambda v: _hessian_vector(lin, v), Layout(params.n_inputs, params.n_hidden).size,
                              iterations, seed)
    return top if math.isfinite(top) else math.nan


def limit_from_eigenvalue(top: float) -> float:
    """2 / lambda_max: inf when the loss does not curve upwards anywhere (lambda_max <= 0), nan when unknown."""
    if math.isnan(top):
        return math.nan
    return 2.0 / top if top > 0 else math.inf


def stable_lr_limit(params: Params, X: np.ndarray, y: np.ndarray, spec: NetworkSpec, iterations: int = 20,
                    seed: int = 0) -> float:
    """The largest learning rate at which gradient descent is stable here: 2 / lambda_max (inf, nan as
    limit_from_eigenvalue)."""
    return limit_from_eigenvalue(largest_eigenvalue(params, X, y, spec, iterations, seed))


def trainer_lr_limit(trainer, iterations: int = 20) -> float:
    """stable_lr_limit for a Trainer's current network on its training set (call it where the trainer lives:
    its parameters change while it trains)."""
    return stable_lr_limit(trainer.params, trainer.dataset.X, trainer.dataset.y, trainer.spec, iterations)


# --- in words -------------------------------------------------------------------------------------------------
def _ratio_text(ratio: float) -> str:
    """How lr compares with the limit: "25x", "1.5x", "0.2 % above", "3 % below", "0.5x"."""
    if abs(ratio - 1.0) < 0.1:
        percent = float(f"{abs(ratio - 1.0) * 100:.1g}")  # one significant digit
        return f"{percent:g} % {'above' if ratio > 1 else 'below'}"
    if round(ratio, 1) >= 10:
        return f"{ratio:.0f}x"
    return f"{ratio:.1f}x" if ratio >= 1 else f"{ratio:.2g}x"


def lr_remark(lr: float, limit: float | None) -> str:
    """"lr 0.1 is 25x the estimated limit 0.004 for this network"; "" when there is no finite limit."""
    if limit is None or not math.isfinite(limit) or limit <= 0:
        return ""
    return f"lr {lr:g} is {_ratio_text(lr / limit)} the estimated limit {limit:.4g} for this network"
