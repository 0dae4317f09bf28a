"""The "New Optimization" lecture's figures, each computed by running the real optimizers.

One function per figure; each returns ``(fig, data)``: the matplotlib Figure
and a dict of the NumPy arrays drawn in it (a :class:`FigureData`, whose
``repr`` is one line), so that a tutorial can reuse the numbers and a test
can check them against a direct optimizer run. Every
curve comes from ``minigrad.optim`` updating a ``minigrad.nn.Parameter``
whose gradient comes from ``backward``; the optimizers compared in one
figure share the start, the step budget and (unless said otherwise) the
learning rate, and the titles and legends state the settings.

=========================  =====================================================
function                   shows
=========================  =====================================================
:func:`momentum_figure`    SGD stops in a local minimum, SGDM rolls on to the
                           deeper one
:func:`adagrad_rmsprop_figure`  Adagrad's steps shrink for good after steep
                           gradients; RMSProp forgets them
:func:`adam_amsgrad_figure`  Reddi et al.'s online problem: Adam drifts to the
                           wrong end, AMSGrad does not
:func:`swats_figure`       SWATS' switch from Adam to SGD, on its path and in
                           its learning-rate estimate
:func:`radam_warmup_figure`  RAdam's step size over the first steps vs Adam's
=========================  =====================================================

:func:`lecture_figures` writes all five as PNG files. The module is also
importable as :mod:`minigrad.figures`, the name the README and the tutorials use.
"""

import math
import numbers

import numpy as np

from ..optim.radam import rectification
from .optimizer_paths import check_count, check_start
from .plotting import COLORS, new_figure, save
from .surfaces import beale, grid_values

__all__ = ["momentum_figure", "adagrad_rmsprop_figure", "adam_amsgrad_figure", "swats_figure",
           "radam_warmup_figure", "lecture_figures", "run_optimizer", "FigureData"]


def run_optimizer(name, loss, start, steps, before_step=None, after_step=None, **kwargs):
    """Run ``steps`` updates of ``minigrad.optim.<name>`` on ``loss`` and record every point.

    Math::

        w_0 = start;   for t = 1 … steps:  g_t = ∇ loss(w_{t−1}, t) (by backward),  w_t = step(w_{t−1}, g_t)

    Parameters
    ----------
    name : str
        The optimizer's class name in :mod:`minigrad.optim` (``"SGDM"``).
    loss : callable
        ``loss(w, t)`` → a one-element Tensor, written with minigrad ops;
        ``w`` is a float64 Parameter shaped like ``start``, t counts from 1.
    start : float or sequence of float
        The starting point.
    steps : int
        The number of updates, at least 1.
    before_step : callable, optional
        ``before_step(optimizer, t)`` before update t (to set a learning-rate schedule).
    after_step : callable, optional
        ``after_step(w, optimizer, t)`` after update t (to project w back into a set).
    **kwargs
        The optimizer's hyper-parameters.

    Returns
    -------
    path : ndarray, shape (steps + 1,) + shape of start
        ``path[t]`` is w after t updates.
    grads : ndarray, shape (steps,) + shape of start
        ``grads[t − 1]`` is the gradient used by update t.
    optimizer : Optimizer
        The optimizer after the run (SWATS' ``switch_step``, state, …).

    Examples
    --------
    >>> from minigrad.figures import run_optimizer
    >>> path, grads, opt = run_optimizer("SGD", lambda w, t: (w * w).sum(), 1.0, 2, lr=0.25)
    >>> path                      # w ← w − 0.25·2w = w/2
    array([1.  , 0.5 , 0.25])
    """
    from .. import optim
    from ..nn import Parameter

    from ..optim.optimizer import Optimizer

    cls = getattr(optim, name, None)
    if not (isinstance(cls, type) and issubclass(cls, Optimizer)):  # NOTE: optim.adam is a module
        known = [n for n in optim.__all__ if isinstance(getattr(optim, n), type)
                 and issubclass(getattr(optim, n), Optimizer) and n != "Optimizer"]
        raise ValueError(f"run_optimizer: {name!r} is not an optimizer class of minigrad.optim; "
                         f"the names are {', '.join(known)} (their case)")
    steps = check_count("steps", steps)
    w = Parameter(np.array(start, dtype=np.float64))
    opt = cls([w], **kwargs)
    path = np.empty((steps + 1,) + w.shape)
    grads = np.empty((steps,) + w.shape)
    path[0] = w.data
    for t in range(1, steps + 1):
        if before_step is not None:
            before_step(opt, t)
        opt.zero_grad()
        loss(w, t).backward()
        grads[t - 1] = w.grad
        opt.step()
        if after_step is not None:
            after_step(w, opt, t)
        path[t] = w.data
    return path, grads, opt


class FigureData(dict):
    """The arrays a figure drew, by name: a ``dict`` whose ``repr`` gives each array's shape, not its numbers.

    So ``momentum_figure(path="m.png")`` echoes one short line in ``python -i``;
    ``data["SGD"]`` is the full array.

    Examples
    --------
    >>> FigureData({"x": np.zeros(400), "switch_step": 32})
    {'x': <array (400,) float64>, 'switch_step': 32}
    """

    def __repr__(self):
        items = (f"{k!r}: <array {v.shape} {v.dtype}>" if isinstance(v, np.ndarray) else f"{k!r}: {v!r}"
                 for k, v in self.items())
        return "{" + ", ".join(items) + "}"


def _check_x(name, x):
    """``x`` as a float: TypeError unless a real number (``[1.0]`` is not), ValueError unless finite."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{name} must be a number, got {x!r}")
    if not math.isfinite(x):
        raise ValueError(f"{name} must be finite, got {x!r}")
    return float(x)


def _style(ax, xlabel, ylabel, title=None):
    """Label ``ax`` (and title it), with a light grid."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.grid(True, alpha=0.3)


# =========================================================================
# SGD vs SGDM: momentum carries on through a local minimum
# =========================================================================


def _tilted_double_well(w):
    """f = (x² − 1)² − 0.3·x: a local minimum near x = −0.96, the global one near x = 1.04."""
    return ((w * w - 1) ** 2 - 0.3 * w).sum()


def momentum_figure(lr=0.01, momentum=0.9, start=-1.8, steps=150, path=None):
    """SGD vs SGD with momentum on a tilted double well: plain SGD settles in the first dip.

    Math::

        f(x) = (x² − 1)² − 0.3·x
        SGD:   x ← x − η·f'(x)
        SGDM:  v ← λ·v − η·f'(x),   x ← x + v

    Both start at ``start`` with the same η and the same number of steps.
    SGD stops in the local minimum near −0.96; the velocity SGDM gathers
    on the way down carries it over the bump to the deeper minimum near
    1.04. (Momentum is no guarantee: with a larger η or start the same
    velocity can overshoot and roll back; the figure states its settings.)

    Parameters
    ----------
    lr : float, default 0.01
        η, shared by both.
    momentum : float, default 0.9
        λ of SGDM.
    start : float, default -1.8
        x₀.
    steps : int, default 150
        Updates per optimizer.
    path : str or path-like, optional
        Save the figure there.

    Returns
    -------
    fig : matplotlib.figure.Figure
        Left: f with the iterates of both; right: x per step.
    data : dict
        ``"x"``, ``"f"`` (the curve), ``"SGD"``, ``"SGDM"`` (x after each
        step, shape (steps + 1,)), ``"f_SGD"``, ``"f_SGDM"`` (f there).

    Examples
    --------
    >>> from minigrad.figures import momentum_figure
    >>> fig, data = momentum_figure()
    >>> round(float(data["SGD"][-1]), 2), round(float(data["SGDM"][-1]), 2)    # local vs global minimum
    (-0.96, 1.04)
    """
    start = _check_x("start", start)
    runs = {"SGD": run_optimizer("SGD", lambda w, t: _tilted_double_well(w), [start], steps, lr=lr)[0][:, 0],
            "SGDM": run_optimizer("SGDM", lambda w, t: _tilted_double_well(w), [start], steps, lr=lr,
                                  momentum=momentum)[0][:, 0]}
    f = lambda x: (x * x - 1) ** 2 - 0.3 * x  # noqa: E731  (the same f, on arrays, for drawing)
    x = np.linspace(-2.0, 2.0, 400)
    data = {"x": x, "f": f(x)}
    fig = new_figure(12, 4.6)
    ax, ax_t = fig.subplots(1, 2)
    ax.plot(x, data["f"], color="0.3", linewidth=1.5, label="f(x) = (x² − 1)² − 0.3x")
    settings = {"SGD": f"SGD, lr={lr:g}", "SGDM": f"SGDM, lr={lr:g}, momentum={momentum:g}"}
    for i, (name, xs) in enumerate(runs.items()):
        data[name], data["f_" + name] = xs, f(xs)
        ax.plot(xs, f(xs), "o", color=COLORS[i], markersize=4, alpha=0.6,
                label=f"{settings[name]}: ends at x = {xs[-1]:.2f}")
        ax_t.plot(np.arange(steps + 1), xs, color=COLORS[i], linewidth=2, label=settings[name])
    ax.plot(start, f(start), "o", color="black", markersize=8, label=f"start x = {start:g}")
    ax.set_ylim(-1.0, max(3.0, f(start) + 0.5))
    _style(ax, "x", "f(x)", "the iterates on the loss curve")
    ax.legend(fontsize=9, loc="upper center")
    for x_min, text in ((-0.96, "local minimum"), (1.04, "global minimum")):
        ax_t.axhline(x_min, color="0.5", linestyle=":", linewidth=1)
        ax_t.text(steps, x_min, text, ha="right", va="bottom", fontsize=9, color="0.35")
    _style(ax_t, "step", "x", f"x per step ({steps} steps each, same start)")
    ax_t.legend(fontsize=9, loc="center right")
    fig.suptitle("Momentum carries SGD over a bump it would stop at")
    save(fig, path)
    return fig, FigureData(data)


# =========================================================================
# Adagrad vs RMSProp: a sum that only grows vs a moving average
# =========================================================================


def _cliff_then_slope(w):
    """10·log(1 + e^(−x)) + 0.1·√(1 + (x − 5)²): gradient −10 to −5 for x < 0, then gentle."""
    return (10 * (1 + (-w).exp()).log() + 0.1 * (1 + (w - 5) ** 2).sqrt()).sum()


def adagrad_rmsprop_figure(lr=0.2, start=-2.0, steps=120, path=None):
    """Adagrad's steps shrink for good; RMSProp's average forgets the steep start.

    Math::

        f(x) = 10·log(1 + e^(−x)) + 0.1·√(1 + (x − 5)²)        (steep for x < 0, then gentle)
        Adagrad:  s ← s + g²,            x ← x − η·g / (√s + ε)
        RMSProp:  v ← α·v + (1 − α)·g²,  x ← x − η·g / (√v + ε)

    Both take the same η from the same start. Adagrad's sum s keeps every
    steep early gradient, so its step η·|g|/√s falls like 1/√t and stays
    small on the gentle slope; RMSProp's v forgets them within about
    1/(1 − α) steps and its step stays near η until the minimum. (Run
    longer and RMSProp's step grows back after it has converged: its v
    decays with the vanishing gradient, so g/√v is no longer small. A
    constant η does not let it settle.)

    Parameters
    ----------
    lr : float, default 0.2
        η, shared by both.
    start : float, default -2.0
        x₀ (on the steep part).
    steps : int, default 120
        Updates per optimizer.
    path : str or path-like, optional
        Save the figure there.

    Returns
    -------
    fig : matplotlib.figure.Figure
        Left: x per step; right: the step size |x_t − x_{t−1}| (log scale).
    data : dict
        ``"Adagrad"``, ``"RMSProp"`` (x after each step, shape (steps + 1,)),
        ``"step_Adagrad"``, ``"step_RMSProp"`` (|Δx| per step, shape
        (steps,)), ``"minimum"`` (x where f is lowest).

    Examples
    --------
    >>> from minigrad.figures import adagrad_rmsprop_figure
    >>> fig, data = adagrad_rmsprop_figure(steps=60)
    >>> bool(data["step_Adagrad"][-1] < data["step_RMSProp"][-1] / 3)    # same lr
    True
    """
    start = _check_x("start", start)
    data = {}
    for name in ("Adagrad", "RMSProp"):
        xs = run_optimizer(name, lambda w, t: _cliff_then_slope(w), [start], steps, lr=lr)[0][:, 0]
        data[name], data["step_" + name] = xs, np.abs(np.diff(xs))
    grid = np.linspace(-3.0, 8.0, 20001)
    f = 10 * np.log1p(np.exp(-grid)) + 0.1 * np.sqrt(1 + (grid - 5) ** 2)
    data["minimum"] = float(grid[np.argmin(f)])
    fig = new_figure(12, 4.6)
    ax, ax_s = fig.subplots(1, 2)
    t = np.arange(steps + 1)
    ax.axhspan(min(start, -0.5) - 0.5, 0, color="#f4d6d6", alpha=0.5, label="steep part (x < 0): |g| from 10 to 5")
    ax.axhline(data["minimum"], color="0.4", linestyle=":", label=f"minimum x = {data['minimum']:.2f}")
    for i, name in enumerate(("Adagrad", "RMSProp")):
        ax.plot(t, data[name], color=COLORS[i + 2], linewidth=2, label=f"{name}, lr={lr:g}")
        ax_s.plot(t[1:], data["step_" + name], color=COLORS[i + 2], linewidth=2, label=f"{name}, lr={lr:g}")
    ax.set_ylim(min(start, -0.5) - 0.5, data["minimum"] + 1.0)
    _style(ax, "step", "x", f"x per step (same start x = {start:g}, {steps} steps)")
    ax.legend(fontsize=9, loc="lower right")
    ax_s.plot(t[1:], lr / np.sqrt(t[1:]), color="0.5", linestyle="--", linewidth=1, label="lr/√t")
    ax_s.set_yscale("log")
    _style(ax_s, "step", "step size |x_t − x_(t−1)|", "step size per step")
    ax_s.legend(fontsize=9, loc="lower left")
    fig.suptitle("Adagrad's step shrinks for good; RMSProp's moving average forgets the steep start")
    save(fig, path)
    return fig, FigureData(data)


# =========================================================================
# Adam vs AMSGrad on Reddi, Kale and Kumar's online problem
# =========================================================================


def _reddi_gradient(t):
    """The slope of f_t(x) = c_t·x: 1010 when t mod 101 = 1, else −10 (optimum x = −1 on [−1, 1])."""
    return 1010.0 if t % 101 == 1 else -10.0


def adam_amsgrad_figure(alpha=1.0, betas=(0.9, 0.99), steps=5000, path=None):
    """Adam vs AMSGrad on Reddi et al.'s online counter-example: Adam drifts to the wrong end.

    Math::

        f_t(x) = 1010·x  if t mod 101 = 1,  else −10·x,   x ∈ [−1, 1]
        η_t = α/√t;   after each step x ← clip(x, −1, 1)
        best fixed point x = −1 (over each 101 steps the slopes sum to 1010 − 1000 = 10 > 0)

    The rare large gradient is what matters, but Adam's v forgets it within about
    1/(1 − β2) = 100 steps, so the 100 small steps that push x up are as
    large as the one that pushes it down: x drifts to +1. AMSGrad's v_max
    keeps the large value and its upward steps stay small. Both start at
    x = 0 with the same α, β and schedule; the settings are the paper's
    (Section 5).

    Parameters
    ----------
    alpha : float, default 1.0
        α of the schedule η_t = α/√t (set on the optimizer's param group).
    betas : (float, float), default (0.9, 0.99)
        (β1, β2) of both.
    steps : int, default 5000
        Online steps (one f_t each).
    path : str or path-like, optional
        Save the figure there.

    Returns
    -------
    fig : matplotlib.figure.Figure
        x_t of both (thin) and its mean over each 101-step period (thick).
    data : dict
        ``"Adam"``, ``"AMSGrad"`` (x after each step, shape (steps + 1,)),
        ``"period_mean_Adam"``, ``"period_mean_AMSGrad"`` (the mean of
        x_1 … x_101, x_102 … x_202, …: shape (steps // 101,)).

    References
    ----------
    .. [1] S. J. Reddi, S. Kale, S. Kumar, "On the Convergence of Adam and
       Beyond", ICLR 2018.

    Examples
    --------
    >>> from minigrad.figures import adam_amsgrad_figure
    >>> fig, data = adam_amsgrad_figure(steps=3000)
    >>> bool(data["period_mean_Adam"][-1] > 0.5), bool(data["period_mean_AMSGrad"][-1] < 0)
    (True, True)
    """
    def schedule(opt, t):
        opt.param_groups[0]["lr"] = alpha / math.sqrt(t)    # η_t = α/√t

    def project(w, opt, t):
        np.clip(w.data, -1.0, 1.0, out=w.data)               # x ← clip(x, −1, 1)

    periods = check_count("steps", steps) // 101
    if periods < 1:
        raise ValueError(f"adam_amsgrad_figure needs steps >= 101 (one period of the problem), got {steps}")
    data = {}
    for name in ("Adam", "AMSGrad"):
        xs = run_optimizer(name, lambda w, t: (w * _reddi_gradient(t)).sum(), [0.0], steps,
                           before_step=schedule, after_step=project, lr=alpha, betas=tuple(betas))[0][:, 0]
        data[name] = xs
        data["period_mean_" + name] = xs[1:periods * 101 + 1].reshape(periods, 101).mean(axis=1)
    fig = new_figure(11, 4.8)
    ax = fig.subplots()
    t = np.arange(steps + 1)
    ends = 101 * np.arange(1, periods + 1)
    label = f"α={alpha:g}, β1={betas[0]:g}, β2={betas[1]:g}"
    for i, name in enumerate(("Adam", "AMSGrad")):
        color = COLORS[4 + i]
        ax.plot(t, data[name], color=color, linewidth=0.7, alpha=0.6, label=f"{name} x_t ({label})")
        ax.plot(ends, data["period_mean_" + name], color=color, linewidth=2.5, marker="o", markersize=3,
                label=f"{name}, mean x over each 101-step period (last {data['period_mean_' + name][-1]:+.2f})")
    ax.axhline(-1.0, color="0.2", linestyle=":", label="optimum x = −1")
    ax.set_ylim(-1.1, 1.1)
    _style(ax, "step t", "x_t",
           f"Both start at x = 0 with lr_t = α/√t for {steps} steps; x is clipped to [−1, 1] after each step")
    ax.legend(fontsize=9, loc="center right")
    fig.suptitle("Reddi et al.'s online problem, f_t(x) = 1010x once every 101 steps, else −10x: "
                 "Adam drifts to the wrong end")
    save(fig, path)
    return fig, FigureData(data)


# =========================================================================
# SWATS: Adam until its step looks like an SGD step, then SGD
# =========================================================================


def swats_figure(lr=0.05, eps=1e-6, start=(1.0, 1.5), steps=400, path=None):
    """SWATS on Beale's function: the switch from Adam to SGD, on its path and in its rate estimate.

    Math::

        Adam phase, step k with Adam step p_k and gradient g_k:
            γ_k = (p_k·p_k) / (−p_k·g_k)          the SGD rate whose step −γ·g projects onto p_k
            λ_k = β2·λ_(k−1) + (1 − β2)·γ_k,   Λ̂_k = λ_k / (1 − β2^k)
        switch when |Λ̂_k − γ_k| < ε; then SGD with momentum β1 and rate (1 − β1)·Λ̂

    SWATS and Adam run with the same η and ε from the same start. The
    switch test is absolute (``eps`` is its tolerance as well as Adam's ε):
    at the default ε = 1e-9 it does not fire here within 500 steps, so this
    figure uses ε = 1e-6, which leaves Adam's steps unchanged to about 1e-6
    where gradients are of order 1.

    Parameters
    ----------
    lr : float, default 0.05
        η of both.
    eps : float, default 1e-6
        ε of both (and SWATS' switch tolerance).
    start : (float, float), default (1.0, 1.5)
        The starting point.
    steps : int, default 400
        Updates per optimizer.
    path : str or path-like, optional
        Save the figure there.

    Returns
    -------
    fig : matplotlib.figure.Figure
        Left: both paths on the contours, the switch marked; right: γ_k and
        Λ̂_k per step until the switch, and the SGD rate after it.
    data : dict
        ``"SWATS"``, ``"Adam"`` (the points, shape (steps + 1, 2)),
        ``"gamma"``, ``"rate"`` (γ_k and Λ̂_k for k = 1 … switch step, or
        all steps if it never switches), ``"switch_step"`` (int or None),
        ``"sgd_lr"`` (Λ, or None).

    Examples
    --------
    >>> from minigrad.figures import swats_figure
    >>> fig, data = swats_figure(steps=50)
    >>> data["switch_step"], round(data["sgd_lr"], 5)
    (32, 0.00291)
    """
    start = check_start(start)
    swats_path, grads, opt = run_optimizer("SWATS", lambda w, t: beale(w), list(start), steps, lr=lr, eps=eps)
    adam_path = run_optimizer("Adam", lambda w, t: beale(w), list(start), steps, lr=lr, eps=eps)[0]
    beta2 = opt.param_groups[0]["betas"][1]
    k_end = opt.switch_step or steps
    p = np.diff(swats_path[:k_end + 1], axis=0)                      # Adam's steps p_k
    gamma = (p * p).sum(axis=1) / -(p * grads[:k_end]).sum(axis=1)   # γ_k = p·p / (−p·g)
    lam = np.empty(k_end)
    running = 0.0
    for k in range(k_end):
        running = beta2 * running + (1 - beta2) * gamma[k]           # λ ← β2·λ + (1 − β2)·γ
        lam[k] = running / (1 - beta2 ** (k + 1))                    # Λ̂ = λ / (1 − β2^k)
    data = {"SWATS": swats_path, "Adam": adam_path, "gamma": gamma, "rate": lam,
            "switch_step": opt.switch_step, "sgd_lr": opt.sgd_lr}

    fig = new_figure(12.5, 5.2)
    ax, ax_r = fig.subplots(1, 2, width_ratios=[1.15, 1])
    X, Y, Z = grid_values(beale, (0.0, 3.6), (-0.6, 1.8))
    ax.contour(X, Y, Z, levels=np.geomspace(1e-2, 60, 18), colors="0.65", linewidths=0.6,
               linestyles="solid")
    settings = f"lr={lr:g}, eps={eps:g}"
    ax.plot(adam_path[:, 0], adam_path[:, 1], color=COLORS[4], linewidth=1.8, linestyle="--",
            label=f"Adam, {settings} (same path until the switch)")
    switch = opt.switch_step
    if switch is None:
        ax.plot(swats_path[:, 0], swats_path[:, 1], color=COLORS[6], linewidth=1.8,
                label=f"SWATS, {settings} (no switch)")
    else:
        ax.plot(swats_path[:switch + 1, 0], swats_path[:switch + 1, 1], color=COLORS[6], linewidth=2.5,
                label=f"SWATS, {settings}: Adam phase")
        ax.plot(swats_path[switch:, 0], swats_path[switch:, 1], color=COLORS[3], linewidth=2.5,
                label=f"SWATS: SGD phase, rate Λ = {opt.sgd_lr:.3g}")
        ax.plot(*swats_path[switch], "s", color="white", markeredgecolor="black", markersize=9, zorder=5,
                label=f"switch after step {switch}")
    ax.plot(*start, "o", color="black", markersize=7, label="start")
    ax.plot(3.0, 0.5, "*", color="gold", markeredgecolor="black", markersize=15, label="minimum (3, 0.5)")
    ax.set_xlim(0.0, 3.6)
    ax.set_ylim(-0.6, 1.8)
    _style(ax, "x = w[0]", "y = w[1]", f"Beale's function, {steps} steps each")
    ax.legend(fontsize=8.5, loc="upper right")

    ks = np.arange(1, k_end + 1)
    ax_r.plot(ks, gamma, color=COLORS[6], linewidth=1.2, alpha=0.8, label="γ_k: SGD rate matching Adam's step")
    ax_r.plot(ks, lam, color=COLORS[0], linewidth=2, label="Λ̂_k: its bias-corrected running mean")
    if switch is not None:
        ax_r.plot([switch, steps], [opt.sgd_lr, opt.sgd_lr], color=COLORS[3], linewidth=2.5,
                  label=f"SGD phase: Λ = {opt.sgd_lr:.3g} (step (1 − β1)·Λ·v)")
        ax_r.axvline(switch, color="0.3", linestyle=":", label=f"switch: |Λ̂ − γ| < eps at step {switch}")
    ax_r.set_yscale("log")
    ax_r.set_xscale("log")
    _style(ax_r, "step k (log scale)", "learning rate", "SWATS' learning-rate estimate")
    ax_r.legend(fontsize=8.5, loc="lower right")
    fig.suptitle("SWATS: Adam first, then SGD with momentum at the rate Adam's steps suggested")
    save(fig, path)
    return fig, FigureData(data)


# =========================================================================
# RAdam's warm-up: the rectification r_t vs Adam's full step from the start
# =========================================================================


def radam_warmup_figure(lr=0.01, steps=300, noise=1.0, seed=0, path=None):
    """RAdam's warm-up: its step size over the first steps next to Adam's, on the same gradients.

    Math::

        loss_t(x) = g_t·x  with g_t = 1 + noise·ξ_t, ξ_t ~ N(0, 1)   (the same g_t for both)
        Adam:   x ← x − η·m̂ / (√v̂ + ε)                        from step 1
        RAdam:  x ← x − η·m̂                                     while ρ_t ≤ 5 (t ≤ 5 for β2 = 0.999)
                x ← x − η·r_t·m̂·√(1 − β2^t) / (√v + ε)          after, r_t rising from 0 towards 1

    Both see the same gradients (the loss is linear, so the gradient does
    not depend on x), with the same η and default betas: any difference in
    step size is the rule's. Adam's steps are full-sized (≈ η) from the
    first one, when v̂ rests on a handful of samples; RAdam takes plain
    momentum steps η·|m̂| for five steps, then scales Adam's step by r_t,
    which starts near 0.03 and approaches 1 only over about 1/(1 − β2)
    steps: a built-in learning-rate warm-up.

    Parameters
    ----------
    lr : float, default 0.01
        η of both.
    steps : int, default 300
        Updates per optimizer.
    noise : float, default 1.0
        Standard deviation of the gradient noise.
    seed : int, default 0
        Seed of the noise.
    path : str or path-like, optional
        Save the figure there.

    Returns
    -------
    fig : matplotlib.figure.Figure
        Left: the step size |Δx| per step of both; right: RAdam's step over
        Adam's next to r_t, up to 10,000 steps.
    data : dict
        ``"gradient"`` (g_t, shape (steps,)), ``"Adam"``, ``"RAdam"`` (x
        after each step, shape (steps + 1,)), ``"step_Adam"``,
        ``"step_RAdam"`` (|Δx|, shape (steps,)), ``"t"``, ``"r"`` (r_t for
        t = 1 … 10,000; NaN while ρ_t ≤ 5, where RAdam takes momentum steps).

    Examples
    --------
    >>> from minigrad.figures import radam_warmup_figure
    >>> fig, data = radam_warmup_figure(steps=10)
    >>> bool(data["step_RAdam"][5] < 0.1 * data["step_Adam"][5])     # step 6: r_6 ≈ 0.03
    True
    """
    from ..tensor import Tensor

    steps = check_count("steps", steps)
    g = 1.0 + noise * np.random.default_rng(seed).standard_normal(steps)
    data = {"gradient": g}
    for name in ("Adam", "RAdam"):
        xs = run_optimizer(name, lambda w, t: (w * Tensor(g[t - 1:t])).sum(), [0.0], steps, lr=lr)[0][:, 0]
        data[name], data["step_" + name] = xs, np.abs(np.diff(xs))
    beta2 = 0.999
    data["t"] = np.arange(1, 10_001)
    rho, r = rectification(data["t"].astype(np.float64), beta2)
    data["r"] = np.where(rho > 5, r, np.nan)  # minigrad's RAdam (threshold 5, as PyTorch) uses r_t only there
    first_adaptive = int(np.argmax(rho > 5)) + 1

    fig = new_figure(12, 4.8)
    ax, ax_r = fig.subplots(1, 2)
    t = np.arange(1, steps + 1)
    ax.plot(t, data["step_Adam"], color=COLORS[4], linewidth=1.6, label=f"Adam, lr={lr:g}")
    ax.plot(t, data["step_RAdam"], color=COLORS[7], linewidth=1.6, label=f"RAdam, lr={lr:g}")
    ax.axvline(first_adaptive, color="0.3", linestyle=":",
               label=f"RAdam's first adaptive step (t = {first_adaptive}, ρ_t > 5)")
    ax.axhline(lr, color="0.5", linestyle="--", linewidth=1, label="lr")
    ax.set_yscale("log")
    ax.set_xscale("log")
    low = np.nanmin(np.concatenate([data["step_Adam"], data["step_RAdam"]]))
    ax.set_ylim(low / 8, lr * 2)  # room for the legend below the curves
    _style(ax, "step t (log scale)", "step size |x_t − x_(t−1)|",
           f"step sizes on the same noisy gradients (g = 1 ± {noise:g})")
    ax.legend(fontsize=9, loc="lower right")
    ratio = data["step_RAdam"] / data["step_Adam"]
    ax_r.plot(data["t"], data["r"], color="0.2", linewidth=2, label="r_t (β2 = 0.999)")
    ax_r.plot(t[first_adaptive - 1:], ratio[first_adaptive - 1:], "o", color=COLORS[7], markersize=2.5,
              label="RAdam step / Adam step, measured")
    ax_r.set_xscale("log")
    ax_r.set_ylim(0, 1.05)
    _style(ax_r, "step t (log scale)", "r_t", "the rectification r_t: a warm-up over ~1/(1 − β2) steps")
    ax_r.legend(fontsize=9, loc="upper left")
    fig.suptitle("RAdam: momentum steps first, then Adam's step scaled by r_t, which rises from 0.03 to 1")
    save(fig, path)
    return fig, FigureData(data)


def lecture_figures(directory, steps_scale=1.0, only=None):
    """Write the five lecture figures as PNG files into ``directory`` (created if missing).

    Parameters
    ----------
    directory : str or path-like
        Where to write ``momentum.png``, ``adagrad_rmsprop.png``,
        ``adam_amsgrad.png``, ``swats.png`` and ``radam_warmup.png``.
    steps_scale : float, default 1.0
        Multiply every figure's default number of steps (for quick previews).
    only : list of str, optional
        Write only these files (names as above).

    Returns
    -------
    list of str
        The files written, in the order above. (Each figure's Figure and
        arrays come from its own function, e.g. :func:`momentum_figure`: a
        list of paths keeps ``python -i`` from echoing every array.)

    Examples
    --------
    >>> import os, tempfile
    >>> from minigrad.figures import lecture_figures
    >>> paths = lecture_figures(tempfile.mkdtemp(), steps_scale=0.1, only=["momentum.png"])
    >>> [os.path.basename(p) for p in paths]
    ['momentum.png']
    """
    import os

    def steps(n):
        return max(1, int(round(n * steps_scale)))

    made = {
        "momentum.png": lambda p: momentum_figure(steps=steps(150), path=p),
        "adagrad_rmsprop.png": lambda p: adagrad_rmsprop_figure(steps=steps(120), path=p),
        "adam_amsgrad.png": lambda p: adam_amsgrad_figure(steps=max(202, steps(5000)), path=p),
        "swats.png": lambda p: swats_figure(steps=steps(400), path=p),
        "radam_warmup.png": lambda p: radam_warmup_figure(steps=steps(300), path=p),
    }
    if isinstance(only, str):  # NOTE: else its letters would be taken for the names
        only = [only]
    if not (isinstance(steps_scale, (int, float)) and not isinstance(steps_scale, bool) and steps_scale > 0):
        raise ValueError(f"steps_scale must be a number > 0, got {steps_scale!r}")
    if only is not None:
        unknown = set(only) - set(made)
        if unknown:
            raise ValueError(f"unknown figures {sorted(unknown)}; known: {', '.join(made)}")
        made = {name: make for name, make in made.items() if name in only}
    os.makedirs(directory, exist_ok=True)
    paths = []
    for name, make in made.items():
        paths.append(os.path.join(os.fspath(directory), name))
        make(paths[-1])
    return paths
