"""Initialisers: fill a Parameter's array in place with random or constant values.

Each function takes a Tensor (usually a :class:`~minigrad.nn.Parameter`),
writes into its ``.data`` without changing shape or dtype, and returns it, as
``torch.nn.init``'s functions (with their trailing underscore) do. Random
ones take ``rng=`` (None, an int seed or a ``numpy.random.Generator``).
"""

import math

from .._rng import as_generator
from ..memory_guard import modifying
from ..tensor import Tensor

__all__ = ["uniform_", "normal_", "zeros_", "ones_", "constant_", "fan_in_and_fan_out",
           "xavier_uniform_", "kaiming_uniform_", "linear_"]


def _array(tensor):
    if not isinstance(tensor, Tensor):
        raise TypeError(f"expected a Tensor or Parameter, got {type(tensor).__name__}")
    return tensor.data


def _random_array(tensor, who):
    """The array a random fill writes into: a float one (an integer array would cut the samples)."""
    a = _array(tensor)
    if a.dtype.kind != "f":
        raise TypeError(f"{who} fills a floating-point tensor, got dtype {a.dtype} (its random "
                        f"values would be cut to integers); make it float first")
    return a


def _fill(tensor, values):
    """Write ``values`` into ``tensor.data`` in place and return ``tensor``.

    Through ``modifying``, as every in-place write of minigrad's: a pending
    backward that saved the old values then refuses to run.
    """
    a = _array(tensor)
    with modifying(a):
        a[...] = values
    return tensor


def uniform_(tensor, low=0.0, high=1.0, rng=None):
    """Fill with samples of the uniform distribution on [low, high).

    Math::

        w ~ U(low, high)

    Examples
    --------
    >>> import minigrad as mg
    >>> w = mg.nn.Parameter(mg.zeros(1000).data)
    >>> _ = mg.nn.init.uniform_(w, -0.5, 0.5, rng=0)
    >>> bool(w.data.min() >= -0.5 and w.data.max() < 0.5), w.dtype
    (True, dtype('float32'))
    """
    shape = _random_array(tensor, "uniform_").shape
    if not math.isfinite(low) or not math.isfinite(high):
        raise ValueError(f"uniform_ needs finite bounds, got low={low} and high={high}")
    if not low <= high:
        raise ValueError(f"uniform_ needs low <= high, got low={low} and high={high}")
    return _fill(tensor, as_generator(rng).uniform(low, high, shape))


def normal_(tensor, mean=0.0, std=1.0, rng=None):
    """Fill with samples of the normal distribution N(mean, std²).

    Math::

        w ~ N(mean, std²)

    Examples
    --------
    >>> import minigrad as mg
    >>> w = mg.nn.init.normal_(mg.nn.Parameter(mg.zeros(10000).data), std=2.0, rng=0)
    >>> round(float(w.data.std()), 1)
    2.0
    """
    shape = _random_array(tensor, "normal_").shape
    if not std >= 0:  # NaN too
        raise ValueError(f"normal_ needs std >= 0, got {std}")
    if not math.isfinite(std) or not math.isfinite(mean):
        raise ValueError(f"normal_ needs a finite mean and std, got mean={mean} and std={std}")
    return _fill(tensor, as_generator(rng).normal(mean, std, shape))


def constant_(tensor, value):
    """Fill with one value.

    Examples
    --------
    >>> import minigrad as mg
    >>> mg.nn.init.constant_(mg.nn.Parameter([1.0, 2.0]), 0.5).data
    array([0.5, 0.5], dtype=float32)
    """
    return _fill(tensor, value)


def zeros_(tensor):
    """Fill with 0 (biases, often).

    Examples
    --------
    >>> import minigrad as mg
    >>> mg.nn.init.zeros_(mg.nn.Parameter([1.0, 2.0])).data
    array([0., 0.], dtype=float32)
    """
    return constant_(tensor, 0)


def ones_(tensor):
    """Fill with 1.

    Examples
    --------
    >>> import minigrad as mg
    >>> mg.nn.init.ones_(mg.nn.Parameter([3.0])).data
    array([1.], dtype=float32)
    """
    return constant_(tensor, 1)


def fan_in_and_fan_out(tensor):
    """``(fan_in, fan_out)`` of a weight of shape ``(out, in, *kernel)``, as PyTorch counts them.

    Math::

        fan_in = in · Π kernel,   fan_out = out · Π kernel

    Examples
    --------
    >>> import minigrad as mg
    >>> mg.nn.init.fan_in_and_fan_out(mg.zeros(3, 5))   # a Linear(5, 3) weight
    (5, 3)
    """
    shape = _array(tensor).shape
    if len(shape) < 2:
        raise ValueError(f"fan in and fan out need a weight with at least 2 dimensions, "
                         f"got shape {shape}")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def xavier_uniform_(tensor, gain=1.0, rng=None):
    """Glorot/Xavier uniform initialisation: keeps the variance of activations and gradients.

    Math::

        w ~ U(−a, a),   a = gain · √(6 / (fan_in + fan_out))

    References
    ----------
    .. [1] X. Glorot, Y. Bengio, "Understanding the difficulty of training
       deep feedforward neural networks", AISTATS 2010.

    Examples
    --------
    >>> import minigrad as mg
    >>> w = mg.nn.init.xavier_uniform_(mg.nn.Parameter(mg.zeros(4, 2).data), rng=0)
    >>> bool(abs(w.data).max() <= 1.0)      # a = √(6/6) = 1
    True
    """
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    if fan_in + fan_out == 0:  # an empty weight: nothing to fill (PyTorch warns and does nothing)
        return tensor
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -a, a, rng)


def kaiming_uniform_(tensor, a=0.0, rng=None):
    """He/Kaiming uniform initialisation for layers followed by a (leaky) ReLU.

    Math::

        gain = √(2 / (1 + a²))
        w ~ U(−b, b),   b = gain · √(3 / fan_in)

    Parameters
    ----------
    a : float, default 0
        Negative slope of the leaky ReLU that follows (0 for ReLU).

    Notes
    -----
    With ``a = √5`` this is U(−1/√fan_in, 1/√fan_in), PyTorch's default for
    ``Linear`` (see :func:`linear_`).

    References
    ----------
    .. [1] K. He, X. Zhang, S. Ren, J. Sun, "Delving Deep into Rectifiers",
       ICCV 2015, arXiv:1502.01852.

    Examples
    --------
    >>> import minigrad as mg
    >>> w = mg.nn.init.kaiming_uniform_(mg.nn.Parameter(mg.zeros(3, 6).data), rng=0)
    >>> bool(abs(w.data).max() <= 1.0)      # b = √2 · √(3/6) = 1
    True
    """
    fan_in, _ = fan_in_and_fan_out(tensor)
    if fan_in == 0:  # an empty weight: nothing to fill (PyTorch warns and does nothing)
        return tensor
    bound = math.sqrt(2.0 / (1 + a * a)) * math.sqrt(3.0 / fan_in)
    return uniform_(tensor, -bound, bound, rng)


def linear_(weight, bias=None, rng=None):
    """PyTorch's default initialisation of ``Linear``: weight and bias from U(−k, k).

    Math::

        k = 1 / √in_features
        W ~ U(−k, k),   b ~ U(−k, k)

    The weight is drawn first, then the bias, from the same generator.

    Notes
    -----
    PyTorch writes it as ``kaiming_uniform_(W, a=√5)``, which is the same
    U(−k, k); its bias uses the same bound. The numbers differ from PyTorch's
    (another generator), the distribution does not.

    Examples
    --------
    >>> import minigrad as mg
    >>> layer = mg.nn.Linear(4, 3, rng=0)   # k = 1/2
    >>> w = mg.nn.init.linear_(layer.weight, layer.bias, rng=0)
    >>> bool(abs(w.data).max() <= 0.5 and abs(layer.bias.data).max() <= 0.5)
    True
    """
    gen = as_generator(rng)
    fan_in, _ = fan_in_and_fan_out(weight)
    k = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
    uniform_(weight, -k, k, gen)
    if bias is not None:
        uniform_(bias, -k, k, gen)
    return weight
