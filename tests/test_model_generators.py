"""Generated 2-D datasets: shapes, ranges, rules that classify the noiseless points, what noise and the seed do,
the train/test split, refused settings, and default settings that learn each one."""

import math

import numpy as np
import pytest

from model.config import SettingError
from model.datasets import DATASET_NAMES, DATASETS, load_dataset
from model.generators import GENERATORS, GeneratorSettings, generate
from model.presets import DATASET_DEFAULTS
from model.trainer import Trainer

CLASSIFIERS = [name for name in GENERATORS if name != "plane"]
# The jitter noise 1 gives each dataset, as its description documents it.
DOCUMENTED_SCALE = {"circle": 2.5, "gaussians": 2.0, "spiral": 2.0, "moons": 2.5, "sine": 1.0, "cubic": 1.0,
                    "abs": 1.0, "plane": 2.0}


def everything(dataset):
    """All the points and targets, train and test together."""
    return np.vstack([dataset.X, dataset.X_test]), np.vstack([dataset.y, dataset.y_test])[:, 0]


def noiseless(name, samples=2000, seed=3):
    return everything(generate(name, GeneratorSettings(samples=samples, noise=0.0, data_seed=seed)))


def test_the_table_holds_the_documented_datasets():
    assert set(GENERATORS) == set(DOCUMENTED_SCALE)
    assert all(f"jittered by std {DOCUMENTED_SCALE[name]:g}" in g.description for name, g in GENERATORS.items())


@pytest.mark.parametrize("name", GENERATORS)
@pytest.mark.parametrize(("samples", "ratio"), [(200, 0.3), (11, 0.1), (1001, 0.9), (25, 0.5)])
def test_shapes_and_the_split(name, samples, ratio):
    dataset = generate(name, GeneratorSettings(samples=samples, test_ratio=ratio))
    n_test = len(dataset.X_test)
    assert abs(n_test - samples * ratio) <= 0.5 and 1 <= n_test < samples
    assert dataset.X.shape == (samples - n_test, 2) and dataset.X_test.shape == (n_test, 2)
    assert dataset.y.shape == (samples - n_test, 1) and dataset.y_test.shape == (n_test, 1)
    assert dataset.name == name and dataset.generator == GeneratorSettings(samples=samples, test_ratio=ratio)
    assert np.isfinite(dataset.X).all() and np.isfinite(dataset.y).all()


@pytest.mark.parametrize("name", GENERATORS)
def test_the_test_ratio_only_splits_the_same_points(name):
    """Another ratio with the same seed holds the same points, split differently."""
    a = everything(generate(name, GeneratorSettings(test_ratio=0.1)))
    b = everything(generate(name, GeneratorSettings(test_ratio=0.8)))
    order_a, order_b = np.lexsort(a[0].T), np.lexsort(b[0].T)
    np.testing.assert_array_equal(a[0][order_a], b[0][order_b])
    np.testing.assert_array_equal(a[1][order_a], b[1][order_b])


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_classes_are_0_and_1_and_balanced(name):
    for samples in (200, 201):
        dataset = generate(name, GeneratorSettings(samples=samples))
        _, y = everything(dataset)
        assert dataset.task == "classification" and set(np.unique(y)) == {0.0, 1.0}
        assert (y == 1).sum() == samples // 2
    train_share = generate(name, GeneratorSettings(samples=2000)).y.mean()
    assert train_share == pytest.approx(0.5, abs=0.05)  # shuffled before the split: no class sits in one part


@pytest.mark.parametrize("name", GENERATORS)
def test_noiseless_inputs_lie_within_6(name):
    X, _ = noiseless(name, samples=20000)
    if name == "gaussians":  # 4 standard deviations from the centres at +-2: beyond with probability 3e-5
        assert np.mean(np.abs(X) > 6.0) < 1e-3
    else:
        assert np.abs(X).max() <= 6.0


@pytest.mark.parametrize("name", GENERATORS)
def test_same_settings_same_bits_and_another_seed_other_points(name):
    settings = GeneratorSettings(samples=300, noise=0.3, test_ratio=0.4, data_seed=12345)
    first, again = generate(name, settings), generate(name, settings)
    for key in ("X", "y", "X_test", "y_test"):
        assert getattr(first, key).tobytes() == getattr(again, key).tobytes()
    other = generate(name, GeneratorSettings(samples=300, noise=0.3, test_ratio=0.4, data_seed=12346))
    assert not np.array_equal(first.X, other.X)


@pytest.mark.parametrize("name", GENERATORS)
def test_noise_moves_the_same_points_by_a_jitter_of_the_documented_scale(name):
    """Noise a and b with the same seed: the moves from the noiseless points are proportional (the same draws),
    and their standard deviation is noise x the documented scale."""
    n = 20000

    def drawn(noise):
        return everything(generate(name, GeneratorSettings(samples=n, noise=noise, data_seed=7)))

    (X0, y0), (Xa, ya), (Xb, yb) = drawn(0.0), drawn(0.2), drawn(0.5)
    moved = (ya - y0, yb - y0) if name == "plane" else (Xa - X0, Xb - X0)
    unmoved = (Xa - X0, Xb - X0) if name == "plane" else (ya - y0, yb - y0)
    assert moved[1].any()  # noise 0.5 moved something
    np.testing.assert_allclose(moved[0] / 0.2, moved[1] / 0.5, rtol=1e-9, atol=1e-9)
    assert moved[1].std() == pytest.approx(0.5 * DOCUMENTED_SCALE[name], rel=0.03)
    assert not unmoved[0].any() and not unmoved[1].any()  # labels (inputs of the plane) are not jittered


def test_circle_rule():
    X, y = noiseless("circle")
    r = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_array_equal(y, r < 2.5)
    assert r[y == 1].max() <= 2 and 3 <= r[y == 0].min() and r.max() <= 5


def test_gaussians_centres_and_spread():
    X, y = noiseless("gaussians", samples=40000)
    for label, centre in ((1, 2.0), (0, -2.0)):
        points = X[y == label]
        np.testing.assert_allclose(points.mean(axis=0), [centre, centre], atol=0.05)
        np.testing.assert_allclose(points.std(axis=0), [1.0, 1.0], atol=0.05)


def test_spiral_rule():
    """A point at radius r lies on arm k where its angle is pi r / 2 + k pi (1.5 turns out to radius 6)."""
    X, y = noiseless("spiral")
    r, angle = np.hypot(X[:, 0], X[:, 1]), np.arctan2(X[:, 1], X[:, 0])
    half_turns = (angle - np.pi * r / 2) / np.pi
    k = np.round(half_turns)
    np.testing.assert_allclose(half_turns, k, atol=1e-9)
    np.testing.assert_array_equal(y, k % 2)
    assert r.max() <= 6


def test_moons_rule():
    """Undo the x 2.5 scaling and centring: class 0 lies on the unit circle's upper half, class 1 on the lower
    half of the unit circle at (1, 0.5)."""
    X, y = noiseless("moons")
    p = X / 2.5 + [0.5, 0.25]
    on_inner = np.abs(np.hypot(p[:, 0] - 1, p[:, 1] - 0.5) - 1) < 1e-9
    on_outer = np.abs(np.hypot(p[:, 0], p[:, 1]) - 1) < 1e-9
    np.testing.assert_array_equal(y, on_inner)
    assert (on_outer != on_inner).all()
    assert (p[y == 0, 1] >= -1e-12).all() and (p[y == 1, 1] <= 0.5 + 1e-12).all()


@pytest.mark.parametrize(("name", "f", "box"), [
    ("sine", np.sin, (-6, 6, -3, 3)),
    ("cubic", lambda x: x * x * x - x, (-2, 2, -6, 6)),
    ("abs", np.abs, (-4, 4, -2, 4)),
])
def test_curve_rule(name, f, box):
    X, y = noiseless(name)
    np.testing.assert_array_equal(y, X[:, 1] > f(X[:, 0]))
    x_low, x_high, y_low, y_high = box
    assert x_low <= X[:, 0].min() and X[:, 0].max() <= x_high and y_low <= X[:, 1].min() and X[:, 1].max() <= y_high


def test_plane_rule():
    dataset = generate("plane", GeneratorSettings(samples=2000, noise=0.0))
    X, y = everything(dataset)
    assert dataset.task == "regression"
    np.testing.assert_allclose(y, X @ [1.0, -0.5] + 1.0, rtol=0, atol=1e-12)
    assert np.abs(X).max() <= 5


@pytest.mark.parametrize(("field", "value"), [
    ("samples", 9), ("samples", 1_000_001), ("samples", 200.0), ("samples", True),
    ("noise", -0.01), ("noise", 1.01), ("noise", math.nan), ("noise", "0.1"), ("noise", False),
    ("test_ratio", 0.05), ("test_ratio", 0.95), ("test_ratio", math.inf),
    ("data_seed", -1), ("data_seed", 2**31), ("data_seed", 1.5),
])
def test_bad_settings_are_refused_naming_the_field(field, value):
    with pytest.raises(SettingError) as caught:
        GeneratorSettings(**{field: value})
    assert caught.value.field == field and str(caught.value).startswith(f"{field} = {value!r}: ")
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(("field", "value"), [("samples", 10), ("samples", 1_000_000), ("noise", 0), ("noise", 1),
                                              ("test_ratio", 0.1), ("test_ratio", 0.9), ("data_seed", 2**31 - 1)])
def test_the_limits_themselves_are_allowed(field, value):
    assert getattr(GeneratorSettings(**{field: value}), field) == value


def test_an_unknown_generator_is_refused():
    with pytest.raises(SettingError, match="dataset = 'torus': must be one of circle, "):
        generate("torus")


def test_load_dataset_gives_generated_datasets_with_default_settings_and_keeps_the_notebooks():
    assert list(DATASETS) == ["single_point", "xor", "and_or", "product", "two_points"]
    assert DATASET_NAMES == (*DATASETS, *GENERATORS)
    for name in GENERATORS:
        loaded, generated = load_dataset(name), generate(name, GeneratorSettings())
        assert loaded.X.tobytes() == generated.X.tobytes() and loaded.y_test.tobytes() == generated.y_test.tobytes()
    with pytest.raises(SettingError, match=r"dataset = 'nope': must be one of single_point, .*, circle, .*plane"):
        load_dataset("nope")


@pytest.mark.slow
@pytest.mark.parametrize("name", GENERATORS)
def test_each_default_configuration_learns_its_dataset(name):
    config, epochs = DATASET_DEFAULTS[name]
    trainer = Trainer(config, load_dataset(name))
    trainer.run(epochs)
    # the spiral is the hard one: 140 points over 1.5 turns
    floor = {"spiral": 0.75, "plane": 0.95}.get(name, 0.9)
    assert trainer.last_epoch["test_metric"] >= floor


def test_every_dataset_has_default_settings():
    assert set(DATASET_DEFAULTS) == set(DATASET_NAMES)
