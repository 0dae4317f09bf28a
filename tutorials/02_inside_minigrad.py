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
# 1. a `Tensor` is an array plus the number of the record that made it,
#    on a tape;
# 2. a `Function` is an op; `apply` runs it and appends one record to a tape
#    (a list of the ops in the order they ran);
# 3. the tape is already in topological order, so `backward` just reads it
#    backwards (a naive recursive search over the records breaks, we watch
#    it break);
# 4. broadcasting in the forward pass means *summing* in the backward pass;
# 5. we write a new op and check it with `gradcheck`, and see why gradcheck
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
# `requires_grad`, a tensor has two more slots, `_tape` and `_index`: the
# **tape** on which the op that produced it was recorded (section 2 opens
# one), and the number of its record there. A tensor we made ourselves (a
# **leaf**) has `_tape = None`. (`__weakref__` is not data: it lets other
# code hold a weak reference to a tensor.) The class declares its slots, which
# keeps each tensor small and makes typos like `x.gard = ...` an error:

# %%
print(mg.Tensor.__slots__)
y = x * 3
print(y, "| record", y._index, "of", y._tape, "| x is a leaf:", x.is_leaf, "| y is a leaf:", y.is_leaf)
assert x._tape is None and x.is_leaf and y._tape is not None and not y.is_leaf

# %% [markdown]
# The operators are one line each: `x * 3` is `ops.Mul.apply(x, 3)`. All the
# work is in the op classes and in `Function.apply`.

# %%
print(inspect.getsource(mg.Tensor.__mul__), inspect.getsource(mg.Tensor.tanh), sep="")

# %% [markdown]
# ## 2. A Function, and the tape it is recorded on
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
# result, and, if grad mode is on and some input requires grad, appends a
# **record** of the op to a tape and gives the result that tape and the
# record's number.

# %%
show(mg.Function.apply)

# %% [markdown]
# A `Tape` keeps its records in parallel columns, plain lists; record `i` is
# entry `i` of each:
#
# - `ops[i]`: the op's class (`Mul`), not an instance;
# - `inputs[i]`: one link per input of the op: the number of the record that
#   made it, the input tensor itself when it is a leaf that requires grad, or
#   `None` for an input that needs no gradient (a constant, a tensor without
#   grad);
# - `saved[i]`: what `forward` stored on `self` (`self.x`, ...), as a dict;
# - `outputs[i]`: the result's array.
#
# (A fifth column, `made_at`, lets `backward` catch tensors changed in place
# after they were used.) Here are the columns of `y = (x * 3).exp()`: two ops,
# two records.

# %%
y = (x * 3).exp()
tape = y._tape
print(tape, "| ops:", [op.__name__ for op in tape.ops], "| y._index:", y._index)
print("inputs:", tape.inputs)
print("saved:", tape.saved[0], "and", tape.saved[1])
assert [op.__name__ for op in tape.ops] == ["Mul", "Exp"] and y._index == 1
assert tape.inputs[0][0] is x and tape.inputs[0][1] is None   # `is`: tensors compare elementwise with ==
assert tape.inputs[1] == (0,)                                  # Exp's input: the result of record 0
assert np.array_equal(tape.saved[0]["x"], x.data) and tape.saved[0]["y"] == 3
assert tape.outputs[1] is y.data

# %% [markdown]
# Record 0 links to `x` itself, a leaf: backward will add its gradient into
# `x.grad`. Record 1 links to the number 0: its input is whatever record 0
# made. The constant 3 gets `None`.
#
# NOTE(torch): the automatic-differentiation literature calls such a tape a
# *Wengert list*, and TensorFlow's `tf.GradientTape` records ops the same
# way. PyTorch builds a graph of node objects instead, one per op, reachable
# from a result as `y.grad_fn` and linked to the nodes of its inputs
# (`y.grad_fn.next_functions`); the tape keeps the same links as numbers.
#
# Why columns of plain data, rather than keeping each op object alive as the
# node of its result (as micrograd does, and minigrad did before)? Python
# frees most objects by reference counting, but it also runs a *cyclic
# garbage collector* that, every so often, scans every object that could be
# part of a reference cycle. An instance of a class is such an object; a dict
# of arrays and numbers is not. A deep graph of op objects (say, a long loop
# of updates on one tensor) is tens of thousands of objects that every full
# collection scans again: in minigrad's benchmark (`bench/bench_ops.py`) each
# op became 2x slower at a depth of 30,000. The records cost the collector
# nothing:

# %%
assert not gc.is_tracked(tape.saved[0]) and not gc.is_tracked(tape.outputs[0])   # plain data: never scanned
assert gc.is_tracked(mg.ops.Mul())                                               # an object: scanned

# %% [markdown]
# `backward` still calls `node.backward(g)` on an op object. The tape
# rebuilds one when backward reaches its record: `tape.node(i)` makes an
# instance of `ops[i]` without calling `__init__`, gives it the saved dict as
# its attributes and the links as its `parents`. (`backward` does the same
# with one instance per op class, given each record's dict in turn: a new
# object per record would cost 0.1 µs more.)

# %%
show(mg.function.Tape.node)

# %%
node = tape.node(0)
print(node, "| parents:", node.parents)
print("saved for backward: node.x =", node.x, " node.y =", node.y)
assert type(node) is mg.ops.Mul and node.parents[0] is x and node.parents[1] is None
assert node.needs_input_grad == (True, False)

# %% [markdown]
# NOTE(torch): PyTorch calls this object the `ctx` of an
# `autograd.Function` (there `forward` and `backward` are static methods that
# receive `ctx` explicitly).
#
# Mul's backward uses that `None`: it skips the gradient of the constant,
# work nobody would read.

# %%
show(mg.ops.Mul)

# %% [markdown]
# No record is made when no input requires grad, or inside `mg.no_grad()`
# (used for evaluation and for the optimizer's own updates, which must not be
# recorded):

# %%
c = mg.Tensor([1.0, 2.0]) * 3              # no input requires grad
with mg.no_grad():
    d = x * 3                              # x does, but grad mode is off
assert c._tape is None and d._tape is None and not d.requires_grad
print("inside no_grad:", d, "requires_grad =", d.requires_grad)

# %% [markdown]
# ### When two tapes meet
#
# An op whose inputs are only leaves and constants starts a new tape; the ops
# that use its result append to it. So `f(w) + g(w)` builds two tapes, one
# per term, and the `+` is the first op that uses both. Before recording it,
# `apply` moves the records of the shorter tape onto the end of the longer
# one (`Tape.absorb`), renumbering their links. The emptied tape remembers
# where its records went, and `mg.function.locate(t)` follows that to give a
# tensor's tape and record number. (Why not one tape for the whole program?
# It would hold every array ever computed; a tape lives only as long as a
# tensor on it.)

# %%
w = mg.Tensor(np.array([0.5, -1.0]), requires_grad=True)
fw = (w * 2).exp()                       # tape A: Mul, Exp
gw = w.tanh()                            # tape B: Tanh
tape_a, tape_b = fw._tape, gw._tape
assert tape_a is not tape_b and len(tape_a) == 2 and len(tape_b) == 1

total = fw + gw                          # B's record moves onto A, then Add is recorded there
print([op.__name__ for op in tape_a.ops], tape_a.inputs[2:], "| tape B:", tape_b)
assert mg.function.locate(total) == (tape_a, 3) and tape_a.inputs[3] == (1, 2)
assert mg.function.locate(gw) == (tape_a, 2) and len(tape_b) == 0   # Tanh: record 0 of B is record 2 of A
total.sum().backward()
assert np.allclose(w.grad, 2 * np.exp(2 * w.data) + 1 - np.tanh(w.data) ** 2)

# %% [markdown]
# ## 3. Ordering the records, and why not with recursion
#
# The backward pass may process a record only once **all** its consumers
# have passed their gradient to it (we saw in notebook 01 that contributions
# add up). Reversing a topological order guarantees that: every record comes
# after all the records it depends on.
#
# Given the links, a reader's first idea is the textbook way to get that
# order: a recursive depth-first search from the root, visiting the inputs of
# a record before emitting it. Here is a deliberately naive version over the
# records, as small engines (micrograd among them) write it over their node
# objects:

# %%
def toposort_recursive(root):
    tape, root_index = mg.function.locate(root)
    order, seen = [], set()

    def visit(j):
        if j in seen:
            return
        seen.add(j)
        for k in tape.inputs[j]:
            if type(k) is int:           # a record; a leaf tensor or None ends the path
                visit(k)
        order.append(j)

    visit(root_index)
    return order


small = ((x * 2).exp() + x).sum()
print(toposort_recursive(small), [small._tape.ops[j].__name__ for j in toposort_recursive(small)])
assert toposort_recursive(small) == mg.tensor.toposort(small) == [0, 1, 2, 3]

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
# An explicit stack instead of recursion would repair the search (earlier
# minigrad did that). But look at the numbers the search returned for
# `small`: they were already ascending. That is no accident. An op runs after
# the ops that made its inputs, so it is recorded after them, and every link
# on a tape points to a lower record number: **the tape is already in
# topological order**, and there is nothing to search for.

# %%
links_back = [k < j for j in range(len(small._tape)) for k in small._tape.inputs[j] if type(k) is int]
assert len(links_back) == 3 and all(links_back)    # Exp -> 0, Add -> 1, Sum -> 2: every link points down

# %% [markdown]
# `mg.tensor.toposort` only picks out the records the root depends on (a
# tape can hold others: a result computed on the side, or the records of a
# merged tape that led elsewhere) with one loop from the root's record down
# to 0. No recursion, so depth is limited only by memory.

# %%
show(mg.tensor.toposort)

# %%
assert mg.tensor.toposort(chain) == list(range(depth))
chain.backward()
assert abs(h.grad[0] - 1.0001 ** depth) < 1e-9 * 1.0001 ** depth   # d(h·c^n)/dh = c^n
print(f"backward through {depth} ops: dL/dh = {h.grad[0]:.4f}, expected {1.0001 ** depth:.4f}")

# %% [markdown]
# `backward` itself (shown in notebook 01) does not even need that list: it
# reads the tape from the root's record down to 0 and keeps the gradients in
# a list indexed by record number, skipping each record that received none.
# As it goes, it releases each record's saved arrays (`saved[j] = None`) as
# soon as that record's backward has run, to free memory. A second
# `backward` through the same graph therefore fails loudly, unless the first
# one asked to keep the graph:

# %%
z = (x * x).sum()
z.backward()
assert z._tape.saved == [None, None]       # Mul's and Sum's saved arrays are gone
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
# **Exercise 3.** Which record numbers does `toposort` return for `out`
# below, with `x`, `w`, `b` tensors that require grad, and which ops are
# they? Mind the side computation: it is recorded on the same tape, but
# `out` does not use it.

# %%
x3 = mg.Tensor([1.0, 2.0], requires_grad=True)
w3 = mg.Tensor([0.5, -0.5], requires_grad=True)
b3 = mg.Tensor(0.1, requires_grad=True)
dot = (x3 * w3).sum()
side = dot * 10                                    # record 2: on the tape, not under out
out = (dot + b3).tanh()
order = mg.tensor.toposort(out)
names = [out._tape.ops[i].__name__ for i in order]

predicted_order = [0, 1, 3, 4]                     # one record per op, in the order they ran; no side
predicted_names = ["Mul", "Sum", "Add", "Tanh"]    # leaves are links, not records
assert order == predicted_order and names == predicted_names

# %% [markdown]
# **Exercise 4.** In `y = 2 * x`, which entry of `y._tape.inputs[y._index]`
# is `None`? (Hint: Python evaluates `2 * x` as `x.__rmul__(2)`.)

# %%
y4 = 2 * x3
links4 = y4._tape.inputs[y4._index]
none_position = 0                  # __rmul__ calls Mul.apply(2, x3): the constant stays the first operand
assert links4[none_position] is None and links4[1] is x3
assert y4._tape.node(y4._index).needs_input_grad == (False, True)

# %% [markdown]
# **Next:** notebook 03 builds on this engine: `nn.Module`s, losses,
# `optim.train` and a classifier next to scikit-learn's.
