"""Per-epoch history with bounded memory.

Rows are kept for epochs that are multiples of ``stride`` (1 at first). When the buffer is full, every
row whose epoch is not a multiple of 2*stride is dropped and the stride doubles, so 10**7 epochs take the
same memory as 10**4: the resolution halves instead.

Each row holds the epoch, the four COLUMNS, the parameter vector theta at the end of that epoch and, when
``state_words`` > 0, the state of the run's sample-order stream then (model/replay.py: what lets a run be
continued exactly from a row). The buffers are allocated once: ``nbytes`` = capacity x row_bytes, where
row_bytes = 8 (epoch) + 32 (columns) + 8 x n_params + 4 x state_words, and capacity is lowered so that this
stays within MAX_BYTES (16 MB), but never below 64 rows (9.6 MB for the largest network the settings allow,
16 inputs x 1024 hidden units, with stream states).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from model.config import SettingError
from model.replay import STREAM_WORDS, stored_array

COLUMNS = ("train_loss", "test_loss", "metric", "test_metric")
DEFAULT_CAPACITY = 4096
MIN_CAPACITY = 64
MAX_PARAM_VALUES = 1_000_000  # cap on capacity * n_params: 8 MB of parameter history at most
MAX_BYTES = 16_000_000  # cap on capacity * row_bytes: stream states (2,500 bytes a row) dominate small nets


def row_bytes(n_params: int, state_words: int = 0) -> int:
    """The bytes one row of a History takes: epoch, COLUMNS, theta and the stream state."""
    return 8 + 8 * len(COLUMNS) + 8 * n_params + 4 * state_words


class History:
    def __init__(self, n_params: int, capacity: int = DEFAULT_CAPACITY, state_words: int = 0):
        capacity = min(capacity, MAX_PARAM_VALUES // max(n_params, 1), MAX_BYTES // row_bytes(n_params, state_words))
        capacity = max(MIN_CAPACITY, capacity)
        capacity -= capacity % 2
        self.capacity, self.stride, self.count, self.state_words = capacity, 1, 0, state_words
        self.epoch = np.zeros(capacity, dtype=np.int64)
        self.columns = {name: np.full(capacity, np.nan) for name in COLUMNS}
        self.params = np.zeros((capacity, n_params))
        self.states = np.zeros((capacity, state_words), dtype=np.uint32)  # (capacity, 0) when not kept

    def append(self, epochs: np.ndarray, values: dict[str, np.ndarray], params: np.ndarray,
               states: Mapping[int, np.ndarray] | None = None) -> None:
        """Add rows for ``epochs`` (increasing, after the last row's); ``values`` maps column names to arrays
        like epochs, ``params`` holds one parameter vector per epoch (k, n_params), and ``states`` the stream
        state (state_words,) of each epoch that becomes a row, when this history keeps them (others are not
        read). Halves first as often as the rows kept then need, as adding them one at a time would."""
        epochs = np.asarray(epochs)
        self._halve_to(self._stride_for(epochs))
        keep = np.flatnonzero(epochs % self.stride == 0)
        rows = slice(self.count, self.count + len(keep))
        self.epoch[rows], self.params[rows] = epochs[keep], params[keep]
        for name, column in values.items():
            self.columns[name][rows] = np.asarray(column)[keep]
        if self.state_words and len(keep):
            self.states[rows] = [states[int(epoch)] for epoch in epochs[keep]]
        self.count += len(keep)

    def _stride_for(self, epochs: np.ndarray) -> int:
        """The smallest doubling of the stride at which the rows stored and those of ``epochs`` fit."""
        stride, stored = self.stride, self.epoch[: self.count]
        while np.count_nonzero(stored % stride == 0) + np.count_nonzero(epochs % stride == 0) > self.capacity:
            stride *= 2
        return stride

    def _halve_to(self, stride: int) -> None:
        """Keep the rows whose epoch is a multiple of ``stride`` (a doubling of the present one)."""
        if stride == self.stride:
            return
        self.stride = stride
        keep = np.flatnonzero(self.epoch[: self.count] % stride == 0)
        n = len(keep)
        for rows in self._buffers():
            rows[:n] = rows[keep]
        for column in self.columns.values():
            column[n:] = np.nan
        self.count = n

    def stride_after(self, epoch: int) -> int:
        """The stride once the epochs after the last row, up to ``epoch``, are appended: what the trainer uses
        to keep stream states only for the epochs that become rows."""
        last = int(self.epoch[self.count - 1]) if self.count else 0
        return self._stride_for(np.arange(last + 1, epoch + 1))

    def row_at_or_before(self, epoch: int) -> int:
        """The index of the last row whose epoch is <= ``epoch``, or -1 when there is none."""
        return int(np.searchsorted(self.epoch[: self.count], epoch, side="right")) - 1

    def copy_until(self, epoch: int) -> History:
        """A copy holding the rows up to ``epoch``, at this history's stride and capacity."""
        copy = History(self.params.shape[1], self.capacity, self.state_words)
        n = self.row_at_or_before(epoch) + 1
        for mine, theirs in zip(self._buffers(), copy._buffers(), strict=True):
            theirs[:n] = mine[:n]
        copy.stride, copy.count = self.stride, n
        return copy

    def view(self, param_columns: slice | np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Copies of the filled rows: "epoch", the COLUMNS and "params" (rows x n_params, or the columns asked:
        a slice or an index array into theta)."""
        params = self.params[: self.count]
        if param_columns is not None:
            params = params[:, param_columns]
        data = {"epoch": self.epoch[: self.count].copy(), "params": params.copy()}
        data.update({name: column[: self.count].copy() for name, column in self.columns.items()})
        return data

    def filled(self) -> dict[str, np.ndarray]:
        """Copies of the filled rows of every buffer (what from_filled takes back): view()'s "epoch" (k,) int64,
        COLUMNS (k,) and "params" (k, n_params) float64, and "states" (k, state_words) uint32."""
        return {**self.view(), "states": self.states[: self.count].copy()}

    @classmethod
    def from_filled(cls, rows: Mapping[str, np.ndarray], n_params: int, capacity: int, stride: int,
                    state_words: int) -> History:
        """A history of ``capacity`` rows (as a History made with it has) at ``stride``, holding ``rows`` (filled()'s
        arrays); a SettingError naming what a history could not hold: other shapes, epochs that are not increasing
        multiples of the stride, parameters that are not finite."""
        history = cls(n_params, capacity if type(capacity) is int else 0, state_words)
        if type(capacity) is not int or history.capacity != capacity:
            raise SettingError("history_capacity", capacity, f"must be what a history allows: {history.capacity}")
        if type(stride) is not int or not 1 <= stride <= 2**62 or stride & (stride - 1):
            raise SettingError("history_stride", stride, "must be a power of 2")
        epoch = stored_array(rows, "epoch", np.int64, (None,), prefix="history_")
        k = len(epoch)
        if k > capacity or (k and (epoch[0] < stride or (np.diff(epoch) <= 0).any() or (epoch % stride).any())):
            raise SettingError("history_epoch", f"{k:,} rows", f"must be at most {capacity:,} increasing multiples "
                               f"of the stride {stride:,}")
        arrays = [epoch, stored_array(rows, "params", np.float64, (k, n_params), finite=True, prefix="history_"),
                  stored_array(rows, "states", np.uint32, (k, state_words), prefix="history_")]
        if state_words and (arrays[-1][:, -1] > STREAM_WORDS - 1).any():
            raise SettingError("history_states", "a position", f"must be from 0 to {STREAM_WORDS - 1}")
        arrays += [stored_array(rows, name, np.float64, (k,), prefix="history_") for name in COLUMNS]
        for mine, stored in zip(history._buffers(), arrays, strict=True):
            mine[:k] = stored
        history.stride, history.count = stride, k
        return history

    @property
    def nbytes(self) -> int:
        return sum(rows.nbytes for rows in self._buffers())

    def _buffers(self) -> list[np.ndarray]:
        """Every per-row buffer."""
        return [self.epoch, self.params, self.states, *self.columns.values()]
