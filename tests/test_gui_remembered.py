"""The window remembers the last network's settings and the recent files (QSettings in tmp_path files only)."""

from __future__ import annotations

import json

import numpy as np
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMenu
from test_gui_layout import ini_settings, settle
from test_gui_window import TIMEOUT

from gui.remembered import CSV_CHOICES, LAST_SETTINGS, MAX_CSV_CHOICES, MAX_RECENT, CsvChoices, RecentFiles, load_last
from model.datasets import load_csv


def write_csv(path, rows=40):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(rows, 2))
    np.savetxt(path, np.column_stack([X, (X[:, 0] > X[:, 1]).astype(int)]), delimiter=",", header="a,b,label",
               comments="")
    return path


def test_the_last_network_settings_come_back_at_the_next_launch(make_window, qtbot, tmp_path):
    first = make_window(ini_settings(tmp_path))
    first.show()
    settle(qtbot, first)
    first.apply_dataset("and_or")
    config = first.config.replace(hidden=6, lr=0.125, seed=9)
    first.new_network(config, "and_or", first.dataset, max_epochs=777)
    first.close()

    second = make_window(ini_settings(tmp_path))
    assert second.dataset_key == "xor"  # a new window starts as on a first launch, until asked
    assert second.restore_last_settings()
    assert second.dataset_key == "and_or" and second.config == config
    assert second.panel.max_epochs.value() == 777
    assert second.panel.hidden.value() == 6  # the widgets show them


def test_damaged_or_missing_memories_change_nothing(make_window, tmp_path):
    settings = ini_settings(tmp_path)
    window = make_window(settings)
    assert not window.restore_last_settings()  # nothing saved yet
    for damaged in ("{not json", '{"config": {"hidden": -3}, "dataset": "xor", "preset": "", "max_epochs": 5}',
                    '{"config": {}, "dataset": "no such dataset", "preset": "", "max_epochs": 5}'):
        settings.setValue(LAST_SETTINGS, damaged)
        network = window.network_id
        assert not window.restore_last_settings(), damaged
        assert window.network_id == network and window.dataset_key == "xor"
    assert load_last(QSettings(str(tmp_path / "absent.ini"), QSettings.Format.IniFormat)) is None


def test_a_csv_network_reopens_its_file_with_its_settings(make_window, qtbot, tmp_path):
    path = write_csv(tmp_path / "points.csv")
    first = make_window(ini_settings(tmp_path))
    first.show()
    settle(qtbot, first)
    with qtbot.waitSignal(first.files.csv_finished, timeout=TIMEOUT):
        first.files.open_csv(path)
    config = first.config.replace(hidden=5)
    first.new_network(config, first.dataset_key, first.dataset)
    first.close()

    second = make_window(ini_settings(tmp_path))
    with qtbot.waitSignal(second.files.csv_finished, timeout=TIMEOUT):
        assert second.restore_last_settings()
    assert second.dataset_key == f"csv:{path.resolve()}" and second.config == config
    path.unlink()
    third = make_window(ini_settings(tmp_path))
    assert not third.restore_last_settings()  # the file is gone: a first launch's network instead


def test_recent_files_newest_first_and_only_existing(make_window, qtbot, tmp_path):
    window = make_window(ini_settings(tmp_path))
    csv = write_csv(tmp_path / "a.csv")
    with qtbot.waitSignal(window.files.csv_finished, timeout=TIMEOUT):
        window.files.open_csv(csv)
    weights = tmp_path / "w.json"
    qtbot.waitUntil(lambda: window.drawn_frame() is not None, timeout=TIMEOUT)
    assert window.files.export_weights(weights)
    assert window.files.import_weights(weights)
    recent = RecentFiles(ini_settings(tmp_path))
    assert recent.paths() == [str(weights.resolve()), str(csv.resolve())]
    menu = QMenu()
    window.files.fill_recent_menu(menu)
    assert [a.text() for a in menu.actions()] == ["w.json", "a.csv"]
    with qtbot.waitSignal(window.files.csv_finished, timeout=TIMEOUT):
        menu.actions()[1].trigger()  # opens the CSV again
    assert window.dataset_key == f"csv:{csv.resolve()}"
    weights.unlink()
    assert recent.paths() == [str(csv.resolve())]
    for k in range(MAX_RECENT + 3):
        recent.add(write_csv(tmp_path / f"f{k}.csv", rows=3))
    assert len(recent.paths()) == MAX_RECENT and recent.paths()[0].endswith(f"f{MAX_RECENT + 2}.csv")


def imported(qtbot, window, path, **choices) -> None:
    """Read ``path`` as the import dialog would with these choices, and wait for its network."""
    with qtbot.waitSignal(window.files.csv_finished, timeout=TIMEOUT) as finished:
        assert window.files.open_csv(path, choices=choices)
    assert finished.args == [True]


def assert_read_as(dataset, path, **choices) -> None:
    """The dataset is the file as load_csv reads it with these choices: the same rows, target, scaling and split."""
    expected = load_csv(path, **choices)
    np.testing.assert_array_equal(dataset.X, expected.X)
    np.testing.assert_array_equal(dataset.y, expected.y)
    np.testing.assert_array_equal(dataset.X_test, expected.X_test)
    assert dataset.task == expected.task and dataset.task_chosen == expected.task_chosen


IMPORTED = {"target_column": 0, "task": "classification", "standardize": True, "test_ratio": 0.25, "split_seed": 3}


def write_label_first(path):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 2)) * [1.0, 5.0] + [0.0, 10.0]
    np.savetxt(path, np.column_stack([(X[:, 0] > 0).astype(int), X]), delimiter=",", header="label,a,b",
               comments="")
    return path


def test_a_csv_file_reopens_as_it_was_imported(make_window, qtbot, tmp_path):
    # The label is the first column and a quarter of the rows are the test split: the next launch, Open recent
    # and the dataset list read the same rows again (they used to take the last column and no split).
    path = write_label_first(tmp_path / "label_first.csv")
    first = make_window(ini_settings(tmp_path))
    first.show()
    settle(qtbot, first)
    first.panel.standardize.setChecked(False)
    imported(qtbot, first, path, **IMPORTED)
    assert first.panel.standardize.isChecked()  # the panel shows how the file was read
    first.apply_dataset("xor")
    with qtbot.waitSignal(first.files.csv_finished, timeout=TIMEOUT):
        first.panel.dataset.setCurrentIndex(first.panel.dataset.findData(f"csv:{path.resolve()}"))
        first.panel.dataset.activated.emit(first.panel.dataset.currentIndex())
    assert_read_as(first.dataset, path, **IMPORTED)
    first.close()

    second = make_window(ini_settings(tmp_path))
    with qtbot.waitSignal(second.files.csv_finished, timeout=TIMEOUT):
        assert second.restore_last_settings()
    assert_read_as(second.dataset, path, **IMPORTED)
    assert second.panel.standardize.isChecked() and second.panel.task_choice() == "classification"
    second.apply_dataset("xor")
    with qtbot.waitSignal(second.files.csv_finished, timeout=TIMEOUT):
        assert second.files.open_recent(str(path))
    assert_read_as(second.dataset, path, **IMPORTED)


def test_a_new_task_or_scaling_rereads_the_file_with_its_target_and_split(make_window, qtbot, tmp_path):
    path = write_label_first(tmp_path / "label_first.csv")
    window = make_window(ini_settings(tmp_path))
    imported(qtbot, window, path, **IMPORTED)
    with qtbot.waitSignal(window.files.csv_finished, timeout=TIMEOUT):
        window.panel.task.setCurrentIndex(window.panel.task.findData("regression"))
        window.panel.task.activated.emit(window.panel.task.currentIndex())
    assert_read_as(window.dataset, path, **IMPORTED | {"task": "regression"})
    with qtbot.waitSignal(window.files.csv_finished, timeout=TIMEOUT):
        window.panel.standardize.setChecked(False)
    assert_read_as(window.dataset, path, **IMPORTED | {"task": "regression", "standardize": False})
    assert window.files.read_choices(path) == IMPORTED | {"task": "regression", "standardize": False}


def test_the_import_dialog_starts_from_the_file_s_last_choices(make_window, qtbot, monkeypatch, tmp_path):
    from PySide6.QtWidgets import QDialog

    from gui.csv_dialog import CsvImportDialog

    path = write_label_first(tmp_path / "label_first.csv")
    window = make_window(ini_settings(tmp_path))
    imported(qtbot, window, path, **IMPORTED)
    shown = []

    def cancel(dialog):
        shown.append(dialog.options().load_options())
        return QDialog.DialogCode.Rejected

    monkeypatch.setattr(CsvImportDialog, "exec", cancel)
    assert not window.files.ask_csv_options(path)
    assert shown == [IMPORTED]


def test_damaged_remembered_csv_choices_are_skipped(tmp_path):
    settings = ini_settings(tmp_path)
    choices = CsvChoices(settings)
    good = tmp_path / "good.csv"
    choices.remember(good, IMPORTED)
    entries = json.loads(settings.value(CSV_CHOICES))
    damaged = [[str(tmp_path / "a.csv"), IMPORTED | {"test_ratio": "most"}], [str(tmp_path / "b.csv"), {}],
               ["c.csv"], 7, [str(tmp_path / "d.csv"), IMPORTED | {"standardize": 1}]]
    settings.setValue(CSV_CHOICES, json.dumps(damaged + entries))
    assert choices.of(good) == IMPORTED
    assert all(choices.of(tmp_path / name) is None for name in ("a.csv", "b.csv", "c.csv", "d.csv"))
    settings.setValue(CSV_CHOICES, "{not json")
    assert choices.of(good) is None
    for n in range(MAX_CSV_CHOICES + 3):
        choices.remember(tmp_path / f"{n}.csv", IMPORTED | {"split_seed": n})
    assert choices.of(tmp_path / f"{MAX_CSV_CHOICES + 2}.csv")["split_seed"] == MAX_CSV_CHOICES + 2
    assert choices.of(tmp_path / "0.csv") is None  # the oldest are forgotten
