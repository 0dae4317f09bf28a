"""Exercise tests for the op derivatives (``backward`` of Exp, Log, Tanh, Mul, Sum, Softmax,
LogSoftmax and MatMul).

The op derivatives come first in the curriculum, before the engine, so these tests use no
engine: each runs one node by hand, as the engine would (``node = Op()``, ``node.inputs``,
``node.forward(*arrays)``, ``node.backward(g)``), with a random upstream gradient g (a plain
``.sum()`` would hide a wrong softmax backward, and Sum is itself an exercise). Every input's
gradient is compared with central finite differences of Σ g · op(inputs), computed from the
op's forward alone, and with the formula of the op's docstring written here in NumPy. Where
the engine would sum a broadcast gradient back to its input's shape, the test does it, by the
definition of broadcasting. A test that sees the symptom of a catalogued mistake
(``minigrad.homework.catalogue``) fails with its hint.
"""

from dataclasses import dataclass, field

import numpy as np
import pytest

import minigrad as mg
from minigrad import ops
from minigrad.homework.catalogue import message as likely


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


# ---- one node, run as the engine runs it ----------------------------------------------

def summed_to(g, shape):
    """``g`` summed over the copies that broadcasting made of an array of ``shape`` (the engine's job).

    Written from the definition: entry i is the sum of g where a one-hot array at i lands.
    """
    g = np.asarray(g)
    if g.shape == tuple(shape):
        return g
    out = np.zeros(shape, dtype=g.dtype)
    for i in np.ndindex(*shape):
        one = np.zeros(shape)
        one[i] = 1.0
        out[i] = np.sum(g * np.broadcast_to(one, g.shape))
    return out


def run_node(op, arrays, g, params=None, constant=()):
    """``(result, raw gradients)`` of one node: forward, then backward of ``g``, as the engine runs them.

    ``node.inputs`` holds a Tensor for each input that needs a gradient and None for each
    index in ``constant``. The raw gradients are what backward returned, one per input
    (a one-input op's single array is put in a list).
    """
    node = op()
    node.inputs = tuple(None if k in constant else mg.Tensor(a) for k, a in enumerate(arrays))
    out = node.forward(*arrays, **(params or {}))
    grads = node.backward(g)
    return out, list(grads) if isinstance(grads, tuple) else [grads]


def node_gradients(op, arrays, g, params=None, constant=()):
    """Each input's gradient, summed back to the input's shape (None for a constant)."""
    _, grads = run_node(op, arrays, g, params, constant)
    assert len(grads) == len(arrays), f"{op.__name__}.backward must return one gradient per input"
    return [None if k in constant else summed_to(gk, np.shape(arrays[k])) for k, gk in enumerate(grads)]


def expect(got, want, what, mistakes=()):
    """Pass if ``got`` ≈ ``want``; else fail with the hint of the catalogued mistake whose symptom
    ``got`` matches (``mistakes``: pairs of what that mistake gives and its slug), if any."""
    got = np.asarray(got)
    if got.shape == np.shape(want) and np.allclose(got, want, rtol=1e-7, atol=1e-10):
        return
    for symptom, slug in mistakes:
        if got.shape == np.shape(symptom) and np.allclose(got, symptom, rtol=1e-6, atol=1e-9):
            pytest.fail(likely(slug))
    np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-10, err_msg=what)


def _inputs(case, seed):
    rng = np.random.default_rng(seed)
    inputs = [rng.uniform(case.low, case.high, s) for s in case.shapes]
    out = case.op().forward(*inputs, **case.params)
    return inputs, rng.standard_normal(np.shape(out))


def _numeric(case, inputs, g, eps=1e-6):
    """Central differences of Σ g · op(inputs), from the forward pass only."""
    def loss(arrays):
        return float(np.sum(g * case.op().forward(*arrays, **case.params)))
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
    inputs, g = _inputs(case, seed=0)
    grads = node_gradients(case.op, inputs, g, case.params)
    for k, (grad, num) in enumerate(zip(grads, _numeric(case, inputs, g))):
        assert grad is not None, f"input {k} got no gradient"
        assert grad.shape == inputs[k].shape, \
            f"the gradient of input {k} has shape {grad.shape}, summed back: the input's is {inputs[k].shape}"
        np.testing.assert_allclose(grad, num, rtol=1e-5, atol=1e-7, err_msg=f"gradient of input {k}")


@pytest.mark.parametrize("case", _params([c for c in CASES if c.expected is not None]))
def test_backward_is_the_docstring_formula(case):
    inputs, g = _inputs(case, seed=1)
    grads = node_gradients(case.op, inputs, g, case.params)
    for k, (grad, want) in enumerate(zip(grads, case.expected(inputs, g, case.params))):
        np.testing.assert_allclose(grad, want, rtol=1e-10, atol=1e-12, err_msg=f"gradient of input {k}")


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
    arrays = [rng.uniform(case.low if case.low > 0 else 0.5, 2.0, s).astype(np.float32) for s in case.shapes]
    out = case.op().forward(*arrays, **case.params)
    _, grads = run_node(case.op, arrays, np.ones(np.shape(out), dtype=np.float32), case.params)
    for k, grad in enumerate(grads):
        assert np.asarray(grad).dtype == np.float32, \
            f"float32 in, float32 out: the gradient of input {k} is {np.asarray(grad).dtype}"


# ---- named pitfalls, and the symptoms of the catalogued mistakes --------------------

@pytest.mark.exercise(EXP)
def test_exp_gradient_is_its_output_times_g():
    x, g = np.array([0.0, 1.0, -50.0, 2.0]), np.array([2.0, -1.0, 3.0, 0.5])
    [grad] = node_gradients(ops.Exp, [x], g)
    expect(grad, g * np.exp(x), "dL/dx = g · e^x", [(np.exp(x), "exp-no-upstream")])


@pytest.mark.exercise(LOG)
def test_log_gradient_is_one_over_x():
    x, g = np.array([0.5, 1.0, 4.0]), np.array([1.0, 3.0, 8.0])
    [grad] = node_gradients(ops.Log, [x], g)
    expect(grad, [2.0, 3.0, 2.0], "dL/dx = g / x", [(g * x, "log-times-x")])


@pytest.mark.exercise(TANH)
def test_tanh_gradient_is_even_in_x():
    x, g = np.array([-1.5, -0.5, 0.5, 1.5]), np.ones(4)
    [grad] = node_gradients(ops.Tanh, [x], g)
    expect(grad, 1 - np.tanh(x) ** 2, "tanh'(x) = 1 − tanh²(x)", [(1 - np.tanh(x), "tanh-no-square")])


@pytest.mark.exercise(TANH)
def test_tanh_gradient_vanishes_without_nan_far_out():
    [grad] = node_gradients(ops.Tanh, [np.array([-30.0, 0.0, 30.0])], np.ones(3))
    np.testing.assert_allclose(grad, [0.0, 1.0, 0.0], atol=1e-12)
    assert np.isfinite(grad).all()


@pytest.mark.exercise(MUL)
def test_mul_gradient_of_each_input_is_the_other_input():
    x, y, g = np.array([1.0, 2.0]), np.array([3.0, 5.0]), np.array([1.0, -2.0])
    gx, gy = node_gradients(ops.Mul, [x, y], g)
    expect(gx, g * y, "dL/dx = g · y", [(g * x, "mul-swapped")])
    expect(gy, g * x, "dL/dy = g · x", [(g * y, "mul-swapped")])


@pytest.mark.exercise(MUL)
def test_mul_of_a_tensor_by_itself_and_by_a_constant():
    x = np.array([1.0, -2.0, 3.0])
    gx, gy = node_gradients(ops.Mul, [x, x], np.ones(3))
    np.testing.assert_allclose(gx + gy, [2.0, -4.0, 6.0],
                               err_msg="d(x·x)/dx = 2x: the engine adds the gradients of both inputs")
    c = np.array([4.0, 5.0, 6.0])
    _, gy = node_gradients(ops.Mul, [c, x], np.ones(3), constant=(0,))
    np.testing.assert_allclose(gy, [4.0, 5.0, 6.0], err_msg="c is a constant (inputs[0] is None); x gets g · c")
    gx, _ = node_gradients(ops.Mul, [x, 0.5], np.ones(3), constant=(1,))
    np.testing.assert_allclose(gx, [0.5, 0.5, 0.5], err_msg="a Python number as y: x gets g · 0.5")


@pytest.mark.exercise(SUM)
def test_sum_spreads_the_gradient_over_the_reduced_axis():
    g = np.array([1.0, 2.0, 3.0])
    want = np.array([[1.0, 1.0, 1.0], [2.0, 2.0, 2.0], [3.0, 3.0, 3.0]])
    for shape in ((3, 3), (3, 4)):             # square, where g could spread the wrong way, and not
        try:
            [grad] = node_gradients(ops.Sum, [np.zeros(shape)], g, dict(axis=1))
        except ValueError:                     # NumPy cannot broadcast (3,) to (3, 4)
            pytest.fail(likely("sum-axis-not-restored"))
        expect(grad, np.repeat(want[:, :1], shape[1], axis=1), "each row gets its own g",
               [(np.broadcast_to(g, (3, 3)), "sum-axis-not-restored")] if shape == (3, 3) else [])
    [grad] = node_gradients(ops.Sum, [np.zeros((2, 3))], np.array(5.0))
    np.testing.assert_array_equal(grad, np.full((2, 3), 5.0))


@pytest.mark.exercise(SOFTMAX)
def test_softmax_rows_sum_to_one_so_a_constant_upstream_gives_zero():
    x = np.array([[1000.0, -1000.0, 0.0], [0.1, 0.2, 0.3]])
    g = np.full((2, 3), 7.0)
    [grad] = node_gradients(ops.Softmax, [x], g, dict(axis=-1))
    y = _softmax(x, -1)
    expect(grad, np.zeros((2, 3)), "softmax's outputs sum to 1, so adding a constant to g changes nothing",
           [(y * (1 - y) * g, "softmax-no-sum-term"), (y * g, "softmax-no-sum-term")])


@pytest.mark.exercise(SOFTMAX)
def test_softmax_at_large_logits_is_finite():
    x = np.array([[1000.0, 999.0, -1000.0]])
    g = np.array([[1.0, 0.0, 0.0]])
    [grad] = node_gradients(ops.Softmax, [x], g, dict(axis=-1))
    p = _softmax(x, -1)
    np.testing.assert_allclose(grad, p * (g - p[0, 0]), atol=1e-12)


@pytest.mark.exercise(LOG_SOFTMAX)
def test_log_softmax_with_a_one_hot_upstream_is_onehot_minus_p():
    x = np.array([[1000.0, -1000.0, 0.0], [0.0, 1.0, 2.0]])
    onehot = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    [grad] = node_gradients(ops.LogSoftmax, [x], onehot, dict(axis=-1))
    p = _softmax(x, -1)
    expect(grad, onehot - p, "dL/dx = g − softmax(x) · Σ g", [(onehot - p * onehot, "log-softmax-no-sum")])


@pytest.mark.exercise(LOG_SOFTMAX)
def test_log_softmax_upstream_summed_over_the_axis():
    x = np.array([[0.5, -1.0, 2.0, 0.0]])
    g = np.array([[1.0, 2.0, -0.5, 3.0]])
    [grad] = node_gradients(ops.LogSoftmax, [x], g, dict(axis=-1))
    p = _softmax(x, -1)
    y = np.log(p)                                   # what forward saved: log-probabilities
    expect(grad, g - p * g.sum(), "dL/dx = g − softmax(x) · Σ g",
           [(g - p * g, "log-softmax-no-sum"), (g - y * g.sum(), "log-softmax-y-as-p")])


@pytest.mark.exercise(MATMUL)
def test_matmul_gradients_in_2d():
    rng = np.random.default_rng(3)
    for shapes in (((3, 4), (4, 5)), ((3, 3), (3, 3))):        # the square case hides a wrong shape
        x, y = (rng.standard_normal(s) for s in shapes)
        g = rng.standard_normal((shapes[0][0], shapes[1][1]))
        try:
            gx, gy = node_gradients(ops.MatMul, [x, y], g)
        except ValueError:                                     # shapes that do not align
            pytest.fail(likely("matmul-transpose"))
        for got, want, name in ((gx, g @ y.T, "dL/dx"), (gy, x.T @ g, "dL/dy")):
            if got.shape != want.shape or not np.allclose(got, want, rtol=1e-10, atol=1e-12):
                pytest.fail(likely("matmul-transpose") + f" ({name}, shapes {shapes})")


VECTOR_CASES = [  # shapes of x and y: a row times a matrix, a matrix times a column, a dot product
    ((4,), (4, 5)),
    ((3, 4), (4,)),
    ((4,), (4,)),
]


@pytest.mark.exercise(MATMUL)
def test_matmul_with_a_vector():
    rng = np.random.default_rng(4)
    for x_shape, y_shape in VECTOR_CASES:
        x, y = rng.standard_normal(x_shape), rng.standard_normal(y_shape)
        g = rng.standard_normal(np.shape(x @ y))
        try:
            gx, gy = node_gradients(ops.MatMul, [x, y], g)
        except ValueError:
            pytest.fail(likely("matmul-1d") + f" (shapes {x_shape} and {y_shape})")
        # x @ y is linear in each operand: central differences are exact up to rounding
        numeric = _numeric(Case(MATMUL, ops.MatMul, [x_shape, y_shape]), [x, y], g)
        for got, want in zip((gx, gy), numeric):
            if got.shape != want.shape or not np.allclose(got, want, rtol=1e-6, atol=1e-8):
                pytest.fail(likely("matmul-1d") + f" (shapes {x_shape} and {y_shape})")


@pytest.mark.exercise(MATMUL)
def test_matmul_with_a_constant_operand():
    w = np.eye(3) * 2
    _, gw = node_gradients(ops.MatMul, [np.ones((4, 3)), w], np.ones((4, 3)), constant=(0,))
    np.testing.assert_allclose(gw, np.full((3, 3), 4.0))
    a = np.arange(6.0).reshape(2, 3)                     # and the constant on the right
    ga, _ = node_gradients(ops.MatMul, [a, np.eye(3) * 2], np.ones((2, 3)), constant=(1,))
    np.testing.assert_allclose(ga, np.full((2, 3), 2.0))
