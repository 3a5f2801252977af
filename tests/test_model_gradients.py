"""Every gradient against central finite differences, and the compiled loop against the NumPy phases."""

import itertools

import numpy as np
import pytest

from model import kernel
from model.config import TrainConfig
from model.datasets import make_dataset
from model.functions import ACTIVATIONS, LOSSES, OUTPUTS
from model.network import NetworkSpec, Params, Workspace, backward, forward, init_params, loss_value
from model.trainer import Trainer

COMBINATIONS = [
    (act, out, loss)
    for act, out, loss in itertools.product(ACTIVATIONS, OUTPUTS, LOSSES)
    if not (LOSSES[loss].needs_sigmoid and out != "sigmoid")
]


def _problem(seed=0, n=6, d=3):
    rng = np.random.RandomState(seed)
    X = rng.uniform(-1.5, 1.5, (n, d))
    y = (rng.uniform(size=(n, 1)) > 0.5).astype(float)  # in [0, 1] so that bce applies too
    return X, y


def _objective(params, X, y, spec):
    """mean loss + (l2 / 2) |W|^2, computed independently of backward()."""
    ws = Workspace(len(X), params.n_inputs, params.n_hidden)
    forward(params, X, ws, spec)
    data = loss_value(ws, y, spec) / len(X)
    return data + 0.5 * spec.l2 * (np.sum(params.W1**2) + np.sum(params.W2**2))


@pytest.mark.parametrize(("activation", "output", "loss"), COMBINATIONS)
@pytest.mark.parametrize(("l2", "bias"), [(0.0, True), (0.3, True), (0.0, False)])
def test_backward_matches_central_differences(activation, output, loss, l2, bias):
    X, y = _problem()
    config = TrainConfig(hidden=4, activation=activation, output=output, loss=loss, l2=l2, bias=bias,
                         init="xavier", seed=3)
    spec = NetworkSpec.from_config(config)
    params = init_params(config, X.shape[1])
    if bias:  # non-zero biases, so their gradients are exercised
        params.b1[...] = np.linspace(-0.3, 0.4, 4)
        params.b2[...] = 0.2
    ws, grad = Workspace(len(X), 3, 4), Params(3, 4)
    forward(params, X, ws, spec)
    backward(params, X, y, ws, spec, grad)

    eps = 1e-6
    numeric = np.zeros_like(params.theta)
    for k in range(params.theta.size):
        plus, minus = params.copy(), params.copy()
        plus.theta[k] += eps
        minus.theta[k] -= eps
        numeric[k] = (_objective(plus, X, y, spec) - _objective(minus, X, y, spec)) / (2 * eps)
    if not bias:
        numeric[[12, 13, 14, 15, 20]] = 0.0  # biases are fixed at 0 and get no gradient
    np.testing.assert_allclose(grad.theta, numeric, rtol=1e-5, atol=1e-8)


def test_one_sgd_step_worked_by_hand():
    # Notebook 000's first update, by hand: h = 1*2 + 1*2 + 0 = 4, p = 1*4 + 0 = 4, dL/dp = 2 (4 - 17) = -26;
    # dL/dw3 = -26 * 4 = -104, dL/dw1 = dL/dw2 = -26 * 1 * 2 = -52, dL/db1 = -26 * 1, dL/db2 = -26.
    config = TrainConfig(hidden=1, activation="linear", output="linear", loss="squared", lr=0.01, init="ones")
    trainer = Trainer(config, make_dataset("one", [[2.0, 2.0]], [17.0]))
    record = trainer.step_update()
    np.testing.assert_array_equal(record.grad, [-52.0, -52.0, -26.0, -104.0, -26.0])
    np.testing.assert_allclose(trainer.params.theta, [1.52, 1.52, 0.26, 2.04, 0.26], rtol=0, atol=1e-15)
    assert record.loss == 169.0
    np.testing.assert_allclose(record.delta, -0.01 * record.grad, rtol=0, atol=0)


@pytest.fixture(scope="module")
def compiled():
    if not kernel.warm_up():
        pytest.skip(f"compiled loop unavailable: {kernel.unavailable_reason()}")


def _run(config, dataset, epochs, use_kernel, monkeypatch):
    with monkeypatch.context() as patch:
        if not use_kernel:
            patch.setattr(kernel, "enabled", False)
        trainer = Trainer(config, dataset)
        assert trainer.on_compiled_path == use_kernel
        trainer.run(epochs)
    return trainer


@pytest.mark.parametrize(("activation", "output", "loss"), COMBINATIONS)
@pytest.mark.parametrize("mode", ["sample", "random_sample", "minibatch", "full"])
@pytest.mark.parametrize("hidden", [5, 20])  # each of the compiled loop's shapes (one unit / one layer at a time)
def test_compiled_loop_equals_numpy_path(compiled, monkeypatch, activation, output, loss, mode, hidden):
    X, y = _problem(seed=5, n=7)
    X_test, y_test = _problem(seed=6, n=3)
    dataset = make_dataset("t", X, y, X_test, y_test)
    config = TrainConfig(hidden=hidden, activation=activation, output=output, loss=loss, lr=0.05, mode=mode,
                         batch_size=3, init="xavier", l2=0.01, seed=11)
    plain = _run(config, dataset, 30, False, monkeypatch)
    fast = _run(config, dataset, 30, True, monkeypatch)
    np.testing.assert_allclose(fast.params.theta, plain.params.theta, rtol=0, atol=1e-12)
    a, b = plain.history.view(), fast.history.view()
    np.testing.assert_array_equal(a["epoch"], b["epoch"])
    for column in ("train_loss", "test_loss", "metric", "test_metric"):
        np.testing.assert_allclose(b[column], a[column], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(b["params"], a["params"], rtol=0, atol=1e-12)
    ra, rb = plain.last_update(), fast.last_update()
    for field in ("theta_before", "grad", "delta", "prediction"):
        np.testing.assert_allclose(getattr(rb, field), getattr(ra, field), rtol=0, atol=1e-12)
    np.testing.assert_array_equal(ra.samples, rb.samples)


def test_training_never_compiles_a_second_signature(compiled):
    # A new argument type (a read-only array, another int type) would compile again inside a training run.
    from model.datasets import load_dataset
    from model.presets import PRESETS

    for preset in PRESETS.values():
        trainer = Trainer(preset.config, load_dataset(preset.dataset))
        assert trainer.on_compiled_path
        trainer.run(2)
        trainer.step_update()
    assert all(len(kernel.ready(key).signatures) == 1 for key in kernel.KEYS)


def test_the_compiled_tanh_is_within_two_ulp_of_libm(compiled):
    # A 1-1-1 network with unit weights and no biases outputs tanh(x) itself: its first full-batch update's
    # predictions are the compiled loop's tanh of every x, compared here with math.tanh.
    import math

    rng = np.random.RandomState(3)
    x = np.concatenate([rng.normal(size=4000) * 3, rng.uniform(-0.7, 0.7, 4000), rng.uniform(-1e-8, 1e-8, 500),
                        np.linspace(-30, 30, 2001), [0.0, 0.625, -0.625, np.nextafter(0.625, 0), 19.0, 25.0]])
    config = TrainConfig(hidden=1, activation="tanh", output="linear", loss="squared", mode="full", init="ones",
                         bias=False, lr=1e-6)
    p = []
    for block in np.array_split(x, 8):  # batches small enough for the compiled path's rule
        trainer = Trainer(config, make_dataset("grid", block[:, None], np.zeros(len(block))))
        assert trainer.on_compiled_path
        p.extend(trainer.step_update().prediction)
    p = np.array(p)
    expected = np.array([math.tanh(v) for v in x])
    ulps = np.abs(p - expected) / np.spacing(np.maximum(np.abs(expected), 1e-300))
    assert ulps.max() <= 2.0 and np.array_equal(np.sign(p), np.sign(expected))


def test_a_workspace_s_first_rows_compute_as_a_workspace_of_their_own():
    """Workspace.first_rows(m) shares the buffers (a shorter block of a grid pass allocates nothing) and gives the
    same forward and backward bits as a workspace of m rows."""
    rng = np.random.RandomState(5)
    spec = NetworkSpec.from_config(TrainConfig(hidden=7, activation="tanh", output="sigmoid", loss="bce"))
    params = Params(3, 7, rng.randn(3 * 7 + 7 + 7 + 1))
    X, y = rng.randn(5, 3), (rng.rand(5, 1) > 0.5).astype(float)
    big = Workspace(9, 3, 7)
    view, own = big.first_rows(5), Workspace(5, 3, 7)
    assert view.m == 5 and np.shares_memory(view.z1, big.z1) and np.shares_memory(view.a1, big.a1)
    grads = []
    for workspace in (view, own):
        forward(params, X, workspace, spec)
        grad = Params(3, 7)
        backward(params, X, y, workspace, spec, grad)
        grads.append(grad.theta.copy())
    for name in ("z1", "a1", "z2", "p", "dz1", "dz2"):
        np.testing.assert_array_equal(getattr(view, name), getattr(own, name))
    np.testing.assert_array_equal(grads[0], grads[1])
    with pytest.raises(ValueError):
        big.first_rows(10)
