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
# # 05 · Online, offline, batch and mini-batch training
#
# Notebook 04 compared *how* an optimizer turns a gradient into a step. This
# one keeps the optimizer fixed (plain SGD) and varies *what data each
# gradient comes from*:
#
# - **online** learning: one example per update, $n$ updates per pass over
#   the data (an *epoch*); or a stream where each example is seen once;
# - **offline** (batch) learning: all $n$ examples per update, one update per epoch;
# - **mini-batch** learning in between: $B$ examples per update, $\lceil n/B\rceil$ updates per epoch.
#
# We measure, live, what the choice costs and buys: updates per epoch, wall
# time per epoch, how noisy the loss curve is, and the final accuracy.

# %%
# %matplotlib inline
import inspect
import math
import os
import time

import matplotlib.pyplot as plt
import numpy as np
import sklearn.datasets
from IPython.display import Markdown, display
from threadpoolctl import threadpool_limits   # installed with scikit-learn

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import datasets, nn, optim

FAST = os.environ.get("MINIGRAD_TUTORIAL_FAST") == "1"  # set by the test suite: fewer epochs and samples


def show(obj):
    """Show the source of a minigrad object (read with inspect, so text and code never drift apart)."""
    display(Markdown(f"```python\n{inspect.getsource(obj)}```"))


# %% [markdown]
# ## 1. The math: a mini-batch gradient is a noisy estimate of the full one
#
# The training loss is a mean over the $n$ examples,
# $L(\theta) = \frac1n \sum_i \ell_i(\theta)$, so its gradient is the mean
# of the per-example gradients $g_i = \nabla \ell_i(\theta)$:
#
# $$g = \frac1n \sum_{i=1}^n g_i .$$
#
# Offline learning computes exactly $g$. A mini-batch $\mathcal B$ of $B$
# examples drawn at random without replacement computes
# $g_{\mathcal B} = \frac1B \sum_{i \in \mathcal B} g_i$, which is right
# *on average* ($\mathbb E\, g_{\mathcal B} = g$) and off by a random error
# whose size shrinks with $B$:
#
# $$\mathbb E \,\lVert g_{\mathcal B} - g \rVert^2 = \frac{\sigma^2}{B}\cdot\frac{n - B}{n - 1},
# \qquad \sigma^2 = \frac1n \sum_i \lVert g_i - g \rVert^2 .$$
#
# Four times the batch, half the error (in norm). The factor
# $\frac{n-B}{n-1}$ is sampling without replacement: at $B = n$ the error
# is 0, at $B = 1$ the factor is 1.
#
# Let us check this on a real network: an MLP 64-32-10 on scikit-learn's
# 8×8 digits, at its initial weights.

# %%
X_train, y_train, X_test, y_test = datasets.load("digits", rng=0)
n = len(X_train)


def make_model():
    return nn.Sequential(nn.Linear(64, 32, rng=0), nn.Tanh(), nn.Linear(32, 10, rng=1))


probe = make_model()
initial = probe.state_dict()      # every run below starts from these weights


def gradient(xb, yb):
    """The gradient of the mean loss over (xb, yb) at the initial weights, as one flat float64 vector."""
    probe.zero_grad()
    F.cross_entropy(probe(mg.Tensor(xb)), mg.Tensor(yb)).backward()
    return np.concatenate([p.grad.ravel() for p in probe.parameters()]).astype(np.float64)


g_full = gradient(*next(optim.offline(X_train, y_train)))                  # offline: all n at once
per_example = np.array([gradient(xb, yb) for xb, yb in optim.online(X_train, y_train, shuffle=False)])
sigma2 = ((per_example - g_full) ** 2).sum(axis=1).mean()
print(f"{n} examples, {g_full.size} parameters, |g| = {np.linalg.norm(g_full):.3f}, σ² = {sigma2:.3f}")
assert np.allclose(per_example.mean(axis=0), g_full, atol=1e-5)   # the full gradient IS the mean

# %% [markdown]
# The assert is the first equation: the mean of the 1,437 online gradients
# is the offline gradient. Now the second: for each batch size, draw many
# random mini-batches with `optim.minibatches` and measure the squared error
# of their gradients.

# %%
sizes = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]
draws = 40 if FAST else 200
rng = np.random.default_rng(0)
measured = []
for B in sizes:
    errors = []
    while len(errors) < draws:
        for xb, yb in optim.minibatches(X_train, y_train, B, drop_last=True, rng=rng):
            errors.append(((gradient(xb, yb) - g_full) ** 2).sum())
            if len(errors) == draws:
                break
    measured.append(np.mean(errors))
measured = np.array(measured)
theory = sigma2 / np.array(sizes) * (n - np.array(sizes)) / (n - 1)

fig, ax = plt.subplots(figsize=(6.5, 4))
ax.loglog(sizes, theory, "-", color="grey", label="theory  σ²/B · (n − B)/(n − 1)")
ax.loglog(sizes, measured, "o", label=f"measured: mean over {draws} mini-batches")
ax.set_xlabel("batch size B")
ax.set_ylabel("E |g_B − g|²")
ax.set_title("Mini-batch gradient error at the initial weights")
ax.legend()
ax.grid(True, which="major", alpha=0.3)
plt.show()

assert np.all(np.abs(np.log(measured / theory)) < np.log(2 if FAST else 1.5))   # within a factor of 2 (1.5)

# %% [markdown]
# ## 2. The three regimes in minigrad
#
# Each regime is a function that returns an iterator over one epoch of
# `(xb, yb)` batches; `optim.train` calls it again for every epoch. Every
# batch keeps a leading batch axis, so the model sees the same shapes in all
# three. Mini-batches (the markers are for homework, see notebook 06):

# %%
show(optim.minibatches)

# %% [markdown]
# Offline learning is a single batch holding everything:

# %%
show(optim.offline)

# %% [markdown]
# and `optim.online(X, y)` yields the examples one at a time, in a new random
# order each epoch. So the number of updates per epoch is $n$,
# $\lceil n/B \rceil$ and 1:

# %%
for name, batches in [("online", optim.online(X_train, y_train, rng=0)),
                      ("minibatch, B = 32", optim.minibatches(X_train, y_train, 32, rng=0)),
                      ("offline", optim.offline(X_train, y_train))]:
    shapes = [xb.shape for xb, _ in batches]
    print(f"{name:18} {len(shapes):5} updates per epoch; first batch {shapes[0]}, last {shapes[-1]}")
assert len(list(optim.minibatches(X_train, y_train, 32))) == math.ceil(n / 32) == 45

# %% [markdown]
# ## 3. A run: the same network, the same SGD, five regimes
#
# Each run starts from the same weights with the same optimizer
# (`SGD`, $\eta = 0.05$) for the same number of epochs. After every epoch a
# callback measures the test accuracy; its own time is subtracted, so the
# clock counts training only. NumPy's matrix library is limited to one thread
# during the runs, so that the timings do not depend on how many cores are
# idle (minigrad's benchmarks do the same).
#
# NOTE(torch): PyTorch has no regime argument; its `DataLoader(batch_size=B,
# shuffle=True)` plays the role of `optim.minibatches`, and `batch_size=1`
# or `batch_size=len(dataset)` give online and offline learning.

# %%
EPOCHS = 3 if FAST else 20
LR = 0.05
REGIMES = [("online", "online", 1), ("B = 8", "minibatch", 8), ("B = 32", "minibatch", 32),
           ("B = 128", "minibatch", 128), ("offline", "offline", n)]


def last_epoch_noise(step_loss, per_epoch):
    """Std of log(loss) over the last epoch's updates around a fitted line; 0 with one update per epoch."""
    if per_epoch == 1:
        return 0.0
    y = np.log(step_loss[-per_epoch:])
    k = np.arange(per_epoch)
    return float(np.std(y - np.polyval(np.polyfit(k, y, 1), k)))


def accuracy(model, X, y):
    with mg.no_grad():
        return float((model(mg.Tensor(X)).data.argmax(axis=1) == y).mean())


runs = {}
blas_one_thread = threadpool_limits(limits=1)
for label, regime, B in REGIMES:
    model = make_model()
    model.load_state_dict(initial)
    clock = {"train": 0.0, "last": None, "seconds": [], "test_acc": []}

    def after_epoch(history, clock=clock, model=model):
        now = time.perf_counter()
        clock["train"] += now - clock["last"]
        clock["seconds"].append(clock["train"])
        clock["test_acc"].append(accuracy(model, X_test, y_test))
        clock["last"] = time.perf_counter()          # the evaluation is not training time

    clock["last"] = time.perf_counter()
    history = optim.train(model, F.cross_entropy, optim.SGD(model.parameters(), lr=LR), X_train, y_train,
                          regime=regime, batch_size=B, epochs=EPOCHS, rng=0, callback=after_epoch)
    runs[label] = dict(history=history, B=B, **clock)
blas_one_thread.restore_original_limits()

# %% [markdown]
# The table. *s/epoch* is the fastest epoch of the run (other programs on
# the machine can only add time). *Noise* is the scatter of the update
# losses in the last epoch around their trend: the standard deviation of
# $\log L_k$ minus a straight line fitted through them. Each update sees a
# different batch, and a small batch is a poor sample of the data. Offline
# learning has no such noise: its one loss per epoch is the full loss.

# %%
print(f"{'regime':9} {'updates/epoch':>13} {'s/epoch':>8} {'µs/example':>10} {'noise':>6} "
      f"{'train loss':>10} {'test acc':>8}")
table = {}
for label, r in runs.items():
    h = r["history"]
    per_epoch = len(h.step_loss) // EPOCHS
    s_epoch = float(np.min(np.diff([0.0] + r["seconds"])))
    noise = last_epoch_noise(h.step_loss, per_epoch)
    table[label] = dict(per_epoch=per_epoch, s_epoch=s_epoch, noise=noise, acc=r["test_acc"][-1])
    print(f"{label:9} {per_epoch:13d} {s_epoch:8.3f} {s_epoch / n * 1e6:10.1f} {noise:6.3f} "
          f"{h.epoch_loss[-1]:10.4f} {r['test_acc'][-1]:8.3f}")

assert [t["per_epoch"] for t in table.values()] == [n, math.ceil(n / 8), math.ceil(n / 32), math.ceil(n / 128), 1]
noises = [t["noise"] for t in table.values()]
assert all(a > b for a, b in zip(noises, noises[1:]))          # larger batches, smoother curves
assert table["online"]["acc"] > table["offline"]["acc"]        # same epochs: 1,437 updates beat 1

# %% [markdown]
# Three pictures of the same runs. Left: the loss of every update against
# the epoch it happened in (log scale): online is a cloud, offline a smooth
# line with one point per epoch. Middle: test accuracy per epoch. Right: the
# same against training seconds, on a log scale (online learning takes far
# longer than the others).

# %%
fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
for (label, r), color in zip(runs.items(), ["C0", "C1", "C2", "C3", "k"]):
    h = r["history"]
    per_epoch = len(h.step_loss) / EPOCHS
    x = np.arange(1, len(h.step_loss) + 1) / per_epoch
    if per_epoch > 100:   # thousands of points: small dots
        axes[0].plot(x, h.step_loss, ".", ms=1.5, color=color, alpha=0.4)
    else:                 # few points: joined, so that the curve is visible
        axes[0].plot(x, h.step_loss, ".-" if per_epoch > 1 else "o-", ms=3 if per_epoch > 1 else 6,
                     lw=0.8, color=color)
    axes[0].plot([], [], "o", color=color, label=label)   # a legend marker that is readable
    epochs = np.arange(1, EPOCHS + 1)
    axes[1].plot(epochs, r["test_acc"], "o-", color=color, label=label)
    axes[2].plot(r["seconds"], r["test_acc"], "o-", color=color, label=label)
axes[0].set(yscale="log", xlabel="epoch", ylabel="loss of each update", title="loss per update (SGD, lr 0.05)")
axes[1].set(xlabel="epoch", ylabel="test accuracy", title="accuracy per epoch")
axes[2].set(xscale="log", xlabel="training seconds (log scale)", ylabel="test accuracy",
            title="accuracy per second of training")
for ax in axes:
    ax.grid(True, alpha=0.3)
axes[0].legend(fontsize=8)
axes[1].xaxis.get_major_locator().set_params(integer=True)
fig.tight_layout()
plt.show()

# %% [markdown]
# What the numbers say (your times will differ; the ratios hold):
#
# - **Per epoch**, online learning makes $n$ updates and offline one, so
#   after the same number of epochs online is far ahead and offline has
#   barely moved: with one $\eta$ for all, one exact step per epoch is no
#   match for 1,437 noisy ones.
# - **Per second** the picture changes: an update costs a fixed overhead
#   (Python, the graph, small NumPy calls) plus work proportional to $B$,
#   so the time per *example* falls steeply with $B$, until the matrix
#   products dominate. Mini-batches of a few dozen get most of the
#   benefit of both: many updates per epoch, each cheap per example, and
#   a gradient whose noise is a few times smaller.
# - **Noise** falls with $B$ as the first section predicted. It is not only
#   a cost: the lecture points out that noisy updates can help to leave
#   sharp minima (tutorial 07, section 4, measures it: strong enough noise
#   leaves a sharp well far more often than a wide one), and that large
#   batches need a larger $\eta$ (and often a warm-up) to make the same
#   progress per epoch.

# %% [markdown]
# ## 3b. Each regime at its own learning rate, at equal compute
#
# The runs above share one $\eta = 0.05$, which suits none of them equally:
# offline takes one step per epoch of the same size as online's 1,437. A
# fair comparison gives each regime its own best $\eta$ and the same
# budget of **examples seen** (gradient evaluations). Below, every regime
# tries every $\eta$ of a grid for the same number of epochs, from the same
# weights; the grid is the same for all, so no rule is assumed.

# %%
EPOCHS_TUNED = 1 if FAST else 3
LR_GRID = [0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0]
ONLINE_GRID = [0.01, 0.03, 0.1, 0.3]    # online is the slow one; larger η end above the starting loss (checked once)


def full_loss(model):
    """The mean loss over the whole training set (what every regime is trying to lower)."""
    with mg.no_grad():
        return F.cross_entropy(model(mg.Tensor(X_train)), mg.Tensor(y_train)).item()


tuned = {}   # label -> {lr: dict(loss, history, seconds)}
with threadpool_limits(limits=1):
    for label, regime, B in REGIMES:
        tuned[label] = {}
        for lr in ONLINE_GRID if B == 1 else LR_GRID:
            model = make_model()
            model.load_state_dict(initial)
            t0 = time.perf_counter()
            try:
                history = optim.train(model, F.cross_entropy, optim.SGD(model.parameters(), lr=lr), X_train,
                                      y_train, regime=regime, batch_size=B, epochs=EPOCHS_TUNED, rng=0)
            except FloatingPointError:   # diverged: the loss overflowed
                continue
            tuned[label][lr] = dict(loss=full_loss(model), history=history, seconds=time.perf_counter() - t0)

best = {label: min(runs, key=lambda lr, runs=runs: runs[lr]["loss"]) for label, runs in tuned.items()}
print(f"after {EPOCHS_TUNED} epoch(s) = {EPOCHS_TUNED * n} examples seen, loss on the whole training set:")
for label, runs in tuned.items():
    cells = "  ".join(f"{lr:g}: {r['loss']:.3f}" for lr, r in runs.items())
    print(f"{label:8} best η = {best[label]:<5g} | {cells}")

# %% [markdown]
# The best $\eta$ grows with the batch: the **linear scaling rule**. A
# mini-batch gradient is the *mean* of $B$ example gradients, so one step
# of $B\eta$ with it moves about as far as $B$ online steps of $\eta$
# (exactly, if the gradients did not change in between). It holds while
# $B\eta$ stays below the stability limit of the loss's curvature (about
# $2/\text{curvature}$ for SGD); past that, more examples per update no
# longer buy a larger step, and offline learning, with one update per
# epoch, falls behind at equal compute.

# %% [markdown]
# The learning curves of the best runs, measured properly: every regime
# is run again at its best $\eta$, with the same batches in the same order
# (one generator seeded 0, as `optim.train(..., rng=0)` draws them), and
# the loss on the **whole** training set is computed 20 times along the
# way (the clock stops meanwhile). Each curve ends at the loss of the table.

# %%
def learning_curve(regime, B, lr, points=20):
    """(examples seen, full training loss, training seconds) at about `points` moments of the run."""
    model = make_model()
    model.load_state_dict(initial)
    opt = optim.SGD(model.parameters(), lr=lr)
    every, seen, seconds = max(1, EPOCHS_TUNED * n // points), 0, 0.0
    curve = [(0, full_loss(model), 0.0)]
    rng = np.random.default_rng(0)  # the grid's batches: train(..., rng=0) draws every epoch's order from it
    for epoch in range(EPOCHS_TUNED):
        batches = {"online": lambda: optim.online(X_train, y_train, rng=rng),
                   "minibatch": lambda: optim.minibatches(X_train, y_train, B, rng=rng),
                   "offline": lambda: optim.offline(X_train, y_train)}[regime]()
        for xb, yb in batches:
            t0 = time.perf_counter()
            opt.zero_grad()
            F.cross_entropy(model(mg.Tensor(xb)), mg.Tensor(yb)).backward()
            opt.step()
            seconds += time.perf_counter() - t0
            before, seen = seen, seen + len(xb)
            if seen // every > before // every or seen == EPOCHS_TUNED * n:
                curve.append((seen, full_loss(model), seconds))
    return np.array(curve)


with threadpool_limits(limits=1):
    curves = {label: learning_curve(regime, B, best[label]) for label, regime, B in REGIMES}

Bs = np.array([B for _, _, B in REGIMES], dtype=float)
best_lrs = np.array([best[label] for label, _, _ in REGIMES])
fig, (ax_lr, ax_ex, ax_s) = plt.subplots(1, 3, figsize=(16, 4.3))
ax_lr.loglog(Bs, best_lrs, "o-", label="best η on the grid")
ax_lr.loglog(Bs, best_lrs[0] * Bs, ":", color="grey", label="linear scaling: η ∝ B")
ax_lr.set(xlabel="batch size B", ylabel="best learning rate", ylim=(0.005, 30), title="best η per regime")
ax_lr.legend()
for (label, _, B), color in zip(REGIMES, ["C0", "C1", "C2", "C3", "k"]):
    seen, loss, seconds = curves[label].T
    ax_ex.plot(seen, loss, "o-", ms=3, color=color, label=f"{label}, η = {best[label]:g}")
    ax_s.plot(seconds[1:], loss[1:], "o-", ms=3, color=color, label=label)
ax_ex.set(yscale="log", xlabel="examples seen", ylabel="loss on the whole training set",
          title="equal compute: loss per example seen")
ax_s.set(xscale="log", yscale="log", xlabel="training seconds (log scale)", ylabel="loss on the whole training set",
         title="… and per second")
for ax in (ax_lr, ax_ex, ax_s):
    ax.grid(True, alpha=0.3)
ax_ex.legend(fontsize=8)
fig.tight_layout()
plt.show()

for label, _, _ in REGIMES:                                   # the same runs as the grid's best
    np.testing.assert_allclose(curves[label][-1, 1], tuned[label][best[label]]["loss"], rtol=1e-5)
assert np.all(np.diff(best_lrs) >= 0)                      # the best η never falls as B grows …
assert best_lrs[2] / best_lrs[0] >= 10                       # … and grows roughly linearly up to B = 32
assert tuned["offline"][best["offline"]]["loss"] > 2 * tuned["B = 32"][best["B = 32"]]["loss"]

# %% [markdown]
# Per example seen, online and small mini-batches, each at its own $\eta$,
# end close together, and offline far behind; per second, mini-batches win
# (an update costs a fixed overhead plus work per example). Notebook 07
# repeats this over five seeds.
#
# **All eight optimizers, online.** One example per update, one epoch, each
# optimizer at one learning rate (for the adaptive ones, whose first step is
# $\eta\,\mathrm{sign}(g)$ whatever $B$, the usual values carry over; for
# SGD 0.03, below the grid's best of 0.1 on purpose: the grid ran three
# epochs, this run one, and over one epoch the smaller $\eta$ ends lower;
# for SGDM a tenth of SGD's: with $\lambda = 0.9$ its steps add up to
# $\eta/(1-\lambda)$, ten times $\eta$, so it then behaves much like SGD).

# %%
ONLINE_LRS = dict(SGD=0.03, SGDM=0.003, Adagrad=0.05, RMSProp=1e-3, Adam=1e-3, AMSGrad=1e-3, SWATS=1e-3,
                  RAdam=1e-3)
online_runs = {}
with threadpool_limits(limits=1):
    for name, lr in ONLINE_LRS.items():
        model = make_model()
        model.load_state_dict(initial)
        opt = getattr(optim, name)(model.parameters(), lr=lr)
        history = optim.train(model, F.cross_entropy, opt, X_train, y_train, regime="online", epochs=1, rng=0)
        online_runs[name] = dict(loss=full_loss(model), acc=accuracy(model, X_test, y_test), history=history)
print(f"{'optimizer':9} {'η':>6} {'train loss':>10} {'test acc':>8}   (online, 1 epoch = {n} updates)")
for name, r in online_runs.items():
    print(f"{name:9} {ONLINE_LRS[name]:6g} {r['loss']:10.3f} {r['acc']:8.3f}")
assert all(r["loss"] < 0.5 and r["acc"] > 0.85 for r in online_runs.values())

# %% [markdown]
# Every one of the eight learns from single examples; with $B = 1$ the
# adaptive methods' $\sqrt{v}$ is estimated from one example's gradients at
# a time, which is exactly the noise RAdam's rectification and AMSGrad's
# maximum were designed around.

# %% [markdown]
# ## 4. Online learning from a stream
#
# In the lecture's sense, online learning also means that examples **arrive
# one at a time** and each is used once, then thrown away: no epochs, no
# data set in memory. `optim.online(stream)` accepts any iterable of
# `(x, y)` pairs for that. Here the stream is a generator of two-moons
# points, drawn on demand (in practice: sensor readings, clicks, log lines).

# %%
def moons_stream(count, seed, noise=0.15):
    """Yield `count` (x, y) pairs one at a time, never holding the data set.

    The two half circles of scikit-learn's make_moons: class 0 on the upper
    one, class 1 on the lower, shifted one; Gaussian noise on both.
    """
    rng = np.random.default_rng(seed)
    for _ in range(count):
        y, angle = rng.integers(2), rng.uniform(0, np.pi)
        x = (np.array([np.cos(angle), np.sin(angle)]) if y == 0
             else np.array([1 - np.cos(angle), 0.5 - np.sin(angle)]))
        yield (x + noise * rng.standard_normal(2)).astype(np.float32), y


moons = nn.Sequential(nn.Linear(2, 16, rng=0), nn.Tanh(), nn.Linear(16, 2, rng=1))
opt = optim.SGD(moons.parameters(), lr=0.1)
seen, losses = 0, []
for xb, yb in optim.online(moons_stream(1500 if FAST else 5000, seed=0)):
    loss = F.cross_entropy(moons(mg.Tensor(xb)), mg.Tensor(yb))
    opt.zero_grad()
    loss.backward()
    opt.step()
    losses.append(loss.item())
    seen += 1

X_check, y_check = sklearn.datasets.make_moons(500, noise=0.15, random_state=123)
stream_acc = accuracy(moons, X_check.astype(np.float32), y_check)
print(f"{seen} examples seen once each; accuracy on 500 new points: {stream_acc:.3f}")
assert seen == (1500 if FAST else 5000) and stream_acc > 0.85

window = 100
smooth = np.convolve(losses, np.ones(window) / window, mode="valid")
fig, ax = plt.subplots(figsize=(6.5, 3.5))
ax.plot(losses, ".", ms=1, alpha=0.3, label="loss of each example")
ax.plot(np.arange(window - 1, len(losses)), smooth, label=f"mean of the last {window}")
ax.set(yscale="log", xlabel="examples seen", ylabel="cross-entropy", title="learning from a stream, SGD lr 0.1")
ax.legend(markerscale=8)
ax.grid(True, alpha=0.3)
plt.show()

# %% [markdown]
# ## Exercises
#
# Each exercise asks first: write your answer in place of `None` and run
# the cell; the solution follows, and `check` compares your answer with it
# (left at `None`, it only shows the solution).

# %%
def check(name, answer, solution, tol=1e-9):
    """Assert that the reader's answer matches the solution; report it when the answer is still None."""
    if answer is None:
        shown = solution if np.size(solution) <= 6 else f"an array of shape {np.shape(solution)}"
        print(f"{name}: no answer given; the solution is {shown}")
        return
    assert np.allclose(answer, solution, rtol=tol, atol=tol), f"{name}: your answer {answer}, the solution {solution}"
    print(f"{name}: right")


# %% [markdown]
# **Exercise 1.** With `drop_last=True`, `optim.minibatches` drops the last,
# smaller batch. How many updates per epoch does $B = 100$ give on our 1,437
# training examples, with and without it?

# %%
your_updates = None        # your answer: a pair (keeping the last batch, dropping it)

# %% [markdown]
# *Solution.* $\lceil 1437/100 \rceil = 15$ and $\lfloor 1437/100 \rfloor = 14$:

# %%
with_last = len(list(optim.minibatches(X_train, y_train, 100)))
without_last = len(list(optim.minibatches(X_train, y_train, 100, drop_last=True)))
assert (with_last, without_last) == (math.ceil(n / 100), n // 100) == (15, 14)
check("updates per epoch", your_updates, (with_last, without_last))

# %% [markdown]
# **Exercise 2.** From the formula of section 1, by what factor should the
# mean squared gradient error fall from $B = 8$ to $B = 32$? (Two decimals.)

# %%
your_factor = None         # your answer: a number

# %% [markdown]
# *Solution.* $\frac{\sigma^2}{8}\frac{n-8}{n-1} \big/ \frac{\sigma^2}{32}\frac{n-32}{n-1}
# = 4\,\frac{n-8}{n-32} \approx 4.07$; the measurement of section 1 agrees
# within its noise:

# %%
predicted_ratio = (32 / 8) * (n - 8) / (n - 32)
measured_ratio = measured[sizes.index(8)] / measured[sizes.index(32)]
print(f"predicted {predicted_ratio:.2f}, measured {measured_ratio:.2f}")
assert 4.0 < predicted_ratio < 4.1
assert abs(math.log(measured_ratio / predicted_ratio)) < math.log(2)
check("factor", your_factor, predicted_ratio, tol=0.01)

# %% [markdown]
# **Exercise 3.** One offline SGD step with learning rate $\eta$ moves the
# parameters by exactly $-\eta g$. Check that `optim.train` with
# `regime="offline"` and one epoch does that, from the initial weights:
# write the code that computes the change of all parameters, flattened into
# one vector, in `your_change`.

# %%
your_change = None         # your code here: train one offline epoch, then subtract

# %% [markdown]
# *Solution.*

# %%
model = make_model()
model.load_state_dict(initial)
before = np.concatenate([p.data.ravel() for p in model.parameters()]).astype(np.float64)
optim.train(model, F.cross_entropy, optim.SGD(model.parameters(), lr=0.05), X_train, y_train,
            regime="offline", epochs=1)
after = np.concatenate([p.data.ravel() for p in model.parameters()]).astype(np.float64)
assert np.allclose(after - before, -0.05 * g_full, atol=1e-6)
check("change", your_change, -0.05 * g_full, tol=1e-6)

# %% [markdown]
# **Next:** notebook 06 turns minigrad into homework: marking exercises in
# the source, making a student copy, and grading it.
