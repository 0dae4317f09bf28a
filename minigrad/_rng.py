"""One place that turns minigrad's ``rng=`` argument into a NumPy ``Generator``.

Every function in minigrad that draws random numbers takes ``rng=`` and
accepts the same three things: ``None`` for fresh entropy, an int seed, or a
``numpy.random.Generator`` that is used (and advanced) as it is. (The
exceptions: the estimators' ``random_state``, scikit-learn's name, and the
int ``seed`` of ``gradcheck``'s random upstream gradient and of
``figures.radam_warmup_figure``.)
"""

import numbers

import numpy as np

__all__ = ["as_generator"]


def as_generator(rng=None):
    """Return a ``numpy.random.Generator`` for minigrad's ``rng=`` argument.

    Parameters
    ----------
    rng : None, int or numpy.random.Generator
        ``None`` gives a generator seeded from fresh OS entropy; an int (≥ 0)
        gives ``np.random.default_rng(rng)``, so the same seed gives the same
        numbers; a Generator is returned itself, so successive calls that
        share it draw successive, different numbers.

    Returns
    -------
    numpy.random.Generator

    Raises
    ------
    TypeError
        For anything else (a float, a bool, a legacy ``RandomState``).
    ValueError
        For a negative seed.

    Notes
    -----
    Passing a Generator rather than a seed is how a loop gets a new shuffle
    every epoch while staying reproducible: seed once, share the Generator.

    Examples
    --------
    >>> import numpy as np
    >>> from minigrad._rng import as_generator
    >>> a, b = as_generator(0), as_generator(0)
    >>> bool(a.integers(1000) == b.integers(1000))  # same seed, same numbers
    True
    >>> g = np.random.default_rng(1)
    >>> as_generator(g) is g
    True
    """
    if rng is None:
        return np.random.default_rng()
    if isinstance(rng, np.random.Generator):
        return rng
    # NOTE: bool is an Integral, but rng=True is almost always a slip
    # (e.g. a shuffle flag passed in the wrong place), so it is refused.
    if isinstance(rng, numbers.Integral) and not isinstance(rng, (bool, np.bool_)):
        if rng < 0:
            raise ValueError(f"rng seed must be >= 0, got {rng}")
        return np.random.default_rng(int(rng))
    raise TypeError(
        f"rng must be None, an int seed or a numpy.random.Generator, got {type(rng).__name__}"
    )
