# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.7
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 04 · New Optimization: eight optimizers, from the lecture to the code
#
# This notebook follows the "New Optimization" lecture through its eight
# optimizers: **SGD, SGDM, Adagrad, RMSProp, Adam, AMSGrad, SWATS and RAdam**.
# For each one:
#
# 1. the lecture's formula and the idea behind it;
# 2. where the lecture's formula is imprecise, and what minigrad does instead
#    (each decision and its evidence is in the Notes of the optimizer's
#    docstring: `help(optim.RMSProp)`);
# 3. minigrad's `_update` method, read with `inspect.getsource`;
# 4. a check: the formula transcribed into a few lines of NumPy must give the
#    same path as the minigrad class (an `assert`, over 50 steps);
# 5. its path on a 2-D surface next to its predecessor's, and the lecture's
#    figure for it.
#
# It ends with all eight training the same network on scikit-learn's digits.

# %%
# %matplotlib inline
import inspect
import math
import os
import time

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import datasets, figures, nn, optim, viz

FAST = os.environ.get("MINIGRAD_TUTORIAL_FAST") == "1"  # set by the test suite: fewer epochs at the end


def show(obj):
    """Show the source of a minigrad object (read with inspect, so text and code never drift apart)."""
    display(Markdown(f"```python\n{inspect.getsource(obj)}```"))


# %% [markdown]
# ## 1. Notation, and the one loop they all share
#
# | symbol | meaning |
# | --- | --- |
# | $\theta_t$ | the parameters after $t$ updates ($\theta_0$: the start) |
# | $g_t$ | the gradient used by update $t$: $g_t = \nabla L(\theta_{t-1})$ |
# | $\eta$ | the learning rate |
# | $m_t$ | a momentum: a moving average of past gradients (the lecture's *first moment*) |
# | $v_t$ | a moving average (or sum) of past **squared** gradients (the *second moment*) |
#
# Every operation is elementwise: each coordinate of $\theta$ gets its own
# $m$, $v$ and, for the adaptive methods, its own effective step size.
#
# NOTE: the lecture counts from the gradient at $\theta_0$ and writes
# $g_{t-1} = \nabla L(\theta_{t-1})$ for the gradient that computes
# $\theta_t$. minigrad's docstrings (and PyTorch's) count updates from 1 and
# call that same gradient $g_t$. Same algorithms, indices shifted by one; the
# bias corrections $1 - \beta^t$ below use the number of updates so far
# ($t = 1$ at the first).
#
# In minigrad every optimizer shares one `step()`, in the base class: it
# skips parameters without a gradient, adds L2 weight decay if asked, creates
# the per-parameter state on first use (`_init_state`), and calls `_update`,
# the method that holds each optimizer's rule. (Two small hooks come up
# later: AMSGrad's `_second_moment` and SWATS' `_after_step`.) The code
# below has two more paths to the same `_update`: Adam, AMSGrad and RAdam
# (`foreach`, on by default for them) join a small group's parameters end
# to end and update them in one call (`minigrad/optim/foreach.py`), and
# every optimizer but SWATS updates a large parameter in blocks
# (`minigrad/optim/blocks.py`); each element gets the same formula either way.

# %%
show(optim.Optimizer.step)

# %% [markdown]
# Our test bench is the ill-conditioned bowl $f(x, y) = (x^2 + 20 y^2)/2$
# (`viz.quadratic`): the gradient $(x, 20y)$ is 20 times steeper along $y$
# than along $x$, which is exactly what the adaptive methods below are
# designed for. Two helpers: one runs a NumPy transcription of a formula on
# it, the other runs the minigrad class on it through `viz.trajectories`
# (a float64 `Parameter`, gradients from `backward`).

# %%
START = (-3.0, 1.2)


def quad_grad(theta):
    """∇f for f = (x² + 20y²)/2."""
    return np.array([theta[0], 20 * theta[1]])


def numpy_path(rule, steps=50, start=START, grad=quad_grad, state=None, **settings):
    """Iterate θ_t = rule(θ_{t-1}, g_t, state, t, **settings) from `start`; return every θ_t (row t)."""
    theta, state = np.array(start, dtype=np.float64), {} if state is None else state
    path = [theta.copy()]
    for t in range(1, steps + 1):
        theta = rule(theta, grad(theta), state, t, **settings)
        path.append(theta.copy())
    return np.array(path)


def minigrad_path(name, steps=50, start=START, **kwargs):
    """The same run with minigrad.optim.<name> (class name, e.g. "SGDM")."""
    return viz.trajectories("quadratic", [(name, kwargs)], start=start, steps=steps)[name]


# %% [markdown]
# ## 2. SGD
#
# **Lecture:** $\theta_t = \theta_{t-1} - \eta\, g_t$. Step against the
# gradient, scaled by $\eta$. This is Robbins and Monro's stochastic
# approximation; with gradients of mini-batches, "stochastic".
#
# **minigrad:** exactly this; no state. (Neither the lecture nor minigrad
# differ from `torch.optim.SGD(lr)` here.)

# %%
show(optim.SGD._update)

# %%
# BEGIN SPOILER optim.sgd_update
def sgd_rule(theta, g, state, t, lr=0.09):
    return theta - lr * g
# END SPOILER


assert np.allclose(numpy_path(sgd_rule), minigrad_path("SGD", lr=0.09), rtol=1e-12, atol=1e-12)

# %% [markdown]
# On the bowl, one $\eta$ must serve both directions. It must be small enough
# for the steep $y$ (SGD diverges along $y$ once $\eta > 2/20 = 0.1$), so
# progress along the shallow $x$ is slow; just under that limit, $y$
# zig-zags across the valley. That is the problem every method below
# attacks, with memory (momentum) or with per-coordinate step sizes
# (adaptive methods).

# %%
fig = viz.plot_trajectories("quadratic", [("sgd", {"lr": 0.09}), ("sgd", {"lr": 0.03})])
display(fig)

# %% [markdown]
# ## 3. SGDM: SGD with momentum
#
# **Lecture:** keep a velocity, the movement of the last step, and add the
# new gradient step to it:
#
# $$v_t = \lambda v_{t-1} - \eta\, g_t, \qquad \theta_t = \theta_{t-1} + v_t, \qquad v_0 = 0.$$
#
# Unrolled, $v_t = -\eta \sum_{i \le t} \lambda^{t-i} g_i$: a weighted sum of
# all past gradients. Along the zig-zagging $y$ they cancel; along the
# shallow $x$ they add up. And like a ball rolling downhill, it can carry on
# through a small bump or a flat stretch where $g \approx 0$.
#
# **minigrad:** the lecture's form (Sutskever et al. 2013, a rewriting of
# Polyak's heavy ball). NOTE(torch): `torch.optim.SGD(momentum=λ)` keeps
# instead a buffer $b_t = \lambda b_{t-1} + g_t$ and steps
# $\theta_t = \theta_{t-1} - \eta b_t$. With a constant $\eta$ this is the
# same algorithm, with $v_t = -\eta b_t$; they differ only when $\eta$
# changes during training: the lecture's $v$ keeps old steps at the old
# $\eta$, PyTorch's rescales the whole history by the new one. The check
# below shows both facts.

# %%
show(optim.SGDM._update)

# %%
# BEGIN SPOILER optim.sgdm_update
def sgdm_rule(theta, g, state, t, lr=0.02, momentum=0.9, lr_halved_at=None):
    if lr_halved_at is not None and t > lr_halved_at:
        lr = lr / 2
    state["v"] = momentum * state.get("v", 0.0) - lr * g      # v ← λ·v − η·g
    return theta + state["v"]
# END SPOILER


# BEGIN SPOILER optim.sgdm_update
def sgdm_torch_rule(theta, g, state, t, lr=0.02, momentum=0.9, lr_halved_at=None):
    if lr_halved_at is not None and t > lr_halved_at:
        lr = lr / 2
    state["b"] = momentum * state.get("b", 0.0) + g           # NOTE(torch): b ← λ·b + g
    return theta - lr * state["b"]
# END SPOILER


lecture, torch_style = numpy_path(sgdm_rule), numpy_path(sgdm_torch_rule)
assert np.allclose(lecture, minigrad_path("SGDM", lr=0.02, momentum=0.9), rtol=1e-12, atol=1e-12)
assert np.allclose(lecture, torch_style, rtol=1e-12, atol=1e-12)       # constant η: the same algorithm
gap = np.abs(numpy_path(sgdm_rule, lr_halved_at=25) - numpy_path(sgdm_torch_rule, lr_halved_at=25)).max()
print(f"halving η after step 25: the two forms part by {gap:.3f}")
assert gap > 0.01

# %% [markdown]
# On the bowl (left: the paths, right: $f - f^*$ per step, log scale), with
# the same $\eta = 0.02$: plain SGD crawls along the shallow $x$; SGDM with
# $\lambda = 0.9$ builds up speed along $x$, overshoots the minimum and
# oscillates around it (the ball rolls on), yet ends more than 100 times
# lower. Too much momentum oscillates: on this bowl $\lambda = 0.5$ with
# $\eta = 0.05$ does better still, and also beats the best plain SGD
# ($\eta = 0.09$ in the first plot, $f - f^* \approx 3\cdot10^{-8}$ after
# 100 steps). Momentum is one more hyper-parameter to tune.

# %%
fig = viz.plot_trajectories("quadratic", [("sgd", {"lr": 0.02}), ("sgdm", {"lr": 0.02, "momentum": 0.9}),
                                          ("sgdm", {"lr": 0.05, "momentum": 0.5})])
display(fig)
final = {key: losses[-1] for key, losses in fig.minigrad_losses.items()}
print({key: f"{value:.1e}" for key, value in final.items()})
assert final["SGDM (lr=0.02, momentum=0.9)"] < final["SGD"] / 100
assert final["SGDM (lr=0.05, momentum=0.5)"] < final["SGDM (lr=0.02, momentum=0.9)"]

# %% [markdown]
# The lecture's picture for momentum: on a curve with a local minimum, plain
# SGD stops in the first dip; the velocity gathered on the way down carries
# SGDM over the bump into the deeper one.

# %%
fig, data = figures.momentum_figure()
display(fig)
assert data["SGD"][-1] < 0 < data["SGDM"][-1]   # SGD ends in the left dip, SGDM in the right one

# %% [markdown]
# ## 4. Adagrad
#
# **Lecture:** give each coordinate its own step size, smaller where the
# gradients have been large:
#
# $$s_t = \sum_{i=1}^{t} g_i^2, \qquad \theta_t = \theta_{t-1} - \frac{\eta}{\sqrt{s_t}}\, g_t.$$
#
# On the bowl, the steep $y$ collects large $g^2$ and gets small steps; the
# shallow $x$ keeps larger ones. The first step is
# $\eta\, g/|g| = \eta\,\mathrm{sign}(g)$ in every coordinate, whatever the
# gradient's scale.
#
# **Where the lecture is imprecise:** a coordinate whose gradients have all
# been 0 so far (a unit that never fired, a feature absent from every batch
# yet) gets $0/\sqrt{0}$ = NaN. **minigrad** follows Duchi, Hazan and
# Singer's paper and PyTorch: $\theta_t = \theta_{t-1} - \eta\, g_t / (\sqrt{s_t} + \varepsilon)$
# with $\varepsilon = 10^{-10}$, which turns that $0/0$ into $0$.

# %%
show(optim.Adagrad._update)

# %%
# BEGIN SPOILER optim.adagrad_update
def adagrad_lecture_rule(theta, g, state, t, lr=0.8):
    state["s"] = state.get("s", 0.0) + g * g                  # s ← s + g²
    return theta - lr * g / np.sqrt(state["s"])               # the lecture: no ε
# END SPOILER


assert np.allclose(numpy_path(adagrad_lecture_rule), minigrad_path("Adagrad", lr=0.8), rtol=1e-8, atol=1e-9)

# a gradient that is always 0 in the second coordinate (f depends on x only):
only_x = lambda theta: np.array([theta[0], 0.0])
with np.errstate(invalid="ignore"):
    lecture_end = numpy_path(adagrad_lecture_rule, steps=5, grad=only_x)[-1]
w = nn.Parameter(np.array(START))
opt = optim.Adagrad([w], lr=0.8)
for _ in range(5):
    opt.zero_grad()
    (w[0] * w[0] * 0.5).backward()
    opt.step()
print("lecture's formula:", lecture_end, "  minigrad:", w.data)
assert np.isnan(lecture_end[1]) and w.data[1] == START[1]

# %% [markdown]
# Adagrad's own picture. On the bowl (left) it takes a nearly straight
# path where SGD zig-zags: each coordinate has its own rate
# $\eta/\sqrt{s_t}$ (right, log scales). The steep $y$ collects large
# $g^2$ at once ($g = (3, 24)$ at the start), so its rate starts 8 times
# below $x$'s; both rates
# only ever fall, and once the gradients vanish near the minimum they stop
# falling: $s$ stops growing.

# %%
path, grads, _ = figures.run_optimizer("Adagrad", lambda w, t: viz.quadratic(w), START, 100, lr=0.8)
rates = 0.8 / (np.sqrt(np.cumsum(grads ** 2, axis=0)) + 1e-10)    # η/√s_t per coordinate, t = 1 … 100
fig = viz.plot_trajectories("quadratic", [("sgd", {"lr": 0.09}), "adagrad"])
display(fig)
fig, ax = plt.subplots(figsize=(6, 3.4))
for i, (name, color) in enumerate((("x (shallow)", "C0"), ("y (steep)", "C3"))):
    ax.loglog(np.arange(1, 101), rates[:, i], color=color, label=f"η/√s for {name}")
ax.set(xlabel="step t", ylabel="Adagrad's rate", title="Adagrad, η = 0.8: one rate per coordinate, only falling")
ax.legend()
ax.grid(True, alpha=0.3)
plt.show()
assert np.all(np.diff(rates, axis=0) <= 0) and np.isclose(rates[0, 0], 8 * rates[0, 1])
assert np.allclose(path, minigrad_path("Adagrad", steps=100, lr=0.8))

# %% [markdown]
# ## 5. RMSProp
#
# **Adagrad's weakness:** $s_t$ only grows, so the step size only shrinks,
# for good. Steep gradients early in training (common: the start is far from
# anything good) slow every later step, long after the landscape has become
# gentle.
#
# **Lecture:** replace the sum by a moving average, which forgets:
#
# $$v_1 = g_1^2, \qquad v_t = \alpha\, v_{t-1} + (1 - \alpha)\, g_t^2, \qquad \theta_t = \theta_{t-1} - \frac{\eta}{\sqrt{v_t}}\, g_t.$$
#
# **minigrad:** the lecture's rule, with $\varepsilon = 10^{-8}$ added
# outside the root for the same reason as in Adagrad, and
# $\alpha = 0.9$ as Tieleman and Hinton suggested. Their lecture gives no
# starting value; the lecture's $v_1 = g_1^2$ is a sound choice and minigrad's
# default (`init="first_grad"`). NOTE(torch): `torch.optim.RMSprop` starts
# from $v_0 = 0$ (`init="zeros"` here), which biases $v$ low for about
# $1/(1-\alpha)$ steps: its first step is $1/\sqrt{1-\alpha} \approx 3.16$
# times larger at $\alpha = 0.9$ (checked below).

# %%
show(optim.RMSProp._update)

# %%
# BEGIN SPOILER optim.rmsprop_update
def rmsprop_lecture_rule(theta, g, state, t, lr=0.1, alpha=0.9):
    state["v"] = g * g if t == 1 else alpha * state["v"] + (1 - alpha) * g * g
    return theta - lr * g / np.sqrt(state["v"])
# END SPOILER


assert np.allclose(numpy_path(rmsprop_lecture_rule), minigrad_path("RMSProp", lr=0.1), rtol=1e-6, atol=1e-7)

first_steps = {init: np.abs(minigrad_path("RMSProp", steps=1, lr=0.1, init=init)[1] - START)
               for init in ("first_grad", "zeros")}
ratio = first_steps["zeros"] / first_steps["first_grad"]
print("first step, init='zeros' over init='first_grad':", ratio)
assert np.allclose(ratio, 1 / math.sqrt(1 - 0.9), rtol=1e-6)

# %% [markdown]
# The lecture's picture: after a steep start, Adagrad's step keeps falling
# like $\eta/\sqrt{t}$ (right, log scale) and crawls along the gentle slope;
# RMSProp forgets the steep gradients within about $1/(1-\alpha) = 10$
# steps and keeps moving.

# %%
fig, data = figures.adagrad_rmsprop_figure()
display(fig)
assert data["step_Adagrad"][-1] < data["step_RMSProp"][60]

# %% [markdown]
# On the bowl both take nearly straight paths: dividing by $\sqrt{v}$
# equalizes the two directions. Look at the right panel, though: RMSProp
# dives below $10^{-15}$ (off the bottom of the panel; about $10^{-28}$ here)
# and then climbs back. Its $v$ decays along with the
# vanishing gradient, so $g/\sqrt{v}$ stays of order 1 and, with a constant
# $\eta$, it keeps taking steps of size $\approx\eta$ around the minimum.
# Adagrad's ever-growing $s$, a weakness above, is a strength here.

# %%
fig = viz.plot_trajectories("quadratic", ["sgd", "adagrad", "rmsprop"])
display(fig)
rms = fig.minigrad_losses["RMSProp"]
assert rms.min() < 1e-15 and rms[-1] > 1e6 * rms.min()   # far down, then back up

# %% [markdown]
# ## 6. Adam
#
# **Lecture:** RMSProp's per-coordinate scale plus SGDM's momentum, both as
# moving averages, each corrected for starting at zero:
#
# $$m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t, \qquad v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2,$$
# $$\hat m_t = \frac{m_t}{1-\beta_1^t}, \qquad \hat v_t = \frac{v_t}{1-\beta_2^t}, \qquad \theta_t = \theta_{t-1} - \eta\,\frac{\hat m_t}{\sqrt{\hat v_t} + \varepsilon},$$
#
# with $\beta_1 = 0.9$, $\beta_2 = 0.999$, $\varepsilon = 10^{-8}$. Without
# the correction, $m_1 = 0.1\, g_1$ and $v_1 = 0.001\, g_1^2$ would be far
# too small; with it, $\hat m_1 = g_1$, $\hat v_1 = g_1^2$, and the first
# step is $\eta\,\mathrm{sign}(g_1)$.
#
# **Where the lecture is imprecise:** the lecture notes put $\varepsilon$
# *inside* the root, $\eta\,\hat m_t / \sqrt{\hat v_t + \varepsilon}$. That is
# not a harmless rewrite: wherever $\hat v$ is small, $\varepsilon = 10^{-8}$
# inside the root acts like $10^{-4}$ outside it. **minigrad** follows the
# paper (Kingma and Ba, Algorithm 1) and PyTorch: $\varepsilon$ outside the
# root of the corrected $\hat v$. The check: both placements agree on our
# bowl, whose gradients are of order 1, but for a parameter with gradients
# of order $10^{-6}$ (not rare in a deep network) the lecture's first step is
# a few hundredths of $\eta$ instead of $\eta$.

# %%
show(optim.Adam._update)

# %%
# BEGIN SPOILER optim.adam_moments optim.adam_update
def adam_rule(theta, g, state, t, lr=0.2, beta1=0.9, beta2=0.999, eps=1e-8, eps_inside=False):
    state["m"] = beta1 * state.get("m", 0.0) + (1 - beta1) * g
    state["v"] = beta2 * state.get("v", 0.0) + (1 - beta2) * g * g
    m_hat, v_hat = state["m"] / (1 - beta1 ** t), state["v"] / (1 - beta2 ** t)
    if eps_inside:                                            # the lecture notes
        return theta - lr * m_hat / np.sqrt(v_hat + eps)
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps)        # the paper, PyTorch, minigrad
# END SPOILER


assert np.allclose(numpy_path(adam_rule), minigrad_path("Adam", lr=0.2), rtol=1e-10, atol=1e-12)
assert np.allclose(numpy_path(adam_rule, eps_inside=True), minigrad_path("Adam", lr=0.2), rtol=1e-6, atol=1e-7)

for scale in (1.0, 1e-4, 1e-6):
    tiny = lambda theta, s=scale: s * quad_grad(theta)       # the same bowl, gradients scaled down
    paper = np.abs(numpy_path(adam_rule, steps=1, grad=tiny)[1] - START)[0] / 0.2
    inside = np.abs(numpy_path(adam_rule, steps=1, grad=tiny, eps_inside=True)[1] - START)[0] / 0.2
    print(f"|g| ~ {3 * scale:.0e}: first step / η = {paper:.4f} (ε outside), {inside:.4f} (ε inside)")
assert paper > 0.99 and inside < 0.05

# %% [markdown]
# On the bowl, Adam's momentum makes it overshoot and curl in, a little like
# SGDM, while the division by $\sqrt{\hat v}$ makes the two directions
# equally fast, like RMSProp. Which is faster depends on the problem and on
# $\eta$; no optimizer wins everywhere. (The lecture adds that Adam trains
# fast and SGDM generalises better; tutorial 07, section 6, puts both
# halves to the test on digits, over seeds.)

# %%
fig = viz.plot_trajectories("quadratic", ["sgdm", "rmsprop", "adam"])
display(fig)

# %% [markdown]
# ## 7. AMSGrad
#
# **The problem** (Reddi, Kale and Kumar 2018): Adam's $v$ forgets within
# about $1/(1-\beta_2)$ steps. When large, informative gradients are rare,
# Adam has forgotten each one long before the next, and the many small,
# misleading gradients in between get steps as large as the rare big one.
# Adam can then converge to the wrong point, on a convex problem.
#
# **Lecture:** never let the denominator forget a large gradient; keep the
# largest $v$ seen so far. **minigrad** (= PyTorch's `Adam(amsgrad=True)`):
#
# $$v^{\max}_t = \max(v^{\max}_{t-1}, v_t), \qquad \theta_t = \theta_{t-1} - \eta\,\frac{\hat m_t}{\sqrt{v^{\max}_t / (1-\beta_2^t)} + \varepsilon}:$$
#
# the maximum of the *uncorrected* $v$, then the bias correction, and $v$
# itself keeps its moving average. **Where the lecture is imprecise:** its
# notes keep the *corrected* value as the running maximum,
# $\hat v_t = \max(\hat v_{t-1}, v_t)/(1-\beta_2^t)$, which divides the old
# maximum by $1-\beta_2^t$ again at every step: under a constant gradient
# the steps fall 1, 0.045, 0.0025, … (notebook 07 runs it). The paper's own
# Algorithm 2 differs too: no bias correction, no $\varepsilon$ and a step
# $\eta/\sqrt{t}$. In minigrad, AMSGrad is Adam with one method replaced,
# the one that returns the $v$ to divide by:

# %%
show(optim.AMSGrad)

# %%
# BEGIN SPOILER optim.amsgrad_second_moment optim.adam_moments
def amsgrad_rule(theta, g, state, t, lr=0.2, beta1=0.9, beta2=0.999, eps=1e-8):
    state["m"] = beta1 * state.get("m", 0.0) + (1 - beta1) * g
    state["v"] = beta2 * state.get("v", 0.0) + (1 - beta2) * g * g
    state["v_max"] = np.maximum(state.get("v_max", 0.0), state["v"])   # max of the uncorrected v
    m_hat, v_hat = state["m"] / (1 - beta1 ** t), state["v_max"] / (1 - beta2 ** t)
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps)
# END SPOILER


assert np.allclose(numpy_path(amsgrad_rule), minigrad_path("AMSGrad", lr=0.2), rtol=1e-10, atol=1e-12)

# %% [markdown]
# The lecture's picture is the paper's counter-example: online linear losses
# $f_t(x) = 1010\,x$ once every 101 steps and $-10\,x$ otherwise, on
# $x \in [-1, 1]$. Over each period the slopes sum to $+10$, so the best
# point is $x = -1$. Adam drifts to $+1$, the worst point; AMSGrad stays on
# the good side, around $-0.7$ to $-0.8$ on average over a period.

# %%
fig, data = figures.adam_amsgrad_figure(steps=3000 if FAST else 5000)
display(fig)
assert data["period_mean_Adam"][-1] > 0.5 and data["period_mean_AMSGrad"][-1] < 0

# %% [markdown]
# ## 8. SWATS: Adam first, then SGDM
#
# **Lecture:** Adam is fast early on, SGDM tends to end in better places;
# so begin with Adam and switch to SGDM. That is all the lecture says: when
# to switch, and with which learning rate, are left open.
#
# **minigrad** fills the gap with the algorithm of the paper (Keskar and
# Socher 2017, Algorithm 1). During the Adam phase, for the Adam step $p_k$,
# it asks: which SGD learning rate $\gamma_k$ would give a step whose
# projection on $p_k$ is $p_k$ itself?
#
# $$\gamma_k = \frac{p_k \cdot p_k}{-p_k \cdot g_k}, \qquad \lambda_k = \beta_2 \lambda_{k-1} + (1-\beta_2)\gamma_k, \qquad \hat\Lambda_k = \frac{\lambda_k}{1-\beta_2^k}.$$
#
# When the running estimate has settled, $|\hat\Lambda_k - \gamma_k| < \varepsilon$,
# it switches for good to SGD with momentum $\beta_1$ at rate $\Lambda = \hat\Lambda_k$:
# $v \leftarrow \beta_1 v + g$, $\theta \leftarrow \theta - (1-\beta_1)\Lambda v$.
# The dot products run over **all** parameters, so there is one switch and
# one rate for the whole model (`opt.phase`, `opt.switch_step`,
# `opt.sgd_lr`). NOTE: the published reference implementations differ from
# the paper (per-tensor switches, a relative test, and a momentum buffer
# rescaled in place every step, which changes the algorithm); minigrad
# follows the paper. One more addition of ours: it switches only if
# $\hat\Lambda > 0$, since a negative rate would climb.

# %%
show(optim.SWATS._update)

# %%
show(optim.SWATS._after_step)

# %% [markdown]
# The switch test is *absolute*: it fires easily only when $\gamma$ is small.
# Under a constant gradient $c$ it fires at step 2 with
# $\Lambda = \eta\, d / \lVert c\rVert_1$ ($d$ the number of coordinates);
# on our bowl it fires at step 2 for $\eta = 10^{-4}$ and never for the
# larger $\eta$ of the plots. Here is the paper's algorithm in NumPy,
# checked against minigrad through the switch:

# %%
# BEGIN SPOILER optim.swats_update optim.adam_moments
def swats_rule(theta, g, state, t, lr=1e-4, beta1=0.9, beta2=0.999, eps=1e-9):
    if state.get("phase", "adam") == "sgd":
        state["v"] = beta1 * state["v"] + g                                  # v ← β1·v + g
        return theta - (1 - beta1) * state["Lambda"] * state["v"]
    state["m"] = beta1 * state.get("m", 0.0) + (1 - beta1) * g
    state["a"] = beta2 * state.get("a", 0.0) + (1 - beta2) * g * g
    p = -lr * math.sqrt(1 - beta2 ** t) / (1 - beta1 ** t) * state["m"] / (np.sqrt(state["a"]) + eps)
    if p @ g != 0:
        gamma = (p @ p) / -(p @ g)                                           # γ = p·p / (−p·g)
        state["lam"] = beta2 * state.get("lam", 0.0) + (1 - beta2) * gamma
        rate = state["lam"] / (1 - beta2 ** t)                               # Λ̂
        if t > 1 and rate > 0 and abs(rate - gamma) < eps:
            state.update(phase="sgd", Lambda=rate, v=np.zeros_like(theta), switch=t)
    return theta + p
# END SPOILER


numpy_state = {}
ours = numpy_path(swats_rule, state=numpy_state)
# figures.run_optimizer: the loop zero_grad / backward / step, returning the path and the optimizer
path, grads, swats = figures.run_optimizer("SWATS", lambda w, t: viz.quadratic(w), START, 50, lr=1e-4)
print(f"SWATS on the bowl, η = 1e-4: phase {swats.phase!r}, switched at step {swats.switch_step}, "
      f"Λ = {swats.sgd_lr:.4g}")
assert swats.switch_step == numpy_state["switch"] == 2 and math.isclose(swats.sgd_lr, numpy_state["Lambda"])
assert np.allclose(ours, path, rtol=1e-9, atol=1e-12)

# %% [markdown]
# The lecture's picture, on Beale's function, with a looser
# $\varepsilon = 10^{-6}$ (1,000 times the paper's) so that the switch
# happens within the plot: the path bends where SGD takes over (square), and
# the right panel shows $\gamma_k$ and its running mean $\hat\Lambda_k$
# meeting at the switch. Note where each ends: the SGD rate SWATS picked
# this early is small, and after 400 steps SWATS is many times further from
# the minimum (in $f$) than Adam, which kept going. A switch is not an
# improvement by itself.

# %%
fig, data = figures.swats_figure()
display(fig)
f_end = {name: viz.beale(mg.Tensor(data[name][-1])).item() for name in ("SWATS", "Adam")}
print(f"f after 400 steps: SWATS {f_end['SWATS']:.3g}, Adam {f_end['Adam']:.3g} "
      f"({f_end['SWATS'] / f_end['Adam']:.0f}× worse)")
assert data["switch_step"] is not None and data["sgd_lr"] > 0
assert f_end["SWATS"] > 10 * f_end["Adam"]

# %% [markdown]
# On real networks the paper's absolute test, with its $\varepsilon = 10^{-9}$,
# never fires: $\gamma$ is a rate of order 0.1 that jumps by tens of percent
# from one mini-batch to the next. minigrad adds a relative test as an
# option, `SWATS(..., switch_rtol=1e-3)`: switch when
# $|\hat\Lambda_k - \gamma_k| < 10^{-3}\,\hat\Lambda_k$ (a deviation from the
# paper, documented in the docstring; the default `None` keeps the paper's
# test). Notebook 07 follows the test on digits and shows a real switch.

# %% [markdown]
# ## 9. RAdam
#
# **The problem** (Liu et al. 2020): in its first steps, Adam divides by
# $\sqrt{\hat v_t}$ estimated from a handful of gradients: a noisy estimate,
# so the step sizes are erratic just when the parameters are most fragile.
# The usual fix is a learning-rate *warm-up* (start with a small $\eta$).
# RAdam derives one: it measures how many gradients the moving average
# effectively holds, $\rho_t$, and
#
# - while $\rho_t$ is too small, takes plain momentum steps $\theta_t = \theta_{t-1} - \eta\,\hat m_t$;
# - afterwards takes Adam's step scaled by a rectification $r_t$, which rises from near 0 to 1:
#
# $$\rho_\infty = \frac{2}{1-\beta_2} - 1, \qquad \rho_t = \rho_\infty - \frac{2 t \beta_2^t}{1-\beta_2^t}, \qquad r_t = \sqrt{\frac{(\rho_t - 4)(\rho_t - 2)\,\rho_\infty}{(\rho_\infty - 4)(\rho_\infty - 2)\,\rho_t}}.$$
#
# **Where the lecture is imprecise:** its formula for $\rho$,
# $\sqrt{(2-\beta_2^t)/(1-\beta_2^t)}$, is not the paper's (compare them
# below; the lecture's is about 31.6 at $t = 1$, the paper's is 1).
# **minigrad** follows the paper's $\rho_t$ and PyTorch's choices: adaptive
# steps once $\rho_t > 5$ (the paper says $> 4$; `threshold=4` gives that),
# momentum steps before, and $\varepsilon$ added to the uncorrected $\sqrt{v}$.
# NOTE: the momentum steps are not normalized (size $\eta|\hat m|$), so
# large gradients at the start give large first steps; watch the path on
# the bowl below.

# %%
show(optim.RAdam._update)

# %%
beta2 = 0.999
t = np.arange(1, 8)
rho_paper, _ = optim.radam.rectification(t, beta2)
rho_lecture = np.sqrt((2 - beta2 ** t) / (1 - beta2 ** t))
print("t          ", t)
print("ρ_t paper  ", rho_paper.round(3))
print("ρ lecture  ", rho_lecture.round(1))
assert np.allclose(rho_paper, [1, 2, 3, 4, 4.996, 5.994, 6.992], atol=5e-3)
first_adaptive = int(t[np.argmax(rho_paper > 5)])
assert first_adaptive == 6   # with β2 = 0.999, steps 1-5 are momentum steps


# %%
# BEGIN SPOILER optim.radam_update optim.adam_moments
def radam_rule(theta, g, state, t, lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8, threshold=5):
    state["m"] = beta1 * state.get("m", 0.0) + (1 - beta1) * g
    state["v"] = beta2 * state.get("v", 0.0) + (1 - beta2) * g * g
    m_hat = state["m"] / (1 - beta1 ** t)
    rho_inf = 2 / (1 - beta2) - 1
    rho = rho_inf - 2 * t * beta2 ** t / (1 - beta2 ** t)
    if rho <= threshold:
        return theta - lr * m_hat                                     # momentum step
    r = math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
    return theta - lr * r * m_hat * math.sqrt(1 - beta2 ** t) / (np.sqrt(state["v"]) + eps)
# END SPOILER


assert np.allclose(numpy_path(radam_rule), minigrad_path("RAdam", lr=0.1), rtol=1e-10, atol=1e-12)

# %% [markdown]
# The lecture's picture: on the same noisy gradients, Adam's steps are
# full-sized from step 1; RAdam's five momentum steps are followed by a
# sharp drop to $r_6 \approx 0.03$ of Adam's step, then a slow climb: a
# warm-up over about $1/(1-\beta_2) = 1000$ steps.

# %%
fig, data = figures.radam_warmup_figure()
display(fig)
assert data["step_RAdam"][5] < 0.1 * data["step_Adam"][5]

# %% [markdown]
# On the bowl, RAdam's first five momentum steps are not normalized, so the
# steep start ($g_y = 24$) throws it far across the valley (the dashed jumps)
# before its rectified Adam steps take over.

# %%
fig = viz.plot_trajectories("quadratic", ["adam", "radam"])
display(fig)

# %% [markdown]
# ## 10. All eight on harder surfaces
#
# Each optimizer with a learning rate that suits it on that surface (the
# legend says which), all from the same start with the same number of
# steps. On Rosenbrock's curved valley everything with momentum (SGDM, Adam,
# AMSGrad, SWATS) follows the valley floor towards the minimum while SGD
# and Adagrad crawl (RMSProp, without momentum, still gets most of the way),
# and RAdam's unnormalized first steps fling it far across the valley first;
# on the saddle (start on the ridge between two valleys, where the gradient
# along $y$ is almost 0) plain SGD stays on the ridge while the adaptive
# methods, which magnify that tiny gradient, escape.
# Adam, AMSGrad and SWATS (which has not switched) draw nearly the same path:
# look for one line where you expected three.

# %%
display(viz.plot_trajectories("rosenbrock", steps=300 if FAST else 1000))
fig = viz.plot_trajectories("saddle")
display(fig)
final_y = {key: abs(path[-1, 1]) for key, path in fig.minigrad_paths.items()}
assert final_y["SGD"] < 0.1 and final_y["Adam"] > 0.9   # SGD still on the ridge (y ≈ 0), Adam in a valley (y ≈ ±1)

# %% [markdown]
# ## 11. Closing comparison: the same network on digits
#
# Finally, real training: an MLP 64-64-10 on scikit-learn's 8×8 digits
# (1,437 training and 360 test images, standardised), cross-entropy loss,
# mini-batches of 32. Every optimizer starts from the **same initial
# weights** (one `state_dict`, loaded into each copy) and sees the same
# batches in the same order (`rng=0`), with a learning rate usual for it.

# %%
X_train, y_train, X_test, y_test = datasets.load("digits", rng=0)
EPOCHS = 4 if FAST else 20
LEARNING_RATES = dict(SGD=0.1, SGDM=0.01, Adagrad=0.05, RMSProp=1e-3,
                      Adam=1e-3, AMSGrad=1e-3, SWATS=1e-3, RAdam=1e-3)


def make_model():
    return nn.Sequential(nn.Linear(64, 64, rng=0), nn.ReLU(), nn.Linear(64, 10, rng=1))


initial = make_model().state_dict()
histories, seconds, optimizers = {}, {}, {}
for name, lr in LEARNING_RATES.items():
    model = make_model()
    model.load_state_dict(initial)                       # the same start for all eight
    opt = getattr(optim, name)(model.parameters(), lr=lr)
    t0 = time.perf_counter()
    histories[name] = optim.train(model, F.cross_entropy, opt, X_train, y_train, regime="minibatch",
                                  batch_size=32, epochs=EPOCHS, rng=0, validation=(X_test, y_test))
    seconds[name], optimizers[name] = time.perf_counter() - t0, opt

print(f"{'optimizer':10} {'lr':>7} {'train loss':>11} {'test acc':>9} {'seconds':>8}")
for name, h in histories.items():
    print(f"{name:10} {LEARNING_RATES[name]:7g} {h.epoch_loss[-1]:11.4f} {h.val_accuracy[-1]:9.3f} "
          f"{seconds[name]:8.2f}")

# %%
fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(12, 5.2), layout="constrained")
styles = ["-", "--", "-.", ":"]
for i, (name, h) in enumerate(histories.items()):
    epochs = np.arange(1, EPOCHS + 1)
    ax_loss.semilogy(epochs, h.epoch_loss, styles[i % 4], marker="o", ms=3, label=f"{name}, lr={LEARNING_RATES[name]:g}")
    ax_acc.plot(epochs, h.val_accuracy, styles[i % 4], marker="o", ms=3, label=name)
ax_loss.set(xlabel="epoch", ylabel="training loss (mean over the epoch)", title="training loss, log scale")
ax_acc.set(xlabel="epoch", ylabel="test accuracy", title="test accuracy after each epoch")
for ax in (ax_loss, ax_acc):
    ax.grid(True, alpha=0.3)
fig.legend(*ax_loss.get_legend_handles_labels(), loc="outside lower center", ncol=4, fontsize=8,
           frameon=False)   # below the panels, off every curve
ax_acc.xaxis.get_major_locator().set_params(integer=True)
ax_loss.xaxis.get_major_locator().set_params(integer=True)
fig.suptitle(f"MLP 64-64-10 on digits, batch 32, {EPOCHS} epochs, same initial weights")
plt.show()

assert all(h.epoch_loss[-1] < h.epoch_loss[0] for h in histories.values())
assert max(h.val_accuracy[-1] for h in histories.values()) > 0.9

# %% [markdown]
# What to read from it (on this small, easy problem; do not generalize from
# one run):
#
# - every optimizer learns, and the ranking depends on the learning rates
#   (try others in the exercises): these are usual values, not tuned ones;
# - Adam, AMSGrad and SWATS draw one line: AMSGrad's maximum rarely differs
#   from $v$ this early, and SWATS equals Adam until it switches, which here
#   it never does (its test is absolute, with $\varepsilon = 10^{-9}$; printed
#   below; `switch_rtol=1e-3` makes it switch, see notebook 07);
# - RAdam starts slowest: an epoch is 45 updates, and its rectification
#   $r_t$ is still below 0.5 after several hundred of them. That warm-up is
#   the point of RAdam (it protects the first steps); at the same $\eta$ as
#   Adam it costs speed early on.
#
# `python -m minigrad compare` runs a comparison like this one from the
# command line (with its own learning rates and seeds, so its numbers differ).

# %%
print("SWATS phase:", optimizers["SWATS"].phase, "| switch step:", optimizers["SWATS"].switch_step)

# %% [markdown]
# ## Exercises
#
# Each exercise asks first: write your answer in place of `None` and run
# the cell; the solution follows, and `check` compares your answer with it
# (left at `None`, it only shows the solution).

# %%
def check(name, answer, solution, tol=1e-6):
    """Assert that the reader's answer matches the solution; report it when the answer is still None."""
    if answer is None:
        shown = solution if np.size(solution) <= 6 else f"an array of shape {np.shape(solution)}"
        print(f"{name}: no answer given; the solution is {shown}")
        return
    assert np.allclose(answer, solution, rtol=tol, atol=tol), f"{name}: your answer {answer}, the solution {solution}"
    print(f"{name}: right")


# %% [markdown]
# **Exercise 1.** Take one step of size $\eta = 0.1$ from
# $\theta = (1, -2)$ on $f = 10^{-3}\,\theta_1^2 + 10^{3}\,\theta_2^2$ with
# Adagrad, RMSProp (`init="first_grad"`) and Adam. The two gradients differ
# by a factor of two million: what is the step $\theta_1 - \theta_0$ of each?

# %%
your_first_step = None     # your answer: one pair (x, y) that you expect for all three

# %% [markdown]
# *Solution.* All three divide $g$ by (a running estimate of) $|g|$, so
# the first step is $-\eta\,\mathrm{sign}(g) = (-0.1, 0.1)$, whatever the
# gradient's scale.

# %%
def first_step(cls):
    w = nn.Parameter(np.array([1.0, -2.0]))
    opt = cls([w], lr=0.1)
    (1e-3 * w[0] * w[0] + 1e3 * w[1] * w[1]).backward()
    opt.step()
    return w.data - np.array([1.0, -2.0])


steps = {cls.__name__: first_step(cls) for cls in (optim.Adagrad, optim.RMSProp, optim.Adam)}
expected = np.array([-0.1, 0.1])      # −η·sign(g) with g = (2e-3·1, 2e3·(−2))
assert all(np.allclose(s, expected, rtol=1e-5) for s in steps.values())
check("first step", your_first_step, expected, tol=1e-5)

# %% [markdown]
# **Exercise 2.** SGDM with $\eta = 0.01$, $\lambda = 0.9$ and a constant
# gradient $g = 3$: what is the velocity $v$ after 200 steps?

# %%
your_velocity = None       # your answer: a number

# %% [markdown]
# *Solution.* $v_t = \lambda v_{t-1} - \eta g$ tends to
# $v_\infty = -\eta g/(1-\lambda) = -0.3$, and $0.9^{200}$ is negligible:
# momentum $\lambda = 0.9$ multiplies the effective step by 10.

# %%
w = nn.Parameter(np.array([0.0]))
opt = optim.SGDM([w], lr=0.01, momentum=0.9)
for _ in range(200):
    opt.zero_grad()
    (3.0 * w).sum().backward()           # g = 3 everywhere
    opt.step()
v_limit = -0.01 * 3.0 / (1 - 0.9)
assert np.allclose(opt.state[w]["v"], v_limit, rtol=1e-6)
check("velocity", your_velocity, opt.state[w]["v"][0])

# %% [markdown]
# **Exercise 3.** With $\beta_2 = 0.999$ RAdam's first adaptive step is
# $t = 6$. At which step does it start with `threshold=4` (the paper's
# choice)? And with $\beta_2 = 0.99$ and the default threshold 5?

# %%
your_first_adaptive = None   # your answer: a pair (with threshold 4, with β2 = 0.99)

# %% [markdown]
# *Solution.* From $\rho_t$, and checked against minigrad by looking for
# the first step that is not a plain momentum step:

# %%
# BEGIN SPOILER optim.radam_update
def first_adaptive_step(beta2, threshold):
    t = np.arange(1, 100)
    rho = (2 / (1 - beta2) - 1) - 2 * t * beta2 ** t / (1 - beta2 ** t)
    return int(t[np.argmax(rho > threshold)])
# END SPOILER


def first_adaptive_step_minigrad(beta2, threshold):
    w = nn.Parameter(np.array([0.0]))
    opt = optim.RAdam([w], lr=1.0, betas=(0.0, beta2), threshold=threshold)   # β1 = 0: m̂ = g
    for t in range(1, 100):
        before = w.data.copy()
        opt.zero_grad()
        w.sum().backward()               # g = 1: a momentum step moves exactly lr·m̂ = 1
        opt.step()
        if not np.isclose(before - w.data, 1.0)[0]:
            return t


assert first_adaptive_step(0.999, 4) == first_adaptive_step_minigrad(0.999, 4) == 5
assert first_adaptive_step(0.99, 5) == first_adaptive_step_minigrad(0.99, 5) == 6
check("first adaptive steps", your_first_adaptive, (5, 6))

# %% [markdown]
# **Exercise 4.** Rerun the digits comparison with other learning rates
# (say Adam at 3e-3, SGD at 0.3) and see the ranking change. Then check,
# for one optimizer, that its `epoch_loss` went down over training:

# %%
h = histories["Adam"]
assert h.epoch_loss[-1] < h.epoch_loss[0] and len(h.epoch_loss) == EPOCHS

# %% [markdown]
# **Next:** notebook 05 keeps the optimizer fixed and varies how much data
# each update sees: online, mini-batch and offline training.
