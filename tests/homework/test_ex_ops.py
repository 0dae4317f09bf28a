"""Exercise tests for the op derivatives (``backward`` of Mul, MatMul, Exp, Log, Tanh, Sum,
Softmax, LogSoftmax).

Each case runs ``Op.apply`` on float64 leaves, calls ``backward`` with a random upstream
gradient g (a plain ``.sum()`` would hide a wrong softmax backward, and Sum is itself an
exercise) and compares every input's gradient with central finite differences of
Σ g · op(inputs), computed from the op's forward alone, and with the formula of the
op's docstring written here in NumPy. Only the engine (the exercises before these) is used.
"""

from dataclasses import dataclass, field

import numpy as np
import pytest

import minigrad as mg
from minigrad import ops


@dataclass
class Case:
    exercise: str
    op: type
    shapes: list
    params: dict = field(default_factory=dict)
    low: float = -2.0
    high: float = 2.0
    expected: object = None  # (inputs, g, params) -> list of gradients, the docstring's formula

    @property
    def id(self):
        extra = ",".join(f"{k}={v}" for k, v in self.params.items())
        return f"{self.op.__name__}{self.shapes}{extra}".replace(" ", "")


MUL, MATMUL = "ops.mul_backward", "ops.matmul_backward"
EXP, LOG, TANH = "ops.exp_backward", "ops.log_backward", "ops.tanh_backward"
SUM, SOFTMAX, LOG_SOFTMAX = "ops.sum_backward", "ops.softmax_backward", "ops.log_softmax_backward"


# ---- the docstrings' formulas in NumPy: (inputs, g, params) -> the inputs' gradients --------
# NOTE: each formula gives its exercise away, so a student copy withholds the bodies marked
# SPOILER (minigrad.homework); there test_backward_is_the_docstring_formula fails with
# "withheld from the student copy", and the finite-difference tests are the check.

def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def mul_expected(inputs, g, params):
    # BEGIN SPOILER ops.mul_backward
    return [g * inputs[1], g * inputs[0]]
    # END SPOILER


def matmul_expected(inputs, g, params):
    """The 2-D formula."""
    # BEGIN SPOILER ops.matmul_backward
    x, y = inputs
    return [g @ y.T, x.T @ g]
    # END SPOILER


def exp_expected(inputs, g, params):
    # BEGIN SPOILER ops.exp_backward
    return [g * np.exp(inputs[0])]
    # END SPOILER


def log_expected(inputs, g, params):
    # BEGIN SPOILER ops.log_backward
    return [g / inputs[0]]
    # END SPOILER


def tanh_expected(inputs, g, params):
    # BEGIN SPOILER ops.tanh_backward
    return [g * (1 - np.tanh(inputs[0]) ** 2)]
    # END SPOILER


def sum_expected(inputs, g, params):
    # BEGIN SPOILER ops.sum_backward
    x, = inputs
    axis, keepdims = params.get("axis"), params.get("keepdims", False)
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
    return [np.broadcast_to(g, x.shape)]
    # END SPOILER


def softmax_expected(inputs, g, params):
    # BEGIN SPOILER ops.softmax_backward
    y = _softmax(inputs[0], params["axis"])
    return [y * (g - (g * y).sum(axis=params["axis"], keepdims=True))]
    # END SPOILER


def log_softmax_expected(inputs, g, params):
    # BEGIN SPOILER ops.log_softmax_backward
    p = _softmax(inputs[0], params["axis"])
    return [g - p * g.sum(axis=params["axis"], keepdims=True)]
    # END SPOILER


CASES = [
    Case(MUL, ops.Mul, [(3, 4), (3, 4)], expected=mul_expected),
    Case(MUL, ops.Mul, [(3, 4), (4,)]),                 # y broadcast along rows
    Case(MUL, ops.Mul, [(2, 1, 3), (4, 1)]),            # both broadcast
    Case(MUL, ops.Mul, [(), (5,)]),
    Case(MATMUL, ops.MatMul, [(3, 4), (4, 5)], expected=matmul_expected),
    Case(MATMUL, ops.MatMul, [(1, 4), (4, 1)], expected=matmul_expected),
    Case(MATMUL, ops.MatMul, [(4,), (4, 5)]),            # a 1-D x is a row
    Case(MATMUL, ops.MatMul, [(3, 4), (4,)]),            # a 1-D y is a column
    Case(MATMUL, ops.MatMul, [(4,), (4,)]),
    Case(MATMUL, ops.MatMul, [(2, 3, 4), (2, 4, 5)]),
    Case(MATMUL, ops.MatMul, [(2, 3, 4), (4, 5)]),      # y shared by the batch
    Case(MATMUL, ops.MatMul, [(2, 1, 3, 4), (5, 4, 2)]),  # batch axes broadcast
    Case(MATMUL, ops.MatMul, [(4,), (2, 4, 5)]),         # a 1-D x against a batch
    Case(MATMUL, ops.MatMul, [(2, 3, 4), (4,)]),         # a batch against a 1-D y
    Case(EXP, ops.Exp, [(3, 4)], expected=exp_expected),
    Case(EXP, ops.Exp, [(5,)], low=-30, high=5, expected=exp_expected),
    Case(LOG, ops.Log, [(3, 4)], low=0.2, high=3.0, expected=log_expected),
    Case(LOG, ops.Log, [(6,)], low=1e-2, high=1e2, expected=log_expected),
    Case(TANH, ops.Tanh, [(3, 4)], expected=tanh_expected),
    Case(TANH, ops.Tanh, [(7,)], low=-6, high=6, expected=tanh_expected),
    Case(SUM, ops.Sum, [(3, 4)], expected=sum_expected),
    Case(SUM, ops.Sum, [(3, 4)], dict(axis=0), expected=sum_expected),
    Case(SUM, ops.Sum, [(3, 4)], dict(axis=1, keepdims=True), expected=sum_expected),
    Case(SUM, ops.Sum, [(2, 3, 4)], dict(axis=(0, 2)), expected=sum_expected),
    Case(SUM, ops.Sum, [(2, 3, 4)], dict(axis=-1), expected=sum_expected),
    Case(SUM, ops.Sum, [(2, 3, 4)], dict(axis=None, keepdims=True), expected=sum_expected),
    Case(SOFTMAX, ops.Softmax, [(3, 5)], dict(axis=-1), expected=softmax_expected),
    Case(SOFTMAX, ops.Softmax, [(4, 3)], dict(axis=0), expected=softmax_expected),
    Case(SOFTMAX, ops.Softmax, [(2, 3, 4)], dict(axis=1), expected=softmax_expected),
    Case(LOG_SOFTMAX, ops.LogSoftmax, [(3, 5)], dict(axis=-1), expected=log_softmax_expected),
    Case(LOG_SOFTMAX, ops.LogSoftmax, [(4, 3)], dict(axis=0), expected=log_softmax_expected),
    Case(LOG_SOFTMAX, ops.LogSoftmax, [(2, 3, 4)], dict(axis=1), expected=log_softmax_expected),
]


def _run(case, seed=0):
    rng = np.random.default_rng(seed)
    inputs = [rng.uniform(case.low, case.high, s) for s in case.shapes]
    leaves = [mg.Tensor(a, requires_grad=True) for a in inputs]
    out = case.op.apply(*leaves, **case.params)
    g = rng.standard_normal(out.shape)
    out.backward(g)
    return inputs, leaves, g


def _numeric(case, inputs, g, eps=1e-6):
    """Central differences of Σ g · op(inputs), from the forward pass only."""
    def loss(arrays):
        return float(np.sum(g * case.op.apply(*arrays, **case.params).data))
    grads = []
    for k, a in enumerate(inputs):
        num = np.zeros_like(a)
        for i in np.ndindex(a.shape):
            up = [b.copy() for b in inputs]
            down = [b.copy() for b in inputs]
            up[k][i] += eps
            down[k][i] -= eps
            num[i] = (loss(up) - loss(down)) / (2 * eps)
        grads.append(num)
    return grads


def _params(cases):
    return [pytest.param(c, marks=pytest.mark.exercise(c.exercise), id=c.id) for c in cases]


@pytest.mark.parametrize("case", _params(CASES))
def test_backward_matches_finite_differences(case):
    inputs, leaves, g = _run(case)
    for k, (leaf, num) in enumerate(zip(leaves, _numeric(case, inputs, g))):
        assert leaf.grad is not None, f"input {k} got no gradient"
        assert leaf.grad.shape == inputs[k].shape
        np.testing.assert_allclose(leaf.grad, num, rtol=1e-5, atol=1e-7,
                                   err_msg=f"gradient of input {k}")


@pytest.mark.parametrize("case", _params([c for c in CASES if c.expected is not None]))
def test_backward_is_the_docstring_formula(case):
    inputs, leaves, g = _run(case, seed=1)
    for k, (leaf, want) in enumerate(zip(leaves, case.expected(inputs, g, case.params))):
        np.testing.assert_allclose(leaf.grad, want, rtol=1e-10, atol=1e-12,
                                   err_msg=f"gradient of input {k}")


FLOAT32 = [  # one case per exercise: float32 in, float32 gradients out
    Case(MUL, ops.Mul, [(3, 4), (4,)]),
    Case(MATMUL, ops.MatMul, [(3, 4), (4, 2)]),
    Case(EXP, ops.Exp, [(4,)]),
    Case(LOG, ops.Log, [(4,)], low=0.5),
    Case(TANH, ops.Tanh, [(4,)]),
    Case(SUM, ops.Sum, [(3, 4)], dict(axis=1)),
    Case(SOFTMAX, ops.Softmax, [(3, 4)], dict(axis=-1)),
    Case(LOG_SOFTMAX, ops.LogSoftmax, [(3, 4)], dict(axis=-1)),
]


@pytest.mark.parametrize("case", _params(FLOAT32))
def test_backward_keeps_float32(case):
    rng = np.random.default_rng(2)
    leaves = [mg.Tensor(rng.uniform(case.low if case.low > 0 else 0.5, 2.0, s).astype(np.float32),
                        requires_grad=True) for s in case.shapes]
    out = case.op.apply(*leaves, **case.params)
    out.backward(np.ones(out.shape, dtype=np.float32))
    for leaf in leaves:
        assert leaf.grad.dtype == np.float32


# ---- named pitfalls -----------------------------------------------------------

@pytest.mark.exercise(MUL)
def test_mul_of_a_tensor_by_itself_and_by_a_constant():
    x = mg.Tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)
    ops.Mul.apply(x, x).backward(np.ones(3))          # d(x²)/dx = 2x
    np.testing.assert_allclose(x.grad, [2.0, -4.0, 6.0])
    x.zero_grad()
    c = mg.Tensor(np.array([4.0, 5.0, 6.0]))
    ops.Mul.apply(c, x).backward(np.ones(3))
    np.testing.assert_allclose(x.grad, [4.0, 5.0, 6.0])
    assert c.grad is None
    x.zero_grad()
    ops.Mul.apply(x, 0.5).backward(np.ones(3))
    np.testing.assert_allclose(x.grad, [0.5, 0.5, 0.5])


@pytest.mark.exercise(MATMUL)
def test_matmul_of_two_vectors_is_a_dot_product():
    x = mg.Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    y = mg.Tensor(np.array([4.0, 5.0, 6.0]), requires_grad=True)
    z = ops.MatMul.apply(x, y)
    assert z.shape == ()
    z.backward(np.array(2.0))
    np.testing.assert_allclose(x.grad, 2 * y.data)
    np.testing.assert_allclose(y.grad, 2 * x.data)


@pytest.mark.exercise(MATMUL)
def test_matmul_with_a_constant_operand():
    w = mg.Tensor(np.eye(3) * 2, requires_grad=True)
    x = np.ones((4, 3))
    ops.MatMul.apply(x, w).backward(np.ones((4, 3)))
    np.testing.assert_allclose(w.grad, np.full((3, 3), 4.0))
    a = mg.Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)   # and the constant on the right
    ops.MatMul.apply(a, np.eye(3) * 2).backward(np.ones((2, 3)))
    np.testing.assert_allclose(a.grad, np.full((2, 3), 2.0))


@pytest.mark.exercise(EXP)
def test_exp_gradient_is_its_output():
    x = mg.Tensor(np.array([0.0, 1.0, -50.0]), requires_grad=True)
    ops.Exp.apply(x).backward(np.ones(3))
    np.testing.assert_allclose(x.grad, np.exp([0.0, 1.0, -50.0]), rtol=1e-12)


@pytest.mark.exercise(LOG)
def test_log_gradient_is_one_over_x():
    x = mg.Tensor(np.array([0.5, 1.0, 4.0]), requires_grad=True)
    ops.Log.apply(x).backward(np.array([1.0, 3.0, 8.0]))
    np.testing.assert_allclose(x.grad, [2.0, 3.0, 2.0])


@pytest.mark.exercise(TANH)
def test_tanh_gradient_vanishes_without_nan_far_out():
    x = mg.Tensor(np.array([-30.0, 0.0, 30.0]), requires_grad=True)
    ops.Tanh.apply(x).backward(np.ones(3))
    np.testing.assert_allclose(x.grad, [0.0, 1.0, 0.0], atol=1e-12)
    assert np.isfinite(x.grad).all()


@pytest.mark.exercise(SUM)
def test_sum_spreads_the_gradient_over_the_reduced_axis():
    x = mg.Tensor(np.zeros((2, 3)), requires_grad=True)
    ops.Sum.apply(x, axis=1).backward(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(x.grad, [[1, 1, 1], [2, 2, 2]])
    y = mg.Tensor(np.zeros((2, 3)), requires_grad=True)
    ops.Sum.apply(y).backward(np.array(5.0))
    np.testing.assert_array_equal(y.grad, np.full((2, 3), 5.0))


@pytest.mark.exercise(SOFTMAX)
def test_softmax_rows_sum_to_one_so_a_constant_upstream_gives_zero():
    x = mg.Tensor(np.array([[1000.0, -1000.0, 0.0], [0.1, 0.2, 0.3]]), requires_grad=True)
    ops.Softmax.apply(x, axis=-1).backward(np.full((2, 3), 7.0))
    np.testing.assert_allclose(x.grad, np.zeros((2, 3)), atol=1e-12)


@pytest.mark.exercise(SOFTMAX)
def test_softmax_at_large_logits_is_finite():
    x = mg.Tensor(np.array([[1000.0, 999.0, -1000.0]]), requires_grad=True)
    ops.Softmax.apply(x, axis=-1).backward(np.array([[1.0, 0.0, 0.0]]))
    p = _softmax(x.data, -1)
    np.testing.assert_allclose(x.grad, p * (np.array([[1.0, 0.0, 0.0]]) - p[0, 0]), atol=1e-12)


@pytest.mark.exercise(LOG_SOFTMAX)
def test_log_softmax_with_a_one_hot_upstream_is_onehot_minus_p():
    x = mg.Tensor(np.array([[1000.0, -1000.0, 0.0], [0.0, 0.0, 0.0]]), requires_grad=True)
    onehot = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    ops.LogSoftmax.apply(x, axis=-1).backward(onehot)
    np.testing.assert_allclose(x.grad, onehot - _softmax(x.data, -1), atol=1e-12)
