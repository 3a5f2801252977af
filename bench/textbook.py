"""The "textbook" training loops of the seed notebooks, used as the baseline in bench/engine.py.

Written the way the notebooks write them: plain NumPy expressions that allocate fresh arrays at every
step. They compute the same updates as the engine (mean gradient, linear output) so the benchmark
compares like with like, and engine.py checks that they agree with it before timing anything.

``weights`` is a dict with "W1" (d, h), "W2" (h, 1) and, when the network has biases, "b1" (h,) and
"b2" (1,); the loops update it in place. ``loss_scale`` is dL/dp divided by (p - y): 2 for the squared
loss, 1 for the half-squared one.
"""

from __future__ import annotations

import numpy as np


def hidden_output(z: np.ndarray, activation: str) -> np.ndarray:
    if activation == "relu":
        return np.maximum(z, 0.0)
    if activation == "tanh":
        return np.tanh(z)
    raise ValueError(f"textbook loops know relu and tanh, not {activation!r}")


def hidden_derivative(z: np.ndarray, a: np.ndarray, activation: str) -> np.ndarray:
    if activation == "relu":
        return z > 0
    return 1.0 - a * a


def copy_weights(W1, b1, W2, b2, bias: bool) -> dict[str, np.ndarray]:
    """Fresh arrays to train on (the engine's are views into one vector)."""
    weights = {"W1": np.array(W1, dtype=np.float64), "W2": np.array(W2, dtype=np.float64).reshape(-1, 1)}
    if bias:
        weights["b1"] = np.array(b1, dtype=np.float64).reshape(-1)
        weights["b2"] = np.array(b2, dtype=np.float64).reshape(1)
    return weights


def sample_epoch(X: np.ndarray, y: np.ndarray, weights: dict, lr: float, activation: str, loss_scale: float) -> None:
    """One update per sample, in order (mode "sample"), written out inline as the notebooks do."""
    W1, W2 = weights["W1"], weights["W2"]
    b1, b2 = weights.get("b1"), weights.get("b2")
    bias = b1 is not None
    for i in range(len(X)):
        x = X[i : i + 1]
        z1 = np.dot(x, W1) + b1 if bias else np.dot(x, W1)
        layer_1 = hidden_output(z1, activation)
        out = np.dot(layer_1, W2) + b2 if bias else np.dot(layer_1, W2)
        delta2 = out - y[i : i + 1]
        if loss_scale != 1.0:
            delta2 *= loss_scale
        delta1 = delta2.dot(W2.T) * hidden_derivative(z1, layer_1, activation)
        W2 -= lr * layer_1.T.dot(delta2)
        W1 -= lr * x.T.dot(delta1)
        if bias:
            b2 -= lr * delta2[0]
            b1 -= lr * delta1[0]


def full_epoch(x: np.ndarray, t: np.ndarray, weights: dict, lr: float, activation: str, loss_scale: float) -> None:
    """One update on every row (mode "full"): the mean gradient over the rows x (m, d), targets t (m, 1)."""
    W1, W2 = weights["W1"], weights["W2"]
    b1, b2 = weights.get("b1"), weights.get("b2")
    z1 = np.dot(x, W1) if b1 is None else np.dot(x, W1) + b1
    layer_1 = hidden_output(z1, activation)
    out = np.dot(layer_1, W2) if b2 is None else np.dot(layer_1, W2) + b2
    delta2 = loss_scale * (out - t) / len(x)
    delta1 = delta2.dot(W2.T) * hidden_derivative(z1, layer_1, activation)
    W2 -= lr * layer_1.T.dot(delta2)
    W1 -= lr * x.T.dot(delta1)
    if b1 is not None:
        b2 -= lr * delta2.sum(axis=0)
        b1 -= lr * delta1.sum(axis=0)


def grid_forward(X: np.ndarray, weights: dict, activation: str) -> np.ndarray:
    """The network's output on the rows of X, allocating every intermediate (as a plot redraw would)."""
    z1 = np.dot(X, weights["W1"])
    if "b1" in weights:
        z1 = z1 + weights["b1"]
    out = np.dot(hidden_output(z1, activation), weights["W2"])
    return out + weights["b2"] if "b2" in weights else out
