"""The CSV import dialog (gui/csv_dialog.py): the preview of a file's head, the options it gives, a problem in
the first rows, a big file opening at once, and the paths a drag-and-drop carries."""

from __future__ import annotations

import builtins
import contextlib
import io
import os
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QUrl
from PySide6.QtWidgets import QDialog

from gui.csv_dialog import CsvImportDialog, CsvOptions, csv_paths_from_mime

PREVIEW_ROWS = 20  # the rows the dialog shows, as the brief asks ("about 20")


def write(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def dialog_for(qtbot, path: Path, **choices) -> CsvImportDialog:
    dialog = CsvImportDialog(path, **choices)
    qtbot.addWidget(dialog)
    return dialog


def table_text(dialog: CsvImportDialog) -> list[list[str]]:
    """The cells shown; "" where a short row has none."""
    table = dialog.table
    items = [[table.item(r, c) for c in range(table.columnCount())] for r in range(table.rowCount())]
    return [[item.text() if item is not None else "" for item in row] for row in items]


def header_labels(dialog: CsvImportDialog) -> list[str]:
    table = dialog.table
    return [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]


def row_labels(dialog: CsvImportDialog) -> list[str]:
    table = dialog.table
    return [table.verticalHeaderItem(r).text() for r in range(table.rowCount())]


def test_the_preview_shows_the_header_and_the_first_rows(qtbot, tmp_path):
    rows = [[f"{i}.5", f"{-i}", str(i % 2)] for i in range(50)]
    path = write(tmp_path, "width,height,label\n\n" + "".join(",".join(row) + "\n" for row in rows))
    dialog = dialog_for(qtbot, path)
    assert table_text(dialog) == rows[:PREVIEW_ROWS]
    assert header_labels(dialog) == ["width", "height", "label\n(target)"]  # the last column is the target at first
    assert row_labels(dialog) == [str(line) for line in range(3, 3 + PREVIEW_ROWS)]  # the file's lines (line 2 blank)
    assert dialog.ok_button.isEnabled() and dialog.error.isHidden()
    assert [dialog.target.itemText(i) for i in range(dialog.target.count())] == [
        "width (column 1)", "height (column 2)", "label (column 3)"]
    assert dialog.summary.text().startswith("data.csv (")
    assert dialog.summary.text().endswith(": the first 20 rows; the whole file is read after Import")


def test_a_short_file_without_header_is_shown_whole(qtbot, tmp_path):
    dialog = dialog_for(qtbot, write(tmp_path, "1,2\n3,4\n"))
    assert table_text(dialog) == [["1", "2"], ["3", "4"]]
    assert header_labels(dialog) == ["column 1", "column 2\n(target)"]
    assert dialog.summary.text() == "data.csv (8 bytes): all 2 rows"


def test_the_choices_make_the_options(qtbot, tmp_path):
    path = write(tmp_path, "a,b,c,y\n1,2,3,4\n5,6,7,8\n")
    dialog = dialog_for(qtbot, path)
    assert dialog.options() == CsvOptions(path, 3, None, False, 0.0, 0)
    assert not dialog.split_seed.isEnabled()  # no split: the seed means nothing
    dialog.target.setCurrentIndex(1)
    dialog.task.setCurrentIndex(dialog.task.findData("classification"))
    dialog.standardize.setChecked(True)
    dialog.test_share.setValue(30)
    dialog.split_seed.setValue(12)
    assert dialog.split_seed.isEnabled()
    options = dialog.options()
    assert options == CsvOptions(path, 1, "classification", True, 0.3, 12)
    assert options.load_options() == {"standardize": True, "task": "classification", "target_column": 1,
                                      "test_ratio": 0.3, "split_seed": 12}
    assert header_labels(dialog) == ["a", "b\n(target)", "c", "y"]
    dialog.task.setCurrentIndex(dialog.task.findData("regression"))
    assert dialog.options().task == "regression"


def test_a_test_share_below_the_least_becomes_the_least(qtbot, tmp_path):
    dialog = dialog_for(qtbot, write(tmp_path, "1,2\n3,4\n"))
    dialog.test_share.setValue(4)
    assert dialog.options().test_ratio == 0.1
    dialog.test_share.setValue(0)
    assert dialog.options().test_ratio == 0.0
    dialog.test_share.setValue(95)
    assert dialog.options().test_ratio == 0.9


def test_the_first_choices_can_be_given(qtbot, tmp_path):
    path = write(tmp_path, "1,2,3\n4,5,6\n")
    dialog = dialog_for(qtbot, path, target_column=0, task="regression", standardize=True, test_ratio=0.2,
                        split_seed=3)
    assert dialog.options() == CsvOptions(path, 0, "regression", True, 0.2, 3)
    assert dialog_for(qtbot, path, target_column=7).options().target_column == 2  # past the end: the last


@pytest.mark.parametrize(("text", "message", "shown"), [
    ("x1,x2,y\n1,2,0\n3,4,1\n5,abc,1\n7,8,0\n",
     "data.csv line 4 column 2 = 'abc': must be a finite number (every cell is required)",
     [["1", "2", "0"], ["3", "4", "1"], ["5", "abc", "1"]]),
    ("1,2\n\n3,4,5\n6,7\n", "data.csv line 3 = '3,4,5': has 3 cells; expected 2", [["1", "2", ""], ["3", "4", "5"]]),
])
def test_a_problem_in_the_first_rows_is_named_and_blocks_import(qtbot, tmp_path, text, message, shown):
    dialog = dialog_for(qtbot, write(tmp_path, text))
    assert dialog.error.text() == message and not dialog.error.isHidden()
    assert not dialog.ok_button.isEnabled()
    assert table_text(dialog) == shown  # the rows up to the bad one
    dialog.accept()  # as the Enter key would
    assert dialog.result() == QDialog.DialogCode.Rejected


def test_a_file_that_cannot_be_read(qtbot, tmp_path):
    missing = tmp_path / "missing.csv"
    dialog = dialog_for(qtbot, missing)
    assert dialog.error.text() == f"csv = '{missing}': cannot be read (FileNotFoundError: No such file or directory)"
    assert not dialog.ok_button.isEnabled() and dialog.table.rowCount() == 0 and dialog.target.count() == 0


@contextlib.contextmanager
def reads_of(path: Path):
    """Within the block, open() of ``path`` is watched; afterwards the yielded list holds how far into the file
    each opening read: its file position, which a duplicate of its descriptor shares (any way of reading moves it)
    and keeps after the file is closed."""
    duplicates, ends = [], []
    real_open = builtins.open

    def opener(name, flags):
        fd = os.open(name, flags)
        duplicates.append(os.dup(fd))
        return fd

    def open_watched(file, *args, **kwargs):
        if isinstance(file, (str, os.PathLike)) and Path(file) == path:
            kwargs["opener"] = opener
        return real_open(file, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(builtins, "open", open_watched)
        patched.setattr(io, "open", open_watched)  # Path.open's
        try:
            yield ends
        finally:
            for fd in duplicates:
                ends.append(os.lseek(fd, 0, os.SEEK_CUR))
                os.close(fd)


def test_a_big_file_opens_at_once_and_only_its_head_is_read(qtbot, tmp_path):
    path = tmp_path / "big.csv"
    with open(path, "w") as file:
        file.write("a,b,c,y\n")
        file.writelines(f"{i},{i * 0.5},{-i},{i % 2}\n" for i in range(200_000))
        file.write("1,2,3,oops\n")  # the whole-file check, after Import, finds this; the preview does not look
    size = path.stat().st_size
    with reads_of(path) as read_up_to:
        start = time.thread_time()  # this thread's CPU time: a stall of the machine does not count
        dialog = dialog_for(qtbot, path)
        cpu_seconds = time.thread_time() - start
    assert cpu_seconds < 1.0  # smoke bound: milliseconds expected
    # the head only: tens of kB of the 4.8 MB
    assert read_up_to and sum(read_up_to) < size // 20, f"read {read_up_to} of {size:,} bytes"
    assert dialog.table.rowCount() == PREVIEW_ROWS and dialog.ok_button.isEnabled()
    assert table_text(dialog)[-1] == ["19", "9.5", "-19", "1"]


def test_only_local_csv_files_are_taken_from_a_drop(tmp_path):
    mime = QMimeData()
    local = [tmp_path / "a.csv", tmp_path / "B.CSV", tmp_path / "notes.txt", tmp_path / "c.csv.gz"]
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in local] + [QUrl("https://example.com/d.csv")])
    assert csv_paths_from_mime(mime) == [str(tmp_path / "a.csv"), str(tmp_path / "B.CSV")]
    text_only = QMimeData()
    text_only.setText(str(tmp_path / "a.csv"))
    assert csv_paths_from_mime(text_only) == []


# --- in the window ------------------------------------------------------------------------------------------

def choose_in_dialog(monkeypatch, choose):
    """The window's import dialog, answered by ``choose(dialog)`` (True: Import) instead of by a person."""
    def exec_(dialog):
        return QDialog.DialogCode.Accepted if choose(dialog) else QDialog.DialogCode.Rejected
    monkeypatch.setattr(CsvImportDialog, "exec", exec_)


def test_the_window_imports_a_csv_as_the_dialog_says(window, qtbot, monkeypatch, tmp_path):
    import numpy as np
    rows = [[i * 0.5, 7.0 + (i % 2), -i] for i in range(50)]  # the middle column (7 or 8) is the target
    path = write(tmp_path, "p,label,q\n" + "".join(f"{a!r},{b!r},{c!r}\n" for a, b, c in rows))

    def choose(dialog):
        dialog.target.setCurrentIndex(1)
        dialog.task.setCurrentIndex(dialog.task.findData("classification"))
        dialog.test_share.setValue(20)
        return True

    choose_in_dialog(monkeypatch, choose)
    with qtbot.waitSignal(window.files.csv_finished, timeout=10_000) as finished:
        assert window.files.ask_csv_options(path)
    assert finished.args == [True]
    dataset = window.dataset
    assert dataset.feature_names == ("p", "q") and len(dataset.X) == 40 and len(dataset.X_test) == 10
    table = np.array(rows)
    both = np.vstack([dataset.X, dataset.X_test])
    assert sorted(map(tuple, both)) == sorted(map(tuple, table[:, [0, 2]]))  # every row, the target taken out
    assert set(np.concatenate([dataset.y, dataset.y_test]).ravel()) == {0.0, 1.0}  # 7 -> class 0, 8 -> class 1


def test_cancelling_the_import_dialog_leaves_the_session_alone(window, monkeypatch, tmp_path):
    path = write(tmp_path, "a,b\n1,0\n2,1\n")
    choose_in_dialog(monkeypatch, lambda dialog: False)
    network = window.network_id
    assert not window.files.ask_csv_options(path)
    assert window.network_id == network and window.dataset_key == "xor"


def test_a_csv_dropped_on_the_window_opens_the_import_dialog(window, qtbot, monkeypatch, tmp_path):
    from PySide6.QtCore import QPointF, Qt
    from PySide6.QtGui import QDropEvent

    path = write(tmp_path, "a,b\n1,0\n2,1\n3,0\n")
    asked = []
    choose_in_dialog(monkeypatch, lambda dialog: asked.append(dialog.options().path) or False)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                       Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)
    qtbot.waitUntil(lambda: asked == [path])
