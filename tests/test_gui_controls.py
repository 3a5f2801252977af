"""The control panel: a CSV file's Task (automatic, classification, regression), the run shortcuts from every
control, numbers in significant digits."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from gui.controls import ControlPanel, significant, speed_label
from model.datasets import load_csv, load_dataset

TIMEOUT = 10_000
CTRL, SHIFT = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier


@pytest.fixture
def panel(qtbot):
    made = ControlPanel()
    qtbot.addWidget(made)
    return made


def one_two_csv(tmp_path, name="one_two.csv"):
    path = tmp_path / name
    path.write_text("a,b,label\n0,1,1\n1,0,2\n2,2,2\n1,1,1\n")
    return path


def csv_key(path) -> str:
    return f"csv:{path.resolve()}"


# --- the Task combo -----------------------------------------------------------------------------------
def test_the_task_row_shows_only_for_a_csv_file(panel, tmp_path):
    path = one_two_csv(tmp_path)
    panel.show_dataset("xor", description="XOR", dataset=load_dataset("xor"))
    assert panel.task.isHidden() and panel.standardize.isHidden()
    panel.show_dataset(csv_key(path), "CSV: one_two.csv", "4 rows", load_csv(path))
    assert not panel.task.isHidden() and not panel.standardize.isHidden()


def test_the_task_shows_what_automatic_chose_and_the_classes(panel, tmp_path):
    path = one_two_csv(tmp_path)
    panel.show_dataset(csv_key(path), "CSV: one_two.csv", "4 rows", load_csv(path))
    assert panel.task.currentText() == "automatic: regression" and panel.task_choice() is None
    assert panel.dataset_info.text() == "4 rows\nregression (automatic: the targets are not all 0 or 1)"
    panel.show_dataset(csv_key(path), "CSV: one_two.csv", "4 rows", load_csv(path, task="classification"))
    assert panel.task.currentText() == "classification" and panel.task_choice() == "classification"
    assert panel.dataset_info.text() == "4 rows\nclassification (chosen): class 0 = 1, class 1 = 2"
    assert panel.task.itemText(panel.task.findData("automatic")) == "automatic"  # it did not choose here


def test_choosing_a_task_asks_for_the_file_again(qtbot, panel, tmp_path):
    path = one_two_csv(tmp_path)
    panel.show_dataset(csv_key(path), "CSV: one_two.csv", "4 rows", load_csv(path))
    for key, choice in ((Qt.Key.Key_Down, "classification"), (Qt.Key.Key_End, "regression"),
                        (Qt.Key.Key_Home, None)):
        with qtbot.waitSignal(panel.csv_choice_changed, timeout=TIMEOUT):
            qtbot.keyClick(panel.task, key)
        assert panel.task_choice() == choice


def test_another_file_starts_as_automatic(qtbot, panel, tmp_path):
    first, second = one_two_csv(tmp_path), one_two_csv(tmp_path, "second.csv")
    panel.show_dataset(csv_key(second), "CSV: second.csv", "4 rows", load_csv(second))
    panel.show_dataset(csv_key(first), "CSV: one_two.csv", "4 rows", load_csv(first, task="classification"))
    with qtbot.waitSignal(panel.dataset_chosen, timeout=TIMEOUT) as chosen:
        qtbot.keyClick(panel.dataset, Qt.Key.Key_Up)  # the entry above: the second file
    assert chosen.args == [csv_key(second)] and panel.task_choice() is None


# --- numbers ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("value", "shown"), [
    (5000, "5,000"), (1, "1"), (0.001234567, "0.001235"), (-0.0, "0"), (2.5e7, "2.5e+07"), (123456, "123,456"),
])
def test_numbers_in_messages_have_significant_digits(value, shown):
    assert significant(value) == shown


def test_the_speed_label_separates_thousands():
    assert [speed_label(v) for v in (5000, 20, 0)] == ["5,000 epochs/s", "20 epochs/s", "as fast as possible"]


# --- the run shortcuts from every control ----------------------------------------------------------------
def number_fields(window):
    panel = window.panel
    return {"hidden": (panel.hidden, "6"), "seed": (panel.seed, "9"), "learning rate": (panel.lr.field, "0.05"),
            "weight decay": (panel.l2, "0.001"), "max epochs": (panel.max_epochs, "900,000"),
            "target loss": (panel.target_loss, "1e-05")}


@pytest.fixture
def trainable(window):
    """The window on XOR with room to train."""
    window.panel.max_epochs.setValue(1_000_000)
    return window


def type_into(qtbot, field, text):
    field.setFocus()
    qtbot.keyClick(field, Qt.Key.Key_A, CTRL)
    qtbot.keyClicks(field, text)


@pytest.mark.parametrize("name", ["hidden", "seed", "learning rate", "weight decay", "max epochs", "target loss"])
def test_space_after_enter_in_a_number_field_trains_and_keeps_the_value(qtbot, trainable, name):
    window = trainable
    field, text = number_fields(window)[name]
    type_into(qtbot, field, text)
    qtbot.keyClick(field, Qt.Key.Key_Enter)
    assert field.text() == text
    qtbot.keyClick(field, Qt.Key.Key_Space)
    assert window.controller.running and window.panel.train_button.text() == "Pause"
    assert field.text() == text and field.hasFocus()
    qtbot.keyClick(field, Qt.Key.Key_Space)
    assert not window.controller.running and field.text() == text


def test_space_takes_a_typed_value_before_training(qtbot, trainable):
    window = trainable
    type_into(qtbot, window.panel.hidden, "7")
    qtbot.keyClick(window.panel.hidden, Qt.Key.Key_Space)  # no Enter
    assert window.controller.running and window.config.hidden == 7
    qtbot.keyClick(window.panel.hidden, Qt.Key.Key_Space)
    assert not window.controller.running
    type_into(qtbot, window.panel.hidden, "")  # an empty field: Space keeps the value it had
    qtbot.keyClick(window.panel.hidden, Qt.Key.Key_Backspace)
    qtbot.keyClick(window.panel.hidden, Qt.Key.Key_Space)
    assert window.controller.running and window.panel.hidden.text() == "7" and window.config.hidden == 7
    qtbot.keyClick(window.panel.hidden, Qt.Key.Key_Space)


@pytest.mark.parametrize("control", ["mode", "activation", "bias", "standardize"])
def test_space_in_a_combo_box_or_a_check_box_trains_and_changes_nothing(qtbot, trainable, control):
    window = trainable
    widget = getattr(window.panel, control)
    widget.setVisible(True)
    before = widget.currentData() if hasattr(widget, "currentData") else widget.isChecked()
    widget.setFocus()
    qtbot.keyClick(widget, Qt.Key.Key_Space)
    assert window.controller.running
    qtbot.keyClick(widget, Qt.Key.Key_Space)
    assert not window.controller.running
    after = widget.currentData() if hasattr(widget, "currentData") else widget.isChecked()
    assert after == before


def wait_for_updates(qtbot, window, updates):
    qtbot.waitUntil(lambda: window.drawn_frame() is not None and window.drawn_frame().snapshot.updates == updates,
                    timeout=TIMEOUT)


def test_right_at_the_end_of_a_number_field_steps_and_elsewhere_moves_the_cursor(qtbot, trainable):
    window = trainable
    window.apply_preset("notebook_001")  # XOR one sample at a time: 4 updates an epoch
    wait_for_updates(qtbot, window, 0)
    field = window.panel.seed
    field.setFocus()
    edit = field.lineEdit()
    edit.setCursorPosition(0)
    qtbot.keyClick(field, Qt.Key.Key_Right)  # "40": the cursor moves past the 4; no step
    assert edit.cursorPosition() == 1 and window.drawn_frame().snapshot.updates == 0
    qtbot.keyClick(field, Qt.Key.Key_Right)
    qtbot.keyClick(field, Qt.Key.Key_Right)  # at the end: Step epoch
    wait_for_updates(qtbot, window, 4)
    qtbot.keyClick(field, Qt.Key.Key_Right, SHIFT)  # Step sample
    wait_for_updates(qtbot, window, 5)
    assert field.text() == "40"
    qtbot.keyClick(field, Qt.Key.Key_R)  # Reset
    wait_for_updates(qtbot, window, 0)
    assert field.text() == "40"


# --- the window reads the file as the chosen task ---------------------------------------------------------
def test_choosing_classification_rereads_the_csv_with_two_classes(qtbot, trainable, tmp_path):
    window = trainable
    path = one_two_csv(tmp_path)
    with qtbot.waitSignal(window.files.csv_finished, timeout=TIMEOUT):
        assert window.files.open_csv(path)
    panel = window.panel
    assert window.dataset.task == "regression" and panel.task.currentText() == "automatic: regression"
    panel.task.setFocus()
    with qtbot.waitSignal(window.files.csv_finished, timeout=TIMEOUT) as finished:
        qtbot.keyClick(panel.task, Qt.Key.Key_Down)  # classification
    assert finished.args == [True]
    dataset = window.dataset
    assert (dataset.task, dataset.class_values) == ("classification", (1.0, 2.0))
    assert dataset.y.ravel().tolist() == [0.0, 1.0, 1.0, 0.0]
    assert panel.task.currentText() == "classification" and window.config.loss == "bce"
    assert "class 0 = 1, class 1 = 2" in panel.dataset_info.text()
    # A file of three values cannot be classes: the message names its column and count; the file in use stays,
    # shown with the task it was read as.
    three = tmp_path / "three.csv"
    three.write_text("a,y\n0,1\n1,2\n2,3\n")
    panel.task.setCurrentIndex(panel.task.findData("classification"))
    with qtbot.waitSignal(window.files.csv_finished, timeout=TIMEOUT) as finished:
        assert window.files.open_csv(three)
    assert finished.args == [False]
    assert "three.csv column 2 ('y') has 3" in window.message_bar.text()
    assert window.dataset is dataset and panel.task.currentText() == "classification"
