"""The window remembers the last network's settings and the recent files (QSettings in tmp_path files only)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMenu
from test_gui_layout import ini_settings, settle
from test_gui_window import TIMEOUT

from gui.remembered import LAST_SETTINGS, MAX_RECENT, RecentFiles, load_last


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
