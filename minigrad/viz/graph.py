"""The computation graph behind a tensor, drawn: :func:`draw_graph`.

This module decides what each box says: which tensors and constants the
graph holds, their names, shapes and values, and which gradients belong to
the drawn graph. :mod:`~minigrad.viz.graph_layout` places the boxes and
:mod:`~minigrad.viz.graph_render` draws them (SVG text, or a matplotlib
Figure), so no graphviz is needed.
"""

import functools
import inspect

import numpy as np

from .graph_layout import Box, layout
from .graph_render import SVG, to_figure, to_svg
from .plotting import save

__all__ = ["draw_graph", "SVG"]

NO_GRAD_NOTE = "(no gradients yet: call backward() to see them)"
CLEARED_NOTE = "(no .grad: backward() already ran through this graph, and .grad was cleared since)"
NO_OWN_GRAD_NOTE = "(no gradients of this graph yet: zero_grad(), then backward(), shows them)"
STALE_NOTE = "stale |grad|: not this graph's gradient (an earlier backward()'s, or passes added up)"
UNCHECKED_NOTE = "unchecked |grad|: .grad as it is; the grad backward(grad) started from is not known here"
MAX_OPS = 500  # more op boxes than this make a picture nobody can read (and a slow one)
AFTER_NOTE = ("|grad| after backward(): the leaves' .grad, d(result backward() started from)/d(leaf): "
              "this tensor, or a later one computed from it")
CONST_NOTE = "const with no value: released by backward() or never kept; minigrad.record_calls() keeps it"


def draw_graph(tensor, path=None, *, format=None, names=None, highlight=None):
    """Draw the computation graph behind ``tensor``, inputs on the left, ``tensor`` on the right.

    Each box is a tensor: a parameter (orange), another leaf that requires
    grad (blue), an op's result (white, titled with the op), the tensor
    drawn (green), or a constant input that needs no gradient (grey, dashed).
    A box shows the op or name, the shape and dtype, the value of a
    one-element tensor, and, once ``backward`` has run through this graph,
    the norm of the gradient dL/dt with L = ``tensor``. A constant shows its
    value when it is small (a number, or up to 4 numbers), else its shape.
    Arrows run from inputs to results; "×2" marks an input used twice by one
    op (``x * x``). The layout is computed here, no graphviz or networkx
    needed.

    Parameters
    ----------
    tensor : Tensor
        The result whose graph is drawn (a loss, typically).
    path : str or path-like, optional
        Where to write the drawing: ``.svg`` writes the SVG text; ``.png``,
        ``.pdf`` or ``.jpg`` draw with matplotlib and save the figure.
    format : {"svg", "figure"}, optional
        What to return when ``path`` is not given; default ``"svg"``.
    names : Module, dict or iterable of (name, Tensor), optional
        Names for the parameters (``model`` gives ``0.weight``, ``fc1.bias``, …),
        for any other leaf (``{"x": x}``), or for a constant: a Tensor that
        needs no gradient, or a NumPy array, given to an op.
    highlight : Function, Tensor or list of them, optional
        Boxes to mark in red with a thick border: a node (``t.grad_fn``, or
        ``err.node`` of the ``GradcheckError`` that
        :func:`~minigrad.check_graph` raises) marks the tensor it made; a
        Tensor marks its own box. ``ValueError`` if one is not in the graph.

    Returns
    -------
    SVG or matplotlib.figure.Figure
        The SVG text (a ``str`` that Jupyter shows as a picture and the REPL
        as one line: ``print`` it for the text), or the Figure.

    Notes
    -----
    Which gradients belong to the drawn graph (a ``.grad`` only says that
    some ``backward`` put it there):

    1. After ``backward()`` through this graph (its nodes are released:
       ``tensor.grad_fn.released``), the leaves' ``.grad`` are shown, and
       the legend says what they are: the gradient of the result that
       ``backward()`` started from, which is ``tensor`` or a later result
       computed from it (a released graph cannot tell which). (Plus what
       earlier passes left, if nobody called ``zero_grad()``: ``.grad``
       accumulates. And ``mg.grad`` releases a graph too, writing no
       ``.grad``: what is shown after it is an older ``backward()``'s.)
    2. Before ``backward()``, or after ``backward(retain_graph=True)``, the
       nodes still hold what they saved: when ``tensor`` has one element,
       this graph's gradients are computed here (the chain rule from
       dL/dL = 1, nothing stored). A leaf's ``.grad`` equal to its gradient
       is shown with the gradient of every intermediate result; any other
       ``.grad`` (the previous batch's, before this ``backward``) is marked
       *stale*, in grey italics.
    3. When part of the graph was released by another result's ``backward``,
       the leaves' ``.grad`` are stale too. Only the intact graph of a result
       with more than one element cannot be checked (``backward(grad)``
       starts from a gradient the drawing does not know): its leaves'
       ``.grad`` are shown as they are, marked *unchecked*, in grey italics.

    A constant is ``None`` in ``node.inputs``: its value is what the op's
    ``forward`` saved under the input's own name (``Mul`` keeps ``self.y``
    for ``x * 2``) while the graph is not released, or, for every op and
    even after ``backward``, what :func:`minigrad.record_calls` kept.

    Examples
    --------
    >>> import minigrad as mg
    >>> from minigrad import viz
    >>> w = mg.nn.Parameter([1.0, 2.0])
    >>> loss = (w * w).sum() * 3
    >>> svg = viz.draw_graph(loss)
    >>> svg.startswith("<svg"), "Mul" in svg, "|grad|" in svg, "value 3" in svg   # the constant 3
    (True, True, False, True)
    >>> loss.backward()
    >>> "|grad| 13.4" in viz.draw_graph(loss)      # |6w| = √180
    True
    >>> viz.draw_graph(loss)                       # doctest: +ELLIPSIS
    <SVG ... px, ... characters: print() it for the text>
    >>> "highlighted" in viz.draw_graph(loss, highlight=loss.grad_fn)   # the last Mul box in red
    True
    """
    kind = format
    if path is not None:
        suffix = str(path).rsplit(".", 1)[-1].lower() if "." in str(path) else ""
        if suffix == "svg":
            kind = "svg"
        elif suffix in ("png", "pdf", "jpg", "jpeg"):
            kind = "figure"
        else:
            raise ValueError(f"draw_graph: path must end in .svg, .png, .pdf or .jpg, got {str(path)!r}")
    kind = kind or "svg"
    if kind not in ("svg", "figure"):
        raise ValueError(f"draw_graph: format must be 'svg' or 'figure', got {format!r}")
    boxes, notes = _boxes(tensor, names, highlight)
    width, height = layout(boxes)
    if kind == "svg":
        svg = to_svg(boxes, width, height, notes)
        if path is not None:
            with open(path, "w", encoding="utf-8") as f:
                f.write(svg)
            svg.path = str(path)
        return svg
    fig = to_figure(boxes, width, height, notes)
    save(fig, path)
    return fig


# =========================================================================
# The graph: its nodes, leaves and results
# =========================================================================


def _walk(root):
    """``(order, leaves, result_of)``: the nodes (inputs first), the leaves in order of first use,
    and ``{node: the Tensor it made}``."""
    from ..function import toposort
    from ..tensor import Tensor

    if not isinstance(root, Tensor):
        raise TypeError(f"draw_graph needs a minigrad Tensor, got {type(root).__name__}")
    order = toposort(root.grad_fn) if root.grad_fn is not None else []
    if len(order) > MAX_OPS:
        raise ValueError(f"draw_graph: the graph has {len(order):,} ops, more than a drawing shows "
                         f"readably (at most {MAX_OPS}; 2,000 took a minute and came out a hairline): "
                         f"draw a smaller part, e.g. a loss built on a few examples or layers")
    result_of = {root.grad_fn: root}  # a result is held by the nodes that use it
    leaves, seen = [], set()
    for node in order:
        for t in node.inputs:
            if t is None:
                continue
            if t.grad_fn is not None:
                result_of[t.grad_fn] = t
            elif id(t) not in seen:
                seen.add(id(t))
                leaves.append(t)
    return order, (leaves if order else [root]), result_of


# =========================================================================
# Gradients: which belong to the drawn graph (draw_graph's Notes)
# =========================================================================


def _graph_gradients(root):
    """``{id(tensor): dL/d(tensor)}`` for every result and leaf, L = ``root``, storing nothing.

    The chapter's own :func:`~minigrad.function.backward_pass`, with
    ``retain_graph`` (the drawing changes nothing) and a ``keep`` that
    collects every tensor's gradient instead of accumulating ``.grad``. It
    needs the saved arrays, i.e. a graph not released.
    """
    from ..function import backward_pass

    grads = {}

    def keep(x, gx):  # summed in the tensor's dtype, as accumulate does
        grads[id(x)] = np.asarray(gx + grads[id(x)] if id(x) in grads else gx, x.dtype)

    backward_pass(root, np.ones_like(root.data), retain_graph=True, keep=keep)
    return grads


def _same(grad, expected):
    """Whether a ``.grad`` is the gradient computed here (the same arithmetic; a little rounding allowed)."""
    if expected is None or np.shape(grad) != np.shape(expected):
        return False
    scale = float(np.max(np.abs(expected), initial=0.0))
    return bool(np.allclose(grad, expected, rtol=1e-5, atol=1e-7 * scale))


def _gradients(root, order, leaves, result_of):
    """``(shown, stale, unchecked)``: ``{id(tensor): gradient}`` of this graph, ``{id(leaf): .grad}``
    that is not, and ``{id(tensor): .grad}`` that cannot be told apart.

    The rule of :func:`draw_graph`'s Notes.
    """
    kept = {id(t): t._grad for t in leaves if t._grad is not None}
    kept.update({id(t): t._grad for t in result_of.values() if t._grad is not None})  # retain_grad()
    if not order or root.grad_fn.released:  # a lone leaf; or 1: backward ran through this graph
        return kept, {}, {}
    leaf_ids = {id(t) for t in leaves}
    if any(node.released for node in order):  # 3: another result's backward went through part of it
        return {}, {i: g for i, g in kept.items() if i in leaf_ids}, {}
    if root.size != 1:  # 3: the gradient backward(grad) started from is not known here
        return {}, {}, kept
    if not kept:  # 2, and no .grad to show or to check
        return {}, {}, {}
    try:
        computed = _graph_gradients(root)
    except Exception:  # NOTE: a backward that fails (a homework stub) cannot have made any .grad here
        return {}, {i: g for i, g in kept.items() if i in leaf_ids}, {}
    ours = {i for i, g in kept.items() if i in leaf_ids and _same(g, computed.get(i))}
    stale = {i: g for i, g in kept.items() if i in leaf_ids and i not in ours}
    if not ours:  # before this graph's backward
        return {}, stale, {}
    return {i: g for i, g in computed.items() if i not in leaf_ids or i in ours}, stale, {}


# =========================================================================
# Constants: what a node's inputs that need no gradient were
# =========================================================================

_UNKNOWN = object()  # a constant whose value the graph does not hold


@functools.lru_cache(maxsize=None)
def _input_names(op):
    """The names of ``op.forward``'s positional inputs up to a ``*xs`` (``("x", "y")`` for Mul)."""
    try:
        params = list(inspect.signature(op.forward).parameters.values())[1:]  # after self
    except (TypeError, ValueError):
        return ()
    names = []
    for p in params:
        if p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            break  # the inputs of a *xs have no names of their own
        names.append(p.name)
    return tuple(names)


def _constants(node, result):
    """``{position: value}`` of ``node``'s constant inputs (None in ``node.inputs``); ``_UNKNOWN`` where not kept.

    From :func:`minigrad.record_calls` if the graph was built inside it (a
    copy of every input), else from what ``forward`` saved under the
    input's name, which ``release`` empties.
    """
    from ..check_graph import _call_of

    positions = [k for k, x in enumerate(node.inputs) if x is None]
    call = _call_of(node, result) if positions else None  # NOTE: with a constant, only a recorded call
    if call is not None:
        return {k: call[0][k] for k in positions}
    saved, names = vars(node), _input_names(type(node))
    return {k: saved.get(names[k], _UNKNOWN) if k < len(names) else _UNKNOWN for k in positions}


def _value_text(value):
    """A constant's lines under its title: its value if it is small (≤ 4 numbers), and a shape if an array."""
    a = np.asarray(value)
    lines = [_shape_text(a.shape, a.dtype)] if isinstance(value, np.ndarray) else []
    if a.size <= 4 and a.ndim <= 1 and a.dtype.kind in "biuf":
        numbers = [f"{v:.4g}" if isinstance(v, float) else str(v) for v in a.ravel().tolist()]
        lines.append("value " + (numbers[0] if a.ndim == 0 else "[" + ", ".join(numbers) + "]"))
    return lines


# =========================================================================
# The boxes
# =========================================================================


def _shape_text(shape, dtype):
    """``(8, 16)``, ``(3,)`` or ``scalar``; the dtype only when it is not float32 (a float64 stands out)."""
    text = "scalar" if shape == () else str(tuple(int(n) for n in shape))
    return text if dtype == np.float32 else f"{text} {dtype}"


def _named(names):
    """``[(name, Tensor or array)]`` from a Module (named_parameters), a dict or (name, tensor) pairs."""
    from ..tensor import Tensor

    if names is None:
        return []
    if hasattr(names, "named_parameters"):
        names = names.named_parameters()
    elif isinstance(names, dict):
        names = names.items()
    elif isinstance(names, (str, bytes, Tensor, np.ndarray)) or not hasattr(names, "__iter__"):
        names = [names]  # refused below, with the forms that are accepted
    pairs = []
    for item in names:
        if not (isinstance(item, (tuple, list)) and len(item) == 2
                and isinstance(item[1], (Tensor, np.ndarray))):
            raise TypeError(f"draw_graph: names must be a Module, a dict {{name: tensor}} or (name, tensor) "
                            f"pairs, got an item {item!r:.60}")
        pairs.append((str(item[0]), item[1]))
    return pairs


def _constant_name(value, named):
    """The name given to a constant: that of a named array (or Tensor needing no grad) equal to ``value``."""
    from ..tensor import Tensor

    for name, t in named:
        a = t.data if isinstance(t, Tensor) else t
        if getattr(t, "requires_grad", False) or not isinstance(a, np.ndarray):
            continue  # a tensor that requires grad is never a constant input
        # NOTE: equal values, not the same array: record_calls keeps copies, and a loss may cast its target
        if a is value or (isinstance(value, np.ndarray) and a.shape == value.shape and np.array_equal(a, value)):
            return name
    return None


def _marks(highlight):
    """The ids of what ``highlight`` names: a node, a Tensor, or a list or tuple of them."""
    from ..function import Function
    from ..tensor import Tensor

    items = highlight if isinstance(highlight, (list, tuple, set)) else [highlight]
    for item in items:
        if not isinstance(item, (Function, Tensor)):
            raise TypeError(f"draw_graph: highlight must be a node (a Function, like tensor.grad_fn or "
                            f"err.node of check_graph), a Tensor or a list of them, got {type(item).__name__}")
    return {id(item) for item in items}


def _tensor_box(kind, title, t, grads, stale, unchecked):
    """The box of tensor ``t``: title, shape, the value of one element, its gradient (or a stale or
    unchecked one, muted)."""
    lines = [title, _shape_text(t.data.shape, t.data.dtype)]
    if t.data.size == 1:
        lines.append(f"value {t.data.item():.4g}")
    for label, muted in (("stale", stale), ("unchecked", unchecked)):
        if id(t) in muted:
            lines.append(f"{label} |grad| {float(np.linalg.norm(muted[id(t)])):.3g}")
            return Box(kind, lines, muted=[len(lines) - 1])
    if id(t) in grads:
        lines.append(f"|grad| {float(np.linalg.norm(grads[id(t)])):.3g}")
    return Box(kind, lines)


def _boxes(root, names, highlight=None):
    """The drawing's boxes, inputs before results, linked to their parents; and the legend's notes."""
    from ..nn import Parameter

    order, leaves, result_of = _walk(root)
    grads, stale, unchecked = _gradients(root, order, leaves, result_of)
    named = _named(names)
    leaf_names = {id(t): name for name, t in named}
    marks = _marks(highlight) if highlight is not None else set()
    found, unknown = set(), False
    boxes, by_key, edges = [], {}, {}
    for t in leaves:
        if not t.requires_grad:  # NOTE: a tensor made without a graph (under no_grad, say) is a constant
            title, kind = leaf_names.get(id(t), "const"), "const"
        elif isinstance(t, Parameter):
            title, kind = leaf_names.get(id(t), "Parameter"), "param"
        else:  # a named tensor that is no Parameter keeps the leaf colour, with its name
            title, kind = leaf_names.get(id(t), "leaf"), "leaf"
        if id(t) in marks:
            kind = "highlight"
            found.add(id(t))
        box = by_key[id(t)] = _tensor_box(kind, title, t, grads, stale, unchecked)
        boxes.append(box)
    for node in order:
        t = result_of[node]
        kind = "output" if node is root.grad_fn else "op"
        if marks & {id(node), id(t)}:  # the node, or the tensor it made
            kind = "highlight"
            found |= marks & {id(node), id(t)}
        box = by_key[id(t)] = _tensor_box(kind, type(node).__name__, t, grads, stale, unchecked)
        constants = _constants(node, t)
        for k, x in enumerate(node.inputs):
            if x is not None:
                parent = by_key[id(x)]
            elif constants[k] is None:
                continue  # an input left out (Linear's bias=None), as the record shows
            else:  # a constant input: a small grey box of its own
                value = constants[k]
                unknown = unknown or value is _UNKNOWN
                lines = [] if value is _UNKNOWN else _value_text(value)
                parent = Box("const", [(None if value is _UNKNOWN else _constant_name(value, named)) or "const"]
                             + lines)
                boxes.append(parent)
            edges[(parent, box)] = edges.get((parent, box), 0) + 1
        boxes.append(box)
    for (parent, child), count in edges.items():
        parent.children.append(child)
        child.parents.append((parent, count))
    if marks - found:
        raise ValueError(f"draw_graph: {len(marks - found)} of what highlight names is not in the graph "
                         f"behind this tensor (a node of another graph, or of one built again since?)")
    released = bool(order) and root.grad_fn.released
    notes = [] if grads or unchecked else [
        NO_OWN_GRAD_NOTE if stale else CLEARED_NOTE if released else NO_GRAD_NOTE]
    notes += [AFTER_NOTE] if grads and released else []
    notes += [STALE_NOTE] if stale else []
    notes += [UNCHECKED_NOTE] if unchecked else []
    notes += [CONST_NOTE] if unknown else []
    return boxes, notes
