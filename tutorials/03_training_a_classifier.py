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
# # 03 · Training a classifier
#
# From an autograd engine to a trained classifier, in three rungs, each
# checked against the one before:
#
# 1. **inline code**: a linear classifier as two `Parameter`s and a
#    hand-written loop of forward, loss, backward, update;
# 2. **a class per layer**: our own `Dense` layer and `MLP` as `nn.Module`s,
#    still with our own loop;
# 3. **the library**: `nn.Sequential`, an optimizer from `minigrad.optim`, and
#    `optim.train`, which records a `History` that `viz.plot_history` draws.
#
# Then: decision boundaries on the two-moons data, accuracy on digits next
# to scikit-learn's `MLPClassifier`, and minigrad inside scikit-learn (a
# `Pipeline` and a grid search over the eight optimizers).

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


def show(obj, start=None, end=None):
    """Show the source of a minigrad object, or the lines from `start` to `end` of it."""
    src = inspect.getsource(obj)
    if start is not None:
        lines = src.splitlines(keepends=True)
        first = next(i for i, line in enumerate(lines) if start in line)
        last = next(i for i in range(first, len(lines)) if end in lines[i])
        indent = len(lines[first]) - len(lines[first].lstrip())
        src = "".join(line[indent:] for line in lines[first:last + 1])
    display(Markdown(f"```python\n{src}```"))


# %% [markdown]
# ## 1. The data
#
# `datasets.load` returns scikit-learn's toy data sets split into training
# and test parts, as float32 features standardised with the training part's
# mean and standard deviation (the test part must not influence training),
# and int64 labels 0 … k−1. Two moons first: 2 features, 2 classes that no
# straight line separates.

# %%
X_train, y_train, X_test, y_test = datasets.load("moons", rng=0)
print(X_train.shape, X_train.dtype, y_train.shape, y_train.dtype, "classes:", np.unique(y_train))
assert abs(X_train.mean()) < 1e-5 and abs(X_train.std() - 1) < 1e-5   # standardised

fig, ax = plt.subplots(figsize=(5, 4))
ax.scatter(*X_train.T, c=y_train, cmap="coolwarm", s=8)
ax.set(title="two moons (training part, standardised)", xlabel="x₀", ylabel="x₁")
plt.show()

# %% [markdown]
# ## 2. Rung one: a linear classifier, written inline
#
# A linear classifier computes one score (a *logit*) per class,
# $z = x W^\top + b$, and predicts the class with the largest. Training
# minimises the **cross-entropy** of the softmax of the logits,
#
# $$\ell(z, y) = -\log \frac{e^{z_y}}{\sum_k e^{z_k}} = \log \sum_k e^{z_k} - z_y ,$$
#
# averaged over the batch: `F.cross_entropy` (numerically stable, with a
# fused backward $\partial\ell/\partial z = \mathrm{softmax}(z) - \mathrm{onehot}(y)$).
#
# Each step: forward, loss, `backward()`, then move every parameter against
# its gradient. The update changes `.data` directly, so it is not recorded
# in any graph, and `zero_grad()` clears `.grad`, which would otherwise
# accumulate (notebook 01).
#
# NOTE(torch): PyTorch writes the update as `with torch.no_grad(): p -= lr * p.grad`,
# and minigrad accepts that line too: under `no_grad` the `-=` changes `p` in place.
# Outside `no_grad` it raises instead of quietly making a new tensor named `p`.
# As in PyTorch, the update belongs after `backward()`: a graph that saved the
# old `p` for its backward raises if `p` changed in place before that.

# %%
def accuracy(model, X, y):
    with mg.no_grad():
        return float((model(mg.Tensor(X)).data.argmax(axis=1) == y).mean())


rng = np.random.default_rng(0)
W = nn.Parameter(0.1 * rng.standard_normal((2, 2)).astype(np.float32))   # (classes, features)
b = nn.Parameter(np.zeros(2, dtype=np.float32))


def linear_model(x):
    return x @ W.T + b


lr = 0.5
for step in range(200):                  # full-batch gradient descent
    loss = F.cross_entropy(linear_model(mg.Tensor(X_train)), mg.Tensor(y_train))
    loss.backward()
    for p in (W, b):
        p.data -= lr * p.grad            # θ ← θ − η·g
        p.zero_grad()

linear_acc = accuracy(linear_model, X_test, y_test)
print(f"linear classifier: final training loss {loss.item():.3f}, test accuracy {linear_acc:.3f}")
assert 0.8 < linear_acc < 0.92          # good, but a straight line cannot follow the moons

# %% [markdown]
# ## 3. Rung two: a class per layer
#
# To bend the boundary we need a hidden layer with a non-linearity:
# $h = \tanh(x W_1^\top + b_1)$, $z = h W_2^\top + b_2$. Writing out every
# parameter by hand gets old quickly; instead we group them in classes.
# Subclass `nn.Module`, assign `Parameter`s and sub-modules as attributes,
# write `forward`. Nothing else: the module finds its parameters by walking
# its attributes, and names them as PyTorch would.

# %%
class Dense(nn.Module):
    """y = x Wᵀ + b, initialised uniform in ±1/√n_in (PyTorch's default for Linear)."""

    def __init__(self, n_in, n_out, rng):
        bound = 1 / np.sqrt(n_in)
        self.weight = nn.Parameter(rng.uniform(-bound, bound, (n_out, n_in)).astype(np.float32))
        self.bias = nn.Parameter(rng.uniform(-bound, bound, n_out).astype(np.float32))

    def forward(self, x):
        return x @ self.weight.T + self.bias


class MLP(nn.Module):
    def __init__(self, rng):
        self.fc1 = Dense(2, 16, rng)
        self.fc2 = Dense(16, 2, rng)

    def forward(self, x):
        return self.fc2(self.fc1(x).tanh())


mlp = MLP(np.random.default_rng(0))
print([(name, p.shape) for name, p in mlp.named_parameters()])
assert [name for name, _ in mlp.named_parameters()] == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]

# %% [markdown]
# The same loop as before, over `mlp.parameters()`:

# %%
for step in range(500):
    loss = F.cross_entropy(mlp(mg.Tensor(X_train)), mg.Tensor(y_train))
    loss.backward()
    for p in mlp.parameters():
        p.data -= 0.5 * p.grad
        p.zero_grad()

mlp_acc = accuracy(mlp, X_test, y_test)
print(f"hand-made MLP: final training loss {loss.item():.3f}, test accuracy {mlp_acc:.3f}")
assert mlp_acc > linear_acc + 0.05

# %% [markdown]
# This is how `Module` finds the parameters: a walk over each module's
# attributes, where a `Parameter` is a leaf and a `Module` a child whose
# names get its attribute name as a prefix. A module's own parameters come
# first, then its children's, each in assignment order (PyTorch's order);
# `named_parameters()` then drops repeats of a shared parameter.

# %%
show(nn.Module._named_parameters_all)

# %% [markdown]
# ## 4. Rung three: the library
#
# `nn.Linear` is our `Dense` (with PyTorch's initialisation and a fused,
# faster forward and backward), `nn.Sequential` chains modules, and
# `optim.train` is our loop, with mini-batches, an optimizer from notebook
# 04, and a record of everything in a `History`. Its heart:

# %%
show(optim.train, start="for epoch in range", end="history.epoch_loss.append")

# %%
EPOCHS = 30 if FAST else 100
model = nn.Sequential(nn.Linear(2, 16, rng=0), nn.Tanh(), nn.Linear(16, 2, rng=1))
print(model)
optimizer = optim.Adam(model.parameters(), lr=0.01)
history = optim.train(model, F.cross_entropy, optimizer, X_train, y_train, regime="minibatch",
                      batch_size=32, epochs=EPOCHS, rng=0, validation=(X_test, y_test))
print(f"{len(history.step_loss)} updates; final epoch loss {history.epoch_loss[-1]:.3f}, "
      f"test accuracy {history.val_accuracy[-1]:.3f}")
assert history.val_accuracy[-1] > 0.95 and history.epoch_loss[-1] < history.epoch_loss[0]

# %% [markdown]
# `viz.plot_history` draws the `History`: left, the loss of every update
# (light) and the mean per epoch, for training and test data; right, the
# accuracies. The test curves tell whether the model generalises; the
# per-update losses show the noise of mini-batches (notebook 05).

# %%
display(viz.plot_history(history))

# %% [markdown]
# ## 5. Decision boundaries
#
# Where does each model switch from one class to the other? Evaluate it on
# a grid covering the data and colour the plane by the predicted class.

# %%
def plot_boundary(ax, model, title):
    xx, yy = np.meshgrid(np.linspace(-2.5, 2.5, 200), np.linspace(-2.5, 2.5, 200))
    grid = np.stack([xx.ravel(), yy.ravel()], axis=1).astype(np.float32)
    with mg.no_grad():
        p1 = model(mg.Tensor(grid)).softmax(axis=1).data[:, 1].reshape(xx.shape)   # P(class 1)
    ax.contourf(xx, yy, p1, levels=np.linspace(0, 1, 11), cmap="coolwarm", alpha=0.6)
    ax.contour(xx, yy, p1, levels=[0.5], colors="k", linewidths=1.5)
    ax.scatter(*X_test.T, c=y_test, cmap="coolwarm", s=14, edgecolors="k", linewidths=0.5)
    ax.set(title=f"{title}\ntest accuracy {accuracy(model, X_test, y_test):.3f}", xlabel="x₀", ylabel="x₁")


fig, axes = plt.subplots(1, 3, figsize=(14, 4.4))
plot_boundary(axes[0], linear_model, "rung 1: linear, inline")
plot_boundary(axes[1], mlp, "rung 2: our MLP(Dense, Dense)")
plot_boundary(axes[2], model, "rung 3: nn.Sequential + Adam + train")
fig.suptitle("P(class 1) on the plane; black line: the decision boundary; dots: test points")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 6. Digits, next to scikit-learn
#
# A harder problem: 8×8 images of handwritten digits, 64 features, 10
# classes. The same architecture on both sides: one hidden layer of 64 ReLU
# units, Adam with $\eta = 10^{-3}$, mini-batches of 32, the same number of
# epochs, no weight decay (scikit-learn's `alpha=0`), the same split.
# (Initial weights and shuffles differ, so expect a point or two of
# difference either way.)

# %%
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier as SklearnMLP

D_train, t_train, D_test, t_test = datasets.load("digits", rng=0)
DIGIT_EPOCHS = 10 if FAST else 50

net = nn.Sequential(nn.Linear(64, 64, rng=0), nn.ReLU(), nn.Linear(64, 10, rng=1))
digits_history = optim.train(net, F.cross_entropy, optim.Adam(net.parameters(), lr=1e-3), D_train, t_train,
                             batch_size=32, epochs=DIGIT_EPOCHS, rng=0, validation=(D_test, t_test))
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)   # max_iter counts epochs: we stop on purpose
    sk = SklearnMLP(hidden_layer_sizes=(64,), activation="relu", solver="adam", learning_rate_init=1e-3,
                    batch_size=32, max_iter=DIGIT_EPOCHS, alpha=0.0, random_state=0).fit(D_train, t_train)

ours, theirs = digits_history.val_accuracy[-1], sk.score(D_test, t_test)
print(f"test accuracy after {DIGIT_EPOCHS} epochs: minigrad {ours:.3f}, scikit-learn {theirs:.3f}")
assert abs(ours - theirs) < 0.03 and ours > 0.93

# %% [markdown]
# The two training curves side by side (scikit-learn's `loss_curve_` is the
# mean training loss of each epoch, as `History.epoch_loss` is):

# %%
fig, ax = plt.subplots(figsize=(6.5, 4))
epochs = np.arange(1, DIGIT_EPOCHS + 1)
ax.semilogy(epochs, digits_history.epoch_loss, "o-", ms=3, label="minigrad: History.epoch_loss")
ax.semilogy(epochs, sk.loss_curve_, "s--", ms=3, label="scikit-learn: loss_curve_")
ax.set(xlabel="epoch", ylabel="mean training cross-entropy", title="MLP 64-64-10 on digits, Adam, batch 32")
ax.legend()
ax.grid(True, alpha=0.3)
plt.show()

# %% [markdown]
# ## 7. minigrad inside scikit-learn
#
# `minigrad.estimators.MLPClassifier` wraps all of the above (a minigrad
# MLP, any of the eight optimizers, any regime) as a scikit-learn estimator,
# so it works in a `Pipeline`, with `cross_val_score` and in `GridSearchCV`.
# Here it gets the raw pixel values (0 to 16) and a `StandardScaler` in
# front, fitted on each training fold only.

# %%
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from minigrad.estimators import OPTIMIZERS, MLPClassifier

X, y = load_digits(return_X_y=True)
X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.2, stratify=y, random_state=0)
CV_EPOCHS = 3 if FAST else 20

pipe = make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(64,), epochs=CV_EPOCHS, random_state=0))
scores = cross_val_score(pipe, X_tr, y_tr, cv=3)
print("3-fold cross-validation accuracy:", scores.round(3))
assert scores.shape == (3,) and scores.min() > 0.8

# %% [markdown]
# And a grid search: every one of the eight optimizers at
# three learning rates, each scored by 3-fold cross-validation on the
# training part. Parameters of a pipeline step are named
# `<step>__<parameter>`.

# %%
grid = {"mlpclassifier__optimizer": list(OPTIMIZERS), "mlpclassifier__lr": [1e-3, 1e-2, 1e-1]}
search = GridSearchCV(pipe, grid, cv=3, error_score=np.nan)   # a diverging fit scores NaN, the search goes on
with warnings.catch_warnings():
    warnings.simplefilter("ignore")   # warnings of diverging fits
    search.fit(X_tr, y_tr)
print("best:", search.best_params_, f"cross-validation accuracy {search.best_score_:.3f}, "
      f"test accuracy {search.score(X_te, y_te):.3f}")
assert len(search.cv_results_["params"]) == 8 * 3 and search.best_score_ > 0.9

# %%
names, lrs = grid["mlpclassifier__optimizer"], grid["mlpclassifier__lr"]
table = np.full((len(names), len(lrs)), np.nan)
for params, score in zip(search.cv_results_["params"], search.cv_results_["mean_test_score"]):
    table[names.index(params["mlpclassifier__optimizer"]), lrs.index(params["mlpclassifier__lr"])] = score

fig, ax = plt.subplots(figsize=(6.5, 5))
image = ax.imshow(table, cmap="viridis", vmin=np.nanmin(table), vmax=1.0, aspect="auto")
for (i, j), value in np.ndenumerate(table):
    ax.text(j, i, "diverged" if np.isnan(value) else f"{value:.3f}", ha="center", va="center",
            color="white" if np.isnan(value) or value < np.nanmean(table) else "black", fontsize=9)
ax.set_xticks(range(len(lrs)), [f"{lr:g}" for lr in lrs])
ax.set_yticks(range(len(names)), names)
ax.set(xlabel="learning rate lr", ylabel="optimizer")
ax.set_title(f"mean 3-fold CV accuracy, digits, {CV_EPOCHS} epochs")
fig.colorbar(image, ax=ax, shrink=0.8)
plt.show()

# %% [markdown]
# Read the table by rows: each optimizer has its own good learning rate.
# Plain SGD and SGDM want a larger $\eta$ than the adaptive methods, which
# normalise their steps. Comparing optimizers at one shared learning rate
# mostly compares how well that rate suits each of them.
#
# ## Exercises
#
# Each exercise asks first: write your answer in place of `None` and run
# the cell; the solution follows, and `check` compares your answer with it
# (left at `None`, it only shows the solution).

# %%
def check(name, answer, solution, tol=1e-9):
    """Assert that the reader's answer matches the solution; report it when the answer is still None."""
    if answer is None:
        print(f"{name}: no answer given; the solution is {solution}")
        return
    if isinstance(solution, (list, str)):
        assert answer == solution, f"{name}: your answer {answer}, the solution {solution}"
    else:
        assert np.allclose(answer, solution, rtol=tol, atol=tol), f"{name}: your answer {answer}, the solution {solution}"
    print(f"{name}: right")


# %% [markdown]
# **Exercise 1.** How many parameters does
# `nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))` have?
# Compute it by hand.

# %%
your_count = None          # your answer: a number

# %% [markdown]
# *Solution.* Weights (out × in) and biases of both layers:
# $64\cdot64 + 64 + 64\cdot10 + 10 = 4810$.

# %%
by_hand = 64 * 64 + 64 + 64 * 10 + 10
assert sum(p.size for p in net.parameters()) == by_hand == 4810
check("parameters", your_count, by_hand)

# %% [markdown]
# **Exercise 2.** What are the names in `net.state_dict()`? (The ReLU at
# index 1 has no parameters.)

# %%
your_names = None          # your answer: a list of strings

# %% [markdown]
# *Solution.* A child of a `Sequential` is named by its index, and its
# parameters by their attribute names:

# %%
assert list(net.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
assert net.state_dict()["0.weight"].shape == (64, 64) and net.state_dict()["2.weight"].shape == (10, 64)
check("names", your_names, list(net.state_dict()))

# %% [markdown]
# **Exercise 3.** An untrained classifier whose logits are all equal gives
# each of $k$ classes probability $1/k$. What is its cross-entropy on
# digits, to three decimals? (The first epoch of any run above starts close
# to it.)

# %%
your_loss = None           # your answer: a number

# %% [markdown]
# *Solution.* $-\log(1/k) = \log 10 \approx 2.303$:

# %%
k = 10
uniform_loss = F.cross_entropy(mg.zeros(5, k), mg.Tensor(np.array([0, 3, 7, 9, 2]))).item()
assert np.isclose(uniform_loss, np.log(k))          # −log(1/k)
assert digits_history.step_loss[0] < 1.5 * np.log(k)
check("uniform loss", your_loss, uniform_loss, tol=1e-3)

# %% [markdown]
# **Exercise 4.** `search.predict_proba(X_te[:20])`, on the fitted grid
# search, returns one row per image and one column per class. What is its
# shape, and what does each row sum to? And for how many of the 20 images
# does `search.predict` give the column of the row's largest entry?

# %%
your_shape = None          # your answer: a pair of numbers
your_row_sum = None        # your answer: a number
your_agreements = None     # your answer: a number out of 20

# %% [markdown]
# *Solution.* (20, 10): twenty images, ten digits. Each row is a probability
# distribution over the classes (a softmax of the logits), so it sums to 1;
# and `predict` picks the most probable class, so it agrees on all 20:

# %%
proba = search.predict_proba(X_te[:20])
assert proba.shape == (20, 10) and np.allclose(proba.sum(axis=1), 1) and (proba >= 0).all()
agreements = int((search.predict(X_te[:20]) == search.classes_[proba.argmax(axis=1)]).sum())
assert agreements == 20
check("shape", your_shape, proba.shape)
check("row sum", your_row_sum, proba.sum(axis=1).mean(), tol=1e-6)
check("agreements", your_agreements, agreements)

# %% [markdown]
# **Next:** notebook 04 opens the optimizers: the eight of the "New
# Optimization" lecture, one by one.
