"""What lets a run be looked at, inspected and continued from any point of its past, exactly.

Decision: recorded states at the history's resolution, and the gap replayed. A run's state after any update
is rebuilt from the nearest recorded point strictly before it (so the update itself is made again and its
record is known): a history row (the end of an epoch that is a multiple of the history's stride) or epoch 0,
then the updates in between are made again by the trainer's own stepping code, with the logged edits applied
where they were made and each update on the path (compiled loop or NumPy phases) it first took, so every bit
is the same. A recorded point needs the parameters (the history row's theta) and, for the modes that draw
sample orders (random_sample, minibatch), the state of the random stream then; the other modes never draw
after the initial weights, so epoch 0's state serves every row.

Memory: a stream state is MT19937's 624 key words and its position, STREAM_WORDS x 4 = 2,500 bytes per row,
kept with the row and dropped with it when the history's stride doubles; the history lowers its capacity so
that its rows stay within 16 MB (model/history.py, row_bytes): 2,676 bytes a row and 11 MB in all for XOR's
2-4-1 network (4,096 rows). The replayed gap is at most ``stride`` epochs, and the stride grows like epochs /
capacity: 256 epochs after 10^6 epochs.

Speed of the states: RandomState.get_state() takes ~40 us (it copies the key word by word), 25 times a
permutation of 4 rows, so the trainer reads the stream's state from the bit generator's memory through its
documented ctypes address (~0.5 us), once checked against get_state() (the layout is numpy's mt19937_state:
uint32 key[624], int pos); should the check fail, it falls back to get_state(). The stream's Gaussian cache
is left by the initial weights and never changes afterwards (sample orders draw no normals), so rows keep
only the key and the position, and epoch 0's full state supplies the rest.

Edits: an Event is logged for every parameter edit and every change of the learning rate, with the number of
updates made when it happened: it applies before update ``update + 1``. The state "after update u" is the one
right after that update was applied, before any edit made while paused there (those are logged at u).
"""

from __future__ import annotations

import ctypes
import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np

from model.config import SettingError

STREAM_WORDS = 625  # MT19937's state as uint32 words: the 624 key words, then the position
LR_INDEX = -1  # Event.index of a learning-rate change


@dataclass(frozen=True)
class Event:
    """A change made between updates: a parameter edit (theta[index] = value) or a new learning rate."""

    update: int  # updates applied when it happened: it applies before update ``update + 1``
    kind: Literal["lr", "param"]
    index: int  # theta's index of the parameter edited; LR_INDEX for a learning rate
    value: float
    old: float


@dataclass(frozen=True)
class Checkpoint:
    """A recorded point a run can be continued from exactly: the end of ``epoch`` (0: before any update)."""

    epoch: int
    theta: np.ndarray  # (n_params,)
    stream: tuple  # the sample-order stream's state, as RandomState.get_state() gives it


def new_stream(seed: int) -> tuple[np.random.RandomState, StreamReader]:
    """np.random.RandomState(seed) (the same numbers), and a reader of its state."""
    bits = np.random.MT19937()
    stream = np.random.RandomState(bits)
    stream.seed(seed)  # the legacy seeding RandomState(seed) does
    return stream, StreamReader(bits)


class StreamReader:
    """Reads the state of a stream's bit generator quickly: in place when its layout is the one checked."""

    def __init__(self, bits: np.random.MT19937):
        self._bits = bits  # owns the memory the view reads
        self._view = _raw_state(bits) if _raw_layout_is_known() else None

    def words(self) -> np.ndarray:
        """A copy of the state: (STREAM_WORDS,) uint32, the key words then the position."""
        if self._view is not None:
            return self._view.copy()
        state = self._bits.state["state"]
        return np.append(state["key"], np.uint32(state["pos"]))


def stream_state(words: np.ndarray, start: tuple) -> tuple:
    """The RandomState.set_state() tuple for ``words`` (StreamReader.words), with the Gaussian cache of the run's
    epoch-0 state ``start``."""
    return ("MT19937", words[:-1].copy(), int(words[-1]), *start[3:])


def stream_words(state: tuple) -> np.ndarray:
    """RandomState.get_state()'s key and position as StreamReader.words gives them; its Gaussian cache (has_gauss,
    cached_gaussian) is ``state[3:]``."""
    return np.append(state[1], np.uint32(state[2]))


def checked_stream(arrays: Mapping[str, np.ndarray], name: str, gauss: object) -> tuple:
    """The RandomState.set_state() tuple for the stored words ``arrays[name]`` (STREAM_WORDS,) uint32 and the
    Gaussian cache ``gauss`` [has_gauss, cached_gaussian]; SettingError unless they can be a stream's state."""
    words = stored_array(arrays, name, np.uint32, (STREAM_WORDS,))
    if words[-1] > STREAM_WORDS - 1:
        raise SettingError(f"{name} position", int(words[-1]), f"must be from 0 to {STREAM_WORDS - 1}")
    valid = (isinstance(gauss, list) and len(gauss) == 2 and gauss[0] in (0, 1) and type(gauss[0]) is int
             and isinstance(gauss[1], float) and math.isfinite(gauss[1]))
    if not valid:
        raise SettingError(f"{name} gauss", gauss, "must be [has_gauss (0 or 1), cached_gaussian (a finite number)]")
    return stream_state(words, ("MT19937", None, None, *gauss))


def _raw_state(bits: np.random.MT19937) -> np.ndarray:
    """A view of the bit generator's state struct, read in place."""
    return np.ctypeslib.as_array((ctypes.c_uint32 * STREAM_WORDS).from_address(bits.ctypes.state_address))


@functools.cache
def _raw_layout_is_known() -> bool:
    """Whether the state struct holds what get_state() reports (checked once, on a stream moved off its seed)."""
    bits = np.random.MT19937()
    stream = np.random.RandomState(bits)
    stream.seed(12345)
    stream.permutation(1000)
    _, key, pos, *_ = stream.get_state()
    raw = _raw_state(bits)
    return bool(np.array_equal(raw[:-1], key)) and int(raw[-1]) == pos


# --- stored runs (model/session.py): events as columns, and checks of what a file holds ---------------------------
EVENT_COLUMNS = {"event_update": np.int64, "event_index": np.int64, "event_value": np.float64,
                 "event_old": np.float64}  # Event's fields as arrays; kind is "lr" where index is LR_INDEX


def event_columns(events) -> dict[str, np.ndarray]:
    """``events`` as EVENT_COLUMNS, each (k,)."""
    rows = [(event.update, event.index, event.value, event.old) for event in events]
    return {name: np.array([row[i] for row in rows], dtype=dtype)
            for i, (name, dtype) in enumerate(EVENT_COLUMNS.items())}


def events_from_columns(arrays: Mapping[str, np.ndarray], n_params: int, updates: int) -> list[Event]:
    """The events stored as EVENT_COLUMNS, checked for shapes, order (logged as updates were made, up to
    ``updates``) and indices into theta; the caller checks the values (Trainer.from_state)."""
    update, index, value, old = (stored_array(arrays, name, dtype, (None,)) for name, dtype in EVENT_COLUMNS.items())
    if not len(update) == len(index) == len(value) == len(old):
        raise SettingError("events", [len(update), len(index), len(value), len(old)], "must be columns of one length")
    if len(update) and (update[0] < 0 or update[-1] > updates or (np.diff(update) < 0).any()):
        raise SettingError("event_update", short(update), f"must be counts of updates in order, up to {updates:,}")
    if ((index < LR_INDEX) | (index >= n_params)).any():
        raise SettingError("event_index", short(index), f"must be {LR_INDEX} (learning rate) or 0 to {n_params - 1}")
    return [Event(int(u), "lr" if i == LR_INDEX else "param", int(i), float(v), float(o))
            for u, i, v, o in zip(update, index, value, old, strict=True)]


def stored_array(arrays: Mapping[str, np.ndarray], name: str, dtype, shape: tuple[int | None, ...],
                 finite: bool = False, prefix: str = "") -> np.ndarray:
    """``arrays[name]``, checked: present, of ``dtype`` and ``shape`` (None: any length along that axis) and, if
    ``finite``, finite throughout; a SettingError naming it (after ``prefix``) otherwise."""
    array = arrays.get(name)
    field = prefix + name
    if array is None:
        raise SettingError(field, None, "is missing")
    wanted = "(" + ", ".join("k" if n is None else str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"
    fits = array.ndim == len(shape) and all(n is None or n == m for n, m in zip(shape, array.shape, strict=True))
    if array.dtype != np.dtype(dtype) or not fits:
        raise SettingError(field, f"{array.dtype} {array.shape}", f"must be {np.dtype(dtype)} of shape {wanted}")
    if finite and not np.isfinite(array).all():
        raise SettingError(field, "not finite", "every value must be a finite number")
    return array


def stored_int(facts: Mapping[str, object], name: str, low: int, high: int) -> int:
    """``facts[name]``, checked to be a whole number from ``low`` to ``high``; a SettingError naming it otherwise."""
    value = facts.get(name)
    if type(value) is not int or not low <= value <= high:
        raise SettingError(name, value, f"must be a whole number from {low:,} to {high:,}")
    return value


def short(array: np.ndarray, most: int = 6) -> str:
    """An array's first values, for a one-line message."""
    values = ", ".join(str(v) for v in array[:most].tolist())
    return f"[{values}{', ...' if len(array) > most else ''}]"


def lr_before(events: tuple[Event, ...] | list[Event], update: int, lr_now: float) -> float:
    """The learning rate in force right after ``update`` updates, before the changes logged then: the last
    change logged earlier, else the rate the run began with (the first change's old value, or the present
    rate when it never changed)."""
    changes = [event for event in events if event.kind == "lr"]
    earlier = [event for event in changes if event.update < update]
    if earlier:
        return earlier[-1].value
    return changes[0].old if changes else lr_now


def changes_between(events, paths, start: int, stop: int) -> list[tuple[int, Event | bool]]:
    """What a replay from ``start`` updates to ``stop`` must do on the way, in order, as (updates made
    then, change): the events logged in [start, stop), and the path (True: compiled) the original run took,
    from ``paths`` (updates, compiled) at each switch: the one in force at ``start`` first."""
    in_force = [compiled for at, compiled in paths if at <= start]
    steps: list[tuple[int, Event | bool]] = [(start, in_force[-1])] if in_force else []
    steps += [(at, compiled) for at, compiled in paths if start < at < stop]
    steps += [(event.update, event) for event in events if start <= event.update < stop]
    return sorted(steps, key=lambda step: step[0])  # stable: a path switch and an edit at one count commute
