"""Toy classification data sets, ready to train on: standardised float32 X, int64 y, a split.

Four are real data sets that scikit-learn ships inside its package (no
network is ever used): ``digits`` (8×8 images of 0–9), ``iris``, ``wine`` and
``breast_cancer``. Three are generated 2-D problems: ``moons`` and
``circles``, which a linear model cannot solve and a small MLP can, and
``blobs``, separable Gaussian clusters.
"""

import numbers

import numpy as np

from ._rng import as_generator

__all__ = ["load", "NAMES"]

# name -> the scikit-learn function that loads it
_BUNDLED = {
    "digits": "load_digits",
    "iris": "load_iris",
    "wine": "load_wine",
    "breast_cancer": "load_breast_cancer",
}
_GENERATED = {
    "moons": {"n_samples": 1000, "noise": 0.2},
    "circles": {"n_samples": 1000, "noise": 0.1, "factor": 0.5},
    "blobs": {"n_samples": 1000, "noise": 1.0, "centers": 3, "n_features": 2},
}

NAMES = tuple(_BUNDLED) + tuple(_GENERATED)


def load(name, test_size=0.2, rng=0, **kwargs):
    """Load a toy classification data set, split it and standardise it.

    Math::

        μ_j = mean of feature j over the training rows
        σ_j = std of feature j over the training rows   (σ_j = 1 where it is 0)
        X ← (X − μ) / σ                                   (train and test alike)

    Parameters
    ----------
    name : str
        One of :data:`NAMES`, in any case: ``"digits"``, ``"iris"``, ``"wine"``,
        ``"breast_cancer"`` (scikit-learn's bundled files), ``"moons"``,
        ``"circles"``, ``"blobs"`` (generated).
    test_size : float or int, default 0.2
        A fraction in (0, 1) of the examples, or a number of examples, held
        out for testing.
    rng : None, int or numpy.random.Generator, default 0
        Randomness of the split and of the generated sets; the default seed
        makes every call give the same arrays.
    **kwargs
        Only for the generated sets: ``n_samples`` (default 1000) and
        ``noise`` (moons: std 0.2 of Gaussian noise; circles: 0.1; blobs:
        the clusters' std, 1.0); circles also ``factor`` (inner/outer radius,
        0.5); blobs also ``centers`` (number of clusters, 3, or an array of
        their centres) and ``n_features`` (2).

    Returns
    -------
    X_train : numpy.ndarray, float32, shape (n_train, d)
    y_train : numpy.ndarray, int64, shape (n_train,)
    X_test : numpy.ndarray, float32, shape (n_test, d)
    y_test : numpy.ndarray, int64, shape (n_test,)
        Labels are 0 … k−1. The split is stratified: each class keeps its
        share in both parts.

    Raises
    ------
    ValueError
        For an unknown name (the message lists :data:`NAMES`), a
        ``test_size`` outside (0, 1) or leaving no room for every class in
        both parts, or a bad ``n_samples``/``noise``.
    TypeError
        For a keyword the data set does not take, or a bad ``rng``.

    Notes
    -----
    Only the training rows set μ and σ: using the test rows too would leak
    information about them into training. Features that are constant over
    the training rows (the digits' border pixels) get σ = 1 instead of a
    division by zero. For the generated sets ``rng`` draws the points too,
    so another seed gives other points, not only another split.

    Examples
    --------
    >>> import minigrad as mg
    >>> X_train, y_train, X_test, y_test = mg.datasets.load("iris")
    >>> X_train.shape, X_test.shape, X_train.dtype, y_train.dtype
    ((120, 4), (30, 4), dtype('float32'), dtype('int64'))
    >>> bool(abs(X_train.mean(axis=0)).max() < 1e-5)
    True
    >>> sorted(set(y_test.tolist()))
    [0, 1, 2]
    """
    if not isinstance(name, str) or name.lower() not in NAMES:
        raise ValueError(f"unknown data set {name!r}; known names: {', '.join(NAMES)}")
    name = name.lower()
    gen = as_generator(rng)
    if name in _BUNDLED:
        if kwargs:
            raise TypeError(f"data set {name!r} takes no keyword arguments, got {sorted(kwargs)}")
        X, y = _bundled(name)
    else:
        X, y = _generated(name, gen, kwargs)
    classes, y = np.unique(y, return_inverse=True)  # labels 0 … k−1 whatever the source used
    if len(classes) < 2:
        raise ValueError(f"data set {name!r} came out with one class only; a classifier needs two or "
                         f"more (blobs: centers >= 2)")
    train, test = _stratified_split(y, len(classes), test_size, gen)
    X_train, X_test = _standardise(X[train], X[test])
    return X_train, y[train].astype(np.int64), X_test, y[test].astype(np.int64)


def _bundled(name):
    """X, y of one of scikit-learn's bundled data sets (read from its package files)."""
    import sklearn.datasets  # NOTE: imported here, so `import minigrad` stays fast

    bunch = getattr(sklearn.datasets, _BUNDLED[name])()
    return np.asarray(bunch.data, dtype=np.float64), np.asarray(bunch.target)


def _generated(name, gen, kwargs):
    """X, y of one of the generated 2-D problems, drawn from ``gen``."""
    import sklearn.datasets

    unknown = set(kwargs) - set(_GENERATED[name])
    if unknown:
        raise TypeError(f"data set {name!r} takes {sorted(_GENERATED[name])}, got {sorted(unknown)}")
    args = {**_GENERATED[name], **kwargs}
    n = args["n_samples"]
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 2:
        raise ValueError(f"n_samples must be an int >= 2, got {n!r}")
    noise = args.pop("noise")
    if isinstance(noise, bool) or not isinstance(noise, numbers.Real) or not 0 <= noise < np.inf:
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}")
    # NOTE: scikit-learn's generators take a seed, not a Generator: draw one from gen.
    seed = int(gen.integers(2**31 - 1))
    if name == "moons":
        X, y = sklearn.datasets.make_moons(int(n), noise=noise, random_state=seed)
    elif name == "circles":
        X, y = sklearn.datasets.make_circles(int(n), noise=noise, factor=args["factor"], random_state=seed)
    else:
        centers, n_features = _check_blobs(args["centers"], args["n_features"])
        X, y = sklearn.datasets.make_blobs(int(n), n_features=n_features, centers=centers,
                                           cluster_std=noise, random_state=seed)
    with np.errstate(over="ignore"):
        if not np.isfinite(np.square(X).sum(axis=0)).all():  # NOTE: else standardising divides by inf: all 0
            raise ValueError(f"noise {noise:g} makes the features too large to standardise in float64")
    return X, y


def _check_blobs(centers, n_features):
    """``centers`` (a count, or a (k, n_features) array of centres) and ``n_features``, checked.

    (One class is refused later, with the other sets: ``load`` needs two.)
    """
    if isinstance(n_features, bool) or not isinstance(n_features, numbers.Integral) or n_features < 1:
        raise ValueError(f"n_features must be an int >= 1, got {n_features!r}")
    if isinstance(centers, numbers.Integral) and not isinstance(centers, bool):
        if centers < 1:
            raise ValueError(f"centers must be a count >= 1, got {centers!r}")
        return int(centers), int(n_features)
    if isinstance(centers, (bool, numbers.Number, str)) or centers is None:
        raise TypeError(f"centers must be a count or an array of centres, got {centers!r}")
    array = np.asarray(centers, dtype=np.float64)
    if array.ndim != 2 or len(array) < 1 or array.shape[1] != n_features or not np.isfinite(array).all():
        raise ValueError(f"centers must be an array of shape (k, n_features = {n_features}) of "
                         f"finite numbers, got shape {array.shape}")
    return array, int(n_features)


def _stratified_split(y, k, test_size, gen):
    """Train and test row indices, each class split in the same proportion (shuffled)."""
    from sklearn.model_selection import train_test_split

    n = len(y)
    if n < 2 * k:
        raise ValueError(f"{n} examples are too few to split: a train and a test part with at least "
                         f"one example of each of the {k} classes need {2 * k} or more")
    if isinstance(test_size, bool) or not isinstance(test_size, numbers.Real):
        raise TypeError(f"test_size must be a float in (0, 1) or an int, got {type(test_size).__name__}")
    if isinstance(test_size, numbers.Integral):
        n_test = int(test_size)
    elif 0 < test_size < 1:  # NOTE: also rejects NaN
        n_test = int(np.ceil(test_size * n))  # rounded up, as scikit-learn does
    else:
        n_test = -1
    if not k <= n_test <= n - k:
        raise ValueError(
            f"test_size must leave at least one example of each of the {k} classes in both parts "
            f"of the {n} examples (a fraction in (0, 1) or a count in [{k}, {n - k}]), got {test_size!r}")
    return train_test_split(np.arange(n), test_size=n_test, stratify=y,
                            random_state=int(gen.integers(2**31 - 1)))


def _standardise(X_train, X_test):
    """Both parts as float32, centred and scaled with the training part's mean and std."""
    mean = X_train.mean(axis=0)
    std = X_train.std(axis=0)
    std[std == 0] = 1.0  # NOTE: a constant feature stays 0 after centring instead of 0/0 = NaN
    return ((X_train - mean) / std).astype(np.float32), ((X_test - mean) / std).astype(np.float32)
