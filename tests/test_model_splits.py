"""However a run is split (single updates, mid-epoch stops, chunks, row blocks, stop requests), it gives the
same bits; every epoch's sample order is the one an independent reading of the random stream gives.

The trainer's internal boundaries (updates per chunk, rows per block) are made tiny here, so short runs cross
each of them many times, at every offset inside an epoch.
"""

import numpy as np
import pytest

from model import kernel
from model.config import TrainConfig
from model.datasets import make_dataset, product
from model.network import explain
from model.trainer import Trainer, compiled_path

MODES = [("sample", 1), ("random_sample", 1), ("minibatch", 2), ("full", 7)]


def _data(n=7, seed=1):
    rng = np.random.RandomState(seed)
    X = rng.uniform(-1, 1, (n, 2))
    return make_dataset("d", X, (X[:, 0] * X[:, 1] > 0).astype(float), X[:3] * 0.5, [1.0, 0.0, 1.0])


def _config(mode, batch_size, **changes):
    settings = dict(hidden=3, activation="tanh", output="sigmoid", loss="bce", lr=0.3, mode=mode,
                    batch_size=batch_size, init="xavier", seed=7, l2=0.001)
    return TrainConfig(**{**settings, **changes})


def _trainer(mode, batch_size, data=None, chunk=None, block=None, **changes):
    trainer = Trainer(_config(mode, batch_size, **changes), data or _data())
    if chunk is not None:
        trainer.max_chunk_updates = chunk
    if block is not None:
        trainer.row_block = block
    return trainer


def _same(a: Trainer, b: Trainer):
    np.testing.assert_array_equal(a.params.theta, b.params.theta)
    assert (a.epoch, a.updates, a.position) == (b.epoch, b.updates, b.position)
    va, vb = a.history.view(), b.history.view()
    for key in va:
        np.testing.assert_array_equal(va[key], vb[key], err_msg=key)
    np.testing.assert_array_equal(a.rng.get_state()[1], b.rng.get_state()[1])
    assert a.rng.get_state()[2] == b.rng.get_state()[2]
    ra, rb = a.last_update(), b.last_update()
    for field in ("samples", "theta_before", "grad", "delta", "prediction"):
        np.testing.assert_array_equal(getattr(ra, field), getattr(rb, field), err_msg=field)
    assert ra.loss == rb.loss


def _expected_orders(mode, n, epochs, seed=7, n_weights=9):
    """Each epoch's sample order, read from the stream independently: xavier draws the 2x3 + 3x1 weights first."""
    rng = np.random.RandomState(seed)
    rng.standard_normal(n_weights)
    if mode == "minibatch":
        return [rng.permutation(n).tolist() for _ in range(epochs)]
    if mode == "random_sample":
        return [rng.randint(0, n, size=n).tolist() for _ in range(epochs)]
    return [list(range(n))] * epochs


@pytest.mark.parametrize(("mode", "batch_size"), MODES)
def test_each_epoch_uses_the_orders_the_stream_gives(path, mode, batch_size):
    stepped = _trainer(mode, batch_size)
    seen = []
    for _ in range(6 * stepped.updates_per_epoch):
        seen.extend(stepped.step_update().samples.tolist())
    epochs = [seen[e * 7 : (e + 1) * 7] for e in range(6)]
    assert epochs == _expected_orders(mode, 7, 6)
    if mode == "minibatch":
        assert all(sorted(epoch) == list(range(7)) for epoch in epochs)


def test_a_run_begun_mid_epoch_finishes_that_epoch_in_its_own_order(path):
    # The shipped bug: n = 6, batch 2; one update, then run(2) took the rest of epoch 1 from epoch 2's order.
    data = _data(n=6)
    stepped = Trainer(_config("minibatch", 2), data)
    seen = np.concatenate([stepped.step_update().samples for _ in range(6)])
    assert sorted(seen[:6]) == list(range(6)) and sorted(seen[6:]) == list(range(6))
    split = Trainer(_config("minibatch", 2), data)
    split.step_update()
    split.run(2)
    _same(stepped, split)


SPLITS = [
    ["u", ("run", 2)],
    ["u", "u", "u", ("run", 3), "u", "e", ("run", 1)],
    [("run", 1), "u", "u", "u", "u", "u", ("run", 2), "e", "u"],
    ["u"] * 9 + [("run", 2)],
]


@pytest.mark.parametrize(("mode", "batch_size"), MODES)
@pytest.mark.parametrize("chunk", [1, 3, 5, None])
@pytest.mark.parametrize("split", range(len(SPLITS)))
def test_any_split_equals_one_run(path, mode, batch_size, chunk, split):
    whole = _trainer(mode, batch_size, chunk=None, block=3)
    parts = _trainer(mode, batch_size, chunk=chunk, block=3)
    for call in SPLITS[split]:
        if call == "u":
            parts.step_update()
        elif call == "e":
            parts.step_epoch()
        else:
            parts.run(call[1])
    whole.run(parts.epoch)  # the same number of whole epochs, and the same unfinished one
    for _ in range(parts.position):
        whole.step_update()
    _same(whole, parts)
    # and going on from either gives the same again
    parts.run(4)
    whole.run(4)
    _same(whole, parts)


@pytest.mark.parametrize(("mode", "batch_size"), MODES)
def test_long_runs_cross_many_chunks_with_the_same_bits(path, mode, batch_size):
    one = _trainer(mode, batch_size)
    tiny = _trainer(mode, batch_size, chunk=3)
    one.run(60)
    tiny.run(60)
    _same(one, tiny)
    # epochs then more epochs equals the sum of them, for every way of cutting the count
    for cut in (1, 17, 59):
        cut_run = _trainer(mode, batch_size, chunk=7)
        cut_run.run(cut)
        cut_run.run(60 - cut)
        _same(one, cut_run)


@pytest.mark.parametrize(("mode", "batch_size"), [("full", 7), ("minibatch", 5)])
@pytest.mark.parametrize("block", [1, 2, 3])
def test_row_blocks_give_the_batch_mean_gradient(monkeypatch, mode, batch_size, block):
    monkeypatch.setattr(kernel, "enabled", False)
    data = _data()
    blocked = _trainer(mode, batch_size, data, block=block)
    before = blocked.params.copy()
    record = blocked.step_update()
    expected = explain(before, data.X[record.samples], data.y[record.samples], blocked.spec, 0.3)
    np.testing.assert_allclose(record.grad, expected["grad"], rtol=1e-13, atol=1e-16)
    np.testing.assert_allclose(record.loss, float(expected["loss"]), rtol=1e-13)
    np.testing.assert_allclose(record.prediction, expected["p"][:, 0], rtol=1e-14)


def test_a_stop_between_row_blocks_leaves_no_trace(monkeypatch):
    monkeypatch.setattr(kernel, "enabled", False)
    whole = _trainer("full", 7, block=2)
    whole.run(5)
    stopped = _trainer("full", 7, block=2)
    calls = {"n": 0}

    def stop_every_fifth_check():
        calls["n"] += 1
        return calls["n"] % 5 == 0

    results = []
    while stopped.epoch < 5 and len(results) < 50:
        results.append(stopped.run(5 - stopped.epoch, should_stop=stop_every_fifth_check).stopped_by)
    assert "stop" in results  # some requests landed inside an update, between its blocks
    _same(whole, stopped)


def test_the_path_is_a_rule_of_the_settings_alone():
    product_data = product(n=1000, n_test=10, seed=0)
    relu = TrainConfig(hidden=5, activation="relu", mode="full")
    tanh = relu.replace(activation="tanh")
    assert compiled_path(relu.replace(mode="sample", hidden=1024), 2, 1000)
    assert not compiled_path(tanh.replace(hidden=4), 2, 1000)  # tanh 1000 x 4: NumPy's vector tanh wins
    assert compiled_path(tanh.replace(mode="minibatch", batch_size=32), 2, 1000)
    trainer = Trainer(relu, product_data)
    before = trainer.uses_compiled
    trainer.run(3)
    assert trainer.uses_compiled == before == compiled_path(relu, 2, 1000)


def test_n_epochs_equal_n_single_epochs_on_the_path_the_settings_choose():
    if not kernel.warm_up():
        pytest.skip(kernel.unavailable_reason())
    xor = make_dataset("xor", [[0, 0], [0, 1], [1, 0], [1, 1]], [0, 1, 1, 0])
    config = TrainConfig(hidden=4, activation="relu", output="linear", loss="half_squared", lr=0.001,
                         mode="sample", bias=False, seed=40)
    together, halves, epochs = Trainer(config, xor), Trainer(config, xor), Trainer(config, xor)
    together.run(20_000)
    halves.run(10_000)
    halves.run(10_000)
    for _ in range(2_000):
        epochs.step_epoch()
    epochs.run(18_000)
    _same(together, halves)
    _same(together, epochs)


def test_the_kernel_cache_is_found_where_numba_puts_it(tmp_path):
    # NUMBA_CACHE_DIR moves numba's cache: the check must look there, not next to the source.
    import subprocess
    import sys
    from pathlib import Path

    code = ("from model import kernel; before = kernel.cache_exists([(1, 0)]); kernel.warm_up([(1, 0)]); "
            "print(before, kernel.cache_exists([(1, 0)]), kernel.cache_exists([(4, 1)]))")
    root = Path(__file__).resolve().parents[1]
    env = {**__import__("os").environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    run = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True,
                         timeout=600)
    assert run.stdout.split() == ["False", "True", "False"], run.stderr
    assert any(tmp_path.rglob("*.nbi"))


def test_a_stop_inside_the_first_update_of_a_chunk_keeps_the_epoch_order(monkeypatch):
    # Minibatches of 3 from 7 rows (updates of 3, 3 and 1), row blocks of 2: a stop request can land inside the
    # first update of a chunk that began mid-epoch and drew the next epoch's order, with no update applied.
    monkeypatch.setattr(kernel, "enabled", False)
    whole = _trainer("minibatch", 3, block=2)
    whole.run(6)
    stopped = _trainer("minibatch", 3, block=2)
    stopped.step_update()  # mid-epoch
    checks = {"n": 0}

    def stop_at_the_first_block_boundary():
        checks["n"] += 1
        return checks["n"] == 2  # the first check is _advance's, before the chunk; the second is between blocks

    assert stopped.run(6, should_stop=stop_at_the_first_block_boundary).stopped_by == "stop"
    assert stopped.updates == 1
    stopped.run(6)
    _same(whole, stopped)
