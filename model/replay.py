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
uint32 key[624], int pos); should the check fail, it falls back to get_state(). In random_sample, reading a
state between two draws would split one randint call per row into two (~12 us each, most of a run's cost
besides the updates): StreamReader.draw_below draws many epochs' orders at once and works out the states
between them instead (exactly: checked once against randint, else the trainer splits its calls). The
stream's Gaussian cache is left by the initial weights and never changes afterwards (sample orders draw no
normals), so rows keep only the key and the position, and epoch 0's full state supplies the rest.

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
    """Reads the state of a stream's bit generator quickly: in place when its layout is the one checked. Also draws
    what RandomState.randint(0, n) draws while reading the states in between at once (draw_below)."""

    def __init__(self, bits: np.random.MT19937):
        self._bits = bits  # owns the memory the view reads
        self._view = _raw_state(bits) if _raw_layout_is_known() else None
        self._scratch: np.random.MT19937 | None = None

    def words(self) -> np.ndarray:
        """A copy of the state: (STREAM_WORDS,) uint32, the key words then the position."""
        if self._view is not None:
            return self._view.copy()
        state = self._bits.state["state"]
        return np.append(state["key"], np.uint32(state["pos"]))

    @property
    def draws_fast(self) -> bool:
        """Whether draw_below can be used: the state is read in place and the method gave randint's numbers."""
        return self._view is not None and _draws_below_match()

    def draw_below(self, n: int, out: np.ndarray, ends) -> np.ndarray:
        """Fill ``out`` (flat int64) as RandomState.randint(0, n, size=out.size) on this stream would, leaving the
        stream where that leaves it, and return the stream's state (words()) right after the first ``ends[k]``
        values, for each k (non-decreasing, up to out.size): (len(ends), STREAM_WORDS). Only when draws_fast."""
        if self._scratch is None:
            self._scratch = np.random.MT19937()
        return _draw_below(self._bits, self._scratch, n, out, np.asarray(ends, dtype=np.int64))


# Reading a state between two draws costs a call of randint each (~12 us: random_sample's rows need one per
# row); draw_below makes one draw for all and works the states out. Legacy randint(0, n) (numpy's
# random_bounded_uint64_fill, masked) takes 32-bit words of the stream in turn, keeps the low bits of each up to
# the mask of n - 1 and rejects values above n - 1; draw_below does that on many words at once, drawn from a
# copy of the stream, and counts the words each value used. MT19937 hands out its 624 key words one by one
# (tempered) and regenerates them all when they are used up, so the state after c words is a generation's key
# and a position: the first generation's is the state at the start; later ones are the words drawn, untempered.
# The stream itself is then moved on by exactly the words used (MT19937.random_raw). Checked once against
# randint (_draws_below_match): the trainer falls back to randint calls should numpy ever draw otherwise.
FAST_DRAW_MIN_STATES = 8  # below this many states to read, randint calls between them cost less
KEY_WORDS = STREAM_WORDS - 1


def _draw_below(bits, scratch, n: int, out: np.ndarray, ends: np.ndarray) -> np.ndarray:
    view = _raw_state(bits)
    start, pos0, high = view.copy(), int(view[-1]), n - 1
    if high == 0:  # randint(0, 1) draws nothing
        out[:] = 0
        return np.tile(start, (len(ends), 1))
    mask = (1 << high.bit_length()) - 1
    _raw_state(scratch)[:] = start
    words, used = _masked_draws(scratch, out, high, mask)
    # the state after each end: generation r of the key, position t - 624 r (624: all used, none regenerated yet)
    t = pos0 + np.where(ends > 0, used[np.maximum(ends, 1) - 1] + 1, 0)
    generation = np.where(t <= KEY_WORDS, 0, (t - 1) // KEY_WORDS)
    wanted = np.unique(generation)  # the generations some state is in (only those are untempered)
    later = wanted[wanted > 0]
    needed = KEY_WORDS * (int(wanted[-1]) + 1) - pos0 if len(later) else 0  # words up to the last one's end
    if needed > len(words):
        words = np.concatenate([words, scratch.random_raw(needed - len(words))])
    keys = np.empty((len(wanted), KEY_WORDS), dtype=np.uint32)
    keys[: len(wanted) - len(later)] = start[:-1]
    keys[len(wanted) - len(later) :] = _untempered(words[(KEY_WORDS * later - pos0)[:, None] + np.arange(KEY_WORDS)])
    states = np.empty((len(ends), STREAM_WORDS), dtype=np.uint32)
    states[:, :-1] = keys[np.searchsorted(wanted, generation)]
    states[:, -1] = t - KEY_WORDS * generation
    bits.random_raw(int(used[-1]) + 1, output=False)
    return states


def _masked_draws(scratch, out: np.ndarray, high: int, mask: int) -> tuple[np.ndarray, np.ndarray]:
    """Fill ``out`` with the accepted values of ``scratch``'s words masked by ``mask`` (those <= high); return
    the words drawn and the index of the word each value came from."""
    if mask == high:  # n a power of 2: nothing is rejected
        words = scratch.random_raw(out.size)
        out[:] = words & mask
        return words, np.arange(out.size)
    blocks, accepted, drawn, missing = [], [], 0, out.size
    while missing > 0:
        size = int(missing * (mask + 1) / (high + 1) * 1.02) + 64  # a little more than the rejections take
        block = scratch.random_raw(size)
        kept = np.flatnonzero((block & mask) <= high)
        blocks.append(block)
        accepted.append(kept + drawn)
        drawn += size
        missing -= len(kept)
    words = np.concatenate(blocks)
    used = np.concatenate(accepted)[: out.size]
    out[:] = words[used] & mask
    return words, used


def _untempered(y: np.ndarray) -> np.ndarray:
    """MT19937's key words from the words it handed out (the inverse of its tempering)."""
    y = y.astype(np.uint32)
    y ^= y >> np.uint32(18)
    y ^= (y << np.uint32(15)) & np.uint32(0xEFC60000)
    t = y.copy()
    for _ in range(4):  # 7-bit shifts: each pass recovers 7 more bits
        t = y ^ ((t << np.uint32(7)) & np.uint32(0x9D2C5680))
    return t ^ (t >> np.uint32(11)) ^ (t >> np.uint32(22))


@functools.cache
def _draws_below_match() -> bool:
    """Whether _draw_below gives the values randint gives, the states get_state() reports between them and the
    stream's state after them (checked once, with and without rejections, across key regenerations)."""
    if not _raw_layout_is_known():
        return False
    for n, epochs in ((1, 3), (4, 400), (7, 300), (1000, 5)):
        streams = []
        for _ in range(2):
            bits = np.random.MT19937()
            stream = np.random.RandomState(bits)
            stream.seed(n)
            stream.standard_normal(5)  # a state off the seed's position, with a Gaussian cached
            streams.append((bits, stream))
        (fast_bits, fast), (_, slow) = streams
        ends = np.arange(1, epochs + 1, 3) * n
        out = np.empty(epochs * n, dtype=np.int64)
        states = _draw_below(fast_bits, np.random.MT19937(), n, out, ends)
        expected, expected_states = [], []
        for size in np.diff(ends, prepend=0):
            expected.append(slow.randint(0, n, size=size))
            expected_states.append(stream_words(slow.get_state()))
        expected.append(slow.randint(0, n, size=out.size - ends[-1]))
        same = (np.array_equal(out, np.concatenate(expected)) and np.array_equal(states, expected_states)
                and fast.get_state()[2:] == slow.get_state()[2:]
                and np.array_equal(fast.get_state()[1], slow.get_state()[1]))
        if not same:
            return False
    return True


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
