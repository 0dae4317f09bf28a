"""Tests of minigrad.datasets.load: shapes, dtypes, standardisation, split, reproducibility, errors."""

import numpy as np
import pytest
import sklearn.datasets

from minigrad import datasets

SETS = [  # name, total examples, features, classes (at the defaults)
    ("digits", 1797, 64, 10),
    ("iris", 150, 4, 3),
    ("wine", 178, 13, 3),
    ("breast_cancer", 569, 30, 2),
    ("moons", 1000, 2, 2),
    ("circles", 1000, 2, 2),
    ("blobs", 1000, 2, 3),
]


def test_names_are_the_documented_ones():
    assert datasets.NAMES == ("digits", "iris", "wine", "breast_cancer", "moons", "circles", "blobs")
    assert sorted(s[0] for s in SETS) == sorted(datasets.NAMES)


@pytest.mark.parametrize("name,n,d,k", SETS, ids=[s[0] for s in SETS])
def test_shapes_dtypes_labels_and_split(name, n, d, k):
    X_train, y_train, X_test, y_test = datasets.load(name)
    n_test = int(np.ceil(0.2 * n))
    assert X_train.shape == (n - n_test, d) and X_test.shape == (n_test, d)
    assert y_train.shape == (n - n_test,) and y_test.shape == (n_test,)
    assert X_train.dtype == X_test.dtype == np.float32
    assert y_train.dtype == y_test.dtype == np.int64
    assert X_train.flags.c_contiguous and X_test.flags.c_contiguous
    assert set(y_train.tolist()) == set(y_test.tolist()) == set(range(k))
    assert np.isfinite(X_train).all() and np.isfinite(X_test).all()
    # stratified: each class's share in the test part is its share overall, to one example
    counts = np.bincount(np.concatenate([y_train, y_test]), minlength=k)
    assert np.all(np.abs(np.bincount(y_test, minlength=k) - counts * n_test / n) <= 1)


@pytest.mark.parametrize("name", datasets.NAMES)
def test_standardised_with_the_training_split(name):
    X_train, _, X_test, _ = datasets.load(name)
    np.testing.assert_allclose(X_train.mean(axis=0), 0, atol=1e-5)
    std = X_train.std(axis=0)
    constant = std < 1e-6
    np.testing.assert_allclose(std[~constant], 1, rtol=1e-4)
    assert not np.allclose(X_test.mean(axis=0), 0, atol=1e-5)  # test rows did not set the mean


def test_digits_constant_pixels_become_zero_not_nan():
    X_train, _, X_test, _ = datasets.load("digits")
    raw = sklearn.datasets.load_digits().data
    always_zero = np.flatnonzero(raw.max(axis=0) == 0)
    assert always_zero.size > 0  # the border pixel (0, 0) is blank in every image
    assert np.all(X_train[:, always_zero] == 0) and np.all(X_test[:, always_zero] == 0)


def test_bundled_values_are_the_raw_values_under_the_training_split_map():
    # Standardising is a per-column increasing affine map, so each sorted column of train + test
    # is an affine image of the sorted raw column; its slope and intercept are the train split's
    # std and mean, which the train rows alone must reproduce.
    X_train, y_train, X_test, y_test = datasets.load("wine", rng=4)
    raw = sklearn.datasets.load_wine().data
    both = np.concatenate([X_train, X_test]).astype(np.float64)
    for j in range(raw.shape[1]):
        std, mean = np.polyfit(np.sort(both[:, j]), np.sort(raw[:, j]), 1)
        np.testing.assert_allclose(np.sort(both[:, j]) * std + mean, np.sort(raw[:, j]),
                                   rtol=1e-5, atol=1e-5 * np.abs(raw[:, j]).max())
        train_raw = X_train[:, j].astype(np.float64) * std + mean
        np.testing.assert_allclose([train_raw.mean(), train_raw.std()], [mean, std], rtol=1e-4)
    assert np.bincount(np.concatenate([y_train, y_test])).tolist() == [59, 71, 48]


@pytest.mark.parametrize("name", ["Iris", "MOONS", "Breast_Cancer"])
def test_names_in_any_case(name):
    for got, expected in zip(datasets.load(name), datasets.load(name.lower())):
        np.testing.assert_array_equal(got, expected)


def test_same_seed_same_arrays_other_seed_other_split():
    first = datasets.load("wine", rng=3)
    again = datasets.load("wine", rng=3)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    other = datasets.load("wine", rng=4)
    assert not np.array_equal(first[1], other[1]) or not np.array_equal(first[0], other[0])


def test_default_rng_is_reproducible_and_generators_are_accepted():
    a = datasets.load("iris")
    b = datasets.load("iris", rng=np.random.default_rng(0))
    c = datasets.load("iris")
    np.testing.assert_array_equal(a[0], c[0])
    assert b[0].shape == a[0].shape
    gen = np.random.default_rng(11)
    x1, x2 = datasets.load("iris", rng=gen)[1], datasets.load("iris", rng=gen)[1]
    assert not np.array_equal(x1, x2)  # a shared Generator moves on
    assert datasets.load("iris", rng=None)[0].shape == (120, 4)


@pytest.mark.parametrize("name", ["moons", "circles", "blobs"])
def test_generated_sets_depend_on_the_seed(name):
    a, b = datasets.load(name, rng=1), datasets.load(name, rng=2)
    assert not np.allclose(np.sort(a[0], axis=0), np.sort(b[0], axis=0))
    again = datasets.load(name, rng=1)
    np.testing.assert_array_equal(a[0], again[0])


def test_generated_options():
    X_train, y_train, X_test, _ = datasets.load("moons", n_samples=200, noise=0.0, test_size=0.25)
    assert len(X_train) == 150 and len(X_test) == 50
    X_train, y_train, _, _ = datasets.load("blobs", n_samples=300, centers=5, n_features=3, noise=0.5)
    assert X_train.shape == (240, 3) and set(y_train.tolist()) == set(range(5))
    centres = np.array([[0.0, 0.0], [10.0, 10.0]])
    X_train, y_train, _, _ = datasets.load("blobs", centers=centres, noise=0.1, n_samples=100)
    assert set(y_train.tolist()) == {0, 1}
    # two well-separated blobs: after standardising, class 0 sits at negative x, class 1 at positive
    assert (X_train[y_train == 0, 0] < 0).all() and (X_train[y_train == 1, 0] > 0).all()
    X_train, y_train, _, _ = datasets.load("circles", n_samples=400, noise=0.0, factor=0.3)
    radius = np.linalg.norm(X_train, axis=1)
    assert radius[y_train == 1].max() < radius[y_train == 0].min()  # inner circle is class 1


def test_noise_zero_moons_are_exact_half_circles():
    # make_moons without noise: class 0 on the unit circle around (0, 0), class 1 on the unit
    # circle around (1, 0.5). Undo the standardisation with the map that puts class 0's
    # points there, then class 1's must lie on its circle too; with noise they do not.
    def radii(noise):
        X_train, y_train, X_test, y_test = datasets.load("moons", n_samples=100, noise=noise, rng=0)
        X, y = np.concatenate([X_train, X_test]).astype(np.float64), np.concatenate([y_train, y_test])
        raw = sklearn.datasets.make_moons(n_samples=100, noise=0.0)[0]
        slope = np.array([np.polyfit(np.sort(X[:, j]), np.sort(raw[:, j]), 1) for j in range(2)])
        P = X * slope[:, 0] + slope[:, 1]                         # back to make_moons' coordinates
        return (np.hypot(*P[y == 0].T), np.hypot(P[y == 1, 0] - 1, P[y == 1, 1] - 0.5))
    for r in radii(0.0):
        np.testing.assert_allclose(r, 1.0, atol=1e-5)
    assert max(np.abs(r - 1).max() for r in radii(0.2)) > 0.1


@pytest.mark.parametrize("test_size,n_test", [(0.5, 75), (0.1, 15), (0.02, 3), (30, 30), (3, 3), (147, 147)])
def test_test_size_as_fraction_or_count(test_size, n_test):
    _, y_train, _, y_test = datasets.load("iris", test_size=test_size)
    assert len(y_test) == n_test and len(y_train) == 150 - n_test


ERRORS = [  # id, kwargs, exception, message fragment
    ("unknown", dict(name="mnist"), ValueError, "digits, iris, wine, breast_cancer, moons, circles, blobs"),
    ("not-a-name", dict(name=3), ValueError, "known names"),
    ("size-zero", dict(name="iris", test_size=0.0), ValueError, "test_size"),
    ("size-one", dict(name="iris", test_size=1.0), ValueError, "got 1.0"),
    ("size-neg", dict(name="iris", test_size=-0.2), ValueError, "test_size"),
    ("size-nan", dict(name="iris", test_size=float("nan")), ValueError, "test_size"),
    ("size-big-count", dict(name="iris", test_size=149), ValueError, r"\[3, 147\]"),
    ("size-too-few", dict(name="iris", test_size=2), ValueError, "each of the 3 classes"),
    ("size-str", dict(name="iris", test_size="0.2"), TypeError, "test_size"),
    ("size-bool", dict(name="iris", test_size=True), TypeError, "test_size"),
    ("kw-on-bundled", dict(name="digits", noise=0.1), TypeError, "no keyword"),
    ("kw-unknown", dict(name="moons", centers=3), TypeError, "centers"),
    ("n-samples", dict(name="moons", n_samples=1), ValueError, "n_samples"),
    ("n-samples-float", dict(name="moons", n_samples=10.5), ValueError, "n_samples"),
    ("n-samples-too-few", dict(name="blobs", n_samples=5), ValueError,
     r"5 examples are too few to split: .* each of the 3 classes need 6 or more"),
    ("noise-neg", dict(name="circles", noise=-1), ValueError, "noise"),
    ("noise-inf", dict(name="blobs", noise=float("inf")), ValueError, "noise"),
    ("rng", dict(name="iris", rng="seed"), TypeError, "rng must be"),
]


@pytest.mark.parametrize("name,kwargs,exc,match", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors(name, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        datasets.load(**kwargs)


def test_a_data_set_of_one_class_or_of_overflowing_features_is_refused():
    """Before: blobs with centers=1 gave labels all 0, and noise=1e300 features all 0 (X / inf)."""
    with pytest.raises(ValueError, match="one class only; a classifier needs two or more"):
        datasets.load("blobs", centers=1, rng=0)
    with pytest.raises(ValueError, match="noise 1e\\+300 makes the features too large"):
        datasets.load("blobs", noise=1e300, rng=0)
    with pytest.raises(ValueError, match="noise 1e\\+160 makes the features too large"):
        datasets.load("moons", noise=1e160, rng=0)  # before: only blobs was checked; moons came out all 0
    with pytest.raises(ValueError, match="noise 1e\\+160 makes the features too large"):
        datasets.load("circles", noise=1e160, rng=0)
    X_train, *_ = datasets.load("blobs", noise=1e100, rng=0)       # large, but it standardises
    assert np.isfinite(X_train).all() and X_train.std(axis=0) == pytest.approx(1, rel=1e-5)


@pytest.mark.parametrize("kwargs,exc,match", [
    ({"centers": True}, TypeError, "centers must be a count or an array of centres, got True"),
    ({"centers": 2.0}, TypeError, "got 2.0"),
    ({"centers": 0}, ValueError, "centers must be a count >= 1, got 0"),
    # before: 3-D centres with n_features=2 gave 3 features, n_features silently ignored
    ({"centers": [[0, 0, 0], [5, 5, 5]], "n_features": 2}, ValueError, r"shape \(k, n_features = 2\).*\(2, 3\)"),
    ({"centers": [[0, np.nan], [5, 5]]}, ValueError, "finite"),
    ({"n_features": 0}, ValueError, "n_features must be an int >= 1, got 0"),
    ({"n_features": 2.5}, ValueError, "got 2.5"),
])
def test_blobs_arguments_are_checked_before_scikit_learn(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        datasets.load("blobs", rng=0, **kwargs)


def test_blobs_take_their_centres():
    X_train, y_train, _, _ = datasets.load("blobs", centers=[[0, 0, 0], [9, 9, 9]], n_features=3,
                                            noise=0.1, rng=0)
    assert X_train.shape[1] == 3 and sorted(np.unique(y_train)) == [0, 1]
