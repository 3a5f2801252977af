"""A scikit-learn-style ``MLP`` with ``fit`` / ``predict``, in the spirit of notebook 004."""

from __future__ import annotations

import numpy as np

from model.config import TrainConfig
from model.datasets import make_dataset
from model.trainer import Trainer


class MLP:
    """``MLP(hidden_units=2, lr=0.01, epochs=20).fit(X, y).predict(X)``; defaults are notebook 004's:
    a linear hidden layer, a sigmoid output with cross-entropy, one randomly drawn sample per update.
    Any other TrainConfig setting can be passed by name (activation="tanh", mode="full", ...)."""

    def __init__(self, hidden_units: int = 2, lr: float = 0.01, epochs: int = 20, **settings):
        defaults = {"activation": "linear", "output": "sigmoid", "loss": "bce", "mode": "random_sample",
                    "init": "xavier"}
        self.config = TrainConfig(hidden=hidden_units, lr=lr, **{**defaults, **settings})
        self.epochs = epochs
        self.trainer: Trainer | None = None

    def fit(self, X, y) -> MLP:
        X = np.asarray(X, dtype=np.float64)
        dataset = make_dataset("fit", X.reshape(len(X), -1), np.asarray(y, dtype=np.float64))
        self.trainer = Trainer(self.config, dataset)
        self.trainer.run(self.epochs)
        return self

    def predict_output(self, X) -> np.ndarray:
        """The network's raw output for each row, shape (n,)."""
        if self.trainer is None:
            raise RuntimeError("call fit() before predict()")
        X = np.asarray(X, dtype=np.float64)
        return self.trainer.predict(X.reshape(len(X), -1))[:, 0].copy()

    def predict(self, X, threshold: float = 0.5) -> np.ndarray:
        """Class labels 0/1 for a classification fit (output >= threshold), else the outputs."""
        output = self.predict_output(X)
        if self.trainer.dataset.task == "classification":
            return (output >= threshold).astype(np.int64)
        return output
