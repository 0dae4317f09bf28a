"""How an op joins the graph: the :class:`Function` base, the :class:`Tape`, :func:`unbroadcast`.

An op is a subclass of :class:`Function` with two methods that see only NumPy
arrays::

    class Mul(Function):
        def forward(self, x, y):      # compute the result, keep what backward needs
            self.x, self.y = x, y
            return x * y
        def backward(self, g):        # g = dL/d(result); return dL/d(each input)
            return g * self.y, g * self.x

``Mul.apply(a, b)`` runs ``forward`` on the inputs' arrays and, when grad mode
is on and an input requires grad, appends a record of the op to a
:class:`Tape`: the instance is the context (``ctx`` in PyTorch), and the tape
keeps what ``forward`` saved on it, with links to the inputs that need a
gradient (``None`` for the others). ``Tensor.backward`` later reads the tape
backwards, rebuilds each op around what it saved, calls ``node.backward(g)``
and passes each returned array to :func:`unbroadcast`, so no op has to undo
NumPy broadcasting itself.
"""

import math
import re
from types import MethodType

import numpy as np

from .grad_mode import GradMode, open_blocks

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
_new = object.__new__  # an instance without __init__: an op (ops have none), or a result Tensor


def _shape(x):
    return getattr(x, "shape", ())


class Tape:
    """The record of one computation: its ops in the order they ran (a Wengert list).

    Record ``i`` of a tape is spread over its columns:

    - ``ops[i]``: the op's class (a :class:`Function` subclass);
    - ``inputs[i]``: one entry per input of the op: the ``int`` number of the
      record that made it, the input ``Tensor`` itself when it is a leaf that
      requires grad, or ``None`` (a constant, or a tensor without grad);
    - ``saved[i]``: the attributes that ``forward`` set on the op (``self.x``
      ...), as a dict; ``None`` once a backward pass released them;
    - ``outputs[i]``: the op's result (its array);
    - ``made_at[i]``: the count of in-place tensor changes when it was made
      (``oldest`` is at most the smallest of them: the clock when the tape began).

    A Tensor made by an op knows its tape and its record number. The tape is
    in topological order by construction: an op runs after the ops that made
    its inputs, so ``backward`` simply reads the records from the result's
    number down to 0; no graph search is needed.

    NOTE: why columns of plain data, and not one op object per node linked to
    its inputs (as micrograd and earlier minigrad did)? Such objects are
    tracked by CPython's cyclic garbage collector, and a deep graph keeps
    tens of thousands of them alive: every full collection then re-scans them
    all, which made each op 2x slower at a depth of 30,000 (``bench/bench_ops.py``).
    Dicts of arrays, numbers and tuples of ints are not tracked, so a graph
    costs the collector nothing, whatever its depth. The op object is only
    rebuilt around its saved dict when ``backward`` reaches it.

    Two computations that started apart (``f(w) + g(w)``) have two tapes;
    the first op that uses both moves the shorter tape's records onto the
    longer one (``absorb``), and tensors of the moved tape find their new
    record through ``into`` and ``offset``.
    """

    __slots__ = ("ops", "inputs", "saved", "outputs", "made_at", "oldest", "retained", "into", "offset")

    def __init__(self):
        self.ops, self.inputs, self.saved, self.outputs, self.made_at = [], [], [], [], []
        self.retained = {}  # record number -> weak reference to a tensor that called retain_grad()
        self.into, self.offset = None, 0  # set when another tape absorbed this one
        self.oldest = change_clock.now  # no record is older: made_at[i] >= oldest for all i

    def __len__(self):
        return len(self.ops)

    def __repr__(self):
        return f"<Tape of {len(self.ops)} records>"

    def released(self, i):
        """The error for a pass through record ``i`` after a backward pass released it."""
        return RuntimeError(
            f"backward through the graph a second time: the {self.ops[i].__name__} node was "
            "released by an earlier backward(); call backward(retain_graph=True) the first "
            "time if you need to go through the graph again")

    def node(self, i):
        """Record ``i``'s op object, rebuilt around its saved attributes, with ``parents`` set."""
        saved = self.saved[i]
        if saved is None:
            raise self.released(i)
        fn = object.__new__(self.ops[i])
        fn.__dict__ = dict(saved)  # a copy: the tape's dict stays as forward left it
        fn.parents = self.inputs[i]
        return fn

    def absorb(self, other):
        """Move the records of ``other`` (another tape) to the end of this one."""
        k = len(self.ops)
        self.ops += other.ops
        self.inputs += [tuple(j + k if type(j) is int else j for j in links) for links in other.inputs]
        self.saved += other.saved
        self.outputs += other.outputs
        self.made_at += other.made_at
        self.oldest = min(self.oldest, other.oldest)
        self.retained.update({j + k: ref for j, ref in other.retained.items()})
        other.into, other.offset = self, k
        other.ops = other.inputs = other.saved = other.outputs = other.made_at = ()
        other.retained = {}


def locate(t):
    """``(tape, record number)`` of the op that made tensor ``t``, following absorbed tapes.

    ``(None, None)`` for a leaf.
    """
    tape = t._tape
    if tape is None:
        return None, None
    if tape.into is not None:
        i = t._index
        while tape.into is not None:
            i += tape.offset
            tape = tape.into
        t._tape, t._index = tape, i  # remember the way: the next look-up is direct
    return tape, t._index


def _merge_tapes(inputs):
    """Move the records of every tape under ``inputs`` onto the longest of them."""
    tapes = []
    for x in inputs:
        if isinstance(x, Tensor) and x.requires_grad and x._tape is not None:
            tape = locate(x)[0]
            if all(tape is not t for t in tapes):
                tapes.append(tape)
    tapes.sort(key=len, reverse=True)
    for other in tapes[1:]:
        tapes[0].absorb(other)


class Function:
    """Base class of every differentiable op; an instance is the op's context.

    Subclasses define ``forward(self, *arrays, **params)`` returning an array,
    and ``backward(self, g)`` returning one gradient per array input (a single
    array for a one-input op, else a tuple; ``None`` for an input that gets no
    gradient). Attributes set in ``forward`` are the saved context: the tape
    keeps them (as the instance's dict) until ``backward`` reads them, then
    releases them unless ``retain_graph=True``.

    Attributes
    ----------
    parents : tuple
        Set when ``backward`` runs: one entry per input, ``None`` for every
        input that needs no gradient (constants, integer indices, non-Tensor
        operands), so ``backward`` can skip work for those.
    """

    parents = ()
    saves_output = False  # True for ops whose backward reads their own result as self.y

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "apply" not in cls.__dict__:
            # NOTE: a classmethod makes a new bound method at every ``Mul.apply`` look-up
            # (once per op: 1-2% of a small op's time); each op class keeps one, made here,
            # which a look-up returns as it is. ``Mul.apply(a, b)`` works as before; but an
            # apply assigned to Function later reaches only the classes defined after it.
            cls.apply = MethodType(_apply, cls)
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
        fn = _new(cls)
        arrays = None
        x = inputs[0] if inputs else None
        tape = x._tape if type(x) is Tensor else None
        # NOTE: a fast lane for x.op() and x op y, where x is an op's result on a live tape
        # and y a number or another result on it (deep chains are made of these): the same
        # arrays and links as the loop below, without its lists (about 0.2 µs less per op).
        if tape is not None and tape.into is None and len(inputs) <= 2:
            if len(inputs) == 1:
                arrays, links = (x.data,), (x._index,)
            else:
                y = inputs[1]
                if type(y) is float or type(y) is int:  # a number: an array of x's dtype
                    a = x.data
                    cache = _SCALARS.get(a.dtype)  # _scalar_array's cache, read here (a call costs 0.1 µs)
                    c = cache.get(y) if cache is not None and y else None  # ±0 take the call: see there
                    if c is None:
                        c = _scalar_array(y, a.dtype)
                    arrays, links = (a, c), (x._index, None)
                elif type(y) is Tensor and y._tape is tape:
                    arrays, links = (x.data, y.data), (x._index, y._index)
        if arrays is None:
            arrays, links = [], []  # each input's array, and what its record keeps of it
            tape, needs_grad, scalars = None, False, False
            for x in inputs:
                if isinstance(x, Tensor):
                    arrays.append(x.data)
                    if not x.requires_grad:
                        links.append(None)
                        continue
                    needs_grad = True
                    t = x._tape
                    if t is None:  # a leaf: backward accumulates into its .grad
                        links.append(x)
                        continue
                    if t.into is not None:  # its tape was absorbed into another
                        t = locate(x)[0]
                    if tape is not None and t is not tape:  # two computations meet: one tape
                        _merge_tapes(inputs)
                        return cls.apply(*inputs, **params)
                    tape = t
                    links.append(x._index)  # the record that made x
                else:  # a constant: never differentiated
                    a = x if type(x) is float or type(x) is int else _as_operand(x)
                    scalars = scalars or type(a) is float or type(a) is int
                    arrays.append(a)
                    links.append(None)
            if scalars:  # Python numbers become arrays of the first array's dtype
                like = next((a for a in arrays if type(a) is np.ndarray), None)
                if like is not None:
                    arrays = [_scalar_array(a, like.dtype) if type(a) is float or type(a) is int
                              else a for a in arrays]
            links = tuple(links) if needs_grad else None  # None: nothing to record
        try:
            data = fn.forward(*arrays, **params) if params else fn.forward(*arrays)
        except ValueError as e:
            shapes = " and ".join("None" if a is None else str(_shape(a)) for a in arrays)
            raise ValueError(f"{cls.__name__}: {e} (input shapes {shapes})") from None
        if type(data) is not np.ndarray:  # a NumPy scalar: ufuncs return one for 0-d input
            data = np.asarray(data)
            if fn.saves_output:
                fn.y = data  # the saved output must be the tensor's own array (made read-only below)
        out = _new(Tensor)
        out.data = data
        out._grad = None
        if links is not None and (not open_blocks.count or GradMode.enabled):
            if tape is None:  # only leaves and constants in: a new computation starts
                tape = Tape()
            out._tape = tape
            out._index = len(tape.ops)
            tape.ops.append(cls)  # the record: one entry in each column of the tape
            tape.inputs.append(links)
            tape.saved.append(fn.__dict__)  # the op's attributes, not the op: see Tape
            tape.outputs.append(data)
            tape.made_at.append(change_clock.now)
            out.requires_grad = True
            if fn.saves_output:  # writing into y would silently corrupt backward
                data.setflags(False)  # write=False (NumPy parses a keyword in 80 ns, half the call)
        else:
            out.requires_grad = False
            out._tape = None
        if open_blocks.count and GradMode.anomaly:
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

    def __repr__(self):
        return f"<{type(self).__name__} node>"


# float dtype -> {Python number: read-only 0-d array of that dtype}; see _scalar_array
_SCALARS = {np.dtype(t): {} for t in (np.float16, np.float32, np.float64)}


def _scalar_array(x, dtype):
    """The Python number ``x`` as a read-only 0-d array of the float ``dtype`` (else ``x`` itself).

    NOTE: the numbers are the same either way: NumPy 2 casts a Python number
    to the array's dtype before it computes (NEP 50), and so does this. But
    NumPy takes twice as long for ``float32_array * 0.9`` as for the same
    product with a 0-d float32 array (0.6 µs against 0.3 on 16 floats), in
    forward and again in backward (``g * 0.9``). The arrays are cached (the
    same few constants recur: 0.5, 2, 1e-8): reused, they are read-only.
    Zero is kept under a key of its sign, as 0.0 and -0.0 are equal keys of
    a dict but different factors.
    """
    cache = _SCALARS.get(dtype)
    if cache is None:  # an integer or bool tensor: NumPy's own rules apply
        return x
    key = x if x != 0 else ("-0" if math.copysign(1.0, x) < 0 else "+0")  # 0.0 and -0.0 apart
    a = cache.get(key)
    if a is None:
        try:
            a = np.array(x, dtype=dtype)
        except OverflowError:  # an int too large for the dtype: let NumPy say so
            return x
        a.setflags(write=False)
        if len(cache) < 1024:
            cache[key] = a
    return a


def _as_operand(x):
    """A non-Tensor input as NumPy sees it: numbers become Python numbers, the rest arrays.

    (``apply`` then turns the numbers into 0-d arrays of a tensor input's dtype.)

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


_apply = Function.__dict__["apply"].__func__  # the plain function under the classmethod

from .tensor import Tensor  # noqa: E402  (tensor.py imports this module first)
