"""check_graph: every node of a graph checked against finite differences of its own forward."""

import gc
import threading
import warnings

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import nn, viz
from minigrad.check_graph import GraphCheckError, _calls
from minigrad.function import Function


class Swish(Function):
    """y = x·σ(x);  dL/dx = g·(σ + x·σ·(1 − σ))."""

    def forward(self, x):
        self.x, self.s = x, 1 / (1 + np.exp(-x))
        return x * self.s

    def backward(self, g):
        return g * (self.s + self.x * self.s * (1 - self.s))


class WrongSwish(Swish):
    """The product rule forgotten: only σ′ = σ·(1 − σ)."""

    def backward(self, g):
        return g * self.s * (1 - self.s)


class HalfMul(Function):
    """z = x·y with a wrong gradient for y only (half of it)."""

    def forward(self, x, y):
        self.x, self.y = x, y
        return x * y

    def backward(self, g):
        return g * self.y, 0.5 * g * self.x


class MLP(nn.Module):
    def __init__(self, act=Swish, dtype=np.float64):
        self.fc1 = nn.Linear(6, 5, rng=0, dtype=dtype)
        self.fc2 = nn.Linear(5, 4, rng=1, dtype=dtype)
        self.fc3 = nn.Linear(4, 3, rng=2, dtype=dtype)
        self.act = act

    def forward(self, x):
        return self.fc3(self.act.apply(self.fc2(self.fc1(x).tanh())))


def _data(dtype=np.float64):
    rng = np.random.default_rng(0)
    return mg.Tensor(rng.standard_normal((8, 6)).astype(dtype)), mg.Tensor(rng.integers(0, 3, 8))


def _loss(model, dtype=np.float64):
    X, y = _data(dtype)
    return F.cross_entropy(model(X), y)


# ---------------------------------------------------------------- finding the wrong node

def test_a_wrong_backward_in_the_middle_of_an_mlp_is_found_and_named():
    model = MLP(WrongSwish)
    with mg.record_calls():
        loss = _loss(model)
    with pytest.raises(mg.GradcheckError) as info:
        mg.check_graph(loss)
    err = info.value
    assert isinstance(err, GraphCheckError)
    assert type(err.node) is WrongSwish and err.op == "WrongSwish"
    # backward visits CrossEntropy (1), fc3's Linear (2), then the activation (3)
    assert err.position == 3 and err.input == 0
    assert err.node is loss.grad_fn.inputs[0].grad_fn.inputs[0].grad_fn
    text = str(err)
    for part in ("WrongSwish", "node 3 of 6", "input 0", "(8, 4)", f"{err.index}",
                 f"{err.analytic:.10g}", f"{err.numeric:.10g}", "the 2 visited before it agree"):
        assert part in text, (part, text)
    # the values named are the worst element's: the product rule's missing term
    x = err.node.inputs[0].data[err.index]
    s = 1 / (1 + np.exp(-x))
    assert err.analytic == pytest.approx(s * (1 - s) * _upstream(err), rel=1e-7)


def _upstream(err):
    """u at the error's index: numeric / (true dy/dx) there."""
    x = err.node.inputs[0].data[err.index]
    s = 1 / (1 + np.exp(-x))
    return err.numeric / (s + x * s * (1 - s))


def test_a_correct_graph_passes_silently():
    with mg.record_calls():
        loss = _loss(MLP(Swish))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # float64 and recorded: no warning at all
        assert mg.check_graph(loss) is None


def test_the_first_wrong_node_in_backward_order_is_named():
    w = mg.Tensor(np.array([0.3, -0.7, 1.1]), requires_grad=True)
    v = mg.Tensor(np.array([0.5, 2.0, -1.0]), requires_grad=True)
    with mg.record_calls():
        inner = WrongSwish.apply(w)            # wrong, nearer the leaves
        outer = HalfMul.apply(inner, v)        # wrong for its input 1, nearer the output
        loss = outer.tanh().sum()
    with pytest.raises(GraphCheckError) as info:
        mg.check_graph(loss)
    assert (info.value.op, info.value.position, info.value.input) == ("HalfMul", 3, 1)


def test_every_input_that_needs_a_gradient_is_checked():
    x = mg.Tensor(np.array([0.3, -0.7]), requires_grad=True)
    y = mg.Tensor(np.array([1.5, 0.4]))       # a constant: its wrong gradient is never used
    with mg.record_calls():
        fine = HalfMul.apply(x, y).sum()
    assert mg.check_graph(fine) is None
    y.requires_grad = True
    with mg.record_calls():
        wrong = HalfMul.apply(x, y).sum()
    with pytest.raises(GraphCheckError, match="input 1"):
        mg.check_graph(wrong)


def test_the_same_tensor_twice_is_checked_input_by_input():
    x = mg.Tensor(np.array([0.3, -0.7, 2.0]), requires_grad=True)
    with mg.record_calls():
        loss = HalfMul.apply(x, x).sum()
    with pytest.raises(GraphCheckError) as info:
        mg.check_graph(loss)
    assert info.value.input == 1


# ---------------------------------------------------------------- many ops, no false alarms

def _many_ops(a, b, idx):
    h = (a @ b).relu() + (a @ b).sigmoid() * 0.5          # a constant, a kink
    h = h.reshape(3, 8).transpose(1, 0)                  # keyword parameters
    m = h.max(axis=0) + h.mean(axis=1).sum()              # an axis, keepdims off
    s = mg.concatenate([m, h[idx, 0]], axis=0)            # an index array, repeated entries
    s = mg.where(s.data > 0, s.exp(), (s * s + 1).log())
    return (s.softmax(axis=0) * mg.arange(s.shape[0], dtype="float64")).sum() + (a.abs() ** 1.5).mean()


def test_the_ops_agree_with_their_forward_everywhere():
    rng = np.random.default_rng(1)
    a = mg.Tensor(rng.standard_normal((4, 5)), requires_grad=True)
    b = mg.Tensor(rng.standard_normal((5, 6)), requires_grad=True)
    with mg.record_calls():
        loss = _many_ops(a, b, np.array([0, 2, 2, 7]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert mg.check_graph(loss) is None


def test_an_element_at_a_kink_is_left_out():
    x = mg.Tensor(np.array([0.0, 1.0, -2.0, 0.0]), requires_grad=True)   # relu at 0
    m = mg.Tensor(np.array([[3.0, 3.0], [1.0, 2.0]]), requires_grad=True)  # a tie in the max
    with mg.record_calls():
        loss = (x.relu() * 3).sum() + m.max(axis=1).sum()
    assert mg.check_graph(loss) is None


# ---------------------------------------------------------------- recorded or rebuilt

def test_without_recording_the_nodes_it_cannot_rebuild_are_skipped_and_named():
    loss = _loss(MLP(Swish))
    with pytest.warns(UserWarning, match="not checked: CrossEntropy \\(node 1\\).*record_calls") as record:
        assert mg.check_graph(loss) is None
    text = " ".join(str(w.message) for w in record)
    # the first layer takes the data, a constant: its Linear is skipped; the others are checked
    assert "2 of 6 nodes were not checked" in text and "Linear (node 6)" in text


def test_without_recording_a_wrong_node_is_still_found():
    loss = _loss(MLP(WrongSwish))
    with pytest.raises(GraphCheckError, match="not checked before it: CrossEntropy") as info:
        mg.check_graph(loss)
    assert info.value.position == 3


def test_a_float32_graph_is_checked_in_float64_with_a_warning():
    model = MLP(WrongSwish, dtype=np.float32)
    with mg.record_calls():
        loss = _loss(model, np.float32)
    with pytest.warns(UserWarning, match="not float64"), pytest.raises(GraphCheckError) as info:
        mg.check_graph(loss)
    assert info.value.op == "WrongSwish"
    model.act = Swish
    with mg.record_calls():
        loss = _loss(model, np.float32)
    with pytest.warns(UserWarning, match="not float64"):
        assert mg.check_graph(loss) is None   # float32 values, float64 differences: no false alarm


def test_a_graph_after_backward_and_a_step_is_checked_at_the_recorded_values():
    model = MLP(WrongSwish)
    with mg.record_calls():
        loss = _loss(model)
    loss.backward()                               # nodes released
    opt = mg.optim.SGD(model.parameters(), lr=10.0)
    opt.step()                                    # parameters changed in place since forward
    with pytest.raises(GraphCheckError) as info:
        mg.check_graph(loss)
    assert info.value.op == "WrongSwish"
    # not recorded: a node whose inputs changed no longer reproduces its result, so it is skipped
    unrecorded = _loss(model)
    unrecorded.backward()
    opt.step()
    with pytest.raises(GraphCheckError, match="not checked before it: CrossEntropy \\(node 1\\), "
                       "Linear \\(node 2\\)") as info:
        mg.check_graph(unrecorded)
    assert info.value.op == "WrongSwish"          # its own input is no parameter: it did not change


def test_check_graph_changes_no_gradient_and_no_graph():
    model = MLP(Swish)
    with mg.record_calls():
        loss = _loss(model)
    loss.backward(retain_graph=True)
    before = [p.grad.copy() for p in model.parameters()]
    mg.check_graph(loss)
    assert all(np.array_equal(p.grad, b) for p, b in zip(model.parameters(), before))
    loss.backward()                               # the graph is still whole
    assert all(np.allclose(p.grad, 2 * b) for p, b in zip(model.parameters(), before))


# ---------------------------------------------------------------- wrong shapes and counts

class WrongShape(Function):
    def forward(self, x):
        return x * 2

    def backward(self, g):
        return (2 * g)[:1]


class WrongCount(Function):
    def forward(self, x, y):
        return x + y

    def backward(self, g):
        return g


@pytest.mark.parametrize("op, text", [(WrongShape, "gradient of shape (1, 3) for its input 0 of shape (2, 3)"),
                                      (WrongCount, "returned 1 gradients for 2 inputs")])
def test_a_gradient_of_the_wrong_shape_or_count_is_named(op, text):
    x = mg.Tensor(np.ones((2, 3)), requires_grad=True)
    with mg.record_calls():
        loss = op.apply(*[x] * (2 if op is WrongCount else 1)).sum()
    with pytest.raises(GraphCheckError, match=text.replace("(", "\\(").replace(")", "\\)")) as info:
        mg.check_graph(loss)
    assert info.value.op == op.__name__


def test_nothing_to_check_and_bad_settings():
    assert mg.check_graph(mg.Tensor([1.0], requires_grad=True)) is None
    assert mg.check_graph(mg.Tensor([1.0]) * 2) is None
    x = mg.Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(TypeError, match="Tensor"):
        mg.check_graph(np.ones(2))
    for kwargs, name in ((dict(eps=0), "eps"), (dict(atol=-1), "atol"), (dict(rtol=float("nan")), "rtol")):
        with pytest.raises(ValueError, match=name):
            mg.check_graph(x.sum(), **kwargs)


# ---------------------------------------------------------------- record_calls itself

def test_record_calls_restores_apply_even_after_an_error():
    original = Function.__dict__["apply"]
    with pytest.raises(ZeroDivisionError):
        with mg.record_calls():
            with mg.record_calls():              # nested
                assert Function.__dict__["apply"] is not original
                1 / 0
    assert Function.__dict__["apply"] is original


def test_records_go_with_their_results():
    gc.collect()
    before = len(_calls)
    x = mg.Tensor(np.ones(3), requires_grad=True)
    with mg.record_calls():
        y = (x * 2).sum()
        x * 1.0 + mg.Tensor(np.ones(3))           # dropped at once
    assert len(_calls) == before + 2              # y and its Mul's result
    del y
    gc.collect()
    assert len(_calls) == before


def test_only_the_recording_thread_is_recorded():
    x = mg.Tensor(np.ones(3), requires_grad=True)
    made = []
    with mg.record_calls():
        thread = threading.Thread(target=lambda: made.append(x * 3))
        thread.start()
        thread.join()
        mine = x * 3
    assert id(mine) in _calls and id(made[0]) not in _calls


# ---------------------------------------------------------------- the graph drawn with the node marked

def test_draw_graph_marks_the_wrong_node():
    model = MLP(WrongSwish)
    with mg.record_calls():
        loss = _loss(model)
    with pytest.raises(GraphCheckError) as info:
        mg.check_graph(loss)
    svg = viz.draw_graph(loss, highlight=info.value.node, names=model)
    assert svg.count('stroke="#d62728" stroke-width="3"') == 1 and "highlighted" in svg
    box = svg.index('stroke="#d62728" stroke-width="3"')
    assert svg.index("WrongSwish", box) < svg.index("<rect", box + 1)   # the red box is the WrongSwish one
    assert "highlighted" not in viz.draw_graph(loss)
    fig = viz.draw_graph(loss, format="figure", highlight=[info.value.node, model.fc1.weight])
    red = [p for p in fig.axes[0].patches if p.get_edgecolor()[:3] == pytest.approx((0.839, 0.153, 0.157), abs=1e-3)]
    assert len(red) == 3   # two boxes and the legend's swatch


def test_draw_graph_refuses_a_highlight_outside_the_graph():
    loss = _loss(MLP())
    other = _loss(MLP())
    with pytest.raises(ValueError, match="not in the graph"):
        viz.draw_graph(loss, highlight=other.grad_fn)
    with pytest.raises(TypeError, match="highlight"):
        viz.draw_graph(loss, highlight="Swish")


class _LogWithABug(mg.Function):
    def forward(self, x):
        self.x = x
        return np.log(x)

    def backward(self, g):
        return g / (self.x * self.x)          # wrong: g / x


class _Log(mg.Function):
    def forward(self, x):
        self.x = x
        return np.log(x)

    def backward(self, g):
        # BEGIN SPOILER ops.log_backward
        return g / self.x
        # END SPOILER


def test_a_wrong_backward_on_a_steeply_curved_function_is_caught_not_taken_for_kinks():
    """log near 0: its one-sided differences are apart by about ε·L'', which used to mark every
    element a kink and skip it, so a backward off by a factor of 3,000 passed."""
    x = mg.Tensor(np.array([2e-4, 5e-4, 3e-4]), requires_grad=True)
    with pytest.raises(GraphCheckError, match="_LogWithABug"):
        mg.check_graph(_LogWithABug.apply(x).sum())
    x = mg.Tensor(np.array([2e-4, 5e-4, 3e-4]), requires_grad=True)
    assert mg.check_graph(_Log.apply(x).sum()) is None
    x = mg.Tensor(np.array([-1.0, 0.0, 2.0]), requires_grad=True)
    assert mg.check_graph(x.relu().sum()) is None      # a real kink at 0 is still skipped


@pytest.mark.parametrize("make", [
    lambda: mg.Tensor(np.array([3e7, 0.5]), requires_grad=True).sum(),
    lambda: (mg.Tensor(np.array([0.3, 0.5]), requires_grad=True) * np.array([1e9, 1.0])).sum(),
    lambda: (mg.Tensor(np.array([1e12, -2.0, 0.25]), requires_grad=True) ** 2).mean(),
], ids=["sum", "mul", "pow-mean"])
def test_a_large_element_does_not_make_a_correct_op_look_wrong(make):
    """The difference of two sums lost a small element's change in a large one's rounding: Sum was blamed."""
    with mg.record_calls():                            # the constant operands are kept: every node checked
        loss = make()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for seed in range(5):
            assert mg.check_graph(loss, seed=seed) is None


@pytest.mark.parametrize("x", [5e-7, -3e-7, 2e-7])
def test_a_kink_closer_than_eps_is_not_blamed(x):
    """abs at |x| = 5e-7 < ε looked smooth at ε and at ε/2, and Abs was blamed."""
    t = mg.Tensor(np.array([x, 1.0]), requires_grad=True)
    assert mg.check_graph(t.abs().sum()) is None
    with mg.record_calls():                            # leaky_relu's slope is a keyword parameter
        loss = F.leaky_relu(t, 0.1).sum()
    assert mg.check_graph(loss) is None


def test_a_node_whose_output_overflows_is_skipped_not_blamed():
    """Differences of inf are NaN: Sum and Exp were blamed for an overflow that is no backward's fault."""
    x = mg.Tensor(np.array([1000.0, 1.0]), requires_grad=True)
    with np.errstate(over="ignore"):
        loss = x.exp().sum()
    with pytest.warns(UserWarning, match=r"Sum \(node 1, its output not finite\), Exp \(node 2, its output not finite\)"):
        assert mg.check_graph(loss) is None
