"""The control panel: data, network, training settings and the run buttons.

The panel only edits values and says what changed; the main window decides what a change means
(a new network, or a setting applied at the next step).
"""

from __future__ import annotations

import math
import re

from PySide6.QtCore import QEvent, QObject, QPointF, QSignalBlocker, Qt, Signal, Slot
from PySide6.QtGui import QColor, QKeySequence, QPainter, QPalette, QPen, QPolygonF, QValidator
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QStyle,
    QStyleOptionSlider,
    QVBoxLayout,
    QWidget,
)

from model.config import INITS, MAX_HIDDEN, MAX_LR, MODES, TrainConfig
from model.datasets import Dataset, task_text
from model.functions import ACTIVATIONS, LOSSES, OUTPUTS, Activation, Loss
from model.generators import GENERATORS, GeneratorSettings
from model.presets import PRESETS

MIN_LR = 1e-6
LR_SLIDER_STEPS_PER_DECADE = 100
MAX_EPOCHS_LIMIT = 2_000_000_000
SPEEDS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000, 0)  # epochs per second; 0: as fast as possible
CSV_CHOICE = "csv…"

DATASET_LABELS = {
    "single_point": "Single point (2, 2) → 17",
    "xor": "XOR",
    "and_or": "AND-OR (3 inputs)",
    "product": "Product 10·x1·x2 (regression)",
    "two_points": "Two points",
}
GENERATED_KEYS = tuple(GENERATORS)  # drawn by model/generators.py: with samples, noise, test share and seed
DATASET_TIPS = {
    "single_point": "One training point (2, 2) with target 17 (notebook 000): regression.",
    "xor": "The four XOR rows (notebook 001): classification that no straight line can separate.",
    "and_or": "y = x1 AND (x2 OR x3): 3 inputs, 4 training rows, the other 4 rows as the test set (notebook 002).",
    "product": "1000 points in [0,1)², target 10·x1·x2 plus noise, 250 test points (notebook 003): regression.",
    "two_points": "(1,2) → 1 and (1,3) → 0 (notebook 004): classification.",
}
DATASET_LABELS.update({key: generator.label for key, generator in GENERATORS.items()})
DATASET_TIPS.update({key: generator.description for key, generator in GENERATORS.items()})
MODE_TIPS = {
    "sample": "one update per training sample, in order (an epoch = n updates)",
    "random_sample": "one update per sample drawn at random with replacement (an epoch = n updates)",
    "minibatch": "one update per batch of a fresh shuffle (an epoch = n / batch size updates)",
    "full": "one update on the whole training set per epoch",
}
# The Task combo of a CSV dataset: each choice and what load_csv is given for it (None: from the targets).
TASK_CHOICES = {"automatic": None, "classification": "classification", "regression": "regression"}
TASK_TIPS = {
    "automatic": "Classification when every target is 0 or 1, regression otherwise.",
    "classification": "Two target values: the smaller becomes class 0 and the larger class 1 (any other count of "
                      "values is refused).",
    "regression": "Predict the target's value, whatever its values are.",
}
INIT_TIPS = {
    "ones": "every weight 1, biases 0 (notebook 000)",
    "uniform": "every parameter uniform in [0, 1) (notebooks 001, 003)",
    "xavier": "weights normal with scale 1/√fan-in, biases 0",
    "he": "weights normal with scale √(2/fan-in), biases 0",
}


def _spin(low: int, high: int, value: int, tip: str) -> QSpinBox:
    """An integer field that reports a typed value on Enter or when left (not at every keystroke)."""
    spin = QSpinBox()
    spin.setRange(low, high)
    spin.setValue(value)
    spin.setKeyboardTracking(False)
    spin.setGroupSeparatorShown(True)
    spin.setToolTip(tip)
    return spin


def activation_tip(activation: Activation) -> str:
    """A hidden or output function's tooltip, from its table entry."""
    return f"f(z) = {activation.formula},   f'(z) = {activation.der_formula}\n{activation.tip}"


def loss_tip(loss: Loss) -> str:
    """A loss's tooltip, from its table entry."""
    return f"L = {loss.formula},   dL/dz2 = {loss.grad_formula}\n{loss.tip}"


def speed_label(epochs_per_second: float) -> str:
    return "as fast as possible" if epochs_per_second <= 0 else f"{significant(epochs_per_second)} epochs/s"


def significant(value: float, digits: int = 4) -> str:
    """A number in ``digits`` significant digits, whole numbers with their digits and separators: 0.001235, 0.5,
    5,000, 1.235e+06; never "-0"."""
    if math.isfinite(value) and value == int(value) and abs(value) < 1e6:
        return f"{int(value):,}"
    return f"{value:.{digits}g}"


def _at_end(edit) -> bool:
    return edit.cursorPosition() == len(edit.text())


# The window's run shortcuts that a number field lets through (after taking what was typed), and when; other
# keys are the field's. Space, R and Shift+R are never typing in a number; Right and Shift+Right are, except at
# the end of the text, where they would change nothing (Right with a selection still clears it first).
RUN_KEYS = {
    "Space": lambda edit: True,
    "R": lambda edit: True,
    "Shift+R": lambda edit: True,
    "Right": lambda edit: _at_end(edit) and not edit.hasSelectedText(),
    "Shift+Right": _at_end,
}


class RunKeys(QObject):
    """An event filter for number fields: a key of RUN_KEYS, when its rule allows, commits the field's text and
    goes to the window's shortcut instead of the field. (A line edit claims every printable key and the arrows
    before shortcuts see them, so Space typed a blank into the field, after Enter replacing the selected value.)"""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind not in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress) or not self._lets_through(watched, event):
            return False
        if kind == QEvent.Type.ShortcutOverride:
            watched.interpretText()  # the typed value counts before the shortcut acts
            event.ignore()  # not claimed: the shortcut takes the key
        return True  # the field never sees it (a KeyPress comes only when no shortcut took the key)

    @staticmethod
    def _lets_through(field: QObject, event: QEvent) -> bool:
        if not isinstance(field, QAbstractSpinBox):
            return False
        rule = RUN_KEYS.get(QKeySequence(event.keyCombination()).toString())
        return rule is not None and rule(field.lineEdit())


class ScientificSpinBox(QDoubleSpinBox):
    """A number field that shows and accepts values like 0.001, 1e-6 or 2.5e3.

    With ``logarithmic`` the arrows multiply or divide by 10^(1/10) instead of adding a step.
    """

    _number = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d*)?$")

    def __init__(self, minimum: float, maximum: float, logarithmic: bool = False, parent=None):
        super().__init__(parent)
        self._logarithmic = logarithmic
        self.setDecimals(12)  # keep precision: the text is formatted by textFromValue, not by decimals
        self.setRange(minimum, maximum)
        self.setKeyboardTracking(False)
        self.setCorrectionMode(QDoubleSpinBox.CorrectionMode.CorrectToNearestValue)

    def textFromValue(self, value: float) -> str:
        if value == self.minimum() and self.specialValueText():
            return self.specialValueText()
        return f"{value:.6g}"

    def valueFromText(self, text: str) -> float:
        try:
            return float(text.strip())
        except ValueError:
            return self.minimum()

    def validate(self, text: str, pos: int):
        stripped = text.strip()
        if stripped == self.specialValueText() and stripped:
            return QValidator.State.Acceptable, text, pos
        if not stripped or re.fullmatch(r"[+-]?\.?|[+-]?[\d.]+[eE][+-]?", stripped):
            return QValidator.State.Intermediate, text, pos
        if not self._number.match(stripped):
            return QValidator.State.Invalid, text, pos
        value = float(stripped)
        if self.minimum() <= value <= self.maximum():
            return QValidator.State.Acceptable, text, pos
        return QValidator.State.Intermediate, text, pos

    def stepBy(self, steps: int) -> None:
        if not self._logarithmic:
            super().stepBy(steps)
            return
        value = max(self.value(), self.minimum(), 1e-300)
        exponent = round(math.log10(value) * 10) + steps  # snap to tenths of a decade
        self.setValue(min(max(10 ** (exponent / 10), self.minimum()), self.maximum()))


LR_FIELD_TIP = ("Learning rate, from 1e-06 to 10: type a number such as 0.01 or 3e-4.\n"
                "It applies at the next update, without resetting the network.")
LR_SLIDER_TIP = "Learning rate on a logarithmic scale (1e-06 at the left, 10 at the right)"
LIMIT_COLOUR = "#e8590c"  # the slider's mark at the estimated largest stable learning rate
ABOVE_LIMIT_BASE, ABOVE_LIMIT_TEXT = "#ffe0b8", "#7a2e00"  # the field while the rate is above it


class LimitSlider(QSlider):
    """The learning rate's slider, with a mark (a line and a small triangle) at a position of its scale: where the
    estimated largest stable learning rate is."""

    def __init__(self, orientation: Qt.Orientation, parent=None):
        super().__init__(orientation, parent)
        self._mark: float | None = None

    def mark(self) -> float | None:
        return self._mark

    def set_mark(self, position: float | None) -> None:
        """Mark ``position`` (a slider value, possibly between two steps; None: no mark)."""
        if position != self._mark:
            self._mark = position
            self.update()

    def mark_x(self) -> float:
        """Where the mark is drawn: the centre the handle would have at that value."""
        option = QStyleOptionSlider()
        self.initStyleOption(option)
        style, control = self.style(), QStyle.ComplexControl.CC_Slider
        groove = style.subControlRect(control, option, QStyle.SubControl.SC_SliderGroove, self)
        handle = style.subControlRect(control, option, QStyle.SubControl.SC_SliderHandle, self)
        share = (self._mark - self.minimum()) / max(1, self.maximum() - self.minimum())
        return groove.x() + handle.width() / 2 + min(max(share, 0.0), 1.0) * (groove.width() - handle.width())

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        if self._mark is None:
            return
        x, bottom = self.mark_x(), self.height() - 1
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        colour = QColor(LIMIT_COLOUR)
        painter.setPen(QPen(colour, 2))
        painter.drawLine(QPointF(x, 3), QPointF(x, bottom))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawPolygon(QPolygonF([QPointF(x - 4, 0), QPointF(x + 4, 0), QPointF(x, 5)]))
        painter.end()


class LearningRateControl(QWidget):
    """A numeric field (1e-6 .. 10) and a logarithmic slider, kept in step; and, when the window has one, the
    estimated largest stable learning rate (set_limit): a mark on the slider, and the field in warning colours
    while the rate is above it."""

    value_changed = Signal(float)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._limit: float | None = None
        self._warning = False
        self.field = ScientificSpinBox(MIN_LR, MAX_LR, logarithmic=True)
        self.field.setToolTip(LR_FIELD_TIP)
        self._field_palette = QPalette(self.field.palette())
        self.slider = LimitSlider(Qt.Orientation.Horizontal)
        decades = math.log10(MAX_LR / MIN_LR)
        self.slider.setRange(0, round(decades * LR_SLIDER_STEPS_PER_DECADE))
        self.slider.setPageStep(LR_SLIDER_STEPS_PER_DECADE // 10)
        self.slider.setToolTip(LR_SLIDER_TIP)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.field, 2)
        layout.addWidget(self.slider, 3)
        self.field.valueChanged.connect(self._field_changed)
        self.slider.valueChanged.connect(self._slider_changed)

    def value(self) -> float:
        return self.field.value()

    def set_value(self, lr: float) -> None:
        """Show ``lr`` without emitting value_changed."""
        with QSignalBlocker(self.field), QSignalBlocker(self.slider):
            self.field.setValue(lr)
            self.slider.setValue(self._slider_position(lr))
        self._show_limit()

    # --- the estimated limit ----------------------------------------------------------------------
    def set_limit(self, limit: float | None) -> None:
        """Show ``limit``, the estimated largest stable learning rate: None or nan when there is no estimate, inf
        when nothing curves upwards (no limit). A limit beyond the slider's right end has no mark."""
        self._limit = limit if limit is not None and limit > 0 and not math.isnan(limit) else None
        on_scale = self._limit is not None and self._limit <= MAX_LR
        self.slider.set_mark(self._slider_value(self._limit) if on_scale else None)
        self._show_limit()

    def limit(self) -> float | None:
        """The estimated largest stable learning rate shown (None: none)."""
        return self._limit

    def above_limit(self) -> bool:
        """Whether the learning rate is above the estimated limit."""
        return self._limit is not None and self.value() > self._limit

    def _show_limit(self) -> None:
        """The tooltips and the field's colours for the limit and the rate."""
        limit = self._limit
        known = limit is not None and math.isfinite(limit)
        said = f"estimated largest stable learning rate: {significant(limit)}" if known else ""
        above = self.above_limit()
        warning = f"\n{self.value():g} is {significant(self.value() / limit, 2)}x it: training will likely diverge." \
            if above else ""
        marked = " (the orange mark on the slider)" if self.slider.mark() is not None else ""
        self.field.setToolTip(f"{LR_FIELD_TIP}\nThe {said}{marked}.{warning}" if known else LR_FIELD_TIP)
        self.slider.setToolTip(f"{LR_SLIDER_TIP}\nThe orange mark: the {said}." if marked else LR_SLIDER_TIP)
        if above != self._warning:
            self._warning = above
            palette = QPalette(self._field_palette)
            if above:
                palette.setColor(QPalette.ColorRole.Base, QColor(ABOVE_LIMIT_BASE))
                palette.setColor(QPalette.ColorRole.Text, QColor(ABOVE_LIMIT_TEXT))
            self.field.setPalette(palette)

    @staticmethod
    def _slider_value(lr: float) -> float:
        """Where ``lr`` is on the slider's scale, between its steps too."""
        return math.log10(max(lr, MIN_LR) / MIN_LR) * LR_SLIDER_STEPS_PER_DECADE

    def _slider_position(self, lr: float) -> int:
        return round(self._slider_value(lr))

    @Slot(float)
    def _field_changed(self, lr: float) -> None:
        with QSignalBlocker(self.slider):
            self.slider.setValue(self._slider_position(lr))
        self._show_limit()
        self.value_changed.emit(lr)

    @Slot(int)
    def _slider_changed(self, position: int) -> None:
        lr = float(f"{MIN_LR * 10 ** (position / LR_SLIDER_STEPS_PER_DECADE):.3g}")
        with QSignalBlocker(self.field):
            self.field.setValue(min(lr, MAX_LR))
        self._show_limit()
        self.value_changed.emit(self.field.value())


class SpeedControl(QWidget):
    """Epochs per second, in steps from 1 to "as fast as possible"."""

    value_changed = Signal(float)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, len(SPEEDS) - 1)
        self.slider.setPageStep(1)
        self.slider.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.slider.setToolTip("Training speed in epochs per second; at the right end, as fast as possible.\n"
                               "Applies at once, without resetting the network.")
        self.label = QLabel()
        self.label.setMinimumWidth(118)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.label)
        self.slider.valueChanged.connect(self._moved)
        self.slider.setValue(len(SPEEDS) - 1)
        self._moved(self.slider.value())

    def value(self) -> float:
        return float(SPEEDS[self.slider.value()])

    def set_value(self, epochs_per_second: float) -> None:
        self.slider.setValue(SPEEDS.index(epochs_per_second) if epochs_per_second in SPEEDS else len(SPEEDS) - 1)

    @Slot(int)
    def _moved(self, position: int) -> None:
        self.label.setText(speed_label(SPEEDS[position]))
        self.value_changed.emit(float(SPEEDS[position]))


def _combo(items, tips: dict[str, str], tooltip: str) -> QComboBox:
    combo = QComboBox()
    for name in items:
        combo.addItem(name, name)
        if name in tips:
            combo.setItemData(combo.count() - 1, tips[name], Qt.ItemDataRole.ToolTipRole)
    combo.setToolTip(tooltip)
    return combo


def _select(combo: QComboBox, data) -> None:
    index = combo.findData(data)
    if index >= 0:
        combo.setCurrentIndex(index)


class ControlPanel(QWidget):
    """Every setting of a run, grouped; and the run buttons.

    Signals say what the user changed: ``network_changed`` for anything that needs a new network,
    the others for settings applied without a reset.
    """

    preset_chosen = Signal(str)
    dataset_chosen = Signal(str)  # a dataset key, or CSV_CHOICE
    csv_choice_changed = Signal()  # a CSV file's Task or standardisation changed: the file is read again
    generator_changed = Signal()  # a generated dataset's samples, noise, test share or seed: draw it again
    network_changed = Signal()
    lr_changed = Signal(float)
    limits_changed = Signal()
    speed_changed = Signal(float)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self._data_group())
        layout.addWidget(self._network_group())
        layout.addWidget(self._training_group())
        layout.addWidget(self._run_group())
        layout.addStretch(1)
        self._shown_key = ""  # the dataset last shown by show_dataset
        self._run_keys = RunKeys(self)
        for spin in self.findChildren(QAbstractSpinBox):
            spin.installEventFilter(self._run_keys)
        self._connect_changes()

    # --- building ---------------------------------------------------------------------------------
    def _data_group(self) -> QGroupBox:
        group = QGroupBox("Data")
        form = QFormLayout(group)
        self.preset = QComboBox()
        self.preset.addItem("(custom settings)", "")
        for name, preset in PRESETS.items():
            self.preset.addItem(name.replace("_", " "), name)
            self.preset.setItemData(self.preset.count() - 1, preset.description, Qt.ItemDataRole.ToolTipRole)
        self.preset.setToolTip("The five seed notebooks: each sets the dataset, every setting and the epochs.")
        self.dataset = QComboBox()
        for key, label in DATASET_LABELS.items():
            self.dataset.addItem(label, key)
            self.dataset.setItemData(self.dataset.count() - 1, DATASET_TIPS[key], Qt.ItemDataRole.ToolTipRole)
        self.dataset.addItem("CSV file…", CSV_CHOICE)
        self.dataset.setItemData(self.dataset.count() - 1, "Load numeric columns from a CSV file: the last column "
                                 "is the target, an optional header row names them.", Qt.ItemDataRole.ToolTipRole)
        self.dataset.setToolTip("The training data. Changing it starts a new network with settings that suit it.")
        self.task = _combo(TASK_CHOICES, TASK_TIPS, "How the CSV file's last column is learnt: as classes or as "
                           "values. Changing it reads the file again and starts a new network.")
        self.standardize = QCheckBox("Standardise CSV inputs")
        self.standardize.setToolTip("Shift and scale each CSV input column to mean 0 and standard deviation 1.")
        self.dataset_info = QLabel()
        self.dataset_info.setWordWrap(True)
        self.dataset_info.setStyleSheet("color: palette(mid);")
        self.dataset_info.setToolTip("About the current dataset")
        form.addRow("Preset", self.preset)
        form.addRow("Dataset", self.dataset)
        form.addRow("Task", self.task)
        form.addRow("", self.standardize)
        self._build_generator_rows(form)
        form.addRow(self.dataset_info)
        self._data_form = form
        for row in (self.task, self.standardize, *self._generator_rows):  # shown with a CSV file / generated data
            form.setRowVisible(row, False)
        return group

    def _build_generator_rows(self, form: QFormLayout) -> None:
        """Samples, noise, test share and data seed of a generated dataset, and Regenerate (a new data seed)."""
        limits = GeneratorSettings()
        self.samples = _spin(10, 1_000_000, limits.samples, "Points drawn, training and test together")
        self.samples.setSingleStep(50)
        self.noise = QDoubleSpinBox()
        self.noise.setKeyboardTracking(False)
        self.noise.setRange(0.0, 1.0)
        self.noise.setSingleStep(0.05)
        self.noise.setDecimals(2)
        self.noise.setValue(limits.noise)
        self.noise.setToolTip("A Gaussian jitter of the points (of the plane's target), in units of the shape's size")
        self.test_share = _spin(10, 90, round(limits.test_ratio * 100), "The share of the points kept for testing")
        self.test_share.setSuffix(" %")
        self.data_seed = _spin(0, 2**31 - 1, limits.data_seed, "The seed the points are drawn with: the same "
                               "settings always draw the same points")
        self.regenerate_button = QPushButton("Regenerate")
        self.regenerate_button.setToolTip("Draw new points: the next data seed")
        self.regenerate_button.clicked.connect(lambda: self.data_seed.setValue(self.data_seed.value() + 1))
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.data_seed, 1)
        seed_row.addWidget(self.regenerate_button)
        seed_box = QWidget()
        seed_box.setLayout(seed_row)
        seed_row.setContentsMargins(0, 0, 0, 0)
        form.addRow("Samples", self.samples)
        form.addRow("Noise", self.noise)
        form.addRow("Test share", self.test_share)
        form.addRow("Data seed", seed_box)
        self._generator_rows = (self.samples, self.noise, self.test_share, seed_box)
        for spin in (self.samples, self.noise, self.test_share, self.data_seed):
            spin.valueChanged.connect(self.generator_changed)

    def generator_settings(self) -> GeneratorSettings:
        """The generated dataset's settings as the fields show them."""
        return GeneratorSettings(self.samples.value(), round(self.noise.value(), 6), self.test_share.value() / 100,
                                 self.data_seed.value())

    def _show_generator(self, settings: GeneratorSettings | None) -> None:
        for row in self._generator_rows:
            self._data_form.setRowVisible(row, settings is not None)
        if settings is None:
            return
        for spin, value in ((self.samples, settings.samples), (self.noise, settings.noise),
                            (self.test_share, round(settings.test_ratio * 100)), (self.data_seed, settings.data_seed)):
            with QSignalBlocker(spin):
                spin.setValue(value)

    def _network_group(self) -> QGroupBox:
        group = QGroupBox("Network")
        form = QFormLayout(group)
        self.hidden = QSpinBox()
        self.hidden.setRange(1, MAX_HIDDEN)
        self.hidden.setKeyboardTracking(False)
        self.hidden.setToolTip(f"Hidden units, 1 to {MAX_HIDDEN}. Changing it starts a new network.")
        self.activation = _combo(ACTIVATIONS, {name: activation_tip(a) for name, a in ACTIVATIONS.items()},
                                 "The hidden layer's activation function.")
        self.output = _combo(OUTPUTS, {name: activation_tip(a) for name, a in OUTPUTS.items()},
                             "The output unit: linear (regression) or sigmoid (a probability, for classification).")
        self.loss = _combo(LOSSES, {name: loss_tip(loss) for name, loss in LOSSES.items()},
                           "The loss minimised; cross-entropy (bce) needs the sigmoid output.")
        self.init = _combo(INITS, INIT_TIPS, "How the initial weights are drawn.")
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setKeyboardTracking(False)
        self.seed.setToolTip("Random seed of the initial weights and the sample order: "
                             "the same seed gives the same run.")
        self.bias = QCheckBox("Biases")
        self.bias.setToolTip("Give the hidden units and the output a bias (off: they stay 0).")
        form.addRow("Hidden units", self.hidden)
        form.addRow("Activation", self.activation)
        form.addRow("Output", self.output)
        form.addRow("Loss", self.loss)
        form.addRow("Initialisation", self.init)
        form.addRow("Seed", self.seed)
        form.addRow("", self.bias)
        return group

    def _training_group(self) -> QGroupBox:
        group = QGroupBox("Training")
        form = QFormLayout(group)
        self.lr = LearningRateControl()
        self.mode = _combo(MODES, MODE_TIPS, "How many samples each update uses.")
        self.batch_size = QSpinBox()
        self.batch_size.setRange(1, 1_000_000)
        self.batch_size.setKeyboardTracking(False)
        self.batch_size.setToolTip("Samples per update in minibatch mode.")
        self.l2 = ScientificSpinBox(0.0, 10.0)
        self.l2.setSpecialValueText("off")
        self.l2.setSingleStep(1e-4)
        self.l2.setToolTip("Weight decay: adds (l2 / 2)·Σw² to the loss (biases are not decayed). 0 = off.")
        self.max_epochs = QSpinBox()
        self.max_epochs.setRange(1, MAX_EPOCHS_LIMIT)
        self.max_epochs.setGroupSeparatorShown(True)
        self.max_epochs.setKeyboardTracking(False)
        self.max_epochs.setToolTip("Training stops when this many epochs are done (counted from the start).")
        self.target_loss = ScientificSpinBox(0.0, 1e9)
        self.target_loss.setSpecialValueText("off")
        self.target_loss.setSingleStep(1e-3)
        self.target_loss.setToolTip("Training stops at the end of an epoch whose train loss is at or below "
                                    "this value. 0 = off.")
        self.speed = SpeedControl()
        form.addRow("Learning rate", self.lr)
        form.addRow("Update mode", self.mode)
        form.addRow("Batch size", self.batch_size)
        form.addRow("Weight decay", self.l2)
        form.addRow("Max epochs", self.max_epochs)
        form.addRow("Target loss", self.target_loss)
        form.addRow("Speed", self.speed)
        return group

    def _run_group(self) -> QGroupBox:
        group = QGroupBox("Run")
        grid = QGridLayout(group)
        self.train_button = QPushButton("Train")
        self.train_button.setToolTip("Start or pause training (Space)")
        self.step_epoch_button = QPushButton("Step epoch")
        self.step_epoch_button.setToolTip("Train one epoch, or finish the current one (Right arrow)")
        self.step_sample_button = QPushButton("Step sample")
        self.step_sample_button.setToolTip("Make exactly one update (Shift+Right): the bar chart and the "
                                           "arithmetic panel show what it changed")
        self.reset_button = QPushButton("Reset")
        self.reset_button.setToolTip("Start again from the same initial weights (same seed) (R)")
        self.reinit_button = QPushButton("Re-initialise")
        self.reinit_button.setToolTip("Start again with new initial weights: the next seed (Shift+R)")
        for button in (self.train_button, self.step_epoch_button, self.step_sample_button, self.reset_button,
                       self.reinit_button):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keep Space and the arrows for the shortcuts
        self.train_button.setMinimumHeight(32)
        grid.addWidget(self.train_button, 0, 0, 1, 2)
        grid.addWidget(self.step_epoch_button, 1, 0)
        grid.addWidget(self.step_sample_button, 1, 1)
        grid.addWidget(self.reset_button, 2, 0)
        grid.addWidget(self.reinit_button, 2, 1)
        return group

    def _connect_changes(self) -> None:
        self.preset.activated.connect(self._preset_activated)
        self.dataset.activated.connect(self._dataset_activated)
        self.standardize.toggled.connect(self._standardize_toggled)
        self.task.activated.connect(self._task_activated)
        for combo in (self.activation, self.output, self.loss, self.init, self.mode):
            combo.currentIndexChanged.connect(self._network_setting_changed)
        for spin in (self.hidden, self.seed, self.batch_size):
            spin.valueChanged.connect(self._network_setting_changed)
        self.l2.valueChanged.connect(self._network_setting_changed)
        self.bias.toggled.connect(self._network_setting_changed)
        self.lr.value_changed.connect(self.lr_changed)
        self.max_epochs.valueChanged.connect(self._limits_edited)
        self.target_loss.valueChanged.connect(self._limits_edited)
        self.speed.value_changed.connect(self.speed_changed)

    # --- reading and showing settings -------------------------------------------------------------
    def config(self) -> TrainConfig:
        """The settings shown, as a TrainConfig (raises SettingError for an invalid combination)."""
        return TrainConfig(
            hidden=self.hidden.value(), activation=self.activation.currentData(), output=self.output.currentData(),
            loss=self.loss.currentData(), lr=self.lr.value(), mode=self.mode.currentData(),
            batch_size=self.batch_size.value(), init=self.init.currentData(), bias=self.bias.isChecked(),
            l2=self.l2.value(), seed=self.seed.value(),
        )

    def show_config(self, config: TrainConfig) -> None:
        """Show ``config`` in the widgets without emitting change signals."""
        widgets = (self.hidden, self.activation, self.output, self.loss, self.mode, self.batch_size, self.init,
                   self.bias, self.l2, self.seed)
        blockers = [QSignalBlocker(w) for w in widgets]
        self.hidden.setValue(config.hidden)
        _select(self.activation, config.activation)
        _select(self.output, config.output)
        _select(self.loss, config.loss)
        _select(self.mode, config.mode)
        self.batch_size.setValue(config.batch_size)
        _select(self.init, config.init)
        self.bias.setChecked(config.bias)
        self.l2.setValue(config.l2)
        self.seed.setValue(config.seed)
        for blocker in blockers:
            blocker.unblock()
        self.lr.set_value(config.lr)
        self._update_enabled()

    def show_dataset(self, key: str, label: str | None = None, description: str = "",
                     dataset: Dataset | None = None) -> None:
        """Select the dataset ``key`` (adding an entry for a CSV file) without emitting signals. Given the
        ``dataset`` in use, a CSV file's Task shows the choice it was read with and the task that came of it."""
        with QSignalBlocker(self.dataset):
            index = self.dataset.findData(key)
            if index < 0:
                index = self.dataset.count() - 1  # before "CSV file…"
                self.dataset.insertItem(index, label or key, key)
                self.dataset.setItemData(index, description, Qt.ItemDataRole.ToolTipRole)
            self.dataset.setCurrentIndex(index)
        csv = key.startswith("csv:")
        self._shown_key = key
        self.dataset_info.setText(f"{description}\n{task_text(dataset)}" if csv and dataset else description)
        for row in (self.task, self.standardize):
            self._data_form.setRowVisible(row, csv)
        if dataset is not None:
            self._show_task(dataset)
            if csv:
                with QSignalBlocker(self.standardize):
                    self.standardize.setChecked(dataset.input_mean is not None)
        self._show_generator(dataset.generator if dataset is not None and key in GENERATORS else None)

    def _show_task(self, dataset: Dataset) -> None:
        """The choice the dataset was read with; the automatic choice also says what it chose."""
        chosen = next(name for name, task in TASK_CHOICES.items() if task == dataset.task_chosen)
        self._select_task(chosen, dataset.task if chosen == "automatic" else "")

    def _select_task(self, name: str, automatic_task: str = "") -> None:
        with QSignalBlocker(self.task):
            text = f"automatic: {automatic_task}" if automatic_task else "automatic"
            self.task.setItemText(self.task.findData("automatic"), text)
            _select(self.task, name)

    def task_choice(self) -> str | None:
        """What a CSV file is read as: None (automatic: from its targets), "classification" or "regression"."""
        return TASK_CHOICES[self.task.currentData()]

    def show_preset(self, name: str) -> None:
        with QSignalBlocker(self.preset):
            _select(self.preset, name)

    def show_limits(self, max_epochs: int, target_loss: float | None = None) -> None:
        with QSignalBlocker(self.max_epochs), QSignalBlocker(self.target_loss):
            self.max_epochs.setValue(max_epochs)
            self.target_loss.setValue(target_loss or 0.0)

    def target(self) -> float | None:
        value = self.target_loss.value()
        return value if value > 0 else None

    def set_running(self, running: bool) -> None:
        self.train_button.setText("Pause" if running else "Train")

    def set_trainable(self, trainable: bool) -> None:
        """Disable Train and the steps (after a divergence, until a reset)."""
        for button in (self.train_button, self.step_epoch_button, self.step_sample_button):
            button.setEnabled(trainable)

    # --- reacting to edits ------------------------------------------------------------------------
    def _update_enabled(self) -> None:
        self.batch_size.setEnabled(self.mode.currentData() == "minibatch")

    @Slot(int)
    def _preset_activated(self, index: int) -> None:
        name = self.preset.itemData(index)
        if name:
            self.preset_chosen.emit(name)

    @Slot(int)
    def _dataset_activated(self, index: int) -> None:
        key = self.dataset.itemData(index)
        if key != self._shown_key:  # another file starts as automatic (show_dataset puts back the one in use)
            self._select_task("automatic")
        self.dataset_chosen.emit(key)

    @Slot(bool)
    def _standardize_toggled(self, _on: bool) -> None:
        self.csv_choice_changed.emit()

    @Slot(int)
    def _task_activated(self, _index: int) -> None:
        self.csv_choice_changed.emit()

    @Slot()
    def _network_setting_changed(self) -> None:
        self._keep_output_and_loss_compatible()
        self._update_enabled()
        self.network_changed.emit()

    def _keep_output_and_loss_compatible(self) -> None:
        """Cross-entropy needs the sigmoid output: follow whichever of the two the user just changed."""
        if LOSSES[self.loss.currentData()].needs_sigmoid and self.output.currentData() != "sigmoid":
            sender = self.sender()
            with QSignalBlocker(self.loss), QSignalBlocker(self.output):
                if sender is self.output:
                    _select(self.loss, "squared")
                else:
                    _select(self.output, "sigmoid")

    @Slot()
    def _limits_edited(self) -> None:
        self.limits_changed.emit()
