"""Optimizers' paths on 2-D surfaces: every step taken by the real ``minigrad.optim`` class.

:func:`trajectories` runs each optimizer on a 2-D ``Parameter`` whose loss is
a surface of :mod:`minigrad.viz.surfaces` (or any function written with
minigrad ops), so every gradient comes from ``backward``, and returns the
paths as arrays; :func:`plot_trajectories` draws them on the surface's
contours beside the loss per step; :func:`trajectories_command` is what
``python -m minigrad trajectories`` prints (and plots).
"""

import math
import numbers

import numpy as np

from .plotting import check_line_count, file_name, line_style, new_figure, save
from .surfaces import FORMULAS, grid_values, surface_info

__all__ = ["trajectories", "plot_trajectories", "trajectories_command", "OPTIMIZER_NAMES"]

# The eight optimizers, by lower-case name, and the class name in minigrad.optim.
OPTIMIZER_NAMES = {"sgd": "SGD", "sgdm": "SGDM", "adagrad": "Adagrad", "rmsprop": "RMSProp",
                   "adam": "Adam", "amsgrad": "AMSGrad", "swats": "SWATS", "radam": "RAdam"}


def optimizer_specs(optimizers, lrs):
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
    """``lr=0.1, betas=(0.8, 0.99)``: settings as a legend or a key shows them."""
    return ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in kwargs.items())


def check_count(name, value, least=1):
    """``value`` as an int ≥ ``least``: TypeError (not an integer) or ValueError (too small), naming ``name``.

    ``steps``, ``frames``, ``fps``: 2.7 is refused, not cut to 2, and so is
    ``"3"``; ``True`` is not a count either.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= {least}, got {value!r} ({type(value).__name__})")
    if value < least:
        raise ValueError(f"{name} must be an integer >= {least}, got {value!r}")
    return int(value)


def check_start(start):
    """``start`` as a float64 array of shape (2,); TypeError or ValueError (naming it) otherwise."""
    try:
        start = np.asarray(start, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"start must be a pair of floats, got {start!r}") from None
    if start.shape != (2,):
        raise ValueError(f"start must be a pair of floats (shape (2,)), got shape {start.shape}: {start}")
    if not np.isfinite(start).all():
        raise ValueError(f"start must be finite, got ({start[0]:g}, {start[1]:g})")
    if np.abs(start).max() >= 1e5:  # NOTE: else a converging path would be called diverged at once
        raise ValueError(f"start must lie within |x|, |y| < 1e5, got ({start[0]:g}, {start[1]:g}): "
                         f"a path that leaves |w| < 1e6 counts as diverged")
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
    from .. import optim
    from ..grad_mode import no_grad
    from ..nn import Parameter
    from ..tensor import Tensor

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
    """``(settings, start, [_Run])``: the arguments of :func:`trajectories` checked, every optimizer run."""
    info = surface_info(surface)
    if start is None:
        if info["start"] is None:
            raise ValueError("start is required for a surface given as a function")
        start = info["start"]
    start = check_start(start)
    steps = check_count("steps", info["steps"] if steps is None else steps)
    runs = [_run_optimizer(info["fn"], cls_name, kwargs, start, steps, key)
            for key, cls_name, kwargs in optimizer_specs(optimizers, info["lr"])]
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

    Every path that did not diverge is held whole, with its start, however
    far from the surface's window it goes. A diverged path (cut at |w| ≥ 1e6
    or a non-finite loss) is followed only while it stays within one window
    size of the window: the plot stays readable and the legend says it left.
    A function has no window of its own: the starts and the paths that did
    not diverge make it (or the start ± 1 when every run diverged).
    """
    finite = [r.path[np.isfinite(r.path).all(axis=1)] for r in runs]
    if info["xlim"] is None:
        kept = [r.path[:1] for r in runs] + [p for r, p in zip(runs, finite) if r.diverged_at is None]
        kept = np.concatenate(kept)
        box_lo, box_hi = kept.min(axis=0), kept.max(axis=0)
        if all(r.diverged_at is not None for r in runs):
            box_lo, box_hi = box_lo - 1.0, box_hi + 1.0
    else:
        box_lo = np.array([info["xlim"][0], info["ylim"][0]])
        box_hi = np.array([info["xlim"][1], info["ylim"][1]])
    span = np.maximum(box_hi - box_lo, 1e-3)
    held = [box_lo[None], box_hi[None]]
    for run, points in zip(runs, finite):
        if run.diverged_at is not None:  # NOTE: followed only within one window size outside
            points = points[np.all((points >= box_lo - span) & (points <= box_hi + span), axis=1)]
        held.append(points)
    held = np.concatenate(held)
    new_lo, new_hi = held.min(axis=0), held.max(axis=0)
    if info["xlim"] is None:  # a margin all round: the paths' ends are not on the frame
        pad = 0.15 * np.maximum(new_hi - new_lo, 1e-3)
        new_lo, new_hi = new_lo - pad, new_hi + pad
    else:  # a margin where the paths leave the surface's window
        pad = 0.03 * (new_hi - new_lo)
        new_lo = np.where(new_lo < box_lo, new_lo - pad, new_lo)
        new_hi = np.where(new_hi > box_hi, new_hi + pad, new_hi)
    return (new_lo[0], new_hi[0]), (new_lo[1], new_hi[1])


def settings_label(cls_name, optimizer, kwargs):
    """``Adam, lr=0.1, betas=(0.8, 0.99)``: the class, the lr it runs with (given or its default), other settings."""
    label = f"{cls_name}, lr={optimizer.param_groups[0]['lr']:g}"
    others = {k: v for k, v in kwargs.items() if k != "lr"}
    if others:
        label += ", " + _format_kwargs(others)
    return label


def _run_label(run):
    """Legend text: class, learning rate, other settings; SWATS' switch; a divergence."""
    label = settings_label(run.cls_name, run.optimizer, run.kwargs)
    if run.cls_name == "SWATS":
        switch = run.optimizer.switch_step
        label += " (no switch)" if switch is None else f" (SGD from step {switch})"
    if run.diverged_at is not None:
        label += f", diverged at step {run.diverged_at}"
    return label


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


def mark_landmarks(ax, info, start):
    """Draw the start (black dot), the minimum (gold star) and the surface's other points on ``ax``.

    They sit above the paths (``zorder`` 5), each labelled for a legend:
    ``plot_trajectories`` and the GIF of :mod:`minigrad.animation` mark them alike.
    """
    ax.plot(*start, "o", color="black", markersize=7, zorder=5, label="start")
    if info["minimum"] is not None:
        ax.plot(*info["minimum"][:2], "*", color="gold", markeredgecolor="black", markersize=15, zorder=5,
                label="minimum")
    for x, y, what in info.get("others", ()):
        ax.plot(x, y, "*" if what == "minimum" else "X", color="gold" if what == "minimum" else "white",
                markeredgecolor="black", markersize=15 if what == "minimum" else 10, zorder=5,
                label=None if what == "minimum" else what)


def _contour_levels(Z, f_min):
    """20 increasing contour levels for the grid values ``Z``, or None where ``Z`` is flat.

    Log-spaced above the minimum ``f_min`` where the surface is steep (they
    show both the valley floor and the walls), evenly spaced otherwise, up to
    the 98th percentile (or the top, when that is the bottom: a plateau).
    """
    height = Z - f_min
    top = np.nanpercentile(height, 98)
    if top > 0 and np.nanmin(height[height > 0]) < top / 100:
        return f_min + np.geomspace(max(top * 1e-4, np.nanmin(height[height > 0])), top, 20)
    low, high = np.nanmin(Z), f_min + top
    if not high > low:  # NOTE: a plateau over 98% of the grid: up to the top instead
        high = np.nanmax(Z)
    return np.linspace(low, high, 20) if high > low else None


def _loss_scale(ax_loss, runs, shift):
    """Scale the loss panel to the runs that did not diverge (all runs when every one diverged).

    NOTE: as in ``python -m minigrad compare``'s plot: a diverged run's last
    losses (4e12, say) would set the top and squash every other curve at
    the bottom; it runs off the top instead, and its legend entry says it
    diverged. A log scale spans at most 16 decades below the top.
    """
    steady = [r for r in runs if r.diverged_at is None] or runs
    shown = np.concatenate([r.losses for r in steady]) - shift
    shown = shown[np.isfinite(shown)]
    if shown.size == 0:
        return
    low, high = shown.min(), shown.max()
    if low > 0:
        ax_loss.set_yscale("log")
        # NOTE: 16 decades, float64's precision: where f* ≠ 0, f − f* below it is rounding; where
        # f* = 0 (the bowl) the values below are real, but would squash the curves above
        floor = high * 1e-16
        ax_loss.set_ylim(max(low, floor) / 2, high * 2)
        lowest = np.nanmin(np.concatenate([r.losses for r in runs]) - shift)
        if lowest < floor / 2:  # say so where curves leave the bottom
            ax_loss.text(0.98, 0.02, f"cut at {floor / 2:.0e}, 16 decades below the top; curves go on below",
                         transform=ax_loss.transAxes, ha="right", va="bottom", fontsize=8, color="0.3")
    else:
        pad = 0.05 * (high - low) or 1.0  # a constant loss gets a window around it
        ax_loss.set_ylim(low - pad, high + pad)


def _draw_trajectories(info, start, runs, path):
    """The figure of :func:`plot_trajectories`, from runs already made."""
    check_line_count(len(runs), "optimizers")
    steps = len(runs[0].path) - 1
    xlim, ylim = _window(info, runs)
    X, Y, Z = grid_values(info["fn"], xlim, ylim)

    fig = new_figure(12.5, 6.0)
    ax, ax_loss = fig.subplots(1, 2, width_ratios=[1.25, 1])
    f_min = info["minimum"][2] if info["minimum"] is not None else np.nanmin(Z)
    levels = _contour_levels(Z, f_min)
    if levels is not None:  # a flat surface has no contours to draw
        ax.contourf(X, Y, Z, levels=levels, cmap="Greys", alpha=0.3, extend="both")
        ax.contour(X, Y, Z, levels=levels, colors="0.6", linewidths=0.5, linestyles="solid")
    mark_landmarks(ax, info, start)
    mark = max(1, steps // 40)  # a marker every `mark` steps shows the step sizes
    for i, run in enumerate(runs):
        # NOTE: later lines are thinner, so a path hidden under a later one (Adam under SWATS) shows at its edges
        style = line_style(i)
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
    formula = FORMULAS.get(name, f"f = {name}(w)")
    ax.set_title(f"{name}: {formula}\n{steps} steps from ({start[0]:g}, {start[1]:g})")
    ax_loss.set_xlabel("step")
    if info["minimum"] is not None:
        ax_loss.set_ylabel(f"f − f*   (f* = {f_min:g})")
    else:
        ax_loss.set_ylabel("f")
    _loss_scale(ax_loss, runs, f_min if info["minimum"] is not None else 0.0)
    ax_loss.set_title("loss per step (same start, same budget)")
    ax_loss.grid(True, alpha=0.3)
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncol=4, fontsize=9,
               frameon=False)
    fig.minigrad_paths = {run.key: run.path for run in runs}
    fig.minigrad_losses = {run.key: run.losses for run in runs}
    save(fig, path)
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
    print(_printable(f"{name}: {FORMULAS.get(name, name)}, {steps} steps from ({start[0]:g}, {start[1]:g}){where}",
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
        print(f"plot: {file_name(path)}", file=file)
    return 0
