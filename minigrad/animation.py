"""Optimizer paths as an animation: the eight optimizers on a 2-D surface, step by step, with their state.

:func:`animate_trajectories` runs each optimizer exactly as
:func:`minigrad.viz.trajectories` does (the real ``minigrad.optim`` class,
gradients from ``backward``), records its state after every step, and draws
one frame per step (or per few steps): the paths so far on the contours,
and beside them what each optimizer carries from step to step — SGDM's
velocity v, Adagrad's sum s, RMSProp's and Adam's moving averages, AMSGrad's
maximum, RAdam's rectification r_t, SWATS' phase. Saved as a GIF with
Pillow, which matplotlib already needs.
"""

import os

import numpy as np

from .optim.radam import rectification
from .viz.optimizer_paths import check_count, check_start, mark_landmarks, optimizer_specs, settings_label
from .viz.plotting import COLORS, check_line_count, line_style, new_figure
from .viz.surfaces import grid_values, surface_info

__all__ = ["animate_trajectories", "state_text"]


def _pair(a):
    """A 2-vector as short text: (+0.12, -3.4e-05)."""
    return "(" + ", ".join(f"{x:+.2g}" for x in np.ravel(a)) + ")"


def state_text(optimizer, w):
    """What ``optimizer`` carries for parameter ``w`` after its last step, in one short line.

    Math::

        SGDM: v;  Adagrad: √s;  RMSProp: √v;  Adam: m, √v;  AMSGrad: m, √v_max
        RAdam: ρ_t and r_t = √[(ρ_t − 4)(ρ_t − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρ_t)], or "momentum step"
        SWATS: the phase, and its rate estimate Λ̂ = λ / (1 − β2^k) or the SGD rate Λ

    Examples
    --------
    >>> import numpy as np
    >>> from minigrad import nn, optim
    >>> from minigrad.animation import state_text
    >>> w = nn.Parameter(np.array([1.0, -1.0]))
    >>> opt = optim.SGDM([w], lr=0.1)
    >>> w.grad = np.array([1.0, 2.0]); opt.step()
    >>> state_text(opt, w)
    'v = (-0.1, -0.2)'
    """
    name, state = type(optimizer).__name__, optimizer.state.get(w, {})
    if not state and name != "SGD":
        return "no step yet"
    if name == "SGD":
        return "no state"
    if name == "SGDM":
        return f"v = {_pair(state['v'])}"
    if name == "Adagrad":
        return f"√s = {_pair(np.sqrt(state['s']))}"
    if name == "RMSProp":
        return f"√v = {_pair(np.sqrt(state['v']))}"
    if name == "Adam":
        return f"m = {_pair(state['m'])}, √v = {_pair(np.sqrt(state['v']))}"
    if name == "AMSGrad":
        return f"m = {_pair(state['m'])}, √v_max = {_pair(np.sqrt(state['v_max']))}"
    if name == "RAdam":
        group = optimizer.param_groups[0]
        rho, r = rectification(state["t"], group["betas"][1])
        if rho <= group["threshold"]:
            return f"ρ_t = {rho:.2f} ≤ {group['threshold']:g}: momentum step"
        return f"ρ_t = {rho:.1f}, r_t = {r:.3f}"
    if name == "SWATS":
        if optimizer.phase == "sgd":
            return f"SGD phase since step {optimizer.switch_step}, Λ = {optimizer.sgd_lr:.3g}"
        beta2 = optimizer.param_groups[0]["betas"][1]
        estimate = optimizer.lambda_ / (1 - beta2 ** optimizer.k) if optimizer.k else float("nan")
        return f"Adam phase, rate estimate {estimate:.3g}"
    return ""


def _run(fn, cls_name, kwargs, start, steps):
    """Path (steps + 1, 2) and state texts (steps + 1) of one optimizer; NaN after a divergence."""
    from . import optim
    from .nn import Parameter

    w = Parameter(np.array(start, dtype=np.float64))
    opt = getattr(optim, cls_name)([w], **kwargs)
    path, texts = np.full((steps + 1, 2), np.nan), ["start"] * (steps + 1)
    path[0] = w.data
    with np.errstate(all="ignore"):
        for k in range(1, steps + 1):
            opt.zero_grad()
            fn(w).backward()
            opt.step()
            if not (np.isfinite(w.data).all() and np.abs(w.data).max() < 1e6):
                texts[k:] = [f"diverged at step {k}"] * (steps + 1 - k)
                break
            path[k], texts[k] = w.data, state_text(opt, w)
    return path, texts, opt


def _window(info, paths):
    """The frames' (xlim, ylim): the surface's window grown as the still picture's is.

    The same rule as :func:`minigrad.viz.plot_trajectories`: every path that
    did not diverge is held whole, with its start; a diverged one only
    within one window size of the surface's window.
    """
    from types import SimpleNamespace

    from .viz.optimizer_paths import _window as still_window

    runs = [SimpleNamespace(path=p, diverged_at=None if np.isfinite(p).all() else 1) for p in paths]
    return still_window(info, runs)


def _gif_writer(fps):
    """A matplotlib movie writer for GIFs whose frames share one palette, the plot's colours in it.

    NOTE: a GIF frame holds at most 256 colours. Pillow picks them per frame,
    so as the paths grow a small patch of a rare colour is merged into a
    common one: the minimum's gold star turned SGDM's orange in later
    frames. Here every frame is mapped to one palette: the paths' colours,
    gold, black, white and the contours' grey exactly, the rest chosen from
    the last frame (which holds every path).
    """
    from matplotlib.animation import PillowWriter
    from matplotlib.colors import to_rgb
    from PIL import Image

    exact = [tuple(round(255 * c) for c in to_rgb(name))
             for name in [*COLORS, "gold", "black", "white", "0.7", "0.2"]]

    class SharedPaletteWriter(PillowWriter):
        def finish(self):
            frames = [frame.convert("RGB") for frame in self._frames]
            rest = frames[-1].quantize(256 - len(exact), dither=Image.Dither.NONE).getpalette()
            colours = [c for rgb in exact for c in rgb] + rest[:3 * (256 - len(exact))]
            palette = Image.new("P", (1, 1))
            palette.putpalette(colours + [0] * (768 - len(colours)))
            frames = [frame.quantize(palette=palette, dither=Image.Dither.NONE) for frame in frames]
            frames[0].save(self.outfile, save_all=True, append_images=frames[1:],
                           duration=int(1000 / self.fps), loop=0)

    return SharedPaletteWriter(fps=fps)


def _check_gif_path(path):
    """A name ending in ``.gif`` (any case): ValueError otherwise, TypeError for a non-path.

    NOTE: matplotlib would pick the format from the suffix: ``anim.png``
    became an animated PNG, and a name without a suffix an unclear error.
    """
    try:
        name = os.fsdecode(path)
    except TypeError:
        raise TypeError(f"path must be a file name (str or path-like), got {path!r}") from None
    if os.path.splitext(name)[1].lower() != ".gif":
        raise ValueError(f"path must end in .gif (the animation is written as a GIF), got {name!r}")


def animate_trajectories(surface="quadratic", optimizers=None, start=None, steps=None, path=None,
                         frames=80, fps=10):
    """Animate optimizers' paths on a 2-D surface, each frame showing every optimizer's state.

    Parameters
    ----------
    surface, optimizers, start, steps
        As in :func:`minigrad.viz.trajectories` (default: all eight from the
        surface's start, with its step budget and learning rates).
    path : str or path-like, optional
        Write the animation there as a GIF (Pillow); the name must end in
        ``.gif``. Without it, show the
        returned animation yourself (in Jupyter:
        ``IPython.display.HTML(anim.to_jshtml())``), or matplotlib warns
        that it was never drawn.
    frames : int, default 80
        At most this many frames (at least 2): steps spread evenly from the
        start to the last step, both included; every step when there are
        no more than ``frames``.
    fps : int, default 10
        Frames per second of the GIF (at least 1).

    Returns
    -------
    matplotlib.animation.FuncAnimation
        Its figure is ``.minigrad_figure``; the computed paths are
        ``.minigrad_paths`` (``{class name: (steps + 1, 2) array}``), the
        state lines ``.minigrad_states`` (``{class name: list of str}``) and
        the step each frame draws ``.minigrad_steps`` (list of int).

    Examples
    --------
    >>> import os, tempfile
    >>> from minigrad.animation import animate_trajectories
    >>> gif = os.path.join(tempfile.mkdtemp(), "paths.gif")
    >>> anim = animate_trajectories("quadratic", ["sgd", "radam"], steps=8, frames=4, path=gif)
    >>> anim.minigrad_states["RAdam"][-1]      # RAdam's 8th step: adaptive, at 4% of Adam's
    'ρ_t = 8.0, r_t = 0.039'
    """
    from matplotlib.animation import FuncAnimation

    info = surface_info(surface)
    start = check_start(info["start"] if start is None else start)
    steps = check_count("steps", info["steps"] if steps is None else steps)
    frames = check_count("frames", frames, least=2)   # NOTE: the start and the last step
    fps = check_count("fps", fps)
    if path is not None:
        _check_gif_path(path)
    specs = optimizer_specs(optimizers, info["lr"])
    check_line_count(len(specs), "optimizers")
    runs = {key: _run(info["fn"], cls_name, kwargs, start, steps) for key, cls_name, kwargs in specs}
    paths = {key: run[0] for key, run in runs.items()}
    # at most `frames` steps, evenly spread: spaced ≥ 1 apart, the rounded steps are distinct
    shown = [int(k) for k in np.linspace(0, steps, min(frames, steps + 1)).round()]

    fig = new_figure(12.0, 5.6)
    ax, ax_text = fig.subplots(1, 2, width_ratios=[1.0, 1.05])
    xlim, ylim = _window(info, paths.values())
    X, Y, Z = grid_values(info["fn"], xlim, ylim)
    low = info["minimum"][2] if info["minimum"] is not None else np.nanmin(Z)
    levels = low + np.geomspace(1e-3, max(np.nanpercentile(Z - low, 98), 2e-3), 18)
    ax.contour(X, Y, Z, levels=levels, colors="0.7", linewidths=0.6, linestyles="solid")
    mark_landmarks(ax, info, start)
    ax.legend(loc="lower left", fontsize=8, framealpha=0.9)  # the paths are named on the right
    ax.set(xlim=xlim, ylim=ylim, xlabel="x = w[0]", ylabel="y = w[1]")
    ax_text.axis("off")
    lines, dots, texts = {}, {}, {}
    # NOTE: eight optimizers get 0.12 of the panel each; more share it, in a smaller font
    gap, size = (0.12, 10) if len(specs) <= 8 else (0.95 / len(specs), 8)
    for i, (key, cls_name, kwargs) in enumerate(specs):
        style = line_style(i)
        lines[key], = ax.plot([], [], color=style["color"], linewidth=1.6, linestyle=style["linestyle"])
        dots[key], = ax.plot([], [], "o", color=style["color"], markersize=5)
        y = 0.95 - i * gap
        ax_text.text(0.0, y, settings_label(cls_name, runs[key][2], kwargs), color=style["color"], fontsize=size,
                     weight="bold", transform=ax_text.transAxes, va="top")
        texts[key] = ax_text.text(0.0, y - 0.42 * gap, "", color="0.2", fontsize=size - 1, family="monospace",
                                  transform=ax_text.transAxes, va="top")
    title = fig.suptitle("")

    def draw(k):
        for key, (p, states, _) in runs.items():
            lines[key].set_data(p[:k + 1, 0], p[:k + 1, 1])
            dots[key].set_data(p[k:k + 1, 0], p[k:k + 1, 1])
            texts[key].set_text(states[k])
        title.set_text(f"{info['name']}: step {k} of {steps}")
        return list(lines.values()) + list(dots.values()) + list(texts.values()) + [title]

    anim = FuncAnimation(fig, draw, frames=shown, blit=False)
    anim.minigrad_figure, anim.minigrad_paths, anim.minigrad_steps = fig, paths, shown
    anim.minigrad_states = {key: run[1] for key, run in runs.items()}
    if path is not None:
        anim.save(os.fspath(path), writer=_gif_writer(fps))
    return anim
