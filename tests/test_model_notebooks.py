"""The seed notebooks' printed numbers, reproduced by the presets."""

import numpy as np
import pytest

from model.datasets import load_dataset, product, two_points
from model.presets import PRESETS
from model.trainer import Trainer


def _trainer(name):
    preset = PRESETS[name]
    return Trainer(preset.config, load_dataset(preset.dataset))


def test_notebook_000_first_updates_and_end():
    trainer = _trainer("notebook_000")
    w1, w2, b1, w3, b2 = range(5)  # theta order: W1 (2x1), b1, W2 (1x1), b2
    record = trainer.step_update()
    assert (record.loss, record.prediction[0]) == (169.0, 4.0)
    np.testing.assert_allclose(trainer.params.theta[[w1, w2, w3, b1, b2]], [1.52, 1.52, 2.04, 0.26, 0.26], atol=1e-15)
    # The notebook's second and third printed blocks (8 significant digits).
    printed = [
        (14.48868096, 13.1936, [1.83060224, 1.83060224, 2.52265152, 0.41530112, 0.336128]),
        (8.15487453, 19.85567409, [1.54244742, 1.54244742, 2.08072396, 0.27122371, 0.27901452]),
    ]
    for loss, pred, weights in printed:
        record = trainer.step_update()
        assert record.loss == pytest.approx(loss, rel=1e-8)
        assert record.prediction[0] == pytest.approx(pred, rel=1e-8)
        np.testing.assert_allclose(trainer.params.theta[[w1, w2, w3, b1, b2]], weights, rtol=2e-8)
    trainer.run(PRESETS["notebook_000"].epochs - 3)
    last = trainer.last_update()
    assert trainer.epoch == 1000
    assert last.loss == pytest.approx(9.54880085e-05, rel=1e-8)  # "the las epoch reaches a loss of 9.54880085e-05"
    assert last.prediction[0] == pytest.approx(16.9902, abs=5e-5)
    assert trainer.history.view()["train_loss"][-1] == last.loss


def test_notebook_001_initial_weights_and_first_epochs():
    trainer = _trainer("notebook_001")
    np.testing.assert_allclose(trainer.params.W1, [[0.40768703, 0.05536604, 0.78853488, 0.28730518],
                                                   [0.45035059, 0.30391231, 0.52639952, 0.62381221]], atol=5e-9)
    np.testing.assert_allclose(trainer.params.W2[:, 0], [0.77677546, 0.68624165, 0.98093886, 0.60081609], atol=5e-9)
    assert not trainer.params.b1.any() and not trainer.params.b2.any()
    # Bit for bit: the same draws as np.random.seed(40); np.random.random((2, 4)); np.random.random((4, 1)).
    rng = np.random.RandomState(40)
    np.testing.assert_array_equal(trainer.params.W1, rng.random_sample((2, 4)))
    np.testing.assert_array_equal(trainer.params.W2, rng.random_sample((4, 1)))
    trainer.run(2)
    # The notebook prints each epoch's summed (p - y)^2; half_squared's mean over 4 samples is that / 8.
    summed = trainer.history.view()["train_loss"] * 8
    np.testing.assert_allclose(summed, [7.839738097962158, 7.6814526763526585], rtol=1e-13)


def test_notebook_001_hidden_layer_after_first_epoch():
    # Iteration 1 prints Layer 1 for input [0 1]: relu of W1's second row after epoch 0 (input [0 0] changes nothing).
    trainer = _trainer("notebook_001")
    trainer.run(1)
    np.testing.assert_allclose(trainer.params.W1[1], [0.44786829, 0.30171895, 0.52326497, 0.62189254], atol=5e-9)
    np.testing.assert_allclose(trainer.params.W1[0], [0.40532061, 0.05327505, 0.78554665, 0.28547517], atol=5e-9)


def test_notebook_002_learns_and_or_and_the_unseen_110():
    trainer = _trainer("notebook_002")
    trainer.run(PRESETS["notebook_002"].epochs)
    assert trainer.last_epoch["metric"] == 1.0  # all four training rows
    test = trainer.dataset
    row = np.flatnonzero((test.X_test == [1, 1, 0]).all(axis=1))[0]
    assert test.y_test[row, 0] == 1.0
    assert trainer.predict(test.X_test[row : row + 1])[0, 0] > 0.5  # the notebook's test point (1, 1, 0) -> 1


def test_notebook_003_dataset_and_preset_update():
    data = product()
    assert data.X.shape == (1000, 2) and data.X_test.shape == (250, 2)
    noise = data.y[:, 0] - 10 * data.X[:, 0] * data.X[:, 1]
    assert noise.min() >= -0.15 and noise.max() < 0.15
    # Same draws as the notebook: features = rand(1000, 2), then noise = 0.3 rand(1000) - 0.15.
    rng = np.random.RandomState(0)
    features = rng.rand(1000, 2)
    np.testing.assert_array_equal(data.X, features)
    np.testing.assert_array_equal(data.y[:, 0], 10 * features[:, 0] * features[:, 1] + 0.3 * rng.rand(1000) - 0.15)
    # The preset's mean-gradient update equals the notebook's summed one with lr 1e-4.
    trainer = _trainer("notebook_003")
    W1, b1, W2, b2 = (a.copy() for a in (trainer.params.W1, trainer.params.b1, trainer.params.W2, trainer.params.b2))
    hidden = np.maximum(0, data.X @ W1 + b1)
    delta2 = hidden @ W2 + b2 - data.y
    delta1 = (delta2 @ W2.T) * (hidden > 0)
    trainer.step_update()
    np.testing.assert_allclose(trainer.params.W1, W1 - 1e-4 * data.X.T @ delta1, rtol=1e-12)
    np.testing.assert_allclose(trainer.params.W2, W2 - 1e-4 * hidden.T @ delta2, rtol=1e-12)
    np.testing.assert_allclose(trainer.params.b2, b2 - 1e-4 * delta2.sum(axis=0), rtol=1e-12)


def test_notebook_004_data_and_learning():
    data = two_points()
    np.testing.assert_array_equal(data.X, [[1, 2], [1, 3]])  # the notebook's np.random.seed(2) randint draw
    trainer = _trainer("notebook_004")
    first = trainer.evaluate()["train_loss"]
    trainer.run(PRESETS["notebook_004"].epochs)
    assert trainer.evaluate()["train_loss"] < first / 5
    assert trainer.last_epoch["metric"] == 1.0
