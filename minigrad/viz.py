"""Pictures: the computation graph, training curves, and optimizer paths on 2-D surfaces.

Three tools, each a function that returns what it drew:

- :func:`draw_graph` lays the graph of a tensor out in columns, inputs on the
  left and the result on the right, each node showing its op, its shape and,
  after ``backward``, the norm of its gradient. The layout is computed here
  (no graphviz, no networkx); the output is SVG text, or a matplotlib Figure.
- :func:`plot_history` draws the curves of a training ``History``.
- :func:`plot_trajectories` runs the real :mod:`minigrad.optim` optimizers on
  a 2-D parameter whose loss is a surface written with minigrad ops (so every
  gradient comes from ``backward``) and draws their paths on its contours;
  :func:`trajectories` returns the same paths as arrays.

matplotlib is imported inside the functions that draw with it, so
``import minigrad`` never needs it, and SVG graphs need nothing but NumPy.
"""

import math
import numbers

import numpy as np

__all__ = ["draw_graph", "plot_history", "plot_trajectories", "trajectories", "trajectories_command",
           "SURFACES", "OPTIMIZER_NAMES"]

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
    # NOTE: one lr (0.02) for SGD and the Adam family shows the lecture's point: plain
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
        optimizers = [optimizers]
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
    if start.shape != (2,) or not np.isfinite(start).all():
        raise ValueError(f"start must be a pair of finite floats (shape (2,)), got shape {start.shape}: {start}")
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


# =========================================================================
# Plot helpers
# =========================================================================

# Line styles for up to eight curves: colours from matplotlib's "tab10"; the dashes
# keep curves visible where two optimizers follow the same path (Adam and SWATS before a switch).
_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf"]
_DASHES = ["-", "--", "-.", ":", "-", "--", "-.", ":"]


def _new_figure(width, height):
    """A matplotlib Figure outside pyplot: no global state, no GUI backend, nothing to close."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def _save(fig, path):
    """Save ``fig`` to ``path`` (format from the suffix) when a path is given."""
    if path is not None:
        fig.savefig(str(path))


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
        Save the figure there (PNG, SVG, PDF: from the suffix).

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
        style = dict(color=_COLORS[i % 8], linestyle=_DASHES[i % 8], linewidth=1.6)
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
