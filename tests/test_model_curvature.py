"""The curvature estimate against an independent Hessian, and what it predicts about training.

The reference Hessian is built column by column from central differences of the exact gradient (model/network.py
backward, itself checked against differences of the loss in test_model_gradients.py), Richardson-extrapolated so
its own error is far below the 1e-6 asked of the estimate, then symmetrised and diagonalised with eigvalsh.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from model.config import TrainConfig
from model.curvature import (
    LOSS_CURVATURES,
    MAX_SAMPLE_ROWS,
    SECOND_DERIVATIVES,
    hessian_vector,
    largest_eigenvalue,
    lr_remark,
    sample_rows,
    sample_size,
    stable_lr_limit,
    trainer_lr_limit,
)
from model.datasets import load_dataset, make_dataset, product
from model.functions import ACTIVATIONS, LOSSES, OUTPUTS
from model.network import NetworkSpec, Params, Workspace, backward, forward, init_params
from model.presets import PRESETS
from model.trainer import Trainer

COMBINATIONS = [
    (act, out, loss)
    for act, out, loss in itertools.product(ACTIVATIONS, OUTPUTS, LOSSES)
    if not (LOSSES[loss].needs_sigmoid and out != "sigmoid")
]


def _gradient(params: Params, theta: np.ndarray, X, y, spec) -> np.ndarray:
    at = Params(params.n_inputs, params.n_hidden, theta)
    ws, grad = Workspace(len(X), at.n_inputs, at.n_hidden), Params(at.n_inputs, at.n_hidden)
    forward(at, X, ws, spec)
    backward(at, X, y, ws, spec, grad)
    return grad.theta.copy()


def _reference_hessian(params: Params, X, y, spec, step: float = 1e-6) -> np.ndarray:
    """Column j: (g(theta + h e_j) - g(theta - h e_j)) / 2h at h and h/2, Richardson-combined (error O(h^4));
    returned symmetrised. The step is small so that it crosses no ReLU kink: after notebook 003's 100 epochs one
    pre-activation is 1e-4 from 0."""
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float).reshape(-1, 1)
    n = params.theta.size
    H = np.empty((n, n))
    for j in range(n):
        def central(h, j=j):
            e = np.zeros(n)
            e[j] = h
            return (_gradient(params, params.theta + e, X, y, spec)
                    - _gradient(params, params.theta - e, X, y, spec)) / (2 * h)
        H[:, j] = (4 * central(step / 2) - central(step)) / 3
    return (H + H.T) / 2


def _reference_top(params, X, y, spec) -> float:
    return float(np.linalg.eigvalsh(_reference_hessian(params, X, y, spec))[-1])


def _trained(preset_or_config, dataset: str, epochs: int) -> Trainer:
    config = PRESETS[preset_or_config].config if isinstance(preset_or_config, str) else preset_or_config
    trainer = Trainer(config, load_dataset(dataset))
    trainer.run(epochs)
    return trainer


def _problem(seed=0, n=6, d=2):
    rng = np.random.RandomState(seed)
    X = rng.uniform(-1.5, 1.5, (n, d))
    y = (rng.uniform(size=(n, 1)) > 0.5).astype(float)  # in [0, 1] so that bce applies too
    return X, y


# --- Hessian-vector products ---------------------------------------------------------------------------------
def test_every_activation_and_loss_has_its_second_derivative():
    assert set(SECOND_DERIVATIVES) == set(ACTIVATIONS)
    assert set(LOSS_CURVATURES) == set(LOSSES)


@pytest.mark.parametrize(("activation", "output", "loss"), COMBINATIONS)
@pytest.mark.parametrize(("l2", "bias"), [(0.0, True), (0.3, True), (0.0, False)])
def test_hessian_vector_products_are_the_columns_of_the_reference_hessian(activation, output, loss, l2, bias):
    X, y = _problem()
    config = TrainConfig(hidden=3, activation=activation, output=output, loss=loss, l2=l2, bias=bias,
                         init="xavier", seed=3)
    spec = NetworkSpec.from_config(config)
    params = init_params(config, 2)
    if bias:  # non-zero biases, so their curvature is exercised
        params.b1[...] = np.linspace(-0.3, 0.4, 3)
        params.b2[...] = 0.2
    reference = _reference_hessian(params, X, y, spec)
    columns = np.column_stack([hessian_vector(params, X, y, spec, e) for e in np.eye(params.theta.size)])
    assert np.abs(columns - reference).max() <= 1e-6 * np.abs(reference).max()
    v = np.random.RandomState(1).standard_normal(params.theta.size)
    np.testing.assert_allclose(hessian_vector(params, X, y, spec, v), reference @ v, rtol=0,
                               atol=1e-6 * np.abs(reference @ v).max())
    top = largest_eigenvalue(params, X, y, spec)
    assert top == pytest.approx(np.linalg.eigvalsh(reference)[-1], rel=1e-6)


# --- the largest eigenvalue on the small networks ----------------------------------------------------
XOR_TANH_BCE = TrainConfig(hidden=3, activation="tanh", output="sigmoid", loss="bce", lr=0.5, mode="full",
                           init="xavier", seed=1)
PRODUCT_RELU = TrainConfig(hidden=4, activation="relu", output="linear", loss="squared", lr=0.05, mode="full",
                           init="uniform", seed=0)
PRODUCT_TANH_16 = TrainConfig(hidden=16, activation="tanh", output="linear", loss="squared", lr=0.05, mode="full",
                              init="xavier", seed=0)


@pytest.mark.parametrize(("config", "dataset", "epochs"), [
    (XOR_TANH_BCE, "xor", 0),
    (XOR_TANH_BCE, "xor", 300),
    (PRODUCT_RELU, "product", 0),
    (PRODUCT_RELU, "product", 200),
    ("notebook_000", "single_point", 0),
    ("notebook_000", "single_point", 1000),
    ("notebook_001", "xor", 500),
    ("notebook_003", "product", 100),
    (PRODUCT_TANH_16, "product", 100),  # 65 parameters: more than the 20 products the estimate makes
])
def test_the_estimate_is_the_exact_largest_eigenvalue(config, dataset, epochs):
    trainer = _trained(config, dataset, epochs)
    X, y, spec = trainer.dataset.X, trainer.dataset.y, trainer.spec
    reference = _reference_top(trainer.params, X, y, spec)
    assert largest_eigenvalue(trainer.params, X, y, spec) == pytest.approx(reference, rel=1e-6)
    assert trainer_lr_limit(trainer) == pytest.approx(2 / reference, rel=1e-6)


def test_the_largest_eigenvalue_not_the_largest_in_magnitude():
    """A sigmoid output saturated on the wrong side of its target bends the squared loss downwards: the most
    negative eigenvalue is 56 times the largest in magnitude. Power iteration would find that one; the estimate
    is the largest, which is what bounds the learning rate."""
    config = TrainConfig(hidden=1, activation="linear", output="sigmoid", loss="squared", init="ones")
    spec = NetworkSpec.from_config(config)
    params = init_params(config, 2)
    params.theta[...] = 0.7
    X, y = [[2.0, 2.0]], [0.0]
    values = np.linalg.eigvalsh(_reference_hessian(params, X, y, spec))
    assert values[0] < -50 * values[-1] < 0
    assert largest_eigenvalue(params, X, y, spec) == pytest.approx(values[-1], rel=1e-6)
    assert stable_lr_limit(params, X, y, spec) == pytest.approx(2 / values[-1], rel=1e-6)


def test_no_upward_curvature_means_no_limit():
    """A linear network with all weights 0 fitting a target of 0 (no biases): the loss is flat to second order."""
    config = TrainConfig(hidden=2, activation="linear", output="linear", loss="squared", init="ones", bias=False)
    spec = NetworkSpec.from_config(config)
    params = Params(2, 2)
    assert largest_eigenvalue(params, [[1.0, 2.0]], [0.0], spec) == 0.0
    assert stable_lr_limit(params, [[1.0, 2.0]], [0.0], spec) == math.inf


def test_weights_too_large_to_compute_with_give_no_estimate():
    config = TrainConfig(hidden=2, activation="linear", output="linear", loss="squared", init="ones")
    spec = NetworkSpec.from_config(config)
    params = Params(2, 2, np.full(9, 1e200))
    assert math.isnan(largest_eigenvalue(params, [[1.0, 2.0]], [0.0], spec))
    assert math.isnan(stable_lr_limit(params, [[1.0, 2.0]], [0.0], spec))


def test_the_estimate_is_deterministic():
    trainer = _trained(PRODUCT_TANH_16, "product", 10)
    first = trainer_lr_limit(trainer)
    assert all(trainer_lr_limit(trainer) == first for _ in range(3))


# --- notebook 000: what the limit explains --------------------------------------------------------------------
@pytest.fixture(scope="module")
def notebook_000():
    """Notebook 000's network after its 1000 epochs."""
    return _trained("notebook_000", "single_point", 1000)


def test_notebook_000_sits_just_below_its_limit(notebook_000):
    t = notebook_000
    top = largest_eigenvalue(t.params, t.dataset.X, t.dataset.y, t.spec)
    limit = trainer_lr_limit(t)
    assert f"{top:.5g}" == "199.65"
    assert f"{limit:.4g}" == "0.01002"
    assert lr_remark(t.config.lr, limit) == "lr 0.01 is 0.2 % below the estimated limit 0.01002 for this network"


def test_notebook_000_predictions_alternate_around_17_and_settle_slowly():
    """Each step multiplies the residual by about 1 - lr lambda = -0.9965: it changes sign and barely shrinks."""
    trainer = _trained("notebook_000", "single_point", 1000)
    residuals = [trainer.step_update().prediction[0] - 17.0 for _ in range(6)]
    ratios = np.divide(residuals[1:], residuals[:-1])
    assert (ratios < -0.99).all() and (ratios > -1.0).all()


def _loss_after(trainer: Trainer, lr: float, epochs: int = 200) -> list[float]:
    trainer.set_learning_rate(lr)
    losses = []
    for _ in range(epochs // 10):
        trainer.run(10)
        losses.append(trainer.evaluate()["train_loss"])
    return losses


@pytest.mark.parametrize("factor", [0.8, 0.95])
def test_below_the_limit_gradient_descent_stays_at_the_minimum(factor):
    trainer = _trained("notebook_000", "single_point", 1000)
    start, limit = trainer.evaluate()["train_loss"], trainer_lr_limit(trainer)
    losses = _loss_after(trainer, factor * limit)
    assert start < 1e-4
    assert max(losses) <= start and losses[-1] < start / 10
    assert trainer.diverged is None


@pytest.mark.parametrize(("factor", "growth"), [(1.05, 10.0), (1.5, 1e3)])
def test_above_the_limit_gradient_descent_leaves_the_minimum(factor, growth):
    trainer = _trained("notebook_000", "single_point", 1000)
    start, limit = trainer.evaluate()["train_loss"], trainer_lr_limit(trainer)
    losses = _loss_after(trainer, factor * limit)
    assert losses[-1] > growth * start


# --- big data: a bounded sample of rows ------------------------------------------------------------------------
def test_big_data_uses_a_bounded_seeded_sample():
    assert sample_size(1000, 5) == 1000 and sample_rows(1000, 5) is None
    assert sample_size(100_000, 64) == MAX_SAMPLE_ROWS
    assert sample_size(100_000, 1024) == 256
    rows = sample_rows(100_000, 64)
    assert len(rows) == len(np.unique(rows)) == MAX_SAMPLE_ROWS
    assert (np.diff(rows) > 0).all() and rows[-1] > 90_000  # spread over the whole set, in order
    np.testing.assert_array_equal(rows, sample_rows(100_000, 64))


def test_the_sample_estimates_the_whole_sets_curvature():
    data = product(n=20_000, n_test=1)
    config = TrainConfig(hidden=8, activation="tanh", output="linear", loss="squared", lr=0.1, mode="full",
                         init="xavier", seed=0)
    trainer = Trainer(config, data)
    trainer.run(3)
    params, spec = trainer.params, trainer.spec
    whole = np.column_stack([hessian_vector(params, data.X, data.y, spec, e) for e in np.eye(params.theta.size)])
    exact = np.linalg.eigvalsh((whole + whole.T) / 2)[-1]
    assert largest_eigenvalue(params, data.X, data.y, spec) == pytest.approx(exact, rel=0.02)


# --- in words ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("lr", "limit", "text"), [
    (0.1, 0.004, "lr 0.1 is 25x the estimated limit 0.004 for this network"),
    (0.1, 0.003981, "lr 0.1 is 25x the estimated limit 0.003981 for this network"),
    (0.015, 0.01, "lr 0.015 is 1.5x the estimated limit 0.01 for this network"),
    (0.01, 0.01002, "lr 0.01 is 0.2 % below the estimated limit 0.01002 for this network"),
    (0.0103, 0.01, "lr 0.0103 is 3 % above the estimated limit 0.01 for this network"),
    (0.001, 0.01002, "lr 0.001 is 0.1x the estimated limit 0.01002 for this network"),
    (0.5, 0.05, "lr 0.5 is 10x the estimated limit 0.05 for this network"),
])
def test_lr_remark(lr, limit, text):
    assert lr_remark(lr, limit) == text


@pytest.mark.parametrize("limit", [None, math.inf, math.nan])
def test_no_remark_without_a_finite_limit(limit):
    assert lr_remark(0.1, limit) == ""


def test_a_single_row_dataset_by_hand():
    """2-1-1 linear at a minimum of (p - y)^2 on one row: H = 2 grad(p) grad(p)^T, lambda = 2 |grad p|^2."""
    data = make_dataset("one", [[2.0, 2.0]], [17.0])
    config = TrainConfig(hidden=1, activation="linear", output="linear", loss="squared", init="ones")
    spec = NetworkSpec.from_config(config)
    params = Params.from_arrays([[1.0], [1.0]], [0.0], [[3.4]], [3.4])  # z1 = 4, p = 3.4 * 4 + 3.4 = 17
    grad_p = np.array([3.4 * 2, 3.4 * 2, 3.4, 4.0, 1.0])  # dp/d(w1_11, w1_21, b1, w2, b2) = (w2 x, w2, z1, 1)
    assert largest_eigenvalue(params, data.X, data.y, spec) == pytest.approx(2 * grad_p @ grad_p, rel=1e-12)
