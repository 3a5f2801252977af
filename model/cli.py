"""The headless command line: ``python main.py train ...`` and ``python main.py predict ...``.

Exit codes: 0 done, 2 bad input (one line on stderr, no traceback), 3 training diverged (the last finite
weights are still exported when --export is given), 130 stopped by Ctrl+C (the result so far is printed and
exported).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import signal
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np

from model.config import INITS, MODES, SettingError, TrainConfig
from model.datasets import DATASET_NAMES, DATASETS, Dataset, load_csv, load_dataset
from model.export_py import sample_inputs
from model.functions import ACTIVATIONS, LOSSES, OUTPUTS
from model.generators import GENERATORS, MAX_DATA_SEED, MAX_SAMPLES, TEST_RATIOS, GeneratorSettings, generate
from model.network import NetworkSpec, Params, predict
from model.presets import CSV_DEFAULTS, DATASET_DEFAULTS, PRESETS, Preset, get_preset
from model.session import SUFFIX as SESSION_SUFFIX
from model.session import load_session, save_session
from model.trainer import Trainer
from model.weights_io import READ_SUFFIXES, SUFFIXES, WeightsFile, check_export_path, load_weights, save_weights

EXIT_OK, EXIT_BAD_INPUT, EXIT_DIVERGED, EXIT_INTERRUPTED = 0, 2, 3, 130
SLICE_SECONDS = 0.2  # training runs in slices this long; progress is shown between them
PROGRESS_AFTER_SECONDS = 0.5  # a run shorter than this shows no progress line
# Options that name something: an empty value is a mistake, not "use the default".
NAMED_OPTIONS = {
    "preset": f"must be one of {', '.join(PRESETS)}",
    "dataset": f"must be one of {', '.join(DATASET_NAMES)}",
    "csv": "must be the path of a CSV file",
    "init_weights": f"must be the path of a {' or '.join(READ_SUFFIXES)} file",
    "export": f"must be a path ending in {' or '.join(SUFFIXES)}",
}
DRAWING_OPTIONS = tuple(f.name for f in dataclasses.fields(GeneratorSettings))  # --samples ... --data-seed
CSV_TASKS = {"auto": None, "classification": "classification", "regression": "regression"}  # --task: load_csv's


class _OneLineParser(argparse.ArgumentParser):
    """argparse prints usage plus the error; we print the error alone, on one line."""

    def error(self, message):
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(prog="main.py", description="Perceptron Playground without a window.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_OneLineParser)
    train = commands.add_parser("train", help="train a network and print the result", epilog=_train_epilog(),
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    source = train.add_argument_group("what to train on")
    source.add_argument("--preset", help=f"one of {', '.join(PRESETS)} (with --dataset or --csv: its settings on that "
                                         "data)")
    source.add_argument("--dataset", metavar="NAME", help="a built-in dataset: one of the names listed below")
    source.add_argument("--csv", metavar="PATH", help="a CSV file: numeric columns, the last is the target")
    source.add_argument("--standardize", action="store_true", help="scale CSV inputs to mean 0, std 1 (with "
                        "--init-weights from a standardised network, its scaling is used)")
    source.add_argument("--task", help="for --csv: auto (classification when every target is 0 or 1, else "
                        "regression), classification (two target values: the smaller is class 0) or regression")
    drawn = train.add_argument_group("generated datasets: how they are drawn")
    defaults = GeneratorSettings()
    drawn.add_argument("--samples", type=int, help=f"points, train and test together: 10..{MAX_SAMPLES:,} "
                       f"(default {defaults.samples})")
    drawn.add_argument("--noise", type=float, help="a Gaussian jitter of std noise x the shape's scale (below): 0..1 "
                       f"(default {defaults.noise:g})")
    drawn.add_argument("--test-ratio", type=float, help="the share of the points held out as the test set: "
                       f"{TEST_RATIOS[0]:g}..{TEST_RATIOS[1]:g} (default {defaults.test_ratio:g})")
    drawn.add_argument("--data-seed", type=int, help=f"seed of the points' draws: 0..{MAX_DATA_SEED} (default "
                       f"{defaults.data_seed}; the same settings give the same points)")
    net = train.add_argument_group("network and training (defaults: the preset's, the --init-weights file's, or the "
                                   "dataset's)")
    net.add_argument("--hidden", type=int, help="hidden units, 1..1024")
    net.add_argument("--activation", help=f"hidden activation: {', '.join(ACTIVATIONS)}")
    net.add_argument("--output", help=f"output unit: {', '.join(OUTPUTS)}")
    net.add_argument("--loss", help=f"{', '.join(LOSSES)} (bce needs --output sigmoid)")
    net.add_argument("--lr", type=float, help="learning rate, > 0 and <= 10")
    net.add_argument("--mode", help=f"update mode: {', '.join(MODES)}")
    net.add_argument("--batch-size", type=int, help="samples per update in minibatch mode")
    net.add_argument("--init", help=f"initialisation: {', '.join(INITS)}")
    net.add_argument("--init-weights", metavar="PATH", help=f"continue from an exported {' or '.join(READ_SUFFIXES)} "
                     "file: its settings, dataset (generated: drawn as then) and input scaling unless given here")
    net.add_argument("--no-bias", action="store_true", help="no biases (as notebook 001)")
    net.add_argument("--l2", type=float, help="L2 weight decay, >= 0")
    net.add_argument("--seed", type=int, help="seed for the initial weights and the sample order")
    run = train.add_argument_group("run and output")
    run.add_argument("--epochs", type=int, help="epochs to train (0: just show the initial weights)")
    run.add_argument("--target-loss", type=float, help="stop after the first epoch whose train loss is <= this")
    run.add_argument("--export", metavar="PATH", help=f"write the weights to PATH ({' or '.join(SUFFIXES)}; the "
                     "extension picks the format: .py is a standalone Python file that needs only NumPy)")
    run.add_argument("--session", metavar="FILE", help="a session file (*.session.npz): created if missing, else "
                     "continued where it stopped, bit for bit, for --epochs more (its own settings and data; --lr "
                     "and --target-loss still apply); written at the end, and when stopped or diverged")
    run.add_argument("--trace", action="store_true", help="print one line per update: loss, prediction, target, "
                                                          "every weight after the update")
    run.add_argument("--json", action="store_true", help="print the result as one JSON object")
    pred = commands.add_parser("predict", help="print a trained network's output for one input")
    pred.add_argument("--weights", required=True, metavar="PATH", help=f"an exported {' or '.join(READ_SUFFIXES)} "
                      "file")
    pred.add_argument("inputs", nargs="+", metavar="x", help="the input values x1 x2 ... (finite numbers)")
    # argparse takes "-1e5" or "-inf" for an unknown option (it knows negatives like -1 and -.5 only): here an
    # argument that reads as a number is an input. (_negative_number_matcher is argparse's own hook.)
    pred._negative_number_matcher = _NumberText()
    return parser


def _train_epilog() -> str:
    """The dataset names with what each is, one per line (wrapped), and how Ctrl+C works."""
    entries = [(name, DATASETS[name]().description) for name in DATASETS]
    entries += [(name, g.description) for name, g in GENERATORS.items()]
    width = max(len(name) for name, _ in entries) + 4
    lines = ["datasets (--dataset NAME):"]
    for name, text in entries:
        lines += textwrap.wrap(text, 110, initial_indent=f"  {name}".ljust(width), subsequent_indent=" " * width)
    return "\n".join([*lines, "", "Ctrl+C stops at once, prints the result so far, writes --export and exits 130."])


class _NumberText:
    """Matches a negative number as float() reads it: "-1", "-1e5", "-inf", "-nan"."""

    def match(self, text: str) -> bool:
        try:
            float(text)
        except ValueError:
            return False
        return text.startswith("-")


def run_cli(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _train(args) if args.command == "train" else _predict(args)
    except SettingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # the reader went away (| head): nothing more to say
        return EXIT_OK
    except OSError as exc:
        print(f"error: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


# --- what to train --------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Plan:
    """What a train command trains: resolved from the options over the file's, preset's or dataset's."""

    dataset: Dataset
    config: TrainConfig
    epochs: int
    initial: Params | None = None
    note: str | None = None  # one line for stderr: how the run differs from the --init-weights file's


def resolve(args) -> Plan:
    """The dataset, settings, epochs and initial weights of a train command.

    Settings come from, first to last: the command line's options; --preset (it names every setting);
    the --init-weights file (network and training settings, dataset and input scaling); the dataset's defaults.
    """
    _check_sources(args)
    preset = get_preset(args.preset) if args.preset is not None else None
    loaded = load_weights(args.init_weights) if args.init_weights is not None else None
    dataset = _dataset(args, preset, loaded)
    config, epochs = _defaults(dataset, preset, args.csv is not None)
    if loaded is not None and preset is None:
        config = loaded.config or config.replace(hidden=loaded.params.n_hidden)
    config = _with_options(config, args)
    if args.epochs is not None:
        if args.epochs < 0:
            raise SettingError("epochs", args.epochs, "must be a whole number >= 0")
        epochs = args.epochs
    if args.target_loss is not None and not (math.isfinite(args.target_loss) and args.target_loss >= 0):
        raise SettingError("target-loss", args.target_loss, "must be a number >= 0")
    if loaded is None:
        return Plan(dataset, config, epochs)
    _check_fits(loaded, args, dataset, config)
    dataset = _behind_file_scaling(dataset, loaded)
    return Plan(dataset, config, epochs, loaded.params, _note(args.init_weights, loaded, dataset, config))


def _check_sources(args) -> None:
    for option, allowed in NAMED_OPTIONS.items():
        value = getattr(args, option)
        if value is not None and not value.strip():
            raise SettingError(option.replace("_", "-"), value, allowed)
    if args.csv is not None and args.dataset is not None:
        raise SettingError("dataset", args.dataset, "give --dataset or --csv, not both")
    if args.standardize and args.csv is None:
        raise SettingError("standardize", True, "applies to CSV data only: give --csv PATH")
    if args.task is not None and args.task not in CSV_TASKS:
        raise SettingError("task", args.task, f"must be one of {', '.join(CSV_TASKS)}")
    if args.task is not None and args.csv is None:
        raise SettingError("task", args.task, "applies to CSV data only: give --csv PATH")


def _dataset(args, preset: Preset | None, loaded: WeightsFile | None) -> Dataset:
    if args.csv is not None:
        _refuse_drawing_options(args, "CSV data")
        # A file trained behind a scaling keeps it (applied later): fresh statistics would change its meaning.
        scaled_by_file = loaded is not None and loaded.input_mean is not None
        return load_csv(args.csv, standardize=args.standardize and not scaled_by_file, task=CSV_TASKS.get(args.task))
    name = _dataset_name(args, preset, loaded)
    if name not in GENERATORS:
        _refuse_drawing_options(args, name)
        return load_dataset(name)
    # Drawn as the file's data was (when it was this dataset), with the options given here changed.
    drawn = loaded.generator if loaded is not None and loaded.dataset == name and loaded.generator else None
    changes = {option: getattr(args, option) for option in DRAWING_OPTIONS if getattr(args, option) is not None}
    return generate(name, dataclasses.replace(drawn or GeneratorSettings(), **changes))


def _dataset_name(args, preset: Preset | None, loaded: WeightsFile | None) -> str:
    """The built-in dataset to train on: --dataset's, the preset's, the --init-weights file's, or xor."""
    if args.dataset is not None:
        return args.dataset
    if preset is not None:
        return preset.dataset
    if loaded is not None and loaded.dataset is not None:
        if loaded.dataset not in DATASET_NAMES:
            raise SettingError("init-weights", args.init_weights, f"was trained on {loaded.dataset}: give its data "
                               "with --csv PATH (or another dataset with --dataset)")
        return loaded.dataset
    return "xor"


def _refuse_drawing_options(args, data: str) -> None:
    """A SettingError naming the first drawing option given (--samples ...): they apply to generated data only."""
    for option in DRAWING_OPTIONS:
        value = getattr(args, option)
        if value is not None:
            raise SettingError(option.replace("_", "-"), value, f"applies to the generated datasets only "
                               f"({', '.join(GENERATORS)}), not to {data}")


def _defaults(dataset: Dataset, preset: Preset | None, from_csv: bool) -> tuple[TrainConfig, int]:
    config, epochs = CSV_DEFAULTS[dataset.task] if from_csv else DATASET_DEFAULTS[dataset.name]
    if preset is not None:
        config = preset.config  # on another dataset (or a CSV): the preset's settings, the data's epochs
        if preset.dataset == dataset.name:
            epochs = preset.epochs
    return config, epochs


def _with_options(config: TrainConfig, args) -> TrainConfig:
    changes = {name: value for name, value in (
        ("hidden", args.hidden), ("activation", args.activation), ("output", args.output), ("loss", args.loss),
        ("lr", args.lr), ("mode", args.mode), ("batch_size", args.batch_size), ("init", args.init),
        ("l2", args.l2), ("seed", args.seed)) if value is not None}
    if args.no_bias:
        changes["bias"] = False
    if "output" in changes and "loss" not in changes and config.loss == "bce" and changes["output"] != "sigmoid":
        changes["loss"] = "squared"  # bce needs a sigmoid output: pick the loss that fits the new output
    return TrainConfig(**{**config.as_dict(), **changes})


def _check_fits(loaded: WeightsFile, args, dataset: Dataset, config: TrainConfig) -> None:
    params = loaded.params
    if params.n_inputs != dataset.n_inputs:
        raise SettingError("init-weights", args.init_weights,
                           f"has {params.n_inputs} inputs; the dataset has {dataset.n_inputs}")
    if config.hidden != params.n_hidden:  # only an option can make it differ: --hidden or --preset
        option = "--hidden" if args.hidden is not None else f"--preset {args.preset}"
        raise SettingError("hidden", config.hidden, f"{Path(args.init_weights).name} has {params.n_hidden} hidden "
                           f"units: leave {option} out or give {params.n_hidden}")


def _behind_file_scaling(dataset: Dataset, loaded: WeightsFile) -> Dataset:
    """The dataset's raw inputs scaled as the file's network was trained: the same network, on any data."""
    if loaded.input_mean is None:
        return dataset

    def scaled(X):
        if X is None:
            return None
        X = np.ascontiguousarray(loaded.scale_inputs(X))
        X.flags.writeable = False
        return X

    return dataclasses.replace(dataset, X=scaled(dataset.X), X_test=scaled(dataset.X_test),
                               input_mean=loaded.input_mean, input_std=loaded.input_std)


def _note(path: str, loaded: WeightsFile, dataset: Dataset, config: TrainConfig) -> str | None:
    """One line saying how this run differs from the file's (dataset, settings), or None."""
    then, now = [], []
    if loaded.dataset is not None and loaded.dataset != dataset.name:
        then.append(f"on {loaded.dataset}")
        now.append(f"on {dataset.name}")
    if loaded.generator is not None and dataset.generator is not None and loaded.generator != dataset.generator:
        old, new = loaded.generator.as_dict(), dataset.generator.as_dict()
        changed = [key for key in old if old[key] != new[key]]
        then.append("on points drawn with " + ", ".join(f"{key.replace('_', '-')} {old[key]}" for key in changed))
        now.append("on points drawn with " + ", ".join(f"{key.replace('_', '-')} {new[key]}" for key in changed))
    if loaded.config is not None:
        old = _settings_in_words(loaded.config, loaded.input_mean is not None)
        new = _settings_in_words(config, dataset.input_mean is not None)
        changed = [key for key in old if old[key] != new[key]]
        if changed:
            then.append("with " + ", ".join(old[key] for key in changed))
            now.append("with " + ", ".join(new[key] for key in changed))
    if not then:
        return None
    return f"note: {Path(path).name} was trained {' '.join(then)}; training {' '.join(now)}"


def _settings_in_words(config: TrainConfig, standardised: bool) -> dict[str, str]:
    """Each setting that shapes a continued run, as the note shows it (init is not one: the file gives the
    initial weights)."""
    words = {name: f"{name.replace('_', '-')} {repr(value) if isinstance(value, float) else value}"
             for name, value in config.as_dict().items() if name not in ("init", "bias")}
    words["bias"] = "biases" if config.bias else "no biases"
    words["inputs"] = "standardised inputs" if standardised else "raw inputs"
    return words


# --- training -------------------------------------------------------------------------------------------
SESSION_FIXED = ("preset", "dataset", "csv", "init_weights", "hidden", "activation", "output", "loss", "init",
                 "mode", "batch_size", "l2", "seed", "samples", "noise", "test_ratio", "data_seed")


def _session_trainer(args) -> tuple[Trainer | None, Plan | None, np.ndarray | None]:
    """The run an existing --session file holds (its settings and data; --lr may change the rate), or (None, None)
    when the file is not there yet: a new run is then made from the options and saved to it."""
    path = Path(args.session)
    if not path.name.lower().endswith(SESSION_SUFFIX):
        raise SettingError("session", args.session, f"must end in {SESSION_SUFFIX}")
    if not path.exists():
        return None, None, None
    given = [name for name in SESSION_FIXED if getattr(args, name, None) not in (None, False)]
    if given:
        raise SettingError(given[0].replace("_", "-"), getattr(args, given[0]),
                           f"cannot change a saved session's data or network ({path.name}); leave it out")
    session = load_session(path)
    trainer = session.trainer
    if args.lr is not None:
        trainer.set_learning_rate(args.lr)
    epochs = args.epochs if args.epochs is not None else 0
    if epochs < 0:
        raise SettingError("epochs", args.epochs, "must be a whole number >= 0")
    # --epochs counts the epochs to add: N, then N more, is 2N in all
    return trainer, Plan(trainer.dataset, trainer.config, trainer.epoch + epochs), session.initial_theta


def _train(args) -> int:
    trainer, plan, initial_theta = _session_trainer(args) if args.session is not None else (None, None, None)
    if plan is None:
        plan = resolve(args)
    if args.export is not None:
        check_export_path(args.export)  # before training, so a bad path costs nothing
    if trainer is None:
        trainer = Trainer(plan.config, plan.dataset, plan.initial)
        initial_theta = trainer.params.theta.copy()  # a new session keeps the weights it started from
    if plan.note:
        print(plan.note, file=sys.stderr)
    with _CtrlC() as ctrl_c:
        if plan.epochs > 0:  # (with nothing to train, loading numba is wasted time)
            trainer.prepare_compiled()
        if args.trace:
            stopped_by = _run_traced(trainer, plan.epochs, args.target_loss, ctrl_c)
        else:
            progress = _Progress(sys.stderr, enabled=sys.stderr.isatty() and not args.json)
            stopped_by = _run_in_slices(trainer, plan.epochs, args.target_loss, ctrl_c, progress)
        interrupted = stopped_by == "stop"
        result = summarize(trainer, args, interrupted)
        if args.export is not None:
            dataset = trainer.dataset
            save_weights(args.export, trainer.params, trainer.config, dataset=dataset.name, epochs=trainer.epoch,
                         updates=trainer.updates, metrics=_metrics(result), input_mean=dataset.input_mean,
                         input_std=dataset.input_std, generator=dataset.generator, sample_X=sample_inputs(dataset))
        if args.session is not None:  # after a stop or a divergence too: nothing trained is lost
            save_session(args.session, trainer, initial_theta=initial_theta,
                         extra={"dataset_key": trainer.dataset.name})
        print(json.dumps(result) if args.json else _human(result, args))
    if trainer.diverged:
        print(f"error: {trainer.diverged.message}", file=sys.stderr)
        return EXIT_DIVERGED
    if interrupted:
        print(f"interrupted (Ctrl+C) after epoch {trainer.epoch:,} (update {trainer.updates:,}): the result so far "
              "is above", file=sys.stderr)
        return EXIT_INTERRUPTED
    return EXIT_OK


class _CtrlC:
    """While in use, Ctrl+C (SIGINT) asks the run to stop at its next chunk instead of raising
    KeyboardInterrupt; calling it answers whether it was pressed (a should_stop for Trainer.run)."""

    def __init__(self):
        self.pressed = False
        self._previous = None

    def __enter__(self) -> _CtrlC:
        if threading.current_thread() is threading.main_thread():  # only the main thread may set handlers
            self._previous = signal.signal(signal.SIGINT, self._press)
        return self

    def __exit__(self, *exc_info) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)

    def _press(self, signum, frame) -> None:
        self.pressed = True

    def __call__(self) -> bool:
        return self.pressed


def _run_in_slices(trainer: Trainer, epochs: int, target_loss, should_stop, progress: _Progress) -> str:
    """trainer.run in slices of SLICE_SECONDS, showing progress between them (a run split any way gives the
    same result). Returns why it stopped: "epochs", "target", "diverged" or "stop"."""
    try:
        while True:
            result = trainer.run(epochs - trainer.epoch, target_loss=target_loss, should_stop=should_stop,
                                 max_seconds=SLICE_SECONDS)
            if result.stopped_by != "time":
                return result.stopped_by
            progress.show(trainer, epochs)
    finally:
        progress.clear()


def _run_traced(trainer: Trainer, epochs: int, target_loss: float | None, should_stop) -> str:
    """One update at a time, printing each as notebook 000 does: loss and prediction before it, weights after."""
    names = trainer.names
    for _ in range(epochs * trainer.updates_per_epoch - trainer.position):
        if should_stop():
            return "stop"
        record = trainer.step_update()
        if trainer.diverged:
            return "diverged"
        pred = record.prediction
        target = trainer.dataset.y[record.samples, 0]
        shown = (f"pred {_num(pred[0])} y {_num(target[0])}" if len(pred) == 1
                 else f"batch of {len(pred)} (first: pred {_num(pred[0])} y {_num(target[0])})")
        weights = " ".join(f"{n} {_num(v)}" for n, v in zip(names, trainer.params.theta, strict=True))
        print(f"update {record.update} epoch {record.epoch}: loss {_num(record.loss)} {shown} | {weights}")
        epoch_closed = trainer.position == 0
        if epoch_closed and target_loss is not None and trainer.last_epoch["train_loss"] <= target_loss:
            return "target"
    return "epochs"


class _Progress:
    """A long run's progress on a terminal: one line on stderr, rewritten in place with \\r, cleared at the end."""

    def __init__(self, stream, enabled: bool):
        self.stream, self.enabled = stream, enabled
        self.start = time.perf_counter()
        self.width = 0  # characters of the line on screen

    def show(self, trainer: Trainer, epochs: int) -> None:
        elapsed = time.perf_counter() - self.start
        if not self.enabled or elapsed < PROGRESS_AFTER_SECONDS:
            return
        done = trainer.epoch + trainer.position / trainer.updates_per_epoch
        loss = trainer.last_epoch["train_loss"] if trainer.last_epoch else None
        line = progress_line(trainer.epoch, epochs, loss, done / elapsed)[: self._columns() - 1]
        self.stream.write("\r" + line.ljust(self.width))
        self.stream.flush()
        self.width = len(line)

    def clear(self) -> None:
        if self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
            self.width = 0

    def _columns(self) -> int:
        try:
            columns = os.get_terminal_size(self.stream.fileno()).columns
        except (OSError, ValueError, AttributeError):
            columns = 0
        return columns if columns >= 20 else 80  # a terminal that does not say its size: assume 80


def progress_line(epoch: int, epochs: int, loss: float | None, epochs_per_second: float) -> str:
    """E.g. "epoch 12,345/3,000,000  loss 0.0123457  4,568 epochs/s  10m 54s left"."""
    left = _duration((epochs - epoch) / epochs_per_second) if epochs_per_second > 0 else "?"
    return f"epoch {epoch:,}/{epochs:,}  loss {_fmt(loss)}  {epochs_per_second:,.0f} epochs/s  {left} left"


def _duration(seconds: float) -> str:
    """Two units at most: 54s, 10m 54s, 2h 30m, 1,157d 09h."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m {seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days:,}d {hours:02d}h"


# --- the result -----------------------------------------------------------------------------------------
def _num(value: float) -> str:
    return f"{value:.10g}"


def summarize(trainer: Trainer, args, interrupted: bool = False) -> dict:
    """The result as plain JSON types: metrics of the last epoch (or of the initial network), settings, weights."""
    dataset, config = trainer.dataset, trainer.config
    numbers = trainer.last_epoch if trainer.last_epoch is not None else trainer.evaluate()
    metric_name = "accuracy" if dataset.task == "classification" else "r2"
    params = trainer.params
    result = {
        "epochs": trainer.epoch,
        "updates": trainer.updates,
        "train_loss": _json_number(numbers.get("train_loss")),
        "test_loss": _json_number(numbers.get("test_loss")) if dataset.has_test else None,
        metric_name: _json_number(numbers.get("metric")),
        f"test_{metric_name}": _json_number(numbers.get("test_metric")) if dataset.has_test else None,
        "diverged": trainer.diverged is not None,
        "divergence": trainer.diverged.message if trainer.diverged else None,
        "interrupted": interrupted,
        "dataset": dataset.name,
        "config": {**config.as_dict(), "dataset": dataset.name, "preset": args.preset, "csv": args.csv,
                   "standardize": dataset.input_mean is not None,  # by --standardize or the --init-weights file
                   "init_weights": args.init_weights,
                   "generator": dataset.generator.as_dict() if dataset.generator else None,  # how it was drawn
                   "target_loss": args.target_loss},
        "weights": {
            "W1": params.W1.tolist(),
            "b1": params.b1.tolist() if config.bias else None,
            "W2": params.W2.tolist(),
            "b2": params.b2.tolist() if config.bias else None,
        },
    }
    return result


def _json_number(value) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _metrics(result: dict) -> dict:
    keys = ("train_loss", "test_loss", "accuracy", "test_accuracy", "r2", "test_r2")
    return {k: result[k] for k in keys if k in result and result[k] is not None}


def _human(result: dict, args) -> str:
    cfg = result["config"]
    lines = [f"{result['dataset']}: {cfg['hidden']} hidden {cfg['activation']}, output {cfg['output']}, "
             f"loss {cfg['loss']}, lr {cfg['lr']:g}, mode {cfg['mode']}"]
    lines.append(f"epochs {result['epochs']}  updates {result['updates']}  train loss {_fmt(result['train_loss'])}"
                 + (f"  test loss {_fmt(result['test_loss'])}" if result["test_loss"] is not None else ""))
    for key in ("accuracy", "test_accuracy", "r2", "test_r2"):
        if result.get(key) is not None:
            lines.append(f"{key.replace('_', ' ')} {_fmt(result[key])}")
    if args.export:
        lines.append(f"weights written to {args.export}")
    return "\n".join(lines)


def _fmt(value) -> str:
    """Six significant digits: 0.0123457, 1, -3.77439e+135; n/a for a missing number."""
    return "n/a" if value is None else f"{value:.6g}"


# --- predict --------------------------------------------------------------------------------------------
def _predict(args) -> int:
    loaded = load_weights(args.weights)
    if loaded.config is None:
        raise SettingError("weights", args.weights, "has no settings (activation, output): cannot compute outputs")
    params = loaded.params
    if len(args.inputs) != params.n_inputs:
        raise SettingError("inputs", " ".join(args.inputs),
                           f"the network takes {params.n_inputs} values, got {len(args.inputs)}")
    inputs = [_finite_input(text, position) for position, text in enumerate(args.inputs, start=1)]
    # A network trained on standardised inputs takes raw ones here: the file carries the scaling.
    x = loaded.scale_inputs(np.array([inputs]))
    output = predict(params, x, NetworkSpec.from_config(loaded.config))
    print(_num(float(output[0, 0])))
    return EXIT_OK


def _finite_input(text: str, position: int) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise SettingError(f"x{position}", text, "must be a finite number")
    return value
