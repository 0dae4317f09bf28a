# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 02 · Inside minigrad
#
# Notebook 01 used the engine; this one opens it. We read the actual source
# (shown with `inspect.getsource`, so it is always the code you run) and
# poke at the objects it builds:
#
# 1. a `Tensor` is an array plus a link to the op that made it;
# 2. a `Function` is an op, and an instance of it is one node of the graph;
# 3. `backward` orders the nodes with an explicit stack (a naive recursive
#    version breaks, we watch it break);
# 4. broadcasting in the forward pass means *summing* in the backward pass;
# 5. we write a new op and check it with `gradcheck`, and see why gradcheck
#    uses a random upstream gradient.

# %%
import inspect
import os
import sys

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display

import minigrad as mg

FAST = os.environ.get("MINIGRAD_TUTORIAL_FAST") == "1"  # the test suite sets this; nothing here is slow


def show(obj):
    """Show the source of a minigrad object (read with inspect, so text and code never drift apart)."""
    display(Markdown(f"```python\n{inspect.getsource(obj)}```"))


# %% [markdown]
# ## 1. A Tensor: an array that remembers how it was made
#
# A `Tensor` holds a NumPy array in `.data`. Python numbers and lists become
# float32 (the usual dtype for training); a NumPy array keeps its dtype, so
# float64 data gives a float64 graph (which `gradcheck` needs). The data is
# copied: changing the array you passed in does not change the tensor.

# %%
x = mg.Tensor([1.0, 2.0, 3.0], requires_grad=True)
x64 = mg.Tensor(np.array([1.0, 2.0, 3.0]))
print(x, x.dtype, "|", x64, x64.dtype)
print("x.grad:", x.grad, "| x.requires_grad:", x.requires_grad)
assert x.dtype == np.float32 and x64.dtype == np.float64

# %% [markdown]
# Besides `data`, `_grad` (read and written as `.grad`: a property that warns
# when you read the empty gradient of an intermediate result) and
# `requires_grad`, a tensor has one more slot,
# `_ctx`: the graph node that produced it, or `None` for a tensor we made
# ourselves (a **leaf**). (`__weakref__` is not data: it lets other code hold
# a weak reference to a tensor.) The class declares its slots, which keeps each
# tensor small and makes typos like `x.gard = ...` an error:

# %%
print(mg.Tensor.__slots__)
y = x * 3
print(y, "| made by", y._ctx, "| x is a leaf:", x.is_leaf, "| y is a leaf:", y.is_leaf)

# %% [markdown]
# The operators are one line each: `x * 3` is `ops.Mul.apply(x, 3)`. All the
# work is in the op classes and in `Function.apply`.

# %%
print(inspect.getsource(mg.Tensor.__mul__), inspect.getsource(mg.Tensor.tanh), sep="")

# %% [markdown]
# ## 2. A Function: how an op joins the graph
#
# An op is a subclass of `mg.Function` with two methods that see **only
# NumPy arrays**:
#
# - `forward(self, *arrays)` computes the result and stores, as attributes
#   of `self`, whatever `backward` will need;
# - `backward(self, g)` receives $g = \partial L/\partial(\text{result})$ and
#   returns $\partial L/\partial(\text{input})$ for each input.
#
# `apply` is the glue: it unwraps the tensors, runs `forward`, wraps the
# result, and, if grad mode is on and some input requires grad, keeps the
# op instance as the result's `_ctx`, with the inputs as its `parents`.

# %%
show(mg.Function.apply)

# %% [markdown]
# NOTE(torch): PyTorch calls this object the `ctx` of an
# `autograd.Function` (there `forward` and `backward` are static methods that
# receive `ctx` explicitly) and exposes the node as `tensor.grad_fn`.
#
# Let us look at the node of `y = x * 3`. Its `parents` hold `x` and `None`
# for the constant 3, which needs no gradient; the arrays that `Mul.forward`
# saved are attributes of the node.

# %%
node = y._ctx
print(type(node).__name__, "| parents:", node.parents)
assert node.parents[0] is x and node.parents[1] is None   # `is`: tensors compare elementwise with ==
assert node.needs_input_grad == (True, False)
print("saved for backward: node.x =", node.x, " node.y =", node.y)

# %% [markdown]
# Mul's backward uses that `None`: it skips the gradient of the constant,
# work nobody would read.

# %%
show(mg.ops.Mul)

# %% [markdown]
# No node is built when no input requires grad, or inside `mg.no_grad()`
# (used for evaluation and for the optimizer's own updates, which must not be
# recorded):

# %%
c = mg.Tensor([1.0, 2.0]) * 3              # no input requires grad
with mg.no_grad():
    d = x * 3                              # x does, but grad mode is off
assert c._ctx is None and d._ctx is None and not d.requires_grad
print("inside no_grad:", d, "requires_grad =", d.requires_grad)

# %% [markdown]
# ## 3. Ordering the graph, and why not with recursion
#
# The backward pass may process a node only once **all** its consumers have
# passed their gradient to it (we saw in notebook 01 that contributions add
# up). Reversing a topological order guarantees that: every node comes
# after all the nodes it depends on.
#
# The textbook way to get that order is a recursive depth-first search.
# Here is a deliberately naive version, as small engines (micrograd among
# them) write it:

# %%
def toposort_recursive(root):
    order, seen = [], set()

    def visit(t):
        if id(t) in seen:
            return
        seen.add(id(t))
        if t._ctx is not None:
            for p in t._ctx.parents:
                if p is not None:
                    visit(p)
            order.append(t._ctx)

    visit(root)
    return order


small = ((x * 2).exp() + x).sum()
print([type(n).__name__ for n in toposort_recursive(small)])
assert [type(n).__name__ for n in toposort_recursive(small)] == [type(n).__name__ for n in mg.tensor.toposort(small)]

# %% [markdown]
# It works, until the graph is deeper than Python's recursion limit. A
# recurrent network unrolled over a long sequence, or simply a long loop of
# updates on the same tensor, builds exactly such a chain:

# %%
depth = 5 * sys.getrecursionlimit()
h = mg.Tensor(np.array([1.0]), requires_grad=True)  # float64: 1.0001 ** 15000 without float32 rounding
chain = h
for _ in range(depth):
    chain = chain * 1.0001

try:
    toposort_recursive(chain)
    recursive_failed = False
except RecursionError:
    recursive_failed = True
print(f"recursive toposort on a chain of {depth} ops: RecursionError = {recursive_failed}")
assert recursive_failed

# %% [markdown]
# minigrad's `toposort` does the same depth-first search with an explicit
# stack of `(node, inputs_done)` pairs: a node is pushed once to visit its
# inputs and once more to be emitted after them. No Python recursion, so
# depth is limited only by memory.

# %%
show(mg.tensor.toposort)

# %%
chain.backward()
assert abs(h.grad[0] - 1.0001 ** depth) < 1e-9 * 1.0001 ** depth   # d(h·c^n)/dh = c^n
print(f"backward through {depth} ops: dL/dh = {h.grad[0]:.4f}, expected {1.0001 ** depth:.4f}")

# %% [markdown]
# Once ordered, the walk (shown in notebook 01) releases each node's saved
# arrays as soon as its backward has run, to free memory. A second
# `backward` through the same graph therefore fails loudly, unless the first
# one asked to keep the graph:

# %%
z = (x * x).sum()
z.backward()
try:
    z.backward()
    message = ""
except RuntimeError as e:
    message = str(e)
print(message)
assert "retain_graph" in message

# %% [markdown]
# ## 4. Broadcasting and its reverse
#
# NumPy **broadcasting** lets `X + b` add a bias `b` of shape `(3,)` to
# every row of `X` of shape `(4, 3)`: `b` is used four times. In the
# backward pass, each of those four uses sends a gradient back to `b`, and
# (as always when a value is used several times) they add up:
#
# $$\frac{\partial L}{\partial b_j} = \sum_i \frac{\partial L}{\partial (X + b)_{ij}}.$$
#
# Rather than every op handling this, the engine does it once, centrally:
# after `backward` of any op, a gradient whose shape differs from its
# input's is passed to `unbroadcast`, which sums over the axes that
# broadcasting created (new leading axes, and axes of size 1 that were
# stretched).

# %%
show(mg.function.unbroadcast)

# %%
rng = np.random.default_rng(0)
X = mg.Tensor(rng.standard_normal((4, 3)), requires_grad=True)
b = mg.Tensor(np.array([0.1, 0.2, 0.3]), requires_grad=True)        # shape (3,): broadcast along rows
s = mg.Tensor(np.array([[1.0], [2.0], [3.0], [4.0]]), requires_grad=True)  # shape (4, 1): along columns
u = rng.integers(-3, 4, size=(4, 3)).astype(np.float64)              # an upstream gradient dL/d(out)

out = X * s + b
out.backward(u)
print("b.grad =", b.grad, "(shape", b.grad.shape, ")\ns.grad =", s.grad.ravel(), "(shape", s.grad.shape, ")")
assert b.grad.shape == b.shape and np.allclose(b.grad, u.sum(axis=0))
assert s.grad.shape == s.shape and np.allclose(s.grad, (u * X.data).sum(axis=1, keepdims=True))
assert np.allclose(X.grad, u * s.data)  # X was not broadcast: its gradient keeps its shape

# %% [markdown]
# A picture of the bias case: `b` is copied into every row, so the upstream
# gradient's rows are summed back into one row.

# %%
fig, axes = plt.subplots(1, 3, figsize=(9, 2.8), gridspec_kw={"width_ratios": [1, 1, 1]})
panels = [(np.broadcast_to(b.data, (4, 3)), "forward: b (3,) copied\ninto the 4 rows of X + b", "Blues"),
          (u, "backward: upstream g\n= dL/d(X + b), shape (4, 3)", "RdBu"),
          (b.grad[None, :], "b.grad = g summed over\nthe 4 rows, shape (3,)", "RdBu")]
for ax, (m, title, cmap) in zip(axes, panels):
    lim = 2 * np.abs(m).max()   # NOTE: a wide colour range keeps the cells light, the numbers readable
    ax.imshow(m, cmap=cmap, vmin=-lim if cmap == "RdBu" else 0, vmax=lim)
    for (i, j), val in np.ndenumerate(m):
        ax.text(j, i, f"{val:g}", ha="center", va="center", fontsize=10)
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 5. Writing a new op, and checking it with gradcheck
#
# minigrad has no `sin`. Writing it takes a forward, a backward and the
# derivative $\frac{d}{dx}\sin x = \cos x$, multiplied by the upstream
# gradient $g$ (the chain rule: forgetting `g *` is the most common bug).

# %%
class Sin(mg.Function):
    """y = sin(x).   dL/dx = g * cos(x)."""

    def forward(self, x):
        self.x = x
        return np.sin(x)

    def backward(self, g):
        return g * np.cos(self.x)


def sin(t):
    return Sin.apply(t)


theta = mg.Tensor(np.linspace(-3, 3, 7), requires_grad=True)
sin(theta).sum().backward()
assert np.allclose(theta.grad, np.cos(theta.data))

# %% [markdown]
# `mg.gradcheck` compares `backward` with central finite differences (the
# first rung of notebook 01) on every input element. Use float64 inputs:
# in float32 the differences drown in rounding error, and gradcheck warns.

# %%
show(mg.gradcheck)

# %%
assert mg.gradcheck(sin, mg.Tensor(np.linspace(-3, 3, 7), requires_grad=True))
assert mg.gradcheck(lambda t: sin(t * t).tanh(), mg.Tensor(np.array([[0.3, -1.2], [2.0, 0.5]]), requires_grad=True))


# %% [markdown]
# And here is the classic bug: a backward that forgets the upstream
# gradient. It gives the right answer for `sin(t).sum()` (where $g = 1$),
# so a test that only ever calls `.sum().backward()` misses it. gradcheck
# does not, and its message names the input, the element and both values:

# %%
class SinForgetsG(Sin):
    def backward(self, g):
        return np.cos(self.x)          # BUG: should be g * cos(x)


t0 = mg.Tensor(np.linspace(-3, 3, 7), requires_grad=True)
try:
    mg.gradcheck(SinForgetsG.apply, t0)
    caught = ""
except mg.GradcheckError as e:
    caught = str(e)
print(caught)
assert caught.startswith("gradcheck failed for input 0")


# %% [markdown]
# ### Why a random upstream gradient
#
# gradcheck does not differentiate `fn(x).sum()`: it differentiates
# $\sum u \odot \text{fn}(x)$ for a fixed random $u$. Softmax shows why. Its
# outputs always sum to 1, so `softmax(x).sum()` is constant and its gradient
# is 0; a broken softmax backward that returns zeros would pass a check with
# $u = 1$. With a random $u$ it cannot hide.

# %%
class SoftmaxBroken(mg.ops.Softmax):
    def backward(self, g):
        return np.zeros_like(g)        # BUG: the true Jacobian is diag(y) - y yᵀ


x_s = mg.Tensor(np.array([[0.5, -1.0, 2.0, 0.0]]), requires_grad=True)
SoftmaxBroken.apply(x_s, axis=-1).sum().backward()
print("gradient of softmax(x).sum() from the broken backward:", x_s.grad)   # zeros, and that is correct!
assert np.allclose(x_s.grad, 0)

try:
    mg.gradcheck(lambda t: SoftmaxBroken.apply(t, axis=-1), x_s)
    softmax_caught = False
except mg.GradcheckError:
    softmax_caught = True
assert softmax_caught and mg.gradcheck(lambda t: t.softmax(axis=-1), x_s)  # the real one passes

# %% [markdown]
# ## Exercises
#
# **Exercise 1.** Write a `Softplus` op, $y = \log(1 + e^x)$, whose
# derivative is the sigmoid $\sigma(x) = 1/(1 + e^{-x})$. Compute the forward
# with `np.logaddexp(0, x)` (it equals $\log(e^0 + e^x)$ without overflowing
# for large $x$). Check it with gradcheck, and check its values against the
# same function composed from minigrad ops.

# %%
class Softplus(mg.Function):
    """y = log(1 + e^x).   dL/dx = g * σ(x)."""

    def forward(self, x):
        self.x = x
        return np.logaddexp(0, x)

    def backward(self, g):
        return g / (1 + np.exp(-self.x))


xs = mg.Tensor(np.array([-4.0, -0.5, 0.0, 0.7, 3.0]), requires_grad=True)
assert mg.gradcheck(Softplus.apply, xs)
assert np.allclose(Softplus.apply(xs).data, (1 + xs.exp()).log().data)
assert np.isfinite(Softplus.apply(mg.Tensor(np.array([1000.0]))).data).all()  # the composed form overflows here

# %% [markdown]
# **Exercise 2.** `a` has shape `(4, 1, 3)` and `w` has shape `(2, 3)`;
# `(a * w).sum().backward()` runs. Predict the shapes of `a.grad` and
# `w.grad`, and the value of `w.grad` when `a` is all ones.

# %%
a = mg.Tensor(np.ones((4, 1, 3)), requires_grad=True)
w = mg.Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
(a * w).sum().backward()

predicted_a_shape, predicted_w_shape = (4, 1, 3), (2, 3)   # a gradient always has its input's shape
predicted_w_grad = np.full((2, 3), 4.0)                     # w was copied 4 times along the new leading axis
assert a.grad.shape == predicted_a_shape and w.grad.shape == predicted_w_shape
assert np.array_equal(w.grad, predicted_w_grad)

# %% [markdown]
# **Exercise 3.** How many graph nodes does `toposort` return for
# `((x * w).sum() + b).tanh()`, with `x`, `w`, `b` tensors that require
# grad? In what order?

# %%
x3 = mg.Tensor([1.0, 2.0], requires_grad=True)
w3 = mg.Tensor([0.5, -0.5], requires_grad=True)
b3 = mg.Tensor(0.1, requires_grad=True)
order = [type(n).__name__ for n in mg.tensor.toposort(((x3 * w3).sum() + b3).tanh())]

predicted_order = ["Mul", "Sum", "Add", "Tanh"]   # one node per op; leaves are not nodes
assert order == predicted_order

# %% [markdown]
# **Exercise 4.** In `y = 2 * x`, which entry of `y._ctx.parents` is
# `None`? (Hint: Python evaluates `2 * x` as `x.__rmul__(2)`.)

# %%
y4 = 2 * x3
none_position = 0                  # __rmul__ calls Mul.apply(2, x3): the constant stays the first operand
assert y4._ctx.parents[none_position] is None and y4._ctx.parents[1] is x3
assert y4._ctx.needs_input_grad == (False, True)

# %% [markdown]
# **Next:** notebook 03 builds on this engine: `nn.Module`s, losses,
# `optim.train` and a classifier next to scikit-learn's.
