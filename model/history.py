"""Per-epoch history with bounded memory.

Rows are kept for epochs that are multiples of ``stride`` (1 at first). When the buffer is full, every
row whose epoch is not a multiple of 2*stride is dropped and the stride doubles, so 10**7 epochs take the
same memory as 10**4: the resolution halves instead.
"""

from __future__ import annotations

import numpy as np

COLUMNS = ("train_loss", "test_loss", "metric", "test_metric")
MAX_PARAM_VALUES = 1_000_000  # cap on capacity * n_params: 8 MB of parameter history at most


class History:
    def __init__(self, n_params: int, capacity: int = 4096):
        capacity = max(64, min(capacity, MAX_PARAM_VALUES // max(n_params, 1)))
        capacity -= capacity % 2
        self.capacity, self.stride, self.count = capacity, 1, 0
        self.epoch = np.zeros(capacity, dtype=np.int64)
        self.columns = {name: np.full(capacity, np.nan) for name in COLUMNS}
        self.params = np.zeros((capacity, n_params))

    def append(self, epochs: np.ndarray, values: dict[str, np.ndarray], params: np.ndarray) -> None:
        """Add rows for ``epochs`` (increasing); ``values`` maps column names to arrays like epochs,
        ``params`` holds one parameter vector per epoch."""
        keep = epochs % self.stride == 0
        epochs, params = epochs[keep], params[keep]
        values = {name: np.asarray(column)[keep] for name, column in values.items()}
        start = 0
        while start < len(epochs):
            if self.count == self.capacity:
                self._halve()
                # rows not yet stored must also obey the new stride
                keep = epochs[start:] % self.stride == 0
                epochs = np.concatenate([epochs[:start], epochs[start:][keep]])
                params = np.concatenate([params[:start], params[start:][keep]])
                values = {n: np.concatenate([c[:start], c[start:][keep]]) for n, c in values.items()}
                continue
            take = min(self.capacity - self.count, len(epochs) - start)
            rows = slice(self.count, self.count + take)
            self.epoch[rows] = epochs[start : start + take]
            self.params[rows] = params[start : start + take]
            for name, column in values.items():
                self.columns[name][rows] = column[start : start + take]
            self.count += take
            start += take

    def _halve(self) -> None:
        self.stride *= 2
        keep = np.flatnonzero(self.epoch[: self.count] % self.stride == 0)
        n = len(keep)
        self.epoch[:n] = self.epoch[keep]
        self.params[:n] = self.params[keep]
        for column in self.columns.values():
            column[:n] = column[keep]
            column[n:] = np.nan
        self.count = n

    def view(self, param_columns: slice | np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Copies of the filled rows: "epoch", the COLUMNS and "params" (rows x n_params, or the columns asked:
        a slice or an index array into theta)."""
        params = self.params[: self.count]
        if param_columns is not None:
            params = params[:, param_columns]
        data = {"epoch": self.epoch[: self.count].copy(), "params": params.copy()}
        data.update({name: column[: self.count].copy() for name, column in self.columns.items()})
        return data

    @property
    def nbytes(self) -> int:
        return self.epoch.nbytes + self.params.nbytes + sum(c.nbytes for c in self.columns.values())
