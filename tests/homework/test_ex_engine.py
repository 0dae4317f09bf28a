"""Exercise tests for the engine chapter (``minigrad/function.py``): ``unbroadcast``,
``Function.apply``, ``toposort`` and ``backward_pass``.

Each test grades one exercise and uses only that exercise and the ones before it in
``minigrad.homework.EXERCISES``: unbroadcast's tests are NumPy alone, apply's tests never call
backward, toposort's tests build graphs with apply and never call backward, and the backward
loop is tested with ops whose derivatives are not exercises (+, -, /, **, unary -, sqrt), with
mean (whose backward is Sum's, ops.sum_backward, an earlier exercise) and with the small Function
subclasses defined here. A test that sees the symptom of a catalogued mistake
(``minigrad.homework.catalogue``) fails with its hint.
"""

import warnings

import numpy as np
import pytest

import minigrad as mg
from minigrad import memory_guard, ops
from minigrad.function import Function, toposort, unbroadcast
from minigrad.homework.catalogue import message as likely

apply_ex = pytest.mark.exercise("function.apply")
unbroadcast_ex = pytest.mark.exercise("function.unbroadcast")
toposort_ex = pytest.mark.exercise("function.toposort")
backward_ex = pytest.mark.exercise("function.backward_pass")


def leaf(values, dtype=np.float64):
    """A leaf that requires grad (float64 unless told: exact values for the checks)."""
    return mg.Tensor(np.asarray(values, dtype=dtype), requires_grad=True)


class Seen(Function):
    """z = (x + y) · scale; keeps what forward was given, so a test can look."""

    def forward(self, x, y, scale=1.0):
        self.seen = (x, y, scale)
        return (x + y) * scale

    def backward(self, g):
        return g * self.seen[2], g * self.seen[2]


class Types(Function):
    """y = 0 of x's shape; keeps the types forward was given (in the class), so a test can look."""

    seen = ()

    def forward(self, x, y):
        Types.seen = (type(x), type(y))
        return np.zeros(np.shape(x))

    def backward(self, g):
        return g, g


class Logged(Function):
    """y = 2x; each backward call is logged as (node, g), in call order."""

    log = []

    def forward(self, x):
        return 2 * x

    def backward(self, g):
        Logged.log.append((self, np.array(g, copy=True)))
        return 2 * g


class FirstOnly(Function):
    """z = x + y, whose backward sends a gradient to x only (None for y)."""

    def forward(self, x, y):
        return x + y

    def backward(self, g):
        return g, None


class Float64Grad(Function):
    """y = 3x, whose backward returns a float64 gradient whatever x's dtype."""

    def forward(self, x):
        return 3 * x

    def backward(self, g):
        return np.asarray(g, dtype=np.float64) * 3.0


class BroadcastGrad(Function):
    """z = x + y, whose backward hands both inputs g in the result's (broadcast) shape."""

    def forward(self, x, y):
        return x + y

    def backward(self, g):
        return g, g


def links(t, *expected):
    """True when ``t.grad_fn.inputs`` holds exactly the objects ``expected`` (compared with ``is``)."""
    assert t.grad_fn is not None, "an input requires grad: the result must hold its node in .grad_fn"
    inputs = t.grad_fn.inputs
    return len(inputs) == len(expected) and all(a is b for a, b in zip(inputs, expected))


def own_walk(root_node):
    """Every node ``root_node`` depends on (itself included), as a set: the test's own search."""
    seen, stack = set(), [root_node]
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack.extend(x.grad_fn for x in node.inputs if x is not None and x.grad_fn is not None)
    return seen


def numeric_grad(f, arrays, k, eps=1e-6):
    """Central finite differences of the scalar f(*Tensors) in the entries of ``arrays[k]``."""
    out = np.zeros_like(arrays[k])
    for i in np.ndindex(arrays[k].shape):
        up = [a.copy() for a in arrays]
        down = [a.copy() for a in arrays]
        up[k][i] += eps
        down[k][i] -= eps
        out[i] = (f(*map(mg.Tensor, up)).item() - f(*map(mg.Tensor, down)).item()) / (2 * eps)
    return out


# ============================================================ function.apply

@apply_ex
def test_apply_returns_a_tensor_holding_forward_result():
    out = ops.Add.apply(mg.Tensor([1.0, 2.0]), mg.Tensor([3.0, 4.0]))
    assert type(out) is mg.Tensor, f"apply must return a minigrad Tensor, got {type(out).__name__}"
    np.testing.assert_array_equal(out.data, [4.0, 6.0], err_msg="apply must wrap what forward returned")
    assert out.dtype == np.float32, f"float32 inputs must give a float32 result, got {out.dtype}"


@apply_ex
def test_apply_passes_the_arrays_and_keyword_params_to_forward():
    x, y = leaf([1.0, 2.0]), mg.Tensor(np.array([10.0, 20.0]))
    out = Seen.apply(x, y, scale=3.0)
    assert out.grad_fn is not None, "x requires grad, so the result must hold its node in .grad_fn"
    seen_x, seen_y, scale = out.grad_fn.seen
    assert seen_x is x.data and seen_y is y.data, \
        "forward must receive each Tensor's own .data array (not the Tensor, not a copy)"
    assert scale == 3.0, f"keyword params go to forward unchanged: expected scale=3.0, got {scale!r}"
    np.testing.assert_array_equal(out.data, [33.0, 66.0])


@apply_ex
def test_apply_gives_forward_arrays_not_tensors():
    Types.seen = ()
    Types.apply(leaf([1.0, 2.0]), mg.Tensor([3.0, 4.0]))
    if mg.Tensor in Types.seen:
        pytest.fail(likely("apply-passes-tensors"))
    assert Types.seen == (np.ndarray, np.ndarray), f"forward must receive ndarrays, got {Types.seen}"


@apply_ex
def test_apply_records_the_node_and_its_inputs_in_order():
    x, c = leaf([1.0, 2.0]), mg.Tensor([5.0, 6.0])  # c does not require grad: a constant
    out = ops.Sub.apply(c, x)
    assert out.requires_grad, "an input requires grad, so the result must require grad"
    node = out.grad_fn
    assert type(node) is ops.Sub, f"out.grad_fn must be the op's node (a Sub), got {node!r}"
    assert type(node.inputs) is tuple and len(node.inputs) == 2, \
        f"node.inputs must be a tuple with one entry per input, got {node.inputs!r}"
    assert node.inputs[0] is None, "an input that does not require grad is recorded as None"
    assert node.inputs[1] is x, "an input that requires grad is recorded as the Tensor itself"
    again = ops.Sub.apply(c, x)
    assert again.grad_fn is not node, "each apply makes a new node (cls())"


@apply_ex
def test_apply_links_an_intermediate_result_as_an_input():
    x = leaf([1.0, 2.0])
    a = ops.Add.apply(x, 1.0)
    b = ops.Sub.apply(a, x)
    assert b.grad_fn.inputs[0] is a and b.grad_fn.inputs[1] is x, \
        "node.inputs holds the input Tensors (here a, then x), in the order given to apply"
    assert a.grad_fn is not b.grad_fn and type(a.grad_fn) is ops.Add
    assert links(a, x, None), "Add's second input, the number 1.0, is a constant: None"


@apply_ex
def test_apply_builds_no_node_when_nothing_needs_grad():
    out = ops.Add.apply(mg.Tensor([1.0]), mg.Tensor([2.0]))
    assert out.grad_fn is None and not out.requires_grad, \
        likely("apply-records-always") + " (here: no input requires grad)"
    x = leaf([1.0])
    with mg.no_grad():
        out = ops.Add.apply(x, x)
    assert out.grad_fn is None and not out.requires_grad, \
        likely("apply-records-always") + " (here: under no_grad, GradMode.enabled is False)"
    np.testing.assert_array_equal(out.data, [2.0], err_msg="under no_grad forward still runs")


@apply_ex
def test_apply_keeps_the_dtype_with_python_and_numpy_scalars():
    x = leaf([1.0, 2.0], dtype=np.float32)
    for c in (0.5, np.float64(0.5), np.float32(0.5)):
        out = ops.Add.apply(x, c)
        assert out.dtype == np.float32, \
            (f"float32 + {type(c).__name__} must stay float32, got {out.dtype}: pass Python numbers "
             f"as they are and other constants through as_operand")
        np.testing.assert_allclose(out.data, [1.5, 2.5])
        assert links(out, x, None), "a number is a constant: recorded as None"
    out = ops.Sub.apply(1, x)
    np.testing.assert_allclose(out.data, [0.0, -1.0])
    assert out.dtype == np.float32 and links(out, None, x)


@apply_ex
def test_apply_takes_lists_and_arrays_as_constants():
    x = leaf([1.0, 2.0], dtype=np.float32)
    out = ops.Add.apply(x, [1, 1])
    assert out.dtype == np.float32, f"a list becomes a float32 array (as_operand), got {out.dtype}"
    np.testing.assert_array_equal(out.data, [2.0, 3.0])
    out = ops.Add.apply(np.array([1.0, 1.0], dtype=np.float32), x)
    assert out.requires_grad and links(out, None, x), \
        "a NumPy array is a constant: recorded as None"


@apply_ex
def test_apply_locks_what_forward_saved():
    x = leaf([1.0, 2.0])
    out = ops.Mul.apply(x, 2.0)       # Mul's forward saves x's array as self.x
    assert memory_guard.is_protected(x.data), \
        "apply must lock the arrays forward saved: memory_guard.protect(node, arrays, result array)"
    with pytest.raises(ValueError, match="read-only"):
        x.data[0] = 5.0
    np.testing.assert_array_equal(out.data, [2.0, 4.0])
    z = leaf([1.0, 2.0])
    with mg.no_grad():
        ops.Mul.apply(z, 2.0)
    assert not memory_guard.is_protected(z.data), "nothing was recorded, so nothing may be locked"


@apply_ex
def test_apply_names_the_op_and_both_shapes_when_forward_fails():
    a, b = mg.Tensor(np.zeros((2, 3))), mg.Tensor(np.zeros(4))
    with pytest.raises(ValueError) as info:
        ops.Add.apply(a, b)
    message = str(info.value)
    assert "Add" in message and "(2, 3)" in message and "(4,)" in message, \
        f"a ValueError from forward must be raised again naming the op and the input shapes, got {message!r}"


@apply_ex
def test_apply_checks_the_result_under_detect_anomaly():
    x = leaf([1.0, 0.0])
    with mg.detect_anomaly(), np.errstate(divide="ignore"):
        with pytest.raises(FloatingPointError) as info:
            ops.Div.apply(1.0, x)  # 1/0 = inf
    assert "Div" in str(info.value), f"the error must name the op, got {info.value}"
    with np.errstate(divide="ignore"):
        out = ops.Div.apply(1.0, x)  # outside detect_anomaly: no check
    assert np.isinf(out.data[1])


# ============================================================ function.unbroadcast

UNBROADCAST = [  # what was broadcast, shape of g (after broadcasting), shape of the input before it
    ("leading axes", (4, 2, 3), (2, 3)),
    ("leading axes to 1-d", (4, 2, 3), (3,)),
    ("leading axes to a scalar", (4, 2, 3), ()),
    ("a size-1 axis", (4, 2, 3), (4, 1, 3)),
    ("size-1 axes", (4, 2, 3), (1, 1, 1)),
    ("a leading size-1 axis", (4, 2, 3), (1, 2, 3)),
    ("size 1 to 5", (5,), (1,)),
    ("both", (4, 2, 3), (2, 1)),
    ("both twice", (2, 5, 1, 3), (5, 1, 1)),
]


@unbroadcast_ex
@pytest.mark.parametrize("big, small", [c[1:] for c in UNBROADCAST],
                         ids=[f"{c[0].replace(' ', '_')}:{c[1]}->{c[2]}".replace(" ", "") for c in UNBROADCAST])
def test_unbroadcast_sums_the_copies_back(big, small):
    # <unbroadcast(g), x> = <g, broadcast(x)> for every x: the definition of the gradient.
    rng = np.random.default_rng(0)
    g, x = rng.standard_normal(big), rng.standard_normal(small)
    out = unbroadcast(g, small)
    assert np.shape(out) == small, f"unbroadcast(g of shape {big}, {small}) has shape {np.shape(out)}"
    expected = np.zeros(small)
    for i in np.ndindex(*small):  # each entry sums the copies it was broadcast into
        one = np.zeros(small)
        one[i] = 1
        expected[i] = np.sum(g * np.broadcast_to(one, big))
    np.testing.assert_allclose(out, expected, rtol=1e-12,
                               err_msg="each entry must be the sum of g over the copies broadcast made of it")
    np.testing.assert_allclose(np.sum(out * x), np.sum(g * np.broadcast_to(x, big)), rtol=1e-12)


@unbroadcast_ex
@pytest.mark.parametrize("big, small", [((4, 2, 3), (4, 1, 3)), ((4, 2, 3), (2, 1)), ((2, 5, 1, 3), (5, 1, 1))],
                         ids=["a size-1 axis", "both", "both twice"])
def test_unbroadcast_sums_stretched_size_1_axes_and_keeps_them(big, small):
    g = np.random.default_rng(1).standard_normal(big)
    out = np.asarray(unbroadcast(g, small))
    want = g.sum(axis=tuple(range(len(big) - len(small))))          # the leading axes first
    want = want.sum(axis=tuple(i for i, n in enumerate(small) if n == 1), keepdims=True)
    if out.shape == small and np.allclose(out, want, rtol=1e-12):
        return
    if out.shape == big[len(big) - len(small):]:
        pytest.fail(likely("unbroadcast-size1-axes"))
    if out.size == want.size and np.allclose(out.ravel(), want.ravel(), rtol=1e-12):
        pytest.fail(likely("unbroadcast-drops-axis") + f" (got shape {out.shape} for {small})")
    pytest.fail(f"unbroadcast(g of shape {big}, {small}) gave shape {out.shape}, not the sum over the copies")


@unbroadcast_ex
@pytest.mark.parametrize("shape", [(2, 3), (3, 1), (1,), ()])
def test_unbroadcast_returns_g_itself_when_nothing_was_broadcast(shape):
    g = np.ones(shape)
    assert unbroadcast(g, shape) is g, "g already has the shape: return it as it is (no copy, no sum)"


@unbroadcast_ex
def test_unbroadcast_keeps_the_dtype():
    g = np.ones((4, 3), dtype=np.float32)
    out = unbroadcast(g, (3,))
    assert out.dtype == np.float32, f"summing must keep g's dtype (float32), got {out.dtype}"
    np.testing.assert_array_equal(out, [4.0, 4.0, 4.0])


# ============================================================ function.toposort

def check_topological(order, root, mistake="toposort-preorder"):
    """``order`` = toposort(root.grad_fn): each node root needs once, after its inputs' nodes.

    A node placed before the node of one of its inputs fails with the hint of ``mistake``
    (None: without a hint, where the graph cannot tell which mistake it was)."""
    assert type(order) is list, f"toposort returns a list of nodes, got {type(order).__name__}"
    assert all(isinstance(node, Function) for node in order), \
        "toposort lists nodes (Function instances, the grad_fn of tensors), never Tensors or leaves"
    assert len({id(node) for node in order}) == len(order), "a node appears more than once"
    assert set(order) == own_walk(root.grad_fn), \
        "toposort must list every node the root depends on, and no other"
    place = {node: i for i, node in enumerate(order)}
    for node in order:
        for x in node.inputs:
            if x is not None and x.grad_fn is not None:
                assert place[x.grad_fn] < place[node], \
                    (likely(mistake) + " " if mistake else "a node came before a node that makes one of "
                     "its inputs ") + f"({x.grad_fn!r} made an input of {node!r})"
    assert order[-1] is root.grad_fn, "the root's node comes last"


@toposort_ex
def test_toposort_of_a_chain():
    x = leaf([1.0])
    c = ((x + 1).exp()) * 3
    order = toposort(c.grad_fn)
    check_topological(order, c)
    assert [type(node) for node in order] == [ops.Add, ops.Exp, ops.Mul], \
        f"expected the nodes Add, Exp, Mul in that order, got {order}"


@toposort_ex
def test_toposort_of_a_node_whose_inputs_are_leaves_is_that_node():
    x, w = leaf([1.0]), leaf([2.0])
    y = x * w
    assert toposort(y.grad_fn) == [y.grad_fn], "no input was made by a node: the order is [root]"


@toposort_ex
def test_toposort_lists_a_node_of_a_diamond_once():
    x = leaf([1.0, 2.0])
    a = x * 2          # used by three nodes below
    b = a.exp()
    c = a + 1
    d = b + c
    e = d + a
    order = toposort(e.grad_fn)
    check_topological(order, e)
    assert len(order) == 5, f"5 nodes (a, b, c, d, e), each once: got {len(order)}"


@toposort_ex
def test_toposort_waits_for_a_shared_node_whichever_input_it_is():
    x = leaf([1.0])
    a = x * 2          # used by b, c and d
    b = a.exp()        # used by c and d
    c = a + b          # a is the first input here ...
    d = b - a          # ... and the second here
    r = d + c
    order = toposort(r.grad_fn)
    names = {t.grad_fn: name for t, name in ((a, "a"), (b, "b"), (c, "c"), (d, "d"), (r, "r"))}
    got = [names.get(node, "?") for node in order]
    # Marking a node visited when it is pushed, not when it is popped, places b before a here,
    # whichever way round the inputs are pushed: b's walk finds a "visited" but not yet placed.
    if got in (["b", "a", "c", "d", "r"], ["b", "a", "d", "c", "r"]):
        pytest.fail(likely("toposort-seen-on-push") + f" (the order was {', '.join(got)})")
    check_topological(order, r)


def random_graph(rng, size):
    """The root of a random graph of ``size`` ops on two leaves, each op using earlier results."""
    made = [leaf([0.5]), leaf([1.5])]
    for _ in range(size):
        kind = rng.integers(3)
        i, j = rng.integers(len(made), size=2)
        if kind == 0:
            made.append(made[i] + made[j])
        elif kind == 1:
            made.append(made[i] - made[j])
        else:
            made.append(made[i].tanh())
    return made[-1] + made[-2] + made[-3]


@toposort_ex
def test_toposort_of_random_graphs_puts_every_node_after_its_inputs_nodes():
    rng = np.random.default_rng(7)
    for _ in range(20):
        root = random_graph(rng, 30)
        check_topological(toposort(root.grad_fn), root, mistake=None)


@toposort_ex
def test_toposort_lists_an_input_used_twice_by_one_node_once():
    x = leaf([1.0, 2.0])
    a = x * 2
    y = (a + a).exp()  # both inputs of the Add are a
    order = toposort(y.grad_fn)
    check_topological(order, y)
    assert [type(node) for node in order] == [ops.Mul, ops.Add, ops.Exp], \
        f"expected the nodes Mul, Add, Exp (a's node once), got {order}"


@toposort_ex
def test_toposort_leaves_out_constants_leaves_and_unused_branches():
    x, c = leaf([1.0]), mg.Tensor([2.0])
    k = c * 3          # made from a constant only: no node
    a = x + k
    unused = a.exp()   # uses a, but y does not need it
    y = a - c
    order = toposort(y.grad_fn)
    check_topological(order, y)
    assert [type(node) for node in order] == [ops.Add, ops.Sub], \
        f"expected the nodes Add, Sub (k = c * 3 has no node, x and c are no nodes), got {order}"
    assert unused.grad_fn not in order, "a node that only uses the graph is not needed by the root"


@toposort_ex
def test_toposort_of_two_branches_from_two_leaves_is_the_same_every_time():
    x, y = leaf([1.0]), leaf([2.0])
    z = (x * y).exp() / (y - x).tanh()
    order = toposort(z.grad_fn)
    check_topological(order, z)
    assert len(order) == 5, f"5 nodes (Mul, Exp, Sub, Tanh, Div), got {len(order)}"
    assert toposort(z.grad_fn) == order, "the same graph must give the same order"


@toposort_ex
def test_toposort_walks_a_100_000_op_chain_without_recursion():
    x = leaf([1.0])
    y = x
    for _ in range(100_000):
        y = ops.Add.apply(y, 1.0)
    try:
        order = toposort(y.grad_fn)
    except RecursionError:
        pytest.fail(likely("toposort-recursion"))
    assert type(order) is list and len(order) == 100_000, "each of the 100,000 nodes once"
    assert order[0].inputs[0] is x and order[-1] is y.grad_fn, \
        "the first node is the one whose input is the leaf x, the last the root's"
    assert all(order[i].inputs[0].grad_fn is order[i - 1] for i in range(1, len(order), 997))


@toposort_ex
def test_toposort_changes_nothing_in_the_graph():
    x = leaf([1.0])
    a = x * 2
    y = a + a
    before = [[id(x) for x in node.inputs] for node in (y.grad_fn, a.grad_fn)], set(vars(a.grad_fn))
    toposort(y.grad_fn)
    assert [[id(x) for x in node.inputs] for node in (y.grad_fn, a.grad_fn)] == before[0], \
        "toposort must not change node.inputs"
    assert set(vars(a.grad_fn)) == before[1] and not a.grad_fn.released, \
        ("toposort only reads the graph: keep what was visited in a set of your own, "
         "not as attributes of the nodes (a node's attributes are what forward saved)")


# ============================================================ function.backward_pass

CLOSED_FORMS = [  # id, f(x) (a scalar), x, dL/dx written by hand
    ("mean((x+1)^2)", lambda x: ((x + 1) ** 2).mean(), [1.0, 2.0, 3.0], lambda x: 2 * (x + 1) / 3),
    ("mean(1/(x+2))", lambda x: (1 / (x + 2)).mean(), [0.5, -1.0], lambda x: -1 / (x + 2) ** 2 / 2),
    ("-sqrt(x)/2", lambda x: (-(x.sqrt()) / 2).mean(), [4.0], lambda x: -1 / (4 * np.sqrt(x))),
    ("(x-3)^3", lambda x: ((x - 3) ** 3).mean(), [1.0], lambda x: 3 * (x - 3) ** 2),
]


@backward_ex
@pytest.mark.parametrize("f, x0, expected", [c[1:] for c in CLOSED_FORMS], ids=[c[0] for c in CLOSED_FORMS])
def test_backward_gives_the_closed_form(f, x0, expected):
    x = leaf(x0)
    f(x).backward()
    assert x.grad is not None, "backward must fill .grad of the leaf x"
    np.testing.assert_allclose(x.grad, expected(np.array(x0)), rtol=1e-12,
                               err_msg="the chain rule through every node, from the root down to x")


@backward_ex
def test_backward_starts_from_the_upstream_gradient():
    x = leaf([1.0, -2.0])
    (x ** 3).backward(np.array([2.0, 0.5]))   # dL/dx = g · 3x²
    np.testing.assert_allclose(x.grad, [6.0, 6.0],
                               err_msg="the root's node must get grad (dL/droot) as its g")


@backward_ex
def test_backward_matches_finite_differences_on_a_graph_with_broadcasting():
    rng = np.random.default_rng(1)
    x0, w0 = rng.uniform(0.5, 2.0, (3, 1)), rng.uniform(0.5, 2.0, (4,))

    def f(x, w):
        h = (x + w) ** 2 / (x - w + 5)
        return (h.sqrt() - h / 3 + x).mean()

    x, w = leaf(x0), leaf(w0)
    f(x, w).backward()
    for k, (t, name) in enumerate(((x, "x"), (w, "w"))):
        assert t.grad is not None and t.grad.shape == t.shape, \
            f"{name}.grad must have {name}'s shape {t.shape} (un-broadcast), got {np.shape(t.grad)}"
        np.testing.assert_allclose(t.grad, numeric_grad(f, [x0, w0], k), rtol=1e-5, atol=1e-8,
                                   err_msg=f"{name}.grad against finite differences")


@backward_ex
def test_backward_adds_the_contributions_of_a_tensor_used_twice():
    x = leaf([3.0])
    (x + x).backward()
    np.testing.assert_allclose(x.grad, [2.0],
                               err_msg="x is both inputs of one Add: are contributions added?")
    x2 = leaf([3.0])
    a = x2 ** 2
    (a + a / 2 - a.sqrt()).backward()  # d/dx (1.5x² − |x|) = 3x − 1
    assert np.allclose(x2.grad, [8.0]), \
        likely("backward-overwrites") + f" (a is used by three nodes: x.grad is {x2.grad}, not [8.])"


@backward_ex
def test_backward_adds_out_of_place_what_add_sent_to_both_inputs():
    x0 = leaf([3.0])
    a0 = x0 ** 2
    (a0 + a0 / 2 - a0.sqrt()).backward()  # first: are contributions added at all?
    assert np.allclose(x0.grad, [8.0]), likely("backward-overwrites") + f" (x.grad is {x0.grad}, not [8.])"
    x = leaf([1.0, 2.0])
    a, b = x + 1, x + 2
    z = a + b            # Add's backward returns one array for both a and b
    w = (z + a) / 2      # a's sum then receives a second contribution
    (w * w).mean().backward()
    want = (3 * x.data + 4) / 2 * 1.5   # w = (3x + 4)/2, L = mean(w²): dL/dx = w · 3/2
    assert np.allclose(x.grad, want), likely("backward-adds-in-place") + f" (x.grad is {x.grad}, not {want})"


@backward_ex
def test_backward_runs_each_node_once_after_all_its_users_with_their_sum():
    Logged.log.clear()
    x = leaf([1.0])
    a = Logged.apply(x)
    b = Logged.apply(a)
    c = Logged.apply(a)
    (b + c - a).backward()             # dL/da = 2 + 2 − 1 = 3
    nodes = [node for node, _ in Logged.log]
    assert len(set(nodes)) >= 3, likely("backward-wrong-order") + f" ({len(set(nodes))} of 3 nodes ran)"
    assert len(nodes) == 3, f"each node's backward runs exactly once: got {len(nodes)} calls for 3 nodes"
    assert nodes[-1] is a.grad_fn, "a's node runs after both nodes that use a (b's and c's)"
    np.testing.assert_allclose(Logged.log[-1][1], [3.0],
                               err_msg="a's node gets the sum of what its users sent it (2 + 2 − 1)")
    np.testing.assert_allclose(x.grad, [6.0])


@backward_ex
def test_backward_accumulates_into_leaves_across_calls():
    x = leaf([1.0, 2.0])
    a = x ** 2
    a.mean().backward()
    np.testing.assert_allclose(x.grad, x.data, err_msg="d/dx mean(x²) = 2x / 2 = x")
    (x - 1).mean().backward()
    np.testing.assert_allclose(x.grad, x.data + 0.5,
                               err_msg="a second backward adds to .grad (x from the first, 0.5 from the second)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # reading an intermediate's .grad warns
        assert a.grad is None, "an intermediate result keeps no .grad unless it called retain_grad()"


@backward_ex
def test_backward_fills_retained_intermediates():
    x = leaf([1.0, 2.0])
    a = x ** 2
    a.retain_grad()
    y = a / 4 + a
    y.retain_grad()
    y.backward(np.array([1.0, 2.0]))
    np.testing.assert_allclose(y.grad, [1.0, 2.0], err_msg="the root retains grad: it gets grad itself")
    np.testing.assert_allclose(a.grad, [1.25, 2.5],
                               err_msg="a retained intermediate gets dL/da, summed over its two users")
    np.testing.assert_allclose(x.grad, [2.5, 10.0], err_msg="dL/dx = dL/da · 2x")


@backward_ex
def test_backward_undoes_broadcasting():
    x, w = leaf(np.ones((3, 1))), leaf(np.ones(4))
    try:
        BroadcastGrad.apply(x, w).backward(np.ones((3, 4)))  # its backward returns (3, 4) arrays
    except ValueError as e:  # a leaf's .grad refuses another shape than the leaf's
        if ".grad must have the tensor's shape" in str(e):
            pytest.fail(likely("backward-no-unbroadcast") + f" ({e})")
        raise
    assert np.shape(x.grad) == (3, 1) and np.shape(w.grad) == (4,), \
        likely("backward-no-unbroadcast") + f" (x.grad {np.shape(x.grad)}, w.grad {np.shape(w.grad)})"
    np.testing.assert_allclose(x.grad, np.full((3, 1), 4.0))
    np.testing.assert_allclose(w.grad, np.full(4, 3.0))


@backward_ex
def test_backward_hands_the_un_broadcast_gradient_on_to_the_next_node():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    h = x.mean(axis=1, keepdims=True)        # (2, 1), made by a node: its gradient goes on to Mean
    w = leaf([10.0, 20.0])                   # (2,)
    z = BroadcastGrad.apply(h, w)            # (2, 2); its backward hands g in that shape to both
    g = np.array([[1.0, 2.0], [3.0, 4.0]])
    try:
        z.backward(g)
    except ValueError as e:  # a leaf's .grad refuses another shape than the leaf's
        if ".grad must have the tensor's shape" in str(e):
            pytest.fail(likely("backward-no-unbroadcast") + f" ({e})")
        raise
    # dL/dh = g summed over the broadcast axis = [[3], [7]]; Mean spreads it: dL/dx = dL/dh / 2
    want = [[1.5, 1.5], [3.5, 3.5]]
    if np.shape(x.grad) == (2, 2) and np.allclose(x.grad, g / 2):
        pytest.fail(likely("backward-unbroadcast-kept-only") + f" (x.grad is {x.grad.tolist()}, not {want})")
    np.testing.assert_allclose(x.grad, want, err_msg="dL/dx = (g summed over the copies of h) / 2")
    np.testing.assert_allclose(w.grad, [4.0, 6.0], err_msg="dL/dw = g summed over its copies (the rows)")


@backward_ex
def test_backward_skips_a_constant_input():
    x = leaf([1.0, 2.0])
    y = (x + 0.5) / 2.0 - 1.0          # Add, Div and Sub each have a constant input: None in node.inputs
    try:
        y.mean().backward()
    except AttributeError as e:
        if "'NoneType'" in str(e):
            pytest.fail(likely("backward-constant-input") + f" ({e})")
        raise
    np.testing.assert_allclose(x.grad, [0.25, 0.25], err_msg="dL/dx = 1/2 · 1/2")


@backward_ex
def test_backward_releases_a_node_that_no_gradient_reached():
    x, w = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    branch = w / 2                           # a node whose users send it no gradient
    FirstOnly.apply(x, branch).mean().backward(retain_graph=True)
    assert not branch.grad_fn.released, "retain_graph=True releases nothing, not even a skipped node"
    x2, w2 = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    branch2 = w2 / 2
    FirstOnly.apply(x2, branch2).mean().backward()
    assert branch2.grad_fn.released, \
        ("Div received no gradient, so its backward was skipped, but it must still be released "
         "(node.release()): after the pass no node holds what it saved")
    assert not vars(branch2.grad_fn), "a released node holds nothing of what forward saved"


@backward_ex
def test_backward_releases_each_node_and_a_second_pass_raises():
    x = leaf([2.0])
    y = (x ** 2 + 1).mean()
    nodes = toposort(y.grad_fn)       # Pow, Add, Mean
    y.backward()
    assert all(node.released for node in nodes), "without retain_graph every node is released (node.release())"
    assert not vars(nodes[0]), "a released node holds nothing of what forward saved"
    assert nodes[0].inputs[0] is x and y.grad_fn is nodes[-1], "the links between nodes stay"
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()  # the message comes from _check_saved(node)
    np.testing.assert_allclose(x.grad, [4.0], err_msg="the refused second pass must change no .grad")


@backward_ex
def test_backward_with_retain_graph_allows_a_second_pass():
    x = leaf([2.0])
    y = (x ** 2 + 1).mean()
    y.backward(retain_graph=True)
    assert not any(node.released for node in toposort(y.grad_fn)), "retain_graph=True releases nothing"
    y.backward()
    np.testing.assert_allclose(x.grad, [8.0], err_msg="two passes: 4 + 4")
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()


@backward_ex
def test_backward_refuses_a_graph_whose_saved_array_changed_in_place():
    x, w = leaf([2.0]), leaf([1.0])
    y = (x ** 2 + w).mean()       # Pow saved x
    with mg.no_grad():
        x -= 1.0                  # minigrad's own in-place write: bumps x's version
    with pytest.raises(RuntimeError, match="changed in place"):
        y.backward()  # the message comes from _check_saved(node)
    assert w.grad is None and x.grad is None, \
        "check every node before any gradient moves: a refused pass changes no .grad"


@backward_ex
def test_backward_of_a_leaf_fills_its_own_grad():
    x = leaf([1.0, 2.0])
    x.backward(np.array([3.0, 4.0]))
    np.testing.assert_allclose(x.grad, [3.0, 4.0], err_msg="a leaf root: dL/dx = grad, no node to run")
    x.backward(np.array([1.0, 1.0]))
    np.testing.assert_allclose(x.grad, [4.0, 5.0], err_msg="and it accumulates like any leaf")


@backward_ex
def test_backward_skips_an_input_whose_gradient_is_none():
    Logged.log.clear()
    x, w = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    branch = Logged.apply(w)
    FirstOnly.apply(x, branch).mean().backward()
    np.testing.assert_allclose(x.grad, [0.5, 0.5], err_msg="dL/dx = 1/2 from the mean")
    assert w.grad is None, "FirstOnly.backward returned None for its second input: w gets no gradient"
    assert Logged.log == [], "a node whose users sent it no gradient is not run"


@backward_ex
def test_backward_through_a_100_000_op_chain():
    x = leaf([1.0])
    y = x
    for _ in range(100_000):
        y = ops.Add.apply(y, 0.5)
    try:
        y.backward()
    except RecursionError:
        pytest.fail("backward recursed once per node: loop over toposort's order instead")
    np.testing.assert_allclose(x.grad, [1.0], err_msg="each Add passes g on unchanged: dL/dx = 1")


@backward_ex
def test_backward_stores_a_fresh_gradient_of_the_leaf_dtype():
    x, y = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    g = np.array([1.0, 1.0])
    (x + y).backward(g)               # Add hands the same array to both inputs
    x.grad[0] = 100.0
    np.testing.assert_array_equal(y.grad, [1.0, 1.0],
                                  err_msg="x.grad and y.grad share memory: accumulate(t, g) copies the first g")
    h = leaf([1.0, 2.0], dtype=np.float32)
    Float64Grad.apply(h).backward(np.array([1.0, 1.0], dtype=np.float32))
    assert h.grad.dtype == np.float32, \
        f"a float32 leaf keeps a float32 .grad (accumulate converts), got {h.grad.dtype}"
    np.testing.assert_array_equal(h.grad, [3.0, 3.0])


@backward_ex
def test_backward_pass_hands_every_gradient_to_keep_and_calls_run():
    """``keep(x, gx)`` gets the root's and every input's gradient; ``run(node, g)`` replaces node.backward(g)."""
    from minigrad.function import backward_pass
    x = leaf([1.0, 2.0])
    h = x / 0.5                       # Div and Add, not exercises, and Mean (Sum's backward)
    y = (h + x).mean()
    kept, ran = [], []

    def keep(t, g):
        kept.append((t, np.array(g)))

    def run(node, g):
        ran.append(type(node).__name__)
        return node.backward(g)

    backward_pass(y, np.array(1.0), keep=keep, run=run)
    assert x.grad is None, "with keep given, backward_pass leaves .grad to keep: it must not accumulate itself"
    assert kept[0][0] is y, "the root's gradient goes to keep first"
    assert ran == ["Mean", "Add", "Div"], "every node's backward is called through run(node, g), from the root down"
    for_x = sum(g for t, g in kept if t is x)
    np.testing.assert_allclose(for_x, [1.5, 1.5], err_msg="x gets ½ through Add and 2·½ through Div, both through keep")
    assert any(t is h for t, _ in kept), "keep is called for intermediate inputs too (h), not only leaves"
