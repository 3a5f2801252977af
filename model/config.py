"""Training settings: one frozen dataclass, validated on creation.

Every invalid value raises :class:`SettingError`, whose message is one line naming the field, the value
and what is allowed, so the CLI and the window can show it as it is.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace

from model.functions import ACTIVATIONS, LOSSES, OUTPUTS

MODES = ("sample", "random_sample", "minibatch", "full")
INITS = ("ones", "uniform", "xavier", "he")
MAX_HIDDEN = 1024
MAX_INPUTS = 16
MAX_LR = 10.0


class SettingError(ValueError):
    """A setting (or an input file) that cannot be used; str() is the one-line message."""

    def __init__(self, field: str, value: object, allowed: str):
        self.field, self.value, self.allowed = field, value, allowed
        super().__init__(f"{field} = {value!r}: {allowed}")


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a training run. Strings are the names users see."""

    hidden: int = 4
    activation: str = "relu"
    output: str = "linear"
    loss: str = "squared"
    lr: float = 0.01
    mode: str = "sample"
    batch_size: int = 32  # used by mode "minibatch"
    init: str = "uniform"
    bias: bool = True
    l2: float = 0.0  # weight decay: adds (l2 / 2) * sum(W^2) to the objective; biases are not decayed
    seed: int = 0

    def __post_init__(self):
        _check_int("hidden", self.hidden, 1, MAX_HIDDEN)
        _check_choice("activation", self.activation, ACTIVATIONS)
        _check_choice("output", self.output, OUTPUTS)
        _check_choice("loss", self.loss, LOSSES)
        if LOSSES[self.loss].needs_sigmoid and self.output != "sigmoid":
            raise SettingError("loss", self.loss, f"needs output 'sigmoid' (output is {self.output!r})")
        check_lr(self.lr)
        _check_choice("mode", self.mode, MODES)
        _check_int("batch_size", self.batch_size, 1, 10**9)
        _check_choice("init", self.init, INITS)
        if not isinstance(self.bias, bool):
            raise SettingError("bias", self.bias, "must be true or false")
        if not _is_number(self.l2) or not math.isfinite(self.l2) or self.l2 < 0:
            raise SettingError("l2", self.l2, "must be a number >= 0")
        _check_int("seed", self.seed, 0, 2**32 - 1)

    def replace(self, **changes) -> TrainConfig:
        return replace(self, **changes)

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise SettingError("config", unknown[0], f"is not a setting; settings are {', '.join(sorted(known))}")
        return cls(**data)


def check_lr(lr: object) -> float:
    if not _is_number(lr) or not math.isfinite(lr) or not 0 < lr <= MAX_LR:
        raise SettingError("lr", lr, f"must be a number > 0 and <= {MAX_LR:g}")
    return float(lr)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_int(field: str, value: object, low: int, high: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise SettingError(field, value, f"must be a whole number from {low} to {high}")


def _check_choice(field: str, value: object, allowed) -> None:
    if value not in allowed:
        raise SettingError(field, value, f"must be one of {', '.join(sorted(allowed))}")
