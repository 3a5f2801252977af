"""Activations, their derivatives and the losses, in tables keyed by the names users see.

Convention, stated once: an activation's ``der`` is the derivative of its output with respect to its
input, da/dz, evaluated from both z and a = f(z) (whichever is cheaper and exact for that function).
A loss's ``grad_z`` is the derivative of the per-sample loss with respect to the output layer's
pre-activation z2, so the output activation's derivative is folded in; that is what lets ``bce`` with a
sigmoid output use the stable form p - y.

Each entry also carries what the window shows about it: its formula and its derivative's (plain text, written
with z, p, y and the output function g) and a one-line tip. Adding an activation or a loss is one entry
here (and a case in model/kernel.py for its ``code``); the controls, tooltips and arithmetic panel read the tables.

All functions write into ``out`` so the training loop allocates nothing per step.
Arrays are float64; a batch of m samples has z, a, p and y of shape (m, h) or (m, 1).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

LEAKY_SLOPE = 0.01


@dataclass(frozen=True)
class Activation:
    name: str
    output: Callable[[np.ndarray, np.ndarray], None]  # output(z, out): out = f(z)
    der: Callable[[np.ndarray, np.ndarray, np.ndarray], None]  # der(z, a, out): out = f'(z)
    code: int  # the compiled kernel's switch value (model/kernel.py)
    formula: str  # f(z), e.g. "max(0, z)"
    der_formula: str  # f'(z), written in z
    tip: str  # what it does and when to pick it, one sentence or two


def _linear(z, out):
    np.copyto(out, z)


def _linear_der(z, a, out):
    out.fill(1.0)


def _relu(z, out):
    np.maximum(z, 0.0, out=out)


def _relu_der(z, a, out):
    np.greater(z, 0.0, out=out)


def _leaky_relu(z, out):
    # max(z, 0.01 z) equals z for z > 0 and 0.01 z otherwise, because the slope is below 1.
    np.multiply(z, LEAKY_SLOPE, out=out)
    np.maximum(z, out, out=out)


def _leaky_relu_der(z, a, out):
    np.greater(z, 0.0, out=out)
    out *= 1.0 - LEAKY_SLOPE
    out += LEAKY_SLOPE


def _sigmoid(z, out):
    # 1 / (1 + exp(-z)), as the notebooks write it; exp overflows to inf for z < -709 and gives 0,
    # which is right, so callers run this under np.errstate(over="ignore").
    np.negative(z, out=out)
    np.exp(out, out=out)
    out += 1.0
    np.reciprocal(out, out=out)


def _sigmoid_der(z, a, out):
    np.subtract(1.0, a, out=out)
    out *= a


def _tanh(z, out):
    np.tanh(z, out=out)


def _tanh_der(z, a, out):
    np.multiply(a, a, out=out)
    np.subtract(1.0, out, out=out)


ACTIVATIONS: dict[str, Activation] = {
    "linear": Activation(
        "linear", _linear, _linear_der, 0, formula="z", der_formula="1",
        tip="No bend: a network of linear units can only fit a plane and draw a straight boundary."),
    "relu": Activation(
        "relu", _relu, _relu_der, 1, formula="max(0, z)", der_formula="1 if z > 0 else 0",
        tip="Passes positive inputs and cuts negative ones to 0; a unit below 0 for every sample stops learning."),
    "leaky_relu": Activation(
        "leaky_relu", _leaky_relu, _leaky_relu_der, 2, formula=f"z if z > 0 else {LEAKY_SLOPE:g}·z",
        der_formula=f"1 if z > 0 else {LEAKY_SLOPE:g}",
        tip="ReLU with a small slope below 0, so no unit stops learning completely."),
    "sigmoid": Activation(
        "sigmoid", _sigmoid, _sigmoid_der, 3, formula="1 / (1 + e^(-z))", der_formula="sigmoid(z)·(1 - sigmoid(z))",
        tip="Squashes z into (0, 1), a probability; its slope is at most 1/4, so it learns slowly when saturated."),
    "tanh": Activation(
        "tanh", _tanh, _tanh_der, 4, formula="tanh(z)", der_formula="1 - tanh(z)²",
        tip="Squashes z into (-1, 1), centred on 0: a rescaled sigmoid, 2·sigmoid(2z) - 1."),
}

# The output unit may only be linear or sigmoid.
OUTPUTS: dict[str, Activation] = {name: ACTIVATIONS[name] for name in ("linear", "sigmoid")}


@dataclass(frozen=True)
class Loss:
    name: str
    value: Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], None]  # value(p, y, z, out): per sample
    # grad_z(p, y, z, output, out, scratch): dL/dz2 per sample; scratch is a work buffer like out
    grad_z: Callable[..., None]
    code: int
    formula: str  # the per-sample loss L in p, y
    grad_formula: str  # dL/dz2, with g the output function
    tip: str
    needs_sigmoid: bool = False  # bce is only defined on a probability


def _squared(p, y, z, out):
    np.subtract(p, y, out=out)
    np.multiply(out, out, out=out)


def _squared_grad_z(p, y, z, output, out, scratch):
    # d/dz (p - y)^2 = 2 (p - y) f'(z)
    np.subtract(p, y, out=out)
    out *= 2.0
    _times_output_der(z, p, output, out, scratch)


def _half_squared(p, y, z, out):
    _squared(p, y, z, out)
    out *= 0.5


def _half_squared_grad_z(p, y, z, output, out, scratch):
    np.subtract(p, y, out=out)
    _times_output_der(z, p, output, out, scratch)


def _times_output_der(z, p, output, out, scratch):
    if output.name != "linear":  # f'(z) = 1: skip a multiply by ones
        output.der(z, p, scratch)
        out *= scratch


def _bce(p, y, z, out):
    # -[y log p + (1-y) log(1-p)] with p = sigmoid(z), written from z so it never takes log(0):
    # max(z, 0) - z y + log(1 + exp(-|z|)).
    np.abs(z, out=out)
    np.negative(out, out=out)
    np.exp(out, out=out)
    np.log1p(out, out=out)
    out += np.maximum(z, 0.0)
    out -= z * y  # (m, 1) temporaries: the loss value is taken once per update, not per sample


def _bce_grad_z(p, y, z, output, out, scratch):
    # With a sigmoid output the chain rule collapses to p - y.
    np.subtract(p, y, out=out)


LOSSES: dict[str, Loss] = {
    "squared": Loss(
        "squared", _squared, _squared_grad_z, 0, formula="(p - y)²", grad_formula="2(p - y)·g'(z2)",
        tip="Squared error, the mean over the samples: large errors weigh most."),
    "half_squared": Loss(
        "half_squared", _half_squared, _half_squared_grad_z, 1, formula="(p - y)² / 2",
        grad_formula="(p - y)·g'(z2)",
        tip="Half the squared error: the 1/2 cancels the 2 of the derivative, so dL/dp = p - y."),
    "bce": Loss(
        "bce", _bce, _bce_grad_z, 2, formula="-[y·log p + (1 - y)·log(1 - p)]",
        grad_formula="p - y",
        tip="Binary cross-entropy, for targets 0 and 1; needs the sigmoid output, whose slope g'(z2) it cancels.",
        needs_sigmoid=True),
}
