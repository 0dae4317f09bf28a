"""The engine: how ops build a graph, and how ``backward`` runs the chain rule through it.

Read this module top to bottom and you know how reverse-mode autodiff works.

**Forward.** An op is a subclass of :class:`Function` with two methods that
see only NumPy arrays::

    class Div(Function):
        def forward(self, x, y):      # compute the result, keep what backward needs
            self.x, self.y = x, y
            return x / y
        def backward(self, g):        # g = dL/d(result); return dL/d(each input)
            return g / self.y, -g * self.x / self.y ** 2

``Div.apply(a, b)`` makes a ``Div`` instance, the *node*, runs ``forward``
on the inputs' arrays and wraps the result in a new Tensor. When an input
requires grad, the result remembers its node (``result.grad_fn``) and the
node remembers its inputs (``node.inputs``): step by step the ops build a
directed acyclic graph from the leaves (tensors the user made) to the loss.

**Backward.** For a loss L and a node with result z = f(x, y), the chain rule
says dL/dx = dL/dz · ∂z/∂x: each node turns the gradient of its result into
gradients of its inputs, and only needs its own local derivative. So
``backward`` orders the nodes with :func:`toposort` (every node after the
nodes that made its inputs), walks that order backwards from the loss, hands
each node the sum of the gradients its result received, and sends what it
returns on to the nodes (or leaves) that made its inputs. Leaves collect
theirs in ``.grad``.

Three details keep this honest: :func:`unbroadcast` undoes NumPy's
broadcasting for every op at once; gradients :func:`accumulate` out of place;
and the arrays a node saved are guarded against in-place changes
(:mod:`minigrad.memory_guard`) and released after its backward.
"""

import numpy as np

from .grad_mode import GradMode, check_finite
from . import memory_guard
from .tensor import Tensor, as_operand

__all__ = ["Function", "unbroadcast", "toposort", "backward_pass", "keep_grad", "accumulate"]


def unbroadcast(g, shape):
    """Sum ``g`` back down to ``shape``: the reverse of NumPy broadcasting.

    Broadcasting copies an operand along new leading axes and along its axes of
    size 1, so each copy's gradient must be added back up.

    Sum ``g`` over the leading axes it has beyond ``len(shape)``, then (keeping
    the axis) over each axis where ``shape`` has 1 and ``g`` does not. When
    ``g`` already has ``shape`` (nothing was broadcast, the common case),
    return ``g`` itself, not a copy. The result keeps ``g``'s dtype.

    Math::

        x broadcast to y's shape  =>  dL/dx = sum of dL/dy over the copied axes

    Examples
    --------
    >>> unbroadcast(np.ones((4, 2, 3)), (2, 1))
    array([[12.],
           [12.]])
    """
    # BEGIN SOLUTION function.unbroadcast
    if g.shape == shape:  # the common case: nothing was broadcast
        return g
    while g.ndim > len(shape):  # new leading axes
        g = g.sum(axis=0)
    for axis, n in enumerate(shape):
        if n == 1 and g.shape[axis] != 1:  # an axis of size 1 that was stretched
            g = g.sum(axis=axis, keepdims=True)
    return g
    # END SOLUTION


class Function:
    """Base class of every differentiable op; an instance is a node of the graph.

    Subclasses define ``forward(self, *arrays, **params)``, which returns the
    result as an array and keeps what ``backward`` needs as attributes
    (``self.x = x``), and ``backward(self, g)``, which returns dL/d(input)
    for each input: one array for a one-input op, else a tuple (or a list),
    ``None`` for an input that needs no gradient.

    Attributes
    ----------
    inputs : tuple
        One entry per input of ``apply``: the input Tensor when it requires
        grad, else ``None`` (a constant), so ``backward`` can skip work.
    released : bool
        True once a backward pass has freed what ``forward`` saved.

    Everything else a node holds is what ``forward`` saved, in its ``__dict__``.
    NOTE: ``inputs``, ``released`` and ``_protected`` (what the memory guard
    locked) are slots, so that dict holds only arrays and numbers, which
    CPython's cyclic garbage collector does not track: each op of a deep graph
    leaves it three objects to scan (result, node, inputs) instead of four.
    """

    __slots__ = ("inputs", "released", "_protected", "__dict__")

    def __init__(self):
        self.inputs, self.released = (), False
        self._protected = ()  # what memory_guard locked for this node

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in ("forward", "backward"):  # PyTorch writes them as staticmethods with ctx first
            if isinstance(cls.__dict__.get(name), staticmethod):
                raise TypeError(f"{cls.__name__}.{name} is a staticmethod (PyTorch's style, with ctx "
                                f"first); in minigrad it is a plain method whose self is the node: "
                                f"def forward(self, x) on NumPy arrays, saving what backward needs as self.x")

    def __call__(self, *args, **kwargs):
        raise TypeError(f"a node is not called on tensors: use {type(self).__name__}.apply(x), "
                        f"which runs forward and records the node")

    @classmethod
    def apply(cls, *inputs, **params):
        """Run the op on ``inputs`` (Tensors, arrays or numbers) and return a Tensor.

        Math::

            y = forward(x₁.data, x₂.data, …)
            y.grad_fn = node,  node.inputs = (x₁ or None, x₂ or None, …)

        Steps:

        1. Each input's array: a Tensor's ``.data``; any other input through
           :func:`~minigrad.tensor.as_operand` (a Python number stays a
           number: NumPy 2 keeps the array's dtype for it, so ``float32 * 0.9``
           stays float32; a NumPy scalar or a list is converted first).
        2. ``node = cls()``; the result is ``Tensor._wrap(node.forward(*arrays,
           **params))``. Keyword ``params`` (an axis, a shape, ...) go to
           ``forward`` unchanged and are never differentiated. A ``ValueError``
           from ``forward`` is raised again, of the same type (NumPy's
           ``AxisError``, say), naming the op and the input shapes.
        3. Under ``detect_anomaly`` (``GradMode.anomaly``), check the result with
           ``check_finite(result array, cls.__name__, "forward")``, which raises
           ``FloatingPointError`` naming the op if it holds NaN or inf.
        4. Record only when grad mode is on (``GradMode.enabled``) and some
           Tensor input requires grad: ``node.inputs`` is a tuple with, for
           each input, the Tensor if it requires grad, else ``None``; the
           result gets ``grad_fn = node`` and ``requires_grad = True``; and
           ``memory_guard.protect(node, arrays, result.data, params)`` locks
           what ``forward`` saved. Otherwise the result is a constant (no node).
        """
        # BEGIN SOLUTION function.apply
        arrays, links, needs_grad = [], [], False  # each input's array, and the input if it needs a gradient
        for x in inputs:
            if isinstance(x, Tensor):
                arrays.append(x.data)
                links.append(x if x.requires_grad else None)
                needs_grad = needs_grad or x.requires_grad
            else:  # a constant: a NumPy array, a number (NumPy keeps the tensor's dtype), ...
                arrays.append(as_operand(x))
                links.append(None)
        node = cls()
        try:
            out = Tensor._wrap(node.forward(*arrays, **params))
        except ValueError as e:  # name the op and the shapes it was given
            shapes = " and ".join(str(np.shape(a)) for a in arrays)
            raise type(e)(f"{cls.__name__}: {e} (input shapes {shapes})") from None
        if GradMode.anomaly:
            check_finite(out.data, cls.__name__, "forward")
        if needs_grad and GradMode.enabled:  # record: the result remembers its node, the node its inputs
            node.inputs = tuple(links)
            out.grad_fn, out.requires_grad = node, True
            memory_guard.protect(node, arrays, out.data, params)  # saved arrays read-only until released
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
        return tuple(x is not None for x in self.inputs)

    def release(self):
        """Free what ``forward`` saved (after this node's backward); the links to the inputs stay."""
        if self._protected:
            memory_guard.release(self)
        vars(self).clear()
        self.released = True

    def __del__(self):
        # a dropped graph gives its saved memory back (at interpreter exit, modules may be gone)
        if self._protected and memory_guard is not None:
            memory_guard.release(self)

    def __repr__(self):
        return f"<{type(self).__name__} node>"


def toposort(root):
    """The nodes that ``root`` (a node) depends on, each after the nodes that made its inputs.

    Returns a list with every node reachable from ``root`` through
    ``node.inputs`` (an input ``x`` leads to ``x.grad_fn``; a leaf or a
    constant leads nowhere), each exactly once, ``root`` last. A depth-first
    search with an explicit stack instead of recursion, so a chain of 100,000
    ops works: each node is pushed twice, first to visit its inputs' nodes,
    then (marked ``True``, "its inputs are done") to be placed in the order.
    Keep the visited nodes in a set of your own: set no attributes on the
    nodes (a node's attributes are what ``forward`` saved) and leave
    ``node.inputs`` as it is.

    Examples
    --------
    >>> import minigrad as mg
    >>> x = mg.Tensor([1.0], requires_grad=True)
    >>> y = (x * 2).exp()
    >>> [type(node).__name__ for node in toposort(y.grad_fn)]
    ['Mul', 'Exp']
    """
    # BEGIN SOLUTION function.toposort
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
        elif node not in seen:
            seen.add(node)
            stack.append((node, True))
            for x in node.inputs:
                if x is not None and x.grad_fn is not None:
                    stack.append((x.grad_fn, False))
    return order
    # END SOLUTION


def backward_pass(root, grad, retain_graph=False, keep=None, run=None):
    """The chain rule from tensor ``root`` (with dL/d(root) = ``grad``) to every leaf under it.

    Math::

        for each node z = f(x, …), from the loss down:
            dL/dz = Σ over the nodes c that use z of (what c sent to z)
            dL/dx = node.backward(dL/dz), un-broadcast to x's shape

    Where each tensor's gradient goes is ``keep(x, gx)``, called for the
    root and for every input of every node: by default :func:`keep_grad`
    (leaves, and tensors that ``retain_grad``, accumulate it in ``.grad``).
    How a node's backward is called is ``run(node, g)``: by default
    ``node.backward(g)``. :func:`minigrad.grad` passes its own of both, to
    collect gradients without touching ``.grad``, and (``create_graph``) to
    run each backward on Tensors.

    Steps:

    1. ``keep = keep or keep_grad``; ``keep(root, grad)``. A leaf root (no
       ``grad_fn``) is then done.
    2. ``order = toposort(root.grad_fn)``. Check every node before any
       gradient moves, with :func:`_check_saved` (``RuntimeError`` for a node
       released by an earlier pass, naming ``retain_graph``, or one whose
       saved array was changed in place), so a failed pass changes no ``.grad``.
    3. Keep a dict node → dL/d(its result), starting ``{root.grad_fn: grad}``.
       For each node of ``reversed(order)`` (each node after every node that
       uses its result): a node with no entry was sent no gradient, so skip
       it (its backward is not called); else call ``node.backward(g)`` (or
       ``run(node, g)`` when ``run`` is given) and turn what it returns into
       one entry per input with :func:`_as_tuple`. For each input ``x`` and
       its gradient ``gx``: skip it when ``x`` is ``None`` (a constant) or
       ``gx`` is ``None``; fit ``gx`` to ``x.shape`` with :func:`_fit` (it
       un-broadcasts, or raises); ``keep(x, gx)``;
       if ``x`` has a node, add ``gx`` to that node's entry out of place
       (``a + b``, never ``+=``: ``Add`` hands the same array to both inputs).
    4. Unless ``retain_graph``, call ``node.release()`` after its backward,
       and on a node that was skipped (no gradient reached it): after the
       pass no node holds what it saved.
    """
    # BEGIN SOLUTION function.backward_pass
    keep = keep or keep_grad
    keep(root, grad)
    if root.grad_fn is None:
        return
    order = toposort(root.grad_fn)
    for node in order:  # every node must still hold what it saved: a failed pass changes no .grad
        if node.released or node._protected:
            _check_saved(node)
    grads = {root.grad_fn: grad}  # node -> dL/d(its result), summed over the nodes that use it
    for node in reversed(order):  # a node comes after every node that uses its result
        g = grads.pop(node, None)
        if g is None:  # its users sent it no gradient: it has none to pass on
            if not retain_graph:
                node.release()
            continue
        grads_in = node.backward(g) if run is None else run(node, g)
        for x, gx in zip(node.inputs, _as_tuple(grads_in, node)):
            if x is None or gx is None:
                continue
            if type(gx) is not np.ndarray or gx.shape != x.data.shape:
                gx = _fit(gx, x, node)  # un-broadcast it, or raise
            keep(x, gx)
            if x.grad_fn is not None:
                grads[x.grad_fn] = grads[x.grad_fn] + gx if x.grad_fn in grads else gx
        if not retain_graph:
            node.release()
    # END SOLUTION


def keep_grad(x, gx):
    """Where a gradient stops by default: a leaf that requires grad (a flag turned off after the
    forward freezes it, as in PyTorch), or a tensor that ``retains_grad``, accumulates it."""
    if (x.grad_fn is None and x.requires_grad) or x.retains_grad:
        accumulate(x, gx)


def accumulate(t, g):
    """``t.grad ← t.grad + g``, out of place, in ``t``'s dtype (the first ``g`` is copied).

    NOTE: never ``+=``: ``.grad`` must not share memory with an array that an
    op passed on (``Add`` hands the same g to both inputs) or a custom
    backward returned twice.
    """
    if t.dtype.kind != "f":  # requires_grad set by hand on integers: the gradient would be cut to ints
        raise TypeError(f"a gradient reached a tensor of dtype {t.dtype}: only floating-point "
                        f"tensors can require grad")
    t.grad = np.array(g, dtype=t.dtype) if t.grad is None else np.asarray(t.grad + g, t.dtype)


def _as_tuple(grads, node):
    """What ``node.backward`` returned, as one entry per input (checked: under ``detect_anomaly``, finite)."""
    grads = tuple(grads) if isinstance(grads, (tuple, list)) else (grads,)
    if len(grads) != len(node.inputs):  # zip would silently drop the missing ones
        raise RuntimeError(f"{type(node).__name__}.backward returned {len(grads)} gradients for "
                           f"{len(node.inputs)} inputs; return one per input (None for no gradient)")
    if GradMode.anomaly:
        for k, gx in enumerate(grads):
            if gx is not None:
                check_finite(gx, type(node).__name__, f"backward, in the gradient of its input {k}")
    return grads


def _fit(gx, x, node):
    """``gx`` un-broadcast to the shape of input ``x``; raise if it cannot fit."""
    gx = gx if isinstance(gx, Tensor) else np.asarray(gx)
    fitted = unbroadcast(gx, x.shape) if gx.ndim >= len(x.shape) else gx  # fewer axes: it cannot fit
    if fitted.shape != x.shape:
        raise RuntimeError(f"{type(node).__name__}.backward returned a gradient of shape {np.shape(gx)} "
                           f"for an input of shape {x.shape}; it must have the input's shape")
    return fitted


def _check_saved(node):
    """Raise ``RuntimeError`` if ``node``'s saved arrays were released or changed in place since forward."""
    if node.released:
        raise RuntimeError(
            f"backward through the graph a second time: the {type(node).__name__} node was released "
            f"by an earlier backward() or mg.grad(); pass retain_graph=True to the first one if you "
            f"need to go through the graph again")
    memory_guard.check_unchanged(node)
