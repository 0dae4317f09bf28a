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
# # 09 · Seeing inside
#
# Two questions that the loss curve cannot answer:
#
# 1. **Where is the wrong backward?** A custom op with a plausible mistake
#    in its derivative often still trains: the loss goes down and the
#    accuracy looks fine. `gradcheck` says that the gradient of the whole
#    is wrong. `check_graph` says which node is wrong, and `draw_graph`
#    marks it in red.
# 2. **Why does this network train badly?** Activations piled up at ±1,
#    gradients that vanish or explode, steps far too small or too large for
#    the weights they change. `optim.train(..., health=True)` records these
#    signs per layer, and `viz.plot_health` draws them. Karpathy's "Neural
#    Networks: Zero to Hero" lectures made them the standard things to
#    watch.

# %%
# %matplotlib inline
import inspect
import os
import warnings

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import datasets, nn, optim, viz

FAST = os.environ.get("MINIGRAD_TUTORIAL_FAST") == "1"  # set by the test suite: fewer epochs
EPOCHS = 4 if FAST else 15


def show(obj):
    """Show the source of a minigrad object."""
    display(Markdown(f"```python\n{inspect.getsource(obj)}```"))


X_train, y_train, X_test, y_test = datasets.load("digits", rng=0)
print(X_train.shape, "training examples of 8×8 digits,", X_test.shape[0], "for testing")

# %% [markdown]
# ## 1. A custom op with a plausible mistake
#
# Swish (also called SiLU) is $y = x\,\sigma(x)$ with $\sigma(x) = 1/(1 + e^{-x})$.
# Its derivative takes the product rule:
#
# $$\frac{dy}{dx} = \sigma(x) + x\,\sigma(x)\,(1 - \sigma(x)).$$
#
# A student who remembers $\sigma' = \sigma(1 - \sigma)$ and forgets the
# product rule writes the backward below. It is always positive, so it has
# the right sign wherever $x > -1.28$, where most pre-activations lie (at
# the start, all but a few), and gradient descent still goes downhill.
#
# NOTE(torch): PyTorch has it as `torch.nn.SiLU`.

# %%
class Swish(mg.Function):
    """y = x·σ(x).   dL/dx = g·(σ + x·σ·(1 − σ)), here written wrong: the product rule is missing."""

    def forward(self, x):
        self.x, self.s = x, 1 / (1 + np.exp(-x))
        return x * self.s

    def backward(self, g):
        return g * self.s * (1 - self.s)        # the mistake: only σ′, the derivative of σ


class SwishLayer(nn.Module):
    def forward(self, x):
        return Swish.apply(x)


def make_model():
    return nn.Sequential(nn.Linear(64, 32, rng=0), nn.Tanh(), nn.Linear(32, 32, rng=1), SwishLayer(),
                         nn.Linear(32, 10, rng=2))


model = make_model()
history = optim.train(model, F.cross_entropy, optim.Adam(model.parameters(), lr=0.01), X_train, y_train,
                      epochs=EPOCHS, rng=0, validation=(X_test, y_test))
print(f"loss {history.epoch_loss[0]:.3f} → {history.epoch_loss[-1]:.3f}, "
      f"test accuracy {history.val_accuracy[-1]:.3f}")
assert history.epoch_loss[-1] < 0.5 * history.epoch_loss[0]   # it trains: nothing looks wrong

# %% [markdown]
# ## 2. `gradcheck` says *that* it is wrong
#
# `gradcheck` compares the gradient `backward` computes with central finite
# differences of the whole function (notebook 02). Here the function is the
# loss of a small batch as a function of its input pixels (float64, so that
# the differences are precise; the float32 weights are promoted).

# %%
xb, yb = X_train[:16].astype(np.float64), mg.Tensor(y_train[:16])
try:
    mg.gradcheck(lambda x: F.cross_entropy(model(x), yb), mg.Tensor(xb, requires_grad=True))
    raise AssertionError("gradcheck should have failed")
except mg.GradcheckError as err:
    print(err)

# %% [markdown]
# True, and useless for finding the mistake: the worst element is a pixel,
# and every op between the pixels and the loss is a suspect.
#
# ## 3. `check_graph` says *where*
#
# `mg.check_graph(loss)` checks each node of the graph on its own: it runs the
# node's op again at the values the node saw (in float64), compares its
# `backward` with finite differences of its `forward`, and goes through the
# nodes in the order `backward` visits them. The first node that disagrees
# is the first place where a wrong gradient entered; every node after it
# only passed the mistake on.
#
# To run an op again, `check_graph` needs everything the op was given. The
# graph keeps the inputs that need a gradient, but not the constants (the
# batch of data, the labels) nor keyword arguments (an axis, a shape): build
# the graph inside `mg.record_calls()` and every op's call is kept.

# %%
with mg.record_calls():
    loss = F.cross_entropy(model(mg.Tensor(X_train[:16])), yb)


def first_wrong(loss):
    """The error `check_graph` raises for `loss`, naming the first wrong node."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # "the graph is not float64": known, see below
        try:
            mg.check_graph(loss)
        except mg.GradcheckError as err:
            return err
    raise AssertionError("check_graph should have failed")


found = first_wrong(loss)
print(found)

assert found.op == "Swish" and found.position == 3 and found.input == 0

# %% [markdown]
# The error names the op (`Swish`), its position (the third node that
# `backward` visits: after the loss and the last `Linear`, both right), the
# input, the worst element and the two values there. `found.node` is the
# node itself, so the graph can be drawn with it marked:

# %%
loss.backward()
viz.draw_graph(loss, highlight=found.node, names=model)

# %% [markdown]
# Each node is checked in float64, on copies of the values it saw; a float32
# graph (as here) gets a warning, because its float32 backward may still
# differ from the float64 one by rounding. Elements where an op has a kink
# (a ReLU at exactly 0, a tie in a max) are left out: there is no derivative
# to compare. The heart of the check, for one input of one node:

# %%
from minigrad.check_graph import _differences  # noqa: E402

show(_differences)

# %% [markdown]
# With the product rule put back, every node agrees, and `check_graph`
# returns `None`:

# %%
def right_backward(self, g):
    return g * (self.s + self.x * self.s * (1 - self.s))   # σ + x·σ·(1 − σ)


Swish.backward = right_backward
with mg.record_calls():
    loss = F.cross_entropy(model(mg.Tensor(X_train[:16])), yb)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    assert mg.check_graph(loss) is None

fixed = make_model()
fixed_history = optim.train(fixed, F.cross_entropy, optim.Adam(fixed.parameters(), lr=0.01), X_train,
                            y_train, epochs=EPOCHS, rng=0, validation=(X_test, y_test))
print(f"test accuracy: wrong backward {history.val_accuracy[-1]:.3f}, "
      f"right backward {fixed_history.val_accuracy[-1]:.3f}")

# %% [markdown]
# About the same accuracy either way: training alone would never have told
# us that the gradient was wrong.
#
# Without `record_calls`, `check_graph` still checks every node it can
# rebuild from the graph alone (all its inputs are tensors, and running its
# op again without keyword arguments gives its result back); it names the
# others, which it could not check. Here the loss cannot be rebuilt (the
# labels are a constant), and the message says so:

# %%
Swish.backward = lambda self, g: g * self.s * (1 - self.s)   # the mistake again
loss = F.cross_entropy(model(mg.Tensor(X_train[:16])), yb)
err = first_wrong(loss)
print(err)
assert err.op == "Swish" and "not checked before it: CrossEntropy" in str(err)
Swish.backward = right_backward

# %% [markdown]
# NOTE(torch): `torch.autograd.gradcheck` checks a whole function, as
# `mg.gradcheck` does; a per-node check like this one is easy in minigrad
# because a node is a plain object whose `forward` and `backward` can be
# called again on NumPy arrays.
#
# ## 4. Training health: a badly initialised network
#
# Now a network whose ops are all right but that is started badly: a tanh
# MLP whose weights are 10 times PyTorch's default
# ($\mathcal{U}(\pm 1/\sqrt{n_{in}})$). Each pre-activation is a sum of 64
# products, so it is large, and tanh squashes it to ±1, where its
# derivative $1 - \tanh^2$ is almost 0: the unit is **saturated** and
# passes almost no gradient back. Karpathy's first picture of it: the
# histogram of the tanh outputs at initialisation.

# %%
def tanh_mlp(scale):
    """64 → 64 → 64 → 10 with tanh, every weight scaled by `scale` after PyTorch's initialisation."""
    model = nn.Sequential(nn.Linear(64, 64, rng=0), nn.Tanh(), nn.Linear(64, 64, rng=1), nn.Tanh(),
                          nn.Linear(64, 10, rng=2))
    with mg.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("weight"):
                p *= scale
    return model


fig, axes = plt.subplots(1, 2, figsize=(10, 3.2), sharey=True)
for ax, scale in zip(axes, (10, 1)):
    with mg.no_grad():
        h = tanh_mlp(scale)[:2](mg.Tensor(X_train)).data     # the first tanh layer's outputs
    saturated = np.mean(np.abs(h) > 0.97)
    ax.hist(h.ravel(), bins=50, color="#d62728" if scale == 10 else "#2ca02c")
    ax.set(title=f"weights × {scale}: {100 * saturated:.1f}% with |tanh| > 0.97", xlabel="tanh output")
    if scale == 10:
        assert saturated > 0.5
    else:
        assert saturated < 0.02
axes[0].set_ylabel("count")
plt.show()

# %% [markdown]
# Now train both, with plain SGD, and ask for the health record:
# `health=True` measures around every update
#
# - each nonlinearity's outputs (read from the graph of the model's output,
#   no extra forward): mean, standard deviation, the fraction saturated,
# - each parameter's gradient norm ‖g‖,
# - each parameter's **update-to-data ratio** ‖Δθ‖/‖θ‖: how much one step
#   changes a weight, relative to its size. Around 10⁻³ is the rule of thumb;
#   far below, the layer hardly learns; far above, it thrashes.
#
# and keeps them in `history.health` as plain floats.

# %%
runs = {}
for scale in (10, 1):
    net = tanh_mlp(scale)
    runs[scale] = optim.train(net, F.cross_entropy, optim.SGD(net.parameters(), lr=0.05), X_train, y_train,
                              epochs=EPOCHS, rng=0, validation=(X_test, y_test), health=True)
bad, good = runs[10], runs[1]
print({what: list(table) for what, table in bad.health.items()})
print("saturation of the first tanh, per epoch:", [round(v, 3) for v in bad.health["saturation"]["Tanh 1"]])
assert all(type(v) is float for v in bad.health["update_ratio"]["0.weight"])
assert len(bad.health["update_ratio"]["0.weight"]) == len(bad.step_loss)   # one per update

# %%
viz.plot_health(bad, title="weights × 10: tanh saturated")

# %% [markdown]
# Reading it, panel by panel:
#
# - **saturated activations**: about 70% of both tanh layers' outputs sit
#   beyond ±0.97, and training does not get them out.
# - **activations' spread**: a standard deviation above 0.9 means the
#   outputs are nearly all ±1: each unit acts as a sign, a binary feature.
# - **gradient norms**: *not* small! The backward through a saturated tanh
#   is multiplied by almost 0, but also by the weights of the layer after
#   it, 10 times too large. So ‖g‖ alone would not have told you.
# - **update / data**: near the 10⁻³ line, lower than with a good start
#   (the weights are 10 times larger), but in the healthy range: the step
#   size is not what is wrong here. Section 5 shows a case where it is.
#
# The fix is to start the weights at the right scale: PyTorch's default,
# designed to keep the pre-activations' variance about the same from layer
# to layer.

# %%
viz.plot_health(good, title="PyTorch's default initialisation")

# %%
for name, h in (("weights × 10", bad), ("default", good)):
    print(f"{name:>12}: training accuracy {h.epoch_accuracy[-1]:.3f}, test accuracy {h.val_accuracy[-1]:.3f}, "
          f"test loss {h.val_loss[-1]:.3f}")
assert max(good.health["saturation"]["Tanh 1"]) < 0.05 and min(bad.health["saturation"]["Tanh 1"]) > 0.5
assert good.val_accuracy[-1] > bad.val_accuracy[-1] + 0.1
assert bad.epoch_accuracy[-1] - bad.val_accuracy[-1] > 0.1   # it learns its training set, and little else

# %% [markdown]
# The saturated network still learns its training set, but generalises far
# worse: units that act as signs of random directions make something closer
# to a lookup table of the training examples than a smooth classifier.
#
# ## 5. The update-to-data ratio and the learning rate
#
# The ratio is the quickest check of a learning rate. With a rate 100 times
# smaller than above, every step changes the weights by 10⁻⁵ to 10⁻⁴ of their
# size, far below the 10⁻³ line: each layer hardly moves.

# %%
net = tanh_mlp(1)
slow = optim.train(net, F.cross_entropy, optim.SGD(net.parameters(), lr=0.0005), X_train, y_train,
                   epochs=2, rng=0, health=True)
for name in ("0.weight", "2.weight", "4.weight"):
    first = slice(0, len(slow.step_loss))   # the same updates of both runs
    m_slow = np.median(slow.health["update_ratio"][name])
    m_good = np.median(good.health["update_ratio"][name][first])
    print(f"{name}: median ‖Δθ‖/‖θ‖ {m_slow:.1e} with lr 0.0005, {m_good:.1e} with lr 0.05")
    assert m_slow < 3e-4 and m_good > 1e-3   # far below the rule of thumb, and above it

# %% [markdown]
# `optim.HealthMonitor` does the measuring; `train(health=True)` calls its
# `step(output)` where it would call `optimizer.step()`, so a hand-written
# loop can use it too:

# %%
show(optim.HealthMonitor.step)

# %% [markdown]
# ## Exercises
#
# Each exercise leaves a blank for your answer (a `None` to replace); the
# next cell gives the solution and, once you have answered, checks your
# answer against it.

# %%
def check(name, answer, solution, tol=1e-9):
    """Assert that the reader's answer matches the solution; report it when the answer is still None."""
    if answer is None:
        print(f"{name}: no answer given; the solution is {solution}")
        return
    if isinstance(solution, (bool, str)):
        assert answer == solution, f"{name}: your answer {answer}, the solution {solution}"
    else:
        assert np.allclose(answer, solution, rtol=tol, atol=tol), f"{name}: your answer {answer}, the solution {solution}"
    print(f"{name}: right")


# %% [markdown]
# **Exercise 1.** Replace `nn.Tanh` by `nn.ReLU` in `tanh_mlp`, scale the
# weights by 10 and train as in section 4. For a ReLU, "saturated" means
# "off" (output 0, no gradient). Predict, before you run anything: what
# fraction of the first ReLU's outputs is off at the end, and does the
# network still learn (test accuracy above 0.8)? (Hint: ReLU(10·z) =
# 10·ReLU(z).)

# %%
your_relu_off = None       # your answer: a fraction, two decimals
your_relu_learns = None    # your answer: True or False

# %% [markdown]
# *Solution.* A ReLU is *positively homogeneous*: scaling its input scales
# its output and leaves the sign alone. So ×10 changes which units are off
# only through the biases, which were not scaled: about half are off, as
# with the default start, and none is stuck. The network learns (the large
# weights make the first steps large, but SGD copes here):

# %%
def relu_mlp(scale):
    """tanh_mlp with ReLU in place of tanh: the same (scaled) layers, the other nonlinearity."""
    return nn.Sequential(*(nn.ReLU() if isinstance(layer, nn.Tanh) else layer for layer in tanh_mlp(scale)))


net = relu_mlp(10)
relu_run = optim.train(net, F.cross_entropy, optim.SGD(net.parameters(), lr=0.05), X_train, y_train,
                       epochs=EPOCHS, rng=0, validation=(X_test, y_test), health=True)
relu_off = relu_run.health["saturation"]["ReLU 1"][-1]
print(f"first ReLU off: {relu_off:.2f}; test accuracy {relu_run.val_accuracy[-1]:.3f}")
assert 0.4 < relu_off < 0.6 and relu_run.val_accuracy[-1] > 0.8
check("fraction off", your_relu_off, round(relu_off, 2), tol=0.05)
check("still learns", your_relu_learns, bool(relu_run.val_accuracy[-1] > 0.8))

# %% [markdown]
# **Exercise 2.** Plant another mistake: let `Swish.backward` return
# `g * self.s` (the derivative of x·σ with σ taken as a constant). Which op
# does `check_graph` name, and at which position? And where x > 0, is the
# local derivative this backward uses (σ) larger than the true one?

# %%
your_op = None             # your answer: the op's name
your_position = None       # your answer: a number
your_larger = None         # your answer: True or False

# %% [markdown]
# *Solution.* Still Swish, third in backward's order; only the values
# change. The planted derivative σ misses the term x·σ·(1 − σ), which is
# positive where x > 0, so there it is the smaller (the analytic and
# numeric values printed are those derivatives times the upstream gradient,
# at the worst element):

# %%
Swish.backward = lambda self, g: g * self.s
with mg.record_calls():
    loss = F.cross_entropy(model(mg.Tensor(X_train[:16])), yb)
planted = first_wrong(loss)
Swish.backward = right_backward
print(f"{planted.op}, position {planted.position}: analytic {planted.analytic:.4g}, numeric {planted.numeric:.4g}")
x_seen = 2.0
s_seen = 1 / (1 + np.exp(-x_seen))
larger = bool(s_seen > s_seen + x_seen * s_seen * (1 - s_seen))     # σ against σ + x·σ·(1 − σ) at x = 2
assert planted.op == "Swish" and planted.position == 3 and not larger
check("op", your_op, planted.op)
check("position", your_position, planted.position)
check("analytic larger", your_larger, larger)

# %% [markdown]
# **Exercise 3.** Karpathy's start for a tanh network is Kaiming's
# initialisation with the gain 5/3: weights drawn from a normal
# distribution of standard deviation $\frac{5/3}{\sqrt{n_{in}}}$. Write it
# with `mg.no_grad()` (fill each weight in place), then find the fraction of
# the first tanh layer's outputs beyond ±0.97 at the start. Is it above or
# below the 0.5% of PyTorch's default start?

# %%
your_kaiming_saturation = None   # your answer: a fraction, two decimals

# %% [markdown]
# *Solution.* The gain 5/3 makes up for tanh's squashing in a deep stack,
# so the pre-activations are wider than with PyTorch's default: about a
# sixth of the outputs start saturated, far fewer than with × 10, and the
# network trains well:

# %%
def kaiming_tanh_mlp(seed=0):
    """tanh_mlp with weights ~ N(0, (5/3)² / n_in)."""
    model = tanh_mlp(1)
    gen = np.random.default_rng(seed)
    with mg.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("weight"):
                p[...] = gen.normal(0.0, (5 / 3) / np.sqrt(p.shape[1]), p.shape)
    return model


net = kaiming_tanh_mlp()
with mg.no_grad():
    h = net[:2](mg.Tensor(X_train)).data
kaiming_saturation = float(np.mean(np.abs(h) > 0.97))
kaiming_run = optim.train(net, F.cross_entropy, optim.SGD(net.parameters(), lr=0.05), X_train, y_train,
                          epochs=EPOCHS, rng=0, validation=(X_test, y_test), health=True)
print(f"saturated at the start: {kaiming_saturation:.2f}; test accuracy {kaiming_run.val_accuracy[-1]:.3f} "
      f"(default start {good.val_accuracy[-1]:.3f}, weights × 10 {bad.val_accuracy[-1]:.3f})")
assert 0.005 < kaiming_saturation < 0.5 and kaiming_run.val_accuracy[-1] > bad.val_accuracy[-1]
check("saturated at the start", your_kaiming_saturation, round(kaiming_saturation, 2), tol=0.03)
