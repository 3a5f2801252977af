"""Undo and redo of replacing the network: nothing a user trained is lost to Reset, Re-initialise, a preset, a
dataset, an import or a setting that needs a new network.

A replaced network is kept whole: its Trainer (the window hands it back to the worker, which continues exactly
where it stopped, history and all) and what the window knew of it. The window never calls the kept Trainer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.config import TrainConfig
from model.datasets import Dataset
from model.network import Params
from model.trainer import Trainer

UNDO_DEPTH = 8  # networks kept for undo (each holds its dataset by reference and a bounded history)


@dataclass(frozen=True)
class NetworkState:
    """A network and the window's facts about it: everything needed to make it the one in use again."""

    trainer: Trainer  # opaque to the window once handed to the worker
    network: int  # the window's number for it (frames carry it)
    config: TrainConfig  # as it was last drawn (the learning rate may have changed since its start)
    dataset: Dataset
    dataset_key: str
    preset: str
    initial: Params | None  # imported weights (Reset returns to them); None: the seed's weights
    initial_theta: np.ndarray  # the weights it started from (the weights plot's reference)
    max_epochs: int
    epochs: int  # how far it had trained when it was replaced
    updates: int

    def label(self) -> str:
        return f"{self.dataset_key.removeprefix('csv:').rsplit('/', 1)[-1]}, hidden {self.config.hidden}, " \
               f"{self.epochs:,} epochs"


class UndoStack:
    """Networks replaced (undo) and networks undone (redo), newest last, at most UNDO_DEPTH each."""

    def __init__(self, depth: int = UNDO_DEPTH):
        self.depth = depth
        self._undo: list[NetworkState] = []
        self._redo: list[NetworkState] = []

    def replaced(self, state: NetworkState) -> None:
        """``state``'s network was replaced by a new one: it can be undone; what was undone cannot be redone."""
        self._undo = [*self._undo, state][-self.depth:]
        self._redo.clear()

    def undo(self, current: NetworkState | None) -> NetworkState | None:
        """The network to bring back, or None; ``current`` (if given) becomes redoable."""
        return self._move(self._undo, self._redo, current)

    def redo(self, current: NetworkState | None) -> NetworkState | None:
        """The network undo replaced last, or None; ``current`` (if given) becomes undoable again."""
        return self._move(self._redo, self._undo, current)

    def _move(self, source: list[NetworkState], other: list[NetworkState],
              current: NetworkState | None) -> NetworkState | None:
        if not source:
            return None
        if current is not None:
            other[:] = [*other, current][-self.depth:]
        return source.pop()

    def next_undo(self) -> NetworkState | None:
        return self._undo[-1] if self._undo else None

    def next_redo(self) -> NetworkState | None:
        return self._redo[-1] if self._redo else None
