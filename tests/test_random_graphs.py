"""Random programs through the backward engine: shared subexpressions, several sinks, retained grads.

The op table (``test_ops.py``) checks each op on its own. Here hypothesis draws
whole programs: each step applies an op to earlier values, so values are
reused (diamonds, a value feeding both operands), shapes broadcast against
each other, constants mix with tensors that require grad, some intermediates
``retain_grad()`` and the loss sums several sinks. The engine must order the
backward walk and sum every path's gradient exactly as the chain rule says:
checked against central differences (float64) and against PyTorch.

CI runs the same fixed programs every time (``derandomize``); to explore new ones,
set ``MINIGRAD_RANDOM_PROGRAMS=<count>`` (e.g. 3000) and run this file.
"""

import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg
import minigrad.nn.functional as F

_EXPLORE = int(os.environ.get("MINIGRAD_RANDOM_PROGRAMS", "0"))


def _budget(n):
    """Hypothesis settings: ``n`` fixed programs in CI, or ``_EXPLORE`` fresh ones when asked."""
    if _EXPLORE:
        return settings(max_examples=_EXPLORE, deadline=None)
    return settings(max_examples=n, deadline=None, derandomize=True)


SHAPES = [(3, 3), (1, 3), (3, 1), (1, 1)]  # closed under every op below (broadcasts give (3, 3))

UNARY = ["neg", "tanh", "sigmoid", "relu", "leaky_relu", "abs", "exp_tanh", "log_sq", "sqrt_sq", "two_pow",
         "three_minus", "clamp", "T", "sum0", "sum1", "sum_all", "mean0", "max1", "min0",
         "softmax", "log_softmax0", "index_repeat", "slice_rows", "scale_const"]
BINARY = ["add", "sub", "mul", "div", "pow", "matmul", "where", "stack_sum", "add_const_left"]


@st.composite
def programs(draw):
    """A program: leaves (shape, requires_grad, values) and steps (op, input positions, retain)."""
    n_leaves = draw(st.integers(1, 3))
    leaves = []
    for i in range(n_leaves):
        shape = draw(st.sampled_from(SHAPES))
        requires_grad = True if i == 0 else draw(st.booleans())
        leaves.append((shape, requires_grad))
    steps = []
    for k in range(draw(st.integers(1, 10))):
        n_values = n_leaves + k
        op = draw(st.sampled_from(UNARY + BINARY))
        a = draw(st.integers(0, n_values - 1))
        b = draw(st.integers(0, n_values - 1))  # may equal a: x * x, x - x
        steps.append((op, a, b, draw(st.booleans())))
    sinks = draw(st.lists(st.integers(0, n_leaves + len(steps) - 1), min_size=1, max_size=3))
    seed = draw(st.integers(0, 2**31))
    return leaves, steps, sinks, seed


def _data(program):
    """The arrays a program runs on: leaf values, constants, the sinks' weights (float64)."""
    leaves, steps, sinks, seed = program
    rng = np.random.default_rng(seed)
    values = [rng.uniform(-2, 2, shape) for shape, _ in leaves]
    consts = [rng.uniform(-2, 2, (3, 3)) for _ in steps]
    mask = rng.random((3, 3)) < 0.5
    return values, consts, mask


def _run(program, xp, leaf_tensors, consts, mask, sink_weights=None):
    """Run ``program`` with backend ``xp`` ("mg" or "torch"); return every value and the loss."""
    leaves, steps, sinks, _ = program
    if xp == "torch":
        import torch
    vals = list(leaf_tensors)
    retained = []
    for k, (op, a, b, retain) in enumerate(steps):
        x, y, c = vals[a], vals[b], consts[k]
        if xp == "torch":
            c = torch.from_numpy(c)
        if op == "matmul" and x.shape[1] != y.shape[0]:
            op = "add"  # shapes that do not chain: fall back to a broadcast op
        if op == "stack_sum" and x.shape != y.shape:
            op = "mul"
        if op == "neg":
            out = -x
        elif op in ("tanh", "sigmoid", "relu", "abs"):
            out = getattr(x, op)()
        elif op == "leaky_relu":
            out = F.leaky_relu(x, 0.1) if xp == "mg" else torch.nn.functional.leaky_relu(x, 0.1)
        elif op == "exp_tanh":  # exp, log, sqrt and pow on bounded or positive arguments
            out = x.tanh().exp()
        elif op == "log_sq":
            out = (x * x + 1).log()
        elif op == "sqrt_sq":
            out = (x * x + 1).sqrt()
        elif op == "two_pow":
            out = 2 ** x.tanh()
        elif op == "pow":
            out = (x * x + 1) ** y.tanh()
        elif op == "three_minus":
            out = 3 - x
        elif op == "clamp":
            out = x.clamp(-0.5, 0.5)
        elif op == "T":
            out = x.T
        elif op in ("sum0", "sum1", "mean0"):
            axis = int(op[-1])
            out = getattr(x, op[:-1])(axis, keepdims=True)
        elif op == "sum_all":
            out = x.sum((0, 1), keepdims=True) if xp == "mg" else x.sum((0, 1), keepdim=True)
        elif op == "min0":
            out = x.min(axis=0, keepdims=True) if xp == "mg" else torch.amin(x, dim=0, keepdim=True)
        elif op == "max1":
            out = x.max(axis=1, keepdims=True) if xp == "mg" else torch.amax(x, dim=1, keepdim=True)
        elif op == "softmax":
            out = x.softmax(axis=-1) if xp == "mg" else torch.softmax(x, dim=-1)
        elif op == "log_softmax0":
            out = x.log_softmax(axis=0) if xp == "mg" else torch.log_softmax(x, dim=0)
        elif op == "index_repeat":
            rows = [0, 0, x.shape[0] - 1]  # a repeated row: its gradient is scatter-added
            out = x[rows] if xp == "mg" else x[torch.tensor(rows)]
        elif op == "slice_rows":
            out = x[::-1] if xp == "mg" else x.flip(0)
        elif op == "scale_const":
            out = x * c[: x.shape[0], : x.shape[1]]
        elif op == "add":
            out = x + y
        elif op == "sub":
            out = x - y
        elif op == "mul":
            out = x * y
        elif op == "div":
            out = x / (y * y + 1)
        elif op == "matmul":
            out = x @ y
        elif op == "where":
            m = mask if xp == "mg" else torch.from_numpy(mask)
            out = mg.where(m, x, y) if xp == "mg" else torch.where(m, x, y)
        elif op == "stack_sum":
            out = mg.stack([x, y]).sum(axis=0) if xp == "mg" else torch.stack([x, y]).sum(dim=0)
        elif op == "add_const_left":
            out = c + x  # an array (or torch constant) on the left
        else:
            raise AssertionError(op)
        if retain and out.requires_grad:
            out.retain_grad()
            retained.append(out)
        vals.append(out)
    loss = 0.0
    for i, s in enumerate(sinks):
        w = sink_weights[i]
        if xp == "torch":
            w = torch.from_numpy(w)
        loss = loss + (vals[s] * w[: vals[s].shape[0], : vals[s].shape[1]]).sum()
    return vals, retained, loss


def _sink_weights(program):
    rng = np.random.default_rng(program[3] + 1)
    return [rng.standard_normal((3, 3)) for _ in program[2]]


def _minigrad_run(program):
    values, consts, mask = _data(program)
    leaves = [mg.Tensor(v.copy(), requires_grad=rg) for v, (_, rg) in zip(values, program[0])]
    vals, retained, loss = _run(program, "mg", leaves, consts, mask, _sink_weights(program))
    return leaves, retained, loss


@_budget(60)
@given(program=programs())
def test_random_programs_match_central_differences(program):
    values, consts, mask = _data(program)
    weights = _sink_weights(program)
    grad_leaves = [i for i, (_, rg) in enumerate(program[0]) if rg]

    def loss_of(*xs):
        leaves = [mg.Tensor(v) for v in values]
        for i, x in zip(grad_leaves, xs):
            leaves[i] = x
        loss = _run(program, "mg", leaves, consts, mask, weights)[2]
        return loss if isinstance(loss, mg.Tensor) else mg.Tensor(loss)

    inputs = [mg.Tensor(values[i].copy(), requires_grad=True) for i in grad_leaves]
    # relu, abs and max have kinks; a random point is almost surely not on one, but a
    # step may land on a tie built by the program itself (x - x, relu of a negative)
    assert mg.gradcheck(loss_of, *inputs, atol=1e-6, rtol=1e-5)


@_budget(80)
@given(program=programs(), twice=st.booleans())
def test_random_programs_match_pytorch(program, twice):
    torch = pytest.importorskip("torch")
    values, consts, mask = _data(program)
    weights = _sink_weights(program)

    leaves, retained, loss = _minigrad_run(program)
    t_leaves = [torch.tensor(v, requires_grad=rg) for v, (_, rg) in zip(values, program[0])]
    t_vals, t_retained, t_loss = _run(program, "torch", t_leaves, consts, mask, weights)

    if not isinstance(loss, mg.Tensor) or not loss.requires_grad:
        assert not (isinstance(t_loss, torch.Tensor) and t_loss.requires_grad)
        return  # no sink depends on a tensor that requires grad: nothing to differentiate
    np.testing.assert_allclose(loss.item(), t_loss.item(), rtol=1e-12, atol=1e-12)

    loss.backward(retain_graph=twice)
    if twice:  # a second pass through the kept graph accumulates into the same grads: 2×
        loss.backward()
    # NOTE: torch runs once and its gradient is doubled. PyTorch 2.13's own second pass can
    # be wrong: after stack → sum, the two leaves' .grad share one buffer (AccumulateGrad
    # keeps the views it is handed), so accumulating into one changes the other (3× for 2×).
    t_loss.backward()
    factor = 2.0 if twice else 1.0

    for mine, theirs in list(zip(leaves, t_leaves)) + list(zip(retained, t_retained)):
        if theirs.grad is None:
            assert mine._grad is None
        else:
            expected = factor * theirs.grad.numpy()
            scale = max(1.0, float(np.abs(expected).max()))
            np.testing.assert_allclose(mine._grad, expected, rtol=1e-9, atol=1e-12 * scale)
