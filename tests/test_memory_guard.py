"""The memory guard's corners: arrays an op keeps that are not its inputs, views, and release.

Each case was a silently wrong gradient, or an array left read-only for good,
before the fix its test names.
"""

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F


# ---- values an op is given by keyword: labels, a condition, an index -------------------------

def _labels_case(change):
    x = mg.Tensor(np.array([[0.1, 0.2, 0.3], [0.5, -0.5, 0.0]]), requires_grad=True)
    labels = np.array([0, 1])
    loss = F.cross_entropy(x, labels)
    if change:
        labels[:] = [2, 2]
    loss.backward()
    return x.grad


def _where_case(change):
    x = mg.Tensor([1.0, 2.0], requires_grad=True)
    c = mg.Tensor(np.array([True, False]))
    y = mg.where(c, x, 0.0).sum()
    if change:
        c.data[...] = [False, True]
    y.backward()
    return x.grad


def _np_where_case(change):
    x = mg.Tensor([1.0, 2.0], requires_grad=True)
    c = np.array([True, False])
    y = np.where(c, x, 0.0).sum()
    if change:
        c[...] = [False, True]
    y.backward()
    return x.grad


def _index_case(change):
    x = mg.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    idx = np.array([0, 0])
    y = (x[idx] * mg.Tensor([1.0, 3.0])).sum()
    if change:
        idx[:] = [2, 2]
    y.backward()
    return x.grad


def _tuple_index_case(change):
    x = mg.Tensor(np.ones((2, 2)), requires_grad=True)
    rows, cols = np.array([0, 1]), np.array([1, 1])
    y = x[rows, cols].sum()
    if change:
        rows[:] = 0
    y.backward()
    return x.grad


@pytest.mark.parametrize("case", [_labels_case, _where_case, _np_where_case, _index_case, _tuple_index_case])
def test_an_array_an_op_keeps_but_does_not_differentiate_is_its_own_copy(case):
    """Labels, a where-condition and an index are not locked (they get no gradient): the node keeps a
    copy, so a write into the caller's array after the forward leaves the gradient as it was."""
    np.testing.assert_array_equal(case(change=True), case(change=False))


# ---- views that ops made ----------------------------------------------------------------------

VIEWS = {
    "reshape": lambda x: x.reshape(2),
    "T": lambda x: x.T,
    "getitem": lambda x: x[0:1],
    "unsqueeze": lambda x: x.unsqueeze(0),
    "detach reshape": lambda x: x.detach().reshape(2),
    "np.swapaxes": lambda x: np.swapaxes(x.reshape(1, 2), 0, 1),
}


@pytest.mark.parametrize("make", VIEWS.values(), ids=VIEWS.keys())
def test_a_view_an_op_made_before_the_graph_is_locked_with_its_memory(make):
    x = mg.Tensor([1.0, 2.0], requires_grad=True)
    v = make(x)
    assert v.data.base is not None and v.data.flags.writeable
    y = (x * x).sum()
    with pytest.raises(ValueError, match="read-only"):
        v.data[...] = 10.0                     # would change what Mul saved
    y.backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])
    v.data[...] = 3.0                          # released: writable again
    assert x.data[0] == 3.0


@pytest.mark.parametrize("make", VIEWS.values(), ids=VIEWS.keys())
def test_a_view_an_op_made_while_its_memory_was_locked_is_writable_after_release(make):
    x = mg.Tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    v = make(x)
    assert not v.data.flags.writeable          # NumPy: a view of read-only memory is read-only
    y.backward()
    v.data[...] = 7.0
    with mg.no_grad():
        v -= 1.0
    assert x.data[0] == 6.0


def test_a_broadcast_view_stays_read_only_after_release():
    a = mg.Tensor([1.0, 2.0], requires_grad=True)
    before = np.broadcast_to(a, (3, 2))
    y = (a * a).sum()
    during = np.broadcast_to(a, (3, 2))
    y.backward()
    assert a.data.flags.writeable
    assert not before.data.flags.writeable and not during.data.flags.writeable


def test_dropped_views_are_forgotten():
    x = mg.Tensor(np.arange(4.0), requires_grad=True)
    for _ in range(50):
        x.reshape(2, 2)
    assert id(x.data) not in mg.memory_guard._op_views


# ---- release ----------------------------------------------------------------------------------

class _StopGradient(mg.Function):
    def forward(self, a):
        return a.copy()

    def backward(self, g):
        return None


def test_a_node_no_gradient_reaches_is_released_too():
    """A custom op that returns None cuts its input's node off the pass: it must still give back
    what it saved, or the manual step after backward finds the parameter read-only."""
    w = mg.nn.Parameter(np.array([1.0, 2.0]))
    loss = (w * 3).sum() + _StopGradient.apply(w * w).sum()
    loss.backward()
    np.testing.assert_array_equal(w.grad, [3.0, 3.0])
    w.data -= 0.1 * w.grad                     # the student's manual SGD step
    np.testing.assert_allclose(w.data, [0.7, 1.7])
    unreached = loss.grad_fn.inputs[1].grad_fn.inputs[0].grad_fn.inputs[0].grad_fn
    assert type(unreached).__name__ == "Mul" and unreached.released


def test_a_write_that_frees_the_last_node_holding_the_memory_leaves_it_writable():
    w = mg.nn.Parameter(np.array([1.0, 2.0]))
    graph = {"loss": (w * w).sum()}

    class DropsTheGraph:
        def __index__(self):
            graph.clear()                      # the last node that saved w dies during the write
            return 0

    with mg.no_grad():
        w[DropsTheGraph()] = 5.0
    assert not mg.memory_guard.is_protected(w.data)
    assert w.data.flags.writeable
    w.data[1] = 6.0


# ---- other arrays ------------------------------------------------------------------------------

def test_a_memmap_constant_is_locked_like_an_array(tmp_path):
    c = np.memmap(tmp_path / "c.bin", dtype=np.float64, mode="w+", shape=(2,))
    c[:] = 1.0
    x = mg.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    loss = (x * c).sum()
    with pytest.raises(ValueError, match="read-only"):
        c[0] = 5.0
    loss.backward()
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])
    c[0] = 5.0
    del c


def test_gradients_of_gradients_refuse_an_input_whose_data_was_rebound():
    """``x.data = new`` after the forward left Mul with the old array, which then acted as a constant:
    the second derivative came out 0 (PyTorch: 2)."""
    x = mg.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = (x * x).sum()
    x.data = x.data.copy()
    with pytest.raises(RuntimeError, match=r"saved as 'x' is no longer the \.data of its input 0"):
        mg.grad(y, x, create_graph=True)
    y = (x * x).sum()                          # a graph built from x as it is now works
    (g,) = mg.grad(y, x, create_graph=True)
    (h,) = mg.grad(g.sum(), x)
    np.testing.assert_array_equal(h.data, [2.0, 2.0])


@pytest.mark.parametrize("container", ["tuple", "list", "dict"])
def test_a_custom_op_that_saves_its_inputs_in_a_container_is_guarded_too(container):
    """A custom op's ``self.saved = (x, y)`` was not locked: a raw write gave a silently wrong gradient."""
    class Mul(mg.Function):
        def forward(self, x, y):
            self.saved = {"tuple": (x, y), "list": [x, y], "dict": {"x": x, "y": y}}[container]
            return x * y

        def backward(self, g):
            x, y = self.saved.values() if isinstance(self.saved, dict) else self.saved
            return g * y, g * x

    a = mg.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    b = mg.Tensor(np.array([3.0, 4.0]), requires_grad=True)
    z = Mul.apply(a, b).sum()
    with pytest.raises(ValueError, match="read-only"):
        a.data[0] = 100.0
    with mg.no_grad():
        a -= 1.0                                       # minigrad's own write: counted
    key = {"tuple": "0", "list": "0", "dict": "'x'"}[container]
    with pytest.raises(RuntimeError, match=rf"saved as .saved\[{key}\]. was changed in place"):
        z.backward()
    z = Mul.apply(a, b).sum()
    z.backward()                                       # released: writable again
    a.data[0] = 5.0
    np.testing.assert_array_equal(b.grad, [0.0, 1.0])


# ---------------------------------------------------------------- what a custom op saves, seen by the guard

class _SavesAView(mg.Function):
    """x @ w.T that saves a view of w (w.T) and a flattened x: both share the inputs' memory."""

    def forward(self, x, w):
        self.x, self.wT = x.reshape(x.shape), w.T
        return x @ w.T

    def backward(self, g):
        return g @ self.wT.T, g.T @ self.x


def _view_graph():
    w = mg.nn.Parameter(np.array([[1.0, 2.0], [3.0, 4.0]]))
    x = mg.Tensor(np.array([[1.0, 1.0]]), requires_grad=True)
    return w, x, _SavesAView.apply(x, w).sum()


def test_a_view_a_custom_op_saved_is_guarded_like_the_array():
    # before: w.T was "made by the node": an SGD step gave x.grad [[2, 4]] silently; right is [[4, 6]]
    w, x, out = _view_graph()
    w.grad = np.ones((2, 2))
    mg.optim.SGD([w], lr=1.0).step()
    with pytest.raises(RuntimeError, match="saved as 'wT' was changed in place"):
        out.backward()
    w, x, out = _view_graph()
    with pytest.raises(ValueError, match="read-only"):
        w.data[0, 0] = 50.0          # the memory behind the saved view is locked
    with pytest.raises(ValueError, match="read-only"):
        x.data[0, 0] = 50.0
    out.backward()
    np.testing.assert_array_equal(x.grad, [[4.0, 6.0]])
    assert w.data.flags.writeable and x.data.flags.writeable   # given back after backward


def test_an_array_given_by_keyword_is_guarded():
    class Weighted(mg.Function):
        def forward(self, x, weights):
            self.weights = weights
            return x * weights

        def backward(self, g):
            return g * self.weights

    weights = np.array([1.0, 2.0])
    x = mg.Tensor(np.array([3.0, 4.0]), requires_grad=True)
    out = Weighted.apply(x, weights=weights).sum()
    with pytest.raises(ValueError, match="read-only"):
        weights *= 10                 # before: taken, and x.grad came out [10, 20]
    out.backward()
    np.testing.assert_array_equal(x.grad, [1.0, 2.0])
    weights *= 10                     # writable again once the graph is released


def test_a_view_made_while_locked_is_locked_by_the_next_graph_too():
    w = mg.Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    first = (w * w).sum()
    row = w.reshape(3)                # made while the first graph locks w
    first.backward()
    w.grad = None
    second = (w * w).sum()
    with pytest.raises(ValueError, match="read-only"):
        row.data[0] = 100.0           # before: taken, and w.grad came out [200, 4, 6]
    second.backward()
    np.testing.assert_array_equal(w.grad, [2.0, 4.0, 6.0])
    row.data[0] = 100.0               # writable again with its memory
    assert w.data[0] == 100.0


def test_memory_opened_by_hand_makes_backward_raise():
    w = mg.Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    loss = (w * w * 3).sum()
    w.data.setflags(write=True)       # the usual web answer to NumPy's "read-only" error
    w.data[0] = 3.0
    with pytest.raises(RuntimeError, match="made writable again .setflags.write=True.."):
        loss.backward()               # before: a silent [18, 12, 18]; the graph's gradient is [6, 12, 18]
    assert w.grad is None


def test_gradients_of_gradients_refuse_a_saved_view_instead_of_treating_it_as_a_constant():
    w, x, out = _view_graph()
    with pytest.raises(NotImplementedError, match="saved '(x|wT)', computed from its inputs"):
        mg.grad(out, [x, w], create_graph=True)
