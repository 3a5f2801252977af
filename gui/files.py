"""Every file the window reads or writes, and the dialogs that pick them: weights, CSV datasets, the loss
history, plots as PNG or SVG.

FileActions talks to the window only through its public methods (``drawn_frame``, ``new_network``,
``show_error``, ``show_status``). A CSV file is read in a background thread, so a big file never stalls the
window; the window shows a busy bar meanwhile, and the result comes back to the GUI thread as a signal.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QSize, Signal, Slot
from PySide6.QtWidgets import QFileDialog, QWidget

from model.config import SettingError
from model.datasets import Dataset, load_csv, load_dataset
from model.network import Params
from model.presets import CSV_DEFAULTS, DATASET_DEFAULTS
from model.weights_io import load_weights, save_weights, write_text_atomic

WEIGHT_FILTERS = "NumPy weights (*.npz);;JSON weights (*.json)"
PLOT_FILTERS = "PNG image (*.png);;SVG image (*.svg)"
CSV_FILTERS = "CSV files (*.csv);;All files (*)"


@dataclass(frozen=True)
class CsvLoad:
    """The outcome of reading a CSV file in the background: a dataset, or the one-line reason it was refused."""

    path: Path
    confirm: bool
    dataset: Dataset | None
    error: str = ""


class FileActions(QObject):
    """The window's file subsystem. Owns what was last exported (so the window knows whether a trained
    network would be lost) and the background CSV reader."""

    csv_finished = Signal(bool)  # a CSV read in the background was taken (True) or refused / kept out (False)
    loading_changed = Signal(str)  # "" when nothing is loading, else what is ("big.csv")
    _csv_read = Signal(object)  # CsvLoad, emitted by the reading thread; queued to the GUI thread

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self._saved = (-1, -1)  # (network id, updates) last exported
        self._reading: threading.Thread | None = None
        self._csv_read.connect(self._take_csv)

    # --- dialogs (tests replace these two) ---------------------------------------------------------
    def ask_save_path(self, caption: str, filters: str, suggested: str) -> str | None:
        """The file the user picks to save to, or None."""
        path, chosen = QFileDialog.getSaveFileName(self.window, caption, suggested, filters)
        if not path:
            return None
        if not Path(path).suffix and "(*." in chosen:
            path += chosen[chosen.index("(*.") + 2:].split(")")[0].split()[0]
        return path

    def ask_open_path(self, caption: str, filters: str) -> str | None:
        """The file the user picks to open, or None."""
        path, _ = QFileDialog.getOpenFileName(self.window, caption, "", filters)
        return path or None

    # --- weights ----------------------------------------------------------------------------------
    def is_saved(self, network: int, updates: int) -> bool:
        """Whether this network, as it is after ``updates`` updates, has been exported."""
        return self._saved == (network, updates)

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
        try:
            save_weights(path, Params(d, h, s.theta), s.config, dataset=frame.dataset.name, epochs=s.epoch,
                         updates=s.updates, metrics=s.last_epoch or {}, input_mean=frame.dataset.input_mean,
                         input_std=frame.dataset.input_std)
        except (SettingError, OSError) as exc:
            self.window.show_error(f"Could not export the weights: {exc}")
            return False
        self._saved = (frame.network, s.updates)
        self.window.show_status(f"Exported the weights after {s.epoch:,} epochs to {path}")
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
        if weights.dataset in DATASET_DEFAULTS and weights.dataset != key:
            key, dataset = weights.dataset, load_dataset(weights.dataset)
        if dataset.n_inputs != d:
            window.show_error(f"{Path(path).name} holds a network with {d} inputs; the dataset "
                              f"{dataset.name!r} has {dataset.n_inputs}: choose a dataset with {d} inputs first.")
            return False
        config = weights.config or window.config.replace(hidden=h)
        note = (f"Imported {Path(path).name}: a {d}-{h}-1 network trained {weights.epochs:,} epochs before. "
                "Training continues from these weights (the epoch count starts again at 0).")
        return window.new_network(config, key, dataset, initial=weights.params, note=note)

    # --- CSV datasets -----------------------------------------------------------------------------
    @Slot()
    def ask_open_csv(self) -> None:
        path = self.ask_open_path("Open a CSV dataset", CSV_FILTERS)
        if path:
            self.open_csv(path)
        else:
            self.window.show_current_settings()

    def is_loading(self) -> bool:
        return self._reading is not None

    def open_csv(self, path: str | Path, confirm: bool = True) -> bool:
        """Start reading a CSV file in the background; False if another file is still being read. When it
        is read, the window asks (if ``confirm``) before replacing a trained network, and csv_finished says
        whether the file's network is now the one in use."""
        if self._reading is not None:
            self.window.show_status("Still reading the previous file; try again when it is loaded.")
            return False
        path, standardize = Path(path), self.window.panel.standardize.isChecked()

        def read() -> None:
            try:
                load = CsvLoad(path, confirm, load_csv(path, standardize=standardize))
            except SettingError as exc:
                load = CsvLoad(path, confirm, None, str(exc))
            except (OSError, MemoryError) as exc:  # load_csv names its own; this is a last guard
                load = CsvLoad(path, confirm, None, f"csv = {str(path)!r}: cannot be read: {exc}")
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
            taken = window.new_network(config, f"csv:{load.path.resolve()}", load.dataset, max_epochs=epochs,
                                       confirm=load.confirm)
        self.csv_finished.emit(taken)

    # --- the loss history -------------------------------------------------------------------------
    @Slot()
    def ask_export_history(self) -> None:
        path = self.ask_save_path("Export loss history", "CSV file (*.csv)", f"history-{self.file_stem()}.csv")
        if path:
            self.export_history(path)

    def export_history(self, path: str | Path) -> bool:
        frame = self.window.drawn_frame()
        if frame is None:
            return False
        try:
            write_text_atomic(path, history_csv(frame))
        except (SettingError, OSError) as exc:
            self.window.show_error(f"Could not export the loss history: {exc}")
            return False
        self.window.show_status(f"Exported the loss history to {path}")
        return True

    # --- plots ------------------------------------------------------------------------------------
    @Slot()
    def export_plot_triggered(self) -> None:
        name = self.sender().data()
        path = self.ask_save_path(f"Export the {name} plot", PLOT_FILTERS, f"{name}-{self.file_stem()}.png")
        if path:
            self.export_plot(name, path)

    def export_plot(self, name: str, path: str | Path) -> bool:
        """Save a plot ("loss", "boundary", "weights") or the whole "window" as PNG or SVG."""
        window = self.window
        widget, path = window.plot_widgets()[name], Path(path)
        try:
            if path.suffix.lower() == ".svg":
                save_svg(widget, path, f"Perceptron Playground: {name}")
            elif path.suffix.lower() == ".png":
                if not widget.grab().save(str(path), "PNG"):
                    raise OSError(f"cannot write {path}")
            else:
                raise SettingError("export", path.name, "must end in .png or .svg")
        except (SettingError, OSError) as exc:
            window.show_error(f"Could not export the plot: {exc}")
            return False
        window.show_status(f"Saved {path}")
        return True

    def file_stem(self) -> str:
        frame = self.window.drawn_frame()
        epochs = frame.snapshot.epoch if frame else 0
        dataset = self.window.dataset
        name = dataset.name.removeprefix("csv:").removesuffix(".csv") if dataset else "network"
        return f"{name}-{epochs}"


def save_svg(widget: QWidget, path: Path, title: str) -> None:
    """Render a widget as vector graphics (images inside it, like the heatmap, are embedded as pictures).
    Qt's own SVG generator: pyqtgraph's SVG exporter fails on the paths recent Qt versions write."""
    from PySide6.QtGui import QPainter
    from PySide6.QtSvg import QSvgGenerator

    if not path.parent.is_dir():
        raise OSError(f"the folder of {path} does not exist")
    generator = QSvgGenerator()
    generator.setFileName(str(path))
    generator.setSize(QSize(widget.size()))
    generator.setViewBox(widget.rect())
    generator.setTitle(title)
    painter = QPainter(generator)
    try:
        widget.render(painter)
    finally:
        painter.end()


def history_csv(frame) -> str:
    """The per-epoch history as CSV: empty cells where a value does not exist (no test set)."""
    history = frame.snapshot.history
    metric = "accuracy" if frame.dataset.task == "classification" else "r2"
    columns = ["train_loss", "test_loss", "metric", "test_metric"]
    out = io.StringIO()
    out.write(f"epoch,train_loss,test_loss,train_{metric},test_{metric}\n")
    for row, epoch in enumerate(history["epoch"]):
        cells = [repr(float(history[c][row])) if np.isfinite(history[c][row]) else "" for c in columns]
        out.write(f"{int(epoch)},{','.join(cells)}\n")
    return out.getvalue()
