"""The differentiable ops: one class each, forward and derivative side by side.

Every op sees plain NumPy arrays. ``forward`` computes the result and keeps
what ``backward`` needs; ``backward(g)`` receives g = dL/d(result) and returns
dL/d(input) for each input, in that input's broadcast shape (the engine sums
broadcast axes back with :func:`~minigrad.function.unbroadcast`).
``self.inputs[k] is None`` says that input k needs no gradient (a constant),
so its work can be skipped.

Each ``backward`` is written with operations that Tensors support too
(operators, methods, and the NumPy functions of
:mod:`minigrad.numpy_functions`). ``minigrad.grad(..., create_graph=True)``
runs the same ``backward`` with Tensors in place of the saved arrays, which
records the graph of the gradient: gradients of gradients need no second set
of derivatives. A saved array that is not an input or the result is a
constant there; an op names such arrays in ``constants`` (masks, ties).

Throughout, x and y are the inputs, y (for one-input ops) or z the result,
and g the upstream gradient.
"""

import numpy as np

from .function import Function, unbroadcast
from .tensor import Tensor


def _data(x):
    """The numbers of ``x`` (a Tensor's data, else ``x``): masks computed from them are constants."""
    return x.data if isinstance(x, Tensor) else x

# =========================================================================
# Arithmetic (NumPy broadcasting; the engine un-broadcasts the gradients)
# =========================================================================


class Add(Function):
    """z = x + y.   dL/dx = g,   dL/dy = g."""

    def forward(self, x, y):
        return x + y

    def backward(self, g):
        return g, g


class Sub(Function):
    """z = x - y.   dL/dx = g,   dL/dy = -g."""

    def forward(self, x, y):
        return x - y

    def backward(self, g):
        return g, -g


class Mul(Function):
    """z = x * y.   dL/dx = g * y,   dL/dy = g * x."""

    def forward(self, x, y):
        self.x, self.y = x, y
        return x * y

    def backward(self, g):
        # BEGIN SOLUTION ops.mul_backward
        gx = g * self.y
        gy = g * self.x if self.inputs[1] is not None else None  # skip constants (y * 0.9)
        return gx, gy
        # END SOLUTION


class Div(Function):
    """z = x / y.   dL/dx = g / y,   dL/dy = -g * x / y²."""

    def forward(self, x, y):
        self.x, self.y = x, y
        return x / y

    def backward(self, g):
        gx = g / self.y
        return gx, (-gx * self.x / self.y if self.inputs[1] is not None else None)


class Pow(Function):
    """z = x ** y.   dL/dx = g * y * x^(y-1),   dL/dy = g * z * log(x).

    NOTE: where y = 0, dL/dx is 0 (x⁰ = 1 is constant), also at x = 0, where
    y·x^(y−1) would be 0·∞ = NaN, and at x = NaN (NaN⁰ = 1 too). dL/dy is computed only when the exponent
    requires grad; where x = 0 and y ≥ 0 it is 0 (the limit of z·log x for
    y > 0). PyTorch defines both edges the same way. Each edge is set with
    two ``where``: x = 1 inside the formula, 0 outside it. Masking the NaN
    afterwards alone is not enough on Tensors (``create_graph``): the
    masked branch sends 0 back into the ∞ it held, and 0·∞ = NaN would come
    back in the second derivative.
    """

    def forward(self, x, y):
        self.x, self.y = x, y
        self.z = x ** y
        return self.z

    def backward(self, g):
        x, y = self.x, self.y
        gx = gy = None
        if self.inputs[0] is not None:
            flat = ((_data(x) == 0) | np.isnan(_data(x))) & (_data(y) == 0)  # 0⁰ = NaN⁰ = 1: y·x^(y−1) is NaN
            if np.any(flat):
                gx = np.where(flat, 0, g * y * np.where(flat, 1, x) ** (y - 1))
            else:
                gx = g * y * x ** (y - 1)  # 0 where y = 0 and x ≠ 0, as it should be
        if self.inputs[1] is not None:
            zero = (_data(x) == 0) & (_data(y) >= 0)  # z·log x → 0 as x → 0
            with np.errstate(divide="ignore", invalid="ignore"):  # log of x < 0 is NaN, as in PyTorch
                if np.any(zero):
                    gy = np.where(zero, 0, g * self.z * np.log(np.where(zero, 1, x)))
                else:
                    gy = g * self.z * np.log(x)
                if gy.dtype != g.dtype:  # a Python number x gave float64
                    gy = gy.astype(g.dtype)
        return gx, gy


class Neg(Function):
    """y = -x.   dL/dx = -g."""

    def forward(self, x):
        return -x

    def backward(self, g):
        return -g


class MatMul(Function):
    """z = x @ y (NumPy's matmul: 1-D, 2-D and batched).

    dL/dx = g @ yᵀ,   dL/dy = xᵀ @ g   (ᵀ swaps the last two axes).

    A 1-D x is treated as a row (1, k) and a 1-D y as a column (k, 1); the
    engine sums batch axes that were broadcast.
    """

    def forward(self, x, y):
        if np.ndim(x) == 0 or np.ndim(y) == 0:
            raise ValueError("matmul needs operands with at least one dimension")
        self.x, self.y = x, y
        try:
            return x @ y
        except ValueError:  # NumPy's words are about gufunc signatures; say which sizes differ
            inner, axis = (y.shape[-2], "second-to-last") if y.ndim > 1 else (y.shape[0], "only")
            if x.shape[-1] != inner:
                raise ValueError(f"the first operand's last axis has size {x.shape[-1]} but the "
                                 f"second's {axis} axis has size {inner}; they must be equal") from None
            raise  # the batch axes do not broadcast: NumPy's message says so

    def backward(self, g):
        # BEGIN SOLUTION ops.matmul_backward
        x, y = self.x, self.y
        if x.ndim == 2 and y.ndim == 2:  # the common case
            gx = g @ y.T if self.inputs[0] is not None else None
            gy = x.T @ g if self.inputs[1] is not None else None
            return gx, gy
        x2 = x[None, :] if x.ndim == 1 else x            # (k,) -> (1, k)
        y2 = y[:, None] if y.ndim == 1 else y            # (k,) -> (k, 1)
        g2 = g
        if y.ndim == 1:
            g2 = np.expand_dims(g2, -1)                   # (..., n) -> (..., n, 1)
        if x.ndim == 1:
            g2 = np.expand_dims(g2, -2)                   # (..., m) -> (..., 1, m)
        gx = gy = None
        if self.inputs[0] is not None:
            gx = g2 @ np.swapaxes(y2, -1, -2)
            if x.ndim == 1:
                gx = gx[..., 0, :]
        if self.inputs[1] is not None:
            gy = np.swapaxes(x2, -1, -2) @ g2
            if y.ndim == 1:
                gy = gy[..., 0]
        return gx, gy
        # END SOLUTION


# =========================================================================
# Elementwise functions
# =========================================================================


class Exp(Function):
    """y = exp(x).   dL/dx = g * y."""

    def forward(self, x):
        self.y = np.exp(x)
        return self.y

    def backward(self, g):
        # BEGIN SOLUTION ops.exp_backward
        return g * self.y
        # END SOLUTION


class Log(Function):
    """y = log(x).   dL/dx = g / x."""

    def forward(self, x):
        self.x = x
        return np.log(x)

    def backward(self, g):
        # BEGIN SOLUTION ops.log_backward
        return g / self.x
        # END SOLUTION


class Sqrt(Function):
    """y = √x.   dL/dx = g / (2y)."""

    def forward(self, x):
        self.y = np.sqrt(x)
        return self.y

    def backward(self, g):
        return g / (2 * self.y)


class Tanh(Function):
    """y = tanh(x).   dL/dx = g * (1 - y²)."""

    def forward(self, x):
        self.y = np.tanh(x)
        return self.y

    def backward(self, g):
        # BEGIN SOLUTION ops.tanh_backward
        return g * (1 - self.y * self.y)
        # END SOLUTION


class Sigmoid(Function):
    """y = σ(x) = 1 / (1 + e^(-x)).   dL/dx = g * y * (1 - y).

    NOTE: computed from e = e^(-|x|) ≤ 1, which never overflows (e^(-x) does
    for x < -88 in float32): σ(x) = 1 / (1 + e) for x ≥ 0 and e / (1 + e)
    for x < 0. Both stay accurate far in the tails; a form that subtracts
    from 1, such as (1 + tanh(x/2)) / 2, rounds σ(-20) = 2e-9 to 0 in float32.
    """

    def forward(self, x):
        self.y = stable_sigmoid(_floating("Sigmoid", x))
        return self.y

    def backward(self, g):
        return g * self.y * (1 - self.y)


def _floating(op, x):
    """``x``, refused unless floating point: integer arithmetic wraps (uint8: 0 - 255 = 1).

    NOTE: σ needs -|x| and softmax x - max(x); in uint8 these wrap around and
    the result is silently wrong. PyTorch refuses integer input to all three.
    """
    if x.dtype.kind != "f":
        raise TypeError(f"{op} needs a floating-point input, got dtype {x.dtype}; convert it with "
                        f".astype(np.float32) first")
    return x


def stable_sigmoid(x):
    """σ(x) on an array, from e = e^(-|x|) ≤ 1: 1 / (1 + e) for x ≥ 0, e / (1 + e) for x < 0."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1, e) / (1 + e)


class ReLU(Function):
    """y = max(x, 0).   dL/dx = g * [x > 0]   (0 at x = 0, as in PyTorch).

    NOTE: the mask is "not x ≤ 0", which is x > 0 except at NaN: there it
    passes g on, as PyTorch does, rather than hide the NaN from the gradient.
    """

    def forward(self, x):
        self.mask = ~(x <= 0)
        return np.maximum(x, 0)

    def backward(self, g):
        return g * self.mask


class LeakyReLU(Function):
    """y = x if x > 0 else a·x.   dL/dx = g · (1 if x > 0 else a)   (a at x = 0, as in PyTorch)."""

    constants = ("scale",)  # for gradients of gradients: 1 or a, derivative 0

    def forward(self, x, slope):
        self.scale = np.where(x > 0, np.array(1, x.dtype), np.array(slope, x.dtype))
        return x * self.scale

    def backward(self, g):
        return g * self.scale


class Abs(Function):
    """y = |x|.   dL/dx = g * sign(x)   (0 at x = 0, as in PyTorch)."""

    constants = ("sign",)  # for gradients of gradients: sign(x) has derivative 0

    def forward(self, x):
        self.sign = np.sign(x)
        return np.abs(x)

    def backward(self, g):
        return g * self.sign


class Clamp(Function):
    """y = min(max(x, lo), hi).   dL/dx = g * [lo ≤ x ≤ hi]   (a bound of None is no limit).

    NOTE: an x exactly at a bound passes its gradient on, as in PyTorch.
    """

    def forward(self, x, lo=None, hi=None):
        inside = np.ones(x.shape, dtype=bool)
        if lo is not None:
            inside &= x >= lo
        if hi is not None:
            inside &= x <= hi
        self.inside = inside
        return np.clip(x, lo, hi)

    def backward(self, g):
        return g * self.inside


# =========================================================================
# Reductions
# =========================================================================


def _axes(shape, axis):
    """A reduction's ``axis`` for an input of ``shape``: None, or a tuple of distinct axes in [0, ndim).

    NOTE: a 0-d input has no axis, yet NumPy's ``sum`` takes ``axis=0`` (not
    ``(0,)``) and PyTorch takes 0, -1 and (0,) alike, reducing nothing; so
    does minigrad, for every reduction. A repeated axis is refused by name.
    """
    if axis is None:
        return None
    ndim, axes, scalar_axis = len(shape), [], False
    for a in axis if isinstance(axis, tuple) else (axis,):
        if isinstance(a, (bool, np.bool_)) or not isinstance(a, (int, np.integer)):
            raise TypeError(f"axis must be an int, a tuple of ints or None, got {axis!r}")
        if ndim == 0 and a in (0, -1):
            if scalar_axis:
                raise ValueError(f"axis {axis} repeats axis 0 of a 0-d input; each axis can be reduced once")
            scalar_axis = True
            continue
        if not -ndim <= a < ndim:
            raise np.exceptions.AxisError(int(a), ndim)
        if int(a) % ndim in axes:
            raise ValueError(f"axis {axis} repeats axis {int(a) % ndim} of shape {shape}; "
                             f"each axis can be reduced once")
        axes.append(int(a) % ndim)
    return tuple(axes)


class Sum(Function):
    """y = Σ x over ``axis``.   dL/dx = g broadcast back to x's shape.

    ``self.axis`` is None (every axis) or a tuple of axes, each in [0, x.ndim).
    """

    def forward(self, x, axis=None, keepdims=False):
        axis = _axes(x.shape, axis)
        self.shape, self.axis, self.keepdims = x.shape, axis, keepdims
        return np.sum(x, axis=axis, keepdims=keepdims)

    def backward(self, g):
        # BEGIN SOLUTION ops.sum_backward
        if self.axis is not None and not self.keepdims:
            g = np.expand_dims(g, self.axis)    # the summed axes back, with size 1
        return np.broadcast_to(g, self.shape)   # every x that was summed gets its sum's g
        # END SOLUTION


class Mean(Sum):
    """y = (1/n) Σ x over ``axis`` (n elements reduced).   dL/dx = g / n, broadcast as for Sum.

    A Sum divided by n: its backward is Sum's (an earlier exercise), of g / n.
    """

    def forward(self, x, axis=None, keepdims=False):
        axis = _axes(x.shape, axis)
        self.shape, self.axis, self.keepdims = x.shape, axis, keepdims
        out = np.mean(x, axis=axis, keepdims=keepdims)
        self.n = x.size // out.size if x.size else 1  # an empty x has no gradient to scale
        return out

    def backward(self, g):
        return super().backward(g / self.n)


class Max(Function):
    """y = max of x over ``axis``.   dL/dx = g * [x = y] / (number of ties).

    NOTE: when several elements share the maximum the gradient is split evenly
    among them (PyTorch's ``amax`` does this; ``max(dim)`` picks one index).
    A maximum that is NaN (NaN in the slice) sends the gradient to the NaN
    elements, split evenly, as ``torch.max()`` does (``amax`` gives NaN to
    every element).
    """

    constants = ("share",)  # for gradients of gradients: [x = y] / ties, derivative 0 (almost everywhere)

    def forward(self, x, axis=None, keepdims=False):
        axes = _axes(x.shape, axis)  # first: a repeated axis is not "an axis of length 0"
        try:
            y = np.max(x, axis=axes, keepdims=True)
        except ValueError:  # NumPy's "zero-size array to reduction operation maximum"
            raise ValueError(f"max over an axis of length 0 (shape {x.shape}, axis {axis}) "
                             f"has no value") from None
        hit = x == y
        if np.isnan(y).any():  # NaN == NaN is False: the NaN elements are the maximum there
            hit |= np.isnan(x) & np.isnan(y)
        share = hit.astype(x.dtype)
        share /= share.sum(axis=axes, keepdims=True)
        self.share, self.kept = share, y.shape  # kept: y's shape with the reduced axes of size 1
        return y if keepdims else np.max(x, axis=axes)

    def backward(self, g):
        return g.reshape(self.kept) * self.share  # broadcasting spreads g over each reduced slice


# =========================================================================
# Shape and indexing
# =========================================================================


class Reshape(Function):
    """y = x viewed with a new shape.   dL/dx = g reshaped to x's shape."""

    def forward(self, x, shape):
        self.shape = x.shape
        try:
            return x.reshape(shape)
        except ValueError:
            raise ValueError(f"cannot reshape {x.shape} into {shape}") from None

    def backward(self, g):
        return g.reshape(self.shape)


class Transpose(Function):
    """y = x with axes permuted.   dL/dx = g with the inverse permutation."""

    def forward(self, x, axes):
        self.axes = axes
        return x.transpose(axes)

    def backward(self, g):
        return g.transpose(tuple(np.argsort(self.axes).tolist()))


class Cast(Function):
    """y = x converted to another floating-point dtype.   dL/dx = g converted back to x's dtype.

    The values are rounded to the new dtype (float64 to float32) or kept
    exactly (float32 to float64); the gradient takes the same road back.
    """

    def forward(self, x, dtype):
        self.dtype = x.dtype
        return x.astype(dtype)

    def backward(self, g):
        return g.astype(self.dtype)


def _is_basic(index):
    """True for slices, integers, None and Ellipsis only: each element picked at most once."""
    items = index if isinstance(index, tuple) else (index,)
    return all(i is None or i is Ellipsis or isinstance(i, (slice, int, np.integer))
               for i in items)


class GetItem(Function):
    """y = x[index] (slices, integers, integer or boolean arrays).

    dL/dx = zeros with g scattered back into x[index]; an element picked twice
    (``x[[0, 0]]``) receives the sum of both gradients (``np.add.at``).
    """

    def forward(self, x, index):
        self.shape, self.index = x.shape, _own_copy(index)
        return x[index]

    def backward(self, g):
        return scatter(g, self.shape, self.index)


def _own_copy(index):
    """``index`` with a copy of each array in it, for a node to keep.

    NOTE: an index (or a condition, or labels) is not differentiated, so the
    memory guard does not lock it; the node keeps its own copy instead, so a
    later write into the caller's array cannot change what backward uses.
    """
    if isinstance(index, np.ndarray):
        return index.copy()
    if isinstance(index, tuple):
        return tuple(_own_copy(i) for i in index)
    return index


def scatter(g, shape, index):
    """Zeros of ``shape`` with ``g`` added at ``[index]`` (an element picked twice gets both).

    GetItem's backward. On a Tensor ``g`` (gradients of gradients) it is the
    op :class:`IndexAdd`, whose own backward picks ``[index]`` again.
    """
    if isinstance(g, Tensor):
        return IndexAdd.apply(g, shape=shape, index=index)
    gx = np.zeros(shape, dtype=g.dtype)
    if _is_basic(index):
        gx[index] = g
    else:
        np.add.at(gx, index, g)
    return gx


class IndexAdd(Function):
    """z = zeros(shape) with x added at [index] (GetItem's backward).   dL/dx = g[index]."""

    def forward(self, x, shape, index):
        self.index = index
        return scatter(x, shape, index)

    def backward(self, g):
        return g[self.index]


class BroadcastTo(Function):
    """y = x broadcast to ``shape`` (a view, as ``np.broadcast_to``).   dL/dx = g summed back to x's shape."""

    def forward(self, x, shape):
        self.shape = np.shape(x)
        return np.broadcast_to(x, shape)

    def backward(self, g):
        return unbroadcast(g, self.shape)


class Concatenate(Function):
    """y = the inputs joined along ``axis``.   dL/dx_i = the slice of g where x_i sits."""

    def forward(self, *xs, axis=0):
        if not xs:
            raise ValueError("concatenate needs at least one tensor")
        y = np.concatenate(xs, axis=axis)  # first: it checks the axis and the shapes
        self.axis = axis
        self.ends = np.cumsum([x.shape[axis] for x in xs])[:-1]
        return y

    def backward(self, g):
        return tuple(np.split(g, self.ends, axis=self.axis))


class Stack(Function):
    """y = the inputs stacked along a new ``axis``.   dL/dx_i = g indexed at i on that axis."""

    def forward(self, *xs, axis=0):
        if not xs:
            raise ValueError("stack needs at least one tensor")
        self.axis = axis
        return np.stack(xs, axis=axis)

    def backward(self, g):
        return tuple(np.moveaxis(g, self.axis, 0))


class Where(Function):
    """z = x where ``condition`` else y.   dL/dx = g * c,   dL/dy = g * (1 - c)."""

    def forward(self, x, y, condition):
        self.c = _own_copy(condition)
        return np.where(condition, x, y)

    def backward(self, g):
        zero = np.zeros((), dtype=g.dtype)
        return np.where(self.c, g, zero), np.where(self.c, zero, g)


# =========================================================================
# Softmax family (stable: shift by the max, which changes nothing)
# =========================================================================


def _max_or_zero(x, axis):
    """max(x) along ``axis`` with keepdims, the shift that keeps e^x from overflowing.

    An empty ``x`` has no max; any shift will do, so 0: an empty input gives an empty output.
    """
    if x.size == 0:
        return np.zeros_like(x.sum(axis=axis, keepdims=True))
    return np.max(x, axis=axis, keepdims=True)


class Softmax(Function):
    """y = e^x / Σ e^x over ``axis``.   dL/dx = y * (g - Σ g*y).

    NOTE: x - max(x) is exponentiated, so logits of ±1000 give no overflow.
    """

    def forward(self, x, axis=-1):
        e = np.exp(_floating("Softmax", x) - _max_or_zero(x, axis))
        e /= e.sum(axis=axis, keepdims=True)
        self.y, self.axis = e, axis
        return e

    def backward(self, g):
        # BEGIN SOLUTION ops.softmax_backward
        y = self.y
        return y * (g - (g * y).sum(axis=self.axis, keepdims=True))
        # END SOLUTION


class LogSoftmax(Function):
    """y = x - log Σ e^x over ``axis``.   dL/dx = g - softmax(x) * Σ g.

    NOTE: computed as (x - m) - log Σ e^(x - m) with m = max(x): no overflow.
    """

    def forward(self, x, axis=-1):
        shifted = _floating("LogSoftmax", x) - _max_or_zero(x, axis)
        s = np.exp(shifted).sum(axis=axis, keepdims=True)
        with np.errstate(divide="ignore"):  # s ≥ 1 (the max's term is e^0), or 0 for an empty axis
            self.y, self.axis = shifted - np.log(s), axis
        return self.y

    def backward(self, g):
        # BEGIN SOLUTION ops.log_softmax_backward
        return g - np.exp(self.y) * g.sum(axis=self.axis, keepdims=True)  # e^y = softmax(x)
        # END SOLUTION
