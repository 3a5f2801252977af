"""The training worker and its controller, without the window."""

from __future__ import annotations

import numpy as np
import pytest

from gui.worker import MAX_SHOWN_PARAMS, TrainingController, choose_shown_params
from model.datasets import load_dataset
from model.history import MIN_CAPACITY
from model.network import param_names
from model.presets import PRESETS
from model.trainer import Trainer

TIMEOUT = 10_000


@pytest.fixture
def controller(qtbot):
    made = TrainingController()
    yield made
    assert made.shutdown()
    assert made.is_finished()


def xor_trainer(**changes) -> Trainer:
    preset = PRESETS["notebook_001"]
    return Trainer(preset.config.replace(**changes), load_dataset(preset.dataset))


def newest(qtbot, controller, condition):
    found = []

    def check():
        frame = controller.latest_frame()
        assert frame is not None and condition(frame)
        found.append(frame)

    qtbot.waitUntil(check, timeout=TIMEOUT)
    return found[-1]


def test_a_new_trainer_is_published_with_its_network_number(qtbot, controller):
    controller.set_trainer(xor_trainer(), 7)
    frame = newest(qtbot, controller, lambda f: f.network == 7)
    assert frame.snapshot.updates == 0 and not frame.running and frame.explanation is None
    assert frame.names[0] == "w1_11" and frame.names[-1] == "b2"
    assert not frame.snapshot.theta.flags.writeable  # an immutable copy


def test_run_to_max_epochs_reports_why_it_stopped(qtbot, controller):
    controller.set_trainer(xor_trainer(), 1)
    controller.set_limits(300, None)
    with qtbot.waitSignal(controller.run_stopped, timeout=TIMEOUT) as stopped:
        controller.start()
    assert stopped.args == ["max_epochs"] and not controller.running
    frame = newest(qtbot, controller, lambda f: not f.running)
    assert frame.snapshot.epoch == 300 and frame.explanation is not None  # explained once it stopped


def test_pause_stops_within_a_slice_and_a_step_follows_it(qtbot, controller):
    controller.set_trainer(xor_trainer(), 1)
    controller.set_limits(10**9, None)
    controller.start()
    newest(qtbot, controller, lambda f: f.snapshot.epoch > 50)
    controller.step_update()  # pauses first, then makes one update
    assert not controller.running
    # The run's last frame and then the step's are both paused and explained: a request queued after the step is
    # answered once the step's frame is out, so the one read next is the step's.
    with qtbot.waitSignal(controller.history_ready, timeout=TIMEOUT):
        controller.request_history(1)
    paused = newest(qtbot, controller, lambda f: not f.running and f.explanation is not None)
    qtbot.wait(100)
    assert controller.latest_frame().snapshot.updates == paused.snapshot.updates  # nothing ran after it
    record = paused.snapshot.last_update
    np.testing.assert_array_equal(paused.snapshot.theta, record.theta_before + record.delta)


def test_frames_of_an_older_network_carry_its_number(qtbot, controller):
    controller.set_trainer(xor_trainer(), 1)
    controller.set_limits(10**9, None)
    controller.start()
    controller.set_trainer(xor_trainer(hidden=3), 2)  # while running: the run stops, the new one is idle
    frame = newest(qtbot, controller, lambda f: f.network == 2)
    assert frame.snapshot.config.hidden == 3 and not controller.running


def pull_frames(qtbot, controller, ms=200):
    """Take frames as the window's timer does (the worker publishes a new one once the last was taken)."""
    for _ in range(ms // 20):
        qtbot.wait(20)
        controller.latest_frame()
    return controller.latest_frame()


def test_speed_limit_and_learning_rate_apply_while_running(qtbot, controller, fake_clock):
    """The schedule, on a fake clock the test moves: no wall-clock bound, so a loaded machine cannot fail it."""
    clock = fake_clock
    controller.set_trainer(xor_trainer(), 1)
    controller.set_limits(10**9, None)
    controller.set_speed(50)
    controller.start()
    newest(qtbot, controller, lambda f: f.running)  # the schedule starts with the run, one epoch due at once
    # Half an epoch past a due time, so rounding cannot move an epoch across it; fewer than 25 epochs (half a
    # second's worth) at a time, so the worker never counts itself behind and drops the backlog.
    clock.advance(0.47)  # 1 + 23.5 epochs due
    newest(qtbot, controller, lambda f: f.snapshot.epoch == 24)
    frame = pull_frames(qtbot, controller)  # the clock stands still: so does training
    assert frame.snapshot.epoch == 24 and frame.running
    clock.advance(0.2)  # 10 more
    newest(qtbot, controller, lambda f: f.snapshot.epoch == 34)
    controller.set_learning_rate(0.05)
    controller.set_speed(0)  # as fast as possible: the clock no longer matters
    newest(qtbot, controller, lambda f: f.snapshot.config.lr == 0.05 and f.snapshot.epoch > 34 + 1000)
    controller.pause()


def test_shutdown_while_running_joins_the_thread(qtbot):
    controller = TrainingController()
    controller.set_trainer(xor_trainer(), 1)
    controller.set_limits(10**9, None)
    controller.start()
    newest(qtbot, controller, lambda f: f.snapshot.epoch > 100)
    assert controller.shutdown()
    assert controller.is_finished()
    assert controller.shutdown()  # twice is fine


@pytest.mark.parametrize(("d", "h", "bias"), [(2, 4, True), (2, 4, False), (3, 2, True), (2, 1024, True),
                                              (16, 1024, False)])
def test_shown_parameters_are_whole_hidden_units_within_the_limit(d, h, bias):
    names = param_names(d, h)
    shown = choose_shown_params(names, d, h, bias)
    assert len(shown.index) <= MAX_SHOWN_PARAMS
    assert shown.names == tuple(names[i] for i in shown.index)
    if not bias:
        assert not any(name.startswith("b") for name in shown.names)
    if len(names) <= MAX_SHOWN_PARAMS and bias:
        assert len(shown.index) == len(names) and shown.caption == f"all {len(names)} parameters"
    if h == 1024:
        assert f"of {len(names)} parameters" in shown.caption
        assert (shown.names[-1] == "b2") is bias


def test_a_long_update_publishes_its_progress_and_pauses_between_row_blocks(qtbot, controller, monkeypatch):
    # A full batch on the NumPy path in 2,000 row blocks: the window must see it progress (frames with
    # 0 < progress < 1, nothing else changed) and Pause must not wait for its end. Each block is held 10 ms until
    # the test has paused, so the update outlasts any stall of the test's own thread (CI failed once when the
    # update ended between the progress frame and pause()).
    import threading

    from model import kernel
    from model.config import TrainConfig
    from model.datasets import make_dataset

    monkeypatch.setattr(kernel, "enabled", False)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20_000, 2))
    data = make_dataset("big", X, (X[:, :1] * X[:, 1:] > 0).astype(float))
    trainer = Trainer(TrainConfig(hidden=64, activation="tanh", mode="full", lr=0.1), data)
    trainer.row_block = 10  # 2,000 blocks an update: at least 20 s until the test pauses
    paused = threading.Event()
    run = trainer.run

    def run_held(epochs, target_loss=None, should_stop=None, max_seconds=None):
        def held():
            paused.wait(0.01)
            return should_stop()
        return run(epochs, target_loss=target_loss, should_stop=held, max_seconds=max_seconds)

    trainer.run = run_held
    controller.set_trainer(trainer, 1)
    controller.set_limits(1_000_000, None)
    controller.start()
    during = newest(qtbot, controller, lambda f: f.running and 0 < f.progress < 1)
    controller.pause()
    paused.set()
    stopped = newest(qtbot, controller, lambda f: not f.running and f.seq > during.seq)
    assert stopped.snapshot.updates == during.snapshot.updates == 0  # the update under way was dropped
    assert stopped.progress == 0
    assert np.array_equal(stopped.snapshot.theta, during.snapshot.theta)


def test_recorded_weights_are_the_run_s_recorded_epochs_and_only_sent_when_paused(qtbot, controller):
    """request_recorded answers a paused network with every recorded epoch's weights (0: the initial ones), as
    theta_at_epoch gives them, however often the history has halved; a network that trains is not answered."""
    trainer = Trainer(xor_trainer().config.replace(mode="sample"), xor_trainer().dataset,
                      history_capacity=MIN_CAPACITY)
    initial = trainer.params.theta.copy()
    trainer.run(300)  # 300 epochs in 64 rows: the history has halved three times (every 8th epoch)
    controller.set_trainer(trainer, 3)
    with qtbot.waitSignal(controller.recorded_ready, timeout=TIMEOUT) as answer:
        controller.request_recorded(3)
    recorded = answer.args[0]
    assert recorded.network == 3
    np.testing.assert_array_equal(recorded.epochs, np.arange(0, 301, 8)[: len(recorded.epochs)])
    assert recorded.last_epoch() == 296
    np.testing.assert_array_equal(recorded.params[0], initial)
    for epoch in recorded.epochs:
        np.testing.assert_array_equal(recorded.past_at(epoch).theta, trainer.theta_at_epoch(int(epoch)))
    assert recorded.past_at(4) is None and recorded.past_at(300) is None  # not recorded
    assert not recorded.params.flags.writeable
    # While it trains the history changes: no copy is sent.
    controller.set_limits(10**9, None)
    controller.start()
    with qtbot.assertNotEmitted(controller.recorded_ready, wait=300):
        controller.request_recorded(3)
    controller.pause()
