"""How an op joins the graph: the :class:`Function` base and :func:`unbroadcast`.

An op is a subclass of :class:`Function` with two methods that see only NumPy
arrays::

    class Mul(Function):
        def forward(self, x, y):      # compute the result, keep what backward needs
            self.x, self.y = x, y
            return x * y
        def backward(self, g):        # g = dL/d(result); return dL/d(each input)
            return g * self.y, g * self.x

``Mul.apply(a, b)`` runs ``forward`` on the inputs' arrays and, when grad mode
is on and an input requires grad, keeps the instance as the graph node of the
result: the instance *is* the context (``ctx`` in PyTorch), and its
``parents`` are the inputs that need a gradient (``None`` for the others).
``Tensor.backward`` later calls ``node.backward(g)`` in reverse order and
passes each returned array to :func:`unbroadcast`, so no op has to undo NumPy
broadcasting itself.
"""

import math
import re

import numpy as np

from .grad_mode import GradMode

__all__ = ["Function", "unbroadcast"]


def unbroadcast(g, shape):
    """Sum ``g`` back down to ``shape``: the reverse of NumPy broadcasting.

    Broadcasting copies an operand along new leading axes and along its axes of
    size 1, so each copy's gradient must be added back up.

    Math::

        x broadcast to y's shape  =>  dL/dx = sum of dL/dy over the copied axes

    Examples
    --------
    >>> import numpy as np
    >>> unbroadcast(np.ones((4, 2, 3)), (2, 1))
    array([[12.],
           [12.]])
    """
    # BEGIN SOLUTION function.unbroadcast
    if g.shape == shape:  # the common case: nothing was broadcast
        return g
    extra = g.ndim - len(shape)
    if extra:
        g = g.sum(axis=tuple(range(extra)))  # new leading axes
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)  # axes of size 1 that were stretched
    return g
    # END SOLUTION


class _Clock:
    """A counter of in-place tensor changes; ``now`` is the count so far.

    NOTE: an instance attribute, not a class attribute of Tensor: writing to a
    class resets CPython's attribute caches for all its instances, which cost
    more than the whole check.
    """

    __slots__ = ("now",)

    def __init__(self):
        self.now = 0


change_clock = _Clock()  # advanced by Tensor._mark_modified, read by apply and backward


def _shape(x):
    return getattr(x, "shape", ())


class Function:
    """Base class of every differentiable op; an instance is one graph node.

    Subclasses define ``forward(self, *arrays, **params)`` returning an array,
    and ``backward(self, g)`` returning one gradient per array input (a single
    array for a one-input op, else a tuple; ``None`` for an input that gets no
    gradient). Attributes set in ``forward`` are the saved context; the engine
    releases them after ``backward`` unless ``retain_graph=True``.

    Attributes
    ----------
    parents : tuple
        The inputs, in order, with ``None`` in place of every input that does
        not require grad (constants, integer indices, non-Tensor operands).
        ``None`` after the node has been released by a backward pass.
    g : numpy.ndarray or None
        The gradient of the loss with respect to this node's result, summed
        over all its uses during a backward pass.
    retained : Tensor or None
        The result tensor when it asked to keep its gradient (``retain_grad``).
    made_at : int or float
        The count of in-place tensor changes when the node was made
        (``change_clock.now``); infinite once released.
    """

    parents = ()
    g = None
    saves_output = False  # True for ops whose backward reads their own result as self.y
    retained = None  # the result Tensor, after its retain_grad()
    made_at = math.inf  # set by apply; backward checks that no saved array changed in place since

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in ("forward", "backward"):
            if isinstance(cls.__dict__.get(name), staticmethod):
                raise TypeError(
                    f"{cls.__name__}.{name} is a staticmethod (PyTorch's style, with ctx first); in "
                    f"minigrad it is a plain method whose self is the context: def forward(self, x) "
                    f"on NumPy arrays, saving what backward needs as self.x")

    def __call__(self, *args, **kwargs):
        name = type(self).__name__
        raise TypeError(f"a Function is not called on tensors itself: use {name}.apply(x) "
                        f"(the class method), which runs forward and records the node")

    @classmethod
    def apply(cls, *inputs, **params):
        """Run the op on ``inputs`` (Tensors, arrays or scalars) and return a Tensor.

        Keyword ``params`` (an axis, a shape, ...) are passed to ``forward``
        unchanged and are never differentiated.
        """
        # BEGIN SOLUTION function.apply
        fn = cls.__new__(cls)
        arrays, parents = [], []
        needs_grad = False
        for x in inputs:
            if isinstance(x, Tensor):
                arrays.append(x.data)
                if x.requires_grad:
                    needs_grad = True
                    parents.append(x)
                else:
                    parents.append(None)
            else:  # a constant: never differentiated
                arrays.append(x if type(x) is float or type(x) is int else _as_operand(x))
                parents.append(None)
        try:
            data = fn.forward(*arrays, **params)
        except ValueError as e:
            shapes = " and ".join(str(_shape(a)) for a in arrays)
            raise ValueError(f"{cls.__name__}: {e} (input shapes {shapes})") from None
        if type(data) is not np.ndarray:  # a NumPy scalar: ufuncs return one for 0-d input
            data = np.asarray(data)
            if fn.saves_output:
                fn.y = data  # the saved output must be the tensor's own array (made read-only below)
        out = Tensor.__new__(Tensor)
        out.data = data
        out._grad = None
        if needs_grad and GradMode.enabled:
            fn.parents = tuple(parents)
            fn.made_at = change_clock.now  # backward refuses the node if what it saved changes later
            out.requires_grad = True
            out._ctx = fn
            if fn.saves_output:  # writing into y would silently corrupt backward
                data.setflags(write=False)
        else:
            out.requires_grad = False
            out._ctx = None
        if GradMode.anomaly:
            _check_finite(data, cls.__name__, "forward", arrays)
        return out
        # END SOLUTION

    def forward(self, *arrays, **params):
        """Compute the op's result from NumPy arrays (override)."""
        raise NotImplementedError(f"{type(self).__name__}.forward")

    def backward(self, g):
        """Return dL/d(input) for each input, given ``g`` = dL/d(result) (override)."""
        raise NotImplementedError(f"{type(self).__name__}.backward")

    @property
    def needs_input_grad(self):
        """Tuple of booleans: which inputs need a gradient (skip the work for the others)."""
        return tuple(p is not None for p in self.parents)

    def release(self):
        """Drop the saved arrays and the links to the inputs (after a backward pass)."""
        if self.saves_output:
            self.y.setflags(write=True)  # no longer needed: give it back to its tensor
        self.__dict__.clear()
        self.parents = None

    def __repr__(self):
        return f"<{type(self).__name__} node>"


def _as_operand(x):
    """A non-Tensor input as NumPy sees it: Python scalars stay scalars, the rest become arrays.

    NOTE: Python ints and floats are "weak" in NumPy 2 (NEP 50): ``float32_array * 0.9``
    stays float32. A 0-d float64 array would promote a float32 graph to float64.
    So would a NumPy scalar (``x / X.std()``, ``t * np.sqrt(2)``): it becomes the
    Python number it holds, which keeps the tensor's dtype, as in PyTorch.
    Lists follow the Tensor rule and become float32.
    """
    if isinstance(x, np.generic) and x.dtype.kind in "biuf":
        return x.item()
    if isinstance(x, (int, float, bool, np.ndarray, np.generic)) or x is None:
        return x
    if isinstance(x, (list, tuple)):
        return np.asarray(x, dtype=np.float32)
    raise TypeError(f"expected a Tensor, array or number, got {type(x).__name__}")


def _check_numpy_version(version):
    """Raise ``ImportError`` unless ``version`` (a NumPy version string) is 2.0 or later.

    NOTE: the engine relies on NumPy 2's promotion rules (NEP 50): a Python
    number is "weak", so a 0-d float32 array divided by an int stays float32.
    NumPy 1 gives float64 there, so a float32 graph would quietly turn float64,
    and ``np.asarray(t)`` would fail inside NumPy (it passes ``copy=None``).
    """
    major = int(re.match(r"\d+", version).group())
    if major < 2:
        raise ImportError(
            f"minigrad needs NumPy 2 or newer, found {version}: with NumPy 1 float32 "
            f"graphs turn float64; upgrade it: pip install --upgrade 'numpy>=2'")


_check_numpy_version(np.__version__)


def _check_finite(a, op, where, inputs=()):
    if a.dtype.kind in "fc" and not np.isfinite(a).all():
        bad = "nan" if np.isnan(a).any() else ("inf" if (a == np.inf).any() else "-inf")
        shapes = ", ".join(str(_shape(x)) for x in inputs)
        raise FloatingPointError(f"{op} produced non-finite values ({bad}) in its {where}"
                                 + (f"; input shapes {shapes}" if inputs else ""))


from .tensor import Tensor  # noqa: E402  (tensor.py imports this module first)
