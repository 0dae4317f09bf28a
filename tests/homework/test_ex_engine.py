"""Exercise tests for the engine: Function.apply, unbroadcast, toposort, the backward loop.

Each test grades one exercise and uses only the exercises before it in
``minigrad.homework.EXERCISES``: apply's tests never call backward, and the
backward loop is tested with ops whose derivatives are not exercises
(+, -, /, **, mean, sqrt, ...) and with small Function subclasses defined here.
"""

import warnings

import numpy as np
import pytest

import minigrad as mg
from minigrad import ops
from minigrad.function import Function, locate, unbroadcast
from minigrad.tensor import toposort

apply_ex = pytest.mark.exercise("function.apply")
unbroadcast_ex = pytest.mark.exercise("function.unbroadcast")
toposort_ex = pytest.mark.exercise("tensor.toposort")
backward_ex = pytest.mark.exercise("tensor.backward")


class Seen(Function):
    """Forward returns x + y and records what it was given; backward passes g on."""

    def forward(self, x, y, scale=1.0):
        self.seen = (x, y, scale)
        return (x + y) * scale

    def backward(self, g):
        return g, g


class Twice(Function):
    """y = 2x, with a backward that records the order of the calls."""

    calls = []

    def forward(self, x):
        return 2 * x

    def backward(self, g):
        Twice.calls.append((type(self), self.__dict__, g.copy()))  # as they are during the call
        return 2 * g


def leaf(values, dtype=np.float64):
    return mg.Tensor(np.asarray(values, dtype=dtype), requires_grad=True)


def record(t):
    """(op class, inputs, saved attributes) of the tape record that made ``t``."""
    tape, i = locate(t)
    return tape.ops[i], tape.inputs[i], tape.saved[i]


# ============================================================ function.apply

@apply_ex
def test_apply_returns_a_tensor_with_forward_result():
    out = ops.Add.apply(mg.Tensor([1.0, 2.0]), mg.Tensor([3.0, 4.0]))
    assert type(out) is mg.Tensor
    np.testing.assert_array_equal(out.data, [4.0, 6.0])
    assert out.dtype == np.float32


@apply_ex
def test_apply_passes_arrays_and_keyword_params_to_forward():
    x, y = leaf([1.0, 2.0]), mg.Tensor(np.array([10.0, 20.0]))
    out = Seen.apply(x, y, scale=3.0)
    seen_x, seen_y, scale = record(out)[2]["seen"]
    assert type(seen_x) is np.ndarray and type(seen_y) is np.ndarray
    np.testing.assert_array_equal(seen_x, [1.0, 2.0])
    assert scale == 3.0
    np.testing.assert_array_equal(out.data, [33.0, 66.0])


@apply_ex
def test_apply_records_the_op_with_its_inputs_in_order():
    x, c = leaf([1.0, 2.0]), mg.Tensor([5.0, 6.0])  # c does not require grad
    out = ops.Sub.apply(c, x)
    assert out.requires_grad
    op, inputs, saved = record(out)
    assert op is ops.Sub and type(saved) is dict
    assert type(inputs) is tuple and len(inputs) == 2
    assert inputs[0] is None and inputs[1] is x     # a leaf is named by itself
    assert out._tape.outputs[out._index] is out.data


@apply_ex
def test_apply_names_an_intermediate_input_by_its_record_number():
    x = leaf([1.0, 2.0])
    a = ops.Add.apply(x, 1.0)
    b = ops.Sub.apply(a, x)
    assert b._tape is a._tape                       # one computation, one tape
    assert b._index == a._index + 1
    assert record(b)[1] == (a._index, x) and record(b)[1][1] is x
    assert record(b)[0] is ops.Sub


@apply_ex
def test_apply_merges_the_tapes_of_two_computations_that_meet():
    x, w = leaf([1.0]), leaf([2.0])
    a = ops.Add.apply(x, 1.0)
    b = ops.Sub.apply(w, 3.0)
    b2 = ops.Add.apply(b, b)
    assert a._tape is not b._tape
    c = ops.Add.apply(a, b2)
    tape, i = locate(c)
    assert locate(a)[0] is tape and locate(b)[0] is tape and locate(b2)[0] is tape
    assert [op.__name__ for op in tape.ops] == ["Sub", "Add", "Add", "Add"]  # the longer tape first
    assert tape.inputs[i] == (locate(a)[1], locate(b2)[1])
    assert locate(a)[1] < i and locate(b2)[1] < i   # still in topological order


@apply_ex
def test_apply_builds_no_node_when_nothing_needs_grad():
    out = ops.Add.apply(mg.Tensor([1.0]), mg.Tensor([2.0]))
    assert not out.requires_grad and out._tape is None
    x = leaf([1.0])
    with mg.no_grad():
        out = ops.Add.apply(x, x)
    assert not out.requires_grad and out._tape is None
    np.testing.assert_array_equal(out.data, [2.0])


@apply_ex
def test_apply_takes_python_scalars_without_changing_the_dtype():
    x = mg.Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    out = ops.Add.apply(x, 0.5)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, [1.5, 2.5])
    assert record(out)[1][1] is None
    out = ops.Sub.apply(1, x)
    np.testing.assert_allclose(out.data, [0.0, -1.0])
    assert record(out)[1][0] is None and record(out)[1][1] is x


@apply_ex
def test_apply_takes_lists_and_arrays_as_constants():
    x = leaf([1.0, 2.0], dtype=np.float32)
    out = ops.Add.apply(x, [1, 1])
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.data, [2.0, 3.0])
    out = ops.Add.apply(np.array([1.0, 1.0]), x)
    assert out.requires_grad and record(out)[1][0] is None


@apply_ex
def test_apply_names_both_shapes_when_forward_fails():
    a, b = mg.Tensor(np.zeros((2, 3))), mg.Tensor(np.zeros(4))
    with pytest.raises(ValueError) as info:
        ops.Add.apply(a, b)
    assert "(2, 3)" in str(info.value) and "(4,)" in str(info.value)


# ============================================================ function.unbroadcast

UNBROADCAST = [  # shape of g (after broadcasting), shape of the input before it
    ((4, 2, 3), (2, 1)),
    ((4, 2, 3), (3,)),
    ((4, 2, 3), (1, 2, 3)),
    ((4, 2, 3), (4, 1, 3)),
    ((4, 2, 3), (1, 1, 1)),
    ((4, 2, 3), ()),
    ((5,), (1,)),
    ((3, 1), (3, 1)),
    ((2, 5, 1, 3), (5, 1, 1)),
]


@unbroadcast_ex
@pytest.mark.parametrize("big, small", UNBROADCAST, ids=[f"{b}-to-{s}" for b, s in UNBROADCAST])
def test_unbroadcast_is_the_adjoint_of_broadcasting(big, small):
    # <unbroadcast(g), x> = <g, broadcast(x)> for every x: the definition of the gradient.
    rng = np.random.default_rng(0)
    g, x = rng.standard_normal(big), rng.standard_normal(small)
    out = unbroadcast(g, small)
    assert np.shape(out) == small
    np.testing.assert_allclose(np.sum(out * x), np.sum(g * np.broadcast_to(x, big)), rtol=1e-12)
    for i in np.ndindex(*small):  # each entry sums the copies it was broadcast into
        one = np.zeros(small)
        one[i] = 1
        np.testing.assert_allclose(np.asarray(out)[i], np.sum(g * np.broadcast_to(one, big)))


@unbroadcast_ex
def test_unbroadcast_returns_g_itself_when_nothing_was_broadcast():
    g = np.ones((2, 3))
    assert unbroadcast(g, (2, 3)) is g


@unbroadcast_ex
def test_unbroadcast_keeps_the_dtype():
    g = np.ones((4, 3), dtype=np.float32)
    out = unbroadcast(g, (3,))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [4.0, 4.0, 4.0])


# ============================================================ tensor.toposort

def check_topological(order, root):
    """Each record once, after the records of all its inputs; the root's record last."""
    tape, i = locate(root)
    assert order == sorted(set(order)), "not ascending, or a record appears twice"
    for j in order:
        for k in tape.inputs[j]:
            if type(k) is int:
                assert k in order, f"record {k} (an input of {j}) is missing"
    assert order[-1] == i


def names(root, order):
    tape = locate(root)[0]
    return [tape.ops[j] for j in order]


@toposort_ex
def test_toposort_of_a_chain():
    x = leaf([1.0])
    a = x + 1
    b = a.exp()
    c = b * 3
    order = toposort(c)
    assert names(c, order) == [ops.Add, ops.Exp, ops.Mul]
    check_topological(order, c)


@toposort_ex
def test_toposort_of_a_leaf_is_empty():
    assert toposort(leaf([1.0])) == []


@toposort_ex
def test_toposort_of_a_diamond_lists_shared_records_once():
    x = leaf([1.0, 2.0])
    a = x * 2          # used twice below
    b = a.exp()
    c = a + 1
    d = b + c
    e = d + a
    order = toposort(e)
    assert len(order) == 5
    check_topological(order, e)


@toposort_ex
def test_toposort_lists_an_input_used_twice_by_one_op_once():
    x = leaf([1.0, 2.0])
    a = x * 2
    b = a + a          # both of b's inputs are a's record
    y = b.exp()
    order = toposort(y)
    assert names(y, order) == [ops.Mul, ops.Add, ops.Exp]
    check_topological(order, y)


@toposort_ex
def test_toposort_skips_constants_and_leaves():
    x, c = leaf([1.0]), mg.Tensor([2.0])
    k = c * 3          # computed from a constant: not recorded
    y = (x + k) - c
    order = toposort(y)
    assert names(y, order) == [ops.Add, ops.Sub]


@toposort_ex
def test_toposort_skips_records_of_the_tape_that_root_does_not_need():
    x = leaf([1.0])
    a = x + 1
    unused = a.exp()   # on the same tape, after a
    y = a * 3
    order = toposort(y)
    assert names(y, order) == [ops.Add, ops.Mul]
    assert unused._index not in order
    check_topological(order, y)


@toposort_ex
def test_toposort_of_two_branches_from_several_leaves():
    x, y = leaf([1.0]), leaf([2.0])
    left = (x * y).exp()
    right = (y - x).tanh()
    z = left / right
    order = toposort(z)
    assert len(order) == 5
    check_topological(order, z)
    assert toposort(z) == order  # the same order every time


@toposort_ex
def test_toposort_needs_no_recursion():
    x = leaf([1.0])
    y = x
    for _ in range(10_000):
        y = y + 1.0
    order = toposort(y)
    assert len(order) == 10_000
    assert record_inputs(y, order[0])[0] is x
    assert order[-1] == y._index


def record_inputs(root, j):
    return locate(root)[0].inputs[j]


@toposort_ex
def test_toposort_refuses_a_released_record():
    x = leaf([1.0])
    a = x + 1
    y = a + 2
    a._tape.saved[a._index] = None  # what a backward pass without retain_graph does
    with pytest.raises(RuntimeError, match="retain_graph"):
        toposort(y)


# ============================================================ tensor.backward

@backward_ex
def test_backward_through_a_chain():
    x = leaf([1.0, 2.0, 3.0])
    y = ((x + 1) ** 2).mean()          # y = mean((x + 1)²)
    y.backward()
    np.testing.assert_allclose(x.grad, 2 * (x.data + 1) / 3)


@backward_ex
def test_backward_with_an_upstream_gradient():
    x = leaf([1.0, -2.0])
    y = x ** 3
    y.backward(np.array([2.0, 0.5]))   # dL/dx = g · 3x²
    np.testing.assert_allclose(x.grad, [6.0, 6.0])


@backward_ex
def test_backward_sums_the_gradients_of_a_tensor_used_twice():
    x = leaf([3.0])
    (x + x).backward()
    np.testing.assert_allclose(x.grad, [2.0])
    x2 = leaf([3.0])
    a = x2 ** 2
    (a + a / 2 - a.sqrt()).backward()  # d/dx (1.5x² − |x|) = 3x − 1
    np.testing.assert_allclose(x2.grad, [8.0])


@backward_ex
def test_backward_calls_each_node_once_after_all_its_consumers():
    Twice.calls.clear()
    x = leaf([1.0])
    a = Twice.apply(x)
    b = Twice.apply(a)
    c = Twice.apply(a)
    saved_a = record(a)[2]
    (b + c - a).backward()             # dL/da = 2 + 2 − 1 = 3
    assert all(cls is Twice for cls, _, _ in Twice.calls)  # backward runs on the op rebuilt from its record
    saved = [attributes for _, attributes, _ in Twice.calls]
    assert len(set(map(id, saved))) == 3, "a record's backward ran more than once"
    assert saved[-1] is saved_a  # a's record after both of its consumers ...
    assert Twice.calls[-1][2].tolist() == [3.0]   # ... with their gradients summed
    np.testing.assert_allclose(x.grad, [6.0])


@backward_ex
def test_backward_matches_finite_differences_on_a_graph_with_broadcasting():
    rng = np.random.default_rng(1)
    x0, w0 = rng.uniform(0.5, 2.0, (3, 1)), rng.uniform(0.5, 2.0, (4,))

    def f(x, w):
        h = (x + w) ** 2 / (x - w + 5)
        return (h.sqrt() - h / 3 + x).mean()

    x, w = leaf(x0), leaf(w0)
    f(x, w).backward()
    for t, a0 in ((x, x0), (w, w0)):
        numeric = np.zeros_like(a0)
        for i in np.ndindex(a0.shape):
            up, down = a0.copy(), a0.copy()
            up[i] += 1e-6
            down[i] -= 1e-6
            args_up = [mg.Tensor(up if t is x else x0), mg.Tensor(up if t is w else w0)]
            args_down = [mg.Tensor(down if t is x else x0), mg.Tensor(down if t is w else w0)]
            numeric[i] = (f(*args_up).item() - f(*args_down).item()) / 2e-6
        assert t.grad.shape == a0.shape
        np.testing.assert_allclose(t.grad, numeric, rtol=1e-5, atol=1e-8)


@backward_ex
def test_backward_accumulates_into_leaves_and_keeps_no_intermediate_grad():
    x = leaf([1.0, 2.0])
    a = x ** 2
    a.mean().backward()
    (x - 1).mean().backward()
    np.testing.assert_allclose(x.grad, x.data + 0.5)   # x from the first, 0.5 from the second
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                  # reading an intermediate's .grad warns
        assert a.grad is None


@backward_ex
def test_backward_fills_a_retained_intermediate_grad():
    x = leaf([1.0, 2.0])
    a = x ** 2
    a.retain_grad()
    (a / 4).mean().backward()
    np.testing.assert_allclose(a.grad, [0.125, 0.125])


@backward_ex
def test_backward_releases_the_graph_unless_asked_to_keep_it():
    x = leaf([2.0])
    y = (x ** 2 + 1).mean()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad, [8.0])
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()


@backward_ex
def test_backward_through_a_deep_chain():
    x = leaf([1.0])
    y = x
    for _ in range(10_000):
        y = y + 0.5
    y.backward()
    np.testing.assert_allclose(x.grad, [1.0])
    np.testing.assert_allclose(y.data, [5_001.0])


@backward_ex
def test_backward_does_not_alias_gradients_between_leaves():
    x, y = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (x + y).backward(np.array([1.0, 1.0]))
    x.grad[0] = 100.0                  # writing one leaf's grad must not change the other's
    np.testing.assert_array_equal(y.grad, [1.0, 1.0])
