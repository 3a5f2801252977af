"""The window, driven through its widgets' methods; assertions are on data (arrays, files), not pixels."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from gui.main_window import significant
from gui.views.diagram import NOT_EDITABLE
from gui.worker import MAX_SHOWN_PARAMS
from model.config import TrainConfig
from model.datasets import load_csv
from model.network import NetworkSpec, Params, predict
from model.trainer import epoch_count
from model.weights_io import load_weights, save_weights

TIMEOUT = 10_000


def frame_where(qtbot, window, condition, timeout=TIMEOUT):
    """Wait until the window has drawn a frame of its current network for which condition(frame) holds."""
    def drawn():
        frame = window.drawn_frame()
        assert frame is not None and condition(frame)

    qtbot.waitUntil(drawn, timeout=timeout)
    return window.drawn_frame()


def open_csv(qtbot, window, path) -> bool:
    """Open a CSV file as the window does (read in the background) and wait: whether its network is in use."""
    with qtbot.waitSignal(window.files.csv_finished, timeout=TIMEOUT) as finished:
        assert window.files.open_csv(path)
    return finished.args[0]


def train_epochs(qtbot, window, epochs):
    """Train up to ``epochs`` (total) through the controls, flat out, and wait for the run to stop."""
    window.panel.max_epochs.setValue(epochs)
    with qtbot.waitSignal(window.controller.run_stopped, timeout=30_000):
        window.panel.train_button.click()
    return frame_where(qtbot, window, lambda f: f.snapshot.epoch == epochs and not f.running)


def expected_surface(window, frame):
    """The model's own predictions on the heatmap's grid, for the frame's weights."""
    snapshot = frame.snapshot
    params = Params(frame.dataset.n_inputs, snapshot.config.hidden, snapshot.theta)
    return predict(params, window.boundary_plot.grid_inputs(), NetworkSpec.from_config(snapshot.config))


def test_the_window_opens_on_xor_with_every_control(window):
    panel = window.panel
    assert window.windowTitle().endswith("XOR")
    assert panel.dataset.currentData() == "xor"
    for widget in (panel.preset, panel.dataset, panel.hidden, panel.activation, panel.output, panel.loss,
                   panel.init, panel.seed, panel.bias, panel.lr.field, panel.lr.slider, panel.mode,
                   panel.batch_size, panel.l2, panel.max_epochs, panel.target_loss, panel.speed.slider,
                   panel.train_button, panel.step_epoch_button, panel.step_sample_button, panel.reset_button,
                   panel.reinit_button):
        assert widget.toolTip(), f"{widget!r} has no tooltip"


def test_heatmap_equals_the_models_predictions_on_the_grid(qtbot, window):
    window.apply_preset("notebook_001")
    frame = train_epochs(qtbot, window, 200)
    assert window.boundary_plot.wait_for_surface()
    image = window.boundary_plot.values()
    expected = expected_surface(window, frame)
    side = image.shape[0]
    np.testing.assert_allclose(image, expected.reshape(side, side), rtol=1e-6)  # float32 image
    levels = window.boundary_plot.image.getLevels()
    assert tuple(levels) == (0.0, 1.0)  # fixed levels, not scaled to the data
    grid = window.boundary_plot.grid_inputs()
    assert grid[:, 0].min() < 0 < 1 < grid[:, 0].max()  # the plane covers the four XOR points


def test_weight_curves_hold_the_recorded_history(qtbot, window):
    window.apply_preset("notebook_002")
    frame = train_epochs(qtbot, window, 150)
    history = frame.snapshot.history
    curves = window.weights_plot.curves
    assert len(curves) == len(frame.names) == 11  # 3-2-1 with biases: every parameter has a curve
    assert [c.name() for c in curves] == list(frame.names)
    for k, curve in enumerate(curves):
        x, y = curve.getData()
        # epoch 0 (the initial weights) and then the recorded epochs
        np.testing.assert_array_equal(x[1:], history["epoch"])
        np.testing.assert_array_equal(y[1:], history["params"][:, k])
    loss_x, loss_y = window.loss_plot.train_curve.getData()
    np.testing.assert_array_equal(loss_x, history["epoch"])
    np.testing.assert_allclose(10**loss_y, history["train_loss"])  # getData() is in the log axis' units


def test_step_sample_changes_exactly_one_updates_worth(qtbot, window):
    window.apply_preset("notebook_001")
    window.panel.step_epoch_button.click()
    before = frame_where(qtbot, window, lambda f: f.snapshot.updates == 4)
    window.panel.step_sample_button.click()
    after = frame_where(qtbot, window, lambda f: f.snapshot.updates == 5)
    record = after.snapshot.last_update
    assert record.update == 5 and len(record.samples) == 1
    np.testing.assert_array_equal(record.theta_before, before.snapshot.theta)
    np.testing.assert_array_equal(after.snapshot.theta, before.snapshot.theta + record.delta)
    np.testing.assert_array_equal(window.weights_plot.bar_heights(), record.delta[after.shown.index])
    assert after.snapshot.position == 1  # one update into epoch 2
    # the curves end at the new weights, a quarter of the way into epoch 2
    x, y = window.weights_plot.curves[0].getData()
    assert x[-1] == pytest.approx(1.25) and y[-1] == after.snapshot.theta[after.shown.index[0]]
    text = window.arithmetic.toPlainText()
    assert "Update 5 — epoch 1 (+1/4)" in text and "Forward pass" in text and "Backward pass" in text


def test_keyboard_shortcuts_step_train_and_reset(qtbot, window):
    window.apply_preset("notebook_001")
    QTest.keyClick(window, Qt.Key.Key_Right)
    frame_where(qtbot, window, lambda f: f.snapshot.updates == 4)
    QTest.keyClick(window, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    frame_where(qtbot, window, lambda f: f.snapshot.updates == 5)
    window.panel.max_epochs.setValue(1_000_000)
    QTest.keyClick(window, Qt.Key.Key_Space)
    assert window.controller.running and window.panel.train_button.text() == "Pause"
    frame_where(qtbot, window, lambda f: f.snapshot.epoch > 10)
    QTest.keyClick(window, Qt.Key.Key_Space)
    assert not window.controller.running and window.panel.train_button.text() == "Train"
    QTest.keyClick(window, Qt.Key.Key_R)
    frame = frame_where(qtbot, window, lambda f: f.snapshot.updates == 0)
    assert frame.snapshot.config.seed == 40


def test_reset_gives_the_same_initial_weights_and_reinitialise_new_ones(qtbot, window):
    window.apply_preset("notebook_001")
    first = frame_where(qtbot, window, lambda f: f.snapshot.updates == 0).snapshot.theta
    train_epochs(qtbot, window, 20)
    window.panel.reset_button.click()
    again = frame_where(qtbot, window, lambda f: f.snapshot.updates == 0).snapshot
    np.testing.assert_array_equal(again.theta, first)
    window.panel.reinit_button.click()
    new = frame_where(qtbot, window, lambda f: f.snapshot.config.seed == 41).snapshot
    assert not np.array_equal(new.theta, first)
    assert window.panel.seed.value() == 41


@pytest.mark.parametrize("suffix", [".npz", ".json"])
def test_export_writes_weights_that_import_back_equal(qtbot, window, tmp_path, suffix):
    window.apply_preset("notebook_003")
    frame = train_epochs(qtbot, window, 30)
    path = tmp_path / f"weights{suffix}"
    assert window.files.export_weights(path)
    saved = load_weights(path)
    np.testing.assert_array_equal(saved.params.theta, frame.snapshot.theta)
    assert saved.config == frame.snapshot.config and saved.epochs == 30 and saved.dataset == "product"
    window.apply_dataset("xor")
    assert window.files.import_weights(path)
    imported = frame_where(qtbot, window, lambda f: f.snapshot.updates == 0 and f.dataset.name == "product")
    np.testing.assert_array_equal(imported.snapshot.theta, frame.snapshot.theta)
    assert window.panel.dataset.currentData() == "product"
    assert "Imported" in window.message_bar.text()
    train_epochs(qtbot, window, 5)  # training continues from the imported weights


def test_ctrl_e_and_ctrl_o_go_through_the_file_dialogs(qtbot, window, tmp_path, monkeypatch):
    path = str(tmp_path / "dialog.json")
    monkeypatch.setattr(window.files, "ask_save_path", lambda *args: path)
    monkeypatch.setattr(window.files, "ask_open_path", lambda *args: path)
    frame_where(qtbot, window, lambda f: True)
    QTest.keyClick(window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    assert load_weights(path).params.theta.size == 17
    QTest.keyClick(window, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)
    assert "Imported dialog.json" in window.message_bar.text()


def test_loss_history_and_plots_export(qtbot, window, tmp_path):
    window.apply_preset("notebook_002")
    frame = train_epochs(qtbot, window, 40)
    csv_path = tmp_path / "history.csv"
    with qtbot.waitSignal(window.files.history_exported, timeout=TIMEOUT) as exported:
        assert window.files.export_history(csv_path)
    assert exported.args == [True]
    lines = csv_path.read_text().splitlines()
    assert lines[0] == ",".join(["epoch", "train_loss", "test_loss", "train_accuracy", "test_accuracy",
                                 *frame.names])  # every parameter, though the frames carry some
    assert len(lines) == 41
    epoch, train_loss, *_ = lines[-1].split(",")
    assert int(epoch) == 40 and float(train_loss) == frame.snapshot.history["train_loss"][-1]
    assert [float(v) for v in lines[-1].split(",")[5:]] == frame.snapshot.theta.tolist()
    for name in ("loss", "boundary", "weights"):
        for suffix in (".png", ".svg"):
            path = tmp_path / f"{name}{suffix}"
            assert window.files.export_plot(name, path), window.message_bar.text()
            assert path.stat().st_size > 1000
    assert (tmp_path / "boundary.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in (tmp_path / "loss.svg").read_bytes()[:2000]
    assert window.files.export_plot("window", tmp_path / "window.png")


def test_learning_rate_applies_at_the_next_step_without_a_reset(qtbot, window):
    window.apply_preset("notebook_001")
    frame = train_epochs(qtbot, window, 10)
    network = window.network_id
    window.panel.lr.field.setValue(0.02)
    window.panel.step_sample_button.click()
    after = frame_where(qtbot, window, lambda f: f.snapshot.updates == frame.snapshot.updates + 1)
    assert window.network_id == network and after.snapshot.epoch == 10
    assert after.snapshot.last_update.lr == 0.02
    np.testing.assert_allclose(after.snapshot.last_update.delta, -0.02 * after.explanation["grad"])
    assert window.panel.lr.slider.value() == round(np.log10(0.02 / 1e-6) * 100)
    assert window.panel.preset.currentData() == ""  # no longer the notebook's settings


def test_the_slider_sets_the_learning_rate_on_a_log_scale(window):
    window.panel.lr.slider.setValue(300)  # 1e-6 * 10^3
    assert window.panel.lr.value() == pytest.approx(1e-3)
    assert window.config.lr == pytest.approx(1e-3)


def test_replacing_a_trained_network_can_be_undone_and_redone(qtbot, window):
    first = train_epochs(qtbot, window, 25)
    trained = window.network_id
    window.panel.hidden.setValue(7)  # a new network; the trained one is kept
    assert "Ctrl+Z" in window.message_bar.text()
    frame = frame_where(qtbot, window, lambda f: f.snapshot.config.hidden == 7)
    assert frame.snapshot.updates == 0 and len(frame.names) == 2 * 7 + 7 + 7 + 1
    assert window.undo_action.isEnabled()
    window.undo_action.trigger()
    back = frame_where(qtbot, window, lambda f: f.network == trained)
    assert back.snapshot.epoch == 25 and window.panel.hidden.value() == 4
    np.testing.assert_array_equal(back.snapshot.theta, first.snapshot.theta)
    np.testing.assert_array_equal(back.snapshot.history["train_loss"], first.snapshot.history["train_loss"])
    train_epochs(qtbot, window, 30)  # it trains on from where it was
    window.redo_action.trigger()
    assert frame_where(qtbot, window, lambda f: f.snapshot.config.hidden == 7).snapshot.updates == 0


@pytest.mark.parametrize("action", ["reset", "reinitialise", "preset", "dataset"])
def test_reset_reinitialise_and_switching_presets_are_undoable(qtbot, window, action):
    window.apply_preset("notebook_001")
    trained = train_epochs(qtbot, window, 20)
    replace = {"reset": window.reset, "reinitialise": window.reinitialise,
               "preset": lambda: window.apply_preset("notebook_002"),
               "dataset": lambda: window.apply_dataset("product")}
    replace[action]()
    frame_where(qtbot, window, lambda f: f.snapshot.updates == 0)
    assert window.undo()
    back = frame_where(qtbot, window, lambda f: f.snapshot.epoch == 20)
    np.testing.assert_array_equal(back.snapshot.theta, trained.snapshot.theta)
    assert window.panel.preset.currentData() == "notebook_001" and window.panel.max_epochs.value() == 20
    assert not window.undo()  # one network replaced, one brought back


def test_reset_after_an_import_returns_to_the_imported_weights(qtbot, window, tmp_path):
    theta = np.linspace(-1, 1, 17)
    path = save_weights(tmp_path / "w.json", Params(2, 4, theta), TrainConfig(hidden=4), dataset="xor")
    assert window.files.import_weights(path)
    train_epochs(qtbot, window, 10)
    window.reset()
    frame = frame_where(qtbot, window, lambda f: f.snapshot.updates == 0)
    np.testing.assert_array_equal(frame.snapshot.theta, theta)


def test_messages_go_when_what_they_say_is_no_longer_true(qtbot, window, tmp_path):
    train_epochs(qtbot, window, 5)
    assert window.statusBar().currentMessage().startswith("Done: reached the maximum")
    window.apply_preset("notebook_003")
    assert window.statusBar().currentMessage() == ""  # the new network has not reached anything
    frame_where(qtbot, window, lambda f: f.dataset.name == "product")
    assert not window.files.export_weights(tmp_path / "missing" / "w.npz")
    assert "Could not export" in window.message_bar.text()
    assert window.files.export_weights(tmp_path / "w.npz")
    assert window.message_bar.text() == ""  # the export works now
    assert window.files.import_weights(tmp_path / "w.npz")
    assert "Imported w.npz" in window.message_bar.text()
    window.panel.hidden.setValue(3)  # another network: the banner spoke of the imported one
    assert "Imported" not in window.message_bar.text()


def test_changing_settings_while_training_is_safe(qtbot, window):
    window.panel.max_epochs.setValue(10**9)  # compiled XOR trains ~1M epochs/s: this keeps it running through any stall
    window.start_training()
    for hidden in (3, 9, 5):
        frame_where(qtbot, window, lambda f: f.snapshot.epoch > 5)
        window.panel.hidden.setValue(hidden)
        assert window.controller.running  # a new network, still training
    frame = frame_where(qtbot, window, lambda f: f.snapshot.config.hidden == 5 and f.snapshot.epoch > 5)
    window.panel.lr.field.setValue(0.05)
    frame_where(qtbot, window, lambda f: f.snapshot.config.lr == 0.05)
    window.panel.speed.set_value(50)
    window.pause_training()
    assert frame.network == window.network_id


def test_an_invalid_combination_shows_its_message_not_a_traceback(qtbot, window):
    window.apply_dataset("product")
    network = window.network_id
    window.panel.loss.setCurrentIndex(window.panel.loss.findData("bce"))  # the product's targets are not 0..1
    assert "needs targets between 0 and 1" in window.message_bar.text()
    assert window.network_id == network
    assert window.panel.loss.currentData() == "squared" and window.panel.output.currentData() == "linear"


def test_divergence_pauses_with_a_message_and_keeps_finite_weights(qtbot, window, tmp_path):
    window.apply_preset("notebook_000")
    window.panel.lr.field.setValue(10.0)
    window.panel.max_epochs.setValue(100_000)
    with qtbot.waitSignal(window.controller.run_stopped, timeout=TIMEOUT) as stopped:
        window.start_training()
    assert stopped.args == ["diverged"]
    frame = frame_where(qtbot, window, lambda f: f.snapshot.diverged is not None)
    assert np.isfinite(frame.snapshot.theta).all()
    assert window.message_bar.kind == "error"
    # one way to count: the banner names the place as the status bar shows it, and says "diverged" once
    s = frame.snapshot
    status = window.status_labels["epoch"].text()
    assert status == f"epoch {epoch_count(s.epoch, s.position, s.updates_per_epoch)}"
    assert f"at update {s.updates + 1:,}, after {status}:" in window.message_bar.text()
    assert window.message_bar.text().lower().count("diverged") == 1
    assert not window.panel.train_button.isEnabled() and not window.controller.running
    # an edit could not be trained on: the diagram takes none, and says how to go on
    assert not window.network_diagram.is_editable()
    assert window.network_diagram.hover_text() == NOT_EDITABLE["diverged"][0]
    assert "Resume" in NOT_EDITABLE["diverged"][0]
    with qtbot.waitSignal(window.controller.refused, timeout=TIMEOUT) as refused:
        window.controller.set_parameter(window.network_id, 0, 0.5)
    assert "diverged" in refused.args[0] and "Resume from here" in refused.args[0]
    assert np.array_equal(window.controller.latest_frame().snapshot.theta, frame.snapshot.theta)
    assert window.files.export_weights(tmp_path / "last-finite.npz")
    np.testing.assert_array_equal(load_weights(tmp_path / "last-finite.npz").params.theta, frame.snapshot.theta)
    assert "Resume from here" in window.message_bar.text()
    # the way back the message names: an earlier epoch, a lower learning rate, Resume from here
    window.panel.lr.field.setValue(0.01)
    with qtbot.waitSignal(window.run_past.past_shown, timeout=TIMEOUT):
        window.history_bar.choose_epoch(0)
    with qtbot.waitSignal(window.controller.branched, timeout=TIMEOUT):
        window.history_bar.resume_button.click()
    assert window.panel.train_button.isEnabled() and window.config.lr == 0.01
    frame = train_epochs(qtbot, window, 200)
    assert frame.snapshot.diverged is None and np.isfinite(frame.snapshot.theta).all()
    assert window.undo()  # the diverged run again; Reset starts it anew
    window.panel.lr.field.setValue(0.01)
    window.panel.reset_button.click()
    assert window.panel.train_button.isEnabled()


def test_and_or_shows_the_x1_x2_plane_with_a_slider_for_x3(qtbot, window):
    window.apply_preset("notebook_002")
    frame = train_epochs(qtbot, window, 50)
    plot = window.boundary_plot
    assert len(plot.sliders) == 1 and plot.slice_box.isVisibleTo(window)
    assert plot.slice_values() == [1.0]
    assert plot.wait_for_surface()
    np.testing.assert_allclose(plot.values().ravel(), expected_surface(window, frame).ravel(), rtol=1e-6)
    plot.set_slice_value(0, 0.0)
    assert plot.wait_for_surface()
    assert (plot.grid_inputs()[:, 2] == 0.0).all()
    np.testing.assert_allclose(plot.values().ravel(), expected_surface(window, frame).ravel(), rtol=1e-6)
    # train and test points are both drawn; the test rows (x3 = 0) are the solid ones now
    assert len(plot.train_points.data) == 4 and len(plot.test_points.data) == 4


def test_a_csv_file_trains_and_a_one_input_file_shows_a_curve(qtbot, window, tmp_path):
    two = tmp_path / "two.csv"
    two.write_text("a,b,label\n" + "".join(f"{x},{y},{int(x * y > 0)}\n" for x, y in
                                           np.random.RandomState(0).randn(40, 2).round(3)))
    assert open_csv(qtbot, window, two)
    frame = train_epochs(qtbot, window, 20)
    assert frame.dataset.feature_names == ("a", "b") and frame.dataset.task == "classification"
    assert window.panel.dataset.currentText() == "CSV: two.csv"
    one = tmp_path / "one.csv"
    one.write_text("x,y\n" + "".join(f"{x},{2 * x + 1}\n" for x in np.linspace(-1, 1, 21)))
    assert open_csv(qtbot, window, one)
    frame = train_epochs(qtbot, window, 30)
    assert window.boundary_plot.wait_for_surface()
    _curve_x, curve_y = window.boundary_plot.output_curve.getData()
    np.testing.assert_allclose(curve_y, expected_surface(window, frame)[:, 0])
    assert window.boundary_plot.image.isVisible() is False
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y\n1,2\n3,oops\n")
    assert not open_csv(qtbot, window, bad)
    assert "bad.csv line 3 column 2" in window.message_bar.text()
    assert load_csv(one).n_inputs == 1


def test_weights_of_a_standardised_csv_carry_the_scaling(qtbot, window, tmp_path):
    data = tmp_path / "scaled.csv"
    data.write_text("a,b,y\n" + "".join(f"{x},{10 * x + 3},{x / 5}\n" for x in np.linspace(0, 5, 11)))
    assert open_csv(qtbot, window, data)
    window.panel.standardize.setChecked(True)  # reloads the file, standardised
    frame = frame_where(qtbot, window, lambda f: f.dataset.input_mean is not None)
    np.testing.assert_allclose(frame.dataset.X.mean(axis=0), 0, atol=1e-12)
    train_epochs(qtbot, window, 5)
    assert window.files.export_weights(tmp_path / "w.json")
    loaded = load_weights(tmp_path / "w.json")
    np.testing.assert_allclose(loaded.input_mean, [2.5, 28.0])
    np.testing.assert_allclose(loaded.input_std, frame.dataset.input_std)


def test_1024_hidden_units_plot_a_limited_choice_of_weights(qtbot, window):
    window.panel.hidden.setValue(1024)
    frame = frame_where(qtbot, window, lambda f: f.snapshot.config.hidden == 1024)
    assert len(frame.names) == 4097
    assert len(window.weights_plot.curves) <= MAX_SHOWN_PARAMS
    assert "of 4097 parameters" in frame.shown.caption
    assert frame.snapshot.history["params"].shape[1] == len(frame.shown.index)
    window.panel.step_epoch_button.click()
    frame = frame_where(qtbot, window, lambda f: f.snapshot.epoch == 1)
    assert window.boundary_plot.wait_for_surface()
    np.testing.assert_allclose(window.boundary_plot.values().ravel(), expected_surface(window, frame).ravel(),
                               rtol=1e-5)


def test_training_stops_at_max_epochs_and_at_the_target_loss(qtbot, window):
    window.apply_dataset("xor")
    window.panel.target_loss.setValue(0.3)
    window.panel.max_epochs.setValue(100_000)
    with qtbot.waitSignal(window.controller.run_stopped, timeout=30_000) as stopped:
        window.start_training()
    assert stopped.args == ["target"]
    frame = frame_where(qtbot, window, lambda f: not f.running)
    assert frame.snapshot.last_epoch["train_loss"] <= 0.3 < frame.snapshot.history["train_loss"][0]
    assert "target" in window.statusBar().currentMessage()


def test_a_limited_speed_trains_on_its_schedule(qtbot, window, fake_clock):
    """At 20 epochs/s, each simulated second trains 20 epochs and a frozen clock trains none: the worker's
    clock is a fake one the test moves, so a loaded machine cannot change the result (speed is for bench/)."""
    clock = fake_clock
    window.panel.speed.set_value(20)
    assert window.panel.speed.label.text() == "20 epochs/s"
    window.panel.max_epochs.setValue(100_000)
    window.start_training()
    frame_where(qtbot, window, lambda f: f.running)  # the schedule starts with the run, one epoch due at once
    # Half an epoch past each due time, so rounding cannot move an epoch across it; fewer than 10 epochs at a
    # time, so the worker never counts itself behind and drops the backlog.
    clock.advance(0.425)  # 1 + 8.5 epochs due
    frame_where(qtbot, window, lambda f: f.snapshot.epoch == 9)
    qtbot.wait(200)  # the clock stands still: so does training
    assert window.drawn_frame().snapshot.epoch == 9 and window.controller.running
    clock.advance(0.4)  # 8 more
    frame_where(qtbot, window, lambda f: f.snapshot.epoch == 17)
    window.pause_training()
    frame = frame_where(qtbot, window, lambda f: not f.running)
    assert frame.snapshot.epoch == 17


def test_closing_during_training_stops_and_joins_the_worker(qtbot, window):
    window.panel.max_epochs.setValue(10_000_000)
    window.start_training()
    frame_where(qtbot, window, lambda f: f.snapshot.epoch > 100)
    assert not window.controller.is_finished()
    window.close()
    assert window.controller.is_finished()
    assert not window.controller.running


def test_status_line_shows_epoch_updates_loss_metric_and_speed(qtbot, window):
    window.apply_preset("notebook_003")
    window.panel.max_epochs.setValue(1_000_000)
    window.start_training()
    frame_where(qtbot, window, lambda f: f.snapshot.epoch > 20)
    qtbot.waitUntil(lambda: window.epochs_per_second() > 0, timeout=TIMEOUT)
    labels = window.status_labels
    assert labels["state"].text() == "training" and "epochs/s" in labels["rate"].text()
    window.pause_training()
    frame_where(qtbot, window, lambda f: not f.running)
    assert labels["epoch"].text().startswith("epoch ") and labels["updates"].text().startswith("updates ")
    assert "test" in labels["loss"].text() and labels["metric"].text().startswith("R²")


def test_a_diverged_regression_shows_its_huge_metrics_in_significant_digits(qtbot, window):
    window.apply_dataset("product")
    window.panel.lr.field.setValue(10.0)  # diverges within a few epochs
    window.panel.max_epochs.setValue(1000)
    with qtbot.waitSignal(window.controller.run_stopped, timeout=TIMEOUT) as stopped:
        window.start_training()
    assert stopped.args == ["diverged"]
    frame = frame_where(qtbot, window, lambda f: f.snapshot.diverged is not None and not f.running)
    last = frame.snapshot.last_epoch
    assert abs(last["metric"]) > 1e10 and abs(last["train_loss"]) > 1e10  # a fixed-point format would be huge
    labels = window.status_labels
    for name, key in (("loss", "train_loss"), ("metric", "metric")):
        text = labels[name].text()
        assert len(text) < 40, text
        assert f"{last[key]:.4g}" in text  # e.g. R² -1.255e+152
    assert labels["metric"].text().startswith("R² ") and labels["state"].text() == "diverged"


@pytest.mark.parametrize(("value", "shown"), [(0.98765432, "0.9877"), (0.5, "0.5"), (-0.000123456, "-0.0001235"),
                                              (1234.5678, "1235"), (45123.4, "45,123"), (1234567.0, "1.235e+06"),
                                              (-1.2547e152, "-1.255e+152"), (float("inf"), "inf"),
                                              (float("nan"), "-"), (None, "-")])
def test_status_numbers_have_four_significant_digits_and_stay_short(value, shown):
    assert significant(value) == shown
    assert len(significant(value)) <= 11


def test_training_pauses_while_a_file_dialog_asks_and_goes_on_after(qtbot, window, monkeypatch, tmp_path):
    from PySide6.QtWidgets import QFileDialog

    running_while_asked = []

    def dialog(*_args):
        running_while_asked.append(window.controller.running)
        return str(tmp_path / "w.npz"), "NumPy weights (*.npz)"

    monkeypatch.setattr(QFileDialog, "getSaveFileName", dialog)
    window.panel.max_epochs.setValue(10**9)  # compiled XOR trains ~1M epochs/s: this keeps it running through any stall
    window.start_training()
    frame_where(qtbot, window, lambda f: f.running)
    window.export_action.trigger()
    assert running_while_asked == [False] and window.controller.running
    assert (tmp_path / "w.npz").exists()
    window.pause_training()


def test_a_csv_is_read_in_the_background_with_a_busy_bar(qtbot, window, tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("a,b,y\n" + "".join(f"{i % 7},{i % 5},{i % 2}\n" for i in range(2000)))
    with qtbot.waitSignal(window.files.csv_finished, timeout=TIMEOUT) as finished:
        assert window.files.open_csv(path)
        # the call returned before the file was read: the window says what it is reading
        assert window.loading_bar.isVisibleTo(window) and window.loading_label.text() == "Reading rows.csv…"
    assert finished.args == [True] and not window.loading_bar.isVisibleTo(window)
    assert frame_where(qtbot, window, lambda f: f.dataset.name == "csv:rows.csv").dataset.X.shape == (2000, 2)


def test_the_learning_rate_slider_marks_the_estimated_limit_and_divergence_names_it(qtbot, window):
    from model.curvature import stable_lr_limit
    from model.presets import PRESETS

    window.apply_preset("notebook_000")
    frame = frame_where(qtbot, window, lambda f: f.dataset.name == "single_point")
    params = Params(2, 1, np.array(frame.snapshot.theta))
    spec = NetworkSpec.from_config(frame.snapshot.config)
    expected = stable_lr_limit(params, frame.dataset.X, frame.dataset.y, spec)
    assert window.panel.lr.limit() == pytest.approx(expected, rel=1e-9)  # the initial network's estimate
    assert not window.panel.lr.above_limit() and PRESETS["notebook_000"].config.lr < expected
    window.panel.lr.field.setValue(10.0)  # far above it: warned, then it diverges and says by how much
    assert window.panel.lr.above_limit()
    window.panel.max_epochs.setValue(100_000)
    with qtbot.waitSignal(window.controller.run_stopped, timeout=TIMEOUT):
        window.start_training()
    frame_where(qtbot, window, lambda f: f.snapshot.diverged is not None)
    assert "x the estimated limit" in window.message_bar.text()
