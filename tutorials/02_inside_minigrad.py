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
# 1. a `Tensor` is an array plus the **node** of the op that made it;
# 2. a `Function` is an op; `apply` runs it and keeps the op instance as that
#    node, which holds the op's inputs and what its forward saved;
# 3. we walk and draw the graph those links make;
# 4. `backward` needs the nodes in topological order: a naive recursive
#    search breaks on a deep graph (we watch it break), minigrad's does not;
# 5. the backward loop itself, checked against one we write ourselves;
# 6. what it leaves of the graph: saved arrays released, the links kept
#    (and `retain_graph` to keep both);
# 7. why an array a graph saved cannot be changed in place before `backward`;
# 8. broadcasting in the forward pass means *summing* in the backward pass;
# 9. we write a new op and check it with `gradcheck`, and see why gradcheck
#    uses a random upstream gradient.

# %%
import gc
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


def op_names(nodes):
    """The op names of a list of nodes: ['Mul', 'Exp', ...]."""
    return [type(node).__name__ for node in nodes]


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
# `requires_grad`, a tensor has two more slots. `grad_fn` is the **node** of
# the op that produced it (section 2 opens one), or `None` for a tensor we
# made ourselves, a **leaf**. `retains_grad` is set by `retain_grad()`, for an
# intermediate result that should keep its gradient after `backward`.
# (`__weakref__` is not data: it lets other code hold a weak reference to a
# tensor.) The class declares its slots, which keeps each tensor small and
# makes typos like `x.gard = ...` an error:

# %%
print(mg.Tensor.__slots__)
y = x * 3
print(y, "| y.grad_fn:", y.grad_fn, "| x is a leaf:", x.is_leaf, "| y is a leaf:", y.is_leaf)
assert x.grad_fn is None and x.is_leaf
assert type(y.grad_fn) is mg.ops.Mul and not y.is_leaf

# %% [markdown]
# NOTE(torch): PyTorch calls this `grad_fn` too (`y.grad_fn` is a
# `MulBackward0` there), and `is_leaf` and `retain_grad()` have the same
# meaning.
#
# The operators are one line each: `x * 3` is `ops.Mul.apply(x, 3)`. All the
# work is in the op classes and in `Function.apply`.

# %%
print(inspect.getsource(mg.Tensor.__mul__), inspect.getsource(mg.Tensor.tanh), sep="")

# %% [markdown]
# ## 2. A Function, and the node it leaves behind
#
# An op is a subclass of `mg.Function` with two methods that see **only
# NumPy arrays**:
#
# - `forward(self, *arrays)` computes the result and stores, as attributes
#   of `self`, whatever `backward` will need;
# - `backward(self, g)` receives $g = \partial L/\partial(\text{result})$ and
#   returns $\partial L/\partial(\text{input})$ for each input.
#
# `apply` is the glue: it unwraps the tensors, makes an instance of the op,
# runs its `forward`, and wraps the result. If grad mode is on and some input
# requires grad, that instance becomes a **node** of the graph: the result
# keeps it as its `grad_fn`, and it keeps the op's inputs in `node.inputs`,
# one entry per input: the input tensor if it requires grad, `None` for a
# constant (a number, an array, a tensor without grad). The last line of the
# recording, `memory_guard.protect`, is for section 7.

# %%
show(mg.Function.apply)

# %% [markdown]
# Here is the graph of `y = (x * 3).exp()`: two ops, two nodes. `y` holds the
# `Exp` node; its one input is the result of `x * 3`, which holds the `Mul`
# node; the `Mul` node's inputs are `x` itself (a leaf) and `None` for the
# constant 3.

# %%
y = (x * 3).exp()
exp_node = y.grad_fn
x_times_3 = exp_node.inputs[0]          # the intermediate result x * 3
mul_node = x_times_3.grad_fn
print(exp_node, exp_node.inputs, "|", mul_node, mul_node.inputs)
assert op_names([exp_node, mul_node]) == ["Exp", "Mul"]
assert mul_node.inputs[0] is x and mul_node.inputs[1] is None   # `is`: tensors compare elementwise with ==
assert mul_node.needs_input_grad == (True, False)

# %% [markdown]
# Everything else a node holds is what its `forward` saved, in its
# `__dict__`, which `vars(node)` returns: `Mul` kept both factors ($x$ and
# the number 3), since $\partial(xy)/\partial x = y$ and
# $\partial(xy)/\partial y = x$; `Exp` kept its result, since
# $\frac{d}{dx}e^x = e^x$.

# %%
print("vars(mul_node):", vars(mul_node))
print("vars(exp_node):", vars(exp_node))
assert set(vars(mul_node)) == {"x", "y"} and vars(mul_node)["y"] == 3
assert np.array_equal(mul_node.x, x.data)
assert set(vars(exp_node)) == {"y"} and exp_node.y is y.data   # the very array y holds, not a copy

# %% [markdown]
# NOTE(torch): PyTorch's node links to the *nodes* of its inputs
# (`y.grad_fn.next_functions`, with an `AccumulateGrad` node standing for
# each leaf) and keeps its saved tensors as attributes such as
# `_saved_self`; in a custom `autograd.Function` they are saved on `ctx`,
# which plays the part of minigrad's `self`. A minigrad node links to the
# input tensors, which link to their own nodes: the same graph, one hop
# longer.
#
# Why are `inputs` and `released` declared as slots, outside `__dict__`?
# Python frees most objects by reference counting, but it also runs a
# *cyclic garbage collector* that every so often scans every object that
# could be part of a reference cycle. A dict that holds only arrays and
# numbers cannot be, so the collector leaves it alone; a dict holding the
# input tensors would be scanned, on every node of a deep graph, again and
# again.

# %%
assert not gc.is_tracked(vars(mul_node))   # arrays and numbers only: never scanned
assert gc.is_tracked(mul_node)             # the node itself is an object that is scanned

# %% [markdown]
# Mul's backward uses the `None` of a constant: it skips that gradient, work
# nobody would read.

# %%
show(mg.ops.Mul)

# %% [markdown]
# No node is kept when no input requires grad, or inside `mg.no_grad()`
# (used for evaluation and for the optimizer's own updates, which must not be
# recorded):

# %%
c = mg.Tensor([1.0, 2.0]) * 3              # no input requires grad
with mg.no_grad():
    d = x * 3                              # x does, but grad mode is off
assert c.grad_fn is None and d.grad_fn is None and not d.requires_grad
print("inside no_grad:", d, "requires_grad =", d.requires_grad)

# %% [markdown]
# ## 3. Walking and drawing the graph
#
# From any result, following `grad_fn` and then `inputs` reaches every node
# and every leaf it depends on. A small graph in which one leaf is used
# twice, $L = \sum (e^{2v} + v)$:

# %%
v = mg.Tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
small = ((v * 2).exp() + v).sum()

add_node = small.grad_fn.inputs[0].grad_fn            # Sum's input was made by Add
assert op_names([small.grad_fn, add_node]) == ["Sum", "Add"]
assert add_node.inputs[1] is v                        # v enters Add directly...
mul2 = add_node.inputs[0].grad_fn.inputs[0].grad_fn   # ...and Mul, two nodes further back
assert type(mul2) is mg.ops.Mul and mul2.inputs[0] is v

# %% [markdown]
# `mg.viz.draw_graph` does that walk for us and draws the result: leaves that
# require grad in blue (with the names we give it), constants in dashed grey,
# op results in white, the tensor drawn in green.

# %%
mg.viz.draw_graph(small, names={"v": v})

# %% [markdown]
# ## 4. Ordering the nodes, and why not with recursion
#
# The backward pass may run a node only once **all** the nodes that use its
# result have passed their gradient to it (we saw in notebook 01 that
# contributions add up): in `small`, `v`'s gradient is complete only after
# both `Add` and `Mul` have run. A **topological order** guarantees that:
# every node comes after the nodes that made its inputs, so walking the list
# backwards visits every node after all its users.
#
# The textbook way to get that order is a depth-first search: visit the
# nodes of a node's inputs, then emit the node. Here is a deliberately naive
# recursive version, as micrograd writes it (`build_topo` in
# `Value.backward`, where every value is its own node):

# %%
def toposort_recursive(root):
    order, seen = [], set()

    def visit(node):
        if node in seen:
            return
        seen.add(node)
        for t in node.inputs:
            if t is not None and t.grad_fn is not None:   # a leaf or a constant ends the path
                visit(t.grad_fn)
        order.append(node)

    visit(root)
    return order


print(op_names(toposort_recursive(small.grad_fn)))
assert op_names(toposort_recursive(small.grad_fn)) == ["Mul", "Exp", "Add", "Sum"]

# %% [markdown]
# It works, until the graph is deeper than Python's recursion limit: every
# node on the path from the root is one more Python call waiting for its
# inputs. A recurrent network unrolled over a long sequence, or simply a long
# loop of updates on the same tensor, builds exactly such a chain:

# %%
depth = 5 * sys.getrecursionlimit()
h = mg.Tensor(np.array([1.0]), requires_grad=True)  # float64: 1.0001 ** 15000 without float32 rounding
chain = h
for _ in range(depth):
    chain = chain * 1.0001

try:
    toposort_recursive(chain.grad_fn)
    recursive_failed = False
except RecursionError:
    recursive_failed = True
print(f"recursive toposort on a chain of {depth} ops: RecursionError = {recursive_failed}")
assert recursive_failed

# %% [markdown]
# minigrad's `toposort` runs the same search with a list as its stack instead
# of Python's call stack. Each node is pushed twice: first marked
# `inputs_done = False`, to push the nodes of its inputs above it; when it
# comes off the stack again, marked `True`, everything above it has been
# emitted, so it is emitted too. Depth is limited only by memory.

# %%
show(mg.function.toposort)

# %%
order = mg.function.toposort(chain.grad_fn)
assert len(order) == depth and order[-1] is chain.grad_fn and set(op_names(order)) == {"Mul"}
assert mg.function.toposort(small.grad_fn) == toposort_recursive(small.grad_fn)   # the same nodes, same order
chain.backward()
assert abs(h.grad[0] - 1.0001 ** depth) < 1e-9 * 1.0001 ** depth   # d(h·c^n)/dh = c^n
print(f"backward through {depth} ops: dL/dh = {h.grad[0]:.4f}, expected {1.0001 ** depth:.4f}")

# %% [markdown]
# (A graph can have several topological orders: a node with two inputs may
# list either input's nodes first. The stack pops the *last* input's node
# first, so on a branching graph the two searches can disagree; both orders
# are valid. `small` is a chain of nodes, so its order is unique.)
#
# ## 5. The backward loop
#
# `Tensor.backward` checks its arguments (a one-element result gets
# $\partial L/\partial L = 1$; any other needs an upstream gradient of its
# shape) and calls `backward_pass`, the chain rule in one loop. Its heart:
# for each node, from the loss down, take the node's complete gradient `g`
# out of `grads` (a dict from node to $\partial L/\partial(\text{its result})$),
# call `node.backward(g)`, and send each piece it returns on: into `.grad`
# for a leaf (`accumulate`), into `grads` for the node that made an
# intermediate result, where the pieces from its several users add up.

# %%
show(mg.function.backward_pass)

# %% [markdown]
# The loop does not call `accumulate` itself: it calls `keep(x, gx)`, and
# `keep` is by default `keep_grad`, which calls `accumulate` for a leaf (or
# a tensor that asked for `retain_grad()`). `accumulate` adds into `.grad`
# *out of place* (`t.grad + g`, never `+=`), for the reason its note gives:

# %%
show(mg.function.keep_grad)
show(mg.function.accumulate)

# %% [markdown]
# Before trusting it, let us write the loop ourselves, naively: our recursive
# sort, no checks, no broadcasting (`small` broadcasts nothing; section 8
# shows what `_fit` and `unbroadcast` do when an op does), no release. Each
# rung is checked against the one before: our loop against the derivative by
# hand, $\frac{d}{dv}\sum(e^{2v} + v) = 2e^{2v} + 1$, then minigrad's
# `backward` against our loop.

# %%
def backward_naive(root):
    """{id(leaf): dL/d(leaf)} for L = root, a one-element tensor."""
    grads = {root.grad_fn: np.ones_like(root.data)}   # dL/dL = 1
    leaf_grads = {}
    for node in reversed(toposort_recursive(root.grad_fn)):
        g = grads.pop(node)                           # complete: every user of the result has run
        grads_in = node.backward(g)
        grads_in = grads_in if isinstance(grads_in, tuple) else (grads_in,)
        for t, gt in zip(node.inputs, grads_in):
            if t is None:                             # a constant: no gradient wanted
                continue
            if t.grad_fn is None:                     # a leaf: add into its gradient
                leaf_grads[id(t)] = leaf_grads.get(id(t), 0) + gt
            else:                                     # an intermediate: add into its node's
                grads[t.grad_fn] = grads.get(t.grad_fn, 0) + gt
    return leaf_grads


ours = backward_naive(small)[id(v)]
assert np.allclose(ours, 2 * np.exp(2 * v.data) + 1)   # our loop == the hand derivative
small.backward()
assert np.allclose(v.grad, ours)                      # minigrad == our loop
print("dL/dv:", v.grad)

# %% [markdown]
# The real loop adds what a library needs: every node is checked before any
# gradient moves (so a failed pass leaves every `.grad` as it was), a node
# that received no gradient is skipped, a gradient of the wrong shape is
# un-broadcast or refused, an intermediate that asked for `retain_grad()`
# keeps its gradient, and each node is **released** once its backward has
# run. That last step is next.
#
# ## 6. After backward: saved arrays released, the structure kept
#
# The arrays a node saved can be large (a layer's input, for every layer of
# a network); once the node's backward has run, nothing needs them. So
# `backward_pass` calls `node.release()`: `vars(node)` is emptied and
# `node.released` is set. The links (`grad_fn`, `inputs`) stay, so the graph
# can still be walked and drawn, now with the leaves' gradients:

# %%
order = mg.function.toposort(small.grad_fn)
assert all(node.released and vars(node) == {} for node in order)
assert op_names(order) == ["Mul", "Exp", "Add", "Sum"] and add_node.inputs[1] is v   # structure kept
mg.viz.draw_graph(small, names={"v": v})

# %% [markdown]
# A second `backward` through the same graph would need the released arrays,
# so it fails loudly, before touching any gradient:

# %%
grad_before = v.grad.copy()
try:
    small.backward()
    message = ""
except RuntimeError as e:
    message = str(e)
print(message)
assert "retain_graph" in message and np.array_equal(v.grad, grad_before)

# %% [markdown]
# unless the first pass asked to keep them with `retain_graph=True`. The
# second pass then adds its gradients to the first's (notebook 01, section 5):

# %%
v.zero_grad()
z = ((v * 2).exp() + v).sum()
z.backward(retain_graph=True)
assert not z.grad_fn.released and set(vars(z.grad_fn)) == {"shape", "axis", "keepdims"}   # what Sum saved
z.backward()
assert np.allclose(v.grad, 2 * (2 * np.exp(2 * v.data) + 1)) and z.grad_fn.released

# %% [markdown]
# NOTE(torch): PyTorch releases saved tensors the same way; its second pass
# fails with "Trying to backward through the graph a second time ...
# Specify retain_graph=True".
#
# ## 7. In-place changes and the saved arrays
#
# The `Mul` node of `a * a` saved `a`'s array, and its backward will
# multiply with it. Change that array between the forward and the backward
# pass and the gradient silently mixes old and new values. minigrad closes
# that door in two ways (`minigrad/memory_guard.py`).
#
# **A raw write raises at once.** While a live graph holds an array that a
# user can reach (an input's array, a result's), `Function.apply` made it
# read-only, so a write through `.data` fails with NumPy's own error:

# %%
a = mg.Tensor(np.array([1.0, 2.0]), requires_grad=True)
loss_a = (a * a).sum()
try:
    a.data[0] = 5.0
    raw_error = ""
except ValueError as e:
    raw_error = str(e)
print(raw_error)
assert "read-only" in raw_error and mg.memory_guard.is_protected(a.data)

# %% [markdown]
# **minigrad's own in-place writes are counted.** `a -= v` under `no_grad`
# (a hand-written update), an optimizer step, `load_state_dict` and
# `nn.init` must write into parameters, so they open the memory through
# `memory_guard.modifying`, which bumps the array's *version*. `backward`
# compares each saved array's version with the one it had at the forward
# pass, and names the op when they differ:

# %%
with mg.no_grad():
    a -= 1.0                        # allowed, but loss_a's Mul saved the old a
try:
    loss_a.backward()
    version_error = ""
except RuntimeError as e:
    version_error = str(e)
print(version_error)
assert "Mul" in version_error and "changed in place" in version_error and a.grad is None

# %% [markdown]
# **After backward, the memory is free again.** Released nodes no longer
# need it, so the manual step written the way students write it just works:

# %%
p = mg.Tensor(np.array([1.0, 2.0]), requires_grad=True)
(p * p).sum().backward()                 # dL/dp = 2p = [2, 4]
lr = 0.1
p.data -= lr * p.grad                    # no graph holds p's memory any more
assert np.allclose(p.data, [0.8, 1.6]) and not mg.memory_guard.is_protected(p.data)

# %% [markdown]
# A graph kept with `retain_graph=True` holds its arrays until it is dropped:
# deleting the last name for its result frees its nodes, and with them the
# lock.

# %%
kept = (p * p).sum()
kept.backward(retain_graph=True)
assert mg.memory_guard.is_protected(p.data)
del kept                                 # the graph's last reference: its nodes are freed
assert not mg.memory_guard.is_protected(p.data) and p.data.flags.writeable

# %% [markdown]
# NOTE(torch): PyTorch keeps a *version counter* on every tensor and raises
# at backward ("one of the variables needed for gradient computation has
# been modified by an inplace operation"); it does not lock memory, so a
# write through `.data` goes unseen there. Locking the arrays is MyGrad's
# approach; minigrad does both. One hole remains, noted in
# `memory_guard`: a NumPy view made *before* the graph keeps its own write
# flag.
#
# ## 8. Broadcasting and its reverse
#
# NumPy **broadcasting** lets `X + b` add a bias `b` of shape `(3,)` to
# every row of `X` of shape `(4, 3)`: `b` is used four times. In the
# backward pass, each of those four uses sends a gradient back to `b`, and
# (as always when a value is used several times) they add up:
#
# $$\frac{\partial L}{\partial b_j} = \sum_i \frac{\partial L}{\partial (X + b)_{ij}}.$$
#
# Rather than every op handling this, the engine does it once, centrally:
# in `backward_pass`, a gradient whose shape differs from its input's is
# passed (by `_fit`) to `unbroadcast`, which sums over the axes that
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
# ## 9. Writing a new op, and checking it with gradcheck
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
# Each exercise asks first: write your answer in place of `None` and run
# the cell; the solution follows, and `check` compares your answer with it
# (left at `None`, it only shows the solution).

# %%
def check(name, answer, solution):
    """Assert that the reader's answer equals the solution; report it when the answer is still None."""
    if answer is None:
        print(f"{name}: no answer given; the solution is {solution!r}")
        return
    same = np.array_equal(answer, solution) if isinstance(solution, np.ndarray) else answer == solution
    assert same, f"{name}: your answer {answer!r}, the solution {solution!r}"
    print(f"{name}: right")


# %% [markdown]
# **Exercise 1.** Write a `Softplus` op, $y = \log(1 + e^x)$, whose
# derivative is the sigmoid $\sigma(x) = 1/(1 + e^{-x})$. Compute the forward
# with `np.logaddexp(0, x)` (it equals $\log(e^0 + e^x)$ without overflowing
# for large $x$). Check it with gradcheck, and check its values against the
# same function composed from minigrad ops.

# %%
YourSoftplus = None        # your answer: class YourSoftplus(mg.Function) with forward and backward


# %% [markdown]
# *Solution.*

# %%
class Softplus(mg.Function):
    """y = log(1 + e^x).   dL/dx = g * σ(x)."""

    def forward(self, x):
        self.x = x
        return np.logaddexp(0, x)

    def backward(self, g):
        return g / (1 + np.exp(-self.x))


xs = mg.Tensor(np.array([-4.0, -0.5, 0.0, 0.7, 3.0]), requires_grad=True)
for op in [Softplus] + ([YourSoftplus] if YourSoftplus is not None else []):
    assert mg.gradcheck(op.apply, xs), op.__name__
    assert np.allclose(op.apply(xs).data, (1 + xs.exp()).log().data)
    assert np.isfinite(op.apply(mg.Tensor(np.array([1000.0]))).data).all()  # the composed form overflows here

# %% [markdown]
# **Exercise 2.** `a` has shape `(4, 1, 3)` and `w` has shape `(2, 3)`;
# `(a * w).sum().backward()` runs. Predict the shapes of `a.grad` and
# `w.grad`, and the value of `w.grad` when `a` is all ones.

# %%
your_a_shape, your_w_shape, your_w_grad = None, None, None   # your answers: two tuples and an array

# %% [markdown]
# *Solution.* A gradient always has its input's shape; `w` was copied 4
# times along the new leading axis, so each of its entries collects 4.

# %%
a = mg.Tensor(np.ones((4, 1, 3)), requires_grad=True)
w = mg.Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
(a * w).sum().backward()
assert a.grad.shape == (4, 1, 3) and w.grad.shape == (2, 3)
assert np.array_equal(w.grad, np.full((2, 3), 4.0))
check("a.grad's shape", your_a_shape, a.grad.shape)
check("w.grad's shape", your_w_shape, w.grad.shape)
check("w.grad", your_w_grad, w.grad)

# %% [markdown]
# **Exercise 3.** Which nodes does `toposort` list for `out` below, with
# `x`, `w`, `b` tensors that require grad: which op names, in which order?
# Mind the side computation: its node uses `dot` too, but `out` does not use
# it. Is `side`'s node listed?

# %%
x3 = mg.Tensor([1.0, 2.0], requires_grad=True)
w3 = mg.Tensor([0.5, -0.5], requires_grad=True)
b3 = mg.Tensor(0.1, requires_grad=True)
dot = (x3 * w3).sum()
side = dot * 10                                    # a node that uses dot, but is not under out
out = (dot + b3).tanh()
your_names, your_side_listed = None, None          # your answers: a list of op names, and True or False

# %% [markdown]
# *Solution.* Each node comes after the nodes of its inputs; leaves are no
# nodes; and `toposort` follows inputs from `out`, never users, so `side`
# is not reached.

# %%
order3 = mg.function.toposort(out.grad_fn)
assert op_names(order3) == ["Mul", "Sum", "Add", "Tanh"]
assert side.grad_fn not in order3
check("order", your_names, op_names(order3))
check("side listed", your_side_listed, side.grad_fn in order3)

# %% [markdown]
# **Exercise 4.** In `y = 2 * x`, which entry of `y.grad_fn.inputs` is
# `None`, and what does `y.grad_fn.needs_input_grad` say? (Hint: Python
# evaluates `2 * x` as `x.__rmul__(2)`.)

# %%
your_none_position, your_needs = None, None   # your answers: an index, and a tuple of booleans

# %% [markdown]
# *Solution.* `__rmul__` calls `Mul.apply(2, x3)`: the constant stays the
# first operand, and it needs no gradient.

# %%
y4 = 2 * x3
links4 = y4.grad_fn.inputs
assert links4[0] is None and links4[1] is x3
assert y4.grad_fn.needs_input_grad == (False, True)
check("None at", your_none_position, 0)
check("needs_input_grad", your_needs, y4.grad_fn.needs_input_grad)

# %% [markdown]
# **Exercise 5.** After `loss5 = (q * q).sum()`, which of these raise?
# (a) `q.data[0] = 0.0`; (b) `q -= 0.5` under `mg.no_grad()`; (c)
# `loss5.backward()`, after (b).

# %%
your_raises = None         # your answer: three booleans (a, b, c)

# %% [markdown]
# *Solution.* (a) raises: the saved array's memory is read-only; (b) is
# minigrad's own write, allowed but counted, so (c) refuses.

# %%
q = mg.Tensor(np.array([1.0, -1.0]), requires_grad=True)
loss5 = (q * q).sum()
try:
    q.data[0] = 0.0
    raised_a = False
except ValueError:
    raised_a = True
try:
    with mg.no_grad():
        q -= 0.5
    raised_b = False
except RuntimeError:
    raised_b = True
try:
    loss5.backward()
    raised_c = False
except RuntimeError:
    raised_c = True
assert (raised_a, raised_b, raised_c) == (True, False, True)
assert np.array_equal(q.data, [0.5, -1.5])   # (a) changed nothing, (b) moved q
check("raises", your_raises, (raised_a, raised_b, raised_c))

# %% [markdown]
# **Next:** notebook 03 builds on this engine: `nn.Module`s, losses,
# `optim.train` and a classifier next to scikit-learn's.
