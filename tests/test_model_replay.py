"""A run's past can be looked at, inspected and continued from, bit for bit: every replayed state is compared
with an independent run that got there directly (never with another replay).

The history's capacity is the smallest (64 rows), so its stride doubles during these short runs and replays
start from rows kept at a coarser resolution than the one they were written at.
"""

import dataclasses
import math

import numpy as np
import pytest
from test_model_splits import _config, _data  # the split tests' small run: 7 rows, 3 test rows

from model import kernel, replay
from model.config import SettingError, TrainConfig
from model.datasets import load_dataset
from model.history import MAX_BYTES, MIN_CAPACITY, History, row_bytes
from model.network import Layout
from model.trainer import Trainer

# batches that do not divide the 7 rows: the last update of each epoch is a short one
MODES = [("sample", 1), ("random_sample", 1), ("minibatch", 3), ("full", 7)]
N = 100  # epochs: past 64 rows, so the stride is 2 at N and 4 at 2N
RECORD_FIELDS = ("samples", "prediction", "theta_before", "grad", "delta")



def _trainer(mode, batch_size, path, chunk=None, block=None, **changes):
    """A trainer with the smallest history, on ``path``; ``chunk`` and ``block`` cap its updates per chunk and
    rows per block (row blocks change how a batch's sum is ordered, so runs compared share them)."""
    trainer = Trainer(_config(mode, batch_size, **changes), _data(), history_capacity=MIN_CAPACITY)
    assert trainer.prepare_compiled() == (path == "compiled")  # the path under test is the one taken
    if chunk is not None:
        trainer.max_chunk_updates = chunk
    if block is not None:
        trainer.row_block = block
    return trainer


def _same_record(a, b):
    for field in RECORD_FIELDS:
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field), err_msg=field)
    assert (a.update, a.epoch, a.loss, a.lr) == (b.update, b.epoch, b.loss, b.lr)


def _same_state(a: Trainer, b: Trainer, history=True):
    """The same run state, bit for bit (``history``: and the same history rows)."""
    np.testing.assert_array_equal(a.params.theta, b.params.theta)
    assert (a.epoch, a.updates, a.position, a.config) == (b.epoch, b.updates, b.position, b.config)
    sa, sb = a.rng.get_state(), b.rng.get_state()
    np.testing.assert_array_equal(sa[1], sb[1])
    assert sa[0] == sb[0] and sa[2:] == sb[2:]
    if a.updates:
        _same_record(a.last_update(), b.last_update())
    else:
        assert a.last_update() is b.last_update() is None
    assert a.last_epoch == b.last_epoch
    assert a.events == b.events
    if history:
        va, vb = a.history.view(), b.history.view()
        for key in va:
            np.testing.assert_array_equal(va[key], vb[key], err_msg=key)


def _advanced(trainer, update):
    """``trainer`` taken on to ``update`` updates directly: single updates to an epoch's end, whole epochs,
    single updates."""
    while trainer.updates < update and trainer.position:
        trainer.step_update()
    trainer.run((update - trainer.updates) // trainer.updates_per_epoch)
    while trainer.updates < update:
        trainer.step_update()
    return trainer


@pytest.mark.parametrize(("mode", "batch_size"), MODES)
@pytest.mark.parametrize("small", [False, True], ids=["default-boundaries", "small-chunks-and-blocks"])
def test_a_state_from_the_past_continues_as_the_run_did(path, mode, batch_size, small):
    block = 2 if small else None

    def fresh():
        return _trainer(mode, batch_size, path, block=block)

    straight = fresh()
    straight.run(2 * N)
    assert straight.history.stride == 4
    half = _trainer(mode, batch_size, path, chunk=2 if small else None, block=block)
    half.run(N)
    upe = half.updates_per_epoch
    assert half.history.stride == 2 and 64 in half.history.view()["epoch"]  # 64: kept since stride 1
    for epoch in (0, 37, 64, N):  # the initial state, an epoch not recorded, a row older than the doubling, the end
        past = half.state_at_epoch(epoch)
        _same_state(past, _advanced(fresh(), epoch * upe), history=False)
        assert past.history.view()["epoch"].tolist() == list(range(2, epoch + 1, 2))
        past.run(2 * N - past.epoch)
        _same_state(past, straight)
    if upe > 1:
        for update in (1, 65 * upe + 1, N * upe - 1):  # mid-epoch
            past = half.state_after(update)
            _same_state(past, _advanced(fresh(), update), history=False)
            past.run(2 * N - past.epoch)
            _same_state(past, straight)


@pytest.mark.parametrize(("mode", "batch_size"), MODES)
def test_replaying_leaves_the_run_as_it_was(path, mode, batch_size):
    trainer = _trainer(mode, batch_size, path)
    trainer.run(N)
    again = _trainer(mode, batch_size, path)
    again.run(N)
    trainer.state_after(77)
    trainer.inspect_update(trainer.updates)
    _same_state(trainer, again)
    trainer.run(10)
    again.run(10)
    _same_state(trainer, again)


@pytest.mark.parametrize(("mode", "batch_size"), MODES)
def test_inspecting_a_past_update_gives_what_it_showed_then(path, mode, batch_size):
    trainer = _trainer(mode, batch_size, path)
    upe = trainer.updates_per_epoch
    watched = {1, 2, 40 * upe, 40 * upe + 1, 79 * upe - 1, 90 * upe}
    seen = {}
    for _ in range(90 * upe):
        trainer.step_update()
        if trainer.updates in watched:
            seen[trainer.updates] = (trainer.last_update(), trainer.explain_last_update())
    trainer.run(N - trainer.epoch)  # the history has thinned since
    for update, (record, explanation) in seen.items():
        past_record, past_explanation = trainer.inspect_update(update)
        _same_record(past_record, record)
        assert past_explanation.keys() == explanation.keys()
        for key, value in explanation.items():
            np.testing.assert_array_equal(past_explanation[key], value, err_msg=key)


def _edited_run(mode, batch_size, path, stop=None):
    """Edits of a weight and of the learning rate at the end of a recorded epoch (24), a bias edit and a new
    learning rate mid-epoch later; cut at ``stop`` updates (the changes logged at ``stop`` are not made: they
    came after it)."""
    trainer = _trainer(mode, batch_size, path)
    upe = trainer.updates_per_epoch
    changes = [(24 * upe, "param", 4, 0.75), (24 * upe, "lr", 0.1), (60 * upe + 1, "param", 7, -2.5),
               (61 * upe + 2, "lr", 0.2)]
    stop = 130 * upe if stop is None else stop
    for at, kind, *args in changes:
        if at < stop:
            _advanced(trainer, at)
            trainer.set_learning_rate(*args) if kind == "lr" else trainer.set_parameter(*args)
    return _advanced(trainer, stop)


@pytest.mark.parametrize(("mode", "batch_size"), MODES)
def test_edits_are_logged_and_replayed_where_they_were_made(path, mode, batch_size):
    trainer = _trainer(mode, batch_size, path)
    upe = trainer.updates_per_epoch
    trainer.run(21)
    old = trainer.params.theta[4]
    trainer.set_parameter(4, 0.75)
    assert trainer.events == (replay.Event(21 * upe, "param", 4, 0.75, old),)
    assert trainer.step_update().theta_before[4] == 0.75  # the next update starts from the edited weight
    trainer.set_learning_rate(0.3)  # unchanged: nothing to log
    assert len(trainer.events) == 1
    edited = _edited_run(mode, batch_size, path)
    assert [(e.update, e.kind, e.index, e.value) for e in edited.events] == [
        (24 * upe, "param", 4, 0.75), (24 * upe, "lr", replay.LR_INDEX, 0.1), (60 * upe + 1, "param", 7, -2.5),
        (61 * upe + 2, "lr", replay.LR_INDEX, 0.2)]
    assert (edited.events[1].old, edited.events[3].old, edited.config.lr) == (0.3, 0.1, 0.2)
    assert 24 in edited.history.view()["epoch"]  # replays after it start there, with the edits not yet made
    for update in (24 * upe, 24 * upe + 1, 25 * upe, 28 * upe + 1, 60 * upe + 1, 60 * upe + 2, 61 * upe + 3,
                   100 * upe + 1):
        past = edited.state_after(update)
        _same_state(past, _edited_run(mode, batch_size, path, stop=update), history=False)
    # continued with the same changes, a state from before them ends where the edited run did
    past = edited.state_at_epoch(10)
    for event in edited.events:
        _advanced(past, event.update)
        past.set_learning_rate(event.value) if event.kind == "lr" else past.set_parameter(event.index, event.value)
    _advanced(past, edited.updates)
    _same_state(past, edited)


@pytest.mark.parametrize(("mode", "batch_size"), [("random_sample", 1), ("minibatch", 3)])
def test_a_chunk_stopped_short_of_a_doubling_keeps_the_states_its_rows_need(monkeypatch, mode, batch_size):
    # A chunk that would have crossed epoch 64 (where the stride of a 64-row history doubles) draws its orders
    # for rows at stride 2; a stop request before epoch 64 makes its epochs rows at stride 1.
    monkeypatch.setattr(kernel, "enabled", False)

    def stop_at(check):
        checks = iter(range(1, 10**6))
        return lambda: next(checks) == check

    stopped = _trainer(mode, batch_size, "numpy", chunk=60, block=1)
    stopped.run(60)
    assert stopped.run(20, should_stop=stop_at(20)).stopped_by == "stop"  # in the chunk's third epoch
    assert stopped.epoch == 62
    stopped.run(N - stopped.epoch)
    upe = stopped.updates_per_epoch
    for epoch in (61, 62, 64, 65):
        direct = _advanced(_trainer(mode, batch_size, "numpy", block=1), epoch * upe + 1)
        _same_state(stopped.state_after(epoch * upe + 1), direct, history=False)


def test_bad_edits_are_refused_and_change_nothing():
    trainer = Trainer(_config("sample", 1, bias=False), _data())
    theta = trainer.params.theta.copy()
    layout = Layout(2, 3)
    for index, value in [(0, math.nan), (0, math.inf), (0, "1"), (0, True), (-1, 1.0), (layout.size, 1.0),
                         (1.0, 1.0), (True, 1.0), (layout.b1_at, 1.0), (layout.b2_at, 0.0)]:
        with pytest.raises(SettingError):
            trainer.set_parameter(index, value)
    np.testing.assert_array_equal(trainer.params.theta, theta)
    assert trainer.events == ()
    with pytest.raises(SettingError):
        trainer.set_learning_rate(math.inf)
    trainer.set_parameter(layout.w2_at, np.float32(0.5))  # a weight, as any real number
    assert trainer.params.theta[layout.w2_at] == 0.5


def test_past_states_out_of_the_run_are_refused():
    trainer = Trainer(_config("minibatch", 3), _data())
    trainer.run(5)
    for call, value in [("state_after", -1), ("state_after", trainer.updates + 1), ("inspect_update", 0),
                        ("inspect_update", trainer.updates + 1), ("state_at_epoch", 6), ("state_at_epoch", -1)]:
        with pytest.raises(SettingError):
            getattr(trainer, call)(value)


def test_recorded_epochs_give_their_weights_without_a_replay(path):
    trainer = _trainer("minibatch", 3, path)
    initial = trainer.params.theta.copy()
    trainer.set_parameter(0, 9.0)  # after epoch 0 was recorded: not part of it
    trainer.run(150)
    np.testing.assert_array_equal(trainer.theta_at_epoch(0), initial)
    view = trainer.history.view()
    for epoch, theta in zip(view["epoch"], view["params"], strict=True):
        np.testing.assert_array_equal(trainer.theta_at_epoch(int(epoch)), theta)
    assert trainer.recorded_epoch_at_or_before(3) == 0
    assert trainer.recorded_epoch_at_or_before(103) == 100 and trainer.recorded_epoch_at_or_before(104) == 104
    with pytest.raises(KeyError):
        trainer.theta_at_epoch(103)
    with pytest.raises(ValueError, match="read-only"):
        trainer.theta_at_epoch(100)[0] = 1.0


def test_a_diverged_run_replays_up_to_its_last_finite_state(path):
    config = TrainConfig(hidden=4, activation="linear", output="linear", loss="squared", lr=10.0, mode="minibatch",
                         batch_size=3, init="ones")
    trainer = Trainer(config, load_dataset("xor"))
    assert trainer.run(1000).stopped_by == "diverged"
    last = trainer.state_after(trainer.updates)
    assert last.diverged is None
    np.testing.assert_array_equal(last.params.theta, trainer.params.theta)
    _same_record(trainer.inspect_update(trainer.updates)[0], trainer.last_update())
    earlier = trainer.state_at_epoch(trainer.epoch)
    again = Trainer(config, load_dataset("xor"))
    again.run(trainer.epoch)
    _same_state(earlier, again)


def _mixed(numpy_epochs, compiled_epochs, monkeypatch):
    """A run of ``numpy_epochs`` on the NumPy path (as before the compiled loop is ready, in a window's first
    seconds), then ``compiled_epochs`` on the compiled loop."""
    trainer = Trainer(_config("minibatch", 3), _data())
    monkeypatch.setattr(kernel, "enabled", False)
    trainer.run(numpy_epochs)
    monkeypatch.setattr(kernel, "enabled", True)
    trainer.run(compiled_epochs)
    return trainer


def test_a_replay_makes_each_update_on_the_path_it_first_took(monkeypatch):
    if not kernel.warm_up():
        pytest.skip(kernel.unavailable_reason())
    # the two paths differ in the last bits, so a replay on the other path would show
    assert not np.array_equal(_mixed(30, 0, monkeypatch).params.theta, _mixed(0, 30, monkeypatch).params.theta)
    mixed = _mixed(10, 20, monkeypatch)
    for epoch in (5, 10, 20, 30):  # the compiled loop is ready now: the first 10 epochs must not take it
        past = mixed.state_at_epoch(epoch)
        direct = _mixed(min(epoch, 10), max(0, epoch - 10), monkeypatch)
        np.testing.assert_array_equal(past.params.theta, direct.params.theta)
    past = mixed.state_at_epoch(5)
    past.run(25)  # its own future: on the compiled loop, now ready
    np.testing.assert_array_equal(past.params.theta, _mixed(5, 25, monkeypatch).params.theta)


def test_history_memory_with_stream_states_stays_within_its_bound():
    xor = load_dataset("xor")
    config = TrainConfig(hidden=4, activation="relu", output="linear", loss="half_squared", lr=0.001,
                         mode="minibatch", batch_size=3, seed=40)
    trainer = Trainer(config, xor, history_capacity=256)
    trainer.prepare_compiled()  # 40,000 updates: on the compiled loop when there is one
    size = trainer.history.nbytes
    n_params = trainer.params.theta.size
    assert size == trainer.history.capacity * row_bytes(n_params, replay.STREAM_WORDS) <= MAX_BYTES
    trainer.run(20_000)
    assert trainer.history.nbytes == size and trainer.history.count <= trainer.history.capacity
    assert trainer.history.stride > 64
    last_row = trainer.recorded_epoch_at_or_before(trainer.epoch - 1)
    direct = Trainer(config, xor, history_capacity=256)
    direct.run(last_row + 1)
    past = trainer.state_at_epoch(last_row + 1)  # replayed from the last row, its stream state included
    _same_state(past, direct, history=False)
    # the largest network the settings allow, with stream states, at the default capacity
    largest = Layout(16, 1024).size
    assert History(largest, state_words=replay.STREAM_WORDS).nbytes <= MAX_BYTES


def test_the_stream_state_read_in_place_is_the_one_numpy_reports(monkeypatch):
    bits = np.random.MT19937()
    stream = np.random.RandomState(bits)
    stream.seed(7)
    fast = replay.StreamReader(bits)
    monkeypatch.setattr(replay, "_raw_layout_is_known", lambda: False)  # as if numpy's layout were another
    slow = replay.StreamReader(bits)
    reference = np.random.RandomState(7)
    for draw in (lambda r: r.standard_normal(9), lambda r: r.permutation(1000), lambda r: r.randint(0, 5, 700)):
        draw(stream)
        draw(reference)
        _, key, pos, *_ = reference.get_state()
        np.testing.assert_array_equal(fast.words(), np.append(key, np.uint32(pos)))
        np.testing.assert_array_equal(slow.words(), np.append(key, np.uint32(pos)))


def test_events_are_read_only_records():
    trainer = Trainer(_config("sample", 1), _data())
    trainer.set_parameter(0, 1.5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        trainer.events[0].value = 2.0
    assert isinstance(trainer.events, tuple)
