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
from dataclasses import dataclass
from typing import Literal

import numpy as np

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
