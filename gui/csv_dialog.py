"""Importing a CSV file: a dialog that previews its first rows and takes the choices it is read with, and the
file paths a drag-and-drop carries.

The dialog reads only the head of the file (:func:`model.csv_io.read_head`: the header and the first
``PREVIEW_ROWS`` rows), so a file of any size opens it at once; a problem in those rows is shown with its line
and column, and Import stays disabled. The whole file is read, and fully checked, only after Import: by the
window, in the background, as ``load_csv(options.path, **options.load_options())``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QMimeData, Qt, Slot
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gui.controls import TASK_CHOICES, TASK_TIPS
from gui.widgets import MessageBar
from model.csv_io import read_head

MIN_TEST_PERCENT, MAX_TEST_PERCENT = 10, 90  # a test split's share of the rows; 0 is no split
_TARGET_TINT = QColor("#e3eefc")  # the target column's cells (MessageBar's "info" colour)
_ERROR_TINT = QColor("#fde2e1")  # the row with the problem (MessageBar's "error" colour)
_SHOWN_VALUES = 6  # distinct target values listed under the target column before "…"
_STRETCHED_COLUMNS = 8  # up to this many columns share the table's width; more keep their contents' width


@dataclass(frozen=True)
class CsvOptions:
    """How to read a CSV file, as chosen in the dialog."""

    path: Path
    target_column: int  # the target's index among the file's columns (0 = the first)
    task: str | None  # None (automatic), "classification" or "regression", as load_csv takes it
    standardize: bool
    test_ratio: float  # the share of rows set apart as the test split: 0 (none), or 0.1 to 0.9
    split_seed: int  # which rows the test split takes

    def load_options(self) -> dict[str, object]:
        """load_csv's keyword arguments for these choices: ``load_csv(options.path, **options.load_options())``."""
        return {"standardize": self.standardize, "task": self.task, "target_column": self.target_column,
                "test_ratio": self.test_ratio, "split_seed": self.split_seed}


def csv_paths_from_mime(mime: QMimeData) -> list[str]:
    """The local ``.csv`` files among a drag's URLs, in their order; [] when there are none (then the window
    refuses the drag). Other files and remote URLs are left out."""
    if not mime.hasUrls():
        return []
    paths = (url.toLocalFile() for url in mime.urls() if url.isLocalFile())
    return [path for path in paths if path.lower().endswith(".csv")]


class CsvImportDialog(QDialog):
    """A preview of a CSV file's first rows, and the choices to read it with; ``options()`` after Import.

    The keyword arguments are the choices shown at first (the target column: None for the last)."""

    def __init__(self, path: str | Path, parent: QWidget | None = None, *, target_column: int | None = None,
                 task: str | None = None, standardize: bool = False, test_ratio: float = 0.0, split_seed: int = 0):
        super().__init__(parent)
        self.path = Path(path)
        self.head = read_head(self.path)
        self.setWindowTitle(f"Import {self.path.name}")
        head = self.head
        self.column_names = self._column_names()

        self.summary = QLabel(self._summary_text())
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary.setToolTip(str(self.path))
        self.table = QTableWidget(len(head.rows), len(self.column_names))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setVerticalHeaderLabels([str(line) for line in head.lines])
        self.table.verticalHeader().setToolTip("The line in the file")
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        for row, cells in enumerate(head.rows):
            for column, cell in enumerate(cells[:len(self.column_names)]):
                item = QTableWidgetItem(cell)
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, column, item)
        self.error = QLabel(head.error)
        self.error.setWordWrap(True)
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.setStyleSheet(f"QLabel {{ {MessageBar.STYLES['error']} border-radius: 4px; padding: 4px 8px; }}")
        self.error.setVisible(bool(head.error))

        self.target = QComboBox()
        self.target.setToolTip("The column the network learns to predict; the other columns are its inputs.")
        for column, name in enumerate(self.column_names):
            self.target.addItem(name if name.startswith("column ") else f"{name} (column {column + 1})", column)
        self.task = QComboBox()
        self.task.setToolTip("How the target is learnt: as two classes, or as a value.")
        for name in TASK_CHOICES:
            self.task.addItem(name, name)
            self.task.setItemData(self.task.count() - 1, TASK_TIPS[name], Qt.ItemDataRole.ToolTipRole)
        self.task.setCurrentIndex(list(TASK_CHOICES.values()).index(task) if task in TASK_CHOICES.values() else 0)
        self.target_values = QLabel()
        self.target_values.setStyleSheet("color: palette(mid);")
        self.standardize = QCheckBox("Standardise inputs")
        self.standardize.setToolTip("Shift and scale each input column to mean 0 and standard deviation 1 "
                                    "(over the training rows; the test rows by the same amounts).")
        self.standardize.setChecked(standardize)
        self.test_share = QSpinBox()
        self.test_share.setRange(0, MAX_TEST_PERCENT)
        self.test_share.setSingleStep(MIN_TEST_PERCENT)
        self.test_share.setSuffix(" %")
        self.test_share.setSpecialValueText("no test split")
        self.test_share.setKeyboardTracking(False)  # a typed "25" is one value, not 2 then 25
        self.test_share.setToolTip(f"The share of rows set apart to test on, chosen at random: {MIN_TEST_PERCENT}"
                                   f" to {MAX_TEST_PERCENT} %, or none.")
        self.split_seed = QSpinBox()
        self.split_seed.setRange(0, 2**31 - 1)
        self.split_seed.setToolTip("The same seed picks the same test rows.")
        self.split_seed.setValue(split_seed)

        split = QHBoxLayout()
        split.addWidget(self.test_share)
        self.seed_label = QLabel("seed")
        split.addSpacing(12)
        split.addWidget(self.seed_label)
        split.addWidget(self.split_seed)
        split.addStretch(1)
        form = QFormLayout()
        form.addRow("Target column", self.target)
        form.addRow("", self.target_values)
        form.addRow("Task", self.task)
        form.addRow("Inputs", self.standardize)
        form.addRow("Test split", split)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button.setText("Import")
        self.ok_button.setEnabled(not head.error)
        if head.error:
            self.ok_button.setToolTip("This file cannot be imported: see the message above.")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.error)
        layout.addLayout(form)
        layout.addWidget(self.buttons)

        self.target.currentIndexChanged.connect(self._target_changed)
        self.test_share.valueChanged.connect(self._test_share_changed)
        last = len(self.column_names) - 1
        self.target.setCurrentIndex(target_column if target_column is not None and 0 <= target_column <= last
                                    else last)
        self.test_share.setValue(round(test_ratio * 100))
        self._target_changed()
        self._test_share_changed(self.test_share.value())
        self._mark_error_row()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch if len(self.column_names) <= _STRETCHED_COLUMNS
                                    else QHeaderView.ResizeMode.ResizeToContents)
        (self.ok_button if not head.error else self.buttons.button(QDialogButtonBox.StandardButton.Cancel)).setFocus()
        self.resize(720, 540)

    @property
    def ok_button(self) -> QPushButton:
        return self.buttons.button(QDialogButtonBox.StandardButton.Ok)

    def options(self) -> CsvOptions:
        """The choices as they stand."""
        return CsvOptions(self.path, max(0, self.target.currentIndex()), TASK_CHOICES[self.task.currentData()],
                          self.standardize.isChecked(), self.test_share.value() / 100, self.split_seed.value())

    def accept(self) -> None:
        if not self.head.error:  # Import is disabled then; this also holds for a key press
            super().accept()

    # --- the preview ---------------------------------------------------------------------------------------
    def _column_names(self) -> list[str]:
        """One label per column: the header's names, else "column 1", ...; as many as the widest line shown."""
        head = self.head
        count = max([head.width, len(head.header or ()), *(len(row) for row in head.rows)])
        names = list(head.header or ())
        return [names[c] if c < len(names) and names[c] else f"column {c + 1}" for c in range(count)]

    def _summary_text(self) -> str:
        head, size = self.head, _size_text(self.path)
        if head.error:
            shown = f"{len(head.rows):,} rows shown, up to the problem below" if head.rows else "nothing to show"
        elif head.complete:
            shown = f"all {len(head.rows):,} rows"
        elif head.rows:
            shown = f"the first {len(head.rows):,} rows; the whole file is read after Import"
        else:
            shown = "nothing to show"
        return f"{self.path.name}{f' ({size})' if size else ''}: {shown}"

    def _mark_error_row(self) -> None:
        if self.head.error_line in self.head.lines:
            row = self.head.lines.index(self.head.error_line)
            for column in range(self.table.columnCount()):
                if self.table.item(row, column) is None:  # a short row's missing cells
                    self.table.setItem(row, column, QTableWidgetItem(""))
                self.table.item(row, column).setBackground(QBrush(_ERROR_TINT))

    @Slot()
    def _target_changed(self) -> None:
        target = self.target.currentIndex()
        for column, name in enumerate(self.column_names):
            item = QTableWidgetItem(f"{name}\n(target)" if column == target else name)
            if column == target:
                font = QFont(item.font())
                font.setBold(True)
                item.setFont(font)
            self.table.setHorizontalHeaderItem(column, item)
            for row in range(self.table.rowCount()):
                cell = self.table.item(row, column)
                if cell is not None and self.head.lines[row] != self.head.error_line:
                    cell.setBackground(QBrush(_TARGET_TINT) if column == target else QBrush())
        values = sorted({row[target] for row in self.head.rows if target < len(row)}, key=_numeric_order)
        listed = ", ".join(values[:_SHOWN_VALUES]) + (", …" if len(values) > _SHOWN_VALUES else "")
        self.target_values.setText(f"{len(values)} distinct values in the preview: {listed}" if values else "")

    @Slot(int)
    def _test_share_changed(self, value: int) -> None:
        if 0 < value < MIN_TEST_PERCENT:  # typed below the least share: the least share
            self.test_share.setValue(MIN_TEST_PERCENT)
            return
        self.split_seed.setEnabled(value > 0)
        self.seed_label.setEnabled(value > 0)


def _numeric_order(cell: str) -> tuple[int, float, str]:
    """Numbers by value, then anything else by its text."""
    try:
        return 0, float(cell), cell
    except ValueError:
        return 1, 0.0, cell


def _size_text(path: Path) -> str:
    try:
        size = path.stat().st_size
    except OSError:
        return ""
    for unit in ("bytes", "kB", "MB"):
        if size < 1000:
            return f"{size:,} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:,.1f} GB"
