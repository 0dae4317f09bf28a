"""Gradients as values, and gradients of gradients: :func:`grad`.

``loss.backward()`` leaves dL/dw in ``w.grad``, an array. :func:`grad`
returns it instead, as a Tensor, and never touches ``.grad``. With
``create_graph=True`` it runs the chain rule of :mod:`minigrad.function` with
every node's ``backward`` working on Tensors: the ops that compute the
gradient are recorded like any others, so the gradient is differentiable
again. That is how Newton's method, Hessian-vector products and gradient
penalties are built.

How a node's backward runs on Tensors (:func:`backward_on_tensors`): for the
duration of the call, each array the node saved that is one of its inputs'
arrays or its result's array is replaced by that Tensor, so ``g * self.y``
records a ``Mul`` linked to y's graph. The op's code is unchanged: it is
written with operations that Tensors support too (operators, methods, and
NumPy's functions through :mod:`minigrad.numpy_functions`).
"""

import numpy as np

from .function import backward_pass, toposort
from .grad_mode import enable_grad
from .tensor import Tensor

__all__ = ["grad", "hvp", "backward_on_tensors"]


def grad(output, inputs, grad_output=None, create_graph=False, retain_graph=None):
    """d(output)/d(input) for each of ``inputs``, as Tensors; no ``.grad`` changes.

    Math::

        grad(L, (x₁, …, xₖ)) = (∂L/∂x₁, …, ∂L/∂xₖ)
        with grad_output v:    (vᵀ ∂output/∂x₁, …)        (a vector-Jacobian product)
        Hessian-vector product: Hv = grad((grad(L, w, create_graph=True)[0] * v).sum(), w)[0]

    Parameters
    ----------
    output : Tensor
        One element, unless ``grad_output`` is given.
    inputs : Tensor or sequence of Tensors
        Each must require grad; leaves or intermediate results.
    grad_output : Tensor or array_like, optional
        d(something)/d(output), of ``output``'s shape; 1 by default.
    create_graph : bool, default False
        Record the gradient's own graph, linked back to the inputs, so the
        results can be differentiated again. Otherwise they are constants.
    retain_graph : bool, optional
        Keep the graph of ``output`` for another pass; by default, as in
        PyTorch, it is kept exactly when ``create_graph`` is (the new graph
        runs through the old one).

    Returns
    -------
    tuple of Tensor
        One per input, each of its input's shape and dtype. An input that
        ``output`` does not depend on gets zeros (PyTorch's ``None`` with
        ``allow_unused``, made friendly).

    Raises
    ------
    ValueError
        If ``output`` has more than one element and no ``grad_output``, if
        ``grad_output``'s shape differs from ``output``'s, or if an input does
        not require grad (each named).

    Examples
    --------
    >>> import minigrad as mg
    >>> x = mg.Tensor(3.0, requires_grad=True, dtype="float64")
    >>> (dy,) = mg.grad(x ** 3, x, create_graph=True)    # 3x² = 27
    >>> (d2y,) = mg.grad(dy, x)                           # 6x = 18
    >>> float(dy), float(d2y), x.grad is None
    (27.0, 18.0, True)
    """
    single = isinstance(inputs, Tensor)
    inputs = (inputs,) if single else tuple(inputs)
    _check(output, inputs)
    g = _first_gradient(output, grad_output, create_graph)
    if not output.requires_grad:  # a constant depends on nothing
        return tuple(_zeros(x) for x in inputs)
    wanted = {}  # id -> the first place of each input (a tensor listed twice gets its gradient twice)
    for k, x in enumerate(inputs):
        wanted.setdefault(id(x), k)
    found = [None] * len(inputs)

    def keep(x, gx):  # collect the gradients of the inputs asked for; leave .grad alone
        k = wanted.get(id(x))
        if k is not None:
            found[k] = gx if found[k] is None else found[k] + gx

    retain = create_graph if retain_graph is None else retain_graph
    if create_graph:
        results = _results(output)
        with enable_grad():
            backward_pass(output, g, retain, keep, lambda node, g: backward_on_tensors(node, g, results[node]))
    else:
        backward_pass(output, g, retain, keep)
    return tuple(_as_result(found[wanted[id(x)]], x, create_graph) for x in inputs)


def hvp(output, inputs, vectors):
    """The Hessian-vector product H·v of a one-element ``output``, from two calls of :func:`grad`.

    Math::

        g = ∂output/∂w                      (the first call, with create_graph=True)
        H·v = ∂(g · v)/∂w = Σⱼ (∂²output/∂w∂wⱼ) vⱼ     (the second call, on the scalar g · v)

    ``inputs`` is a Tensor (then ``vectors`` is one array or Tensor of its
    shape) or a sequence of Tensors (then ``vectors`` is a sequence of the
    same length, one per input, each of its input's shape). Returns a tuple
    of constant Tensors, one per input: the block rows of H·v. The Hessian
    itself (n² numbers) is never formed: each product costs about two
    backward passes.

    Steps:

    1. Make both sequences: a single Tensor ``inputs`` becomes ``(inputs,)``
       and ``vectors`` ``(vectors,)``; otherwise take ``tuple()`` of each.
    2. Raise ``ValueError`` if the counts differ ("hvp: 1 vectors for 2
       inputs; give one per input"), or if vector k's shape (``np.shape`` of
       it, or of its ``.data``) is not input k's ("hvp: vector k has shape
       (3,) but input k has shape (2,)").
    3. The gradients gᵢ from :func:`grad` with ``create_graph=True``; the
       scalar Σᵢ (gᵢ · vᵢ).sum() with Tensor ops (so it stays linked to the
       inputs); return ``grad`` of that scalar by the same inputs, with
       ``retain_graph=True``: the second pass runs through ``output``'s own
       graph, which must stay whole, so that ``hvp`` can be called again on
       the same ``output`` (power iteration does) and ``output.backward()``
       still works (and gives back the memory it locked).

    Examples
    --------
    >>> import numpy as np
    >>> import minigrad as mg
    >>> w = mg.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    >>> f = (w[0] ** 2) * w[1]                   # H = [[2w₁, 2w₀], [2w₀, 0]] = [[4, 2], [2, 0]]
    >>> hvp(f, w, np.array([1.0, 0.0]))[0]       # H · (1, 0) = first column
    Tensor([4., 2.], dtype=float64)
    """
    # BEGIN SOLUTION higher_order.hvp
    one = isinstance(inputs, Tensor)
    inputs, vectors = ((inputs,), (vectors,)) if one else (tuple(inputs), tuple(vectors))
    if len(vectors) != len(inputs):
        raise ValueError(f"hvp: {len(vectors)} vectors for {len(inputs)} inputs; give one per input")
    for k, (x, v) in enumerate(zip(inputs, vectors)):
        if np.shape(getattr(v, "data", v)) != x.shape:
            raise ValueError(f"hvp: vector {k} has shape {np.shape(getattr(v, 'data', v))} but input {k} "
                             f"has shape {x.shape}")
    grads = grad(output, inputs, create_graph=True)
    dot = sum((g * v).sum() for g, v in zip(grads, vectors))
    return grad(dot, inputs, retain_graph=True)
    # END SOLUTION


def backward_on_tensors(node, g, result):
    """``node.backward(g)`` with Tensors for what it saved: the gradient, recorded as a graph.

    Each saved array that is the array of one of ``node.inputs`` (those that
    require grad) or of ``result`` (the Tensor the node made) is swapped for
    that Tensor for the call, and put back after it. An op whose other saved
    values are computed from its inputs recomputes them on Tensors in
    ``on_tensors()`` (``CrossEntropy``'s softmax); one that saves other
    floating-point arrays lists them in ``constants`` (masks, ties).
    Anything else would make the gradient's derivative silently wrong, so it
    raises ``NotImplementedError`` naming the op and the value.
    """
    _check_not_rebound(node, result)
    saved = vars(node)
    before = dict(saved)
    try:
        for name, value in before.items():
            tensor = _tensor_for(node, name, value, result)
            if tensor is not None:
                saved[name] = tensor
        if hasattr(node, "on_tensors"):
            node.on_tensors()
        _check_constants(node)
        try:
            return node.backward(g)
        except FloatingPointError as error:  # detect_anomaly: an op of this backward, run as a graph
            raise FloatingPointError(f"{error}, while computing the backward of {type(node).__name__} "
                                     f"on Tensors (create_graph=True)") from None
    finally:
        saved.clear()
        saved.update(before)


def _check_not_rebound(node, result):
    """Raise unless each array ``node`` saved of an input that requires grad (or of its result) is still its ``.data``.

    NOTE: ``x.data = new_array`` after the forward leaves the node with the
    old array, which no Tensor holds any more: swapped for nothing, it would
    act as a constant and the second derivative through it would be
    silently 0.
    """
    for name, value, _, _, sources in node._protected:
        for k in sources:
            tensor = result if k == -1 else node.inputs[k]
            if tensor is not None and tensor.data is not value:
                what = "result" if k == -1 else f"input {k}"
                raise RuntimeError(
                    f"gradients of gradients through {type(node).__name__}: the array it saved as "
                    f"{name!r} is no longer the .data of its {what} (was .data assigned a new array "
                    f"after the forward?); compute the graph again from the tensors as they are now")


def _tensor_for(node, name, value, result):
    """The Tensor whose numbers ``value`` (saved as ``name``) is: an input's, the result's, or None.

    An array is matched through what the memory guard recorded when the node
    was made (which inputs' array it was), not by comparing it with the
    inputs' arrays now: a constant input that shares an input's array
    (``x * x.data``) must stay a constant. When one array was both an input
    that requires grad and a constant, the node cannot tell which attribute
    is which, so that raises.
    """
    if type(value) is np.ndarray:
        for saved_name, saved, _, _, sources in node._protected:
            if saved_name == name and saved is value and sources:  # () : a view, computed from an input
                candidates = {id(c): c for c in (result if k == -1 else node.inputs[k] for k in sources)}
                if len(candidates) > 1:
                    raise NotImplementedError(
                        f"gradients of gradients through {type(node).__name__}: one array was given "
                        f"both as an input that requires grad and as a constant (x and x.data, say), "
                        f"so its saved {name!r} cannot be told apart; pass x.detach() or a copy as "
                        f"the constant")
                return next(iter(candidates.values()))
        return None
    if isinstance(value, np.generic) and name not in getattr(node, "constants", ()):
        # NOTE: NumPy gives a 0-d result as a scalar (np.tanh of a 0-d array), which the Tensor
        # then holds as a new 0-d array: a saved scalar of the result's dtype and value is it.
        if result.data.ndim == 0 and value.dtype == result.dtype and value == result.data:
            return result
    return None


def _check_constants(node):
    """Raise unless every floating-point array ``node`` still saves is a constant of its op.

    Arrays inside a saved tuple, list or dict (``self.saved = (x, y)``)
    cannot be swapped for Tensors, so they raise too unless listed in
    ``constants``.
    """
    # what were inputs' arrays (constants too) or the result; a view of one is computed from it
    reachable = {name for name, _, _, _, sources in node._protected if sources}
    for name, value in vars(node).items():
        inside = (value.values() if isinstance(value, dict) else value if isinstance(value, (tuple, list))
                  else (value,))
        if (any(isinstance(v, (np.ndarray, np.generic)) and v.dtype.kind in "fc" for v in inside)
                and name not in reachable and name not in getattr(node, "constants", ())):
            if not isinstance(value, (np.ndarray, np.generic)):
                raise NotImplementedError(
                    f"gradients of gradients through {type(node).__name__}: its forward saved arrays "
                    f"inside {name!r} (a {type(value).__name__}), which cannot be swapped for Tensors, "
                    f"so its backward would use them as constants; save each as an attribute of its "
                    f"own (self.x = x), or list {name!r} in {type(node).__name__}.constants if their "
                    f"derivative is 0")
            raise NotImplementedError(
                f"gradients of gradients through {type(node).__name__}: its forward saved {name!r}, "
                f"computed from its inputs, which its backward would use as a constant; save the "
                f"inputs or the result instead, list {name!r} in {type(node).__name__}.constants "
                f"if its derivative is 0, or recompute it in on_tensors()")


def _results(output):
    """node -> the Tensor it made, for every node of ``output``'s graph."""
    results = {output.grad_fn: output}
    for node in toposort(output.grad_fn):
        for x in node.inputs:
            if x is not None and x.grad_fn is not None:
                results[x.grad_fn] = x
    return results


def _check(output, inputs):
    if not isinstance(output, Tensor):
        raise TypeError(f"grad: output must be a Tensor, got {type(output).__name__}")
    if not inputs:
        raise ValueError("grad: no inputs given; pass the tensor (or tensors) to differentiate by")
    for k, x in enumerate(inputs):
        if not isinstance(x, Tensor):
            raise TypeError(f"grad: input {k} must be a Tensor, got {type(x).__name__}")
        if not x.requires_grad:
            raise ValueError(f"grad: input {k} (shape {x.shape}) does not require grad; make it with "
                             f"requires_grad=True or call x.requires_grad_()")


def _first_gradient(output, grad_output, create_graph):
    """d(...)/d(output) to start from: 1 for a one-element output, else ``grad_output`` checked."""
    if grad_output is None:
        if output.data.size != 1:
            raise ValueError(f"grad: output has shape {output.shape}; only a one-element output "
                             f"defaults to grad_output = 1, give grad_output of that shape")
        g = np.ones_like(output.data)
    elif isinstance(grad_output, Tensor):
        if grad_output.shape != output.shape:
            raise ValueError(f"grad: grad_output has shape {grad_output.shape} but output has "
                             f"shape {output.shape}")
        return grad_output if create_graph else np.array(grad_output.data, output.dtype)
    else:
        g = np.array(grad_output, dtype=output.dtype)
        if g.shape != output.shape:
            raise ValueError(f"grad: grad_output has shape {g.shape} but output has shape {output.shape}")
    return Tensor._wrap(g) if create_graph else g


def _zeros(x):
    return Tensor._wrap(np.zeros(x.shape, x.dtype))


def _as_result(gx, x, create_graph):
    """The gradient of input ``x`` as a Tensor of x's dtype: recorded (create_graph) or a constant copy."""
    if gx is None:
        return _zeros(x)
    if isinstance(gx, Tensor):
        if not create_graph:
            gx = gx.data
        elif gx.dtype != x.dtype:
            return gx.astype(x.dtype)
        else:
            return gx
    return Tensor._wrap(np.array(gx, dtype=x.dtype))
