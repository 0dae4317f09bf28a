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
# # 01 · Backpropagation by hand
#
# Training a network means nudging every parameter against its gradient, so
# we need derivatives: many of them, exactly, and fast. This notebook climbs a
# ladder of three ways to get them, each checked against the one before:
#
# 1. **finite differences**: wiggle an input, watch the output (slow, approximate, but hard to get wrong);
# 2. **the chain rule by hand**: one local derivative per operation, multiplied backwards;
# 3. **the engine**: minigrad records the operations and applies the same local rules for us.
#
# Along the way we draw the computation graph and see why gradients
# *accumulate* (`b = a + a` gives `a.grad == 2`).
#
# Run the cells from top to bottom. Exercises are at the end: each asks
# for your answer first, then shows the solution and checks your answer
# with an `assert`.

# %%
import inspect
import math
import os

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display

import minigrad as mg
from minigrad import viz

FAST = os.environ.get("MINIGRAD_TUTORIAL_FAST") == "1"  # the test suite sets this; nothing here is slow


def show(obj):
    """Show the source of a minigrad object (read with inspect, so text and code never drift apart)."""
    display(Markdown(f"```python\n{inspect.getsource(obj)}```"))


# %% [markdown]
# ## 1. A tiny model
#
# One neuron with one input: a weight $w$, a bias $b$, a $\tanh$, and a
# squared error against a target $t$:
#
# $$z = w\,x + b, \qquad y = \tanh z, \qquad L = (y - t)^2 .$$
#
# Training asks: how does $L$ change when we change $w$ or $b$? That is
# $\partial L/\partial w$ and $\partial L/\partial b$.

# %%
x, t = 2.0, 1.0      # one input and its target: data, never trained
w, b = -0.5, 0.3     # the two parameters


def loss(w, b):
    """L(w, b) for our one example, in plain Python floats."""
    z = w * x + b
    y = math.tanh(z)
    return (y - t) ** 2


print(f"L(w={w}, b={b}) = {loss(w, b):.6f}")

# %% [markdown]
# ## 2. Rung one: finite differences
#
# The derivative is the slope of a secant as it shrinks:
#
# $$\frac{\partial L}{\partial w} \approx \frac{L(w + h) - L(w)}{h} \quad\text{(forward, error } O(h)\text{)}
# \qquad
# \frac{\partial L}{\partial w} \approx \frac{L(w + h) - L(w - h)}{2h} \quad\text{(central, error } O(h^2)\text{)}.$$
#
# Taylor's theorem says why the central one is better: the $h^2$ terms of
# $L(w+h)$ and $L(w-h)$ cancel. But $h$ cannot shrink forever: $L(w+h)$ and
# $L(w-h)$ agree in more and more leading digits, and their difference is
# left with rounding noise (about $10^{-16}/h$ in float64).

# %%
def forward_diff(f, v, h):
    return (f(v + h) - f(v)) / h


def central_diff(f, v, h):
    return (f(v + h) - f(v - h)) / (2 * h)


L_of_w = lambda w_: loss(w_, b)  # L as a function of w alone, b held fixed
dL_dw_central = central_diff(L_of_w, w, 1e-5)
print(f"dL/dw ≈ {dL_dw_central:.10f} (central difference, h = 1e-5)")

# %% [markdown]
# ## 3. Rung two: the chain rule, one local derivative at a time
#
# Each operation only needs to know its *own* derivative:
#
# | operation | local derivative |
# | --- | --- |
# | $z = w x + b$ | $\partial z/\partial w = x$, $\;\partial z/\partial b = 1$, $\;\partial z/\partial x = w$ |
# | $y = \tanh z$ | $\partial y/\partial z = 1 - y^2$ |
# | $L = (y - t)^2$ | $\partial L/\partial y = 2 (y - t)$ |
#
# The chain rule multiplies them along the path from $L$ back to each input:
#
# $$\frac{\partial L}{\partial w} = \underbrace{2(y-t)}_{\partial L/\partial y}\;\underbrace{(1-y^2)}_{\partial y/\partial z}\;\underbrace{x}_{\partial z/\partial w}.$$
#
# Backpropagation evaluates this product **from the loss backwards**: it
# keeps one number, "dL/d(this value)", and passes it down the graph,
# multiplying by one local derivative per step. The shared prefix
# $2(y-t)(1-y^2) = \partial L/\partial z$ is computed once and reused for $w$,
# $b$ and $x$. That reuse is the whole trick: one backward pass costs about as
# much as one forward pass, however many parameters there are.

# %%
# forward pass: compute and keep every intermediate value
z = w * x + b
y = math.tanh(z)
L = (y - t) ** 2

# backward pass: g_v means dL/dv; start from dL/dL = 1 and walk back
g_L = 1.0
g_y = g_L * 2 * (y - t)      # L = (y - t)²
g_z = g_y * (1 - y ** 2)     # y = tanh z
g_w = g_z * x                # z = w·x + b
g_b = g_z * 1.0
g_x = g_z * w

print(f"by hand: g_y = {g_y:.4f}, g_z = {g_z:.4f}, dL/dw = g_w = {g_w:.10f}, dL/db = g_b = {g_b:.10f}")
# the rung below checks this one: the chain rule agrees with the finite difference
assert abs(g_w - dL_dw_central) < 1e-8
assert abs(g_b - central_diff(lambda b_: loss(w, b_), b, 1e-5)) < 1e-8

# %% [markdown]
# Now a picture of the error of both finite differences against the exact
# `g_w`, as $h$ shrinks. Read it from right to left: both lines fall (the
# truncation error shrinks, with slope 1 for forward and slope 2 for central
# differences on a log-log plot) until rounding takes over and they rise
# again. At their best, central differences are hundreds of times more
# accurate than forward differences (the cell checks a factor of 100): this is
# why `mg.gradcheck` uses central differences with $h = 10^{-6}$, on float64
# inputs (it warns when an input is float32).

# %%
hs = np.logspace(-12, -1, 45)
err_forward = [abs(forward_diff(L_of_w, w, h) - g_w) for h in hs]
err_central = [abs(central_diff(L_of_w, w, h) - g_w) for h in hs]

fig, ax = plt.subplots(figsize=(6.5, 4))
ax.loglog(hs, err_forward, "o-", ms=3, label="forward  (L(w+h) − L(w)) / h")
ax.loglog(hs, err_central, "s-", ms=3, label="central  (L(w+h) − L(w−h)) / 2h")
ax.loglog(hs, 1e-16 / hs, ":", color="grey", label="rounding ≈ 1e-16 / h")
ax.set_xlabel("step h")
ax.set_ylabel("|finite difference − exact dL/dw|")
ax.set_title("Finite differences: truncation error (right) vs rounding (left)")
ax.legend(fontsize=8)
ax.grid(True, which="major", alpha=0.3)
plt.show()
print(f"best forward error {min(err_forward):.1e}, best central error {min(err_central):.1e}")
assert min(err_central) < min(err_forward) / 100

# %% [markdown]
# ## 4. Rung three: the engine
#
# Now the same model with minigrad tensors. Every operation on a tensor that
# `requires_grad` is recorded as a node of a graph; `backward()` walks that
# graph from the loss back to the leaves and applies each node's local
# derivative, exactly as we did by hand.
#
# We use float64 (`np.float64` arrays keep their dtype) so that the
# comparison with our float64 hand computation can be tight. Plain Python
# numbers and lists become float32 tensors, the usual dtype for training.

# %%
w_t = mg.Tensor(np.float64(w), requires_grad=True)
b_t = mg.Tensor(np.float64(b), requires_grad=True)

L_t = ((w_t * x + b_t).tanh() - t) ** 2
assert type(L_t.grad_fn) is mg.ops.Pow and w_t.grad_fn is None   # a result holds its node; a leaf has none
L_t

# %% [markdown]
# `L_t` remembers its op (`op=Pow`): it holds the op's node in `L_t.grad_fn`,
# the node holds its inputs, and so on back to $w$ and $b$ (notebook 02 opens
# these objects). `viz.draw_graph` follows those links and draws the whole
# graph, inputs on the left: the leaves that require grad in blue, under the
# names we gave them (`names=`; an `nn.Parameter` would be orange), constants
# ($x$, $t$, the exponent 2) in dashed grey, op results in white, the tensor
# drawn in green. Each box shows the op, the shape ("scalar") and the value.
# Before `backward` there are no gradients yet.
#
# NOTE(torch): PyTorch calls the node `grad_fn` too (there `L_t.grad_fn` is
# a `PowBackward0`).

# %%
viz.draw_graph(L_t, names={"w": w_t, "b": b_t})

# %% [markdown]
# `backward()` fills `.grad` of every leaf. By default it then releases the
# arrays the graph's nodes saved (they can be large), keeping only the links;
# `retain_graph=True` keeps the arrays too, so that the drawing can recompute
# the gradient of every intermediate result and show
# $\lVert\partial L/\partial v\rVert$ in every box.

# %%
L_t.backward(retain_graph=True)
print("minigrad: dL/dw =", w_t.grad, "  dL/db =", b_t.grad)
assert abs(w_t.grad - g_w) < 1e-12 and abs(b_t.grad - g_b) < 1e-12  # engine == hand
viz.draw_graph(L_t, names={"w": w_t, "b": b_t})

# %% [markdown]
# Read the "|grad|" lines from right to left and you find our hand
# computation (as absolute values: a box shows the norm of its gradient, so
# signs are dropped): `g_L = 1` on the result, `g_y` on `Tanh` (the box of
# $y$), `g_z` on `Add` (the box of $z$), `g_w` and `g_b` on the parameters.
#
# ### Where the local rules live
#
# Each op is a small class in `minigrad/ops.py` whose `backward(g)` receives
# $g = \partial L/\partial(\text{result})$ and returns
# $\partial L/\partial(\text{input})$ for each input: the "multiply by the
# local derivative" step. Here is `tanh`, which saves its output $y$ during
# the forward pass because its derivative $1 - y^2$ needs it:

# %%
show(mg.ops.Tanh)

# %% [markdown]
# and the product, whose derivative with respect to each factor is the other
# factor (the `BEGIN/END SOLUTION` markers are for homework, see notebook 06):

# %%
show(mg.ops.Mul)

# %% [markdown]
# The walk itself is `mg.function.backward_pass`, which `Tensor.backward`
# calls once it has checked its arguments. From the loss's node, following
# each node's `inputs`, it reaches every node of the graph; `toposort` lists
# them so that each node comes after the nodes that made its inputs
# (notebook 02 shows how, and why not with recursion). Walking that list
# backwards, from the loss, every node runs after all the nodes that use its
# result. Strip away the checks and its heart is four lines: take the node's
# complete gradient `g = grads.pop(node)`, call `node.backward(g)`, and add
# each returned piece into the input's `.grad` (a leaf, with `accumulate`) or
# into `grads[x.grad_fn]` (an intermediate result `x`, made by the node
# `x.grad_fn`).

# %%
show(mg.function.backward_pass)

# %% [markdown]
# ## 5. Why gradients accumulate
#
# Look at the last lines of that loop: gradients are **added**
# (`grads[x.grad_fn] + gx`, and `accumulate` adds into `.grad`), never
# assigned. The loop does not call `accumulate` itself: it calls
# `keep(x, gx)`, and `keep` is by default `keep_grad`, which calls
# `accumulate` for a leaf (or a tensor that asked for `retain_grad()`):

# %%
show(mg.function.keep_grad)
show(mg.function.accumulate)

# %% [markdown]
# The reason they add is the multivariable chain rule: when a value reaches the loss
# along several paths, $\partial L/\partial a$ is the **sum** over the paths.
#
# The smallest example: $b = a + a$. Both inputs of `Add` are the same
# tensor, each path contributes $\partial b/\partial a = 1$, so the answer is
# 2. Overwriting instead of adding would give 1.

# %%
a = mg.Tensor(3.0, requires_grad=True)
b2 = a + a
b2.backward(retain_graph=True)
assert a.grad == 2.0
viz.draw_graph(b2)  # "×2": the same tensor enters Add twice

# %% [markdown]
# A less obvious case: $L = a\cdot c + a$ with $c = 5$. The two paths give
# $c$ and $1$, so $\partial L/\partial a = c + 1 = 6$.

# %%
a = mg.Tensor(3.0, requires_grad=True)
c = mg.Tensor(5.0, requires_grad=True)
(a * c + a).backward()
assert a.grad == 6.0 and c.grad == 3.0

# %% [markdown]
# Accumulation has a second consequence: **calling `backward` again adds
# to what is already in `.grad`**. This is useful (summing gradients over
# several small batches before one update), and a classic bug when
# forgotten. That is why every training loop calls `zero_grad()` (which sets
# `.grad` to `None`) before each backward pass.
#
# NOTE(torch): PyTorch behaves the same way; its `optimizer.zero_grad()` also
# sets gradients to `None` by default since version 2.0.

# %%
a = mg.Tensor(3.0, requires_grad=True)
(a * a).backward()          # d(a²)/da = 2a = 6
first = a.grad.copy()
(a * a).backward()          # a new graph, but the gradient is added: 6 + 6
second = a.grad.copy()
a.zero_grad()
(a * a).backward()
third = a.grad.copy()
assert (first, second, third) == (6.0, 12.0, 6.0)
print("after one backward:", first, "| after two:", second, "| after zero_grad and one more:", third)

# %% [markdown]
# ## Exercises
#
# Each exercise asks first: work it out on paper, write your answer in the
# cell below it (in place of `None`), and run that cell. The solution
# follows in the next cells; it computes the answer with minigrad and
# `check` compares yours with it. (Left at `None`, the check only shows the
# solution.)

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
# **Exercise 1.** Let $f(a, c) = e^{a c} + a$. Write $\partial f/\partial a$
# and $\partial f/\partial c$ by hand and evaluate them at $a = 0.5$,
# $c = -1$.

# %%
a_val, c_val = 0.5, -1.0
your_df_da = None    # your answer: a number, or a Python expression of a_val and c_val
your_df_dc = None

# %% [markdown]
# *Solution.* Two paths lead to $a$: through the exponent
# ($c\,e^{ac}$) and through the "$+\,a$" ($1$); one leads to $c$
# ($a\,e^{ac}$). minigrad agrees:

# %%
df_da = c_val * math.exp(a_val * c_val) + 1
df_dc = a_val * math.exp(a_val * c_val)
a = mg.Tensor(np.float64(a_val), requires_grad=True)
c = mg.Tensor(np.float64(c_val), requires_grad=True)
((a * c).exp() + a).backward()
assert abs(a.grad - df_da) < 1e-12 and abs(c.grad - df_dc) < 1e-12
check("∂f/∂a", your_df_da, df_da)
check("∂f/∂c", your_df_dc, df_dc)

# %% [markdown]
# **Exercise 2.** Starting from `a.grad` = `None` at $a = 2$, we run
# `(a * a * a).backward()` and then, *without* `zero_grad()`,
# `(a + a).backward()`. What is `a.grad`?

# %%
your_grad = None     # your answer: a number

# %% [markdown]
# *Solution.* Gradients add up: $3a^2 = 12$ from the cube, then $2$ from
# $a + a$.

# %%
a = mg.Tensor(2.0, requires_grad=True)
(a * a * a).backward()
(a + a).backward()
assert a.grad == 3 * 2.0 ** 2 + 2
check("a.grad", your_grad, a.grad)

# %% [markdown]
# **Exercise 3.** The central difference has error $O(h^2)$. By what
# factor should its error shrink when $h$ halves (from $10^{-2}$ to
# $5\cdot10^{-3}$, where rounding does not matter yet)? And the forward
# difference's?

# %%
your_ratio_central = None   # your answers: two numbers
your_ratio_forward = None

# %% [markdown]
# *Solution.* $O(h^2)$: $2^2 = 4$; $O(h)$: $2^1 = 2$. Measured on `L_of_w`:

# %%
def error(diff, h):
    return abs(diff(L_of_w, w, h) - g_w)


ratio_central = error(central_diff, 1e-2) / error(central_diff, 5e-3)
ratio_forward = error(forward_diff, 1e-2) / error(forward_diff, 5e-3)
print(f"error ratio when h halves: central {ratio_central:.3f}, forward {ratio_forward:.3f}")
assert 3.8 < ratio_central < 4.2 and 1.8 < ratio_forward < 2.2
check("central ratio", your_ratio_central, ratio_central, tol=0.2)
check("forward ratio", your_ratio_forward, ratio_forward, tol=0.2)

# %% [markdown]
# **Exercise 4.** Our hand backward pass also computed `g_x`, the gradient
# with respect to the *input* $x$, which we never train. How do you get the
# same number from minigrad? Write the code in the cell below, leaving the
# gradient in `your_g_x`.

# %%
your_g_x = None      # your code here: e.g. make x a tensor that requires grad, backward, read its .grad

# %% [markdown]
# *Solution.* Make $x$ a tensor that requires grad; `backward` fills its
# `.grad` like any other leaf's.

# %%
x_t = mg.Tensor(np.float64(x), requires_grad=True)
w_t = mg.Tensor(np.float64(w), requires_grad=True)
(((w_t * x_t + b).tanh() - t) ** 2).backward()
assert abs(x_t.grad - g_x) < 1e-12
check("g_x", your_g_x, x_t.grad)

# %% [markdown]
# **Next:** notebook 02 opens the engine: what a `Tensor` and a `Function`
# are, how an op joins the graph, how broadcasting is undone in the backward
# pass, and how to write and check an op of your own.
