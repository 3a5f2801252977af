"""The 2-layer perceptron: parameters, initialisation and the three phases of an update.

Shapes (d inputs, h hidden units, a batch of m samples):
    W1 (d, h)   b1 (h,)   W2 (h, 1)   b2 (1,)
    X (m, d)    z1, a1 (m, h)    z2, p, y (m, 1)

All four parameter arrays are views into one flat float64 vector ``theta`` of length d*h + h + h + 1, in
that order; gradients and changes use the same layout, so an update is one vector operation and a
history row is one copy. A disabled bias stays 0 and its gradient is 0.

Phases, in the manner of the TensorFlow Playground's nn.ts:
    forward(params, X, ws)                       fills ws.z1, ws.a1, ws.z2, ws.p
    backward(params, X, y, ws, spec, grad)       fills grad (the batch mean of dL/dtheta, plus weight decay)
    apply_update(params, grad, lr, ws)           theta -= lr * grad, unless that makes it non-finite
and forward's batched twin for many networks at once, evaluate_many (the history's test numbers).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.config import MAX_INPUTS, SettingError, TrainConfig
from model.functions import ACTIVATIONS, LOSSES, OUTPUTS, Activation, Loss


@dataclass(frozen=True)
class Layout:
    """Where each parameter array sits in theta: the one place that knows the layout.

    theta = [W1 (d*h, row-major: input i, hidden j at i*h + j), b1 (h), W2 (h), b2 (1)]."""

    n_inputs: int
    n_hidden: int

    @property
    def b1_at(self) -> int:
        return self.n_inputs * self.n_hidden

    @property
    def w2_at(self) -> int:
        return self.b1_at + self.n_hidden

    @property
    def b2_at(self) -> int:
        return self.w2_at + self.n_hidden

    @property
    def size(self) -> int:
        return self.b2_at + 1

    @property
    def W1(self) -> slice:
        return slice(0, self.b1_at)

    @property
    def b1(self) -> slice:
        return slice(self.b1_at, self.w2_at)

    @property
    def W2(self) -> slice:
        return slice(self.w2_at, self.b2_at)

    @property
    def b2(self) -> slice:
        return slice(self.b2_at, self.size)

    def split(self, thetas: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Views W1 (..., d, h), b1 (..., 1, h), W2 (..., h, 1), b2 (..., 1, 1) of theta vectors (..., size)."""
        lead, d, h = thetas.shape[:-1], self.n_inputs, self.n_hidden
        return (thetas[..., self.W1].reshape(*lead, d, h), thetas[..., self.b1].reshape(*lead, 1, h),
                thetas[..., self.W2].reshape(*lead, h, 1), thetas[..., self.b2].reshape(*lead, 1, 1))

    def names(self) -> list[str]:
        """Names in theta's order: w1_11 ... (input i, hidden j), b1_1 ..., w2_1 ..., b2 (1-based)."""
        d, h = self.n_inputs, self.n_hidden
        sep = "_" if max(d, h) > 9 else ""
        names = [f"w1_{i + 1}{sep}{j + 1}" for i in range(d) for j in range(h)]
        names += [f"b1_{j + 1}" for j in range(h)]
        names += [f"w2_{j + 1}" for j in range(h)]
        return [*names, "b2"]

    def hidden_unit(self) -> np.ndarray:
        """The hidden unit (0-based) each entry of theta belongs to: its incoming weights, bias and outgoing
        weight; -1 for b2."""
        h = self.n_hidden
        return np.concatenate([np.tile(np.arange(h), self.n_inputs), np.arange(h), np.arange(h), [-1]])

    def bias_mask(self) -> np.ndarray:
        """True at the positions of theta that hold biases."""
        mask = np.zeros(self.size, dtype=bool)
        mask[self.b1] = True
        mask[self.b2] = True
        return mask


class Params:
    """A flat parameter vector and its four shaped views (``W1``, ``b1``, ``W2``, ``b2``)."""

    def __init__(self, n_inputs: int, n_hidden: int, theta: np.ndarray | None = None):
        self.n_inputs, self.n_hidden = n_inputs, n_hidden
        self.layout = layout = Layout(n_inputs, n_hidden)
        size = layout.size
        self.theta = np.zeros(size) if theta is None else np.array(theta, dtype=np.float64).reshape(size)
        W1, b1, W2, b2 = layout.split(self.theta)
        self.W1, self.b1, self.W2, self.b2 = W1, b1.reshape(-1), W2, b2.reshape(-1)

    def copy(self) -> Params:
        return Params(self.n_inputs, self.n_hidden, self.theta.copy())

    @classmethod
    def from_arrays(cls, W1, b1, W2, b2) -> Params:
        W1 = np.asarray(W1, dtype=np.float64)
        d, h = W1.shape
        params = cls(d, h)
        params.W1[...] = W1
        params.b1[...] = 0.0 if b1 is None else np.asarray(b1, dtype=np.float64).reshape(h)
        params.W2[...] = np.asarray(W2, dtype=np.float64).reshape(h, 1)
        params.b2[...] = 0.0 if b2 is None else np.asarray(b2, dtype=np.float64).reshape(1)
        return params


def param_names(n_inputs: int, n_hidden: int) -> list[str]:
    return Layout(n_inputs, n_hidden).names()


def init_params(config: TrainConfig, n_inputs: int, rng: np.random.RandomState | None = None) -> Params:
    """Initial parameters for ``config.init``, drawn from ``rng`` (default RandomState(config.seed)).

    Draws are made in the order W1, b1, W2, b2, skipping biases that are off or zero, which is the order
    of the notebooks, so their numbers reproduce bit for bit:
        ones     weights 1, biases 0 (notebook 000)
        uniform  every parameter uniform in [0, 1) (001, 003)
        xavier   weights normal with scale 1/sqrt(fan_in), biases 0 (002, 004)
        he       weights normal with scale sqrt(2/fan_in), biases 0
    """
    if not 1 <= n_inputs <= MAX_INPUTS:
        raise SettingError("inputs", n_inputs, f"the network takes 1 to {MAX_INPUTS} inputs")
    d, h = n_inputs, config.hidden
    params = Params(d, h)
    rng = np.random.RandomState(config.seed) if rng is None else rng
    if config.init == "ones":
        params.W1[...] = 1.0
        params.W2[...] = 1.0
    elif config.init == "uniform":
        params.W1[...] = rng.random_sample((d, h))
        if config.bias:
            params.b1[...] = rng.random_sample(h)
        params.W2[...] = rng.random_sample((h, 1))
        if config.bias:
            params.b2[...] = rng.random_sample(1)
    else:
        gain = 1.0 if config.init == "xavier" else 2.0
        params.W1[...] = rng.normal(scale=np.sqrt(gain / d), size=(d, h))
        params.W2[...] = rng.normal(scale=np.sqrt(gain / h), size=(h, 1))
    return params


@dataclass(frozen=True)
class NetworkSpec:
    """The functions a network computes with, looked up once from the settings' names."""

    activation: Activation
    output: Activation
    loss: Loss
    l2: float
    bias: bool

    @classmethod
    def from_config(cls, config: TrainConfig) -> NetworkSpec:
        return cls(ACTIVATIONS[config.activation], OUTPUTS[config.output], LOSSES[config.loss], config.l2,
                   config.bias)


class Workspace:
    """Buffers for one batch size, allocated once and reused by every update of that size.

    Reusing them matters: fresh large arrays every step are handed back to the OS and page-faulted in
    again; bench/engine.py measures it (here: a 100,000-sample epoch 1.3x, a 100x100 grid pass 2x slower).
    """

    def __init__(self, m: int, n_inputs: int, n_hidden: int):
        h = n_hidden
        self.m = m
        self.z1, self.a1, self.dz1, self.der = (np.empty((m, h)) for _ in range(4))
        self.z2, self.p = np.empty((m, 1)), np.empty((m, 1))
        self.ones = np.ones(m)  # summing a batch as ones @ values is several times faster than sum(axis=0)
        self.dz2, self.scratch, self.sample_loss = np.empty((m, 1)), np.empty((m, 1)), np.empty((m, 1))
        size = Layout(n_inputs, n_hidden).size
        self.delta, self.candidate = np.empty(size), np.empty(size)

    def first_rows(self, m: int) -> Workspace:
        """A workspace for a batch of ``m`` <= self.m rows made of the first rows of these buffers (views: it
        allocates nothing, and using it overwrites them)."""
        if not 0 < m <= self.m:
            raise ValueError(f"m = {m}: must be 1 to {self.m}")
        view = object.__new__(Workspace)
        for name, buffer in vars(self).items():  # every buffer but the parameter-sized ones has a row per sample
            setattr(view, name, buffer if name in ("delta", "candidate") or not isinstance(buffer, np.ndarray)
                    else buffer[:m])
        view.m = m
        return view


def forward(params: Params, X: np.ndarray, ws: Workspace, spec: NetworkSpec) -> None:
    """Fill ws.z1 = X W1 + b1, ws.a1 = f(z1), ws.z2 = a1 W2 + b2 and ws.p = g(z2) for the rows of X."""
    np.matmul(X, params.W1, out=ws.z1)
    if spec.bias:  # disabled biases are 0: skip adding them
        ws.z1 += params.b1
    spec.activation.output(ws.z1, ws.a1)
    np.matmul(ws.a1, params.W2, out=ws.z2)
    if spec.bias:
        ws.z2 += params.b2
    spec.output.output(ws.z2, ws.p)


def loss_value(ws: Workspace, y: np.ndarray, spec: NetworkSpec) -> float:
    """Sum over the batch of the per-sample loss of the last forward pass (also kept in ws.sample_loss)."""
    spec.loss.value(ws.p, y, ws.z2, ws.sample_loss)
    return float(ws.sample_loss.sum())


def backward(params: Params, X: np.ndarray, y: np.ndarray, ws: Workspace, spec: NetworkSpec, grad: Params,
             batch_size: int | None = None, decay: bool = True) -> None:
    """Fill ``grad`` with the gradient of mean loss + (l2/2)|W|^2 over the batch, after forward(X).

    dz2 = dL/dz2 / m;  dW2 = a1^T dz2;  db2 = sum dz2;  dz1 = (dz2 W2^T) * f'(z1);  dW1 = X^T dz1;  db1 = sum dz1

    For a batch taken in blocks of rows, X is one block: ``batch_size`` is the whole batch's m, and
    ``decay=False`` leaves the weight decay to be added once, by add_weight_decay, after the blocks are summed.
    """
    m = X.shape[0] if batch_size is None else batch_size
    spec.loss.grad_z(ws.p, y, ws.z2, spec.output, ws.dz2, ws.scratch)
    if m != 1:
        ws.dz2 /= m
    np.matmul(ws.a1.T, ws.dz2, out=grad.W2)
    np.matmul(ws.dz2, params.W2.T, out=ws.dz1)
    spec.activation.der(ws.z1, ws.a1, ws.der)
    ws.dz1 *= ws.der
    np.matmul(X.T, ws.dz1, out=grad.W1)
    if spec.bias:
        np.matmul(ws.ones, ws.dz2, out=grad.b2)
        np.matmul(ws.ones, ws.dz1, out=grad.b1)
    else:
        grad.b1[...] = 0.0
        grad.b2[...] = 0.0
    if decay:
        add_weight_decay(params, grad, spec)


def add_weight_decay(params: Params, grad: Params, spec: NetworkSpec) -> None:
    """grad += l2 * W for the weights (biases are not decayed)."""
    if spec.l2:
        grad.W1 += spec.l2 * params.W1
        grad.W2 += spec.l2 * params.W2


def apply_update(params: Params, grad: Params, lr: float, ws: Workspace) -> bool:
    """theta += delta with delta = -lr * grad (kept in ws.delta). Returns False, changing nothing,
    when the result would not be finite: training stops there with the last finite weights."""
    np.multiply(grad.theta, -lr, out=ws.delta)
    np.add(params.theta, ws.delta, out=ws.candidate)
    if not np.isfinite(ws.candidate.sum()) and not np.isfinite(ws.candidate).all():
        return False
    np.copyto(params.theta, ws.candidate)
    return True


def predict(params: Params, X: np.ndarray, spec: NetworkSpec, ws: Workspace | None = None) -> np.ndarray:
    """The network's output for every row of X, shape (m, 1). Pass a workspace to avoid allocating."""
    X = np.asarray(X, dtype=np.float64).reshape(-1, params.n_inputs)
    if ws is None or ws.m != X.shape[0]:
        ws = Workspace(X.shape[0], params.n_inputs, params.n_hidden)
    with np.errstate(over="ignore", invalid="ignore"):
        forward(params, X, ws, spec)
    return ws.p


def explain(params: Params, X: np.ndarray, y: np.ndarray, spec: NetworkSpec, lr: float) -> dict[str, np.ndarray]:
    """Every intermediate value of one update on the batch (X, y), for reading its arithmetic."""
    X = np.asarray(X, dtype=np.float64).reshape(-1, params.n_inputs)
    y = np.asarray(y, dtype=np.float64).reshape(-1, 1)
    ws = Workspace(X.shape[0], params.n_inputs, params.n_hidden)
    grad = Params(params.n_inputs, params.n_hidden)
    with np.errstate(over="ignore", invalid="ignore"):
        forward(params, X, ws, spec)
        loss_sum = loss_value(ws, y, spec)
        backward(params, X, y, ws, spec, grad)
    return {
        "x": X, "y": y, "z1": ws.z1.copy(), "a1": ws.a1.copy(), "z2": ws.z2.copy(), "p": ws.p.copy(),
        "loss": np.array(loss_sum / X.shape[0]), "dz2": ws.dz2.copy(), "dz1": ws.dz1.copy(),
        "grad": grad.theta.copy(), "delta": -lr * grad.theta, "m": np.array(X.shape[0]),
    }


# Networks x rows x hidden units evaluated at once: a few MB, whatever the data.
EVALUATE_BLOCK_VALUES = 1 << 20


def evaluate_many(thetas: np.ndarray, X: np.ndarray, y: np.ndarray, spec: NetworkSpec, layout: Layout,
                  classification: bool, block_values: int = EVALUATE_BLOCK_VALUES) -> tuple[np.ndarray, np.ndarray]:
    """Mean loss and accuracy (classification) or R^2 of the networks ``thetas`` (k, n_params) on (X, y).

    Works on blocks of networks x rows (at most ``block_values`` hidden values at once), so a chunk of many
    epochs costs a few NumPy calls rather than a Python loop per epoch, and a million rows never need more
    than a block's memory. The row blocks depend on the data's size and the hidden size alone, so a network's
    numbers do not depend on which others were evaluated with it.
    """
    k, m, h = len(thetas), len(X), layout.n_hidden
    rows = max(1, min(m, block_values // h))
    nets = max(1, block_values // (rows * h))
    sums = np.zeros((k, 3))  # loss, correct, squared residual
    with np.errstate(over="ignore", invalid="ignore"):
        for lo in range(0, k, nets):
            block = thetas[lo : lo + nets]
            for start in range(0, m, rows):
                sums[lo : lo + nets] += _evaluate_block(block, X[start : start + rows], y[start : start + rows],
                                                        spec, layout, classification)
    losses = sums[:, 0] / m
    if classification:
        return losses, sums[:, 1] / m
    sstot = float(((y - y.mean()) ** 2).sum())
    metrics = 1.0 - sums[:, 2] / sstot if sstot > 0 else np.full(k, np.nan)
    return losses, metrics


def _evaluate_block(block, X, y, spec, layout, classification) -> np.ndarray:
    """(networks, 3): summed loss, correct predictions and squared residuals of each network in block on (X, y)."""
    W1, b1, W2, b2 = layout.split(block)
    z1 = np.matmul(X, W1) + b1
    a1 = np.empty_like(z1)
    spec.activation.output(z1, a1)
    z2 = np.matmul(a1, W2) + b2
    p = np.empty_like(z2)
    spec.output.output(z2, p)
    yy = np.broadcast_to(y, p.shape)
    per_sample = np.empty_like(p)
    spec.loss.value(p, yy, z2, per_sample)
    result = np.zeros((len(block), 3))
    result[:, 0] = per_sample.sum(axis=(1, 2))
    if classification:
        result[:, 1] = ((p >= 0.5) == (yy >= 0.5)).sum(axis=(1, 2))
    else:
        result[:, 2] = np.square(p - yy).sum(axis=(1, 2))
    return result
