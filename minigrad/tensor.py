"""The Tensor: an array that remembers how it was made, and ``backward()``.

A Tensor wraps a NumPy array (``.data``). Every op on Tensors is a
:class:`~minigrad.function.Function` (defined in ``ops.py``); when an input
requires grad, the result keeps the op's node in ``.grad_fn`` and the node
keeps its inputs, so the tensors and nodes form a graph from the leaves
(tensors made by the user, parameters) to the result. ``backward()`` hands
that graph to :func:`~minigrad.function.backward_pass`, the chain rule.

Everything else here is convenience: operators that call an op in one line,
NumPy's protocols, argument checks, constructors.
"""

import copy
import numbers
import re
import warnings

import numpy as np

__all__ = ["Tensor", "zeros", "ones", "randn", "arange",
           "concatenate", "stack", "where"]


def _shape_arg(shape, who="shape", minus_one=False):
    """Accept ``f(2, 3)`` and ``f((2, 3))`` alike (as PyTorch does); sizes must be ints ≥ 0.

    ``minus_one=True`` (``reshape``) also lets a size be -1: "whatever is left".
    """
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    if not all(isinstance(n, numbers.Integral) and not isinstance(n, bool) for n in shape):
        raise TypeError(f"{who}: sizes must be ints, got {shape}")
    if any(n < (-1 if minus_one else 0) for n in shape):
        raise ValueError(f"{who}: sizes must be {'-1 or ' if minus_one else ''}>= 0, got {shape}")
    return tuple(int(n) for n in shape)


class Tensor:
    """An n-dimensional array that records the ops applied to it.

    Parameters
    ----------
    data : array_like
        Python scalars and lists become float32; a NumPy array keeps its dtype
        (float64 data gives float64 graphs, as ``gradcheck`` needs). The data
        is copied.
    requires_grad : bool, default False
        Record ops on this tensor so that ``backward`` fills its ``.grad``.
        Only floating-point tensors can require grad (``TypeError`` otherwise).
    dtype : numpy dtype, optional
        Convert the data to this dtype.

    Attributes
    ----------
    data : numpy.ndarray
        The values. While a live graph saved them for its ``backward``, they
        are read-only: a write straight into them (``t.data[...] = v``,
        ``t.numpy()``, ``np.copyto``) raises NumPy's "read-only" error, and
        they are writable again once that graph has run ``backward`` or is
        dropped (:mod:`minigrad.memory_guard`). ``t[...] = v`` or ``t -= v``
        under ``no_grad`` always write; a pending ``backward`` then refuses
        the stale values.
    grad : numpy.ndarray or None
        dL/d(this tensor), same shape and dtype as ``data``, summed over every
        ``backward`` call since the last ``zero_grad()``.

    Examples
    --------
    >>> import minigrad as mg
    >>> x = mg.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> y = (x * x).sum()          # y = Σ x²
    >>> y.backward()               # dy/dx = 2x
    >>> x.grad
    array([2., 4., 6.], dtype=float32)
    """

    __slots__ = ("data", "_grad", "_requires_grad", "grad_fn", "retains_grad", "__weakref__")
    __hash__ = object.__hash__  # identity: graph walks and optimizer state key on it

    def __init__(self, data, requires_grad=False, dtype=None):
        if isinstance(data, Tensor):
            data = data.data
        if dtype is None and not isinstance(data, (np.ndarray, np.generic)):
            dtype = np.float32  # Python scalars and lists
        try:
            # NOTE: first as NumPy reads it, so that None or "1.5" is refused, not made nan or 1.5
            given = data if isinstance(data, (np.ndarray, np.generic)) else np.asarray(data)
            if given.dtype.kind not in "biuf":
                raise TypeError(f"Tensor data must be numeric, got {type(data).__name__} "
                                f"(NumPy reads it as dtype {given.dtype})")
            self.data = np.array(given, dtype=dtype)
        except ValueError as e:  # a ragged list: a bad shape, as NumPy says
            raise ValueError(f"Tensor data must be a numeric array-like of one shape, got "
                             f"{type(data).__name__}: {e}") from None
        if self.data.dtype.kind not in "biuf":
            raise TypeError(f"Tensor data must be numeric, got dtype {self.data.dtype}")
        self._grad = None
        self.grad_fn = None  # the node (op) that made this tensor; None for a leaf
        self.retains_grad = False
        self._requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @property
    def grad(self):
        """dL/d(this tensor) as a NumPy array of its shape, or None.

        Filled by ``backward`` on leaves (tensors you made, parameters), and on
        an intermediate result only after its ``retain_grad()``. Reading the
        ``None`` of an intermediate that did not ask for it warns, as in PyTorch.
        """
        g = self._grad
        if g is None and self.grad_fn is not None and not self.retains_grad:
            warnings.warn(
                f"reading .grad of an intermediate result (made by {self._op_name()}): "
                f"backward() fills .grad only on leaves (tensors you made, parameters), so it is "
                f"None; call .retain_grad() on this tensor before backward() to keep its gradient",
                UserWarning, stacklevel=2)
        return g

    @grad.setter
    def grad(self, value):
        if value is not None and np.shape(value) != self.data.shape:  # the next backward would add to it
            raise ValueError(f".grad must have the tensor's shape {self.data.shape} (or be None), "
                             f"got shape {np.shape(value)}")
        self._grad = value

    def requires_grad_(self, flag=True):
        """Set ``requires_grad`` in place (only float tensors may require grad); return self."""
        if flag and self.data.dtype.kind != "f":
            raise TypeError(f"only floating-point tensors can require grad, got dtype "
                            f"{self.data.dtype}; convert with dtype=np.float32 or np.float64")
        self.requires_grad = flag
        return self

    @property
    def requires_grad(self):
        """Whether gradients flow to this tensor: set on a leaf by the user, True on a graph's results."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag):
        # NOTE: as in PyTorch, only a leaf's flag can change: turned off on a result, the graph would
        # quietly treat it as a constant from then on, and the gradient through it would be lost
        if not flag and self.grad_fn is not None:
            raise RuntimeError(f"requires_grad = False on the result of a {self._op_name()} op: only "
                               f"a leaf's flag can change; use t.detach() for its values without grad")
        self._requires_grad = bool(flag)

    # ---- array attributes ------------------------------------------------

    @property
    def shape(self):
        """Tuple of array dimensions."""
        return self.data.shape

    @property
    def ndim(self):
        """Number of dimensions."""
        return self.data.ndim

    @property
    def dtype(self):
        """NumPy dtype of the data."""
        return self.data.dtype

    @property
    def size(self):
        """Number of elements."""
        return self.data.size

    @property
    def is_leaf(self):
        """True for tensors not produced by a recorded op (their ``.grad`` accumulates)."""
        return self.grad_fn is None

    def _op_name(self):
        """The name of the op that made this tensor (None for a leaf)."""
        return None if self.grad_fn is None else type(self.grad_fn).__name__

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __iter__(self):
        """Iterate over the first axis (each item an op: ``t[i]``); a 0-d tensor raises, as in NumPy."""
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor; use t.item() for its number")
        return (self[i] for i in range(len(self.data)))

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self.data.item()

    def __float__(self):
        """``float(t)`` for a one-element tensor (``loss`` in a print or a list of floats)."""
        return float(self.item())

    def __format__(self, spec):
        """``f"{loss:.4f}"`` formats the number of a one-element tensor; no spec gives the repr."""
        if not spec:
            return str(self)
        if self.data.size != 1:
            raise TypeError(f"format spec {spec!r} needs a tensor with one element, got shape {self.shape}")
        return format(self.item(), spec)

    def __int__(self):
        """``int(t)`` for a one-element tensor (truncates, like ``int`` of a float)."""
        return int(self.item())

    def __index__(self):
        """A 0-d integer tensor where Python wants an index: ``x[i:j]``, ``range(n)`` (NumPy's rule)."""
        if self.data.ndim != 0 or self.data.dtype.kind not in "iu":
            raise TypeError(f"only a 0-d integer tensor can be an index, got shape {self.shape} and "
                            f"dtype {self.dtype}")
        return int(self.data)

    def numpy(self):
        """The data as a NumPy array (shared, not copied): read-only while a live graph saved it."""
        return self.data

    def __array__(self, dtype=None, copy=None):
        """``np.asarray(t)``: the data of a tensor outside the graph (no copy unless asked).

        NOTE: a tensor that requires grad raises, as in PyTorch. A NumPy
        function (``np.concatenate([a, b])``, ``np.asarray(t)``) would quietly
        cut it from the graph, and its parameters would get no gradient; say
        so on purpose with ``t.numpy()`` (shared data) or ``t.detach()``.

        Examples
        --------
        >>> import numpy as np
        >>> import minigrad as mg
        >>> np.asarray(mg.Tensor([1.0, 2.0]))
        array([1., 2.], dtype=float32)
        >>> np.asarray(mg.Tensor([1.0], requires_grad=True))
        Traceback (most recent call last):
        ...
        RuntimeError: NumPy cannot take a tensor that requires grad: the result would be cut from the graph; use minigrad's ops (t.sum(), mg.concatenate, ...) to keep the gradient, or t.numpy() or t.detach() for its numbers
        """
        if self.requires_grad:
            raise _cut_from_graph("NumPy")
        return np.array(self.data, dtype=dtype, copy=copy)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        """NumPy's ufuncs with a tensor operand: ``ndarray + t`` and ``np.exp(t)`` are minigrad's ops.

        An operator with a NumPy array or scalar on the left (``+ - * / ** @``)
        records the op and gives a Tensor, as ``t + ndarray`` does; a comparison
        gives a constant Tensor. On a tensor that requires grad, ``np.exp``,
        ``np.log``, ``np.sqrt``, ``np.tanh``, ``np.abs`` and ``np.negative``
        record the op of that name (``np.sign`` gives a constant): see
        :mod:`minigrad.numpy_functions`. Any other ufunc (``np.maximum``,
        ``out=``) works on the data and returns NumPy's result, as
        ``np.asarray`` would; a tensor that requires grad is refused there,
        naming the method that keeps the gradient. A tensor that does not
        require grad gives NumPy's result for every ufunc but the operators.

        Examples
        --------
        >>> import numpy as np
        >>> import minigrad as mg
        >>> np.array([1.0, 2.0]) * mg.Tensor([3.0, 4.0], requires_grad=True)
        Tensor([3., 8.], dtype=float64, op=Mul)
        >>> np.exp(mg.Tensor([0.0], requires_grad=True))
        Tensor([1.], op=Exp)
        >>> np.maximum(mg.Tensor([0.0], requires_grad=True), 1.0)
        Traceback (most recent call last):
        ...
        RuntimeError: np.maximum cannot take a tensor that requires grad: the result would be cut from the graph; use t.clamp(min=...) or t.relu() to keep the gradient, or give np.maximum t.numpy() for its numbers
        """
        if method == "__call__" and not kwargs:
            if ufunc in numpy_functions.UFUNCS and any(getattr(x, "requires_grad", False) for x in inputs):
                return numpy_functions.UFUNCS[ufunc](*inputs)  # np.exp(t) is t.exp()
            op = _OPERATOR_UFUNCS.get(ufunc)
            if op is not None:
                return getattr(ops, op).apply(*inputs)
            if ufunc in _COMPARISONS:
                return Tensor._wrap(ufunc(*map(_raw, inputs)))
        name = f"np.{ufunc.__name__}" + ("" if method == "__call__" else f".{method}")
        if any(isinstance(x, Tensor) for x in kwargs.get("out", ())):
            raise TypeError(f"{name}: out= cannot be a Tensor; use its .data array")
        if ufunc not in _NO_GRADIENT_UFUNCS and any(isinstance(x, Tensor) and x.requires_grad for x in inputs):
            method_name = _UFUNC_METHODS.get(ufunc) if method == "__call__" else None
            if method_name is None:
                raise _cut_from_graph(name)
            raise RuntimeError(f"{name} cannot take a tensor that requires grad: the result would be "
                               f"cut from the graph; use {method_name} to keep the gradient, or give "
                               f"{name} t.numpy() for its numbers")
        return getattr(ufunc, method)(*map(_raw, inputs), **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        """``np.sum(t)``, ``np.concatenate([a, b])``: NumPy functions see the data, as ``np.asarray``.

        NOTE: without this, NumPy hands ``np.sum(t)`` to ``t.sum(axis=None,
        out=None)`` and the user reads a baffling ``TypeError``
        about ``out``. A tensor that requires grad is refused by name (the
        result would be cut from the graph), except by the functions that
        read no values (``np.shape``, ``np.ndim``, ...) and those that have an
        op (``np.where``, ``np.broadcast_to``, ``np.expand_dims``,
        ``np.swapaxes``, ``np.moveaxis``, ``np.split``, ``np.squeeze``,
        ``np.transpose``, ``np.reshape``: :data:`minigrad.numpy_functions.FUNCTIONS`),
        which record it; ``out=`` a tensor is
        refused, as a write NumPy makes there would skip minigrad's in-place
        checks.

        Examples
        --------
        >>> import numpy as np
        >>> import minigrad as mg
        >>> float(np.sum(mg.Tensor([1.0, 2.0])))
        3.0
        >>> np.sum(mg.Tensor([1.0, 2.0], requires_grad=True))
        Traceback (most recent call last):
        ...
        RuntimeError: np.sum cannot take a tensor that requires grad: the result would be cut from the graph; use minigrad's ops (t.sum(), mg.concatenate, ...) to keep the gradient, or t.numpy() or t.detach() for its numbers
        """
        if isinstance(kwargs.get("out"), Tensor):
            raise TypeError(f"np.{func.__name__}: out= cannot be a Tensor; use its .data array")
        if func in numpy_functions.FUNCTIONS and any(getattr(x, "requires_grad", False) for x in args):
            return numpy_functions.FUNCTIONS[func](*args, **kwargs)  # np.where(c, t, 0) is mg.where
        who = None if func in _READS_NO_VALUES else f"np.{func.__name__}"  # np.shape(w) is harmless
        return func(*_to_arrays(args, who), **{k: _to_arrays(v, who) for k, v in kwargs.items()})

    def detach(self):
        """A new tensor sharing this data but cut from the graph (no grad); the data stays guarded.

        NOTE: its array is a view of this one (the same memory, another
        ndarray object), so that an op given both, as in ``x * x.detach()``,
        can tell the constant from the input when it differentiates twice.
        """
        return Tensor._wrap(self.data.view())

    def __deepcopy__(self, memo):
        """``copy.deepcopy(t)`` of a leaf: new data, a copy of ``.grad``, the same ``requires_grad``.

        NOTE: an intermediate result raises, as in PyTorch. Its copy would carry
        a copy of the whole graph down to copies of the leaves, so ``backward``
        through it would fill the copies' ``.grad`` and leave the user's
        parameters at ``None``.
        """
        if self.grad_fn is not None:
            raise RuntimeError(
                f"deepcopy of an intermediate result (made by {self._op_name()}) would copy "
                f"its graph and the leaves under it, and backward through the copy would reach only "
                f"the copies; deepcopy t.detach() for its values, or the leaves (parameters) themselves")
        cls = type(self)  # a Parameter stays a Parameter
        t = cls.__new__(cls)
        memo[id(self)] = t
        t.data = self.data.copy()
        t._grad = None if self._grad is None else self._grad.copy()
        t._requires_grad, t.grad_fn, t.retains_grad = self._requires_grad, None, False
        if hasattr(self, "__dict__"):  # a user's subclass without __slots__
            t.__dict__.update(copy.deepcopy(self.__dict__, memo))
        return t

    def __getstate__(self):
        """Pickling (and ``copy.copy``) of a leaf: its slots, and the ``__dict__`` of a subclass that has one.

        NOTE: an intermediate result raises, as ``__deepcopy__`` does. Its
        pickle would carry its whole graph down to copies of the leaves, so
        ``backward`` on the unpickled copy would fill the copies' ``.grad``
        and leave the user's parameters at ``None``.
        """
        if self.grad_fn is not None:
            raise RuntimeError(
                f"pickling an intermediate result (made by {self._op_name()}) would copy its graph "
                f"and the leaves under it, and backward through the copy would reach only the copies; "
                f"pickle t.detach() for its values, or the leaves (parameters) themselves")
        names = {name for cls in type(self).__mro__ for name in getattr(cls, "__slots__", ())}
        slots = {name: getattr(self, name) for name in sorted(names - {"__weakref__", "__dict__"})
                 if hasattr(self, name)}
        return getattr(self, "__dict__", None) or None, slots

    def __setstate__(self, state):
        """Unpickling: restore the slots (and a subclass's ``__dict__``); the data gets memory of its own.

        NOTE: NumPy may unpickle an array into the bytes of the pickle itself;
        such memory cannot be locked read-only and opened again, so
        :mod:`~minigrad.memory_guard` could not guard it for ``backward``.
        """
        extra, slots = state if isinstance(state, tuple) else (None, state)
        for name, value in {**(extra or {}), **slots}.items():
            setattr(self, name, value)
        if isinstance(self.data.base, bytes):
            self.data = self.data.copy()

    def zero_grad(self):
        """Forget the accumulated gradient (sets ``.grad`` to None)."""
        self._grad = None

    def retain_grad(self):
        """Keep ``.grad`` on this intermediate (non-leaf) tensor during backward."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad() on a tensor that does not require grad")
        if self.grad_fn is not None:  # leaves keep their gradient anyway
            self.retains_grad = True

    def __repr__(self):
        body = np.array2string(self.data, separator=", ", prefix="Tensor(")
        extra = f", shape={self.data.shape}" if self.data.size == 0 and self.data.ndim != 1 else ""
        if self.data.dtype != np.float32:
            extra += f", dtype={self.data.dtype}"
        if self.grad_fn is not None:
            extra += f", op={self._op_name()}"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"Tensor({body}{extra})"

    # ---- backward --------------------------------------------------------

    def backward(self, grad=None, retain_graph=False):
        """Fill ``.grad`` of every leaf this tensor depends on: dL/d(leaf) with L = self.

        Parameters
        ----------
        grad : array_like, optional
            dL/d(self), the upstream gradient; defaults to 1 when the tensor has
            one element, otherwise it is required.
        retain_graph : bool, default False
            Keep the graph's saved arrays so that ``backward`` may run through
            it again. By default they are released (and a second pass raises).

        Notes
        -----
        Gradients *accumulate* into ``.grad``: call ``zero_grad()`` between
        steps. Intermediate results keep their gradient only after
        ``retain_grad()``.
        """
        if not self.requires_grad:
            raise RuntimeError("backward() on a tensor that does not require grad "
                               "(was it computed under no_grad, or from constants only?)")
        if grad is None and self.data.size != 1:
            raise ValueError(f"backward() needs a grad argument for a tensor of shape "
                             f"{self.shape}; only one-element tensors default to 1")
        if grad is not None and np.iscomplexobj(getattr(grad, "data", grad)):  # the cast would drop the imaginary part
            raise TypeError(f"backward(): grad is complex; minigrad's tensors and gradients are real")
        grad = np.ones_like(self.data) if grad is None else np.array(getattr(grad, "data", grad), self.dtype)
        if grad.shape != self.shape:
            raise ValueError(f"backward(): grad has shape {grad.shape} but the tensor has shape {self.shape}")
        function.backward_pass(self, grad, retain_graph)

    # ---- operators (one line each: the ops live in ops.py) ---------------

    def __add__(self, other): return ops.Add.apply(self, other)
    def __radd__(self, other): return ops.Add.apply(other, self)
    def __sub__(self, other): return ops.Sub.apply(self, other)
    def __rsub__(self, other): return ops.Sub.apply(other, self)
    def __mul__(self, other): return ops.Mul.apply(self, other)
    def __rmul__(self, other): return ops.Mul.apply(other, self)
    def __truediv__(self, other): return ops.Div.apply(self, other)
    def __rtruediv__(self, other): return ops.Div.apply(other, self)
    def __pow__(self, other): return ops.Pow.apply(self, other)
    def __rpow__(self, other): return ops.Pow.apply(other, self)
    def __matmul__(self, other): return ops.MatMul.apply(self, other)
    def __rmatmul__(self, other): return ops.MatMul.apply(other, self)
    def __neg__(self): return ops.Neg.apply(self)
    def __pos__(self): return self
    def __getitem__(self, index):
        """``t[index]``: slices, integers, integer or boolean arrays, as in NumPy.

        dL/dx = g scattered into zeros of x's shape; a repeated index adds up its gradients.
        """
        return ops.GetItem.apply(self, index=_index(index))

    # ---- in-place operators: the hand-written update `w -= lr * w.grad` -----

    def __iadd__(self, other): return self._in_place(np.add, other, "+=")
    def __isub__(self, other): return self._in_place(np.subtract, other, "-=")
    def __imul__(self, other): return self._in_place(np.multiply, other, "*=")
    def __itruediv__(self, other): return self._in_place(np.true_divide, other, "/=")
    def __ipow__(self, other): return self._in_place(np.power, other, "**=")
    def __imatmul__(self, other): return self._in_place(np.matmul, other, "@=")

    def _in_place(self, ufunc, other, symbol):
        """``x op= y``: in place unless it must be recorded, then ``x = x op y``.

        Math::

            no graph involved:  x.data ← x.data op y   (the same array: a parameter moves)
            in the graph:       x ← x op y             (a new graph node; the name is rebound)

        In place under ``no_grad``, and in grad mode when neither side
        requires grad (a constant, as with NumPy arrays: every name for it
        sees the change). Recorded when ``x`` is an intermediate result, or
        ``y`` requires grad.

        NOTE: under grad mode, the rebinding would quietly cut a parameter's
        name off from the parameter (the model would keep the old one), so a
        leaf that requires grad raises instead, as in PyTorch. The write goes
        through :class:`~minigrad.memory_guard.modifying`: if a live graph
        saved this memory, its version moves and that graph's ``backward``
        raises instead of using the new values.
        """
        if _in_graph(self, other):
            if self.requires_grad and self.grad_fn is None:
                raise RuntimeError(
                    f"'{symbol}' on a leaf tensor that requires grad (a parameter) would be recorded "
                    f"as a new tensor and leave the parameter unchanged; update it by hand under "
                    f"`with mg.no_grad():`, or use an optimizer")
            if self.data.base is not None:  # a view: the tensor it views would not see the change
                raise RuntimeError(
                    f"'{symbol}' on a view of another tensor (h[:2], h.reshape(...), h.T) must be "
                    f"recorded, and minigrad records it as a new tensor: the tensor it views would "
                    f"stay unchanged (PyTorch writes through). Compute the whole new tensor instead: "
                    f"h = h + delta, or mg.where(mask, new, h)")
            return NotImplemented  # Python falls back to x = x op y
        try:
            with memory_guard.modifying(self.data):
                ufunc(self.data, _raw(other), out=self.data)
        except ValueError as e:
            raise ValueError(f"in-place '{symbol}' on a tensor of shape {self.shape} "
                             f"(the result must keep that shape and be writable): "
                             f"{e}") from None
        return self

    def __setitem__(self, index, value):
        """``t[index] = value``: write into the data, in place (under ``no_grad`` for a graph's tensors).

        Math::

            t.data[index] ← value          (not recorded: no gradient flows through it)

        NOTE: the write is never part of the graph, so it raises where it
        would quietly cut one: on a tensor that requires grad in grad mode
        (write under ``no_grad``, or build the values with ``where`` or
        ``concatenate``), and with a ``value`` that requires grad.

        Examples
        --------
        >>> import minigrad as mg
        >>> w = mg.Tensor([1.0, 2.0, 3.0], requires_grad=True)
        >>> with mg.no_grad():
        ...     w[0] = 5.0
        ...     w[1:] += 1.0
        >>> w
        Tensor([5., 3., 4.], requires_grad=True)
        """
        if _in_graph(self, value):
            what = ("item assignment into a tensor that requires grad" if self.requires_grad
                    else "assigning a value that requires grad into a tensor")
            raise RuntimeError(
                f"{what} would not be recorded in the graph; write under "
                f"`with mg.no_grad():`, or build the new values with mg.where or mg.concatenate")
        try:
            with memory_guard.modifying(self.data):
                self.data[_index(index)] = _raw(value)
        except ValueError as e:
            raise ValueError(f"item assignment into a tensor of shape {self.shape}: "
                             f"{e}") from None

    # ---- unary math, reductions and shape ops: each docstring gives the op's derivative
    # (g = dL/dy, the gradient arriving from above); forward and backward are in ops.py

    def exp(self):
        """y = e^x, elementwise.   dL/dx = g * y."""
        return ops.Exp.apply(self)

    def log(self):
        """y = log x (natural log), elementwise.   dL/dx = g * 1/x."""
        return ops.Log.apply(self)

    def sqrt(self):
        """y = sqrt(x), elementwise.   dL/dx = g / (2 y)."""
        return ops.Sqrt.apply(self)

    def tanh(self):
        """y = tanh(x), elementwise.   dL/dx = g * (1 - tanh(x)²) = g * (1 - y²)."""
        return ops.Tanh.apply(self)

    def sigmoid(self):
        """y = σ(x) = 1 / (1 + e^(-x)), elementwise.   dL/dx = g * y * (1 - y)."""
        return ops.Sigmoid.apply(self)

    def relu(self):
        """y = max(x, 0), elementwise.   dL/dx = g * [x > 0]   (0 at x = 0, as in PyTorch)."""
        if self.dtype == bool:  # NumPy's max(True, 0) would give integers: refused, as in PyTorch
            raise TypeError("relu: a bool tensor is not supported; convert it with .astype(np.float32) first")
        return ops.ReLU.apply(self)

    def abs(self):
        """y = |x|, elementwise; also ``abs(t)``.   dL/dx = g * sign(x)   (0 at x = 0)."""
        return ops.Abs.apply(self)

    def __abs__(self): return ops.Abs.apply(self)

    def sum(self, axis=None, keepdims=False):
        """y = Σ x over ``axis`` (an int, a tuple, or None for all axes).

        ``keepdims=True`` keeps each reduced axis with size 1. ``axis=()``
        reduces no axis, as in NumPy (PyTorch's ``dim=()`` reduces all); the
        same holds for ``mean``, ``max`` and ``min``.
        dL/dx = g, broadcast back to x's shape (every element counts once).
        """
        return ops.Sum.apply(self, axis=_axis_arg(axis), keepdims=keepdims)

    def mean(self, axis=None, keepdims=False):
        """y = (1/n) Σ x over ``axis``, n the number of elements reduced.   dL/dx = g / n, broadcast back."""
        return ops.Mean.apply(self, axis=_axis_arg(axis), keepdims=keepdims)

    def max(self, axis=None, keepdims=False):
        """y = the largest x over ``axis``.   dL/dx = g * [x = y] / (number of ties).

        Ties share the gradient evenly, as PyTorch's ``amax`` does; where the
        maximum is NaN, the NaN elements share it. On an integer or bool tensor
        (never differentiated) the result is a constant.
        """
        if self.data.dtype.kind != "f":
            return Tensor._wrap(np.max(self.data, axis=_axis_arg(axis), keepdims=keepdims))
        return ops.Max.apply(self, axis=_axis_arg(axis), keepdims=keepdims)

    def min(self, axis=None, keepdims=False):
        """y = the smallest x over ``axis``, as min x = −max(−x).   dL/dx = g * [x = y] / (number of ties).

        Built from ``max`` by that identity (two negations join the graph), so
        ties share the gradient evenly, as PyTorch's ``amin`` does. On an
        integer or bool tensor the result is NumPy's min, a constant (negating
        an unsigned or the most negative integer would wrap around).
        """
        if self.data.dtype.kind != "f":
            return Tensor._wrap(np.min(self.data, axis=_axis_arg(axis), keepdims=keepdims))
        axes = ops._axes(self.data.shape, _axis_arg(axis))  # a bad axis is refused as min's, not Max's
        if self.data.size == 0 and (axes is None or any(self.data.shape[a] == 0 for a in axes)):
            raise ValueError(f"min over an axis of length 0 (shape {self.shape}, axis {axis}) has no value")
        return -((-self).max(axis=axis, keepdims=keepdims))

    def clamp(self, min=None, max=None):
        """y = x limited to [min, max], elementwise; either bound may be None.   dL/dx = g * [min ≤ x ≤ max].

        An x exactly at a bound passes its gradient on, as in PyTorch.

        Examples
        --------
        >>> import minigrad as mg
        >>> x = mg.Tensor([-1.0, 0.5, 3.0], requires_grad=True)
        >>> x.clamp(0, 1)
        Tensor([0. , 0.5, 1. ], op=Clamp)
        >>> x.clamp(max=1).sum().backward()
        >>> x.grad
        array([1., 1., 0.], dtype=float32)
        """
        for name, bound in (("min", min), ("max", max)):
            if bound is not None and not isinstance(bound, numbers.Real):
                raise TypeError(f"clamp: {name} must be a number or None, got {type(bound).__name__}")
            if bound is not None and bound != bound:
                raise ValueError(f"clamp: {name} is NaN")
        if min is None and max is None:
            raise ValueError("clamp: give min, max or both")
        if min is not None and max is not None and min > max:
            raise ValueError(f"clamp: min {min} is greater than max {max}")
        return ops.Clamp.apply(self, lo=_as_bound(min), hi=_as_bound(max))

    def softmax(self, axis=-1):
        """y = e^x / Σ e^x along ``axis`` (max subtracted first: no overflow).   dL/dx = y * (g - Σ g*y)."""
        return ops.Softmax.apply(self, axis=axis)

    def log_softmax(self, axis=-1):
        """y = x - log Σ e^x along ``axis`` (computed stably).   dL/dx = g - softmax(x) * Σ g."""
        return ops.LogSoftmax.apply(self, axis=axis)

    def reshape(self, *shape):
        """The same elements in a new shape: ``t.reshape(2, 3)`` or ``t.reshape((2, 3))``; one -1 is inferred.

        dL/dx = g reshaped back to x's shape.
        """
        return ops.Reshape.apply(self, shape=_shape_arg(shape, "reshape", minus_one=True))

    def transpose(self, *axes):
        """The axes permuted: reversed when none are given, else ``t.transpose(1, 0, 2)``.

        dL/dx = g with the inverse permutation.
        """
        return ops.Transpose.apply(self, axes=_axes_arg(axes, self.ndim))

    def flatten(self, start_dim=0, end_dim=-1):
        """The axes ``start_dim`` to ``end_dim`` (both included) merged into one; all of them by default.

        ``t.flatten(1)`` turns a batch (N, C, H, W) into rows (N, C·H·W); a 0-d
        tensor becomes shape (1,), as in PyTorch. dL/dx = g reshaped back to x's shape.
        """
        shape = self.data.shape
        if not shape:
            return ops.Reshape.apply(self, shape=(1,))
        start, end = (_dim_arg(d, len(shape), "flatten") for d in (start_dim, end_dim))
        if start > end:
            raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} "
                             f"for a tensor of shape {shape}")
        merged = shape[:start] + (int(np.prod(shape[start:end + 1])),) + shape[end + 1:]
        return ops.Reshape.apply(self, shape=merged)

    def unsqueeze(self, dim):
        """A new axis of size 1 at position ``dim`` (-1 appends it).   dL/dx = g reshaped back to x's shape."""
        shape = self.data.shape
        dim = _dim_arg(dim, len(shape) + 1, "unsqueeze")
        return ops.Reshape.apply(self, shape=shape[:dim] + (1,) + shape[dim:])

    @property
    def T(self):
        """The tensor with its axes reversed (differentiable)."""
        return ops.Transpose.apply(self, axes=tuple(range(self.data.ndim - 1, -1, -1)))

    # ---- comparisons: elementwise, not differentiable --------------------

    def __eq__(self, other): return Tensor._wrap(self.data == _raw(other))
    def __ne__(self, other): return Tensor._wrap(self.data != _raw(other))
    def __lt__(self, other): return Tensor._wrap(self.data < _raw(other))
    def __le__(self, other): return Tensor._wrap(self.data <= _raw(other))
    def __gt__(self, other): return Tensor._wrap(self.data > _raw(other))
    def __ge__(self, other): return Tensor._wrap(self.data >= _raw(other))

    def __bool__(self):
        if self.data.size != 1:
            raise ValueError(f"the truth value of a tensor of shape {self.shape} is ambiguous")
        return bool(self.data)

    def argmax(self, axis=None):
        """Indices of the maxima (an int64 tensor, not differentiable)."""
        return Tensor._wrap(np.argmax(self.data, axis=axis))

    def argmin(self, axis=None):
        """Indices of the minima (an int64 tensor, not differentiable)."""
        return Tensor._wrap(np.argmin(self.data, axis=axis))

    def astype(self, dtype):
        """A new tensor with the values converted to ``dtype``, as NumPy's ``astype``.

        To another float dtype the conversion is an op: dL/dx = g converted
        back to x's dtype, so ``x.astype(np.float64)`` lifts a float32 graph
        to float64 and the gradient arrives in float32. To an integer or bool
        dtype the result is a constant, cut from the graph (its gradient would
        be zero almost everywhere), as PyTorch's ``x.to(torch.int64)``.

        Examples
        --------
        >>> import numpy as np
        >>> import minigrad as mg
        >>> x = mg.Tensor([1.5, -2.0], requires_grad=True)
        >>> y = x.astype(np.float64)
        >>> (y * y).sum().backward()
        >>> y.dtype, x.grad, x.grad.dtype
        (dtype('float64'), array([ 3., -4.], dtype=float32), dtype('float32'))
        >>> x.astype(np.int64)
        Tensor([ 1, -2], dtype=int64)
        """
        try:
            dtype = np.dtype(dtype)
        except TypeError as e:
            raise TypeError(f"astype: {dtype!r} is not a NumPy dtype ({e})") from None
        if dtype.kind == "f":
            return ops.Cast.apply(self, dtype=dtype)
        if dtype.kind not in "biu":
            raise TypeError(f"astype: a tensor holds numbers (float, int, bool), not {dtype}")
        return Tensor._wrap(self.data.astype(dtype))

    def tolist(self):
        """The values as (nested) Python lists of numbers; a 0-d tensor gives one number."""
        return self.data.tolist()

    @staticmethod
    def _wrap(array):
        t = Tensor.__new__(Tensor)
        t.data, t._grad, t._requires_grad, t.grad_fn, t.retains_grad = np.asarray(array), None, False, None, False
        if t.data.base is not None:  # a view of another array's memory (x.reshape, x.T, x[0]):
            memory_guard.note_view(t.data)  # read-only with it while a graph holds it
        return t


_READS_NO_VALUES = {np.shape, np.ndim, np.size, np.result_type,
                    np.zeros_like, np.ones_like, np.empty_like, np.full_like}
# ufuncs whose result (bools) has no gradient to lose: computed for a tensor that requires grad too
_NO_GRADIENT_UFUNCS = {np.isnan, np.isfinite, np.isinf, np.signbit}

# NumPy's ufunc for an operator -> the name of the op (in ops.py) it records when a NumPy
# array or scalar is on the operator's left
_OPERATOR_UFUNCS = {np.add: "Add", np.subtract: "Sub", np.multiply: "Mul", np.true_divide: "Div",
                    np.power: "Pow", np.matmul: "MatMul"}
_COMPARISONS = {np.equal, np.not_equal, np.less, np.less_equal, np.greater, np.greater_equal}
# a ufunc -> the differentiable way to say it, for the message that refuses it
_UFUNC_METHODS = {np.exp: "t.exp()", np.log: "t.log()", np.sqrt: "t.sqrt()", np.tanh: "t.tanh()",
                  np.absolute: "t.abs()", np.negative: "-t", np.square: "t ** 2",
                  np.maximum: "t.clamp(min=...) or t.relu()", np.minimum: "t.clamp(max=...)"}


def _cut_from_graph(who):
    return RuntimeError(f"{who} cannot take a tensor that requires grad: the result would be cut from "
                        f"the graph; use minigrad's ops (t.sum(), mg.concatenate, ...) to keep the "
                        f"gradient, or t.numpy() or t.detach() for its numbers")


def _to_arrays(x, who):
    """``x`` with every Tensor inside (lists and tuples too) replaced by its data.

    A tensor that requires grad raises, naming ``who`` (the NumPy function),
    unless ``who`` is None: the caller reads no values.
    """
    if isinstance(x, Tensor):
        if x.requires_grad and who is not None:
            raise _cut_from_graph(who)
        return x.data
    if type(x) is list or type(x) is tuple:
        return type(x)(_to_arrays(a, who) for a in x)
    return x


def _in_graph(x, y):
    """Whether ``x op= y`` or ``x[i] = y`` touches the graph: grad mode, and either side requires grad."""
    return GradMode.enabled and (x.requires_grad or getattr(y, "requires_grad", False))


def _raw(x):
    """The other operand of a comparison, ``op=`` or item assignment: a Tensor's data, a NumPy
    scalar as the Python number it holds (so it does not promote the tensor's dtype).

    NOTE: a 0-d array too: NumPy hands ``np.float64(0.1) == t`` to ``__array_ufunc__``
    with the scalar made a 0-d array, which compared in float64 where ``t ==
    np.float64(0.1)`` compares in float32 (``t`` float32 [0.1]: False one way, True
    the other). Both compare in the tensor's dtype, as in PyTorch.
    """
    if isinstance(x, Tensor):
        return x.data
    if isinstance(x, np.ndarray) and x.ndim == 0 and x.dtype.kind in "biuf":
        return as_operand(x[()])
    return as_operand(x) if isinstance(x, np.generic) else x


def _index(index):
    """Tensors inside an index become their arrays; lists become integer arrays."""
    if isinstance(index, Tensor):
        if index.dtype.kind in "fc":
            raise IndexError(
                f"a tensor used as an index needs an integer or bool dtype, got {index.dtype} (a "
                f"Python list becomes float32): mg.Tensor(positions, dtype=np.int64), or "
                f"mg.Tensor(mask, dtype=bool) to pick where a mask is True")
        return index.data
    if isinstance(index, list):
        a = np.asarray(index)
        return a.astype(np.intp) if a.size == 0 else a  # [] picks nothing (NumPy makes it float)
    if isinstance(index, tuple):
        return tuple(_index(i) for i in index)
    return index


def _axis_arg(axis):
    """A reduction's ``axis``: None, an int or a tuple of ints; a list is taken as a tuple."""
    return tuple(axis) if isinstance(axis, list) else axis


def _dim_arg(dim, ndim, who):
    """``dim`` as an index in range(ndim), negative counting from the end; ValueError otherwise."""
    if not isinstance(dim, numbers.Integral) or isinstance(dim, bool):
        raise TypeError(f"{who}: a dimension must be an int, got {type(dim).__name__}")
    if not -ndim <= dim < ndim:
        raise ValueError(f"{who}: dimension {dim} is out of range for {ndim} axes "
                         f"(expected {-ndim} to {ndim - 1})")
    return int(dim) % ndim


def _as_bound(b):
    """A clamp bound as NumPy sees it: a Python number, which keeps the tensor's dtype."""
    return b.item() if isinstance(b, np.generic) else b


def _axes_arg(axes, ndim):
    """``transpose``'s axes, NumPy's meaning: the new order of all axes (none: reversed).

    NOTE: PyTorch's ``transpose(d0, d1)`` swaps two axes instead. Its calls
    either fail here (two axes of a 3-D tensor; the message shows the swap)
    or, on a 2-D tensor, ``transpose(0, 1)`` is NumPy's identity: that warns.
    Given all three or more axes in order, the identity is plainly meant.
    """
    if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
        axes = tuple(axes[0])
    if not axes:
        return tuple(range(ndim - 1, -1, -1))
    if sorted(a % ndim if -ndim <= a < ndim else a for a in axes) != list(range(ndim)):
        hint = ""
        if len(axes) == 2 and ndim > 2 and all(-ndim <= a < ndim for a in axes):
            order = list(range(ndim))
            i, j = (a % ndim for a in axes)
            order[i], order[j] = order[j], order[i]
            hint = (f"; as in NumPy, give the new order of all the axes: PyTorch's "
                    f"transpose{tuple(axes)} is transpose{tuple(order)} here")
        raise ValueError(f"transpose: axes {axes} are not a permutation of {ndim} axes{hint}")
    given, axes = tuple(axes), tuple(a % ndim for a in axes)
    if axes == (0, 1):
        warnings.warn(
            f"transpose{given} of a 2-D tensor leaves both axes where they are: as in NumPy, the "
            f"arguments are the new order of the axes; to swap them as PyTorch's transpose{given} "
            f"does, write transpose(1, 0) or .T", UserWarning, stacklevel=3)
    return axes


def _creation(data, requires_grad):
    if data.dtype.kind not in "biuf":  # as Tensor(...) refuses them
        raise TypeError(f"a tensor's dtype must be numeric (bool, int or float), got {data.dtype}")
    return Tensor._wrap(data).requires_grad_(requires_grad)


def zeros(*shape, dtype=np.float32, requires_grad=False):
    """A tensor of zeros; ``zeros(2, 3)`` and ``zeros((2, 3))`` alike.

    Examples
    --------
    >>> import minigrad as mg
    >>> mg.zeros(2, 3).shape
    (2, 3)
    """
    return _creation(np.zeros(_shape_arg(shape, "zeros"), dtype=dtype), requires_grad)


def ones(*shape, dtype=np.float32, requires_grad=False):
    """A tensor of ones; ``ones(2, 3)`` and ``ones((2, 3))`` alike.

    Examples
    --------
    >>> import minigrad as mg
    >>> mg.ones(3).data
    array([1., 1., 1.], dtype=float32)
    """
    return _creation(np.ones(_shape_arg(shape, "ones"), dtype=dtype), requires_grad)


def randn(*shape, rng=None, dtype=np.float32, requires_grad=False):
    """Standard normal samples; ``rng`` is None, an int seed or a ``numpy.random.Generator``.

    Examples
    --------
    >>> import minigrad as mg
    >>> bool((mg.randn(3, rng=0).data == mg.randn((3,), rng=0).data).all())
    True
    """
    if np.dtype(dtype).kind != "f":  # normal samples cast to int or bool are 0s and 1s, not samples
        raise TypeError(f"randn draws real numbers: dtype must be a float type, got {np.dtype(dtype)}")
    gen = as_generator(rng)
    data = gen.standard_normal(_shape_arg(shape, "randn")).astype(dtype, copy=False)
    return _creation(data, requires_grad)


def arange(start, stop=None, step=1, dtype=np.float32, requires_grad=False):
    """Evenly spaced values in ``[start, stop)``, float32 unless ``dtype`` says otherwise.

    Examples
    --------
    >>> import minigrad as mg
    >>> mg.arange(3).data
    array([0., 1., 2.], dtype=float32)
    """
    data = np.arange(start, stop, step, dtype=dtype) if stop is not None \
        else np.arange(start, step=step, dtype=dtype)
    return _creation(data, requires_grad)


def concatenate(tensors, axis=0):
    """Join tensors along an existing axis; each input's gradient is its slice of g.

    Examples
    --------
    >>> import minigrad as mg
    >>> mg.concatenate([mg.ones(2), mg.zeros(1)]).data
    array([1., 1., 0.], dtype=float32)
    """
    if axis is None:  # as NumPy: flattened first
        tensors, axis = [t.reshape(-1) if isinstance(t, Tensor) else np.ravel(t) for t in tensors], 0
    return ops.Concatenate.apply(*tensors, axis=axis)


def stack(tensors, axis=0):
    """Join same-shaped tensors along a new axis; each input's gradient is its slice of g.

    Examples
    --------
    >>> import minigrad as mg
    >>> mg.stack([mg.ones(2), mg.zeros(2)]).shape
    (2, 2)
    """
    return ops.Stack.apply(*tensors, axis=axis)


def where(condition, x, y):
    """Elementwise ``x`` where ``condition`` else ``y``; the gradient goes to the chosen side.

    Examples
    --------
    >>> import minigrad as mg
    >>> c = mg.Tensor(np.array([True, False]))
    >>> mg.where(c, mg.ones(2), mg.zeros(2)).data
    array([1., 0.], dtype=float32)
    >>> mg.where(c, 1.0, 0.0).dtype          # Python floats give float32, as in mg.Tensor(1.0)
    dtype('float32')
    """
    cond = condition.data if isinstance(condition, Tensor) else np.asarray(condition)
    if isinstance(x, numbers.Number) and isinstance(y, numbers.Number) and (
            isinstance(x, float) or isinstance(y, float)):
        x = np.asarray(x, dtype=np.float32)  # Python numbers make float32, as in Tensor(1.0)
    return ops.Where.apply(x, y, condition=cond.astype(bool, copy=False))


def _check_numpy_version(version):
    """Raise ``ImportError`` unless ``version`` (a NumPy version string) is 2.0 or later.

    NOTE: minigrad relies on NumPy 2's promotion rules (NEP 50): a Python
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


def as_operand(x):
    """A non-Tensor operand of an op as NumPy should see it: a Python number, an array or None.

    Python numbers pass unchanged: NumPy 2 treats them as "weak" (NEP 50), so
    ``float32_array * 0.9`` stays float32. A NumPy scalar would promote a
    float32 graph to float64 (``x / X.std()``, ``t * np.sqrt(2)``), so it
    becomes the Python number it holds, keeping the tensor's dtype as in
    PyTorch. Lists become float32 arrays, as in ``Tensor``.
    """
    if type(x) is float or type(x) is int or isinstance(x, np.ndarray) or x is None:
        return x
    if isinstance(x, np.generic) and x.dtype.kind in "biuf":
        return x.item()
    if isinstance(x, (int, float)):  # bool, or a subclass of a number
        return x
    if isinstance(x, (list, tuple)):
        return np.asarray(x, dtype=np.float32)
    raise TypeError(f"expected a Tensor, array or number, got {type(x).__name__}")


# Bottom imports: ops.py and function.py build on Tensor, so they load after it is defined.
from . import function, memory_guard, ops  # noqa: E402
from . import numpy_functions  # noqa: E402
from .grad_mode import GradMode  # noqa: E402
from ._rng import as_generator  # noqa: E402

