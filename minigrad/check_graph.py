"""Find the first wrong ``backward`` in a graph: every node checked against its own forward.

:func:`~minigrad.gradcheck` says *that* a function's gradient is wrong.
:func:`check_graph` says *where*: it takes the graph behind a result and
checks each node on its own, in the order ``backward`` visits them, so the
first node it names is the first one whose mistake ``backward`` would have
passed on to every node after it.

Checking one node needs its op's forward run again, at perturbed inputs, with
everything else it was given: its constant inputs (the ``2`` of ``x * 2``,
the data of the first layer, the labels of a loss) and its keyword
parameters (an axis, a shape, an index). The graph keeps neither: a node
holds only the inputs that need a gradient (``None`` for a constant) and
what its forward chose to save, which its backward releases. Hence two ways
to get a node's call:

- **recorded**: a graph built inside ``with minigrad.record_calls():`` has
  every op's call kept (a copy of each input array, the keyword parameters),
  so every node can be checked at exactly the values it saw;
- **rebuilt from the graph**: otherwise a node whose inputs are all Tensors
  is called again on their ``.data`` without keyword parameters, and it
  counts as rebuilt only if that reproduces its result. The others are
  skipped, and a warning names them.
"""

import math
import numbers
import threading
import warnings
import weakref

import numpy as np

from .function import Function, toposort, unbroadcast
from .gradcheck import GradcheckError
from .tensor import Tensor, as_operand

__all__ = ["check_graph", "record_calls", "GraphCheckError"]

# id(result Tensor) -> (a weak reference to it, its node, the arrays and numbers the op was given,
# its keyword parameters). An entry goes when its result does, so a dropped graph costs nothing.
# NOTE: keyed by id, not a WeakKeyDictionary: that compares keys with ==, elementwise for Tensors.
_calls = {}


class GraphCheckError(GradcheckError):
    """A :class:`~minigrad.GradcheckError` that names the node of the graph whose backward is wrong.

    Attributes
    ----------
    node : Function
        The node (``viz.draw_graph(output, highlight=err.node)`` marks it).
    op : str
        Its op's class name.
    position : int
        Where ``backward`` visits it: 1 is the node that made the output.
    input : int
        Which of the node's inputs gets the wrong gradient.
    index : tuple of int
        The worst element of that input's gradient.
    analytic, numeric : float
        The gradient there from the node's ``backward``, and from finite
        differences of its ``forward`` (NaN when the gradient had the wrong
        shape or count).
    """

    def __init__(self, message, node, position, input, index=(), analytic=math.nan, numeric=math.nan):
        super().__init__(message)
        self.node, self.op, self.position, self.input = node, type(node).__name__, position, input
        self.index, self.analytic, self.numeric = index, analytic, numeric


class record_calls:
    """Keep every op's call made inside the block, so that :func:`check_graph` can run it again.

    For each op recorded into a graph, the block keeps a copy of every array
    it was given (constants too) and its keyword parameters, for as long as
    the op's result lives. Nothing changes for the ops themselves.

    Notes
    -----
    It works by wrapping ``Function.apply`` for the duration of the block
    (the engine itself has no hooks: it is kept short to be read), and it
    records only the calls of the thread that entered the block. Copies cost
    memory: one per input array of every op, so keep it for the graphs you
    check.

    Examples
    --------
    >>> import numpy as np, minigrad as mg
    >>> x = mg.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    >>> with mg.record_calls():
    ...     y = (x * 3).sum(axis=0)         # the 3 and axis=0 are not kept by the graph
    >>> mg.check_graph(y) is None
    True
    """

    def __enter__(self):
        self._previous = Function.__dict__["apply"]
        wrapped, thread = self._previous.__func__, threading.get_ident()

        def apply(cls, *inputs, **params):
            out = wrapped(cls, *inputs, **params)
            if out.grad_fn is not None and threading.get_ident() == thread:
                arrays = tuple(_copy(x.data if isinstance(x, Tensor) else as_operand(x)) for x in inputs)
                key = id(out)
                _calls[key] = (weakref.ref(out, lambda _, key=key: _calls.pop(key, None)), out.grad_fn,
                               arrays, dict(params))
            return out

        apply.__doc__ = wrapped.__doc__
        Function.apply = classmethod(apply)
        return self

    def __exit__(self, *exc):
        Function.apply = self._previous
        return False


def _copy(a):
    return a.copy() if isinstance(a, np.ndarray) else a


def check_graph(output, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0):
    """Check every node behind ``output``: does its ``backward`` agree with finite differences of its ``forward``?

    Math::

        for each node y = f(x₁, …, xₙ; params), in the order backward visits them:
            L(x) = Σ u · f(x)                                   u ~ N(0, 1), fixed per node
            numeric_i  = (L(x + ε eᵢ) − L(x − ε eᵢ)) / 2ε        at the values the node saw, in float64
            analytic   = node.backward(u), un-broadcast to each input's shape
            agree if |analytic − numeric| ≤ atol + rtol·|numeric| for every input that needs a gradient

    Parameters
    ----------
    output : Tensor
        The result whose graph is checked (a loss, typically). Build it
        inside ``with minigrad.record_calls():`` to have every node checked;
        otherwise the nodes that cannot be rebuilt from the graph are skipped
        with a warning (see the module's docstring). Checking needs no
        ``backward`` first, and changes no ``.grad``: each node is run again
        as a fresh copy, so a graph already differentiated works too.
    eps, atol, rtol : float
        Step and tolerances, as in :func:`~minigrad.gradcheck`.
    seed : int
        Seed of the random upstream gradients u.

    Returns
    -------
    None
        When every node checked agrees.

    Raises
    ------
    GraphCheckError
        (a ``GradcheckError``) for the first node that disagrees, naming it,
        its op and position, the input, the worst element, and the analytic
        and numeric values there; ``err.node`` is the node itself.

    Notes
    -----
    Each node is checked in float64 on copies of the values it saw (a
    float32 graph gets a warning: its float32 backward may still differ by
    rounding, which is not what this checks). An element where the forward
    has a kink (ReLU at 0, a tie in a max) is left out, found by its
    one-sided differences disagreeing: no derivative exists there to
    compare. A node whose forward does not return float64 from float64
    inputs (a cast to float32) is skipped. The cost is two forward calls of
    a node per element of each input that needs a gradient: meant for small
    batches and layers.

    Examples
    --------
    >>> import numpy as np, minigrad as mg
    >>> class Square(mg.Function):
    ...     def forward(self, x):
    ...         self.x = x
    ...         return x * x
    ...     def backward(self, g):
    ...         return g * self.x               # wrong: forgot the 2
    >>> w = mg.Tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
    >>> loss = Square.apply(w.tanh()).sum()
    >>> try:
    ...     mg.check_graph(loss)
    ... except mg.GradcheckError as err:
    ...     print(err.op, err.position, err.input)
    Square 2 0
    """
    if not isinstance(output, Tensor):
        raise TypeError(f"check_graph needs a minigrad Tensor, got {type(output).__name__}")
    _check_settings(eps, atol, rtol)
    if output.grad_fn is None:
        return None  # a leaf or a constant: no node to check
    order = list(reversed(toposort(output.grad_fn)))  # the order backward visits the nodes
    results = _results(output, order)
    if any(t.dtype != np.float64 for t in results.values()):
        warnings.warn("check_graph: the graph is not float64; each node is checked in float64 on copies "
                      "of the values it saw (a float32 backward may still differ by rounding)", stacklevel=2)
    rng = np.random.default_rng(seed)
    skipped = []
    for position, node in enumerate(order, start=1):
        call = _call_of(node, results[node])
        checked = call is not None and _check_node(node, *call, position, len(order), eps, atol, rtol, rng, skipped)
        if not checked:
            why = ", its output not finite" if checked is None else ""
            skipped.append(f"{type(node).__name__} (node {position}{why})")
    if skipped:
        warnings.warn(f"check_graph: {len(skipped)} of {len(order)} nodes were not checked: "
                      f"{', '.join(skipped)}; {_SKIP_HINT}", stacklevel=2)
    return None


_SKIP_HINT = ("a node with a constant input or keyword parameters (the graph keeps neither) is checked "
              "when the graph is built inside `with minigrad.record_calls():`")


def _check_settings(eps, atol, rtol):
    # NOTE: the chained comparisons also refuse NaN
    if not (isinstance(eps, numbers.Real) and 0 < eps < math.inf):
        raise ValueError(f"check_graph: eps must be a finite number > 0, got {eps!r}")
    for name, tol in (("atol", atol), ("rtol", rtol)):
        if not (isinstance(tol, numbers.Real) and 0 <= tol < math.inf):
            raise ValueError(f"check_graph: {name} must be a finite number >= 0, got {tol!r}")


def _results(output, order):
    """``{node: the Tensor it made}``: the output's, and each other's from the inputs of the nodes using it."""
    results = {output.grad_fn: output}
    for node in order:
        for x in node.inputs:
            if x is not None and x.grad_fn is not None:
                results[x.grad_fn] = x
    return results


def _call_of(node, result):
    """``(arrays, params)`` that ``node``'s forward was called with, or None when they are not known.

    Recorded by :class:`record_calls`; else rebuilt from the inputs' data
    when every input is a Tensor and calling forward with no keyword
    parameters gives the result again.
    """
    recorded = _calls.get(id(result))
    if recorded is not None and recorded[0]() is result and recorded[1] is node:
        return recorded[2], recorded[3]
    if not node.inputs or any(x is None for x in node.inputs):
        return None  # a constant input: its value is not in the graph
    arrays = tuple(x.data for x in node.inputs)
    try:
        with np.errstate(all="ignore"):
            again = np.asarray(type(node)().forward(*arrays))
    except (TypeError, ValueError):  # a keyword parameter it needs (an axis, a shape)
        return None
    if again.shape != result.shape or not np.allclose(again, result.data, rtol=1e-5, atol=0, equal_nan=True):
        return None  # other parameters, or inputs changed since (an optimizer step)
    return arrays, {}


def _check_node(node, arrays, params, position, total, eps, atol, rtol, rng, skipped):
    """Compare ``node``'s backward with finite differences of its forward; raise for a disagreement.

    Returns False when the node cannot be checked in float64 (its forward
    does not return float64), None when its output holds NaN or inf (no
    difference can be taken there), True when it agrees.
    """
    cls = type(node)
    wanted = [k for k, x in enumerate(node.inputs) if x is not None]  # the inputs backward must serve
    xs = [np.array(a, dtype=np.float64) if k in wanted or _floating(a) else a for k, a in enumerate(arrays)]

    def forward(*args):  # NOTE: a copy: a view op's result (reshape) would change with its input
        return np.array(cls().forward(*args, **params))

    with np.errstate(all="ignore"):
        y = forward(*xs)
        if y.dtype != np.float64:
            return False
        if not np.isfinite(y).all():
            return None
        u = rng.standard_normal(y.shape)
        fresh = cls()
        fresh.inputs = node.inputs  # NOTE: so that needs_input_grad answers as for the real node
        fresh.forward(*xs, **params)
        grads = fresh.backward(u)
    grads = grads if isinstance(grads, tuple) else (grads,)
    where = f"{cls.__name__} (node {position} of {total} in the order backward visits them"
    if skipped:
        where += f"; not checked before it: {', '.join(skipped)}"
    elif position > 1:
        where += f"; the {position - 1} visited before it agree"
    where += ")"
    if len(grads) != len(arrays):
        raise GraphCheckError(f"check_graph: {where}: backward returned {len(grads)} gradients for "
                              f"{len(arrays)} inputs", node, position, len(grads))
    # NOTE: the outputs' own rounding, Σ|u·y|·2⁻⁵² before the division by ε, bounds what a
    # difference can resolve: a Sum of 3e7 and 0.5 moves by 2ε in a number whose last bit is 4e-9
    with np.errstate(all="ignore"):
        rounding = float(np.nan_to_num(np.sum(np.abs(u * y)) * np.finfo(np.float64).eps / eps))
    for k in wanted:
        analytic = np.zeros(xs[k].shape) if grads[k] is None else np.asarray(grads[k], dtype=np.float64)
        if analytic.shape != xs[k].shape:
            analytic = unbroadcast(analytic, xs[k].shape)
        if analytic.shape != xs[k].shape:
            raise GraphCheckError(f"check_graph: {where}: backward returned a gradient of shape "
                                  f"{np.shape(grads[k])} for its input {k} of shape {xs[k].shape}",
                                  node, position, k)
        numeric, kink = _differences(forward, xs, k, u, y, eps, atol, rtol)
        with np.errstate(invalid="ignore"):  # inf − inf: judged below
            err = np.abs(analytic - numeric) - (atol + rounding + rtol * np.abs(numeric))
        # NOTE: a NaN on either side fails (a NaN comparison is False), equal infinities pass
        bad = ~((err <= 0) | (analytic == numeric) | kink)
        # NOTE: a kink closer than ε (|x| = 5e-7 in abs) looks smooth at ε and at ε/2: before an
        # element is blamed, a smaller step whose difference agrees with backward clears it
        for idx in map(tuple, np.argwhere(bad)):
            smaller = (_central(forward, xs, k, u, idx, step) for step in (eps / 10, eps / 100))
            bad[idx] = not any(abs(analytic[idx] - n) <= atol + rtol * abs(n) for n in smaller)
        if bad.any():
            worst = np.unravel_index(np.argmax(np.where(bad, np.nan_to_num(err, nan=np.inf), -np.inf)), err.shape)
            a, n = float(analytic[worst]), float(numeric[worst])
            index = tuple(int(i) for i in worst)
            raise GraphCheckError(
                f"check_graph: the backward of {where} is wrong for its input {k} (shape {xs[k].shape}): "
                f"worst at index {index}: analytic {a:.10g} vs numeric {n:.10g} ({int(bad.sum())} of "
                f"{bad.size} elements disagree; atol={atol}, rtol={rtol}, eps={eps}, in float64 at "
                f"the values the node saw)", node, position, k, index, a, n)
    return True


def _floating(a):
    return isinstance(a, np.ndarray) and a.dtype.kind == "f"


def _around(forward, xs, k, idx, step):
    """The outputs with element ``idx`` of ``xs[k]`` moved up by ``step``, then down; xs left as they were."""
    x = xs[k]
    orig = x[idx]
    x[idx] = orig + step
    up = forward(*xs)
    x[idx] = orig - step
    down = forward(*xs)
    x[idx] = orig
    return up, down


def _central(forward, xs, k, u, idx, step):
    """(L(x + step) − L(x − step)) / 2·step at element ``idx`` of ``xs[k]``, L = Σ u·forward(xs).

    NOTE: differenced output element by output element before the sum: the
    elements that do not depend on x[idx] cancel exactly, where a difference
    of two sums lost x[idx]'s change in the rounding of a large one.
    """
    up, down = _around(forward, xs, k, idx, step)
    with np.errstate(all="ignore"):
        return float(np.sum(u * (up - down)) / (2 * step))


def _differences(forward, xs, k, u, y, eps, atol, rtol):
    """Central differences of L = Σ u·forward(xs) by each element of ``xs[k]``, and where L has a kink.

    A kink: the one-sided differences (L(x + ε) − L(x)) / ε and
    (L(x) − L(x − ε)) / ε disagree beyond the tolerance, so no derivative
    exists there to compare with (they cost nothing more: ``y`` is the output
    at x), and their gap does not shrink with ε. Every difference is taken
    output element by output element before the sum (see :func:`_central`).

    NOTE: a smooth but steeply curved L (log or 1/x near 0) has its
    one-sided differences apart too, by about ε·L''. That gap halves with ε
    and a kink's does not, so a gap is measured again at ε/2 before the
    element is skipped: skipping every element of a steep L let a backward
    off by a factor of 3,000 pass.
    """
    x = xs[k]
    numeric, kink = np.zeros(x.shape), np.zeros(x.shape, dtype=bool)

    def gap(idx, step):  # right minus left one-sided difference at x[idx], and the central one
        up, down = _around(forward, xs, k, idx, step)
        right, left = np.sum(u * (up - y)) / step, np.sum(u * (y - down)) / step
        return float(right - left), float(np.sum(u * (up - down)) / (2 * step))

    with np.errstate(all="ignore"):
        for idx in np.ndindex(x.shape):
            apart, numeric[idx] = gap(idx, eps)
            if abs(apart) > atol + rtol * abs(numeric[idx]):
                kink[idx] = abs(gap(idx, eps / 2)[0]) > 0.75 * abs(apart)
    return numeric, kink
