"""The arithmetic of the last update, as text a learner can follow line by line."""

from __future__ import annotations

import numpy as np

from model.datasets import Dataset
from model.functions import ACTIVATIONS, LOSSES, OUTPUTS
from model.trainer import Snapshot, epoch_count

MAX_VECTOR = 8  # entries of a vector printed before "…"
MAX_BATCH_ROWS = 8  # samples of a batch listed


def number(value: float) -> str:
    """Five significant digits; "0" for zero of either sign (never "-0")."""
    text = f"{float(value):.5g}"
    return "0" if float(text) == 0 else text


def format_update(snapshot: Snapshot, explanation: dict | None, dataset: Dataset, names: tuple[str, ...],
                  shown: np.ndarray) -> str:
    """Every step of the last update: the forward pass, the backward pass, each gradient and change."""
    record = snapshot.last_update
    if record is None or explanation is None:
        return ("No update yet.\n\nPress Step sample (Shift+Right) to make one update and read its arithmetic "
                "here: the forward pass, the loss, the backward pass and every parameter's change.")
    config, e = snapshot.config, explanation
    m = int(e["m"])  # the batch's size (e holds the first rows of a big batch only)
    d, h = e["x"].shape[1], e["z1"].shape[1]
    act, out, loss = ACTIVATIONS[config.activation], OUTPUTS[config.output], LOSSES[config.loss]
    lines = [heading(snapshot, m, len(dataset.X)),
             f"{d}-{h}-1 network, biases {'on' if config.bias else 'off'}"
             + (f", weight decay {config.l2:g}" if config.l2 else ""),
             f"  hidden f = {act.name}:  f(z) = {act.formula},   f'(z) = {act.der_formula}",
             f"  output g = {out.name}:  g(z) = {out.formula},   g'(z) = {out.der_formula}",
             f"  loss {loss.name}:  L = {loss.formula}",
             ""]
    if m == 1:
        lines += _single_sample(e, config)
    else:
        lines += _batch(e, config, m)
    lines += ["", f"Gradients and changes (Δ = -lr · gradient, lr = {record.lr:g})",
              f"  {'parameter':<9}{'before':>12}{'gradient':>12}{'change Δ':>12}{'after':>12}"]
    before, grad, delta = record.theta_before, e["grad"], record.delta
    for i in shown:
        lines.append(f"  {names[i]:<9}{number(before[i]):>12}{number(grad[i]):>12}{number(delta[i]):>12}"
                     f"{number(before[i] + delta[i]):>12}")
    if len(shown) < len(names):
        lines.append(f"  … {len(names) - len(shown)} more parameters not listed")
    return "\n".join(lines)


def heading(snapshot: Snapshot, m: int, n: int) -> str:
    """E.g. "Update 4,003 — epoch 2,001 (+1/2) — sample row 3 of 4": the update, the epoch count after it (as
    the status bar counts), and the samples it used (``m`` of the ``n`` training rows)."""
    record = snapshot.last_update
    if m == 1:
        which = f"sample row {int(record.samples[0]) + 1:,} of {n:,}"
    elif m == n and snapshot.config.mode == "full":
        which = f"all {n:,} samples (full batch)"
    else:
        which = f"a batch of {m:,} samples"
    epochs = epoch_count(snapshot.epoch, snapshot.position, snapshot.updates_per_epoch)
    return f"Update {record.update:,} — epoch {epochs} — {which}"


def labelled(label: str, values, width: int = 20, per_line: int = 3) -> list[str]:
    """``label = [a, b, c,`` with further entries on aligned lines below, at most MAX_VECTOR in all."""
    values = np.ravel(values)
    head = f"  {label}".ljust(width) + "= "
    if values.size == 1:
        return [head + number(values[0])]
    cells = [f"{number(v):>10}" for v in values[:MAX_VECTOR]]
    rows = [", ".join(cells[i : i + per_line]) for i in range(0, len(cells), per_line)]
    more = f"  … {values.size} in all" if values.size > MAX_VECTOR else ""
    lines = [head + "[" + rows[0]] + [" " * (len(head) + 1) + row for row in rows[1:]]
    lines[-1] += "]" + more
    for k in range(len(lines) - 1):
        lines[k] += ","
    return lines


def _single_sample(e: dict, config) -> list[str]:
    act, out, loss = config.activation, config.output, LOSSES[config.loss]
    return [
        "Forward pass",
        *labelled("x", e["x"]),
        *labelled("z1 = x·W1 + b1", e["z1"]),
        *labelled(f"a1 = {act}(z1)", e["a1"]),
        *labelled("z2 = a1·W2 + b2", e["z2"]),
        *labelled(f"p  = {out}(z2)", e["p"]),
        *labelled("y  (target)", e["y"]),
        f"  loss = {loss.formula} = {number(e['loss'])}",
        "",
        "Backward pass",
        f"  dL/dz2 = {loss.grad_formula}",
        *labelled("       ", e["dz2"]),
        f"  dL/dz1 = (dL/dz2 · W2ᵀ) ⊙ {act}'(z1)",
        *labelled("       ", e["dz1"]),
        "  dL/dW2 = a1ᵀ · dL/dz2      dL/db2 = dL/dz2",
        "  dL/dW1 = xᵀ · dL/dz1       dL/db1 = dL/dz1",
    ]


def _batch(e: dict, config, m: int) -> list[str]:
    loss = LOSSES[config.loss]
    rows = min(m, MAX_BATCH_ROWS)
    lines = [f"Forward pass over the batch (the first {rows} of {m} samples)",
             *labelled("x[1]", e["x"][0]),
             *labelled("z1[1] = x·W1 + b1", e["z1"][0]),
             *labelled(f"a1[1] = {config.activation}(z1)", e["a1"][0]),
             f"  {'sample':>6}{'z2':>12}{'p':>12}{'y':>12}{'dL/dz2':>12}"]
    for k in range(rows):
        lines.append(f"  {k + 1:>6}{number(e['z2'][k, 0]):>12}{number(e['p'][k, 0]):>12}"
                     f"{number(e['y'][k, 0]):>12}{number(e['dz2'][k, 0]):>12}")
    lines += [f"  mean loss = mean of {loss.formula} = {number(e['loss'])}",
              "",
              "Backward pass (batch means: each dL/dz2 is divided by m)",
              f"  dL/dz2 = ({loss.grad_formula}) / m",
              f"  dL/dz1 = (dL/dz2 · W2ᵀ) ⊙ {config.activation}'(z1)",
              *labelled("dL/dz1[1]", e["dz1"][0]),
              "  dL/dW2 = a1ᵀ · dL/dz2      dL/dW1 = xᵀ · dL/dz1",
              "  (sums over the batch of the per-sample terms)"]
    return lines
