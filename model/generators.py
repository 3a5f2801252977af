"""Generated 2-D datasets, beside the notebooks' (model/datasets.py): one table keyed by the names users see.

Each generator draws ``n`` points ``X`` (n, 2) with targets ``y`` (n, 1): 0 or 1 for the classifications
(the two classes as equal in size as n allows), a number for the plane. Without noise the inputs lie within
[-6, 6] x [-6, 6] (the Gaussians' tails excepted: 4 standard deviations from their centres) and every
classification but the Gaussians is separable by its shape's rule (the radius 2.5 for the circle, the curve
for the curves, which moon or spiral arm a point lies on); ``noise`` then adds a Gaussian jitter of standard
deviation ``noise x scale``, where ``scale`` is a length of the shape (each table entry says which), to the
inputs of a classification, so that points cross the boundary, and to the target of the plane.

Draws come from ``np.random.RandomState(data_seed)``, whose streams NumPy keeps fixed from version to version:
the same settings give the same arrays bit for bit. The jitter is drawn even at noise 0, after the shape's
points, so that another noise level with the same seed moves the same points further (and splits them the
same way); then the points are shuffled and the first ``round(samples x test_ratio)`` become the test set.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np

from model.config import SettingError, _check_int

if TYPE_CHECKING:
    from model.datasets import Dataset

MAX_SAMPLES = 1_000_000
MAX_DATA_SEED = 2**31 - 1
TEST_RATIOS = (0.1, 0.9)


@dataclass(frozen=True)
class GeneratorSettings:
    """How a generated dataset is drawn; invalid values raise SettingError naming the field."""

    samples: int = 200  # train + test
    noise: float = 0.1  # jitter std as a fraction of the shape's scale, 0..1
    test_ratio: float = 0.3  # the share of the samples held out as the test set
    data_seed: int = 0

    def __post_init__(self):
        _check_int("samples", self.samples, 10, MAX_SAMPLES)
        _check_fraction("noise", self.noise, 0.0, 1.0, "(a jitter of std noise x the shape's scale)")
        _check_fraction("test_ratio", self.test_ratio, *TEST_RATIOS, "(the share of the samples held out for testing)")
        _check_int("data_seed", self.data_seed, 0, MAX_DATA_SEED)

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def n_test(self) -> int:
        """The test set's size: samples x test_ratio, rounded (from 1 to samples - 1, as samples >= 10)."""
        return round(self.samples * self.test_ratio)


def _check_fraction(field: str, value: object, low: float, high: float, meaning: str) -> None:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if not number or not math.isfinite(value) or not low <= value <= high:
        raise SettingError(field, value, f"must be a number from {low:g} to {high:g} {meaning}")


# --- the shapes: (n, sigma, rng) -> X (n, 2), y (n,); sigma = noise x the entry's scale -------------------------
def _class_sizes(n: int) -> tuple[int, int]:
    return n - n // 2, n // 2  # class 0, class 1


def _labels(n: int) -> np.ndarray:
    n0, n1 = _class_sizes(n)
    return np.repeat([0.0, 1.0], [n0, n1])


def _jittered(X: np.ndarray, sigma: float, rng: np.random.RandomState) -> np.ndarray:
    return X + sigma * rng.standard_normal(X.shape)


def _polar(r: np.ndarray, angle: np.ndarray) -> np.ndarray:
    return np.column_stack([r * np.cos(angle), r * np.sin(angle)])


CIRCLE_INNER, CIRCLE_RING = 2.0, (3.0, 5.0)  # class 1 inside radius 2; class 0 on the ring from 3 to 5


def circle(n: int, sigma: float, rng: np.random.RandomState) -> tuple[np.ndarray, np.ndarray]:
    n0, n1 = _class_sizes(n)
    low, high = CIRCLE_RING
    # sqrt of a uniform square radius: uniform over the area, not crowded at the centre
    r = np.concatenate([np.sqrt(rng.uniform(low**2, high**2, n0)), CIRCLE_INNER * np.sqrt(rng.uniform(0, 1, n1))])
    X = _polar(r, rng.uniform(0, 2 * np.pi, n))
    return _jittered(X, sigma, rng), _labels(n)


GAUSSIAN_CENTRE = 2.0  # class 1 around (2, 2), class 0 around (-2, -2), standard deviation 1


def gaussians(n: int, sigma: float, rng: np.random.RandomState) -> tuple[np.ndarray, np.ndarray]:
    y = _labels(n)
    centres = GAUSSIAN_CENTRE * (2 * y - 1)
    X = centres[:, None] + rng.standard_normal((n, 2))
    return _jittered(X, sigma, rng), y


SPIRAL_RADIUS, SPIRAL_TURNS = 6.0, 1.5  # arms 2 apart along any ray


def spiral(n: int, sigma: float, rng: np.random.RandomState) -> tuple[np.ndarray, np.ndarray]:
    y = _labels(n)
    s = rng.uniform(0, 1, n)  # how far along its arm a point is
    X = _polar(SPIRAL_RADIUS * s, 2 * np.pi * SPIRAL_TURNS * s + np.pi * y)  # arm 1 is arm 0 turned by half a turn
    return _jittered(X, sigma, rng), y


MOON_RADIUS = 2.5  # scikit-learn's make_moons (radius 1) scaled by 2.5 and centred: its noise means the same here


def moons(n: int, sigma: float, rng: np.random.RandomState) -> tuple[np.ndarray, np.ndarray]:
    n0 = _class_sizes(n)[0]
    t = rng.uniform(0, np.pi, n)
    outer = np.column_stack([np.cos(t[:n0]), np.sin(t[:n0])])  # class 0: the upper half of the unit circle at 0
    inner = np.column_stack([1 - np.cos(t[n0:]), 0.5 - np.sin(t[n0:])])  # class 1: the lower half at (1, 0.5)
    X = MOON_RADIUS * (np.vstack([outer, inner]) - [0.5, 0.25])
    return _jittered(X, sigma, rng), _labels(n)


def _above_curve(f: Callable[[np.ndarray], np.ndarray], box: tuple[float, float, float, float]):
    """A shape of points drawn uniformly in ``box`` (x_low, x_high, y_low, y_high), class 1 above y = f(x) and
    class 0 below it, as many of each (each side is filled by drawing points and keeping those on its side)."""

    def shape(n: int, sigma: float, rng: np.random.RandomState) -> tuple[np.ndarray, np.ndarray]:
        x_low, x_high, y_low, y_high = box
        sides = []
        for label, count in enumerate(_class_sizes(n)):
            kept = np.empty((0, 2))
            while len(kept) < count:
                points = np.column_stack([rng.uniform(x_low, x_high, 2 * count), rng.uniform(y_low, y_high, 2 * count)])
                above = points[:, 1] > f(points[:, 0])
                kept = np.vstack([kept, points[above == bool(label)]])
            sides.append(kept[:count])
        return _jittered(np.vstack(sides), sigma, rng), _labels(n)

    return shape


def _cubic(x: np.ndarray) -> np.ndarray:
    return x**3 - x


CURVES = {"sine": np.sin, "cubic": _cubic, "abs": np.abs}  # the curve boundaries: y = f(x)

PLANE = (1.0, -0.5, 1.0)  # y = x1 - 0.5 x2 + 1 on [-5, 5]^2


def plane(n: int, sigma: float, rng: np.random.RandomState) -> tuple[np.ndarray, np.ndarray]:
    X = rng.uniform(-5, 5, (n, 2))
    a, b, c = PLANE
    return X, a * X[:, 0] + b * X[:, 1] + c + sigma * rng.standard_normal(n)


# --- the table ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Generator:
    name: str
    make: Callable[[int, float, np.random.RandomState], tuple[np.ndarray, np.ndarray]]
    scale: float  # the length that noise 1 jitters by (its standard deviation)
    label: str  # for the dataset list
    shape: str  # what the points are, in a few words
    task: str = "classification"

    @property
    def description(self) -> str:
        """One line: the shape and what noise does."""
        jittered = "targets" if self.task == "regression" else "points"
        return f"{self.shape}; noise 1: {jittered} jittered by std {self.scale:g}"


GENERATORS: dict[str, Generator] = {
    g.name: g
    for g in (
        Generator("circle", circle, 2.5, "Circle", "class 1 within radius 2, class 0 on a ring from 3 to 5"),
        Generator("gaussians", gaussians, 2.0, "Two Gaussians",
                  "blobs of std 1 around (2, 2) for class 1 and (-2, -2) for class 0"),
        Generator("spiral", spiral, 2.0, "Spiral", "two arms of 1.5 turns out to radius 6, 2 apart"),
        Generator("moons", moons, MOON_RADIUS, "Two moons",
                  "two interleaved half circles of radius 2.5 (make_moons x 2.5)"),
        Generator("sine", _above_curve(np.sin, (-6, 6, -3, 3)), 1.0, "Above y = sin x",
                  "class 1 above y = sin x, class 0 below, in [-6, 6] x [-3, 3]"),
        Generator("cubic", _above_curve(_cubic, (-2, 2, -6, 6)), 1.0, "Above y = x³ - x",
                  "class 1 above y = x^3 - x, class 0 below, in [-2, 2] x [-6, 6]"),
        Generator("abs", _above_curve(np.abs, (-4, 4, -2, 4)), 1.0, "Above y = |x|",
                  "class 1 above y = |x|, class 0 below, in [-4, 4] x [-2, 4]"),
        Generator("plane", plane, 2.0, "Plane (regression)", "y = x1 - 0.5 x2 + 1 for x in [-5, 5]^2",
                  task="regression"),
    )
}


def generate(name: str, settings: GeneratorSettings | None = None) -> Dataset:
    """The generated dataset ``name`` drawn with ``settings`` (default GeneratorSettings()): shuffled, then
    split into train and test; the dataset's name is ``name`` and it keeps the settings (``generator``)."""
    from model.datasets import make_dataset  # here, not at the top: model.datasets imports this module

    if name not in GENERATORS:
        raise SettingError("dataset", name, f"must be one of {', '.join(GENERATORS)}")
    settings = settings or GeneratorSettings()
    entry = GENERATORS[name]
    rng = np.random.RandomState(settings.data_seed)
    X, y = entry.make(settings.samples, settings.noise * entry.scale, rng)
    order = rng.permutation(settings.samples)
    test, train = order[: settings.n_test], order[settings.n_test :]
    description = (f"{entry.label}: {entry.description}. {settings.samples:,} points ({len(train):,} train, "
                   f"{len(test):,} test), noise {settings.noise:g}, data seed {settings.data_seed}")
    return make_dataset(name, X[train], y[train], X[test], y[test], description=description, task=entry.task,
                        generator=settings)
