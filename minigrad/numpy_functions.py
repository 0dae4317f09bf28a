"""NumPy's functions given a tensor that requires grad: minigrad's op for each one that has it.

``np.exp(t)``, ``np.where(c, t, 0)`` or ``np.broadcast_to(t, shape)`` on a
tensor that requires grad record the op that says the same thing, so the
gradient flows through them. Tensor's ``__array_ufunc__`` and
``__array_function__`` look here first; any other NumPy function refuses such
a tensor (its result would be cut from the graph).

Why: the ops' ``backward`` methods are written with NumPy (``np.where``,
``np.expand_dims``, ...). Run on Tensors, as ``minigrad.grad(...,
create_graph=True)`` does, the same code records the graph of the gradient:
one set of derivatives serves both first and higher orders.

Examples
--------
>>> import numpy as np
>>> import minigrad as mg
>>> x = mg.Tensor([0.0, 1.0], requires_grad=True)
>>> np.exp(x)
Tensor([1.      , 2.718282], op=Exp)
>>> np.broadcast_to(x, (3, 2)).shape
(3, 2)
"""

import numpy as np
from numpy.lib.array_utils import normalize_axis_index, normalize_axis_tuple

from . import ops
from .tensor import Tensor

__all__ = ["UFUNCS", "FUNCTIONS"]


def _data(x):
    """The numbers of ``x``: a Tensor's data, anything else as it is (for shapes and masks)."""
    return x.data if isinstance(x, Tensor) else x


def sign(x):
    """sign(x) as a constant tensor: its derivative is 0 wherever it has one."""
    return Tensor._wrap(np.sign(x.data))


def where(condition, x=None, y=None):
    """``np.where(condition, x, y)``: the op ``Where`` (the condition is a constant).

    ``np.where(condition)`` alone is ``np.nonzero``: integer indices, no gradient.
    """
    if x is None and y is None:
        return np.nonzero(_data(condition))
    if x is None or y is None:
        raise TypeError("np.where takes a condition alone, or a condition with both x and y")
    return ops.Where.apply(x, y, condition=np.asarray(_data(condition), dtype=bool))


def broadcast_to(x, shape):
    """``np.broadcast_to(x, shape)``: the op ``BroadcastTo``; ``shape`` must be reachable from x's."""
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if np.broadcast_shapes(np.shape(_data(x)), shape) != shape:  # broadcasting also grows x
        raise ValueError(f"cannot broadcast a tensor of shape {np.shape(_data(x))} to shape {shape}")
    return ops.BroadcastTo.apply(x, shape=shape)


def expand_dims(x, axis):
    """``np.expand_dims(x, axis)``: a reshape that adds axes of size 1."""
    shape = np.expand_dims(np.broadcast_to(False, x.shape), axis).shape
    return ops.Reshape.apply(x, shape=shape)


def squeeze(x, axis=None):
    """``np.squeeze(x, axis)``: a reshape that drops axes of size 1 (all of them, or ``axis``)."""
    shape = np.squeeze(np.broadcast_to(False, x.shape), axis).shape
    return ops.Reshape.apply(x, shape=shape)


def transpose(x, axes=None):
    """``np.transpose(x, axes)``: ``x.transpose(*axes)``, the axes reversed when none are given."""
    if axes is None:
        return x.transpose()
    return x.transpose(*axes) if np.ndim(axes) else x.transpose(axes)  # one axis: NumPy takes it bare


def reshape(x, shape, order="C"):
    """``np.reshape(x, shape)``: ``x.reshape(shape)``, in C order only (as minigrad's reshape)."""
    if order != "C":
        raise ValueError(f"np.reshape on a tensor: only order='C' is supported, got {order!r}")
    return x.reshape(shape)


def swapaxes(x, axis1, axis2):
    """``np.swapaxes(x, axis1, axis2)``: a transpose."""
    axis1, axis2 = normalize_axis_index(axis1, x.ndim), normalize_axis_index(axis2, x.ndim)
    order = list(range(x.ndim))
    order[axis1], order[axis2] = order[axis2], order[axis1]
    return ops.Transpose.apply(x, axes=tuple(order))


def moveaxis(x, source, destination):
    """``np.moveaxis(x, source, destination)``, one axis or several: a transpose.

    The axes not moved keep their order; each moved one is put at its destination.
    """
    source = normalize_axis_tuple(source, x.ndim, "source")
    destination = normalize_axis_tuple(destination, x.ndim, "destination")
    if len(source) != len(destination):
        raise ValueError("moveaxis: source and destination must name as many axes")
    order = [axis for axis in range(x.ndim) if axis not in source]
    for dest, src in sorted(zip(destination, source)):
        order.insert(dest, src)
    return ops.Transpose.apply(x, axes=tuple(order))


def split(x, indices, axis=0):
    """``np.split(x, indices, axis)``: a slice of x for each piece, at the given indices or into
    ``indices`` equal pieces."""
    axis = normalize_axis_index(axis, x.ndim)
    n = x.shape[axis]
    if np.ndim(indices) == 0:  # a number of pieces (3, np.int64(3) or 3.0, as NumPy takes it)
        count = float(indices)
        if not count.is_integer() or count <= 0 or n % count:
            raise ValueError(f"np.split: an axis of length {n} does not split into {indices} equal pieces")
        size = n // int(count)
        indices = [size * k for k in range(1, int(count))]  # an empty axis: every piece is empty
    bounds = [0, *(int(i) for i in indices), n]
    before = (slice(None),) * axis
    return [x[before + (slice(a, b),)] for a, b in zip(bounds[:-1], bounds[1:])]


# NumPy ufunc -> what it is on a tensor that requires grad
UFUNCS = {np.exp: Tensor.exp, np.log: Tensor.log, np.sqrt: Tensor.sqrt, np.tanh: Tensor.tanh,
          np.absolute: Tensor.abs, np.negative: Tensor.__neg__, np.sign: sign}

# NumPy function -> the same on a tensor that requires grad
FUNCTIONS = {np.where: where, np.broadcast_to: broadcast_to, np.expand_dims: expand_dims,
             np.swapaxes: swapaxes, np.moveaxis: moveaxis, np.split: split, np.squeeze: squeeze,
             np.transpose: transpose, np.reshape: reshape}
