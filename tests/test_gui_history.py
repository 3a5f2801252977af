"""The history bar in the window: scrubbing shows the recorded weights, inspecting replays a past update exactly,
resuming continues as the run did, and an edited weight is what the next step uses."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import numpy as np
from test_gui_window import TIMEOUT, expected_surface, frame_where, train_epochs

from gui.views.diagram import EDITABLE_HINT, NOT_EDITABLE, OUTPUT_UNIT


def recorded_theta(frame, epoch):
    history = frame.snapshot.history
    rows = np.flatnonzero(history["epoch"] == epoch)
    assert len(rows) == 1, f"epoch {epoch} is not recorded"
    return history["params"][rows[0]]


def scrub_to(qtbot, window, epoch):
    with qtbot.waitSignal(window.run_past.past_shown, timeout=TIMEOUT):
        window.history_bar.choose_epoch(epoch)
    qtbot.waitUntil(lambda: window.shown_past() is not None and window.shown_past().epoch == epoch, timeout=TIMEOUT)
    return window.shown_past()


def test_scrubbing_shows_the_recorded_weights_and_leaves_the_run_alone(qtbot, window):
    frame = train_epochs(qtbot, window, 60)
    assert window.history_bar.recorded_epochs().tolist() == list(range(61))
    past = scrub_to(qtbot, window, 20)
    np.testing.assert_array_equal(past.theta, recorded_theta(frame, 20))
    assert window.boundary_plot.wait_for_surface()
    side = window.boundary_plot.values().shape[0]
    past_frame = SimpleNamespace(snapshot=replace(frame.snapshot, theta=past.theta), dataset=frame.dataset)
    np.testing.assert_allclose(window.boundary_plot.values(), expected_surface(window, past_frame).reshape(side, side),
                               rtol=1e-6)
    assert window.loss_plot.cursor_epoch() == 20
    assert window.weights_plot.cursor_epoch() == 20
    assert not window.network_diagram.is_editable()  # an edit applies to the live network, not to the past shown
    assert window.network_diagram.hover_text() == NOT_EDITABLE["past"][0]  # and the hint says how to edit
    # The live network is untouched: training on goes from epoch 60, and going live shows it again.
    frame = train_epochs(qtbot, window, 70)
    assert window.shown_past().epoch == 20  # still looking at the past while the run went on
    window.history_bar.go_live()
    assert window.shown_past() is None and window.loss_plot.cursor_epoch() is None
    assert window.network_diagram.is_editable()  # paused, live again
    assert window.network_diagram.hover_text() == EDITABLE_HINT
    assert window.boundary_plot.wait_for_surface()
    np.testing.assert_allclose(window.boundary_plot.values(), expected_surface(window, frame).reshape(side, side),
                               rtol=1e-6)


def test_a_paused_run_is_scrubbed_at_once_from_its_recorded_weights(qtbot, window):
    """Paused, the window holds a copy of every recorded epoch's weights (sent once by the worker): a move of the
    history bar shows that epoch before any event is processed, whatever the history's stride, and the weights
    are the ones recorded then."""
    window.apply_dataset("xor")  # full batch, every parameter in the frames: the frame is the reference
    frame = train_epochs(qtbot, window, 5000)  # past the history's 4096 rows: it has halved (every 2nd epoch)
    epochs = window.history_bar.recorded_epochs()
    assert epochs[1] == 2 and epochs[-1] == 5000
    qtbot.waitUntil(lambda: window.run_past.recorded_held() == 5000, timeout=TIMEOUT)
    for epoch in (0, 2, 2048, 4096, 4098, 5000):
        window.history_bar.choose_epoch(epoch)
        past = window.shown_past()  # no event processed since the move
        assert past is not None and past.epoch == epoch
        expected = window.initial_theta if epoch == 0 else recorded_theta(frame, epoch)
        np.testing.assert_array_equal(past.theta, expected)
        assert window.loss_plot.cursor_epoch() == epoch
        assert window.network_diagram.bias_text(OUTPUT_UNIT) == f"b = {expected[-1]:.3g}"  # drawn already
    # Trained on to 9000 epochs: the copy is refreshed once paused again; an epoch beyond the old copy is
    # served either way, and equals what the run recorded.
    window.history_bar.go_live()
    frame = train_epochs(qtbot, window, 9000)
    past = scrub_to(qtbot, window, 8000)
    np.testing.assert_array_equal(past.theta, recorded_theta(frame, 8000))
    qtbot.waitUntil(lambda: window.run_past.recorded_held() == 9000, timeout=TIMEOUT)


def test_an_inspected_update_reads_as_it_did_when_it_happened(qtbot, window):
    window.apply_dataset("xor")
    texts = {}
    for update in range(1, 7):
        window.step_sample()
        frame_where(qtbot, window, lambda f, u=update: f.snapshot.updates == u and f.explanation is not None)
        texts[update] = window.arithmetic.toPlainText()
    train_epochs(qtbot, window, 40)
    for update in (1, 4, 6):
        with qtbot.waitSignal(window.controller.inspected, timeout=TIMEOUT):
            window.history_bar.update_box.setValue(update)
            window.history_bar.inspect_button.click()
        heading, _, body = window.arithmetic.toPlainText().partition("\n\n")
        assert heading.startswith(f"Inspected update {update:,}")
        assert body == texts[update]


def test_resume_from_a_past_epoch_continues_as_the_run_did(qtbot, window):
    window.apply_dataset("xor")
    window.panel.mode.setCurrentIndex(window.panel.mode.findData("minibatch"))
    window.panel.batch_size.setValue(3)
    original = train_epochs(qtbot, window, 50)
    scrub_to(qtbot, window, 20)
    network = window.network_id
    with qtbot.waitSignal(window.controller.branched, timeout=TIMEOUT):
        window.history_bar.resume_button.click()
    assert window.network_id != network
    resumed = frame_where(qtbot, window, lambda f: f.snapshot.epoch == 20)
    np.testing.assert_array_equal(resumed.snapshot.theta, recorded_theta(original, 20))
    assert window.history_bar.chosen_epoch() is None  # a new network is shown live
    again = train_epochs(qtbot, window, 50)
    np.testing.assert_array_equal(again.snapshot.theta, original.snapshot.theta)  # the same sample orders
    assert window.undo()  # the run as it was comes back
    frame = frame_where(qtbot, window, lambda f: f.network == network)
    np.testing.assert_array_equal(frame.snapshot.theta, original.snapshot.theta)


def test_an_edited_weight_is_used_by_the_next_step(qtbot, window):
    window.apply_dataset("xor")
    frame = train_epochs(qtbot, window, 5)
    index = frame.names.index("w2_1")
    window.network_diagram.parameter_edited.emit(index, 2.5)
    frame = frame_where(qtbot, window, lambda f: f.snapshot.theta[index] == 2.5)
    window.step_sample()
    frame = frame_where(qtbot, window, lambda f: f.snapshot.updates == frame.snapshot.updates + 1)
    assert frame.snapshot.last_update.theta_before[index] == 2.5


def test_an_edit_while_training_is_refused_with_a_message(qtbot, window):
    window.apply_dataset("xor")
    window.panel.max_epochs.setValue(10**9)  # compiled XOR trains ~1M epochs/s: this keeps it running through any stall
    window.panel.train_button.click()
    frame_where(qtbot, window, lambda f: f.running)
    with qtbot.waitSignal(window.controller.refused, timeout=TIMEOUT):
        window.controller.set_parameter(window.network_id, 0, 1.0)
    assert "Pause" in window.message_bar.text()
    window.pause_training()
