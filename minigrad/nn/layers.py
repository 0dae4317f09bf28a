"""Layers: Linear, the activations, softmax, Dropout and Flatten, as Modules.

Each layer's ``forward`` is one call into :mod:`minigrad.nn.functional` (or
one Tensor method); the math lives there and in :mod:`minigrad.ops`.
"""

import numbers

import numpy as np

from .._rng import as_generator
from . import functional as F
from . import init
from .module import Module, Parameter

__all__ = ["Linear", "ReLU", "LeakyReLU", "Tanh", "Sigmoid", "Softmax", "LogSoftmax", "Dropout",
           "Flatten"]


def _check_features(name, n):
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(n).__name__}")
    if n < 1:
        raise ValueError(f"{name} must be >= 1, got {n}")
    return int(n)


class Linear(Module):
    """Affine layer: ``y = x @ weight.T + bias``.

    Math::

        y = x Wᵀ + b        x: (N, in),  W: (out, in),  b: (out,),  y: (N, out)
        W, b ~ U(−k, k),    k = 1 / √in        (PyTorch's default initialisation)

    Parameters
    ----------
    in_features, out_features : int
        Sizes of each input row and each output row.
    bias : bool, default True
        Learn an additive bias ``b`` (``self.bias`` is None otherwise).
    rng : None, int or numpy.random.Generator
        For the initial values: the same seed gives the same layer.
    dtype : numpy dtype, default float32
        Of ``weight`` and ``bias`` (float64 for gradient checks).

    Attributes
    ----------
    weight : Parameter of shape (out_features, in_features)
    bias : Parameter of shape (out_features,) or None

    Notes
    -----
    ``weight`` is stored (out, in) as in PyTorch, so state dicts move between
    the two with the same keys and shapes (into torch: ``torch.from_numpy``
    of each array). The initial numbers come from NumPy's generator and so
    differ from PyTorch's; their distribution is the same.

    Examples
    --------
    >>> import minigrad as mg
    >>> layer = mg.nn.Linear(3, 2, rng=0)
    >>> layer.weight.shape, layer.bias.shape
    ((2, 3), (2,))
    >>> layer(mg.ones(4, 3)).shape
    (4, 2)
    >>> bool((mg.nn.Linear(3, 2, rng=0).weight.data == layer.weight.data).all())  # same seed
    True
    """

    def __init__(self, in_features, out_features, bias=True, rng=None, dtype=np.float32):
        super().__init__()
        self.in_features = _check_features("in_features", in_features)
        self.out_features = _check_features("out_features", out_features)
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"Linear parameters must be floating point, got dtype {dtype}")
        self.weight = Parameter(np.empty((self.out_features, self.in_features), dtype=dtype))
        self.bias = Parameter(np.empty(self.out_features, dtype=dtype)) if bias else None
        init.linear_(self.weight, self.bias, rng=as_generator(rng))

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class ReLU(Module):
    """Rectified linear unit, elementwise: ``max(x, 0)``.

    Math::

        y = max(x, 0),   dL/dx = g · [x > 0]

    Examples
    --------
    >>> import minigrad as mg
    >>> mg.nn.ReLU()(mg.Tensor([-1.0, 0.5])).data
    array([0. , 0.5], dtype=float32)
    """

    def forward(self, x):
        return F.relu(x)


class LeakyReLU(Module):
    """Leaky rectified linear unit, elementwise.

    Math::

        y = x if x > 0 else a·x,   dL/dx = g · (1 if x > 0 else a)

    Parameters
    ----------
    negative_slope : float, default 0.01
        The slope ``a`` for negative inputs.

    Examples
    --------
    >>> import minigrad as mg
    >>> mg.nn.LeakyReLU(0.1)(mg.Tensor([-1.0, 0.5])).data
    array([-0.1,  0.5], dtype=float32)
    """

    def __init__(self, negative_slope=0.01):
        super().__init__()
        self.negative_slope = F._check_slope(negative_slope)

    def forward(self, x):
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


class Tanh(Module):
    """Hyperbolic tangent, elementwise.

    Math::

        y = tanh(x),   dL/dx = g · (1 − y²)

    Examples
    --------
    >>> import minigrad as mg
    >>> mg.nn.Tanh()(mg.Tensor([0.0])).data
    array([0.], dtype=float32)
    """

    def forward(self, x):
        return F.tanh(x)


class Sigmoid(Module):
    """Logistic sigmoid, elementwise.

    Math::

        y = 1 / (1 + e^(−x)),   dL/dx = g · y · (1 − y)

    Examples
    --------
    >>> import minigrad as mg
    >>> mg.nn.Sigmoid()(mg.Tensor([0.0])).data
    array([0.5], dtype=float32)
    """

    def forward(self, x):
        return F.sigmoid(x)


class Softmax(Module):
    """Softmax along ``axis``: each slice becomes probabilities that sum to 1.

    Math::

        yᵢ = e^(xᵢ) / Σⱼ e^(xⱼ),   dL/dxᵢ = yᵢ · (gᵢ − Σⱼ gⱼ yⱼ)

    NOTE: not for the last layer of a classifier trained with
    ``CrossEntropyLoss``, which takes raw scores (logits) and applies the
    softmax itself; apply this to the logits to read probabilities.

    Parameters
    ----------
    axis : int, default -1
        The axis that sums to 1 (PyTorch's ``dim``; give it explicitly there).

    Examples
    --------
    >>> import minigrad as mg
    >>> mg.nn.Softmax()(mg.Tensor([[0.0, 0.0], [1000.0, 0.0]])).data
    array([[0.5, 0.5],
           [1. , 0. ]], dtype=float32)
    """

    def __init__(self, axis=-1):
        super().__init__()
        self.axis = _check_axis(axis)

    def forward(self, x):
        return F.softmax(x, self.axis)

    def extra_repr(self):
        return f"axis={self.axis}"


class LogSoftmax(Module):
    """Log of the softmax along ``axis``, computed stably.

    Math::

        yᵢ = xᵢ − log Σⱼ e^(xⱼ),   dL/dxᵢ = gᵢ − softmax(x)ᵢ · Σⱼ gⱼ

    Parameters
    ----------
    axis : int, default -1
        The axis to normalise over (PyTorch's ``dim``).

    Examples
    --------
    >>> import minigrad as mg
    >>> mg.nn.LogSoftmax()(mg.Tensor([0.0, 0.0])).data.round(4)
    array([-0.6931, -0.6931], dtype=float32)
    """

    def __init__(self, axis=-1):
        super().__init__()
        self.axis = _check_axis(axis)

    def forward(self, x):
        return F.log_softmax(x, self.axis)

    def extra_repr(self):
        return f"axis={self.axis}"


def _check_axis(axis):
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"axis must be an int, got {type(axis).__name__}")
    return int(axis)


class Dropout(Module):
    """Inverted dropout in training mode; the identity in eval mode.

    Math::

        training:  y = x · [u ≥ p] / (1 − p),   u ~ U(0, 1) per element
        eval:      y = x

    Parameters
    ----------
    p : float in [0, 1), default 0.5
        Probability of zeroing each element.
    rng : None, int or numpy.random.Generator
        Seeded once here; every call then draws a fresh mask from it.

    Examples
    --------
    >>> import minigrad as mg
    >>> drop = mg.nn.Dropout(0.5, rng=0)
    >>> sorted(set(drop(mg.ones(100)).data.tolist()))
    [0.0, 2.0]
    >>> x = mg.ones(3)
    >>> drop.eval()(x) is x
    True
    """

    def __init__(self, p=0.5, rng=None):
        super().__init__()
        F._check_p(p)
        self.p = float(p)
        self.rng = as_generator(rng)

    def forward(self, x):
        return F.dropout(x, self.p, training=self.training, rng=self.rng)

    def extra_repr(self):
        return f"p={self.p}"


class Flatten(Module):
    """Flatten all axes but the first: (N, ...) → (N, product of the rest).

    Math::

        y = reshape(x, (N, −1)),   dL/dx = reshape(g, x.shape)

    Examples
    --------
    >>> import minigrad as mg
    >>> mg.nn.Flatten()(mg.zeros(2, 3, 4)).shape
    (2, 12)
    """

    def forward(self, x):
        return F.flatten(x)
