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
# # 08 · Curvature: what the adaptive optimizers approximate
#
# Adagrad, RMSProp and Adam divide each coordinate's step by $\sqrt{v}$, a
# running root-mean-square of that coordinate's gradients. Newton's method
# divides by the curvature itself, the Hessian $H$. This notebook computes
# the real thing with `minigrad.grad` and puts it next to the optimizers:
#
# 1. gradients of gradients with `mg.grad(..., create_graph=True)`;
# 2. Newton's method against gradient descent on Rosenbrock's valley;
# 3. Hessian-vector products, checked against finite differences;
# 4. the largest Hessian eigenvalue by power iteration, along the paths of
#    the eight optimizers, against $2/\eta$, the stability limit of gradient
#    descent (the *edge of stability*);
# 5. the true Hessian diagonal next to Adagrad's, RMSProp's and Adam's
#    second moments: what $\sqrt{v}$ does and does not capture.
#
# Everything runs in float64: second derivatives checked by finite
# differences need the digits.

# %%
# %matplotlib inline
import os
import time

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import FormatStrFormatter, FuncFormatter

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import datasets, nn, optim, viz
from minigrad.figures import run_optimizer

FAST = os.environ.get("MINIGRAD_TUTORIAL_FAST") == "1"  # set by the test suite: fewer steps and checks

# %% [markdown]
# ## 1. Gradients as Tensors, and their gradients
#
# `loss.backward()` leaves an array in each leaf's `.grad`. `mg.grad(out, inputs)`
# returns the gradients as Tensors instead, and touches no `.grad`. With
# `create_graph=True` the backward pass is itself recorded (every op's
# `backward` runs on Tensors), so the gradient can be differentiated again:

# %%
x = mg.Tensor(3.0, requires_grad=True, dtype="float64")
y = x ** 3
(dy,) = mg.grad(y, x, create_graph=True)     # 3x² = 27, a Tensor whose graph leads back to x
(d2y,) = mg.grad(dy, x, create_graph=True)   # 6x = 18
(d3y,) = mg.grad(d2y, x)                     # 6, a constant (no create_graph)
print(f"y = {float(y)}, dy/dx = {float(dy)}, d²y/dx² = {float(d2y)}, d³y/dx³ = {float(d3y)}")
assert (float(dy), float(d2y), float(d3y)) == (27.0, 18.0, 6.0)
assert x.grad is None and dy.requires_grad and not d3y.requires_grad

# %% [markdown]
# NOTE(torch): this is `torch.autograd.grad(outputs, inputs, grad_outputs,
# retain_graph, create_graph)`, with the same meaning of each argument.
#
# ## 2. Newton's method on Rosenbrock
#
# Near a point $w$ the loss is close to its second-order Taylor model,
#
# $$f(w + \Delta) \approx f(w) + g^\top \Delta + \tfrac12 \Delta^\top H \Delta ,$$
#
# with gradient $g$ and Hessian $H$ (the matrix of second derivatives). If
# $H$ is positive definite the model is a bowl whose bottom is at
# $\Delta = -H^{-1} g$: **Newton's step**. Gradient descent takes
# $\Delta = -\eta\, g$ instead, one step size for every direction.
#
# For a function of a few numbers the whole Hessian is cheap: row $i$ of
# $H$ is the gradient of $g_i$, one more backward pass each.

# %%
rosenbrock = viz.rosenbrock      # f = (1 − x)² + 100·(y − x²)², minimum 0 at (1, 1)


def gradient_and_hessian(f, w):
    """g = ∇f(w) and the Hessian H at the point w (n numbers): n + 1 backward passes."""
    x = mg.Tensor(w, requires_grad=True)
    (g,) = mg.grad(f(x), x, create_graph=True)           # g has a graph: it can be differentiated
    rows = [mg.grad(g[i], x, retain_graph=True)[0].data for i in range(len(w))]   # row i: ∇ g_i
    return g.data, np.stack(rows)


start = np.array([-1.2, 1.0])
g, H = gradient_and_hessian(rosenbrock, start)
x0, y0 = start                                           # the same by hand
assert np.allclose(g, [-2 * (1 - x0) - 400 * x0 * (y0 - x0 ** 2), 200 * (y0 - x0 ** 2)])
assert np.allclose(H, [[1200 * x0 ** 2 - 400 * y0 + 2, -400 * x0], [-400 * x0, 200]])
print("H at (−1.2, 1):\n", H)

# %% [markdown]
# Newton's method repeats the step from the classic start $(-1.2, 1)$:

# %%
w = start.copy()
newton_path = [w]
print(f"{'step':>4} {'x':>12} {'y':>12} {'f(x, y)':>12}")
print(f"{0:>4} {w[0]:12.8f} {w[1]:12.8f} {rosenbrock(w):12.4g}")
for step in range(1, 21):
    g, H = gradient_and_hessian(rosenbrock, w)
    w = w - np.linalg.solve(H, g)                        # Δ = −H⁻¹g, the bottom of the quadratic model
    newton_path.append(w)
    print(f"{step:>4} {w[0]:12.8f} {w[1]:12.8f} {rosenbrock(w):12.4g}")
    if np.abs(w - 1).max() < 1e-10:
        break
newton_path = np.array(newton_path)
newton_f = np.array([rosenbrock(p) for p in newton_path])
newton_error = np.abs(newton_path - 1).max(axis=1)          # distance to (1, 1) after each step
assert len(newton_path) - 1 <= 6 and newton_error[-1] < 1e-10
assert newton_f[2] > 250 * newton_f[1]          # step 2 climbs: far from (1, 1) the model is poor
assert all(newton_error[k + 1] < newton_error[k] ** 2 for k in range(3, len(newton_path) - 1))  # quadratic

# %% [markdown]
# Six steps to ten digits. Newton is not a descent method, though: its
# second step leaps to $y \approx -3.2$ and $f$ rises almost 300-fold,
# because far from the minimum the quadratic model is a poor guide
# (practical versions add a line search or a trust region; NOTE(scipy):
# `scipy.optimize.minimize(method="trust-exact")`). From step 3 on, each
# step more than squares the distance to $(1, 1)$ (asserted above):
# *quadratic convergence*.
#
# Gradient descent from the same start, with $\eta = 10^{-3}$: about half
# the largest step size that is stable at the minimum, $2/\lambda_{\max}$
# (section 4 explains the limit, exercise 2 checks it).

# %%
_, H_min = gradient_and_hessian(rosenbrock, np.array([1.0, 1.0]))
curvatures = np.linalg.eigvalsh(H_min)
print(f"eigenvalues of H at (1, 1): {curvatures[0]:.4f} and {curvatures[-1]:.1f}; 2/λ_max = {2 / curvatures[-1]:.6f}")
assert 0.4 < 1e-3 / (2 / curvatures[-1]) < 0.6 and curvatures[0] < 1 and curvatures[-1] > 1000

GD_STEPS = 2_000 if FAST else 10_000
gd_path, _, _ = run_optimizer("SGD", lambda w, t: rosenbrock(w), start, GD_STEPS, lr=1e-3)
gd_error = np.abs(gd_path[-1] - 1).max()
print(f"gradient descent after {GD_STEPS} steps: ({gd_path[-1][0]:.4f}, {gd_path[-1][1]:.4f}), "
      f"distance {gd_error:.2g};  Newton after {len(newton_path) - 1} steps: {newton_error[-1]:.1g}")
assert gd_error > 1e-3 > 1e6 * newton_error[-1]

# %%
xs, ys = np.meshgrid(np.linspace(-2, 2, 300), np.linspace(-3.6, 3.2, 300))
fig, ax = plt.subplots(figsize=(7, 5.5))
ax.contour(xs, ys, rosenbrock(np.stack([xs, ys])), levels=np.logspace(-1, 3.5, 14), cmap="Greys_r",
           linewidths=0.8, norm="log")
ax.plot(*gd_path.T, color="tab:blue", lw=2, label=f"gradient descent, η = 1e-3, {GD_STEPS} steps")
ax.plot(*newton_path.T, "o-", color="tab:red", ms=5, label=f"Newton, {len(newton_path) - 1} steps")
for k, (px, py) in enumerate(newton_path[:5]):
    ax.annotate(str(k), (px, py), textcoords="offset points", xytext=(-14 if k >= 3 else 6, 4), color="tab:red",
                fontweight="bold", bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none", alpha=0.8))
ax.plot(1, 1, "*", color="gold", ms=16, mec="k", label="minimum (1, 1)")
ax.set(xlabel="x", ylabel="y", title="Rosenbrock: Newton against gradient descent from (−1.2, 1)")
ax.legend(loc="upper center", framealpha=0.95)
plt.show()

# %% [markdown]
# Gradient descent crawls along the curved valley floor: at the minimum
# the curvature across the valley is about 1000 and along it 0.4 (the
# eigenvalues printed above), and one $\eta$ must suit both. Newton
# rescales every direction by its own curvature.
#
# ## 3. Hessian-vector products
#
# A network with $n$ parameters has an $n \times n$ Hessian: $10^{12}$
# numbers for a million parameters. What the methods below need is only
# its product with a vector $v$, and that costs a fixed number of
# gradients, whatever $n$ (Pearlmutter, 1994): two calls of `grad`, the
# second through the recorded graph of the first,
#
# $$Hv = \nabla_w \big( \nabla_w L \cdot v \big) \qquad (v \text{ held constant}).$$
#
# The model for sections 3 and 4: a 2 → 16 → 2 tanh network (82
# parameters) fitted to the two moons by squared error, as in Cohen et
# al.'s edge-of-stability experiments. A "vector" in parameter space is a
# list of arrays, one per parameter.

# %%
X_train, y_train, _, _ = datasets.load("moons", n_samples=250, rng=0)   # 200 training points
X = mg.Tensor(X_train.astype(np.float64))
targets = mg.Tensor(np.eye(2)[y_train])            # one-hot targets for the squared error


def make_mlp(seed=0):
    """2 → 16 tanh → 2 in float64: 82 parameters."""
    return nn.Sequential(nn.Linear(2, 16, rng=seed, dtype=np.float64), nn.Tanh(),
                         nn.Linear(16, 2, rng=seed + 1, dtype=np.float64))


def squared_error(model):
    return F.mse_loss(model(X), targets)


def dot(us, vs):
    return sum(float((u * v).sum()) for u, v in zip(us, vs))


def gradient(loss_fn, model):
    return [g.data for g in mg.grad(loss_fn(model), list(model.parameters()))]


def hvp(loss_fn, model, vs):
    """H v for the loss at the model's parameters: two calls of grad."""
    params = list(model.parameters())
    gs = mg.grad(loss_fn(model), params, create_graph=True)              # ∇L, recorded
    return [h.data for h in mg.grad(sum((g * v).sum() for g, v in zip(gs, vs)), params)]   # ∇(∇L·v)


model = make_mlp()
params = list(model.parameters())
rng = np.random.default_rng(0)
vs = [rng.standard_normal(p.shape) for p in params]
Hv = hvp(squared_error, model, vs)

# the check: a central difference of gradients along v, (∇L(w + εv) − ∇L(w − εv)) / 2ε
eps, w0 = 1e-5, [p.data.copy() for p in params]
shifted = {}
for sign in (+1, -1):
    for p, a, v in zip(params, w0, vs):
        p.data[...] = a + sign * eps * v
    shifted[sign] = gradient(squared_error, model)
for p, a in zip(params, w0):
    p.data[...] = a                                   # back to w
fd = [(gp - gm) / (2 * eps) for gp, gm in zip(shifted[+1], shifted[-1])]
worst = max(np.abs(h - f).max() / np.abs(h).max() for h, f in zip(Hv, fd))
print(f"Hv against finite differences of gradients: largest relative difference {worst:.1e}")
assert all(np.allclose(h, f, rtol=1e-6, atol=1e-9) for h, f in zip(Hv, fd))

# %% [markdown]
# What it costs here, measured (no assert: timings vary from machine to machine):

# %%
def seconds(fn, repeat=30):
    begin = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - begin) / repeat


t_grad = seconds(lambda: gradient(squared_error, model))
t_hvp = seconds(lambda: hvp(squared_error, model, vs))
print(f"gradient {1e3 * t_grad:.2f} ms, Hessian-vector product {1e3 * t_hvp:.2f} ms: "
      f"{t_hvp / t_grad:.1f} gradients")

# %% [markdown]
# With $n$ products, one per unit vector, the whole Hessian follows. For 82
# parameters that is cheap, and gives exact answers to check the rest of
# the notebook against. (Row $i$ is $\nabla g_i$, as for Rosenbrock.)

# %%
def hessian_matrix(loss_fn, model):
    """The n × n Hessian, one row per backward pass through the recorded gradient."""
    params = list(model.parameters())
    g = mg.concatenate([gi.reshape(-1) for gi in mg.grad(loss_fn(model), params, create_graph=True)])
    return np.stack([np.concatenate([r.data.ravel() for r in mg.grad(g[i], params, retain_graph=True)])
                     for i in range(g.shape[0])])


H = hessian_matrix(squared_error, model)
e0 = np.zeros(H.shape[0])
e0[0] = 1
unit = [e0[:params[0].size].reshape(params[0].shape)] + [np.zeros(p.shape) for p in params[1:]]
assert H.shape == (82, 82) and np.allclose(H, H.T, atol=1e-12)                # symmetric
assert np.allclose(H[0], np.concatenate([h.ravel() for h in hvp(squared_error, model, unit)]))

# %% [markdown]
# ## 4. The largest eigenvalue, and the edge of stability
#
# **Why the largest eigenvalue.** On a quadratic $f = \frac12 h w^2$
# gradient descent multiplies $w$ by $1 - \eta h$ each step: it converges
# when $|1 - \eta h| < 1$, that is when $\eta < 2/h$. On a loss with Hessian
# $H$, the same holds along each eigenvector, so gradient descent is
# stable near a point only while
#
# $$\lambda_{\max}(H) < 2/\eta .$$
#
# Momentum moves the limit: heavy ball (SGDM, $v \leftarrow \mu v - \eta g$)
# is stable up to $\lambda < (2 + 2\mu)/\eta$, and Adam's momentum, an
# average $m \leftarrow \beta_1 m + (1 - \beta_1) g$, up to
# $(2 + 2\beta_1)/((1 - \beta_1)\eta)$, which is $38/\eta$ at $\beta_1 = 0.9$.
# Each limit checked on $f = \frac12 h w^2$, 2% below it and 2% above:

# %%
def stays_bounded(step, h, n_steps=3000):
    """Run an update on f = h·w²/2 from w = 1; True if |w| ends below 1."""
    w, state = 1.0, 0.0
    for _ in range(n_steps):
        w, state = step(w, state, h * w)
    return abs(w) < 1


eta, mu = 0.1, 0.9
gd = lambda w, _, g: (w - eta * g, 0.0)
heavy_ball = lambda w, v, g: (w + (mu * v - eta * g), mu * v - eta * g)     # SGDM
ema_momentum = lambda w, m, g: (w - eta * (mu * m + (1 - mu) * g), mu * m + (1 - mu) * g)  # Adam, v frozen
for name, step, limit in [("gradient descent", gd, 2 / eta), ("heavy ball", heavy_ball, (2 + 2 * mu) / eta),
                          ("EMA momentum", ema_momentum, (2 + 2 * mu) / ((1 - mu) * eta))]:
    assert stays_bounded(step, 0.98 * limit) and not stays_bounded(step, 1.02 * limit), name
    print(f"{name:>16}: stable for h < {limit:g}")

# %% [markdown]
# **Power iteration** finds $\lambda_{\max}$ from products alone: repeat
# $v \leftarrow Hv / \lVert Hv \rVert$; then $v^\top H v \to \lambda$, the
# eigenvalue of largest magnitude (here the largest, as the check shows),
# at a rate set by the ratio of the two largest.

# %%
def top_eigenvalue(matvec, v, iters):
    """Power iteration from the vector v (a list of arrays): returns (vᵀAv, v) after `iters` products."""
    for _ in range(iters):
        v = [a / np.sqrt(dot(v, v)) for a in v]
        Av = matvec(v)
        lam, v = dot(v, Av), Av
    return lam, [a / np.sqrt(dot(v, v)) for a in v]


exact = np.linalg.eigvalsh(H)                     # from the full Hessian of section 3
estimates, v = {}, vs
for k in range(1, 401):
    lam, v = top_eigenvalue(lambda u: hvp(squared_error, model, u), v, 1)
    estimates[k] = lam
print(f"exact: largest {exact[-1]:.8f}, second {exact[-2]:.8f}, smallest {exact[0]:.8f}")
print("power iteration:", ", ".join(f"{estimates[k]:.8f} after {k}" for k in (1, 10, 100, 400)))
assert exact[-1] > abs(exact[0]) and abs(estimates[400] - exact[-1]) < 1e-8 * exact[-1]
assert abs(estimates[100] - exact[-1]) > 1e-4 * exact[-1]      # slow: the second eigenvalue is close

# %% [markdown]
# **The edge of stability.** Now train the network with full-batch gradient
# descent at three step sizes and measure $\lambda_{\max}$ along the way
# (every few steps, warm-starting power iteration from the previous
# vector, so three products suffice). Cohen et al. (2021) found that
# $\lambda_{\max}$ tends to rise during training (*progressive sharpening*)
# until it reaches $2/\eta$, and then hovers there while the loss keeps
# falling, though no longer monotonically.

# %%
EVERY = 20 if FAST else 5         # steps between two measurements of λ_max
STEPS = 1000


def sandwich(S, matvec):
    """v ↦ S·A(S·v) for the diagonal S (a list of arrays) and v ↦ A·v given as matvec."""
    return lambda v: [a * b for a, b in zip(S, matvec([a * b for a, b in zip(S, v)]))]


def track(name, scale=None, steps=STEPS, every=EVERY, **kwargs):
    """Train make_mlp() full batch with optim.<name>(**kwargs); every `every` steps measure λ_max(H),
    and λ_max(P⁻¹H) too if scale(opt) gives the diagonal of P⁻¹ (section below)."""
    model = make_mlp()
    opt = getattr(optim, name)(model.parameters(), **kwargs)
    rng = np.random.default_rng(1)
    u, u_pre = ([rng.standard_normal(p.shape) for p in model.parameters()] for _ in range(2))
    run = {"kwargs": kwargs, "optimizer": opt, "at": [], "sharpness": [], "preconditioned": [], "loss": []}
    H_times = lambda v: hvp(squared_error, model, v)
    for step in range(steps + 1):
        if step % every == 0:
            lam, u = top_eigenvalue(H_times, u, 20 if step == 0 else 3)   # warm start: u from last time
            lam_pre = np.nan
            if scale is not None and step > 0:
                # P⁻¹H has the eigenvalues of the symmetric S H S, with S = P^(−1/2)
                SHS = sandwich([np.sqrt(d) for d in scale(opt)], H_times)
                lam_pre, u_pre = top_eigenvalue(SHS, u_pre, 20 if step == every else 3)
            run["at"].append(step)
            run["sharpness"].append(lam)
            run["preconditioned"].append(lam_pre)
        if step == steps:
            break
        opt.zero_grad()
        loss = squared_error(model)
        loss.backward()
        opt.step()
        run["loss"].append(loss.item())
    run["exact"] = np.linalg.eigvalsh(hessian_matrix(squared_error, model))[-1]   # to check the last estimate
    return {k: np.array(v) if isinstance(v, list) else v for k, v in run.items()}


gd_runs = {eta: track("SGD", lr=eta) for eta in (0.1, 0.5, 1.0)}
for eta, run in gd_runs.items():
    run["limit"] = 2 / eta
    assert abs(run["sharpness"][-1] - run["exact"]) < 0.05 * run["exact"]   # the warm-started estimate is right

# %%
fig, (ax, ax_loss) = plt.subplots(1, 2, figsize=(12, 4.3))
for (eta, run), color in zip(gd_runs.items(), ["tab:green", "tab:orange", "tab:red"]):
    ax.plot(run["at"], run["sharpness"], color=color, label=f"η = {eta}; dashed: 2/η = {2 / eta:g}")
    ax.axhline(2 / eta, color=color, ls="--", lw=1)
    ax_loss.semilogy(run["loss"], color=color, lw=1, label=f"η = {eta}")
ax.set(xlabel="step", ylabel="λ_max(H)", title="sharpness along gradient descent (dashed: 2/η)",
       yscale="log", ylim=(1, 80))
ax_loss.set(xlabel="step", ylabel="training loss (squared error)", title="the loss meanwhile")
for a, ticks in [(ax, [1, 2, 3, 4, 10, 20]), (ax_loss, [0.03, 0.05, 0.1, 0.2, 0.5])]:
    a.set_yticks(ticks, [f"{t:g}" for t in ticks])
    a.set_yticks([], minor=True)
ax.legend(loc="upper right")
ax_loss.legend()
for a in (ax, ax_loss):
    a.grid(True, alpha=0.3)
fig.tight_layout()
plt.show()

# %%
for eta, run in gd_runs.items():
    late = run["sharpness"][len(run["sharpness"]) // 2:]
    rises = int((np.diff(run["loss"]) > 0).sum())
    print(f"η = {eta}: λ_max from {run['sharpness'][0]:.2f} to {run['sharpness'][-1]:.2f} "
          f"(second half: {late.min():.2f} … {late.max():.2f}; 2/η = {2 / eta:g}); "
          f"loss {run['loss'][0]:.3f} → {run['loss'][-1]:.4f}, rose in {rises} of {STEPS} steps")
for eta in (0.5, 1.0):                         # these two reach the edge and stay on it
    late = gd_runs[eta]["sharpness"][len(gd_runs[eta]["sharpness"]) // 2:]
    assert 0.9 * 2 / eta < late.max() < 1.25 * 2 / eta and np.median(late) > 0.85 * 2 / eta
assert gd_runs[0.5]["sharpness"][0] < 2 / 0.5 and gd_runs[1.0]["sharpness"][0] > 2 / 1.0   # below / above at first
assert gd_runs[0.1]["sharpness"].max() < 0.25 * 2 / 0.1    # a small η leaves its edge far away
assert all(run["loss"][-1] < 0.2 * run["loss"][0] for run in gd_runs.values())
assert (np.diff(gd_runs[1.0]["loss"]) > 0).sum() > 0 == (np.diff(gd_runs[0.1]["loss"]) > 0).sum()

# %% [markdown]
# With $\eta = 0.1$ the sharpness climbs slowly, far below its $2/\eta = 20$,
# and the loss falls at every step. With $\eta = 0.5$ it climbs until it
# meets $2/\eta = 4$ and then stays near it. With $\eta = 1$ it starts
# above $2/\eta = 2$; the loss spikes until training has moved to where
# $\lambda_{\max} \approx 2$, and it stays there. Each time the sharpness
# crosses the limit the loss jumps, and training itself pushes the
# sharpness back: the step size does not only have to fit the landscape, it
# decides which part of the landscape training ends up in.
#
# **Along the eight optimizers' paths.** An adaptive optimizer steps
# $\theta \leftarrow \theta - \eta P^{-1} g$ (or $m$) with the diagonal
# $P^{-1} = \mathrm{diag}(d)$ that `step_scale` reads from its state: for
# Adam $d = 1/(\sqrt{\hat v} + \varepsilon)$. On a quadratic that is
# gradient descent on the *preconditioned* Hessian $P^{-1}H$, so the limit
# that binds it is on $\lambda_{\max}(P^{-1}H)$, not on $\lambda_{\max}(H)$
# (Cohen et al., 2022). Each panel below shows both, against the
# optimizer's limit: $2/\eta$, or the momentum limit.

# %%
SECOND_MOMENT = {"Adagrad": "s", "RMSProp": "v", "Adam": "v", "AMSGrad": "v_max", "SWATS": "a", "RAdam": "v"}


def step_scale(opt):
    """Per parameter, the diagonal d of P⁻¹ in the step θ ← θ − η·d·(g or m̂), read from the state.

    Adagrad and RMSProp: d = 1/(√v + ε), v their sum or average of g². Adam and its variants:
    1/(√v̂ + ε), v̂ = v/(1 − β2^t) (AMSGrad: v_max; RAdam: times its r_t).
    """
    group = opt.param_groups[0]
    name = type(opt).__name__
    scales = []
    for p in group["params"]:
        state = opt.state[p]
        v = state[SECOND_MOMENT[name]]
        if "betas" in group:
            beta2, t = group["betas"][1], state["t"]
            v = v / (1 - beta2 ** t)                                 # the bias-corrected v̂
        d = 1 / (np.sqrt(v) + group["eps"])
        if name == "RAdam":       # times r_t once ρ_t > threshold; before that its step is η·m̂ (d = 1)
            rho, r = mg.optim.radam.rectification(t, beta2)
            d = d * r if rho > group["threshold"] else np.ones(p.shape)
        scales.append(d)
    return scales


def stability_limit(name, kwargs):
    """The largest stable eigenvalue of P⁻¹H on a quadratic: 2/η, moved by momentum."""
    eta = kwargs["lr"]
    if name == "SGDM":
        return (2 + 2 * kwargs["momentum"]) / eta
    if name in ("Adam", "AMSGrad", "SWATS", "RAdam"):
        beta1 = kwargs.get("betas", (0.9, 0.999))[0]
        return (2 + 2 * beta1) / ((1 - beta1) * eta)
    return 2 / eta


RUNS = {"SGD": {"lr": 0.5}, "SGDM": {"lr": 0.5, "momentum": 0.9}, "Adagrad": {"lr": 0.2},
        "RMSProp": {"lr": 0.02}, "Adam": {"lr": 0.05}, "AMSGrad": {"lr": 0.05}, "SWATS": {"lr": 0.05},
        "RAdam": {"lr": 0.05}}
runs = {"SGD": gd_runs[0.5]} | {name: track(name, step_scale if name in SECOND_MOMENT else None, **kw)
                                 for name, kw in RUNS.items() if name != "SGD"}
for name, run in runs.items():
    run["limit"] = stability_limit(name, run["kwargs"])
assert runs["SWATS"]["optimizer"].phase == "adam"      # it never switched: d is Adam's all along
assert all(abs(run["sharpness"][-1] - run["exact"]) < 0.05 * run["exact"] for run in runs.values())

# %%
fig, axes = plt.subplots(2, 4, figsize=(16, 7.5), sharex=True)
for ax, (name, run) in zip(axes.ravel(), runs.items()):
    eta = run["kwargs"]["lr"]
    ax.plot(run["at"], run["sharpness"], color="0.45", label="λ_max(H)")
    if name in SECOND_MOMENT:
        ax.plot(run["at"], run["preconditioned"], color="tab:purple", label="λ_max(P⁻¹H)")
    ax.axhline(2 / eta, color="k", ls="--", lw=1, label="2/η")
    if run["limit"] != 2 / eta:
        ax.axhline(run["limit"], color="k", ls=":", lw=1.5, label="momentum limit")
    ax.set(yscale="log", title=f"{name}, η = {eta:g}")
    ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
    if name in ("SGD", "SGDM", "Adagrad"):                  # about a decade: label every minor tick
        ax.yaxis.set_minor_formatter(FormatStrFormatter("%g"))
    elif name == "RMSProp":                                  # two decades: label the 2s and 5s
        ax.yaxis.set_minor_formatter(FuncFormatter(lambda y, _: f"{y:g}" if f"{y:g}"[0] in "25" else ""))
    else:
        ax.yaxis.set_minor_formatter("")
    ax.grid(True, alpha=0.3)
for ax in axes[1]:
    ax.set_xlabel("step")
for ax in axes[:, 0]:
    ax.set_ylabel("eigenvalue")
fig.suptitle("the largest eigenvalue along each optimizer's path, against its stability limit (full batch)")
# one legend for all panels (Adam's has every kind of line), below them: in a panel it hid the curves
fig.legend(*axes[1, 0].get_legend_handles_labels(), loc="lower center", ncol=4, frameon=False)
fig.tight_layout(rect=(0, 0.05, 1, 1))
plt.show()

# %%
print(f"{'optimizer':>9} {'η':>5} {'2/η':>6} {'limit':>6} {'max λmax(H)':>12} {'median λmax(P⁻¹H), 2nd half':>30} {'loss end':>9}")
edge = {}
for name, run in runs.items():
    curve = run["preconditioned"] if name in SECOND_MOMENT else run["sharpness"]
    late = curve[len(curve) // 2:]
    edge[name] = np.median(late) / run["limit"]
    print(f"{name:>9} {run['kwargs']['lr']:5g} {2 / run['kwargs']['lr']:6g} {run['limit']:6g} "
          f"{run['sharpness'].max():12.2f} {np.median(late):14.1f} ({edge[name]:4.0%} of limit) {run['loss'][-1]:9.4f}")
assert all(run["loss"][-1] < 0.2 * run["loss"][0] for run in runs.values())
assert min(edge.values()) > 0.5 and max(edge.values()) < 1.5    # every run trains near its own edge
adaptive = [name for name in runs if name in SECOND_MOMENT]
assert all(runs[n]["sharpness"].max() < 2 / RUNS[n]["lr"] for n in adaptive)
assert all(runs[n]["sharpness"].max() < 0.25 * 2 / RUNS[n]["lr"] for n in adaptive if n != "Adagrad")
sgdm = runs["SGDM"]["sharpness"]
assert sgdm.max() > 0.95 * runs["SGDM"]["limit"] and sgdm[sgdm.argmax():].min() < 0.6 * sgdm.max()  # up, then down
assert all(runs[n]["preconditioned"][1] > 0.7 * runs[n]["limit"] for n in ("Adagrad", "RMSProp"))   # at once
assert all(runs[n]["preconditioned"][1] < 0.2 * runs[n]["limit"] for n in ("Adam", "AMSGrad", "SWATS", "RAdam"))

# %% [markdown]
# Read the panels by colour:
#
# - **grey**, the raw sharpness $\lambda_{\max}(H)$: for SGD it reaches
#   $2/\eta$ and stays near it; for SGDM it climbs to its momentum limit
#   $(2 + 2\mu)/\eta$, falls back at once and climbs again; for the
#   adaptive methods it stays below $2/\eta$ (far below for all but
#   Adagrad), which tells nothing about their stability;
# - **purple**, the preconditioned sharpness $\lambda_{\max}(P^{-1}H)$:
#   for Adagrad and RMSProp it is at $2/\eta$ from the first measurements
#   on; for Adam, AMSGrad, SWATS (still in its Adam phase) and RAdam it
#   climbs to $38/\eta$ and stays near it.
#
# The table above gives each run's median over the second half as a share
# of its limit. So the adaptive optimizers are not free of the stability
# limit: they move it from $H$ to $P^{-1}H$, whose largest eigenvalue
# they push up to the edge just as gradient descent does with $H$.
# Whether $P^{-1}$ makes that matrix better *conditioned* than $H$ is the
# question of the last section.
#
# ## 5. The Hessian diagonal and the second moments
#
# If $P$ matched $H$, $P^{-1}H$ would be the identity and one $\eta$ would
# suit every direction, as in Newton's method. The adaptive methods use a
# diagonal $P = \mathrm{diag}(\sqrt{v}) + \varepsilon$, with $v$ read from
# their state:
#
# | optimizer | state | what $v$ is |
# | --- | --- | --- |
# | Adagrad | `s` | $\sum_t g_t^2$; divided below by the number of steps: the mean $g^2$ of the run |
# | RMSProp | `v` | a mean of $g^2$ over the last $\approx 1/(1-\alpha) = 10$ steps |
# | Adam | `v` | a mean of $g^2$ over $\approx 1/(1-\beta_2) = 1000$ steps; $\hat v = v/(1-\beta_2^t)$ |
#
# How does $\sqrt v$ compare with the true curvature $H_{ii}$? The
# comparison needs a loss that is a likelihood, so from here on the same
# network is trained by **cross-entropy**, with mini-batches (as the
# adaptive methods are used). At each optimizer's final point we compute
# the exact Hessian, and the Jacobian $J_n$ of the logits of every
# example (one backward pass per example and class).

# %%
X64, labels = X_train.astype(np.float64), mg.Tensor(y_train)
N, BATCH, EPOCHS = len(y_train), 25, 40         # 8 equal batches an epoch


def cross_entropy(model):
    return F.cross_entropy(model(X), labels)


def logit_jacobians(model):
    """For each example n: p(x_n), shape (K,), and J_n, shape (K, n_params), row k = ∇ of the logit z_k."""
    params = list(model.parameters())
    probs, jacobians = [], []
    for xn in X64:
        z = model(mg.Tensor(xn[None, :]))
        probs.append(z.softmax(axis=1).data[0])
        jacobians.append([np.concatenate([r.data.ravel() for r in
                                          mg.grad(z, params, grad_output=np.eye(2)[None, k], retain_graph=True)])
                          for k in range(2)])
    return np.array(probs), np.array(jacobians)


fits = {}
for name, kw in {"Adagrad": {"lr": 0.1}, "RMSProp": {"lr": 0.01}, "Adam": {"lr": 0.01}}.items():
    model = make_mlp()
    opt = getattr(optim, name)(model.parameters(), **kw)
    history = optim.train(model, F.cross_entropy, opt, X64, y_train, batch_size=BATCH, epochs=EPOCHS, rng=0)
    state = [opt.state[p] for p in model.parameters()]
    v = np.concatenate([st[SECOND_MOMENT[name]].ravel() for st in state])
    if name == "Adagrad":
        v = v / len(history.step_loss)                               # the sum → the mean g² of the run
    if name == "Adam":
        v = v / (1 - 0.999 ** state[0]["t"])                         # v̂, with the default β2
    H = hessian_matrix(cross_entropy, model)
    p, J = logit_jacobians(model)
    # the gradient of −log p_k(x_n) is J_nᵀ (p_n − e_k), by the chain rule: one per example and class
    G = np.einsum("nkj,njp->nkp", p[:, None, :] - np.eye(2)[None], J)
    g_n = G[np.arange(N), y_train]                                    # with the true labels
    g_bar = np.concatenate([a.ravel() for a in gradient(cross_entropy, model)])
    assert np.allclose(g_n.mean(axis=0), g_bar, atol=1e-12)          # their mean is ∇L
    curv = p[:, :, None] * np.eye(2)[None] - p[:, :, None] * p[:, None, :]   # ∇²_z ℓ = diag(p) − ppᵀ
    gauss_newton = np.einsum("nkp,nkj,njq->pq", J, curv, J) / N
    fisher = np.einsum("nk,nkp,nkq->pq", p, G, G) / N                # E_{y~p}[g gᵀ], labels from the model
    assert np.allclose(gauss_newton, fisher, atol=1e-12)
    fits[name] = {"v": v, "H": H, "GN": gauss_newton, "g_bar": g_bar, "emp": (g_n ** 2).mean(axis=0)}
    print(f"{name}: {len(history.step_loss)} steps, final epoch loss {history.epoch_loss[-1]:.3f}")

# %% [markdown]
# The asserts in that cell check the **Gauss-Newton / Fisher link**.
# Through the logits $z$ the Hessian splits in two,
#
# $$H = \underbrace{\tfrac1N \textstyle\sum_n J_n^\top \nabla_z^2\ell_n\, J_n}_{G,\ \text{Gauss-Newton}}
#   \;+\; \tfrac1N \textstyle\sum_n \sum_k (p_{nk} - y_{nk})\, \nabla^2 z_{nk} .$$
#
# For softmax cross-entropy $\nabla_z^2\ell = \mathrm{diag}(p) - pp^\top$,
# and $G$ equals the **Fisher** matrix $\mathbb E_{y \sim p}[g g^\top]$:
# squared gradients, with labels drawn from the model itself. $G$ is
# positive semi-definite; the second term, weighted by the residuals
# $p - y$, is what it leaves out. With the *true* labels instead one gets
# the **empirical Fisher**, whose diagonal $\frac1N\sum_n g_n^2$ is what
# squared mini-batch gradients estimate.

# %%
def corr_log(a, b):
    """Correlation of the logarithms: do a and b rise and fall together, whatever their units?"""
    return np.corrcoef(np.log(a), np.log(b))[0, 1]


print(f"{'':>8} {'λmin(H)':>8} {'H_ii < 0':>8} {'λmin(G)':>8} {'‖H − G‖/‖H‖':>12} {'off-diagonal':>12} "
      f"{'r(H_ii, G_ii)':>13} {'r(G_ii, mean g_n²)':>18}")
for name, fit in fits.items():
    H, G, d = fit["H"], fit["GN"], np.diag(fit["H"])
    fit["off"] = np.linalg.norm(H - np.diag(d)) / np.linalg.norm(H)     # the share of H off its diagonal
    fit["neg"] = d < 0
    pos = ~fit["neg"]
    fit["r_G"], fit["r_emp"] = corr_log(d[pos], np.diag(G)[pos]), corr_log(np.diag(G), fit["emp"])
    print(f"{name:>8} {np.linalg.eigvalsh(H)[0]:8.4f} {fit['neg'].sum():>8} {max(np.linalg.eigvalsh(G)[0], 0):8.4f} "
          f"{np.linalg.norm(H - G) / np.linalg.norm(H):12.2f} {fit['off']:12.2f} {fit['r_G']:13.2f} "
          f"{fit['r_emp']:18.2f}")
    assert np.linalg.eigvalsh(H)[0] < 0 <= np.linalg.eigvalsh(G)[0] + 1e-12
    assert np.linalg.norm(H - G) < 0.3 * np.linalg.norm(H) and fit["off"] > 0.8
    assert fit["r_G"] > 0.8 and fit["r_emp"] > 0.8

# %% [markdown]
# Column by column: $H$ has a negative eigenvalue (the network is not
# convex, even after training), though hardly ever a negative diagonal
# entry; $G$ has none; they differ by a small part
# of $H$; on the diagonal they rise and fall together, and so do $G$ and
# the empirical Fisher ($r$: correlation of the logarithms). And most of
# $H$ is **off** its diagonal: $\lVert H - \mathrm{diag}\,H\rVert_F /
# \lVert H \rVert_F$ is above 0.8, so any diagonal $P$ leaves out most of
# the Hessian.
#
# Now each optimizer's $\sqrt v$ against the true diagonal, one point per
# parameter (negative $H_{ii}$ drawn at $|H_{ii}|$, as red ×). The last
# panel compares RMSProp's $v$ with the mean squared mini-batch gradient
# at its final point: for batches of $B$ of the $N$ examples, drawn
# without replacement,
# $\mathbb E[g_B^2] = \bar g^2 + \sigma^2 \frac{N - B}{B(N - 1)}$, with
# $\sigma^2 = \frac1N\sum_n g_n^2 - \bar g^2$.

# %%
def expected_square(fit, B):
    """E[g_B²] per parameter for mini-batches of B distinct examples out of N."""
    variance = fit["emp"] - fit["g_bar"] ** 2
    return fit["g_bar"] ** 2 + variance * (N - B) / (B * (N - 1))


fig, axes = plt.subplots(1, 4, figsize=(17, 4.3))
for ax, (name, fit) in zip(axes, fits.items()):
    d, root_v, neg = np.abs(np.diag(fit["H"])), np.sqrt(fit["v"]), fit["neg"]
    slope, intercept = np.polyfit(np.log(d), np.log(root_v), 1)
    fit["r"], fit["slope"] = corr_log(d, root_v), slope
    ax.loglog(d[~neg], root_v[~neg], "o", ms=4, alpha=0.7, label="H_ii > 0")
    if neg.any():
        ax.loglog(d[neg], root_v[neg], "x", color="red", ms=8, mew=2, label="H_ii < 0")
    grid = np.logspace(np.log10(d.min()), np.log10(d.max()))
    ax.loglog(grid, np.exp(intercept) * grid ** slope, "k--", lw=1, label=f"fit: √v ∝ |H_ii|^{slope:.2f}")
    ax.set(xlabel="|H_ii|, the true Hessian diagonal", ylabel=f"√v, {name}'s state",
           title=f"{name}: r = {fit['r']:.2f}")
fit = fits["RMSProp"]
expected = expected_square(fit, BATCH)
fit["r_batch"] = corr_log(expected, fit["v"])
axes[3].loglog(expected, fit["v"], "o", ms=4, alpha=0.7, color="tab:green")
ends = [min(expected.min(), fit["v"].min()), max(expected.max(), fit["v"].max())]
axes[3].loglog(ends, ends, "k--", lw=1, label="v = E[g_B²]")
axes[3].set(xlabel=f"E[g_B²] at the final point, B = {BATCH}", ylabel="v, RMSProp's state",
            title=f"what v estimates: r = {fit['r_batch']:.2f}")
for ax in axes:
    ax.legend(fontsize=8)
    ax.grid(True, alpha=0.3)
fig.tight_layout()
plt.show()

# %%
for name, fit in fits.items():
    print(f"{name:>8}: r(log |H_ii|, log √v) = {fit['r']:.2f}, slope {fit['slope']:.2f}")
ratio_v = np.median(fits["RMSProp"]["v"] / expected)
print(f"RMSProp's v over E[g_B²]: median {ratio_v:.2f}")
assert all(fit["r"] > 0.5 and 0.15 < fit["slope"] < 0.75 for fit in fits.values())
assert fits["RMSProp"]["r_batch"] > 0.9 and 0.5 < ratio_v < 2

# %% [markdown]
# One more computed fact: $\mathbb E[g_B^2]$ depends on the batch size; the
# Hessian does not. At RMSProp's final point:

# %%
by_batch = {B: expected_square(fits["RMSProp"], B) for B in (5, 25, 100)}
ratio_batch = np.median(by_batch[5] / by_batch[100])
print(f"median over the parameters of E[g_B²] with B = 5 over B = 100: {ratio_batch:.1f}")
assert ratio_batch > 5

# %% [markdown]
# **What $\sqrt v$ captures.**
#
# - *A per-coordinate scale that follows the curvature*: parameters with
#   a larger $H_{ii}$ have a larger $\sqrt v$ (correlations above 0.5 in
#   every panel). The chain behind it is the table's: $v$ estimates
#   squared gradients, whose mean is the empirical Fisher, which rises and
#   falls with $G$, which is most of $H$.
# - *Invariance to the scale of the loss*: multiplying $L$ by $c$
#   multiplies $g$ and $\sqrt v$ by $c$, so Adam's step does not change,
#   like Newton's (exercise 3); gradient descent's grows $c$-fold.
#
# **What it does not.**
#
# - *It is a gradient statistic, not curvature.* $v$ tracks
#   $\mathbb E[g_B^2]$ (last panel), which grows as the batch shrinks
#   (the ratio above) while $H$ stays the same, and which would be
#   $\bar g^2 \to 0$ at a minimum with full batches, whatever the
#   curvature there. It also remembers the path: Adam's $v$ averages
#   $\approx 1000$ steps, more than this whole run.
# - *The square root.* $\sqrt v$ grows like a power of $|H_{ii}|$ well
#   below 1 (the slopes), so it compresses the differences in curvature;
#   Newton divides by $H$ itself.
# - *The sign.* $\sqrt v \ge 0$, always: a square carries no sign, while
#   $H$ has a negative eigenvalue here (the table), a direction where the
#   loss curves down.
# - *The off-diagonal terms*, most of $H$. A per-coordinate rescaling
#   cannot undo a valley that runs at an angle to the axes, as
#   Rosenbrock's does. At its minimum $(1, 1)$:

# %%
D = np.diag(1 / np.sqrt(np.diag(H_min)))
kappa = np.linalg.cond(H_min)
kappa_diag = np.linalg.cond(D @ H_min @ D)            # the best diagonal rescaling: by H's own diagonal
kappa_newton = np.linalg.cond(np.linalg.solve(H_min, H_min))
print(f"condition number λmax/λmin of H: {kappa:.0f}; rescaled by diag(H): {kappa_diag:.0f}; "
      f"after Newton's H⁻¹: {kappa_newton:.0f}")
assert kappa > 2000 and kappa_diag > 0.5 * kappa and kappa_newton < 1 + 1e-9

# %% [markdown]
# Even the exact Hessian diagonal, let alone $\sqrt v$, leaves the valley
# about two-thirds as ill-conditioned as before. That is the price of a
# preconditioner that costs one array per parameter; Newton's $H^{-1}$
# costs $n^2$ numbers and a linear solve, which is why, for networks, it
# is approximated through Hessian-vector products instead.
#
# ## Exercises
#
# Each exercise asks first: write your answer in place of `None` and run
# the cell; the solution follows, and `check` compares your answer with it
# (left at `None`, it only shows the solution).

# %%
def check(name, answer, solution, tol=1e-6):
    """Assert that the reader's answer matches the solution; report it when the answer is still None."""
    if answer is None:
        print(f"{name}: no answer given; the solution is {solution}")
        return
    assert np.allclose(answer, solution, rtol=tol, atol=tol), f"{name}: your answer {answer}, the solution {solution}"
    print(f"{name}: right")


# %% [markdown]
# **Exercise 1.** How many Newton steps does it take to reach the minimum
# of a quadratic $f(w) = \frac12 w^\top A w - b^\top w$ ($A$ positive
# definite), from any start?

# %%
your_newton_steps = None     # your answer: a whole number

# %% [markdown]
# *Solution.* One: the quadratic model of a quadratic is the function
# itself, so its bottom is the minimum, $A^{-1}b$.

# %%
A, b = np.array([[3.0, 1.0], [1.0, 2.0]]), np.array([1.0, -1.0])
quadratic = lambda w: 0.5 * (w * (mg.Tensor(A) @ w)).sum() - (mg.Tensor(b) * w).sum()
w = np.array([5.0, -7.0])
steps_needed = 0
while np.abs(A @ w - b).max() > 1e-12:
    g, H = gradient_and_hessian(quadratic, w)
    w, steps_needed = w - np.linalg.solve(H, g), steps_needed + 1
assert steps_needed == 1 and np.allclose(w, np.linalg.solve(A, b))
check("Newton steps on a quadratic", your_newton_steps, steps_needed)

# %% [markdown]
# **Exercise 2.** What is the largest step size $\eta$ for which gradient
# descent is stable at Rosenbrock's minimum $(1, 1)$? (Use
# `gradient_and_hessian` or power iteration.)

# %%
your_largest_eta = None      # your answer: a number

# %% [markdown]
# *Solution.* $2/\lambda_{\max}$, with $\lambda_{\max} \approx 1001.6$, the
# curvature across the valley. Checked by running gradient descent from
# near the minimum just below and just above it:

# %%
largest_eta = 2 / np.linalg.eigvalsh(H_min)[-1]
near = np.array([1.001, 1.0])
below, _, _ = run_optimizer("SGD", lambda w, t: rosenbrock(w), near, 300, lr=0.99 * largest_eta)
above, _, _ = run_optimizer("SGD", lambda w, t: rosenbrock(w), near, 300, lr=1.01 * largest_eta)
print(f"largest stable η = {largest_eta:.6f}; distance to (1, 1) after 300 steps: "
      f"{np.abs(below[-1] - 1).max():.1e} just below it, {np.abs(above[-1] - 1).max():.1e} just above")
assert np.abs(below[-1] - 1).max() < 1e-3 < np.abs(above[-1] - 1).max()
check("largest stable η", your_largest_eta, largest_eta, tol=1e-5)

# %% [markdown]
# **Exercise 3.** Multiply Rosenbrock's function by 100. By what factor does
# the first step from $(-1.2, 1)$ change for gradient descent, for Newton's
# method, and for Adam?

# %%
your_factors = None          # your answer: three numbers (gradient descent, Newton, Adam)

# %% [markdown]
# *Solution.* $g$ and $H$ both grow 100-fold: gradient descent's step
# $-\eta g$ grows 100-fold, Newton's $-H^{-1}g$ does not change, and neither
# does Adam's, whose first step is $-\eta\, g/(|g| + \varepsilon)$.

# %%
def first_step(kind, scale):
    f = lambda w: scale * rosenbrock(w)
    if kind == "Newton":
        g, H = gradient_and_hessian(f, start)
        return -np.linalg.solve(H, g)
    path, _, _ = run_optimizer(kind, lambda w, t: f(w), start, 1, lr=1e-4)
    return path[1] - path[0]


factors = np.array([np.linalg.norm(first_step(k, 100.0)) / np.linalg.norm(first_step(k, 1.0))
                    for k in ("SGD", "Newton", "Adam")])
print("factors (gradient descent, Newton, Adam):", np.round(factors, 6))
assert np.allclose(factors, [100, 1, 1], rtol=1e-6)
check("step factors", your_factors, factors)

# %% [markdown]
# **Exercise 4.** The quadratic with $H = \begin{pmatrix} 50.5 & 49.5 \\
# 49.5 & 50.5 \end{pmatrix}$ has a valley along the diagonal. What is its
# condition number $\lambda_{\max}/\lambda_{\min}$, and what is it after
# the best diagonal rescaling, $D^{-1/2} H D^{-1/2}$ with
# $D = \mathrm{diag}(H)$?

# %%
your_conditions = None       # your answer: two numbers (before, after)

# %% [markdown]
# *Solution.* The eigenvalues are $50.5 \pm 49.5$, so 100 and 1: the
# condition number is 100. Both diagonal entries are equal, so the
# rescaling only multiplies $H$ by a number: still 100. A per-coordinate
# step size cannot see a valley that is not aligned with the axes.

# %%
H_valley = np.array([[50.5, 49.5], [49.5, 50.5]])
D_valley = np.diag(1 / np.sqrt(np.diag(H_valley)))
conditions = np.array([np.linalg.cond(H_valley), np.linalg.cond(D_valley @ H_valley @ D_valley)])
assert np.allclose(conditions, [100, 100])
check("condition numbers", your_conditions, conditions)

# %% [markdown]
# **References.** B. A. Pearlmutter, "Fast exact multiplication by the
# Hessian", Neural Computation 6, 1994. J. Cohen, S. Kaur, Y. Li, J. Z.
# Kolter, A. Talwalkar, "Gradient Descent on Neural Networks Typically
# Occurs at the Edge of Stability", ICLR 2021. J. Cohen et al., "Adaptive
# Gradient Methods at the Edge of Stability", arXiv:2207.14484, 2022.
# J. Martens, "New Insights and Perspectives on the Natural Gradient
# Method", JMLR 21, 2020 (the Gauss-Newton matrix and the Fisher).
# F. Kunstner, L. Balles, P. Hennig, "Limitations of the Empirical Fisher
# Approximation for Natural Gradient Descent", NeurIPS 2019.
