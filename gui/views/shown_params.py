"""What the weights plot shows of a network, decided by the training worker (it alone reads the whole theta):
which parameters get a curve and a bar, and the distribution of the last update's change over all of them.

No Qt here: plain NumPy, so the worker thread can call it while the GUI thread draws."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.network import Layout

MAX_SHOWN_PARAMS = 64  # weight curves (and bars) plotted at most (a 2-1024-1 network has 4097 parameters)
MAX_SHOWN_UNITS = 8  # hidden units whose parameters are plotted when not every parameter fits
MAX_BARS = 64  # a network with more parameters shows its last change as a histogram (change_histogram)
CHANGE_BINS = 41  # bins of the last change's histogram (odd: a change of 0 sits in the middle of a bin)


@dataclass(frozen=True)
class ShownParams:
    """Which parameters the weight plots show: indices into theta, their names and a title saying so."""

    index: np.ndarray
    names: tuple[str, ...]
    caption: str


def choose_shown_params(names: list[str], n_inputs: int, n_hidden: int, bias: bool,
                        limit: int = MAX_SHOWN_PARAMS, theta: np.ndarray | None = None,
                        epoch: int = 0) -> ShownParams:
    """All parameters if they fit; otherwise every parameter of a few whole hidden units, and b2.

    The units are the MAX_SHOWN_UNITS (fewer if their parameters exceed ``limit``) with the largest outgoing
    weight |w2| in ``theta`` (taken at ``epoch``): the units the output depends on most. Without theta, or when
    every |w2| is equal (the "ones" initialisation), the first units. Whole units (incoming weights, bias,
    outgoing weight) say more than the first ``limit`` entries of theta, which would all be weights from input 1.
    Each unit's parameters are listed together. Disabled biases (always 0) are left out.
    """
    layout = Layout(n_inputs, n_hidden)
    keep = np.ones(len(names), dtype=bool) if bias else ~layout.bias_mask()
    if keep.sum() <= limit:
        index = np.flatnonzero(keep)
        caption = f"all {len(index)} parameters" + ("" if bias else " (biases off)")
        return ShownParams(index, tuple(names[i] for i in index), caption)
    per_unit = n_inputs + (2 if bias else 1)
    count = max(1, min(MAX_SHOWN_UNITS, (limit - 1) // per_unit))
    units, which = _pick_units(layout, count, theta, epoch)
    index = _unit_parameters(layout, units, keep)
    unit_list = ", ".join(str(u + 1) for u in units)
    caption = f"{which} ({len(index)} of {len(names)} parameters): units {unit_list}"
    return ShownParams(index, tuple(names[i] for i in index), caption)


def _pick_units(layout: Layout, count: int, theta: np.ndarray | None, epoch: int) -> tuple[np.ndarray, str]:
    """``count`` hidden units (0-based, ascending), and which they are, for the caption."""
    h = layout.n_hidden
    if theta is not None:
        strength = np.abs(np.asarray(theta)[layout.W2])
        strength = np.where(np.isfinite(strength), strength, -1.0)
        if np.ptp(strength) > 0:
            units = np.sort(np.argsort(-strength, kind="stable")[:count])
            return units, f"the {count} of {h} hidden units with the largest |w2| at epoch {epoch:,}"
        return np.arange(count), f"the first {count} of {h} hidden units (every |w2| is equal at epoch {epoch:,})"
    return np.arange(count), f"the first {count} of {h} hidden units"


def _unit_parameters(layout: Layout, units: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Indices into theta of each unit's kept parameters (incoming weights, bias, outgoing weight), unit by
    unit, then b2 if kept."""
    d, h = layout.n_inputs, layout.n_hidden
    per_unit = [[i * h + u for i in range(d)] + [layout.b1_at + u, layout.w2_at + u] for u in units]
    index = np.array([*(i for unit in per_unit for i in unit), layout.b2_at], dtype=np.int64)
    return index[keep[index]]


@dataclass(frozen=True)
class ChangeHistogram:
    """How many parameters the last update changed by how much: counts over CHANGE_BINS equal bins between
    the smallest and largest finite change (np.histogram's bins), and how many changes were not finite."""

    counts: np.ndarray
    edges: np.ndarray
    not_finite: int

    @property
    def total(self) -> int:
        return int(self.counts.sum()) + self.not_finite


def change_histogram(delta: np.ndarray, bins: int = CHANGE_BINS) -> ChangeHistogram:
    """The distribution of every parameter's change ``delta`` (an UpdateRecord's), for a network of more than
    MAX_BARS parameters: O(parameters), so best computed by the worker when it publishes a frame (the view
    otherwise computes it, at most a few times a second)."""
    delta = np.asarray(delta, dtype=np.float64)
    finite = np.isfinite(delta)
    counts, edges = np.histogram(delta[finite], bins=bins)
    return ChangeHistogram(counts, edges, int(len(delta) - finite.sum()))
