"""Training regimes: how one epoch of data is cut into the batches of the updates.

The lecture contrasts two ways to learn from data:

- **on-line learning** updates the parameters after every single example,
  as the examples arrive (``online``);
- **off-line learning** looks at all the data before each update
  (``offline``): *batch* gradient descent, one update per epoch;

and, in between, **mini-batch** gradient descent (``minibatches``), which
averages the gradient over ``b`` examples per update.

Each regime is a function that checks its arguments at once and returns an
iterator over ONE epoch of ``(xb, yb)`` pairs: NumPy arrays whose first axis
is the batch axis, so a model sees the same shapes in every regime. The
train loop calls the regime again for the next epoch.
"""

import numbers

import numpy as np

from .._rng import as_generator
from ..tensor import Tensor

__all__ = ["online", "minibatches", "offline", "regime_name", "SPELLINGS"]

#: Every way the lecture and the README write a regime -> its name here. Case, hyphens,
#: underscores and spaces do not matter ("On-line", "mini_batch"); "batch" (batch gradient
#: descent) and "full-batch" are the off-line regime.
SPELLINGS = {"online": "online", "minibatch": "minibatch", "offline": "offline",
             "batch": "offline", "fullbatch": "offline"}


def regime_name(text):
    """The regime's name (``online``, ``minibatch`` or ``offline``) for any of its spellings.

    Raises
    ------
    ValueError
        For a name that is no regime, listing the accepted spellings.

    Examples
    --------
    >>> [regime_name(t) for t in ("On-line", "mini-batch", "off_line", "Batch")]
    ['online', 'minibatch', 'offline', 'offline']
    """
    key = "".join(c for c in str(text).lower() if c not in "-_ ") if isinstance(text, str) else None
    if key not in SPELLINGS:
        raise ValueError(f"unknown regime {text!r}; choose online (on-line), minibatch (mini-batch) "
                         f"or offline (off-line, batch)")
    return SPELLINGS[key]


def online(X, y=None, shuffle=True, rng=None):
    """On-line learning: one example per update, n updates per epoch.

    Math::

        for each example (x_i, y_i), in a shuffled order:
            θ ← θ − η · ∇ L(f(x_i; θ), y_i)

    Parameters
    ----------
    X : array-like of shape (n, ...), or iterable of (x, y) pairs
        The inputs. Called as ``online(stream)`` with ``y`` omitted, ``X`` is
        any iterable of ``(x, y)`` pairs instead: a true stream, read once,
        in its own order, each example seen once.
    y : array-like of shape (n, ...), optional
        The targets, one per row of ``X``.
    shuffle : bool, default True
        Visit the examples in a random order (ignored for a stream, which
        cannot be reordered).
    rng : None, int or numpy.random.Generator
        Source of the order. The same seed gives the same order; pass one
        shared Generator to get a new order every epoch.

    Yields
    ------
    xb, yb : numpy.ndarray
        One example each, with a leading batch axis of 1: shapes
        ``(1,) + X.shape[1:]`` and ``(1,) + y.shape[1:]``.

    Raises
    ------
    ValueError
        If ``X`` and ``y`` differ in length or hold no example (checked at the
        call; an empty stream raises once it turns out to be empty), or a
        stream item is not an ``(x, y)`` pair (a row of features, such as
        ``list(X)``'s, is refused too).
    TypeError
        If an ndarray is given without ``y`` (it is not a stream of pairs), or
        ``shuffle`` is not a bool, or ``rng`` is not one of the kinds above.

    Notes
    -----
    Every update sees one example, so the gradient is the noisiest of the
    three regimes, but the parameters move n times per epoch and learning can
    start before the data set is complete: this is how a model learns from a
    stream it sees only once. The arrays yielded are views into ``X``/``y``;
    do not write to them.

    Examples
    --------
    >>> import numpy as np
    >>> import minigrad as mg
    >>> X, y = np.arange(6.0).reshape(3, 2), np.array([0, 1, 2])
    >>> [yb.tolist() for _, yb in mg.optim.online(X, y, shuffle=False)]
    [[0], [1], [2]]
    >>> xb, yb = next(mg.optim.online([([1.0, 2.0], 1)]))   # a stream of (x, y)
    >>> xb.shape, yb.shape
    ((1, 2), (1,))
    """
    if y is None:
        if isinstance(X, (np.ndarray, Tensor)):
            raise TypeError(
                f"online(X) without y takes an iterable of (x, y) pairs, got an array of shape "
                f"{np.shape(_as_array(X))}; call online(X, y)")
        try:
            pairs = iter(X)
        except TypeError:
            raise TypeError(f"online(X) without y takes an iterable of (x, y) pairs, got "
                            f"{type(X).__name__}; call online(X, y) for arrays") from None
        return _stream(pairs)
    X, y = _check_data(X, y)
    order = _order(len(X), shuffle, rng)
    return ((X[i:i + 1], y[i:i + 1]) for i in order)


def minibatches(X, y, batch_size, shuffle=True, drop_last=False, rng=None):
    """Mini-batch gradient descent: ``batch_size`` examples per update.

    Math::

        split a shuffled order of the n examples into batches B_1, B_2, …
        for each batch B:
            θ ← θ − η · (1/|B|) Σ_{i∈B} ∇ L(f(x_i; θ), y_i)

    Parameters
    ----------
    X, y : array-like of shape (n, ...)
        Inputs and targets, one target per row of ``X``.
    batch_size : int
        Examples per batch, ≥ 1. A size larger than n gives one batch of all n.
    shuffle : bool, default True
        Draw a new random order (from ``rng``) before cutting the batches;
        ``False`` keeps the data's order.
    drop_last : bool, default False
        Drop the last batch when it is smaller than ``batch_size``, so
        every update averages the same number of examples.
    rng : None, int or numpy.random.Generator
        Source of the order (see :func:`online`).

    Yields
    ------
    xb, yb : numpy.ndarray
        ``ceil(n / batch_size)`` batches (with ``drop_last``: ``floor``, but at
        least 1) whose first axis is the batch axis. Each example is in exactly one batch
        (with ``drop_last``, at most one).

    Raises
    ------
    ValueError
        If ``X`` and ``y`` differ in length, hold no example, or
        ``batch_size`` is not an int ≥ 1.
    TypeError
        If ``shuffle`` or ``drop_last`` is not a bool (``"False"`` would be
        truthy), or ``rng`` is not one of the kinds above.

    Notes
    -----
    The lecture's middle road: each step averages ``b`` gradients, which is
    less noisy than on-line learning and far cheaper per update than the full
    batch, and the vectorised batch makes good use of NumPy.
    A ``batch_size`` above n is taken as n, also with ``drop_last``: an epoch
    always makes at least one update (PyTorch's DataLoader would make none).

    Examples
    --------
    >>> import numpy as np
    >>> import minigrad as mg
    >>> X, y = np.zeros((10, 3)), np.arange(10)
    >>> [len(yb) for _, yb in mg.optim.minibatches(X, y, 4, rng=0)]
    [4, 4, 2]
    >>> [len(yb) for _, yb in mg.optim.minibatches(X, y, 4, drop_last=True, rng=0)]
    [4, 4]
    >>> [yb.tolist() for _, yb in mg.optim.minibatches(X, y, 4, shuffle=False)][-1]
    [8, 9]
    """
    # BEGIN SOLUTION optim.minibatches
    # NOTE: bool is an int in Python, but batch_size=True is a slip, not a size.
    if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or batch_size < 1:
        raise ValueError(f"batch_size must be an int >= 1, got {batch_size!r}")
    _check_flag("drop_last", drop_last)
    X, y = _check_data(X, y)
    n = len(X)
    b = min(int(batch_size), n)
    order = _order(n, shuffle, rng)
    stop = n - n % b if drop_last else n
    return _batches(X, y, order[:stop], b)
    # END SOLUTION


def offline(X, y):
    """Off-line learning (batch gradient descent): the whole data set in one batch.

    Math::

        θ ← θ − η · (1/n) Σ_{i=1..n} ∇ L(f(x_i; θ), y_i)      (one update per epoch)

    Parameters
    ----------
    X, y : array-like of shape (n, ...)
        Inputs and targets, one target per row of ``X``.

    Yields
    ------
    xb, yb : numpy.ndarray
        Exactly one pair: all of ``X`` and ``y``.

    Raises
    ------
    ValueError
        If ``X`` and ``y`` differ in length or hold no example.

    Notes
    -----
    Each update uses the true gradient of the training loss, so the loss
    falls smoothly, but the parameters move only once per pass over the
    data; no order is involved, so there is no ``shuffle`` or ``rng``.

    Examples
    --------
    >>> import numpy as np
    >>> import minigrad as mg
    >>> X, y = np.zeros((5, 2)), np.arange(5)
    >>> [(xb.shape, yb.shape) for xb, yb in mg.optim.offline(X, y)]
    [((5, 2), (5,))]
    """
    X, y = _check_data(X, y)
    return iter([(X, y)])


# ---------------------------------------------------------------- helpers

def _as_array(a):
    """An ndarray from array-likes and minigrad Tensors (whose ``.data`` is used, not copied).

    Python floats become float32, as in ``Tensor``; Python ints stay integers
    (class labels).
    """
    if isinstance(a, Tensor):
        return a.data
    array = np.asarray(a)
    if array.dtype == np.float64 and not isinstance(a, np.ndarray) and not isinstance(a, np.generic):
        array = array.astype(np.float32)  # a list of Python floats, not a float64 array
    return array


def _check_data(X, y):
    """Both as arrays with a leading example axis of the same, non-zero length."""
    X, y = _as_array(X), _as_array(y)
    if X.ndim == 0 or y.ndim == 0:
        raise ValueError(f"X and y need a leading example axis, got shapes {X.shape} and {y.shape}")
    if len(X) != len(y):
        raise ValueError(f"X and y hold different numbers of examples: shapes {X.shape} and {y.shape}")
    if len(X) == 0:
        raise ValueError(f"no examples to iterate over: X has shape {X.shape}")
    return X, y


_BLOCK_BYTES = 1 << 24  # the most bytes of X and y that _batches copies at once (16 MiB)


def _batches(X, y, order, b):
    """Yield ``(X[rows], y[rows])`` for each run of ``b`` row numbers in ``order`` (the last may be shorter).

    NOTE: rows are gathered a block of whole batches at a time (the whole
    epoch on a small data set), and the batches are slices of the block:
    one gather of many rows costs about what one of a single batch does, so
    an epoch of digits spends half the time here, 1% of a small classifier's
    update. A block holds at most ``_BLOCK_BYTES``, or one batch: the copy
    stays small on a large data set. The batches are views into the block;
    nothing else holds it.
    """
    row_bytes = (X.nbytes + y.nbytes) // len(X) or 1
    block = max(1, _BLOCK_BYTES // (row_bytes * b)) * b  # rows, in whole batches
    for start in range(0, len(order), block):
        rows = order[start:start + block]
        X_block, y_block = X[rows], y[rows]
        for i in range(0, len(rows), b):
            yield X_block[i:i + b], y_block[i:i + b]


def _order(n, shuffle, rng):
    """The visiting order of one epoch: a permutation of 0..n-1, or 0..n-1 itself."""
    _check_flag("shuffle", shuffle)
    rng = as_generator(rng)  # checked even when not shuffling: a wrong rng is a slip either way
    # NOTE: drawn now, at the call, so that creating an epoch advances a shared
    # Generator exactly once, whether or not the epoch is run to the end.
    return rng.permutation(n) if shuffle else np.arange(n)


def _check_flag(name, value):
    """Raise ``TypeError`` unless ``value`` is a bool: ``shuffle="False"`` would be truthy."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")


def _stream(pairs):
    """Yield each (x, y) of an iterable once, with a leading batch axis of 1."""
    count = 0
    for count, item in enumerate(pairs, start=1):
        try:
            x, y = item
        except (TypeError, ValueError):
            raise ValueError(f"stream item {count - 1} is not an (x, y) pair: {item!r:.80}") from None
        if isinstance(item, np.ndarray) or (
                isinstance(item, list) and all(isinstance(v, numbers.Number) for v in item)):
            what = (f"an array of shape {item.shape}" if isinstance(item, np.ndarray)
                    else f"a list of numbers, {item!r:.80},")
            raise ValueError(f"stream item {count - 1} is {what} not an (x, y) pair: for rows of features "
                             f"(list(X), X.tolist()) call online(X, y); a stream pairs each x with its "
                             f"y in a tuple")
        yield _as_array(x)[np.newaxis], _as_array(y)[np.newaxis]
    if count == 0:
        raise ValueError("the stream held no (x, y) pair")
