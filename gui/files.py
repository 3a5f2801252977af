"""Every file the window reads or writes, and the dialogs that pick them: weights, CSV datasets, the loss
history, plots as PNG or SVG.

FileActions talks to the window only through its public methods (``drawn_frame``, ``new_network``,
``show_error``, ``show_status``; for plots ``plot_widgets``, ``show_plot`` and ``wait_for_views``). A CSV
file is read in a background thread, so a big file never stalls the window; the window shows a busy bar
meanwhile, and the result comes back to the GUI thread as a signal.
"""

from __future__ import annotations

import re
import threading
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QBuffer, QIODevice, QObject, QPoint, QRect, QRectF, Signal, Slot
from PySide6.QtGui import QPainter, QPicture, QRegion
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QDialog, QFileDialog, QWidget

from gui.animation import AnimationExport, AnimationJob, available_formats, existing_frames, run_with_progress_dialog
from gui.csv_dialog import CsvImportDialog
from gui.remembered import CsvChoices, RecentFiles
from model.config import SettingError, TrainConfig
from model.datasets import Dataset, load_csv, load_dataset
from model.drawing import dataset_csv_text
from model.export_py import sample_inputs
from model.generators import GENERATORS, generate
from model.network import Params
from model.presets import CSV_DEFAULTS, DATASET_DEFAULTS
from model.session import SUFFIX as SESSION_SUFFIX
from model.weights_io import history_csv_text, load_weights, save_weights, write_bytes_atomic, write_text_atomic

WEIGHT_FILTERS = "NumPy weights (*.npz);;JSON weights (*.json);;Python file, needs only NumPy (*.py)"
PLOT_FILTERS = "PNG image (*.png);;SVG image (*.svg)"
CSV_FILTERS = "CSV files (*.csv);;All files (*)"


ANIMATION_FILTERS = {"png": "PNG frames, in a folder named after the file (*.png)", "gif": "Animated GIF (*.gif)"}


@dataclass(frozen=True)
class CsvLoad:
    """The outcome of reading a CSV file in the background: a dataset, or the one-line reason it was refused."""

    path: Path
    dataset: Dataset | None
    error: str = ""
    config: TrainConfig | None = None  # the settings to train it with (None: the task's defaults)
    max_epochs: int | None = None
    choices: dict | None = None  # load_csv's keyword arguments it was read with


class FileActions(QObject):
    """The window's file subsystem. Owns what was last exported (so the window knows whether a trained
    network would be lost) and the background CSV reader."""

    csv_finished = Signal(bool)  # a CSV read in the background was taken (True) or refused / kept out (False)
    loading_changed = Signal(str)  # "" when nothing is loading, else what is ("big.csv")
    history_exported = Signal(bool)  # export_history's file was written (True) or could not be (False)
    _csv_read = Signal(object)  # CsvLoad, emitted by the reading thread; queued to the GUI thread

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.recent = RecentFiles(window.settings)
        self.csv_choices = CsvChoices(window.settings)
        self.animation: AnimationExport | None = None  # the latest animation export (running or done)
        # What waits for the worker's copy of the whole history (frames carry the shown parameters only): by the
        # network asked about, the functions to call with it.
        self._history_wanted: list[tuple[int, object]] = []
        window.controller.history_ready.connect(self._history_arrived)
        self._reading: threading.Thread | None = None
        self._csv_read.connect(self._take_csv)

    # --- dialogs (tests replace these two) ---------------------------------------------------------
    def ask_save_path(self, caption: str, filters: str, suggested: str) -> str | None:
        """The file the user picks to save to, or None."""
        with self.window.paused():
            path, chosen = QFileDialog.getSaveFileName(self.window, caption, suggested, filters)
        if not path:
            return None
        if not Path(path).suffix and "(*." in chosen:
            path += chosen[chosen.index("(*.") + 2:].split(")")[0].split()[0]
        return path

    def ask_open_path(self, caption: str, filters: str) -> str | None:
        """The file the user picks to open, or None."""
        with self.window.paused():
            path, _ = QFileDialog.getOpenFileName(self.window, caption, "", filters)
        return path or None

    # --- weights ----------------------------------------------------------------------------------
    @Slot()
    def ask_export_weights(self) -> None:
        path = self.ask_save_path("Export weights", WEIGHT_FILTERS, f"weights-{self.file_stem()}.npz")
        if path:
            self.export_weights(path)

    def export_weights(self, path: str | Path) -> bool:
        frame = self.window.drawn_frame()
        if frame is None:
            return False
        s = frame.snapshot
        d, h = frame.dataset.n_inputs, s.config.hidden
        return self._export("the weights", lambda: save_weights(
            path, Params(d, h, s.theta), s.config, dataset=frame.dataset.name, epochs=s.epoch, updates=s.updates,
            metrics=s.last_epoch or {}, input_mean=frame.dataset.input_mean, input_std=frame.dataset.input_std,
            generator=frame.dataset.generator, sample_X=sample_inputs(frame.dataset)),
            f"Exported the weights after {s.epoch:,} epochs to {path}")

    def _export(self, what: str, write, done: str) -> bool:
        """Run ``write``; say ``done``, or why it failed (an export error stays until an export succeeds)."""
        try:
            write()
        except Exception as exc:  # whatever failed, say so (never leave an older "Saved" as the last word)
            self.window.show_error(f"Could not export {what}: {exc}", topic="export")
            return False
        self.window.clear_error("export")
        self.window.show_status(done)
        return True

    @Slot()
    def ask_import_weights(self) -> None:
        path = self.ask_open_path("Import weights", "Weights (*.npz *.json)")
        if path:
            self.import_weights(path)

    def import_weights(self, path: str | Path) -> bool:
        """Load weights and continue training from them (with their settings, on their dataset if known).
        A file that cannot be used leaves the session as it was and says why (what the CLI would say)."""
        window = self.window
        try:
            weights = load_weights(path)
        except SettingError as exc:
            window.show_error(str(exc))
            return False
        except OSError as exc:  # load_weights reports its own as SettingError; this is a last guard
            window.show_error(f"weights = {str(path)!r}: cannot be read: {exc.strerror or exc}")
            return False
        d, h = weights.params.n_inputs, weights.params.n_hidden
        key, dataset = window.dataset_key, window.dataset
        if weights.dataset in DATASET_DEFAULTS and (weights.dataset != key or weights.generator is not None):
            key = weights.dataset  # the points it was trained on: a generated dataset drawn again as it was
            dataset = generate(key, weights.generator) if key in GENERATORS else load_dataset(key)
        if dataset.n_inputs != d:
            window.show_error(f"{Path(path).name} holds a network with {d} inputs; the dataset "
                              f"{dataset.name!r} has {dataset.n_inputs}: choose a dataset with {d} inputs first.")
            return False
        config = weights.config or window.config.replace(hidden=h)
        note = (f"Imported {Path(path).name}: a {d}-{h}-1 network trained {weights.epochs:,} epochs before. "
                "Training continues from these weights (the epoch count starts again at 0).")
        taken = window.new_network(config, key, dataset, initial=weights.params, note=note)
        if taken:
            self.recent.add(path)
        return taken

    def open_recent(self, path: str) -> bool:
        """Open a file of File > Open recent the way its kind is opened."""
        suffix = Path(path).suffix.lower()
        if suffix == ".csv":
            return self.open_csv(path)
        if path.lower().endswith(SESSION_SUFFIX):
            self.window.sessions.open_session(path)
            return True
        return self.import_weights(path)

    def fill_recent_menu(self, menu) -> None:
        """List the recent files in ``menu`` (File > Open recent, as it opens)."""
        menu.clear()
        paths = self.recent.paths()
        for path in paths:
            action = menu.addAction(Path(path).name)
            action.setToolTip(path)
            action.setStatusTip(path)
            action.triggered.connect(lambda _checked=False, p=path: self.open_recent(p))
        if not paths:
            menu.addAction("No recent files").setEnabled(False)

    # --- CSV datasets -----------------------------------------------------------------------------
    @Slot()
    def ask_open_csv(self) -> None:
        path = self.ask_open_path("Open a CSV dataset", CSV_FILTERS)
        if path:
            self.ask_csv_options(path)
        else:
            self.window.show_current_settings()

    def ask_csv_options(self, path: str | Path) -> bool:
        """The import dialog (a preview of the first rows, the target column, task, standardisation, a test split,
        as the file was last read); on Import the file is read in the background. Cancel changes nothing."""
        chosen = self.read_choices(path)
        dialog = CsvImportDialog(path, self.window, **chosen)
        with self.window.paused():
            accepted = dialog.exec() == QDialog.DialogCode.Accepted
        if not accepted:
            self.window.show_current_settings()
            return False
        return self.open_csv(path, choices=dialog.options().load_options())

    def read_choices(self, path: str | Path) -> dict:
        """load_csv's keyword arguments to open ``path`` again: those it was last read with; for a file never
        read, the last column as the target, no test split, and the panel's Task and standardisation."""
        return self.csv_choices.of(path) or {"target_column": None, "test_ratio": 0.0, "split_seed": 0,
                                             **self._panel_choices()}

    def reread_csv(self, path: str | Path) -> bool:
        """Read the file again as the panel's Task and standardisation now say, keeping its target and split."""
        return self.open_csv(path, choices=self.read_choices(path) | self._panel_choices())

    def _panel_choices(self) -> dict:
        panel = self.window.panel
        return {"task": panel.task_choice(), "standardize": panel.standardize.isChecked()}

    def open_csv(self, path: str | Path, config: TrainConfig | None = None, max_epochs: int | None = None,
                 choices: dict | None = None) -> bool:
        """Start reading a CSV file in the background with ``choices`` (load_csv's keyword arguments; None: as
        read_choices says); False if another file is still being read. When it is read, its network (``config``,
        or the task's default settings) replaces the one in use (undoable), and csv_finished says whether the
        file's network is now the one in use."""
        if self._reading is not None:
            self.window.show_status("Still reading the previous file; try again when it is loaded.")
            return False
        path = Path(path)
        chosen = dict(self.read_choices(path) if choices is None else choices)

        def read() -> None:
            try:
                load = CsvLoad(path, load_csv(path, **chosen), config=config, max_epochs=max_epochs, choices=chosen)
            except SettingError as exc:
                load = CsvLoad(path, None, str(exc))
            except (OSError, MemoryError) as exc:  # load_csv names its own; this is a last guard
                load = CsvLoad(path, None, f"csv = {str(path)!r}: cannot be read: {exc}")
            self._csv_read.emit(load)

        self._reading = threading.Thread(target=read, name="csv-reader", daemon=True)
        self.loading_changed.emit(path.name)
        self._reading.start()
        return True

    def wait_for_csv(self, timeout: float | None = None) -> None:
        """Block until the reading thread has finished (its result is delivered at the next event loop turn);
        for closing and for scripts."""
        thread = self._reading
        if thread is not None:
            thread.join(timeout)

    @Slot(object)
    def _take_csv(self, load: CsvLoad) -> None:
        self._reading = None
        self.loading_changed.emit("")
        window = self.window
        taken = False
        if load.dataset is None:
            window.show_error(load.error)
            window.show_current_settings()
        else:
            config, epochs = CSV_DEFAULTS[load.dataset.task]
            taken = window.new_network(load.config or config, f"csv:{load.path.resolve()}", load.dataset,
                                       max_epochs=load.max_epochs or epochs)
            if taken:
                self.recent.add(load.path)
                self.csv_choices.remember(load.path, load.choices)
        self.csv_finished.emit(taken)

    # --- an animation of the run -------------------------------------------------------------------------
    @Slot()
    def ask_export_animation(self) -> None:
        filters = ";;".join(ANIMATION_FILTERS[kind] for kind in available_formats())
        path = self.ask_save_path("Export an animation of the run", filters, f"{self.file_stem()}.png")
        if path:
            self.export_animation(path)

    def export_animation(self, path: str | Path) -> bool:
        """Render the run's recorded epochs (boundary and loss) in the background, with a progress dialog: a .gif
        (with Pillow) or numbered PNG frames in a folder named after ``path`` ("run.png": run-frames/). The
        worker sends the whole history first (frames carry the shown parameters only)."""
        path = Path(path)
        kind = "gif" if path.suffix.lower() == ".gif" else "png"
        target = path if kind == "gif" else path.with_name(f"{path.stem}-frames")
        if kind not in available_formats():
            self.window.show_error(f"animation = {path.name!r}: GIF needs Pillow (pip install pillow); PNG frames "
                                   "need nothing more", topic="export")
            return False
        if kind == "png" and existing_frames(target):
            self.window.show_error(f"animation = {str(target)!r}: that folder already holds frames; choose another "
                                   "name (nothing was written)", topic="export")
            return False
        self.with_whole_history(lambda history, frame: self._animate(history, frame, target, kind))
        return True

    def with_whole_history(self, use) -> None:
        """Call ``use(history, frame)`` with the worker's copy of the network's whole history (every parameter's
        column) once it arrives, if the network is still the one in use then."""
        network = self.window.network_id
        self._history_wanted.append((network, use))
        self.window.controller.request_history(network)

    @Slot(int, object)
    def _history_arrived(self, network: int, history: dict) -> None:
        waiting = [use for wanted, use in self._history_wanted if wanted == network]
        self._history_wanted = [(wanted, use) for wanted, use in self._history_wanted if wanted != network]
        frame = self.window.drawn_frame()
        if waiting and network == self.window.network_id and frame is not None:
            waiting[0](history, frame)  # one request, one answer: the others wait for theirs
            self._history_wanted += [(network, use) for use in waiting[1:]]

    def _animate(self, history: dict, frame, target: Path, kind: str) -> None:
        window = self.window
        boundary = window.boundary_plot
        try:
            job = AnimationJob(frame.dataset, frame.snapshot.config, history, boundary.grid_inputs(),
                               boundary.slice_values(), tuple(boundary.levels))
        except SettingError as exc:
            window.show_error(f"Could not export the animation: {exc}", topic="export")
            return
        self.animation = run_with_progress_dialog(window, job, target, kind)
        self.animation.finished.connect(window.show_status)
        self.animation.failed.connect(lambda message: window.show_error(message, topic="export"))

    def shutdown(self) -> None:
        """Stop an animation export under way (the window is closing)."""
        if self.animation is not None and self.animation.is_running():
            self.animation.shutdown()

    # --- the data ---------------------------------------------------------------------------------------
    @Slot()
    def ask_save_data(self) -> None:
        name = self.window.dataset.name.removeprefix("csv:").removesuffix(".csv").replace(" (edited)", "-edited")
        path = self.ask_save_path("Save the data as CSV", CSV_FILTERS, f"{Path(name).name}.csv")
        if path:
            self.save_data(path)

    def save_data(self, path: str | Path) -> bool:
        """Write the data in use (training rows, then test rows) as a CSV file that opens as it is."""
        dataset = self.window.dataset
        return self._export("the data", lambda: write_text_atomic(path, dataset_csv_text(dataset)),
                            f"Saved {len(dataset.X) + (len(dataset.X_test) if dataset.has_test else 0):,} rows "
                            f"to {path}")

    # --- the loss history -------------------------------------------------------------------------
    @Slot()
    def ask_export_history(self) -> None:
        path = self.ask_save_path("Export loss history", "CSV file (*.csv)", f"history-{self.file_stem()}.csv")
        if path:
            self.export_history(path)

    def export_history(self, path: str | Path) -> bool:
        """Write every recorded epoch (losses, accuracy or R², every parameter) once the worker has sent the whole
        history; history_exported says whether it was written."""
        if self.window.drawn_frame() is None:
            return False

        def write(history: dict, frame) -> None:
            text = history_csv_text(history, frame.names, frame.dataset.task == "classification")
            self.history_exported.emit(self._export("the loss history", lambda: write_text_atomic(path, text),
                                                    f"Exported the loss history to {path}"))

        self.with_whole_history(write)
        return True

    # --- plots ------------------------------------------------------------------------------------
    @Slot()
    def export_plot_triggered(self) -> None:
        name = self.sender().data()
        path = self.ask_save_path(f"Export the {name} plot", PLOT_FILTERS, f"{name}-{self.file_stem()}.png")
        if path:
            self.export_plot(name, path)

    def export_plot(self, name: str, path: str | Path) -> bool:
        """Save a plot (a name of the window's plot_widgets(): "network", "loss", ...) or the whole "window" as PNG
        or SVG. The file is written
        whole or not at all (an earlier file of that name stays as it was), and a failure is reported."""
        window = self.window
        widget, path = window.plot_widgets()[name], Path(path)
        window.show_plot(name)  # a page behind another tab is not laid out or drawn
        window.wait_for_views()  # the boundary's surface and the diagram's maps of the weights shown, not older ones

        def write() -> None:
            if path.suffix.lower() == ".svg":
                save_svg(widget, path, f"Perceptron Playground: {name}")
            elif path.suffix.lower() == ".png":
                save_png(widget, path)
            else:
                raise SettingError("export", path.name, "must end in .png or .svg")

        return self._export("the plot", write, f"Saved {path}")

    def file_stem(self) -> str:
        frame = self.window.drawn_frame()
        epochs = frame.snapshot.epoch if frame else 0
        dataset = self.window.dataset
        name = dataset.name.removeprefix("csv:").removesuffix(".csv") if dataset else "network"
        return f"{name}-{epochs}"


def save_svg(widget: QWidget, path: Path, title: str) -> None:
    """Write a widget as vector graphics (images inside it, like the heatmap, are embedded as pictures), whole
    or not at all: the SVG is made in memory, then written to a temporary file that replaces ``path``."""
    data = svg_bytes(widget, title)
    write_bytes_atomic(path, data)


def save_png(widget: QWidget, path: Path) -> None:
    """Write the widget as it is on screen as a PNG image, whole or not at all."""
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not widget.grab().save(buffer, "PNG"):
        raise OSError("Qt could not encode the PNG image")
    write_bytes_atomic(path, bytes(buffer.data()))


# Why save_svg does not simply let the widget paint into a QSvgGenerator (what it once did), and what each of
# the helpers below is for. Each was found by comparing the SVG, drawn by Qt's QSvgRenderer and by librsvg,
# with the widget's PNG (tests/test_gui_export.py):
#   * QWidget.render(painter) does not exist in PySide6: a painter needs the target offset too (the one-argument
#     overload takes a QPaintDevice). That was the TypeError of the whole-window export.
#   * QSvgGenerator draws at 72 dpi unless told otherwise, while the widgets were laid out at the screen's dpi
#     (96): fonts came out at 3/4 of their size and pyqtgraph's axes, which it records in a QPicture and plays
#     back scaled to the device's dpi, shrank to 3/4 while the data did not: axes and data did not line up.
#     The generator gets the dpi a QPicture is recorded at (the screen's), as every widget is now played to it
#     from one (below), and a picture is played scaled by the device's dpi over that.
#   * pyqtgraph draws curves, axes and symbols with cosmetic pens (1 px whatever the scale) under the view's
#     data-to-pixels matrix, e.g. matrix(30.6,0,0,-13711,...). Qt writes them as vector-effect="non-scaling-stroke",
#     which librsvg ignores: a 1-unit stroke scaled 13711 times is a filled blob (the loss curve), or one solid
#     stripe per curve (the weights plot). _thin_strokes applies such a matrix to the coordinates instead, so the
#     stroke is drawn in pixels by every renderer.
#   * Qt's generator writes clip paths (in SVG 1.1 mode; SVG Tiny, its default, writes none) in the coordinates
#     of the widget being painted but places them in those of the widget the painting started from, so in a
#     whole-window SVG every child's clip was somewhere else (librsvg then clipped almost everything away); and
#     QSvgRenderer ignores clip-path. So each widget is painted on its own at (0, 0), where Qt's own clips (a
#     plot's data clipped to its view) are right, and placed in the document clipped to the part of it that is
#     visible (a plot wider than its splitter pane, a scrolled panel). _clip_for_qt repeats every rectangular
#     clip as a <symbol>'s viewport, which QSvgRenderer does clip to, while librsvg (which does not clip symbols)
#     follows the clip-path; as Qt's symbols nested in symbols replace the outer clip instead of narrowing it,
#     _clip_within narrows Qt's own clips to the visible part of their widget first.
#   * Qt's generator loses a clip when QPainter.restore() returns to a state that has a clip of its own (inside
#     a pyqtgraph ViewBox, which clips its children): QPainter hands the restored clip to the engine while
#     clipping is switched off, so the generator writes no <clipPath> for it, then switches clipping back on
#     pointing at the last one it wrote, the clip of whatever was painted between save and restore. A
#     QGraphicsTextItem clips to its own box, so everything painted after a text item in a view (in the network
#     diagram: the maps, their borders, the input boxes, drawn above the column headers) landed in that text's
#     box and vanished. Each widget is therefore recorded in a QPicture and the picture played to the generator:
#     the picture records the clip QPainter hands its engine on a restore and plays it back as a clip set
#     explicitly, which the generator does write.
SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
_HREF = f"{{{XLINK_NS}}}href"
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"


def svg_bytes(widget: QWidget, title: str) -> bytes:
    """The widget as an SVG document (UTF-8), drawn as it is on screen."""
    width, height = widget.width(), widget.height()
    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", XLINK_NS)
    root = ET.Element(f"{{{SVG_NS}}}svg", {"width": str(width), "height": str(height),
                                          "viewBox": f"0 0 {width} {height}", "version": "1.1"})
    ET.SubElement(root, f"{{{SVG_NS}}}title").text = title
    defs = ET.SubElement(root, f"{{{SVG_NS}}}defs")
    for number, (part, offset, visible) in enumerate(_painted_widgets(widget)):
        fragment = _svg_fragment(part, as_root=part is widget)
        _rename_ids(fragment, f"w{number}-")
        _thin_strokes(fragment)
        _clip_within(fragment, visible.translated(-offset))
        clip = ET.SubElement(defs, f"{{{SVG_NS}}}clipPath", {"id": f"w{number}"})
        ET.SubElement(clip, f"{{{SVG_NS}}}rect", {"x": str(visible.x()), "y": str(visible.y()),
                                                  "width": str(visible.width()), "height": str(visible.height())})
        clipped = ET.SubElement(root, f"{{{SVG_NS}}}g", {"clip-path": f"url(#w{number})"})
        placed = ET.SubElement(clipped, f"{{{SVG_NS}}}g", {"transform": f"translate({offset.x()},{offset.y()})"})
        for element in fragment:
            name = element.tag.rpartition("}")[2]
            if name == "defs":
                defs.extend(element)
            elif name not in ("title", "desc"):
                placed.append(element)
    _clip_for_qt(root, defs)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _painted_widgets(widget: QWidget):
    """The widget and its shown descendants in the order Qt paints them (parents first, then children in
    stacking order): (widget, its top-left corner in ``widget``'s coordinates, the part of it that can be
    seen there)."""
    def walk(part: QWidget, offset: QPoint, seen: QRect):
        visible = seen.intersected(QRect(offset, part.size()))
        if visible.isEmpty():
            return
        yield part, offset, visible
        for child in part.children():
            if isinstance(child, QWidget) and not child.isWindow() and not child.isHidden():
                yield from walk(child, offset + child.pos(), visible)

    yield from walk(widget, QPoint(0, 0), widget.rect())


def _svg_fragment(widget: QWidget, as_root: bool) -> ET.Element:
    """What the widget itself paints (not its children), as Qt's SVG generator writes it."""
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    generator = QSvgGenerator(QSvgGenerator.SvgVersion.Svg11)
    generator.setOutputDevice(buffer)
    generator.setSize(widget.size())
    generator.setViewBox(widget.rect())
    picture = QPicture()  # recorded first, then played to the generator: see the notes above svg_bytes
    generator.setResolution(picture.logicalDpiX())  # played at the dpi it is recorded at: unscaled
    # Only the root paints the window's background, as when the widget is drawn on screen.
    flags = QWidget.RenderFlag.DrawWindowBackground if as_root else QWidget.RenderFlag(0)
    recorder = QPainter(picture)
    try:
        QWidget.render(widget, recorder, QPoint(0, 0), QRegion(widget.rect()), flags)
    finally:
        recorder.end()
    painter = QPainter(generator)
    if not painter.isActive():
        raise OSError("Qt's SVG generator could not start")
    try:
        painter.drawPicture(0, 0, picture)
    finally:
        painter.end()
    return ET.fromstring(bytes(buffer.data()))


def _rename_ids(fragment: ET.Element, prefix: str) -> None:
    """Prefix every id in a fragment, and the references to them, so that fragments can share a document."""
    for element in fragment.iter():
        for key, value in element.attrib.items():
            if key == "id":
                element.set(key, prefix + value)
            elif key == _HREF and value.startswith("#"):
                element.set(key, "#" + prefix + value[1:])
            elif "url(#" in value:
                element.set(key, value.replace("url(#", "url(#" + prefix))


def _matrix(text: str) -> tuple[float, ...] | None:
    match = re.fullmatch(rf"\s*matrix\(\s*({_NUMBER})(?:[\s,]+({_NUMBER})){{5}}\s*\)\s*", text)
    if match is None:
        return None
    return tuple(float(value) for value in re.findall(_NUMBER, text))


def _thin_strokes(fragment: ET.Element) -> None:
    """Apply the scaling matrix of each group to the coordinates of its non-scaling strokes, moving those
    shapes to a copy of the group without the matrix; their stroke (width, dashes) is then in pixels for
    every renderer, not only for those that know vector-effect."""
    parents = {child: parent for parent in fragment.iter() for child in parent}
    for group in list(fragment.iter(f"{{{SVG_NS}}}g")):
        matrix = _matrix(group.get("transform", ""))
        if matrix is None or matrix[:4] == (1, 0, 0, 1) or group not in parents:
            continue
        if any("url(" in value for value in group.attrib.values()):  # a gradient or pattern in the group's units
            continue
        flat = [child.get("vector-effect") == "non-scaling-stroke" and _transform_shape(child, matrix)
                for child in group]
        if not any(flat):
            continue
        parent, children = parents[group], list(group)
        at = list(parent).index(group)
        parent.remove(group)
        runs: list[tuple[bool, ET.Element]] = []  # consecutive children, moved or not: the drawing order stays
        for child, moved in zip(children, flat, strict=True):
            if not runs or runs[-1][0] != moved:
                attributes = {key: value for key, value in group.attrib.items() if not (moved and key == "transform")}
                runs.append((moved, ET.Element(group.tag, attributes)))
            runs[-1][1].append(child)
        for offset, (_, run) in enumerate(runs):
            parent.insert(at + offset, run)


def _transform_shape(element: ET.Element, matrix: tuple[float, ...]) -> bool:
    """Rewrite a shape's coordinates through ``matrix``; False (and unchanged) if it cannot be."""
    a, b, c, d, e, f = matrix

    def point(x: float, y: float) -> str:
        return f"{a * x + c * y + e:.6g},{b * x + d * y + f:.6g}"

    def pairs(text: str) -> str | None:
        numbers = [float(value) for value in re.findall(_NUMBER, text)]
        if len(numbers) % 2:
            return None
        return " ".join(point(x, y) for x, y in zip(numbers[::2], numbers[1::2], strict=True))

    name = element.tag.rpartition("}")[2]
    if name == "path":
        parts = re.findall(r"([A-Za-z])([^A-Za-z]*)", element.get("d", ""))
        if not parts or any(command not in "MLCZ" for command, _ in parts):  # Qt writes only these
            return False
        converted = [pairs(numbers) for _, numbers in parts]
        if any(value is None for value in converted):
            return False
        element.set("d", " ".join(f"{command}{value}" for (command, _), value in zip(parts, converted, strict=True)))
    elif name in ("polyline", "polygon"):
        points = pairs(element.get("points", ""))
        if points is None:
            return False
        element.set("points", points)
    elif name == "line":
        x1, y1, x2, y2 = (float(element.get(key, 0)) for key in ("x1", "y1", "x2", "y2"))
        for key, value in zip(("x1", "y1", "x2", "y2"), (*point(x1, y1).split(","), *point(x2, y2).split(",")),
                              strict=True):
            element.set(key, value)
    elif name == "rect" and not element.get("rx") and not element.get("ry"):
        x, y = float(element.get("x", 0)), float(element.get("y", 0))
        w, h = float(element.get("width", 0)), float(element.get("height", 0))
        for key in ("x", "y", "width", "height"):
            element.attrib.pop(key, None)
        element.tag = element.tag.replace("rect", "polygon")
        element.set("points", " ".join(point(px, py) for px, py in ((x, y), (x + w, y), (x + w, y + h), (x, y + h))))
    elif name == "ellipse" and b == 0 and c == 0:
        cx, cy = float(element.get("cx", 0)), float(element.get("cy", 0))
        element.attrib.update({"cx": f"{a * cx + e:.6g}", "cy": f"{d * cy + f:.6g}",
                               "rx": f"{abs(a) * float(element.get('rx', 0)):.6g}",
                               "ry": f"{abs(d) * float(element.get('ry', 0)):.6g}"})
    else:
        return False
    return True


def _clip_within(fragment: ET.Element, visible: QRect) -> None:
    """Narrow the fragment's rectangular clips to the visible part of its widget. A clip inside the widget's own
    would do the same in SVG, but QSvgRenderer's nested symbols (see _clip_for_qt) replace the clip rather
    than narrowing it: a plot wider than its pane spilled over its neighbour."""
    for clip in fragment.iter(f"{{{SVG_NS}}}clipPath"):
        box = _clip_rect(clip)
        if box is None:
            continue
        seen = QRectF(*box).intersected(QRectF(visible))  # empty (all zero) if they do not meet
        clip.remove(clip[0])
        ET.SubElement(clip, f"{{{SVG_NS}}}rect", {"x": f"{seen.x():.6g}", "y": f"{seen.y():.6g}",
                                                  "width": f"{seen.width():.6g}", "height": f"{seen.height():.6g}"})


def _clip_for_qt(root: ET.Element, defs: ET.Element) -> None:
    """Give every group clipped to a rectangle a <symbol> of that rectangle holding its content: QSvgRenderer
    ignores clip-path but clips a symbol to its viewport; the clip-path stays for everyone else."""
    clips = {clip.get("id"): clip for clip in defs if clip.tag == f"{{{SVG_NS}}}clipPath"}
    for number, group in enumerate(list(root.iter(f"{{{SVG_NS}}}g"))):
        match = re.fullmatch(r"url\(#(.+)\)", group.get("clip-path", ""))
        if match is None or match.group(1) not in clips or group.get("transform"):
            continue
        box = _clip_rect(clips[match.group(1)])
        if box is None:
            continue
        if box[2] <= 0 or box[3] <= 0:  # nothing of it can be seen
            for child in list(group):
                group.remove(child)
            continue
        x, y, w, h = (f"{value:.6g}" for value in box)
        # The symbol's viewBox starts at (0, 0) and its content is moved there: QSvgRenderer ignores the origin
        # of a symbol's viewBox (it clips at the right place but does not move the content).
        symbol = ET.SubElement(defs, f"{{{SVG_NS}}}symbol", {"id": f"view{number}", "viewBox": f"0 0 {w} {h}",
                                                             "width": w, "height": h, "overflow": "hidden"})
        moved = ET.SubElement(symbol, f"{{{SVG_NS}}}g", {"transform": f"translate({-box[0]:.6g},{-box[1]:.6g})"})
        moved.extend(list(group))
        for child in list(group):
            group.remove(child)
        ET.SubElement(group, f"{{{SVG_NS}}}use", {_HREF: f"#view{number}", "x": x, "y": y, "width": w, "height": h})


def _clip_rect(clip: ET.Element) -> tuple[float, float, float, float] | None:
    """(x, y, width, height) of a clip path that is one upright rectangle (perhaps empty), else None."""
    if len(clip) != 1 or set(clip.attrib) - {"id"} or clip[0].get("transform"):
        return None
    shape, name = clip[0], clip[0].tag.rpartition("}")[2]
    if name == "rect":
        box = tuple(float(shape.get(key, 0)) for key in ("x", "y", "width", "height"))
    elif name == "path" and re.fullmatch(r"\s*M[^A-Za-z]*(L[^A-Za-z]*){3,4}Z?\s*", shape.get("d", "")):
        numbers = [float(value) for value in re.findall(_NUMBER, shape.get("d", ""))]
        xs, ys = sorted(set(numbers[::2])), sorted(set(numbers[1::2]))
        corners = set(zip(numbers[::2], numbers[1::2], strict=True))
        if len(xs) != 2 or len(ys) != 2 or len(corners) != 4:
            return None
        box = (xs[0], ys[0], xs[1] - xs[0], ys[1] - ys[0])
    else:
        return None
    return box if box[2] >= 0 and box[3] >= 0 else None
