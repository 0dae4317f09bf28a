"""Pictures: the computation graph, training curves, and optimizer paths on 2-D surfaces.

Three tools, each a function that returns what it drew:

- :func:`draw_graph` lays the graph of a tensor out in columns, inputs on the
  left and the result on the right, each node showing its op, its shape and,
  after ``backward``, the norm of its gradient. The layout is computed here
  (no graphviz, no networkx); the output is SVG text, or a matplotlib Figure.
- :func:`plot_history` draws the curves of a training ``History``, and
  :func:`plot_health` (in :mod:`minigrad.viz_health`) its per-layer health.
- :func:`plot_trajectories` runs the real :mod:`minigrad.optim` optimizers on
  a 2-D parameter whose loss is a surface written with minigrad ops (so every
  gradient comes from ``backward``) and draws their paths on its contours;
  :func:`trajectories` returns the same paths as arrays.

matplotlib is imported inside the functions that draw with it, so
``import minigrad`` never needs it, and SVG graphs need nothing but NumPy.
"""

import math
import numbers
import os

import numpy as np

__all__ = ["draw_graph", "plot_history", "plot_health", "plot_trajectories", "trajectories",
           "trajectories_command", "SURFACES", "OPTIMIZER_NAMES", "SVG"]

# =========================================================================
# Plot helpers
# =========================================================================

# Line styles for up to eight curves: colours from matplotlib's "tab10"; the dashes
# keep curves visible where two optimizers follow the same path (Adam and SWATS before a switch).
_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf"]
_DASHES = ["-", "--", "-.", ":", "-", "--", "-.", ":"]


def _new_figure(width, height):
    """A matplotlib Figure outside pyplot: no global state, no GUI backend, nothing to close."""
    try:
        from matplotlib.figure import Figure
    except ImportError:  # matplotlib is optional: say what to do rather than "No module named"
        raise ImportError("drawing needs matplotlib, which is not installed: pip install matplotlib") from None

    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def _file_name(path):
    """The file that saving to ``path`` writes: ``path``, or ``path.png`` when it has no suffix."""
    path = os.fspath(path)
    return path if os.path.splitext(path)[1] else path + ".png"


def _save(fig, path):
    """Save ``fig`` to ``path`` (format from the suffix, PNG without one) when a path is given."""
    if path is not None:
        fig.savefig(_file_name(path))


# =========================================================================
# draw_graph: the computation graph, laid out in columns
# =========================================================================

# Node kinds and how they look: fill colour, border colour, legend text.
_NODE_STYLE = {
    "param": ("#fde0b6", "#c26a00", "parameter"),
    "leaf": ("#cfe3f7", "#2b6cb0", "leaf that requires grad"),
    "op": ("#ffffff", "#555555", "op result"),
    "output": ("#d8f0d2", "#2f7d32", "the tensor drawn"),
    "const": ("#f2f2f2", "#9a9a9a", "constant (no grad)"),
    "highlight": ("#ffd9d6", "#d62728", "highlighted"),
}
_CHAR_W, _LINE_H, _PAD = 7.2, 15.0, 8.0   # px: a 12 px monospace character, a line, the padding
_COL_GAP, _ROW_GAP, _MARGIN = 46.0, 14.0, 16.0


class SVG(str):
    """SVG text (a ``str``) that Jupyter displays as a picture."""

    def _repr_svg_(self):
        return str(self)


class _Node:
    """One box of the drawing: a tensor or a constant input, with its text and position."""

    def __init__(self, kind, lines):
        self.kind, self.lines = kind, lines
        self.parents, self.children = [], []
        self.layer, self.x, self.y = 0, 0.0, 0.0
        self.routes = {}  # parent -> waypoints of the edge from that parent
        self.w = max(len(s) for s in lines) * _CHAR_W + 2 * _PAD
        self.h = len(lines) * _LINE_H + 2 * _PAD - 4


def _shape_text(shape, dtype):
    """``(8, 16)``, ``(3,)`` or ``scalar``; the dtype only when it is not float32 (a float64 stands out)."""
    text = "scalar" if shape == () else str(tuple(int(n) for n in shape))
    return text if dtype == np.float32 else f"{text} {dtype}"


def _parameter_names(names):
    """``{id(tensor): name}`` from a Module (named_parameters), a dict or (name, tensor) pairs."""
    if names is None:
        return {}
    if hasattr(names, "named_parameters"):
        names = names.named_parameters()
    elif isinstance(names, dict):
        names = names.items()
    return {id(t): str(name) for name, t in names}


def _graph_gradients(root, order):
    """dL/d(result) of every node in ``order`` (the last made ``root``, L): the chain rule once more.

    NOTE: ``backward`` keeps gradients only on leaves (and on tensors that
    called ``retain_grad()``); the drawing also wants them on intermediate
    results, so this repeats the walk of :func:`~minigrad.function.backward_pass`
    without storing anything. It needs the saved arrays, i.e. a graph kept
    with ``backward(retain_graph=True)`` (or not yet differentiated).
    Returns ``{node: gradient}``.
    """
    from .function import _as_tuple, unbroadcast

    grads = {order[-1]: np.ones_like(root.data)}
    for node in reversed(order):
        g = grads.get(node)
        if g is None:
            continue
        for x, gx in zip(node.inputs, _as_tuple(node.backward(g), node)):
            if x is not None and gx is not None and x.grad_fn is not None:
                gx = unbroadcast(np.asarray(gx), x.shape)
                grads[x.grad_fn] = gx if x.grad_fn not in grads else grads[x.grad_fn] + gx
    return grads


def _marks(highlight):
    """The ids of what ``highlight`` names: a node, a Tensor, or a list or tuple of them."""
    from .function import Function
    from .tensor import Tensor

    items = highlight if isinstance(highlight, (list, tuple, set)) else [highlight]
    for item in items:
        if not isinstance(item, (Function, Tensor)):
            raise TypeError(f"draw_graph: highlight must be a node (a Function, like tensor.grad_fn or "
                            f"err.node of check_graph), a Tensor or a list of them, got {type(item).__name__}")
    return {id(item) for item in items}


def _collect(root, names, highlight=None):
    """The drawing's boxes, inputs before results, from the graph behind ``root``."""
    from .function import toposort
    from .nn import Parameter
    from .tensor import Tensor

    if not isinstance(root, Tensor):
        raise TypeError(f"draw_graph needs a minigrad Tensor, got {type(root).__name__}")
    order = toposort(root.grad_fn) if root.grad_fn is not None else []
    result_of = {root.grad_fn: root}  # node -> the tensor it made (held by the nodes that use it)
    leaves, seen = [], set()
    for node in order:  # leaves in the order the ops first used them
        for t in node.inputs:
            if t is None:
                continue
            if t.grad_fn is not None:
                result_of[t.grad_fn] = t
            elif id(t) not in seen:
                seen.add(id(t))
                leaves.append(t)
    if not order:
        leaves = [root]
    after_backward = any(t._grad is not None for t in leaves)
    # NOTE: intermediates' gradients are recomputed from dL/dL = 1, so only for a one-element
    # result whose saved arrays are still there; otherwise a retained .grad is shown, if any.
    released = any(node.released for node in order)
    grads = _graph_gradients(root, order) if after_backward and order and root.size == 1 and not released else {}
    param_names = _parameter_names(names)
    marks = _marks(highlight) if highlight is not None else set()
    found = set()

    nodes, by_key, edges = [], {}, {}

    def add(key, kind, title, data, g):
        lines = [title, _shape_text(data.shape, data.dtype)]
        if data.size == 1:
            lines.append(f"value {data.item():.4g}")
        if g is not None:
            lines.append(f"|grad| {float(np.linalg.norm(g)):.3g}")
        box = by_key[key] = _Node(kind, lines)
        nodes.append(box)
        return box

    for t in leaves:
        if isinstance(t, Parameter):
            title, kind = param_names.get(id(t), "Parameter"), "param"
        else:  # a named tensor that is no Parameter keeps the leaf colour, with its name
            title, kind = param_names.get(id(t), "leaf"), "leaf"
        if id(t) in marks:
            kind = "highlight"
            found.add(id(t))
        add(("leaf", id(t)), kind, title, t.data, t._grad)
    for node in order:
        kind = "output" if node is root.grad_fn else "op"
        t = result_of[node]
        if marks & {id(node), id(t)}:  # the node, or the tensor it made
            kind = "highlight"
            found |= marks & {id(node), id(t)}
        box = add(("node", id(node)), kind, type(node).__name__, t.data, grads.get(node, t._grad))
        for x in node.inputs:
            if x is None:  # a constant input: drawn as a small grey box of its own
                parent = _Node("const", ["const"])
                nodes.insert(len(nodes) - 1, parent)
            else:
                parent = by_key[("node", id(x.grad_fn)) if x.grad_fn is not None else ("leaf", id(x))]
            edges[(parent, box)] = edges.get((parent, box), 0) + 1
    for (parent, child), count in edges.items():
        parent.children.append(child)
        child.parents.append((parent, count))
    if marks - found:
        raise ValueError(f"draw_graph: {len(marks - found)} of what highlight names is not in the graph "
                         f"behind this tensor (a node of another graph, or of one built again since?)")
    return nodes, after_backward


def _layout(nodes):
    """Columns by depth (result on the right) and rows ordered to keep edges short.

    1. Columns are counted back from the result: a node sits one column left
       of its leftmost consumer, so a weight sits beside the op that uses it.
    2. An edge longer than one column gets invisible waypoints, one per
       column it crosses, so that it is routed around boxes, not behind them.
    3. Within a column, nodes are sorted by the mean height of their
       neighbours (the barycenter heuristic), sweeping left and right a few
       times; each then moves to that mean height, and overlaps are pushed
       apart.
    Returns the drawing's (width, height) in px; sets ``x``, ``y`` of every
    node and ``routes[parent]`` (the waypoints) of every (parent, child) edge.
    """
    for n in reversed(nodes):  # nodes come parents first, so children are placed already
        n.layer = min((c.layer for c in n.children), default=1) - 1
    low = min(n.layer for n in nodes)
    for n in nodes:
        n.layer -= low
    layers = [[] for _ in range(max(n.layer for n in nodes) + 1)]
    for n in nodes:
        layers[n.layer].append(n)
    # waypoints: a chain of zero-size nodes for every edge that skips columns
    links = {}  # node -> neighbours in the previous / next column (waypoints included)
    routes = {}
    for child in nodes:
        for parent, _ in child.parents:
            chain = [parent]
            for layer in range(parent.layer + 1, child.layer):
                way = _Node("way", [""])
                way.w, way.h, way.layer = 0.0, 6.0, layer
                layers[layer].append(way)
                chain.append(way)
            chain.append(child)
            routes[(parent, child)] = chain[1:-1]
            for a, b in zip(chain, chain[1:]):
                links.setdefault(a, ([], []))[1].append(b)
                links.setdefault(b, ([], []))[0].append(a)
    for i, n in enumerate(nodes):
        n.y = 40.0 * i
    for layer in layers:
        for i, n in enumerate(layer):
            if n.kind == "way":
                n.y = links[n][0][0].y

    def place(layer, side):
        for n in layer:
            near = links.get(n, ([], []))[side] or links.get(n, ([], []))[1 - side]
            n.want = sum(m.y for m in near) / len(near) if near else n.y
        layer.sort(key=lambda n: n.want)
        bottom = None
        for n in layer:  # push apart from the top down, then re-centre on the wishes
            n.y = n.want if bottom is None else max(n.want, bottom + _ROW_GAP + n.h / 2)
            bottom = n.y + n.h / 2
        shift = sum(n.want - n.y for n in layer) / len(layer)
        for n in layer:
            n.y += shift

    for _ in range(6):
        for layer in layers[1:]:
            place(layer, 0)
        for layer in reversed(layers[:-1]):
            place(layer, 1)
    x = _MARGIN
    for layer in layers:
        width = max(n.w for n in layer)
        for n in layer:
            n.x = x + width / 2
        x += width + _COL_GAP
    everything = [n for layer in layers for n in layer]
    top = min(n.y - n.h / 2 for n in everything)
    for n in everything:
        n.y += _MARGIN - top
    for (parent, child), route in routes.items():
        child.routes[parent] = [(w.x, w.y) for w in route]
    height = max(n.y + n.h / 2 for n in everything) + _MARGIN
    return x - _COL_GAP + _MARGIN, height


def _edge_path(parent, child):
    """The edge parent → child as cubic bezier pieces: [start, c1, c2, end, c1, c2, end, ...]."""
    points = [(parent.x + parent.w / 2, parent.y)] + child.routes.get(parent, []) \
        + [(child.x - child.w / 2, child.y)]
    path = [points[0]]
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        bend = max(12.0, (x1 - x0) / 2)
        path += [(x0 + bend, y0), (x1 - bend, y1), (x1, y1)]
    return path


_NO_GRAD_NOTE = "(no gradients yet: call backward() to see them)"


def _legend(nodes, after_backward, width, top):
    """The legend under the graph: a swatch per node kind, wrapped to ``width``, then a note.

    Returns ``(items, width, height)``: items are ``(x, y, kind, text)`` with
    ``kind`` None for plain text; the width grows if a single entry needs it.
    """
    entries = [(k, _NODE_STYLE[k][2]) for k in _NODE_STYLE if any(n.kind == k for n in nodes)]
    if not after_backward:
        entries.append((None, _NO_GRAD_NOTE))
    width = max([width] + [2 * _MARGIN + 20 + len(text) * _CHAR_W for _, text in entries])
    items, x, y = [], _MARGIN, top + 8
    for kind, text in entries:
        size = (20 if kind else 0) + len(text) * _CHAR_W
        if x > _MARGIN and (x + size > width - _MARGIN or kind is None):
            x, y = _MARGIN, y + 22  # next row (the note always gets its own)
        items.append((x, y, kind, text))
        x += size + 18
    return items, width, y + 22 - top


def _graph_svg(nodes, width, height, after_backward):
    from html import escape

    legend, width, legend_h = _legend(nodes, after_backward, width, height)
    total_h = height + legend_h
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{total_h:.0f}" '
           f'viewBox="0 0 {width:.0f} {total_h:.0f}" font-family="DejaVu Sans Mono, monospace" '
           'font-size="12">',
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
           'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#666"/></marker></defs>',
           f'<rect width="{width:.0f}" height="{total_h:.0f}" fill="white"/>']
    for child in nodes:
        for parent, count in child.parents:
            points = _edge_path(parent, child)
            (x0, y0), (x1, y1) = points[0], points[-1]
            d = f"M{x0:.1f},{y0:.1f} C" + " ".join(f"{x:.1f},{y:.1f}" for x, y in points[1:])
            out.append(f'<path d="{d}" fill="none" stroke="#666" stroke-width="1.2" '
                       'marker-end="url(#arrow)"/>')
            if count > 1:
                # "×2" beside the arrowhead, on the side the edge does not come from
                below = y0 < y1 - 1
                out.append(f'<text x="{x1 - 4:.1f}" y="{y1 + 15 if below else y1 - 6:.1f}" text-anchor="end" '
                           f'fill="#444">×{count}</text>')
    for n in nodes:
        fill, stroke, _ = _NODE_STYLE[n.kind]
        dash = ' stroke-dasharray="4,3"' if n.kind == "const" else ""
        width = 3 if n.kind == "highlight" else 1.5
        out.append(f'<rect x="{n.x - n.w / 2:.1f}" y="{n.y - n.h / 2:.1f}" width="{n.w:.1f}" '
                   f'height="{n.h:.1f}" rx="6" fill="{fill}" stroke="{stroke}" stroke-width="{width}"{dash}/>')
        y = n.y - (len(n.lines) - 1) * _LINE_H / 2 + 4
        for i, line in enumerate(n.lines):
            weight = ' font-weight="bold"' if i == 0 else ""
            out.append(f'<text x="{n.x:.1f}" y="{y + i * _LINE_H:.1f}" text-anchor="middle"{weight}>'
                       f'{escape(line)}</text>')
    for x, y, kind, text in legend:
        if kind is None:
            out.append(f'<text x="{x:.1f}" y="{y + 11:.1f}" fill="#777">{escape(text)}</text>')
            continue
        fill, stroke, _ = _NODE_STYLE[kind]
        out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="14" height="14" rx="3" '
                   f'fill="{fill}" stroke="{stroke}"/>')
        out.append(f'<text x="{x + 20:.1f}" y="{y + 11:.1f}">{escape(text)}</text>')
    out.append("</svg>")
    return SVG("\n".join(out) + "\n")


def _graph_figure(nodes, width, height, after_backward):
    legend, width, legend_h = _legend(nodes, after_backward, width, height)
    total_h = height + legend_h
    scale = min(1.0, 3000.0 / max(width, total_h))  # NOTE: keep huge graphs under 30 inches
    fig = _new_figure(width * scale / 100, total_h * scale / 100)
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
    from matplotlib.path import Path

    fig.set_layout_engine("none")
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(total_h, 0)  # y grows downwards, as in the SVG
    ax.axis("off")
    font = dict(family="monospace", fontsize=12 * 0.72 * scale)  # 12 px, as in the SVG
    for child in nodes:
        for parent, count in child.parents:
            points = _edge_path(parent, child)
            arrow = FancyArrowPatch(path=Path(points, [Path.MOVETO] + [Path.CURVE4] * (len(points) - 1)),
                                    arrowstyle="-|>", mutation_scale=10 * scale, color="#666",
                                    linewidth=1.1 * scale)
            ax.add_patch(arrow)
            if count > 1:
                below = points[0][1] < points[-1][1] - 1
                ax.text(points[-1][0] - 4, points[-1][1] + (4 if below else -4), f"×{count}", ha="right",
                        va="top" if below else "bottom", color="#444", **font)
    for n in nodes:
        fill, stroke, _ = _NODE_STYLE[n.kind]
        ax.add_patch(FancyBboxPatch((n.x - n.w / 2, n.y - n.h / 2), n.w, n.h,
                                    boxstyle="round,pad=0,rounding_size=6", facecolor=fill,
                                    edgecolor=stroke, linewidth=(2.8 if n.kind == "highlight" else 1.4) * scale,
                                    linestyle="--" if n.kind == "const" else "-"))
        y = n.y - (len(n.lines) - 1) * _LINE_H / 2
        for i, line in enumerate(n.lines):
            ax.text(n.x, y + i * _LINE_H, line, ha="center", va="center",
                    fontweight="bold" if i == 0 else "normal", **font)
    for x, y, kind, text in legend:
        if kind is None:
            ax.text(x, y + 7, text, va="center", color="#777", **font)
            continue
        fill, stroke, _ = _NODE_STYLE[kind]
        ax.add_patch(FancyBboxPatch((x, y), 14, 14, boxstyle="round,pad=0,rounding_size=3",
                                    facecolor=fill, edgecolor=stroke))
        ax.text(x + 20, y + 7, text, va="center", **font)
    return fig


def draw_graph(tensor, path=None, *, format=None, names=None, highlight=None):
    """Draw the computation graph behind ``tensor``, inputs on the left, ``tensor`` on the right.

    Each box is a tensor: a parameter (orange), another leaf that requires
    grad (blue), an op's result (white, titled with the op), the tensor
    drawn (green), or a constant input that needs no gradient (grey, dashed).
    A box shows the op or name, the shape and dtype, the value of a
    one-element tensor, and, after ``backward``, the norm of the gradient
    dL/dt with L = ``tensor``. Arrows run from inputs to results; "×2" marks
    an input used twice by one op (``x * x``). The layout is computed here,
    no graphviz or networkx needed.

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
        Names for the parameters (``model`` gives ``0.weight``, ``fc1.bias``, …)
        or for any other leaf (``{"x": x}``).
    highlight : Function, Tensor or list of them, optional
        Boxes to mark in red with a thick border: a node (``t.grad_fn``, or
        ``err.node`` of the ``GradcheckError`` that
        :func:`~minigrad.check_graph` raises) marks the tensor it made; a
        Tensor marks its own box. ``ValueError`` if one is not in the graph.

    Returns
    -------
    SVG or matplotlib.figure.Figure
        The SVG text (a ``str`` that Jupyter shows as a picture), or the Figure.

    Notes
    -----
    After ``backward()`` the graph keeps its structure and data (only the
    arrays saved for backward are released), so it can be drawn with the
    leaves' gradients. Intermediate results keep no ``.grad`` (unless
    ``retain_grad()``); their gradients are recomputed here (the same chain
    rule, nothing stored) from dL/dL = 1 when ``tensor`` has one element and
    the graph was kept with ``backward(retain_graph=True)``.

    Examples
    --------
    >>> import minigrad as mg
    >>> from minigrad import viz
    >>> w = mg.nn.Parameter([1.0, 2.0])
    >>> loss = (w * w).sum()
    >>> svg = viz.draw_graph(loss)
    >>> svg.startswith("<svg"), "Mul" in svg, "|grad|" in svg
    (True, True, False)
    >>> loss.backward()
    >>> "|grad| 4.47" in viz.draw_graph(loss)      # |2w| = √20
    True
    >>> "highlighted" in viz.draw_graph(loss, highlight=loss.grad_fn)   # the Sum box in red
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
    nodes, after_backward = _collect(tensor, names, highlight)
    width, height = _layout(nodes)
    if kind == "svg":
        svg = _graph_svg(nodes, width, height, after_backward)
        if path is not None:
            with open(path, "w", encoding="utf-8") as f:
                f.write(svg)
        return svg
    fig = _graph_figure(nodes, width, height, after_backward)
    _save(fig, path)
    return fig


# =========================================================================
# plot_history: training curves
# =========================================================================

_HISTORY_FIELDS = ("step_loss", "epoch_loss", "epoch_accuracy", "val_loss", "val_accuracy")


def _history_lists(history):
    """The five curves of a History (attributes) or of a dict with the same keys, as float arrays."""
    if not isinstance(history, dict) and not any(hasattr(history, name) for name in _HISTORY_FIELDS):
        raise TypeError(f"plot_history needs a History (what optim.train returns) or a dict of its "
                        f"lists, got {type(history).__name__}")
    out = {}
    for name in _HISTORY_FIELDS:
        value = history.get(name, []) if isinstance(history, dict) else getattr(history, name, [])
        out[name] = np.asarray(value if value is not None else [], dtype=np.float64).reshape(-1)
    return out


def plot_history(history, path=None, *, updates_per_epoch=None):
    """Plot a training History: loss per update and per epoch, accuracy, validation curves.

    Parameters
    ----------
    history : History or dict
        What ``optim.train`` returns: lists ``step_loss`` (one value per
        update), ``epoch_loss``, ``epoch_accuracy``, ``val_loss``,
        ``val_accuracy`` (one per epoch; the accuracy and validation lists
        may be empty). A dict with these keys works too.
    path : str or path-like, optional
        Save the figure there (PNG, SVG, PDF: from the suffix; ``.png`` is
        appended to a name without one).
    updates_per_epoch : int, optional
        Where the updates sit on the epoch axis. Default: the number of
        updates over the number of epochs, right for a run that finished its
        last epoch; give it for a run stopped within an epoch (a divergence),
        whose last updates then reach past the last epoch.

    Returns
    -------
    matplotlib.figure.Figure
        Left: the losses against the epoch (an update i of an epoch with n
        updates sits at epoch i/n, so per-update and per-epoch curves share
        the axis), on a log scale when they span more than a factor 20.
        Right, when there are accuracies: training and validation accuracy
        per epoch. Each legend entry gives the final value.

    Examples
    --------
    >>> from minigrad import viz
    >>> h = {"step_loss": [2.0, 1.5, 1.2, 1.0], "epoch_loss": [1.75, 1.1], "epoch_accuracy": [0.6, 0.8]}
    >>> fig = viz.plot_history(h)
    >>> [ax.get_ylabel() for ax in fig.axes]
    ['loss', 'accuracy']
    """
    curves = _history_lists(history)
    steps, epochs = curves["step_loss"], curves["epoch_loss"]
    if not (steps.size or epochs.size or curves["val_loss"].size):
        raise ValueError("plot_history: the history holds no loss values (step_loss, epoch_loss and "
                         "val_loss are all empty)")
    if updates_per_epoch is not None and (isinstance(updates_per_epoch, bool) or not isinstance(
            updates_per_epoch, numbers.Integral) or updates_per_epoch < 1):
        raise ValueError(f"updates_per_epoch must be an int >= 1, got {updates_per_epoch!r}")
    has_accuracy = curves["epoch_accuracy"].size or curves["val_accuracy"].size
    fig = _new_figure(11.0 if has_accuracy else 6.5, 4.5)
    axes = fig.subplots(1, 2 if has_accuracy else 1, squeeze=False)[0]
    ax = axes[0]
    n_epochs = max(epochs.size, curves["val_loss"].size, curves["epoch_accuracy"].size)
    if n_epochs:
        per_epoch = updates_per_epoch or (steps.size / n_epochs if steps.size else 1.0)
        step_x = np.arange(1, steps.size + 1) / per_epoch
        xlabel = "epoch" + (f"  ({per_epoch:g} update{'' if per_epoch == 1 else 's'} per epoch)"
                            if steps.size else "")
    else:
        step_x, xlabel = np.arange(1, steps.size + 1), "update"
    if steps.size:
        ax.plot(step_x, steps, color="#9ecae1", linewidth=0.8,
                label=f"loss per update (last {steps[-1]:.4g})")
    marker = "o" if n_epochs <= 50 else None
    if epochs.size:
        ax.plot(np.arange(1, epochs.size + 1), epochs, color="#1f77b4", linewidth=2, marker=marker,
                markersize=4, label=f"training loss, epoch mean (last {epochs[-1]:.4g})")
    if curves["val_loss"].size:
        val = curves["val_loss"]
        ax.plot(np.arange(1, val.size + 1), val, color="#d62728", linewidth=2, marker=marker, markersize=4,
                label=f"validation loss (last {val[-1]:.4g})")
    values = np.concatenate([steps, epochs, curves["val_loss"]])
    values = values[np.isfinite(values) & (values > 0)]
    if values.size and values.max() / values.min() > 20:
        # NOTE: a loss of exactly 0 (an online step that fits its example) has no place on a
        # log axis and is left out; a linear axis would flatten everything below a blow-up
        ax.set_yscale("log", nonpositive="mask")
    _whole_ticks(ax, max(step_x[-1] if steps.size else 0, n_epochs))
    ax.set_xlabel(xlabel)
    ax.set_ylabel("loss")
    ax.set_title("loss")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=9)
    if has_accuracy:
        ax = axes[1]
        for name, color, text in (("epoch_accuracy", "#1f77b4", "training accuracy"),
                                  ("val_accuracy", "#d62728", "validation accuracy")):
            acc = curves[name]
            if acc.size:
                ax.plot(np.arange(1, acc.size + 1), acc, color=color, linewidth=2, marker=marker,
                        markersize=4, label=f"{text} (last {acc[-1]:.3f})")
        ax.set_ylim(min(0.0, np.nanmin(np.concatenate([curves["epoch_accuracy"], curves["val_accuracy"]]))),
                    1.02)
        _whole_ticks(ax, max(curves["epoch_accuracy"].size, curves["val_accuracy"].size))
        ax.set_xlabel("epoch")
        ax.set_ylabel("accuracy")
        ax.set_title("accuracy (fraction correct)")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=9, loc="lower right")
    _save(fig, path)
    return fig


def _whole_ticks(ax, last):
    """Ticks at whole epochs (or updates) on x, whose data end at ``last``; 0 … 1 when ``last`` ≤ 1.

    NOTE: one epoch's points all sit at x = 1 (or within (0, 1]), where the
    automatic limits 0.945 … 1.05 would get ticks like 0.975 and 1.035.
    """
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if last <= 1:
        ax.set_xlim(0, 1.05)


# =========================================================================
# Surfaces: loss functions of a 2-D parameter, written with minigrad ops
# =========================================================================
#
# Each surface takes a Tensor w whose first axis holds (x, y). During an
# optimizer run w has shape (2,); for the contour plot the same function is
# evaluated once on a whole grid, w of shape (2, rows, cols), so the formulas
# use w[0] and w[1] and elementwise ops only.


def quadratic(w):
    """An ill-conditioned bowl: f = (x² + 20·y²) / 2, minimum 0 at (0, 0), condition number 20."""
    x, y = w[0], w[1]
    return (x * x + 20 * y * y) * 0.5


def rosenbrock(w):
    """Rosenbrock's banana valley: f = (1 − x)² + 100·(y − x²)², minimum 0 at (1, 1)."""
    x, y = w[0], w[1]
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def beale(w):
    """Beale's function: f = Σ_i (c_i − x + x·y^i)², c = (1.5, 2.25, 2.625), minimum 0 at (3, 0.5)."""
    x, y = w[0], w[1]
    return ((1.5 - x + x * y) ** 2 + (2.25 - x + x * y * y) ** 2
            + (2.625 - x + x * y * y * y) ** 2)


def saddle(w):
    """A saddle at the origin between two valleys: f = x² − y² + y⁴/2, minima −0.5 at (0, ±1).

    NOTE: the textbook saddle x² − y² has no minimum, so every path would
    leave the picture; the y⁴ term adds two valleys for the escapers to reach.
    """
    x, y = w[0], w[1]
    y2 = y * y
    return x * x - y2 + y2 * y2 * 0.5


# The eight optimizers, by lower-case name, and the class name in minigrad.optim.
OPTIMIZER_NAMES = {"sgd": "SGD", "sgdm": "SGDM", "adagrad": "Adagrad", "rmsprop": "RMSProp",
                   "adam": "Adam", "amsgrad": "AMSGrad", "swats": "SWATS", "radam": "RAdam"}

# Per surface: the function, default start and number of steps, the window
# (xlim, ylim) of the contour plot, the minimum (x, y, f) and a learning rate
# per optimizer, chosen so that each optimizer shows its typical path without
# diverging in the default number of steps.
SURFACES = {
    "quadratic": dict(
        fn=quadratic, start=(-3.0, 1.2), steps=100, xlim=(-3.6, 1.0), ylim=(-1.6, 1.6),
        minimum=(0.0, 0.0, 0.0),
        lr=dict(sgd=0.09, sgdm=0.02, adagrad=0.8, rmsprop=0.1, adam=0.2, amsgrad=0.2, swats=0.2,
                radam=0.1)),
    "rosenbrock": dict(
        fn=rosenbrock, start=(-1.5, 2.0), steps=1000, xlim=(-2.0, 2.0), ylim=(-1.0, 3.0),
        minimum=(1.0, 1.0, 0.0),
        lr=dict(sgd=1e-3, sgdm=1e-3, adagrad=0.5, rmsprop=0.01, adam=0.1, amsgrad=0.1, swats=0.1,
                radam=0.01)),
    "beale": dict(
        fn=beale, start=(1.0, 1.5), steps=300, xlim=(-0.5, 4.0), ylim=(-1.5, 2.0),
        minimum=(3.0, 0.5, 0.0),
        lr=dict(sgd=0.01, sgdm=2e-3, adagrad=0.5, rmsprop=0.02, adam=0.1, amsgrad=0.1, swats=0.1,
                radam=5e-3)),
    # NOTE: one lr (0.02) for SGD, Adam, AMSGrad and SWATS shows the lecture's point: plain
    # SGD stays near the saddle, where the gradient along y is tiny, and the others escape.
    "saddle": dict(
        fn=saddle, start=(-1.5, 1e-3), steps=100, xlim=(-1.8, 1.2), ylim=(-1.4, 1.4),
        minimum=(0.0, 1.0, -0.5), others=[(0.0, -1.0, "minimum"), (0.0, 0.0, "saddle point")],
        lr=dict(sgd=0.02, sgdm=0.01, adagrad=0.2, rmsprop=0.02, adam=0.02, amsgrad=0.02, swats=0.02,
                radam=0.05)),
}


def _surface(surface):
    """The settings dict of a named surface, or a minimal one for a user's function."""
    if callable(surface):
        name = getattr(surface, "__name__", "surface")
        return dict(fn=surface, name=name, start=None, steps=100, xlim=None, ylim=None,
                    minimum=None, lr={})
    if not isinstance(surface, str):
        raise TypeError(f"surface must be a name or a function of a 2-D Tensor, got {type(surface).__name__}")
    key = surface.lower()
    if key not in SURFACES:
        raise ValueError(f"unknown surface {surface!r}; known surfaces: {', '.join(SURFACES)}")
    return dict(SURFACES[key], name=key)


def _optimizer_specs(optimizers, lrs):
    """``[(key, class name, kwargs)]`` from names or (name, kwargs) pairs; lr from ``lrs`` unless given."""
    if optimizers is None:
        optimizers = list(OPTIMIZER_NAMES)
    if isinstance(optimizers, str):
        optimizers = [name.strip() for name in optimizers.split(",") if name.strip()]
    specs = []
    for item in optimizers:
        if isinstance(item, str):
            name, kwargs = item, {}
        elif isinstance(item, (tuple, list)) and len(item) == 2 and isinstance(item[0], str) \
                and isinstance(item[1], dict):
            name, kwargs = item
        else:
            raise TypeError(f"each optimizer must be a name or a (name, kwargs) pair, got {item!r}")
        if name.lower() not in OPTIMIZER_NAMES:
            raise ValueError(f"unknown optimizer {name!r}; known: {', '.join(OPTIMIZER_NAMES.values())}")
        cls_name = OPTIMIZER_NAMES[name.lower()]
        kwargs = dict(kwargs)
        if "lr" not in kwargs and name.lower() in lrs:
            kwargs["lr"] = lrs[name.lower()]
        specs.append([cls_name, cls_name, kwargs])
    if not specs:
        raise ValueError("no optimizers given")
    # NOTE: the same optimizer twice (two learning rates, say) gets its settings in its key
    for spec in specs:
        if sum(s[1] == spec[1] for s in specs) > 1:
            spec[0] = f"{spec[1]} ({_format_kwargs(spec[2])})"
    keys = [s[0] for s in specs]
    if len(set(keys)) != len(keys):
        raise ValueError(f"the same optimizer with the same settings is listed twice: {keys}")
    return [tuple(s) for s in specs]


def _format_kwargs(kwargs):
    return ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in kwargs.items())


def _check_start(start):
    try:
        start = np.asarray(start, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"start must be a pair of floats, got {start!r}") from None
    if start.shape != (2,):
        raise ValueError(f"start must be a pair of floats (shape (2,)), got shape {start.shape}: {start}")
    if not np.isfinite(start).all():
        raise ValueError(f"start must be finite, got ({start[0]:g}, {start[1]:g})")
    return start


class _Run:
    """One optimizer's run on a surface: its path, losses and the optimizer object."""

    def __init__(self, key, cls_name, kwargs, path, losses, optimizer, diverged_at):
        self.key, self.cls_name, self.kwargs = key, cls_name, kwargs
        self.path, self.losses, self.optimizer, self.diverged_at = path, losses, optimizer, diverged_at


def _run_optimizer(fn, cls_name, kwargs, start, steps, key=None):
    """Run ``steps`` updates of the named optimizer on ``fn`` from ``start`` (float64).

    The parameter is a ``minigrad.nn.Parameter`` of shape (2,); each step is
    ``zero_grad()``, ``fn(w).backward()``, ``step()``. ``path[k]`` is the
    point after k steps and ``losses[k]`` the loss there. A run whose point
    or loss stops being finite (or leaves |w| < 1e6) is cut: the rest of
    both arrays is NaN and ``diverged_at`` says at which step.
    """
    from . import optim
    from .grad_mode import no_grad
    from .nn import Parameter
    from .tensor import Tensor

    w = Parameter(np.array(start, dtype=np.float64))
    opt = getattr(optim, cls_name)([w], **kwargs)
    path = np.full((steps + 1, 2), np.nan)
    losses = np.full(steps + 1, np.nan)
    path[0] = w.data
    diverged_at = None
    with np.errstate(all="ignore"):
        for k in range(steps):
            opt.zero_grad()
            loss = fn(w)
            if not isinstance(loss, Tensor):  # NOTE: NumPy math on w.data has no gradient
                raise TypeError(f"the surface must return a minigrad Tensor computed from w with "
                                f"minigrad's ops, got {type(loss).__name__}")
            if loss.size != 1:
                raise ValueError(f"the surface must return one number for w of shape (2,), got shape {loss.shape}")
            losses[k] = loss.item()
            if not math.isfinite(losses[k]):
                diverged_at = k
                break
            loss.backward()
            opt.step()
            if not (np.isfinite(w.data).all() and np.abs(w.data).max() < 1e6):
                diverged_at = k + 1
                break
            path[k + 1] = w.data
        else:
            with no_grad():
                losses[steps] = fn(w).item()
    return _Run(key or cls_name, cls_name, kwargs, path, losses, opt, diverged_at)


def _runs(surface, optimizers, start, steps):
    info = _surface(surface)
    if start is None:
        if info["start"] is None:
            raise ValueError("start is required for a surface given as a function")
        start = info["start"]
    start = _check_start(start)
    if steps is None:
        steps = info["steps"]
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    runs = [_run_optimizer(info["fn"], cls_name, kwargs, start, int(steps), key)
            for key, cls_name, kwargs in _optimizer_specs(optimizers, info["lr"])]
    return info, start, runs


def trajectories(surface, optimizers=None, start=None, steps=None):
    """The paths of optimizers on a 2-D surface, each run with the real ``minigrad.optim`` class.

    Math::

        w_0 = start,   w_{k+1} = optimizer step on g_k = ∇f(w_k)   (g_k from backward)

    Parameters
    ----------
    surface : str or callable
        ``"quadratic"``, ``"rosenbrock"``, ``"beale"``, ``"saddle"`` (see
        :data:`SURFACES`), or a function of a Tensor ``w`` of shape (2,)
        returning a one-element Tensor, written with minigrad ops.
    optimizers : list, optional
        Names (case-insensitive: ``"sgd"``, ``"SGDM"``, …) or ``(name,
        kwargs)`` pairs; default all eight. A named surface supplies a
        learning rate per optimizer unless ``kwargs`` has ``lr``; for a
        function the optimizers' own default lr is used.
    start : pair of float, optional
        The starting point; default the surface's (required for a function).
    steps : int, optional
        The number of updates; default the surface's (100 for a function).

    Returns
    -------
    dict
        ``{key: array of shape (steps + 1, 2)}``, row k the point after k
        steps, in float64. The key is the class name (``"Adam"``), with the
        settings added when one optimizer is listed twice. A diverging run is
        NaN from the step where it left |w| < 1e6.

    Examples
    --------
    >>> import minigrad as mg
    >>> paths = mg.viz.trajectories("quadratic", [("sgd", {"lr": 0.1})], start=(1.0, 1.0), steps=2)
    >>> paths["SGD"]        # w ← w − 0.1·(x, 20·y)
    array([[ 1.  ,  1.  ],
           [ 0.9 , -1.  ],
           [ 0.81,  1.  ]])
    """
    _, _, runs = _runs(surface, optimizers, start, steps)
    return {run.key: run.path for run in runs}


def _window(info, runs):
    """The contour plot's (xlim, ylim): the surface's window grown to hold every path.

    A path that leaves by more than the window's own size (a divergence) is
    not followed: the window stays readable and the legend says it left.
    """
    finite = np.concatenate([r.path[np.isfinite(r.path).all(axis=1)] for r in runs])
    lo, hi = finite.min(axis=0), finite.max(axis=0)
    if info["xlim"] is None:
        span = np.maximum(hi - lo, 1e-3)
        lo, hi = lo - 0.15 * span, hi + 0.15 * span
        return (lo[0], hi[0]), (lo[1], hi[1])
    box_lo = np.array([info["xlim"][0], info["ylim"][0]])
    box_hi = np.array([info["xlim"][1], info["ylim"][1]])
    span = box_hi - box_lo
    # NOTE: grow to the farthest point that is no more than one window size outside
    new_lo, new_hi = box_lo.copy(), box_hi.copy()
    for p in finite:
        if np.all(p >= box_lo - span) and np.all(p <= box_hi + span):
            new_lo, new_hi = np.minimum(new_lo, p), np.maximum(new_hi, p)
    pad = 0.03 * (new_hi - new_lo)
    new_lo = np.where(new_lo < box_lo, new_lo - pad, new_lo)
    new_hi = np.where(new_hi > box_hi, new_hi + pad, new_hi)
    return (new_lo[0], new_hi[0]), (new_lo[1], new_hi[1])


def _grid_values(fn, xlim, ylim, n=160):
    """f on an n × n grid, evaluated with minigrad ops under no_grad (one vectorized call if possible)."""
    from .grad_mode import no_grad
    from .tensor import Tensor

    xs, ys = np.linspace(*xlim, n), np.linspace(*ylim, n)
    X, Y = np.meshgrid(xs, ys)
    with no_grad(), np.errstate(all="ignore"):
        try:
            Z = fn(Tensor(np.stack([X, Y]))).data
        except Exception:  # a function written for shape (2,) only: one point at a time
            Z = None
        if Z is None or np.shape(Z) != X.shape:
            # NOTE: a coarser grid here: one call per point costs ~50 µs
            xs, ys = np.linspace(*xlim, 60), np.linspace(*ylim, 60)
            X, Y = np.meshgrid(xs, ys)
            Z = np.array([[fn(Tensor(np.array([x, y]))).item() for x in xs] for y in ys])
    return X, Y, np.asarray(Z, dtype=np.float64)


def _run_label(run):
    """Legend text: class, learning rate, other settings; SWATS' switch; a divergence."""
    label = f"{run.cls_name}, lr={run.optimizer.param_groups[0]['lr']:g}"
    others = {k: v for k, v in run.kwargs.items() if k != "lr"}
    if others:
        label += ", " + _format_kwargs(others)
    if run.cls_name == "SWATS":
        switch = run.optimizer.switch_step
        label += " (no switch)" if switch is None else f" (SGD from step {switch})"
    if run.diverged_at is not None:
        label += f", diverged at step {run.diverged_at}"
    return label


_FORMULAS = {"quadratic": "f = (x² + 20y²)/2", "rosenbrock": "f = (1 − x)² + 100(y − x²)²",
             "beale": "Beale's function", "saddle": "f = x² − y² + y⁴/2"}
_PLAIN = str.maketrans({"²": "^2", "⁴": "^4", "−": "-"})


def _printable(text, file):
    """``text`` as ``file`` can encode it: x² and − become x^2 and - in a code page without them.

    NOTE: Windows writes a redirected stdout in its code page (cp1252 has ² but not − or ⁴).
    """
    try:
        text.encode(getattr(file, "encoding", None) or "utf-8")
    except (UnicodeEncodeError, LookupError):
        return text.translate(_PLAIN).encode("ascii", "replace").decode("ascii")
    return text


def plot_trajectories(surface, optimizers=None, start=None, steps=None, path=None):
    """Draw optimizers' paths on the contours of a 2-D surface, and their loss per step.

    Every path is computed by :func:`trajectories`: the real
    ``minigrad.optim`` class updating a 2-D ``Parameter`` whose gradient comes
    from ``backward`` through the surface written with minigrad ops. All runs
    share the start and the number of steps; each legend entry states its lr.

    Parameters
    ----------
    surface, optimizers, start, steps
        As in :func:`trajectories` (default: all eight optimizers from the
        surface's start, with its step budget and learning rates).
    path : str or path-like, optional
        Save the figure there (PNG, SVG, PDF: from the suffix; ``.png`` is
        appended to a name without one).

    Returns
    -------
    matplotlib.figure.Figure
        Left: the contours (log-spaced where the surface is steep), the start
        (black dot), the minimum (star) and one line per optimizer. Right:
        f − f* per step on a log scale (f itself for a function whose minimum
        is unknown). The computed arrays are attached: ``fig.minigrad_paths``
        (``{key: (steps + 1, 2) array}``, as returned by :func:`trajectories`)
        and ``fig.minigrad_losses`` (``{key: (steps + 1,) array}``).

    Examples
    --------
    >>> from minigrad import viz
    >>> fig = viz.plot_trajectories("saddle", ["sgd", ("Adam", {"lr": 0.1})], steps=20)
    >>> sorted(fig.minigrad_paths), fig.minigrad_paths["Adam"].shape
    (['Adam', 'SGD'], (21, 2))
    """
    info, start, runs = _runs(surface, optimizers, start, steps)
    return _draw_trajectories(info, start, runs, path)


def _draw_trajectories(info, start, runs, path):
    """The figure of :func:`plot_trajectories`, from runs already made."""
    steps = len(runs[0].path) - 1
    xlim, ylim = _window(info, runs)
    X, Y, Z = _grid_values(info["fn"], xlim, ylim)

    fig = _new_figure(12.5, 6.0)
    ax, ax_loss = fig.subplots(1, 2, width_ratios=[1.25, 1])
    # Contours: log-spaced levels above the minimum show both the valley floor and the walls.
    f_min = info["minimum"][2] if info["minimum"] is not None else np.nanmin(Z)
    height = Z - f_min
    top = np.nanpercentile(height, 98)
    if top > 0 and np.nanmin(height[height > 0]) < top / 100:
        levels = f_min + np.geomspace(max(top * 1e-4, np.nanmin(height[height > 0])), top, 20)
    else:
        levels = np.linspace(np.nanmin(Z), f_min + top, 20)
    ax.contourf(X, Y, Z, levels=levels, cmap="Greys", alpha=0.3, extend="both")
    ax.contour(X, Y, Z, levels=levels, colors="0.6", linewidths=0.5, linestyles="solid")
    ax.plot(*start, "o", color="black", markersize=7, zorder=5, label="start")
    if info["minimum"] is not None:
        ax.plot(*info["minimum"][:2], "*", color="gold", markeredgecolor="black", markersize=15, zorder=5,
                label="minimum")
    for x, y, what in info.get("others", ()):
        ax.plot(x, y, "*" if what == "minimum" else "X", color="gold" if what == "minimum" else "white",
                markeredgecolor="black", markersize=15 if what == "minimum" else 10, zorder=5,
                label=None if what == "minimum" else what)
    mark = max(1, steps // 40)  # a marker every `mark` steps shows the step sizes
    for i, run in enumerate(runs):
        # NOTE: later lines are thinner, so a path hidden under a later one (Adam under SWATS) shows at its edges
        style = dict(color=_COLORS[i % 8], linestyle=_DASHES[i % 8], linewidth=2.6 - 0.15 * (i % 8))
        ax.plot(run.path[:, 0], run.path[:, 1], marker="o", markersize=2.5, markevery=mark,
                label=_run_label(run), **style)
        if run.cls_name == "SWATS" and run.optimizer.switch_step is not None:
            ax.plot(*run.path[run.optimizer.switch_step], "s", color=style["color"], markersize=8,
                    markeredgecolor="black", zorder=6)
        loss = run.losses - f_min if info["minimum"] is not None else run.losses
        ax_loss.plot(np.arange(steps + 1), loss, **style)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel("x = w[0]")
    ax.set_ylabel("y = w[1]")
    name = info["name"]
    formula = _FORMULAS.get(name, f"f = {name}(w)")
    ax.set_title(f"{name}: {formula}\n{steps} steps from ({start[0]:g}, {start[1]:g})")
    ax_loss.set_xlabel("step")
    if info["minimum"] is not None:
        ax_loss.set_ylabel(f"f − f*   (f* = {f_min:g})")
    else:
        ax_loss.set_ylabel("f")
    all_loss = np.concatenate([r.losses for r in runs]) - (f_min if info["minimum"] is not None else 0)
    if np.nanmin(all_loss) > 0:
        ax_loss.set_yscale("log")
        ax_loss.set_ylim(bottom=max(np.nanmin(all_loss), np.nanmax(all_loss) * 1e-16) / 2)
    ax_loss.set_title("loss per step (same start, same budget)")
    ax_loss.grid(True, alpha=0.3)
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncol=4, fontsize=9,
               frameon=False)
    fig.minigrad_paths = {run.key: run.path for run in runs}
    fig.minigrad_losses = {run.key: run.losses for run in runs}
    _save(fig, path)
    return fig


def trajectories_command(surface="quadratic", path=None, steps=None, optimizers=None, start=None, file=None):
    """What ``python -m minigrad trajectories`` does: run the optimizers, print a table, save the plot.

    Parameters
    ----------
    surface : str, default "quadratic"
        ``quadratic``, ``rosenbrock``, ``beale`` or ``saddle``.
    path : str or path-like, optional
        Save the figure of :func:`plot_trajectories` there (PNG from ``.png``,
        or without a suffix: ``.png`` is appended, and the printed name says
        so). Without a path nothing is drawn (and matplotlib is not needed).
    steps : int, optional
        The number of steps; default the surface's.
    optimizers : str or list, optional
        ``"sgd,adam"`` or a list as in :func:`trajectories`; default all eight.
    start : str or pair of float, optional
        ``"-1.5,2"`` or ``(-1.5, 2.0)``; default the surface's start.
    file : file-like, optional
        Where to print the table; default ``sys.stdout``.

    Returns
    -------
    int
        0. Bad arguments raise ``ValueError`` or ``TypeError`` with a
        one-line message (the command line turns them into exit status 2).

    Examples
    --------
    >>> from minigrad import viz
    >>> viz.trajectories_command("quadratic", steps=10, optimizers="sgd,adam")
    quadratic: f = (x² + 20y²)/2, 10 steps from (-3, 1.2), minimum f* = 0 at (0, 0)
    optimizer    lr         final x    final y     f - f*
    SGD          0.09       -1.1682     0.1288   8.48e-01
    Adam         0.2        -1.0759    -0.3814   2.03e+00
    0
    """
    import sys

    file = sys.stdout if file is None else file
    if isinstance(start, str):
        try:
            start = tuple(float(v) for v in start.split(","))
        except ValueError:
            raise ValueError(f"start must be two numbers like '-1.5,2', got {start!r}") from None
    info, start, runs = _runs(surface, optimizers, start, steps)
    steps = len(runs[0].path) - 1
    f_min = info["minimum"][2] if info["minimum"] is not None else 0.0
    where = f", minimum f* = {f_min:g} at ({info['minimum'][0]:g}, {info['minimum'][1]:g})" \
        if info["minimum"] is not None else ""
    name = info["name"]
    print(_printable(f"{name}: {_FORMULAS.get(name, name)}, {steps} steps from ({start[0]:g}, {start[1]:g}){where}",
                     file), file=file)
    print(f"{'optimizer':12} {'lr':8} {'final x':>9} {'final y':>10} {'f - f*' if where else 'f':>10}", file=file)
    for run in runs:
        x, y = run.path[-1]
        lr = run.optimizer.param_groups[0]["lr"]
        note = ""
        if run.diverged_at is not None:
            note = f"  diverged at step {run.diverged_at}"
        elif run.cls_name == "SWATS" and run.optimizer.switch_step is not None:
            note = f"  switched to SGD at step {run.optimizer.switch_step}"
        print(f"{run.key:12} {lr:<8g} {x:9.4f} {y:10.4f} {run.losses[-1] - f_min:10.2e}{note}", file=file)
    if path is not None:
        _draw_trajectories(info, start, runs, path)
        print(f"plot: {_file_name(path)}", file=file)
    return 0


from .viz_health import plot_health  # noqa: E402  (the training-health picture, in a module of its own)
