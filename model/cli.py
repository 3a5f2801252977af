"""The headless command line: ``python main.py train ...`` and ``python main.py predict ...``.

Exit codes: 0 done, 2 bad input (one line on stderr, no traceback), 3 training diverged (the last finite
weights are still exported when --export is given).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

from model import kernel
from model.config import INITS, MODES, SettingError, TrainConfig
from model.datasets import DATASETS, load_csv, load_dataset
from model.functions import ACTIVATIONS, LOSSES, OUTPUTS
from model.network import NetworkSpec, predict
from model.presets import CSV_DEFAULTS, DATASET_DEFAULTS, PRESETS, get_preset
from model.trainer import Trainer
from model.weights_io import SUFFIXES, load_weights, save_weights

EXIT_OK, EXIT_BAD_INPUT, EXIT_DIVERGED = 0, 2, 3
KERNEL_WORTH_IT = 50_000  # updates: below this the NumPy path finishes before numba would load


class _OneLineParser(argparse.ArgumentParser):
    """argparse prints usage plus the error; we print the error alone, on one line."""

    def error(self, message):
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(prog="main.py", description="Perceptron Playground without a window.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_OneLineParser)
    train = commands.add_parser("train", help="train a network and print the result")
    source = train.add_argument_group("what to train on")
    source.add_argument("--preset", help=f"one of {', '.join(PRESETS)}")
    source.add_argument("--dataset", help=f"one of {', '.join(DATASETS)}")
    source.add_argument("--csv", metavar="PATH", help="a CSV file: numeric columns, the last is the target")
    source.add_argument("--standardize", action="store_true", help="scale CSV inputs to mean 0, std 1")
    net = train.add_argument_group("network and training (defaults: the preset's or the dataset's)")
    net.add_argument("--hidden", type=int, help="hidden units, 1..1024")
    net.add_argument("--activation", help=f"hidden activation: {', '.join(ACTIVATIONS)}")
    net.add_argument("--output", help=f"output unit: {', '.join(OUTPUTS)}")
    net.add_argument("--loss", help=f"{', '.join(LOSSES)} (bce needs --output sigmoid)")
    net.add_argument("--lr", type=float, help="learning rate, > 0 and <= 10")
    net.add_argument("--mode", help=f"update mode: {', '.join(MODES)}")
    net.add_argument("--batch-size", type=int, help="samples per update in minibatch mode")
    net.add_argument("--init", help=f"initialisation: {', '.join(INITS)}")
    net.add_argument("--init-weights", metavar="PATH", help="start from an exported .npz or .json file")
    net.add_argument("--no-bias", action="store_true", help="no biases (as notebook 001)")
    net.add_argument("--l2", type=float, help="L2 weight decay, >= 0")
    net.add_argument("--seed", type=int, help="seed for the initial weights and the sample order")
    run = train.add_argument_group("run and output")
    run.add_argument("--epochs", type=int, help="epochs to train (0: just show the initial weights)")
    run.add_argument("--target-loss", type=float, help="stop after the first epoch whose train loss is <= this")
    run.add_argument("--export", metavar="PATH", help=f"write the weights to PATH ({' or '.join(SUFFIXES)})")
    run.add_argument("--trace", action="store_true", help="print one line per update: loss, prediction, target, "
                                                          "every weight after the update")
    run.add_argument("--json", action="store_true", help="print the result as one JSON object")
    pred = commands.add_parser("predict", help="print a trained network's output for one input")
    pred.add_argument("--weights", required=True, metavar="PATH", help="an exported .npz or .json file")
    pred.add_argument("inputs", nargs="+", type=float, metavar="x", help="the input values x1 x2 ...")
    return parser


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


def resolve(args) -> tuple:
    """(dataset, config, epochs, initial params or None) from the options, over the preset's or dataset's defaults."""
    if args.csv and args.dataset:
        raise SettingError("dataset", args.dataset, "give --dataset or --csv, not both")
    preset = get_preset(args.preset) if args.preset else None
    if args.csv:
        dataset = load_csv(args.csv, standardize=args.standardize)
    else:
        dataset = load_dataset(args.dataset or (preset.dataset if preset else "xor"))
    if preset and not args.csv and dataset.name == preset.dataset:
        config, epochs = preset.config, preset.epochs
    elif args.csv:
        config, epochs = CSV_DEFAULTS[dataset.task]
    else:
        config, epochs = DATASET_DEFAULTS[dataset.name]
        if preset:
            config = preset.config
    initial = None
    if args.init_weights:
        loaded = load_weights(args.init_weights)
        initial = loaded.params
        if loaded.config is not None and args.hidden is None:
            config = config.replace(hidden=loaded.config.hidden, bias=loaded.config.bias)
        if initial.n_inputs != dataset.n_inputs:
            raise SettingError("init-weights", args.init_weights,
                               f"has {initial.n_inputs} inputs; the dataset has {dataset.n_inputs}")
    changes = {name: value for name, value in (
        ("hidden", args.hidden), ("activation", args.activation), ("output", args.output), ("loss", args.loss),
        ("lr", args.lr), ("mode", args.mode), ("batch_size", args.batch_size), ("init", args.init),
        ("l2", args.l2), ("seed", args.seed)) if value is not None}
    if args.no_bias:
        changes["bias"] = False
    if "output" in changes and "loss" not in changes and config.loss == "bce" and changes["output"] != "sigmoid":
        changes["loss"] = "squared"  # bce needs a sigmoid output: pick the loss that fits the new output
    config = TrainConfig(**{**config.as_dict(), **changes})
    if args.epochs is not None:
        if args.epochs < 0:
            raise SettingError("epochs", args.epochs, "must be a whole number >= 0")
        epochs = args.epochs
    if args.target_loss is not None and not (math.isfinite(args.target_loss) and args.target_loss >= 0):
        raise SettingError("target-loss", args.target_loss, "must be a number >= 0")
    return dataset, config, epochs, initial


def _train(args) -> int:
    dataset, config, epochs, initial = resolve(args)
    if args.export:
        _check_export_path(Path(args.export))  # before training, so a bad path costs nothing
    trainer = Trainer(config, dataset, initial)
    if config.mode in ("sample", "random_sample") and epochs * trainer.updates_per_epoch >= KERNEL_WORTH_IT:
        kernel.warm_up()
    if args.trace:
        _run_traced(trainer, epochs, args.target_loss)
    else:
        trainer.run(epochs, target_loss=args.target_loss)
    result = summarize(trainer, args)
    if args.export:
        save_weights(args.export, trainer.params, trainer.config, dataset=dataset.name, epochs=trainer.epoch,
                     updates=trainer.updates, metrics=_metrics(result), input_mean=dataset.input_mean,
                     input_std=dataset.input_std)
    if args.json:
        print(json.dumps(result))
    else:
        print(_human(result, args))
    if trainer.diverged:
        print(f"error: {trainer.diverged.message}", file=sys.stderr)
        return EXIT_DIVERGED
    return EXIT_OK


def _check_export_path(path: Path) -> None:
    if path.suffix.lower() not in SUFFIXES:
        raise SettingError("export", str(path), f"must end in {' or '.join(SUFFIXES)}")
    if not (path.parent if str(path.parent) else Path(".")).is_dir():
        raise SettingError("export", str(path), "its folder does not exist")


def _run_traced(trainer: Trainer, epochs: int, target_loss: float | None) -> None:
    """One update at a time, printing each as notebook 000 does: loss and prediction before it, weights after."""
    names = trainer.names
    for _ in range(epochs * trainer.updates_per_epoch - trainer.position):
        record = trainer.step_update()
        if trainer.diverged:
            return
        pred = record.prediction
        target = trainer.dataset.y[record.samples, 0]
        shown = (f"pred {_num(pred[0])} y {_num(target[0])}" if len(pred) == 1
                 else f"batch of {len(pred)} (first: pred {_num(pred[0])} y {_num(target[0])})")
        weights = " ".join(f"{n} {_num(v)}" for n, v in zip(names, trainer.params.theta, strict=True))
        print(f"update {record.update} epoch {record.epoch}: loss {_num(record.loss)} {shown} | {weights}")
        epoch_closed = trainer.position == 0
        if epoch_closed and target_loss is not None and trainer.last_epoch["train_loss"] <= target_loss:
            return


def _num(value: float) -> str:
    return f"{value:.10g}"


def summarize(trainer: Trainer, args) -> dict:
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
        "dataset": dataset.name,
        "config": {**config.as_dict(), "dataset": dataset.name, "preset": args.preset, "csv": args.csv,
                   "standardize": bool(args.standardize), "init_weights": args.init_weights,
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
            lines.append(f"{key.replace('_', ' ')} {result[key]:.4f}")
    if args.export:
        lines.append(f"weights written to {args.export}")
    return "\n".join(lines)


def _fmt(value) -> str:
    return "n/a" if value is None else f"{value:.6g}"


def _predict(args) -> int:
    loaded = load_weights(args.weights)
    if loaded.config is None:
        raise SettingError("weights", args.weights, "has no settings (activation, output): cannot compute outputs")
    params = loaded.params
    if len(args.inputs) != params.n_inputs:
        raise SettingError("inputs", " ".join(f"{x:g}" for x in args.inputs),
                           f"the network takes {params.n_inputs} values, got {len(args.inputs)}")
    # A network trained on standardised inputs takes raw ones here: the file carries the scaling.
    x = loaded.scale_inputs(np.array([args.inputs]))
    output = predict(params, x, NetworkSpec.from_config(loaded.config))
    print(_num(float(output[0, 0])))
    return EXIT_OK
