"""A trained network as a standalone Python file that needs only NumPy.

The file holds the weights (each float64 written with ``repr``, which reads back to the same bits), the input
scaling of a network trained on a standardised CSV, the hidden and output activations copied from the
functions the app itself computes with (the table in model/functions.py, so the file cannot drift from the
app), a documented ``predict(X)`` that follows model.network.forward operation for operation, and a check run
by ``python FILE``: it compares predict() on a few embedded inputs with the app's outputs for them (embedded
too) and prints OK, or says what differs and exits 1.

The file is only ever written: the app never reads one back, since that would mean running its code.
"""

from __future__ import annotations

import inspect
import math
import textwrap
from typing import TYPE_CHECKING

import numpy as np

from model.config import TrainConfig
from model.functions import ACTIVATIONS, Activation
from model.network import NetworkSpec, Params, predict

if TYPE_CHECKING:
    from model.datasets import Dataset

CHECK_SAMPLES = 5  # inputs the file's self-check reproduces
CHECK_TOLERANCE = 1e-12  # relative (and absolute, for outputs near 0): another NumPy may round exp or tanh apart


def python_source(params: Params, config: TrainConfig, sample_X, *, input_mean=None, input_std=None,
                  dataset: str = "", epochs: int = 0, metrics: dict | None = None) -> str:
    """The text of the standalone file for ``params`` trained with ``config``.

    ``sample_X`` (k, d) are raw inputs (before any scaling) whose outputs the file's self-check reproduces;
    the app's outputs for them are computed here, with model.network.predict behind the input scaling, as
    ``main.py predict`` computes them. ``input_mean`` / ``input_std``: the standardisation the network was
    trained behind (x_used = (x - mean) / std), or None. ``dataset``, ``epochs`` and ``metrics`` are told in
    the file's docstring.
    """
    sample_X = np.asarray(sample_X, dtype=np.float64).reshape(-1, params.n_inputs)
    scaled = sample_X if input_mean is None else (sample_X - input_mean) / input_std
    outputs = predict(params, scaled, NetworkSpec.from_config(config))[:, 0]
    parts = [
        _docstring(params, config, input_mean is not None, dataset, epochs, metrics or {}),
        "import numpy as np\n",
        _constants(params, config, input_mean, input_std),
        _activations(config),
        _predict_source(config, input_mean is not None),
        f"# The check: {len(sample_X)} inputs and the app's outputs for them (to a relative {CHECK_TOLERANCE:g}).\n"
        f"CHECK_TOLERANCE = {CHECK_TOLERANCE!r}\n"
        f"CHECK_INPUTS = {_array(sample_X)}\n"
        f"CHECK_OUTPUTS = {_array(outputs)}\n",
        _MAIN,
    ]
    return "\n\n\n".join(part.rstrip("\n") for part in parts) + "\n"


def sample_inputs(dataset: Dataset, count: int = CHECK_SAMPLES) -> np.ndarray:
    """The first ``count`` training inputs of ``dataset`` as raw values (a standardised CSV's scaling undone):
    inputs for the file's self-check."""
    X = dataset.X[:count]
    return X if dataset.input_mean is None else X * dataset.input_std + dataset.input_mean


# --- the parts of the file ------------------------------------------------------------------------------------
def _docstring(params: Params, config: TrainConfig, scaled: bool, dataset: str, epochs: int, metrics: dict) -> str:
    d, h = params.n_inputs, params.n_hidden
    trained = f"trained {epochs:,} epochs" + (f" on {dataset}" if dataset else "")
    numbers = ", ".join(f"{key.replace('_', ' ')} {value:.6g}" for key, value in metrics.items()
                        if isinstance(value, int | float) and math.isfinite(value))
    inputs = ", ".join(f"x{i + 1}" for i in range(d))
    scaling = ("raw ones: it scales them as the network was trained, to (x - INPUT_MEAN) / INPUT_STD" if scaled
               else "used as they are (the network was trained on unscaled inputs)")
    lines = [
        f'"""A Perceptron Playground network: {d} inputs -> {h} {config.activation} units -> 1 {config.output} '
        "output.",
        "",
        f"Exported by Perceptron Playground, {trained}" + (f" ({numbers})." if numbers else "."),
        "It needs only NumPy. Use it as",
        "",
        "    from this_file import predict",
        f"    predict([[{', '.join(['0.5'] * d)}]])  # one output per row: an array of shape (1,)",
        "",
        f"predict(X) takes rows of {d} inputs ({inputs}),",
        f"{scaling}.",
        "If the network was trained as a classifier, its output is the probability of class 1 (the app counts",
        "an output >= 0.5 as class 1).",
        "",
        "Run this file (python this_file.py) to check that it reproduces the app's outputs for a few inputs:",
        "it prints OK, or what differs and exits with status 1.",
        '"""',
    ]
    return "\n".join(lines)


def _constants(params: Params, config: TrainConfig, input_mean, input_std) -> str:
    lines = ["# The weights as trained; each number reads back to the very float64 the app holds.",
             f"N_INPUTS, N_HIDDEN = {params.n_inputs}, {params.n_hidden}",
             f"W1 = {_array(params.W1)}  # (inputs, hidden units)",
             f"W2 = {_array(params.W2)}  # (hidden units, 1)"]
    if config.bias:
        lines += [f"b1 = {_array(params.b1)}", f"b2 = {_array(params.b2)}"]
    else:
        lines.append("# (no biases: the network was trained without them)")
    if input_mean is not None:
        lines += ["# The standardisation the network was trained behind: x_used = (x - INPUT_MEAN) / INPUT_STD.",
                  f"INPUT_MEAN = {_array(input_mean)}", f"INPUT_STD = {_array(input_std)}"]
    return "\n".join(lines)


def _activations(config: TrainConfig) -> str:
    """The hidden and output activations as the app's table defines them: each writes f(z) into ``out``."""
    used = dict.fromkeys((config.activation, config.output))  # one copy when both are the same function
    sources = [_function_source(ACTIVATIONS[name]) for name in used]
    constants = {name: value for _, found in sources for name, value in found.items()}
    lines = ["# The activations, as the app computes them (its model/functions.py): each writes f(z) into out."]
    lines += [f"{name} = {value!r}" for name, value in sorted(constants.items())]
    return "\n".join(lines) + "\n\n\n" + "\n\n\n".join(source for source, _ in sources)


def _function_source(activation: Activation) -> tuple[str, dict]:
    """An activation's ``output`` function as source text, renamed to the activation's name, and the module
    constants it reads (such as LEAKY_SLOPE)."""
    function = activation.output
    source = textwrap.dedent(inspect.getsource(function))
    source = source.replace(f"def {function.__name__}(", f"def {activation.name}(", 1)
    found = {name: function.__globals__[name] for name in function.__code__.co_names
             if isinstance(function.__globals__.get(name), int | float)}
    return source.rstrip("\n") + "\n", found


def _predict_source(config: TrainConfig, scaled: bool) -> str:
    """predict(), following model.network.forward: the same operations in the same order."""
    bias1, bias2 = (" + b1", " + b2") if config.bias else ("", "")
    scaling = "        X = (X - INPUT_MEAN) / INPUT_STD\n" if scaled else ""
    return (
        "def predict(X):\n"
        '    """The network\'s output for each row of X (rows of N_INPUTS raw inputs): an array of shape (rows,)."""\n'
        "    X = np.asarray(X, dtype=np.float64).reshape(-1, N_INPUTS)\n"
        "    with np.errstate(over=\"ignore\", invalid=\"ignore\"):  # as the app: an overflow gives the right limit\n"
        f"{scaling}"
        f"        z1 = X @ W1{bias1}\n"
        "        a1 = np.empty_like(z1)\n"
        f"        {config.activation}(z1, a1)\n"
        f"        z2 = a1 @ W2{bias2}\n"
        "        p = np.empty_like(z2)\n"
        f"        {config.output}(z2, p)\n"
        "    return p[:, 0]\n"
    )


_MAIN = '''\
if __name__ == "__main__":
    import sys

    got = predict(CHECK_INPUTS)
    allowed = CHECK_TOLERANCE * np.maximum(1.0, np.abs(CHECK_OUTPUTS))
    wrong = ~((got == CHECK_OUTPUTS) | (np.abs(got - CHECK_OUTPUTS) <= allowed))  # == for an infinite output
    if wrong.any():
        row = int(np.flatnonzero(wrong)[0])
        print(f"MISMATCH: {int(wrong.sum())} of {len(got)} outputs differ; input {CHECK_INPUTS[row].tolist()}: "
              f"got {float(got[row])!r}, the app gave {float(CHECK_OUTPUTS[row])!r}")
        sys.exit(1)
    print(f"OK: the {len(got)} check outputs equal the app's")
'''


def _array(values) -> str:
    """``np.array([...])`` holding the values exactly: one row a line for a matrix."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 1:
        return f"np.array([{', '.join(map(_number, values.tolist()))}])"
    rows = ",\n    ".join(f"[{', '.join(map(_number, row))}]" for row in values.tolist())
    return f"np.array([\n    {rows},\n])"


def _number(value: float) -> str:
    """repr, which reads back to the same float64; inf and nan (an overflowed output) as float('inf')."""
    return repr(value) if math.isfinite(value) else f"float({str(value)!r})"
