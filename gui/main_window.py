"""The main window: control panel, plots, arithmetic panel, menus, shortcuts and the status line.

It talks to the model only through the TrainingController (commands) and Frames (immutable copies the
worker publishes); a timer pulls the newest Frame about 50 times a second and draws it.
"""

from __future__ import annotations

import collections
import contextlib
import math
from pathlib import Path

import numpy as np
from PySide6.QtCore import QByteArray, QPoint, QRect, QSettings, QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent, QFont, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QLayout,
    QMainWindow,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from gui.controls import CSV_CHOICE, DATASET_LABELS, ControlPanel
from gui.csv_dialog import csv_paths_from_mime
from gui.files import FileActions
from gui.gc_guard import collect_on_gui_thread
from gui.past import RunPast
from gui.remembered import LastSettings, load_last, save_last
from gui.sessions import SESSION_FILTERS, SessionActions
from gui.undo import NetworkState, UndoStack
from gui.views.arithmetic import format_update
from gui.views.boundary import BoundaryPlot
from gui.views.common import configure_pyqtgraph
from gui.views.diagram import NetworkDiagram
from gui.views.hidden_space import HiddenSpaceView
from gui.views.history_bar import HistoryBar
from gui.views.loss import LossPlot
from gui.views.pinned_runs import PinnedRunsPanel, runs_from_session, runs_to_session
from gui.views.weights import WeightsPlot
from gui.widgets import RESOURCES, HelpDialog, MessageBar, SettingsScroll
from gui.worker import Frame, PastState, TrainingController
from model.config import SettingError, TrainConfig
from model.curvature import lr_remark
from model.datasets import Dataset, load_dataset
from model.drawing import with_point, without_nearest
from model.generators import GENERATORS, generate
from model.network import NetworkSpec, Params
from model.presets import DATASET_DEFAULTS, PRESETS, matching_preset
from model.session import SUFFIX as SESSION_SUFFIX
from model.trainer import Trainer, epoch_count

# ~33 frames per second at most; a frame is drawn only when the worker has published a new one. Drawing
# shares the GIL with training, so a faster rate would slow training more than it would add to the eye.
FRAME_INTERVAL_MS = 30
RATE_WINDOW_SECONDS = 1.0
# The window's sizes, in logical pixels. It opens at DEFAULT_SIZE or the screen's available area, whichever is
# smaller (less a margin for the title bar and borders the window manager adds), and never needs more than
# MIN_SIZE: 200% scaling on a 1600x1000 screen leaves 800x500 logical pixels, minus the frame.
DEFAULT_SIZE = QSize(1400, 900)
MIN_SIZE = QSize(640, 420)
FRAME_MARGIN = QSize(16, 40)
SETTINGS_GEOMETRY = "window/geometry"
SETTINGS_SPLITTER = "window/splitter/"  # + the splitter's name
DEFAULT_DATASET = "xor"
DRAWN_KEY = "drawn"  # the dataset key of data edited by drawing on the boundary plot


class MainWindow(QMainWindow):
    frame_drawn = Signal(int)  # the seq of the frame just drawn (for tests and the benchmark)

    def __init__(self, parent=None, settings: QSettings | None = None):
        """``settings``: where the window's geometry and splitter sizes are restored from (see restore_layout)
        and saved to when it closes; None (tests, screenshots, offscreen runs): nothing is read or saved."""
        super().__init__(parent)
        self.settings = settings
        configure_pyqtgraph()
        collect_on_gui_thread()  # the window's threads must never free its Qt objects
        self.setWindowTitle("Perceptron Playground")
        icon = RESOURCES / "icon.svg"
        if icon.exists():
            self.setWindowIcon(QIcon(str(icon)))
        self.controller = TrainingController(self)
        self.controller.run_stopped.connect(self._on_run_stopped)
        self._network_id = 0
        self._config: TrainConfig | None = None
        self._dataset: Dataset | None = None
        self._dataset_key = ""
        self._preset = ""
        self._initial_theta: np.ndarray | None = None
        self._kernel_key = (0, 0)
        self._initial: Params | None = None  # imported weights the network started from (Reset returns to them)
        self._trainer: Trainer | None = None  # handed to the worker; kept only to give it back on undo
        self._next_network_id = 0
        self._undo = UndoStack()
        self._frame: Frame | None = None  # the frame drawn last
        self._structure_for = -1  # network id the plots are laid out for
        self._rate_points: collections.deque = collections.deque()
        self._rate = 0.0
        self._diverged_shown = False
        self._drawn: Dataset | None = None  # the points drawn last (the "Drawn" dataset entry returns to them)
        self.frames_drawn = 0
        self._help: HelpDialog | None = None
        self.files = FileActions(self)
        self.sessions = SessionActions(self)
        try:
            self._build()
        except BaseException:
            self.controller.shutdown()  # never leave a running thread behind a half-built window
            raise

    def _build(self) -> None:
        self._build_widgets()
        self._build_actions()
        self._build_status_bar()
        self._connect_panel()
        self._connect_views()
        self._frame_timer = QTimer(self)
        self._frame_timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._frame_timer.setInterval(FRAME_INTERVAL_MS)
        self._frame_timer.timeout.connect(self.refresh)
        self.apply_dataset(DEFAULT_DATASET)
        self._frame_timer.start()
        # A fixed minimum instead of one that follows the layout: the minimum never changes after the window
        # exists, so Qt never re-sends size hints (which platforms like "offscreen" warn they cannot take).
        self.layout().setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        self.setMinimumSize(MIN_SIZE)
        self.setAcceptDrops(True)  # a CSV file dropped on the window opens the import dialog
        self.fit_to_screen()

    # --- building ---------------------------------------------------------------------------------
    def _build_widgets(self) -> None:
        self.panel = ControlPanel()
        # The settings scroll when the window is short; the Run group stays below them, always in view.
        self.run_group = self.panel.train_button.parentWidget()
        self.run_group.setParent(None)
        self.panel.layout().removeWidget(self.run_group)
        scroll = SettingsScroll()
        scroll.setWidget(self.panel)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.settings_scroll = scroll
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.setSpacing(0)
        left_layout.addWidget(scroll)
        run_margin = QVBoxLayout()
        run_margin.setContentsMargins(6, 0, 6, 6)
        run_margin.addWidget(self.run_group)
        left_layout.addLayout(run_margin)
        left_layout.addStretch(1)  # room to spare goes below the Run buttons; the settings shrink (and scroll) first
        panel_width = max(self.panel.sizeHint().width(), self.run_group.sizeHint().width() + 12)
        left.setMinimumWidth(panel_width + scroll.verticalScrollBar().sizeHint().width())
        left.setMaximumWidth(panel_width + 120)
        self.loss_plot = LossPlot()
        self.loss_plot.setToolTip("Train and test loss at the end of each epoch (log scale). "
                                  "Drag to pan, wheel to zoom, right-click for options.")
        self.boundary_plot = BoundaryPlot()
        self.boundary_plot.view.setToolTip("The network's output over the input plane, with fixed colour levels; "
                                           "circles: training points, squares: test points, coloured by target.")
        self.boundary_plot.slice_changed.connect(self._redraw_boundary)
        self.weights_plot = WeightsPlot()
        self.weights_plot.repick_wanted.connect(self.controller.repick_shown)
        self._weights_shown = None  # the ShownParams the weights plot is laid out for
        self.weights_plot.setToolTip("Top: each parameter's value after every epoch. Bottom: the change the last "
                                     "update made to each (Step sample shows one update exactly); in networks of "
                                     "more than 64 parameters, a histogram of every parameter's change: "
                                     "right-click to show the units with the largest |w2| now.")
        self.arithmetic = QPlainTextEdit()
        self.arithmetic.setReadOnly(True)
        self.arithmetic.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        mono = QFont("DejaVu Sans Mono")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        mono.setPointSize(9)
        self.arithmetic.setFont(mono)
        self.arithmetic.setToolTip("The arithmetic of the last update: forward pass, loss, backward pass, and each "
                                   "parameter's gradient and change. Shown when paused or stepping.")
        arithmetic_box = QWidget()
        arithmetic_layout = QVBoxLayout(arithmetic_box)
        arithmetic_layout.setContentsMargins(0, 0, 0, 0)
        arithmetic_layout.setSpacing(2)
        title = QLabel("Arithmetic of the last update")
        title.setStyleSheet("font-weight: bold; padding: 4px 2px 0 2px;")
        arithmetic_layout.addWidget(title)
        arithmetic_layout.addWidget(self.arithmetic, 1)

        self.message_bar = MessageBar()
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 4, 4, 0)
        right_layout.setSpacing(4)
        right_layout.addWidget(self.message_bar)
        # Every boundary between the panel and the plots, and between the plots, is a splitter the user can drag;
        # their sizes are saved with the window's geometry. Initial sizes are proportions: the splitters scale
        # them to the space they get.
        # The network itself first (where the eye lands), beside what it computes over the input plane or where
        # it maps the data; below, the loss beside the details: every weight over time, the arithmetic of an
        # update, the pinned runs.
        self.network_diagram = NetworkDiagram(boundary=self.boundary_plot)
        self.network_tabs = _tabs([(self.network_diagram, "Network")])
        self.hidden_space = HiddenSpaceView(boundary=self.boundary_plot)
        self.plane_tabs = _tabs([(self.boundary_plot, "Output"), (self.hidden_space, "Hidden space")])
        self.pinned_runs = PinnedRunsPanel()
        self.pinned_runs.pin_wanted.connect(self.pin_run)
        self.pinned_runs.changed.connect(lambda: self.loss_plot.show_pinned(self.pinned_runs.runs()))
        self.detail_tabs = _tabs([(self.weights_plot, "Weights"), (arithmetic_box, "Arithmetic"),
                                  (self.pinned_runs, "Pinned runs")])
        self.splitters = {
            "top": _splitter(Qt.Orientation.Horizontal, [self.network_tabs, self.plane_tabs], [5600, 5200]),
            "bottom": _splitter(Qt.Orientation.Horizontal, [self.loss_plot, self.detail_tabs], [4400, 6400]),
        }
        self.splitters["plots"] = _splitter(Qt.Orientation.Vertical, [self.splitters["top"],
                                                                      self.splitters["bottom"]], [5000, 5000])
        right_layout.addWidget(self.splitters["plots"], 1)
        self.history_bar = HistoryBar()
        right_layout.addWidget(self.history_bar)
        self.splitters["main"] = _splitter(Qt.Orientation.Horizontal, [left, right], [panel_width, 10_000])
        self.splitters["main"].setStretchFactor(1, 1)  # a wider window widens the plots, not the panel
        self.setCentralWidget(self.splitters["main"])

    # --- the window's size and place ------------------------------------------------------------------
    def available_geometry(self) -> QRect:
        """The part of the window's screen that windows may use (without panels and docks), logical pixels."""
        screen = self.screen()
        return screen.availableGeometry() if screen is not None else QRect(QPoint(0, 0), DEFAULT_SIZE)

    def fit_to_screen(self, wanted: QSize | None = None) -> None:
        """Resize to ``wanted`` (default DEFAULT_SIZE) but no larger than the screen's available area, and
        move the window so that all of it is on that area."""
        area = self.available_geometry()
        self.resize(fit_to_screen(area.size(), wanted or DEFAULT_SIZE))
        self.move(place_on_screen(area, self.frameGeometry().topLeft(), self.size()))

    def save_last_settings(self) -> None:
        """Remember the network in use (its settings and dataset) for the next launch."""
        if self.settings is not None and self._config is not None:
            save_last(self.settings, LastSettings(self._config, self._dataset_key, self._preset,
                                                  self.panel.max_epochs.value()))

    def restore_last_settings(self) -> bool:
        """Start the network that was in use at the last close (a CSV file is read again in the background);
        False, changing nothing, if there is none or it cannot be used now."""
        last = load_last(self.settings) if self.settings is not None else None
        if last is None:
            return False
        key = last.dataset_key
        if key.startswith("csv:"):
            path = Path(key.removeprefix("csv:"))
            return path.is_file() and self.files.open_csv(path, last.config, last.max_epochs)
        if key not in DATASET_DEFAULTS:
            return False
        return self.new_network(last.config, key, load_dataset(key), max_epochs=last.max_epochs,
                                preset=matching_preset(last.preset, last.config, key))

    def restore_layout(self) -> bool:
        """Restore the geometry and splitter sizes saved in ``settings`` at the last close, clamped to the
        screen as it is now; without saved ones, fit DEFAULT_SIZE to the screen. True if any were restored."""
        restored = False
        if self.settings is not None:
            for name, splitter in self.splitters.items():
                state = self.settings.value(SETTINGS_SPLITTER + name)
                if isinstance(state, QByteArray) and splitter.restoreState(state):
                    restored = True
            geometry = self.settings.value(SETTINGS_GEOMETRY)
            if isinstance(geometry, QByteArray) and self.restoreGeometry(geometry):
                if not self.isMaximized() and not self.isFullScreen():
                    self.fit_to_screen(self.size())  # the screen may be smaller than the last one
                return True
        self.fit_to_screen()
        return restored

    def save_layout(self) -> None:
        """Write the geometry and splitter sizes to ``settings`` (nothing without settings)."""
        if self.settings is None:
            return
        self.settings.setValue(SETTINGS_GEOMETRY, self.saveGeometry())
        for name, splitter in self.splitters.items():
            self.settings.setValue(SETTINGS_SPLITTER + name, splitter.saveState())
        self.settings.sync()

    def _action(self, text: str, slot, shortcut=None, tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setToolTip(tip or text)
        action.setStatusTip(tip or text)
        action.triggered.connect(slot)
        self.addAction(action)  # shortcuts work whether or not a menu shows the action
        return action

    def _build_actions(self) -> None:
        key = Qt.Key
        mod = Qt.KeyboardModifier
        self.train_action = self._action("Train / Pause", self.toggle_training, key.Key_Space,
                                         "Start or pause training")
        self.step_epoch_action = self._action("Step epoch", self.step_epoch, key.Key_Right,
                                              "Train one epoch (or finish the current one)")
        self.step_sample_action = self._action("Step sample", self.step_sample,
                                               QKeySequence(mod.ShiftModifier | key.Key_Right),
                                               "Make exactly one update")
        self.reset_action = self._action("Reset", self.reset, key.Key_R, "Same seed: the same initial weights again")
        self.reinit_action = self._action("Re-initialise", self.reinitialise,
                                          QKeySequence(mod.ShiftModifier | key.Key_R), "New seed: new initial weights")
        self.import_action = self._action("Import weights…", self.files.ask_import_weights, QKeySequence("Ctrl+O"),
                                          "Load weights (.npz or .json) and continue training from them")
        self.export_action = self._action("Export weights…", self.files.ask_export_weights, QKeySequence("Ctrl+E"),
                                          "Save the current weights (.npz or .json)")
        self.save_session_action = self._action("Save session…", self.ask_save_session, QKeySequence("Ctrl+S"),
                                                "Save everything about this run (settings, data, weights, history) "
                                                "to reopen and continue it exactly")
        self.open_session_action = self._action("Open session…", self.ask_open_session,
                                                QKeySequence("Ctrl+Shift+O"), "Reopen a saved session and go on")
        self.open_csv_action = self._action("Open CSV dataset…", self.files.ask_open_csv, None,
                                            "Train on numeric columns from a CSV file (the last is the target)")
        self.export_animation_action = self._action("Export animation…", self.files.ask_export_animation, None,
                                                    "Save the run (boundary and loss over the recorded epochs) as "
                                                    "PNG frames, or an animated GIF with Pillow")
        self.save_data_action = self._action("Save data as CSV…", self.files.ask_save_data, None,
                                             "Save the data in use (drawn points too) as a CSV file the app opens")
        self.export_history_action = self._action("Export loss history (CSV)…", self.files.ask_export_history, None,
                                                  "Save the per-epoch losses and accuracy / R² as CSV")
        quit_action = self._action("Quit", self.close, QKeySequence("Ctrl+Q"), "Close the window")
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction(self.open_session_action)
        file_menu.addAction(self.save_session_action)
        file_menu.addAction(self.open_csv_action)
        self.recent_menu = file_menu.addMenu("Open recent")
        self.recent_menu.aboutToShow.connect(lambda: self.files.fill_recent_menu(self.recent_menu))
        file_menu.addSeparator()
        file_menu.addAction(self.import_action)
        file_menu.addAction(self.export_action)
        file_menu.addAction(self.export_history_action)
        file_menu.addAction(self.save_data_action)
        file_menu.addAction(self.export_animation_action)
        plot_menu = file_menu.addMenu("Export plot")
        for name, label in (("network", "Network diagram…"), ("loss", "Loss plot…"),
                            ("boundary", "Decision boundary plot…"), ("weights", "Weights plot…"),
                            ("window", "Whole window…")):
            action = QAction(label, self)
            action.setData(name)
            action.setStatusTip(f"Save the {label.rstrip('…').lower()} as PNG or SVG")
            action.triggered.connect(self.files.export_plot_triggered)
            plot_menu.addAction(action)
        file_menu.addSeparator()
        file_menu.addAction(quit_action)
        self.pin_action = self._action("Pin this run", self.pin_run, QKeySequence("Ctrl+P"),
                                       "Keep this run's loss curve and boundary to compare with later runs")
        self.undo_action = self._action("Undo", self.undo, QKeySequence.StandardKey.Undo,
                                        "Bring back the network the last change replaced, as it was")
        self.redo_action = self._action("Redo", self.redo, QKeySequence.StandardKey.Redo,
                                        "Return to the network Undo replaced")
        edit_menu = self.menuBar().addMenu("&Edit")
        edit_menu.addAction(self.undo_action)
        edit_menu.addAction(self.redo_action)
        train_menu = self.menuBar().addMenu("&Train")
        for action in (self.train_action, self.step_epoch_action, self.step_sample_action, None, self.reset_action,
                       self.reinit_action, None, self.pin_action):
            if action is None:
                train_menu.addSeparator()
            else:
                train_menu.addAction(action)
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(self._action("Guide and shortcuts", self.show_help, QKeySequence("F1"),
                                         "What the window shows and how to use it"))
        help_menu.addAction(self._action("About", self.show_about, None, "About Perceptron Playground"))

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        # A file read in the background: a busy bar and its name, until it is in (or refused).
        self.loading_bar = QProgressBar()
        self.loading_bar.setRange(0, 0)
        self.loading_bar.setMaximumWidth(120)
        self.loading_bar.setMaximumHeight(14)
        self.loading_label = QLabel()
        for widget in (self.loading_label, self.loading_bar):
            widget.hide()
            bar.addWidget(widget)
        self.files.loading_changed.connect(self._show_loading)
        self.status_labels = {}
        tips = {
            "state": "Training state",
            "epoch": "Completed epochs (+ updates made in the unfinished epoch)",
            "updates": "Updates applied since the start",
            "loss": "Train loss of the last epoch (and test loss)",
            "metric": "Accuracy (classification) or R² (regression) of the last epoch, train (and test)",
            "rate": "Epochs per second over the last second",
        }
        for name, tip in tips.items():
            label = QLabel()
            label.setToolTip(tip)
            label.setContentsMargins(8, 0, 8, 0)
            bar.addPermanentWidget(label)
            self.status_labels[name] = label

    def _connect_views(self) -> None:
        """What the views ask of the run: its past (RunPast: scrub and inspect; resume here), and edits."""
        controller = self.controller
        self.run_past = RunPast(self)
        self.history_bar.resume_wanted.connect(self.resume_from)
        controller.branched.connect(self._adopt_branch)
        controller.refused.connect(lambda message: self.show_error(message, topic="past"))
        self.boundary_plot.point_added.connect(self.add_point)
        self.boundary_plot.point_removed.connect(self.remove_point)
        self.network_diagram.parameter_edited.connect(
            lambda index, value: controller.set_parameter(self._network_id, index, value))

    def _connect_panel(self) -> None:
        panel = self.panel
        panel.train_button.clicked.connect(self.toggle_training)
        panel.step_epoch_button.clicked.connect(self.step_epoch)
        panel.step_sample_button.clicked.connect(self.step_sample)
        panel.reset_button.clicked.connect(self.reset)
        panel.reinit_button.clicked.connect(self.reinitialise)
        panel.preset_chosen.connect(self._preset_chosen)
        panel.dataset_chosen.connect(self._dataset_chosen)
        panel.csv_choice_changed.connect(self._csv_choice_changed)
        panel.network_changed.connect(self._network_setting_changed)
        panel.lr_changed.connect(self._lr_changed)
        panel.limits_changed.connect(self._limits_changed)
        panel.speed_changed.connect(self._speed_changed)
        panel.generator_changed.connect(self.regenerate)

    # --- choosing what to train -------------------------------------------------------------------
    def apply_preset(self, name: str) -> bool:
        preset = PRESETS[name]
        return self.new_network(preset.config, preset.dataset, load_dataset(preset.dataset), max_epochs=preset.epochs,
                                preset=name)

    def apply_dataset(self, key: str) -> bool:
        config, epochs = DATASET_DEFAULTS[key]
        return self.new_network(config, key, load_dataset(key), max_epochs=epochs)

    def new_network(self, config: TrainConfig, key: str, dataset: Dataset, initial: Params | None = None,
                    max_epochs: int | None = None, preset: str = "", note: str = "", undoable: bool = False) -> bool:
        """Make a new Trainer and hand it to the worker; False (settings shown unchanged, the message bar saying
        why) if the settings cannot be used. A trained network it replaces can be brought back with undo()."""
        try:
            trainer = Trainer(config, dataset, initial)
        except SettingError as exc:
            self.show_error(str(exc), topic="settings")
            self.show_current_settings()
            return False
        self._replace_with(trainer, config, key, dataset, initial, max_epochs, preset, note, undoable=undoable)
        return True

    def _replace_with(self, trainer: Trainer, config: TrainConfig, key: str, dataset: Dataset, initial: Params | None,
                      max_epochs: int | None, preset: str, note: str, initial_theta: np.ndarray | None = None,
                      undoable: bool = False) -> None:
        """Make ``trainer`` the network in use; the one it replaces goes to the undo stack if it was trained, or
        always when ``undoable`` (an edit of the data, which Undo must take back)."""
        replaced = self._current_state()
        if replaced is not None and (replaced.updates > 0 or undoable):
            self._undo.replaced(replaced)
            note = note or (f"A new network replaced the one trained {replaced.epochs:,} epochs: Edit > Undo "
                            "(Ctrl+Z) brings it back.")
        self._network_id = self._next_network_id = self._next_network_id + 1
        if initial_theta is None:
            initial_theta = trainer.params.theta.copy()  # read before the hand-over; never touched after
        state = NetworkState(trainer, self._network_id, config, dataset, key, preset, initial, initial_theta,
                             max_epochs or self.panel.max_epochs.value(), trainer.epoch, trainer.updates)
        self._kernel_key = trainer.kernel_key
        self._adopt(state, note)

    def _current_state(self) -> NetworkState | None:
        """The network in use, as the undo stack keeps it."""
        if self._trainer is None:
            return None
        frame = self._current_frame()
        config = frame.snapshot.config if frame is not None else self._config
        epochs, updates = (frame.snapshot.epoch, frame.snapshot.updates) if frame is not None else (0, 0)
        return NetworkState(self._trainer, self._network_id, config, self._dataset, self._dataset_key, self._preset,
                            self._initial, self._initial_theta, self.panel.max_epochs.value(),
                            epochs, updates)

    def _adopt(self, state: NetworkState, note: str = "") -> None:
        """Make ``state``'s network the one in use: the worker trains it from where it is; the widgets show
        its settings. Training goes on if it was on."""
        was_running = self.controller.running
        self._trainer, self._network_id = state.trainer, state.network
        self._config, self._dataset, self._dataset_key, self._preset = (state.config, state.dataset,
                                                                        state.dataset_key, state.preset)
        self._initial, self._initial_theta = state.initial, state.initial_theta
        self.controller.set_trainer(state.trainer, state.network)
        self.panel.show_limits(state.max_epochs, self.panel.target())
        self._limits_changed()
        self._speed_changed(self.panel.speed.value())
        self._diverged_shown = False
        self.run_past.reset()
        self._rate_points.clear()
        self.panel.set_trainable(True)
        self.panel.set_running(False)
        self.show_current_settings()
        title = DATASET_LABELS.get(state.dataset_key, state.dataset.name)
        self.setWindowTitle(f"Perceptron Playground — {title}")
        # Every message spoke of the network replaced, or of settings now superseded.
        self.message_bar.hide()
        self.statusBar().clearMessage()
        if note:
            self.message_bar.show_message(note, "info")
        self._update_undo_actions()
        if was_running:
            self.start_training()

    @Slot()
    def undo(self) -> bool:
        """Bring back the network replaced last (the one in use can then be redone)."""
        return self._restore(self._undo.undo(self._current_state()))

    @Slot()
    def redo(self) -> bool:
        return self._restore(self._undo.redo(self._current_state()))

    def _restore(self, state: NetworkState | None) -> bool:
        if state is None:
            return False
        self._adopt(state, f"Restored the network trained {state.epochs:,} epochs ({state.label()}).")
        return True

    def _update_undo_actions(self) -> None:
        for action, state, verb in ((self.undo_action, self._undo.next_undo(), "Undo"),
                                    (self.redo_action, self._undo.next_redo(), "Redo")):
            action.setEnabled(state is not None)
            action.setText(f"{verb}: back to the network of {state.label()}" if state else verb)

    def show_current_settings(self) -> None:
        """Put the widgets back to the settings of the network in use."""
        if self._config is None:
            return
        dataset = self._dataset
        label = DATASET_LABELS.get(self._dataset_key) or (f"Drawn: {dataset.name}" if self._dataset_key == DRAWN_KEY
                                                          else f"CSV: {dataset.name.removeprefix('csv:')}")
        self.panel.show_dataset(self._dataset_key, label, dataset.description, dataset)
        self.panel.show_config(self._config)
        self.panel.show_preset(self._preset)
        self.pinned_runs.set_current(self._config, self._dataset_key)

    @Slot(str)
    def _preset_chosen(self, name: str) -> None:
        self.apply_preset(name)

    @Slot(str)
    def _dataset_chosen(self, key: str) -> None:
        if key == CSV_CHOICE:
            self.files.ask_open_csv()
        elif key == DRAWN_KEY:  # back to the points drawn last
            self.new_network(self._config, DRAWN_KEY, self._drawn, preset="")
        elif key.startswith("csv:"):
            self.files.open_csv(key.removeprefix("csv:"))
        else:
            self.apply_dataset(key)

    @Slot()
    def _csv_choice_changed(self) -> None:
        if self._dataset_key.startswith("csv:"):
            self.files.reread_csv(self._dataset_key.removeprefix("csv:"))

    @Slot()
    def _network_setting_changed(self) -> None:
        try:
            config = self.panel.config()
        except SettingError as exc:
            self.show_error(str(exc))
            self.show_current_settings()
            return
        if config == self._config:
            return
        self.new_network(config, self._dataset_key, self._dataset, initial=self._initial_if_fits(config),
                         preset=matching_preset(self._preset, config, self._dataset_key))

    @Slot(float)
    def _lr_changed(self, lr: float) -> None:
        """The learning rate applies at the next step, without a new network."""
        self._config = self._config.replace(lr=lr)
        self.controller.set_learning_rate(lr)
        self.pinned_runs.set_current(self._config, self._dataset_key)
        if self._preset and not matching_preset(self._preset, self._config, self._dataset_key):
            self._preset = ""
            self.panel.show_preset("")

    @Slot()
    def _limits_changed(self) -> None:
        self.controller.set_limits(self.panel.max_epochs.value(), self.panel.target())

    @Slot(float)
    def _speed_changed(self, epochs_per_second: float) -> None:
        self.controller.set_speed(epochs_per_second)

    # --- running ----------------------------------------------------------------------------------
    @Slot()
    def toggle_training(self) -> None:
        if self.controller.running:
            self.pause_training()
        else:
            self.start_training()

    def start_training(self) -> bool:
        frame = self._current_frame()
        if frame is not None and frame.snapshot.diverged:
            self.show_error(frame.snapshot.diverged.message + " Press Reset (R) to start again.")
            return False
        max_epochs = self.panel.max_epochs.value()
        if frame is not None and frame.snapshot.epoch >= max_epochs:
            self.statusBar().showMessage(f"Already at the maximum of {max_epochs:,} epochs: raise Max epochs to "
                                         "train further.", 8000)
            return False
        self._limits_changed()
        self.controller.start()
        self.panel.set_running(True)
        self.statusBar().clearMessage()
        return True

    def pause_training(self) -> None:
        self.controller.pause()
        self.panel.set_running(False)

    @contextlib.contextmanager
    def paused(self):
        """Training pauses while a dialog asks something, and goes on after it."""
        was_running = self.controller.running
        if was_running:
            self.pause_training()
        try:
            yield
        finally:
            if was_running and not self.controller.running:
                self.start_training()

    @Slot()
    def step_epoch(self) -> None:
        if not self._may_step():
            return
        self.pause_training()
        self.controller.step_epoch()

    @Slot()
    def step_sample(self) -> None:
        if not self._may_step():
            return
        self.pause_training()
        self.controller.step_update()

    def _may_step(self) -> bool:
        frame = self._current_frame()
        if frame is not None and frame.snapshot.diverged:
            self.show_error(frame.snapshot.diverged.message + " Press Reset (R) to start again.")
            return False
        return True

    @Slot()
    def reset(self) -> None:
        """The same settings and initial weights again: the seed's, or the imported ones."""
        self.new_network(self._config, self._dataset_key, self._dataset, initial=self._initial, preset=self._preset)

    @Slot()
    def reinitialise(self) -> None:
        """The next seed: new initial weights."""
        config = self._config.replace(seed=(self._config.seed + 1) % 2**31)
        self.new_network(config, self._dataset_key, self._dataset, preset=matching_preset(self._preset, config,
                                                                                          self._dataset_key))

    def _initial_if_fits(self, config: TrainConfig) -> Params | None:
        """Imported weights still apply to a new network with the same shape (an activation or a mode changed)."""
        initial = self._initial
        return initial if initial is not None and initial.n_hidden == config.hidden else None

    @Slot(str)
    def _on_run_stopped(self, reason: str) -> None:
        self.panel.set_running(False)
        self.refresh()
        frame = self._current_frame()
        if frame is not None:
            self._update_status(frame)  # the last frame may have been drawn while the run was on
        if reason == "max_epochs":
            self.statusBar().showMessage(f"Done: reached the maximum of {self.panel.max_epochs.value():,} epochs.")
        elif reason == "target" and frame is not None and frame.snapshot.last_epoch:
            loss = frame.snapshot.last_epoch["train_loss"]
            self.statusBar().showMessage(f"Done: the train loss {loss:.4g} reached the target loss.")
        elif reason == "diverged" and frame is not None:
            self._show_divergence(frame)

    def _show_divergence(self, frame: Frame) -> None:
        if self._diverged_shown:
            return
        self._diverged_shown = True
        diverged = frame.snapshot.diverged
        remark = lr_remark(diverged.lr, frame.lr_limit)  # the estimate before it diverged
        self.message_bar.show_message(f"<b>Training diverged</b> at {diverged.where}: {diverged.reason}"
                                      + (f" ({remark}.)" if remark else "")
                                      + " Export them with Ctrl+E, or lower the learning rate and press Reset (R), or "
                                        "go back to an earlier epoch on the history bar and Resume from here.",
                                      "error")
        self.statusBar().showMessage("Training diverged: paused.")
        self.panel.set_running(False)
        self.panel.set_trainable(False)

    @property
    def network_id(self) -> int:
        """The number of the network in use; it changes whenever a new network replaces it."""
        return self._network_id

    @property
    def kernel_key(self) -> tuple[int, int]:
        """The compiled loop the newest network trains on (model/kernel.py KEYS), if the rule picks one."""
        return self._kernel_key

    @property
    def dataset(self) -> Dataset | None:
        """The dataset of the network in use."""
        return self._dataset

    @property
    def dataset_key(self) -> str:
        """The dataset's key: a built-in name, or "csv:" and the file's path."""
        return self._dataset_key

    def plot_widgets(self) -> dict[str, QWidget]:
        """What File > Export plot can save, by name."""
        return {"network": self.network_diagram, "loss": self.loss_plot, "boundary": self.boundary_plot.view,
                "weights": self.weights_plot, "window": self}

    def wait_for_views(self) -> None:
        """Wait until the views computed in the background show the newest weights (for exports and screenshots;
        the window itself never waits)."""
        self.boundary_plot.wait_for_surface()
        self.network_diagram.wait_for_maps()

    def show_plot(self, name: str) -> None:
        """Bring the page of plot_widgets()[name] to the front of its tabs (before it is exported)."""
        widget = self.plot_widgets()[name]
        for tabs in (self.network_tabs, self.plane_tabs, self.detail_tabs):
            for index in range(tabs.count()):
                if tabs.widget(index).isAncestorOf(widget) or tabs.widget(index) is widget:
                    tabs.setCurrentIndex(index)

    @property
    def config(self) -> TrainConfig | None:
        """The settings of the network in use (the learning rate as it is now)."""
        return self._config

    # --- drawing ----------------------------------------------------------------------------------
    def drawn_frame(self) -> Frame | None:
        """The frame last drawn, if it belongs to the network in use."""
        return self._current_frame()

    def _current_frame(self) -> Frame | None:
        frame = self._frame
        return frame if frame is not None and frame.network == self._network_id else None

    @Slot()
    def refresh(self) -> bool:
        """Draw the newest frame if there is one not drawn yet (the frame timer calls this)."""
        frame = self.controller.latest_frame()
        if frame is None or frame.network != self._network_id or (self._frame is not None
                                                                  and frame.seq == self._frame.seq):
            self._update_rate(None)
            return False
        if self._only_progress(frame):  # a long update under way: only the status line has news
            self._update_status(frame)
            self._frame = frame
            self.frames_drawn += 1
            self.frame_drawn.emit(frame.seq)
            return True
        with self.controller.turns.gui_turn():  # a GIL-bound worker waits meanwhile
            if self._structure_for != frame.network:
                self._lay_out_plots(frame)
            elif frame.shown is not self._weights_shown:  # the worker re-picked the units
                self.weights_plot.set_params(frame.shown.names, frame.shown.caption, self._initial_theta)
                self._weights_shown = frame.shown
            self._draw(frame)
        self._frame = frame
        self.frames_drawn += 1
        self.frame_drawn.emit(frame.seq)
        return True

    def _only_progress(self, frame: Frame) -> bool:
        """Whether ``frame`` differs from the one drawn only in the progress of an update under way."""
        drawn = self._frame
        return (drawn is not None and drawn.network == frame.network and drawn.shown is frame.shown
                and drawn.running == frame.running and drawn.snapshot.updates == frame.snapshot.updates
                and drawn.explanation is None and frame.explanation is None)

    def _lay_out_plots(self, frame: Frame) -> None:
        snapshot = frame.snapshot
        config = snapshot.config
        spec = NetworkSpec.from_config(config)
        self.boundary_plot.set_network(frame.dataset, spec, config.hidden)
        # on the boundary's plane and slice:
        self.network_diagram.set_network(frame.dataset, spec, config.hidden, frame.names)
        self.hidden_space.set_network(frame.dataset, spec, config.hidden, frame.names)
        self.weights_plot.set_params(frame.shown.names, frame.shown.caption, self._initial_theta)
        self._weights_shown = frame.shown
        self.loss_plot.clear_data()
        self._structure_for = frame.network

    def _draw(self, frame: Frame) -> None:
        """Feed every view the frame."""
        snapshot = frame.snapshot
        self.panel.lr.set_limit(frame.lr_limit)
        self.loss_plot.show_history(snapshot.history, running=frame.running)
        if self.run_past.shown() is None:
            self.show_weights(snapshot.theta, final=not frame.running)
        self.run_past.show_editable(frame)
        self.history_bar.set_recorded(snapshot.history["epoch"], snapshot.updates, snapshot.updates_per_epoch)
        self.run_past.frame_drawn(frame)
        self.weights_plot.show_snapshot(snapshot, frame.shown.index, running=frame.running,
                                                      histogram=frame.change)
        if frame.explanation is not None or snapshot.updates == 0:
            self.arithmetic.setPlainText(format_update(snapshot, frame.explanation, frame.dataset, frame.names,
                                                       frame.shown.index))
        elif frame.running and (self._frame is None or not self._frame.running):
            self.arithmetic.setPlainText("Training… the arithmetic of the last update shows here when paused "
                                         "or stepping.")
        self._update_rate(frame)
        self._update_status(frame)
        if snapshot.diverged:
            self._show_divergence(frame)

    def show_weights(self, theta: np.ndarray, final: bool = True) -> None:
        """The views of one set of weights: the live network's, or a past epoch's."""
        self.boundary_plot.show_network(theta, final=final)
        self.network_diagram.show_params(theta, final=final)
        self.hidden_space.show_params(theta, final=final)

    @Slot()
    def regenerate(self) -> bool:
        """Draw the generated dataset again with the panel's samples, noise, test share and seed: a new network
        on it from the same initial weights (Ctrl+Z returns to the points before)."""
        key = self._dataset_key
        if key not in GENERATORS:
            return False
        try:
            dataset = generate(key, self.panel.generator_settings())
        except SettingError as exc:
            self.show_error(str(exc), topic="settings")
            self.show_current_settings()
            return False
        return self.new_network(self._config, key, dataset, initial=self._initial, preset=self._preset,
                                undoable=True)

    # --- sessions -----------------------------------------------------------------------------------------
    @Slot()
    def ask_save_session(self) -> None:
        path = self.files.ask_save_path("Save session", SESSION_FILTERS, f"{self.files.file_stem()}{SESSION_SUFFIX}")
        if path:
            self.sessions.save_session(path if path.endswith(SESSION_SUFFIX) else path + SESSION_SUFFIX)

    @Slot()
    def ask_open_session(self) -> None:
        path = self.files.ask_open_path("Open session", SESSION_FILTERS)
        if path:
            self.sessions.open_session(path)

    def session_facts(self) -> tuple[dict, dict[str, np.ndarray]]:
        """What a session keeps of the window beside the run: the dataset's key, the preset, the max epochs, and
        the pinned runs (JSON facts, and their arrays)."""
        pinned, arrays = runs_to_session(self.pinned_runs.runs())
        return ({"dataset_key": self._dataset_key, "preset": self._preset,
                 "max_epochs": self.panel.max_epochs.value(), "pinned": pinned}, arrays)

    @property
    def initial_theta(self) -> np.ndarray | None:
        """The weights the network in use started from (read-only)."""
        return self._initial_theta

    def adopt_session(self, session, path: Path) -> bool:
        """Make a reopened session's run the network in use, where it was (the one it replaces stays in Undo)."""
        trainer, facts = session.trainer, session.extra
        key = facts.get("dataset_key") if isinstance(facts.get("dataset_key"), str) else trainer.dataset.name
        preset = facts.get("preset") if isinstance(facts.get("preset"), str) else ""
        max_epochs = facts.get("max_epochs") if isinstance(facts.get("max_epochs"), int) else None
        self._replace_with(trainer, trainer.config, key, trainer.dataset, None, max_epochs,
                           matching_preset(preset, trainer.config, key),
                           f"Opened {path.name}: {trainer.epoch:,} epochs trained; training goes on from there.",
                           initial_theta=session.initial_theta, undoable=True)
        self.pinned_runs.restore(runs_from_session(facts.get("pinned"), session.extra_arrays))
        return True

    # --- drawing data points ----------------------------------------------------------------------------
    @Slot(float, float, float)
    def add_point(self, x1: float, x2: float, target: float) -> bool:
        """A point drawn on the boundary plot: the data with it is a dataset of its own (Ctrl+Z takes it back)."""
        try:
            dataset = with_point(self._dataset, (x1, x2), target)
        except SettingError as exc:
            self.show_error(str(exc), topic="drawing")
            return False
        what = f"class {target:g}" if dataset.task == "classification" else f"target {target:g}"
        self.boundary_plot.point_choices.edited(self._dataset, dataset, added="train")
        return self._use_drawn(dataset, f"Added a point ({what}) at ({x1:.3g}, {x2:.3g})")

    @Slot(float, float)
    def remove_point(self, x1: float, x2: float) -> bool:
        try:
            dataset, removed = without_nearest(self._dataset, (x1, x2))
        except SettingError as exc:
            self.show_error(str(exc), topic="drawing")
            return False
        if removed is None:
            return False
        self.boundary_plot.point_choices.edited(self._dataset, dataset, removed=removed)
        return self._use_drawn(dataset, f"Removed the point nearest ({x1:.3g}, {x2:.3g})")

    def _use_drawn(self, dataset: Dataset, what: str) -> bool:
        """A new network on the edited data, from the same initial weights, training on if it was."""
        self._drawn = dataset
        self.clear_error("drawing")
        return self.new_network(self._config, DRAWN_KEY, dataset, initial=self._initial, undoable=True,
                                note=f"{what}: Edit > Undo (Ctrl+Z) takes it back. File > Save data as CSV "
                                     "keeps the data.")

    # --- the run's past ---------------------------------------------------------------------------------
    def shown_past(self) -> PastState | None:
        """The past epoch the views show instead of the live network, if any."""
        return self.run_past.shown()

    @Slot()
    def pin_run(self) -> bool:
        """Keep the run in use as drawn (its loss curve, settings and boundary) to compare with later runs."""
        frame = self._current_frame()
        if frame is None or frame.snapshot.epoch == 0:
            self.show_status("Nothing to pin yet: train at least one epoch.")
            return False
        run = self.pinned_runs.pin(frame.snapshot, self._dataset_key, self.boundary_plot.thumbnail())
        self.show_status(f"Pinned {run.label}: its loss curve stays on the loss plot (dashed).")
        return True

    @Slot(int)
    def resume_from(self, epoch: int) -> None:
        """Continue from the end of ``epoch`` as this run did: a new network (this one stays in Undo)."""
        self.pause_training()
        self.controller.branch(self._network_id, epoch)

    @Slot(int, int, object)
    def _adopt_branch(self, network: int, epoch: int, trainer: Trainer) -> None:
        if network != self._network_id:
            return
        self._replace_with(trainer, trainer.config, self._dataset_key, self._dataset, self._initial, None,
                           matching_preset(self._preset, trainer.config, self._dataset_key),
                           f"Resumed from epoch {epoch:,}: training goes on as the run did from there "
                           "(the run as it was is in Edit > Undo).", initial_theta=self._initial_theta)

    @Slot()
    def _redraw_boundary(self) -> None:
        frame, past = self._current_frame(), self.run_past.shown()
        if past is not None:
            self.boundary_plot.show_network(past.theta)
        elif frame is not None:
            self.boundary_plot.show_network(frame.snapshot.theta)

    def _update_rate(self, frame: Frame | None) -> None:
        points = self._rate_points
        if frame is not None:
            s = frame.snapshot
            points.append((frame.time, s.epoch + s.position / s.updates_per_epoch))
        if frame is not None and not frame.running:
            points.clear()
            self._rate = 0.0
        while len(points) > 2 and points[-1][0] - points[0][0] > RATE_WINDOW_SECONDS:
            points.popleft()
        if len(points) >= 2 and points[-1][0] > points[0][0]:
            self._rate = (points[-1][1] - points[0][1]) / (points[-1][0] - points[0][0])

    def epochs_per_second(self) -> float:
        return self._rate

    def _update_status(self, frame: Frame) -> None:
        s = frame.snapshot
        labels = self.status_labels
        running = self.controller.running
        state = "preparing the compiled training loop…" if running and frame.preparing else "training"
        labels["state"].setText(state if running else ("diverged" if s.diverged else "paused"))
        labels["epoch"].setText(f"epoch {epoch_count(s.epoch, s.position, s.updates_per_epoch)}")
        progress = f" (next {frame.progress:.0%} computed)" if frame.progress and running else ""
        labels["updates"].setText(f"updates {s.updates:,}{progress}")
        last = s.last_epoch or {}
        classification = frame.dataset.task == "classification"
        labels["loss"].setText(_pair("loss", last.get("train_loss"), last.get("test_loss")))
        if classification:
            labels["metric"].setText(_pair("accuracy", last.get("metric"), last.get("test_metric"), _percent))
        else:
            labels["metric"].setText(_pair("R²", last.get("metric"), last.get("test_metric")))
        labels["rate"].setText(f"{significant(self._rate)} epochs/s" if running else "")

    # --- messages and help ------------------------------------------------------------------------
    @Slot(str)
    def _show_loading(self, name: str) -> None:
        self.loading_label.setText(f"Reading {name}…" if name else "")
        self.loading_label.setVisible(bool(name))
        self.loading_bar.setVisible(bool(name))

    def clear_error(self, topic: str) -> None:
        """``topic``'s error is no longer true (a later export succeeded, say): hide it."""
        self.message_bar.clear(topic)

    def show_status(self, message: str, milliseconds: int = 8000) -> None:
        """A passing note in the status bar."""
        self.statusBar().showMessage(message, milliseconds)

    def show_error(self, message: str, topic: str = "") -> None:
        """An error in the message bar (and the status line). ``topic`` names what it speaks of, so that a later
        success on the same topic takes it away (clear_error)."""
        self.message_bar.show_message(message, "error", topic)
        self.statusBar().showMessage(message.split("\n")[0], 10000)

    @Slot()
    def show_help(self) -> None:
        if self._help is None:
            self._help = HelpDialog(self)
        self._help.show()
        self._help.raise_()

    @Slot()
    def show_about(self) -> None:
        QMessageBox.about(self, "About Perceptron Playground",
                          "<b>Perceptron Playground</b><p>Watch a small neural network learn: a from-scratch NumPy "
                          "two-layer perceptron trained in a worker thread, drawn live with pyqtgraph.</p>")

    # --- dropping a CSV file on the window ----------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        if csv_paths_from_mime(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = csv_paths_from_mime(event.mimeData())
        if paths:
            event.acceptProposedAction()
            QTimer.singleShot(0, lambda: self.files.ask_csv_options(paths[0]))  # the dialog after the drop ends

    # --- closing ----------------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        if self.isVisible():
            self.save_layout()
            self.save_last_settings()
        self.shutdown()
        self.sessions.save_on_quit(self._trainer)  # the last autosave, then a clean end (an app's window only)
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop drawing, stop the worker and join its thread. Safe to call more than once."""
        self._frame_timer.stop()
        self.files.shutdown()
        self.controller.shutdown()
        self.boundary_plot.shutdown()
        self.network_diagram.shutdown()


def fit_to_screen(available: QSize, wanted: QSize = DEFAULT_SIZE) -> QSize:
    """The window size (without its frame) to open at: ``wanted``, but no larger than ``available`` less the
    window manager's frame, and no smaller than MIN_SIZE unless the screen itself is smaller."""
    room = available - FRAME_MARGIN
    width = max(min(wanted.width(), room.width()), min(MIN_SIZE.width(), room.width()))
    height = max(min(wanted.height(), room.height()), min(MIN_SIZE.height(), room.height()))
    return QSize(max(width, 1), max(height, 1))


def place_on_screen(area: QRect, top_left: QPoint, size: QSize) -> QPoint:
    """Where a window of ``size`` whose frame's corner is at ``top_left`` must go to lie within ``area``
    (the frame's corner; the frame margin is kept for the title bar)."""
    outer = size + FRAME_MARGIN
    x = min(max(top_left.x(), area.left()), area.left() + max(area.width() - outer.width(), 0))
    y = min(max(top_left.y(), area.top()), area.top() + max(area.height() - outer.height(), 0))
    return QPoint(x, y)


def _tabs(pages: list[tuple[QWidget, str]]) -> QTabWidget:
    tabs = QTabWidget()
    tabs.setDocumentMode(True)
    for widget, label in pages:
        tabs.addTab(widget, label)
    return tabs


def _splitter(orientation: Qt.Orientation, widgets: list[QWidget], sizes: list[int]) -> QSplitter:
    splitter = QSplitter(orientation)
    for widget in widgets:
        splitter.addWidget(widget)
    splitter.setChildrenCollapsible(False)
    splitter.setSizes(sizes)
    return splitter


def significant(value: float | None, digits: int = 4) -> str:
    """A number for the status line in ``digits`` significant digits, never longer than 11 characters however
    large: 0.001235, 0.5, 1235, 1.235e+06, -3.142e+300. Whole numbers below a million keep their digits
    (45,123 epochs/s reads better than 4.512e+04). None and NaN are "-"."""
    if value is None or math.isnan(value):
        return "-"
    if 10**digits <= abs(value) < 1e6:  # more whole digits than significant ones: no exponent yet
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


def _pair(name: str, train, test, show=significant) -> str:
    text = f"{name} {show(train)}"
    if test is not None:
        text += f" (test {show(test)})"
    return text


def _percent(value) -> str:
    return "-" if value is None or math.isnan(value) else f"{significant(100 * value)}%"
