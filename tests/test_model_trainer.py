"""How work is split never changes the result; stopping, divergence, history and the estimator."""

import numpy as np
import pytest

from model.config import SettingError, TrainConfig
from model.datasets import load_dataset, make_dataset, product
from model.estimator import MLP
from model.history import History
from model.network import Params, explain
from model.trainer import Trainer

MODES = [("sample", 32), ("random_sample", 32), ("minibatch", 3), ("full", 32)]


def _config(mode, batch_size, **changes):
    settings = dict(hidden=3, activation="tanh", output="sigmoid", loss="bce", lr=0.3, mode=mode,
                    batch_size=batch_size, init="xavier", seed=7)
    return TrainConfig(**{**settings, **changes})


def _dataset():
    rng = np.random.RandomState(1)
    X = rng.uniform(-1, 1, (7, 2))
    return make_dataset("d", X, (X[:, 0] * X[:, 1] > 0).astype(float), X[:3] * 0.5, [1.0, 0.0, 1.0])


def _same(a: Trainer, b: Trainer):
    np.testing.assert_array_equal(a.params.theta, b.params.theta)
    assert (a.epoch, a.updates, a.position) == (b.epoch, b.updates, b.position)
    va, vb = a.history.view(), b.history.view()
    for key in va:
        np.testing.assert_array_equal(va[key], vb[key])
    np.testing.assert_array_equal(a.rng.get_state()[1], b.rng.get_state()[1])


def _regression():
    return product(n=9, n_test=4, seed=2)


@pytest.mark.parametrize(("mode", "batch_size"), MODES)
@pytest.mark.parametrize("task", ["classification", "regression"])
def test_single_updates_equal_one_run(path, mode, batch_size, task):
    if task == "classification":
        make = lambda: Trainer(_config(mode, batch_size), _dataset())  # noqa: E731
    else:
        make = lambda: Trainer(_config(mode, batch_size, output="linear", loss="squared", lr=0.05), _regression())  # noqa: E731
    whole, stepped, mixed = (make() for _ in range(3))
    whole.run(9)
    for _ in range(9 * stepped.updates_per_epoch):
        stepped.step_update()
    mixed.step_update()
    mixed.step_epoch()  # finishes the epoch begun by the single update (in full mode, makes a second one)
    mixed.run(3)
    for _ in range(3):
        mixed.step_epoch()
    mixed.run(9 - mixed.epoch)
    _same(whole, stepped)
    _same(whole, mixed)
    assert whole.epoch == 9 and whole.updates == 9 * whole.updates_per_epoch


def test_learning_rate_changes_between_steps_without_reset(path):
    changed = Trainer(_config("sample", 1), _dataset())
    changed.run(3)
    changed.set_learning_rate(0.05)
    before = changed.params.theta.copy()
    record = changed.step_update()
    assert record.lr == 0.05
    np.testing.assert_allclose(changed.params.theta - before, -0.05 * record.grad, rtol=0, atol=1e-15)
    assert changed.epoch == 3  # nothing was reset
    with pytest.raises(SettingError, match="lr"):
        changed.set_learning_rate(0)


def test_minibatch_updates_are_batch_means_in_shuffled_order():
    data = _dataset()
    trainer = Trainer(_config("minibatch", 3), data)
    assert trainer.updates_per_epoch == 3  # 7 samples: batches of 3, 3 and 1
    seen = []
    for _ in range(3):
        before = Params(2, 3, trainer.params.theta)
        record = trainer.step_update()
        expected = explain(before, data.X[record.samples], data.y[record.samples], trainer.spec, 0.3)
        np.testing.assert_allclose(record.grad, expected["grad"], rtol=1e-13, atol=1e-15)
        seen.extend(record.samples.tolist())
    assert sorted(seen) == list(range(7))  # one epoch uses every sample once
    assert [len(s) for s in np.split(np.array(seen), [3, 6])] == [3, 3, 1]


def test_random_sample_draws_after_the_initial_weights():
    # One stream, as notebook 004: the weights' draws, then randint(0, n) for each update.
    data = _dataset()
    trainer = Trainer(_config("random_sample", 1), data)
    rng = np.random.RandomState(7)
    rng.standard_normal(2 * 3 + 3)  # xavier: W1 then W2 (zero biases are not drawn)
    expected = rng.randint(0, 7, size=7)
    drawn = [trainer.step_update().samples[0] for _ in range(7)]
    assert drawn == expected.tolist()


def test_target_loss_stops_at_the_first_epoch_below_it(path):
    trainer = Trainer(_config("sample", 1), _dataset())
    reference = Trainer(_config("sample", 1), _dataset())
    reference.run(200)
    losses = reference.history.view()["train_loss"]
    target = float(losses[120])
    first = int(np.argmax(losses <= target)) + 1
    result = trainer.run(500, target_loss=target)
    assert result.stopped_by == "target"
    assert trainer.epoch == first
    # and continuing afterwards is exactly as if it had not stopped
    trainer.run(200 - first)
    _same(trainer, reference)


def test_divergence_stops_and_keeps_last_finite_weights(path):
    config = TrainConfig(hidden=4, activation="linear", output="linear", loss="squared", lr=10.0, mode="sample",
                         init="ones")
    trainer = Trainer(config, load_dataset("xor"))
    result = trainer.run(1000)
    assert result.stopped_by == "diverged"
    assert trainer.diverged is not None
    assert np.isfinite(trainer.params.theta).all()
    # counted as the status bar counts: completed epochs (+ updates of the unfinished one)
    partial = f" (+{trainer.position}/{trainer.updates_per_epoch})" if trainer.position else ""
    assert f"at update {trainer.updates + 1:,}, after epoch {trainer.epoch:,}{partial}:" in trainer.diverged.message
    assert "smaller learning rate" in trainer.diverged.message
    last = trainer.last_update()
    np.testing.assert_array_equal(last.theta_before + last.delta, trainer.params.theta)
    # the next update would not be finite
    xor = load_dataset("xor")
    record = explain(trainer.params, xor.X[[trainer.position]], xor.y[[trainer.position]], trainer.spec, 10.0)
    assert not (np.isfinite(record["loss"]) and np.isfinite(trainer.params.theta + record["delta"]).all())
    assert trainer.run(5).updates == 0  # stays stopped


def test_epoch_numbers_are_running_means_over_the_epoch():
    data = _dataset()
    trainer = Trainer(_config("sample", 1), data)
    losses, correct = [], []
    for _ in range(7):
        record = trainer.step_update()
        losses.append(record.loss)
        correct.append((record.prediction[0] >= 0.5) == (data.y[record.samples[0], 0] == 1))
    assert trainer.last_epoch["train_loss"] == pytest.approx(np.mean(losses), rel=1e-14)
    assert trainer.last_epoch["metric"] == pytest.approx(np.mean(correct))
    # test numbers are of the network at the end of the epoch
    end = trainer.evaluate()
    assert trainer.last_epoch["test_loss"] == pytest.approx(end["test_loss"], rel=1e-13)


def test_r2_is_computed_on_the_samples_seen():
    data = product(n=50, n_test=20, seed=3)
    config = TrainConfig(hidden=4, activation="tanh", output="linear", loss="squared", lr=0.05, mode="full",
                         init="xavier")
    trainer = Trainer(config, data)
    before = trainer.evaluate()
    trainer.step_update()  # full batch: the epoch's R^2 is that of the initial network
    assert trainer.last_epoch["metric"] == pytest.approx(before["metric"], rel=1e-12)
    y = data.y[:, 0]
    p = Trainer(config, data).predict(data.X)[:, 0]
    assert before["metric"] == pytest.approx(1 - np.sum((p - y) ** 2) / np.sum((y - y.mean()) ** 2), rel=1e-12)


def test_history_memory_is_bounded_for_ten_million_epochs():
    history = History(n_params=17, capacity=1024)
    size = history.nbytes
    block = 100_000
    for start in range(1, 10**7 + 1, block):
        epochs = np.arange(start, start + block)
        history.append(epochs, {"train_loss": 1.0 / epochs}, np.zeros((block, 17)) + epochs[:, None])
    assert history.nbytes == size
    view = history.view()
    assert 512 <= history.count <= 1024
    assert view["epoch"][-1] > 10**7 - 2 * history.stride
    assert np.all(np.diff(view["epoch"]) == history.stride)  # evenly spread over the whole run
    np.testing.assert_array_equal(view["train_loss"], 1.0 / view["epoch"])
    np.testing.assert_array_equal(view["params"][:, 5], view["epoch"])


def test_trainer_history_halves_resolution_when_full(path):
    trainer = Trainer(_config("sample", 1), _dataset())
    trainer.history = History(trainer.params.theta.size, capacity=64)
    trainer.run(1000)
    view = trainer.history.view()
    assert trainer.history.count <= 64 and trainer.history.stride == 16
    assert np.all(view["epoch"] % 16 == 0)
    reference = Trainer(_config("sample", 1), _dataset())
    reference.run(1000)
    full = reference.history.view()
    np.testing.assert_array_equal(view["train_loss"], full["train_loss"][view["epoch"] - 1])


def test_bce_needs_targets_in_unit_interval():
    with pytest.raises(SettingError, match=r"loss = 'bce'.*between 0 and 1"):
        Trainer(_config("full", 1), load_dataset("single_point"))


def test_initial_weights_of_the_wrong_shape_are_refused():
    with pytest.raises(SettingError, match="weights"):
        Trainer(_config("full", 1), _dataset(), Params(3, 3))


def test_mlp_fit_predict():
    X = np.array([[0, 0, 1], [1, 1, 1], [1, 0, 1], [0, 1, 1]], dtype=float)
    y = np.array([0, 1, 1, 0])
    model = MLP(hidden_units=2, lr=0.1, epochs=500, seed=2).fit(X, y)
    np.testing.assert_array_equal(model.predict(X), y)
    out = model.predict_output(X)
    assert out.shape == (4,) and ((out >= 0) & (out <= 1)).all()
    again = MLP(hidden_units=2, lr=0.1, epochs=250, seed=2).fit(X, y)
    again.trainer.run(250)  # fit(250) then 250 more == fit(500)
    np.testing.assert_array_equal(again.trainer.params.theta, model.trainer.params.theta)


def test_test_numbers_of_every_kept_epoch_are_those_of_its_weights(path):
    # Past the history's capacity only every stride-th epoch is kept; each kept row's test loss must still be the
    # one of that row's weights, and the latest epoch's the one of the current weights.
    trainer = Trainer(_config("full", 7), _dataset())
    trainer.run(10_000)
    view = trainer.history.view()
    assert trainer.history.stride > 1 and np.isfinite(view["test_loss"]).all()
    for epoch, theta, loss, metric in zip(view["epoch"][::97], view["params"][::97], view["test_loss"][::97],
                                          view["test_metric"][::97], strict=True):
        replay = Trainer(_config("full", 7), _dataset(), Params(2, 3, theta))
        numbers = replay.evaluate()
        assert (numbers["test_loss"], numbers["test_metric"]) == pytest.approx((loss, metric), rel=1e-12), epoch
    now = trainer.evaluate()
    assert trainer.last_epoch["test_loss"] == pytest.approx(now["test_loss"], rel=1e-12)


def test_bce_checks_the_test_targets_too():
    X = np.array([[0.0, 1.0], [1.0, 0.0]])
    data = make_dataset("d", X, [0.0, 1.0], X, [0.0, 2.0])
    with pytest.raises(SettingError, match="between 0 and 1"):
        Trainer(_config("sample", 1), data)


def test_test_metric_follows_the_dataset_task_not_the_test_targets():
    # Regression data whose test targets happen to be 0 and 1: the test metric is R^2, computed here by hand.
    X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    data = make_dataset("d", X, [0.5, 2.0, 3.0], X[:2], [0.0, 1.0])
    assert data.task == "regression"
    trainer = Trainer(_config("full", 3, output="linear", loss="squared"), data)
    p = trainer.predict(X[:2])[:, 0]
    expected = 1 - np.sum((p - [0.0, 1.0]) ** 2) / 0.5
    assert trainer.evaluate()["test_metric"] == pytest.approx(expected, rel=1e-12)


def test_a_divergence_caused_by_the_data_is_not_blamed_on_the_learning_rate(path):
    X = np.array([[1e200, 1.0], [1.0, 1e200]])
    trainer = Trainer(_config("sample", 1, output="linear", loss="squared"), make_dataset("huge", X, [1e200, 0.0]))
    assert trainer.run(3).stopped_by == "diverged"
    assert trainer.updates == 0 and "learning rate" not in trainer.diverged.message
    assert "initial network is not finite on this data" in trainer.diverged.message


def test_a_big_batch_explains_its_first_rows_as_the_whole_batch_computed_them(path):
    data = load_dataset("product")
    trainer = Trainer(TrainConfig(hidden=5, activation="tanh", mode="full", lr=0.05), data)
    trainer.run(3)
    whole = trainer.explain_last_update(max_rows=None)
    first = trainer.explain_last_update(max_rows=10)
    assert int(first["m"]) == int(whole["m"]) == len(data.X) and len(first["x"]) == 10
    for key in ("x", "y", "z1", "a1", "z2", "p", "dz2", "dz1"):  # per sample: the whole batch's first rows
        np.testing.assert_allclose(first[key], whole[key][:10], rtol=1e-13, atol=1e-300, err_msg=key)
    record = trainer.last_update()
    np.testing.assert_allclose(first["grad"], whole["grad"], rtol=1e-12)
    np.testing.assert_array_equal(first["grad"], record.grad)  # the update's own
    assert float(first["loss"]) == record.loss
