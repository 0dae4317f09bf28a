"""Modules: objects that hold Parameters and sub-modules, and compute ``forward``.

A :class:`Parameter` is a Tensor that always requires grad. A :class:`Module`
finds its parameters and sub-modules by walking its attributes (``vars(self)``)
in the order they were assigned.
"""

import numpy as np

from ..tensor import Tensor

__all__ = ["Parameter"]


class Parameter(Tensor):
    """A Tensor that always requires grad: a learnable weight of a Module.

    Parameters
    ----------
    data : array_like or Tensor
        Python scalars and lists become float32; a NumPy array keeps its
        (floating) dtype. The data is copied. Integer or boolean data raise
        ``TypeError``: a gradient step cannot move an integer.

    Examples
    --------
    >>> import minigrad as mg
    >>> w = mg.nn.Parameter([1.0, 2.0])
    >>> w.requires_grad, w.dtype
    (True, dtype('float32'))
    >>> (w * w).sum().backward()
    >>> w.grad
    array([2., 4.], dtype=float32)
    """

    __slots__ = ()

    def __init__(self, data):
        super().__init__(data)
        if self.data.dtype.kind != "f":
            raise TypeError(f"a Parameter needs floating-point data, got dtype {self.data.dtype}; "
                            "pass a float array or convert with .astype(np.float32)")
        self.requires_grad = True

    def __repr__(self):
        body = np.array2string(self.data, separator=", ", prefix="Parameter(")
        extra = "" if self.data.dtype == np.float32 else f", dtype={self.data.dtype}"
        return f"Parameter({body}{extra})"
