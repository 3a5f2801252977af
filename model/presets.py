"""One preset per seed notebook, faithful to its algorithm (not its bugs), and good defaults per dataset.

Where a notebook sums gradients over the batch, the preset's learning rate is the one that makes the
same update with the app's mean gradient (lr_mean = lr_sum * n, halved when the notebook's delta is the
gradient of (p - y)^2 / 2 but its printed loss is (p - y)^2).
"""

from __future__ import annotations

from dataclasses import dataclass

from model.config import SettingError, TrainConfig


@dataclass(frozen=True)
class Preset:
    name: str
    dataset: str
    config: TrainConfig
    epochs: int
    description: str


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset(
            "notebook_000", "single_point",
            TrainConfig(hidden=1, activation="linear", output="linear", loss="squared", lr=0.01, mode="sample",
                        init="ones", bias=True),
            1000,
            "2-1-1 linear network on one point, all weights 1, lr 0.01, one update per step",
        ),
        Preset(
            "notebook_001", "xor",
            TrainConfig(hidden=4, activation="relu", output="linear", loss="half_squared", lr=0.001, mode="sample",
                        init="uniform", bias=False, seed=40),
            10000,
            "XOR 2-4-1 ReLU, no biases, delta = p - y, alpha 0.001, weights from seed 40",
        ),
        Preset(
            # The notebook moved its weights with lr 0.01 on summed gradients but its biases with an
            # effective rate of 1 (and used a thresholded output in the error): as a mean-gradient rate,
            # 1.0 is what lets its 2000 epochs learn the four rows.
            "notebook_002", "and_or",
            TrainConfig(hidden=2, activation="sigmoid", output="sigmoid", loss="squared", lr=1.0, mode="full",
                        init="xavier", bias=True, seed=0),
            2000,
            "AND-OR 3-2-1 sigmoid, full batch; tested on the 4 unseen rows, (1,1,0) -> 1 among them",
        ),
        Preset(
            # Summed (p - y) gradients with lr 1e-4 over 1000 samples == mean squared-error gradient, lr 0.05.
            "notebook_003", "product",
            TrainConfig(hidden=5, activation="relu", output="linear", loss="squared", lr=0.05, mode="full",
                        init="uniform", bias=True, seed=0),
            2000,
            "product regression 2-5-1 ReLU, full batch, uniform init",
        ),
        Preset(
            "notebook_004", "two_points",
            TrainConfig(hidden=2, activation="linear", output="sigmoid", loss="bce", lr=0.01, mode="random_sample",
                        init="xavier", bias=True, seed=2),
            2000,
            "MLP(2, lr 0.01): linear hidden, sigmoid + cross-entropy, one random sample per update",
        ),
    )
}

_CLASSIFIER = TrainConfig(hidden=8, activation="tanh", output="sigmoid", loss="bce", lr=0.1, mode="minibatch",
                          batch_size=16, init="xavier")

# Settings that train each dataset well, used when a dataset is picked without a preset.
DATASET_DEFAULTS: dict[str, tuple[TrainConfig, int]] = {
    "single_point": (PRESETS["notebook_000"].config, 1000),
    "xor": (TrainConfig(hidden=4, activation="tanh", output="sigmoid", loss="bce", lr=0.5, mode="full",
                        init="xavier"), 2000),
    "and_or": (TrainConfig(hidden=3, activation="tanh", output="sigmoid", loss="bce", lr=0.5, mode="full",
                           init="xavier"), 2000),
    "product": (TrainConfig(hidden=16, activation="tanh", output="linear", loss="squared", lr=0.1, mode="minibatch",
                            batch_size=32, init="xavier"), 300),
    "two_points": (PRESETS["notebook_004"].config.replace(lr=0.1), 500),
    # The generated datasets (model/generators.py), for their default settings (200 points, noise 0.1):
    # minibatches of 16 of the 140 training points, 9 updates an epoch. The spiral needs more units and epochs.
    "circle": (_CLASSIFIER, 300),
    "gaussians": (_CLASSIFIER.replace(hidden=4), 100),
    "spiral": (_CLASSIFIER.replace(hidden=16), 3000),
    "moons": (_CLASSIFIER, 500),
    "sine": (_CLASSIFIER, 1000),
    "cubic": (_CLASSIFIER, 500),
    "abs": (_CLASSIFIER.replace(hidden=4), 300),
    "plane": (_CLASSIFIER.replace(hidden=4, output="linear", loss="squared", lr=0.01), 300),
}

CSV_DEFAULTS = {
    "classification": (TrainConfig(hidden=8, activation="tanh", output="sigmoid", loss="bce", lr=0.1,
                                   mode="minibatch", batch_size=32, init="xavier"), 500),
    "regression": (TrainConfig(hidden=8, activation="tanh", output="linear", loss="squared", lr=0.01,
                               mode="minibatch", batch_size=32, init="xavier"), 500),
}


def get_preset(name: str) -> Preset:
    if name not in PRESETS:
        raise SettingError("preset", name, f"must be one of {', '.join(sorted(PRESETS))}")
    return PRESETS[name]


def matching_preset(name: str, config: TrainConfig, dataset_key: str) -> str:
    """``name`` if that preset's settings and dataset are still exactly these, else "": the one test of
    whether the settings in use are still a preset's."""
    preset = PRESETS.get(name)
    return name if preset is not None and preset.config == config and preset.dataset == dataset_key else ""
