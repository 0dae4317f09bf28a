"""minigrad.grad: gradients as Tensors, and gradients of gradients (create_graph=True).

Every op's Hessian-vector product is checked against finite differences of
gradients in float64 and, where PyTorch is installed, against a double
``torch.autograd.grad``.
"""

import gc
import warnings
import weakref

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F

RNG = np.random.default_rng(7)


def _rand(shape, positive=False, rng=RNG):
    a = rng.standard_normal(shape)
    return np.abs(a) + 0.5 if positive else a


# name -> (minigrad function of the inputs, torch function (or None), input shapes, positive inputs)
LABELS = np.array([2, 0, 1])
MASK = np.array([[True, False, True], [False, True, True]])
CASES = {
    "add broadcast": (lambda x, y: x + y, lambda x, y: x + y, [(2, 1), (3,)], False),
    "sub broadcast": (lambda x, y: x - y, lambda x, y: x - y, [(2, 3), (1, 3)], False),
    "mul broadcast": (lambda x, y: x * y, lambda x, y: x * y, [(2, 3), (3,)], False),
    "div broadcast": (lambda x, y: x / y, lambda x, y: x / y, [(2, 3), (2, 1)], True),
    "pow tensor exponent": (lambda x, y: x ** y, lambda x, y: x ** y, [(2, 3), (2, 3)], True),
    "pow constant": (lambda x: x ** 3, lambda x: x ** 3, [(2, 3)], False),
    "rpow": (lambda x: 2.0 ** x, lambda x: 2.0 ** x, [(2, 3)], False),
    "neg": (lambda x: -x, lambda x: -x, [(2, 3)], False),
    "matmul 2-D": (lambda x, y: x @ y, lambda x, y: x @ y, [(2, 3), (3, 4)], False),
    "matmul 1-D": (lambda x, y: x @ y, lambda x, y: x @ y, [(3,), (3, 2)], False),
    "matmul batched broadcast": (lambda x, y: x @ y, lambda x, y: x @ y, [(2, 2, 3), (3, 2)], False),
    "matmul vector right": (lambda x, y: x @ y, lambda x, y: x @ y, [(2, 3), (3,)], False),
    "exp": (lambda x: x.exp(), lambda x: x.exp(), [(2, 3)], False),
    "log": (lambda x: x.log(), lambda x: x.log(), [(2, 3)], True),
    "sqrt": (lambda x: x.sqrt(), lambda x: x.sqrt(), [(2, 3)], True),
    "tanh": (lambda x: x.tanh(), lambda x: x.tanh(), [(2, 3)], False),
    "sigmoid": (lambda x: x.sigmoid(), lambda x: x.sigmoid(), [(2, 3)], False),
    "relu": (lambda x: x.relu(), lambda x: x.relu(), [(2, 3)], False),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.1), lambda x: __import__("torch").nn.functional.leaky_relu(x, 0.1),
                   [(2, 3)], False),
    "abs": (lambda x: x.abs(), lambda x: x.abs(), [(2, 3)], False),
    "clamp": (lambda x: x.clamp(-0.5, 0.5), lambda x: x.clamp(-0.5, 0.5), [(2, 3)], False),
    "sum axis": (lambda x: x.sum(axis=1), lambda x: x.sum(dim=1), [(2, 3)], False),
    "sum keepdims": (lambda x: x.sum(axis=0, keepdims=True), lambda x: x.sum(dim=0, keepdim=True), [(2, 3)], False),
    "mean": (lambda x: x.mean(axis=0), lambda x: x.mean(dim=0), [(2, 3)], False),
    "max axis": (lambda x: x.max(axis=1), lambda x: x.amax(dim=1), [(2, 3)], False),
    "max all": (lambda x: x.max(), lambda x: x.amax(), [(2, 3)], False),
    "reshape": (lambda x: x.reshape(3, 2), lambda x: x.reshape(3, 2), [(2, 3)], False),
    "transpose": (lambda x: x.transpose(1, 2, 0), lambda x: x.permute(1, 2, 0), [(2, 3, 2)], False),
    "getitem slice": (lambda x: x[:, 1:], lambda x: x[:, 1:], [(2, 3)], False),
    "getitem repeated index": (lambda x: x[[0, 0, 1]], lambda x: x[[0, 0, 1]], [(2, 3)], False),
    "getitem 0-d": (lambda x: x[1, 2], lambda x: x[1, 2], [(2, 3)], False),
    "concatenate": (lambda x, y: mg.concatenate([x, y], axis=1),
                    lambda x, y: __import__("torch").cat([x, y], dim=1), [(2, 3), (2, 1)], False),
    "stack": (lambda x, y: mg.stack([x, y], axis=1),
              lambda x, y: __import__("torch").stack([x, y], dim=1), [(2, 3), (2, 3)], False),
    "where": (lambda x, y: mg.where(MASK, x, y),
              lambda x, y: __import__("torch").where(__import__("torch").tensor(MASK), x, y), [(2, 3), (3,)], False),
    "softmax": (lambda x: x.softmax(axis=1), lambda x: x.softmax(dim=1), [(2, 3)], False),
    "log_softmax": (lambda x: x.log_softmax(axis=0), lambda x: x.log_softmax(dim=0), [(2, 3)], False),
    "mse_loss": (lambda x, t: F.mse_loss(x, t), lambda x, t: __import__("torch").nn.functional.mse_loss(x, t),
                 [(2, 3), (2, 3)], False),
    "cross_entropy": (lambda x: F.cross_entropy(x, LABELS),
                      lambda x: __import__("torch").nn.functional.cross_entropy(x, __import__("torch").tensor(LABELS)),
                      [(3, 4)], False),
    "bce_with_logits": (lambda x, t: F.binary_cross_entropy_with_logits(x, t),
                        lambda x, t: __import__("torch").nn.functional.binary_cross_entropy_with_logits(x, t),
                        [(2, 3), (2, 3)], False),
    "linear": (lambda x, w, b: F.linear(x, w, b), lambda x, w, b: __import__("torch").nn.functional.linear(x, w, b),
               [(4, 3), (2, 3), (2,)], False),
    "linear stacked rows": (lambda x, w: F.linear(x, w), lambda x, w: __import__("torch").nn.functional.linear(x, w),
                            [(2, 4, 3), (2, 3)], False),
}


def _loss(f, xs, weights):
    """A scalar whose Hessian involves both f's Jacobian and its second derivative: Σ w·f + ½ Σ f²."""
    out = f(*xs)
    return (out * weights).sum() + (out * out).sum() * 0.5


def _case_data(name):
    f, tf, shapes, positive = CASES[name]
    rng = np.random.default_rng(abs(hash(name)) % 2**32)
    arrays = [_rand(s, positive, rng) for s in shapes]
    if name == "max axis" or name == "max all":  # no ties: the maximum is unique
        arrays[0] = rng.permutation(np.arange(6.0)).reshape(2, 3) / 3
    if name == "bce_with_logits":
        arrays[1] = rng.random(shapes[1])
    vectors = [rng.standard_normal(s) for s in shapes]
    weights = rng.standard_normal(np.shape(f(*[mg.Tensor(a) for a in arrays]).data))
    return f, tf, arrays, vectors, weights


def _hvp(f, arrays, vectors, weights):
    xs = [mg.Tensor(a, requires_grad=True) for a in arrays]
    gs = mg.grad(_loss(f, xs, weights), xs, create_graph=True)
    dot = sum((g * v).sum() for g, v in zip(gs, vectors))
    return [h.data for h in mg.grad(dot, xs)], xs


def _gradient(f, arrays, weights):
    xs = [mg.Tensor(a, requires_grad=True) for a in arrays]
    return [g.data for g in mg.grad(_loss(f, xs, weights), xs)]


@pytest.mark.parametrize("name", CASES)
def test_hessian_vector_products_match_finite_differences_of_gradients(name):
    f, _, arrays, vectors, weights = _case_data(name)
    hv, xs = _hvp(f, arrays, vectors, weights)
    eps = 1e-6
    plus = _gradient(f, [a + eps * v for a, v in zip(arrays, vectors)], weights)
    minus = _gradient(f, [a - eps * v for a, v in zip(arrays, vectors)], weights)
    for k, (h, p, m) in enumerate(zip(hv, plus, minus)):
        assert h.shape == arrays[k].shape and h.dtype == np.float64
        np.testing.assert_allclose(h, (p - m) / (2 * eps), rtol=1e-5, atol=1e-6, err_msg=f"{name}, input {k}")
    assert all(x.grad is None for x in xs)  # grad never touches .grad


@pytest.mark.parametrize("name", [n for n in CASES if CASES[n][1] is not None])
def test_hessian_vector_products_match_pytorch(name):
    torch = pytest.importorskip("torch")
    f, tf, arrays, vectors, weights = _case_data(name)
    hv, _ = _hvp(f, arrays, vectors, weights)
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = tf(*ts)
    loss = (out * torch.tensor(weights)).sum() + (out * out).sum() * 0.5
    gs = torch.autograd.grad(loss, ts, create_graph=True)
    dot = sum((g * torch.tensor(v)).sum() for g, v in zip(gs, vectors))
    want = torch.autograd.grad(dot, ts, allow_unused=True, materialize_grads=True)
    for k, (h, w) in enumerate(zip(hv, want)):
        np.testing.assert_allclose(h, w.numpy(), rtol=1e-10, atol=1e-12, err_msg=f"{name}, input {k}")


def test_third_derivatives_and_beyond():
    x = mg.Tensor(np.array([0.3, -1.2, 2.0]), requires_grad=True)
    y = (x ** 4).sum() + x.exp().sum() + x.tanh().sum()
    d = y
    derivatives = []
    for _ in range(4):
        (d,) = mg.grad(d.sum(), x, create_graph=True)
        derivatives.append(d.data)
    t = np.tanh(x.data)
    d1 = 1 - t ** 2
    np.testing.assert_allclose(derivatives[0], 4 * x.data ** 3 + np.exp(x.data) + d1, rtol=1e-12)
    np.testing.assert_allclose(derivatives[1], 12 * x.data ** 2 + np.exp(x.data) - 2 * t * d1, rtol=1e-12)
    np.testing.assert_allclose(derivatives[2], 24 * x.data + np.exp(x.data) - 2 * d1 ** 2 + 4 * t ** 2 * d1,
                               rtol=1e-12)
    np.testing.assert_allclose(derivatives[3], 24 + np.exp(x.data) + 16 * t * d1 ** 2 - 8 * t ** 3 * d1,
                               rtol=1e-10)


def test_mixed_partials_are_symmetric_and_right():
    x = mg.Tensor(np.array([0.7, -0.4]), requires_grad=True)
    y = mg.Tensor(np.array([1.3, 0.2]), requires_grad=True)
    f = (x * x * y + (x * y).tanh()).sum()
    gx, gy = mg.grad(f, [x, y], create_graph=True)
    (dxy,) = mg.grad(gx.sum(), y, retain_graph=True)
    (dyx,) = mg.grad(gy.sum(), x)
    # ∂²/∂x∂y of x²y + tanh(xy), elementwise: 2x + tanh'(xy) + xy·tanh''(xy)
    u = x.data * y.data
    t = np.tanh(u)
    want = 2 * x.data + (1 - t ** 2) + u * (-2 * t * (1 - t ** 2))
    np.testing.assert_allclose(dxy.data, want, rtol=1e-12)
    np.testing.assert_allclose(dyx.data, want, rtol=1e-12)


def test_pow_second_derivatives_at_its_edges_are_right_and_never_nan():
    # x⁰ = 1 and 0^y: the first derivative sets these edges (0 where 0⁰, 0 for z·log x at x = 0);
    # a NaN masked only afterwards came back as 0·∞ in the second derivative (NaN at x = 0 for x**0)
    x = mg.Tensor(np.array([0.0, 2.0, 0.0, 3.0]), requires_grad=True)
    y = mg.Tensor(np.array([0.0, 3.0, 2.0, 0.0]), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # no 0·∞ along the way either
        gx, gy = mg.grad((x ** y).sum(), [x, y], create_graph=True)
        hx, hy = mg.grad(gx.sum() + gy.sum(), [x, y])
        (h0,) = mg.grad(mg.grad((x ** 0).sum(), x, create_graph=True)[0].sum(), x)
    np.testing.assert_array_equal(h0.data, [0, 0, 0, 0])
    a, b = x.data[1:], y.data[1:]  # away from 0⁰: d/dx and d/dy of y·x^(y−1) + x^y·log x
    with np.errstate(divide="ignore", invalid="ignore"):
        log_a = np.where(a == 0, 0.0, np.log(a))
        want_x = b * (b - 1) * a ** (b - 2) + b * a ** (b - 1) * log_a + np.where(a == 0, 0.0, a ** (b - 1))
        want_y = np.where(a == 0, 0.0, a ** (b - 1)) + b * a ** (b - 1) * log_a + a ** b * log_a ** 2
    want_x[1] = 2.0  # at x = 0, y = 2: d/dx (2x + x² log x) = 2
    np.testing.assert_allclose(hx.data[1:], want_x, rtol=1e-12)
    np.testing.assert_allclose(hy.data[1:], want_y, rtol=1e-12)
    assert hy.data[3] == pytest.approx(1 / 3 + np.log(3) ** 2)  # where y = 0, x ≠ 0: not masked to 0
    assert np.isfinite(hx.data[0]) and np.isfinite(hy.data[0])


def test_a_gradient_penalty_trains_on_the_weights():
    """The gradient of ‖∂loss/∂x‖² with respect to the weights (WGAN-GP's penalty), against PyTorch."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x0, w1, b1, w2 = rng.standard_normal((5, 3)), rng.standard_normal((4, 3)), rng.standard_normal(4), \
        rng.standard_normal((2, 4))
    labels = np.array([0, 1, 1, 0, 1])

    x, W1, B1, W2 = (mg.Tensor(a, requires_grad=True) for a in (x0, w1, b1, w2))
    loss = F.cross_entropy(F.linear(F.linear(x, W1, B1).tanh(), W2), labels)
    (gx,) = mg.grad(loss, x, create_graph=True)
    penalty = (gx * gx).sum()
    got = mg.grad(penalty, [W1, B1, W2])

    tx, tW1, tB1, tW2 = (torch.tensor(a, requires_grad=True) for a in (x0, w1, b1, w2))
    tloss = torch.nn.functional.cross_entropy(torch.tanh(tx @ tW1.T + tB1) @ tW2.T, torch.tensor(labels))
    (tgx,) = torch.autograd.grad(tloss, tx, create_graph=True)
    want = torch.autograd.grad((tgx * tgx).sum(), [tW1, tB1, tW2])
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.data, w.numpy(), rtol=1e-10, atol=1e-13)


def test_nn_linear_layers_give_hessian_vector_products():
    rng = np.random.default_rng(4)
    layer = mg.nn.Linear(3, 2, dtype=np.float64, rng=0)
    x = mg.Tensor(rng.standard_normal((5, 3)))
    params = [layer.weight, layer.bias]
    vectors = [rng.standard_normal(p.shape) for p in params]

    def loss_of(ps):
        return ((F.linear(x, *ps).tanh()) ** 2).sum()

    gs = mg.grad(loss_of(params), params, create_graph=True)
    hv = mg.grad(sum((g * v).sum() for g, v in zip(gs, vectors)), params)
    eps = 1e-6
    ps_plus = [mg.Tensor(p.data + eps * v, requires_grad=True) for p, v in zip(params, vectors)]
    ps_minus = [mg.Tensor(p.data - eps * v, requires_grad=True) for p, v in zip(params, vectors)]
    plus, minus = mg.grad(loss_of(ps_plus), ps_plus), mg.grad(loss_of(ps_minus), ps_minus)
    for h, p, m in zip(hv, plus, minus):
        np.testing.assert_allclose(h.data, (p.data - m.data) / (2 * eps), rtol=1e-5, atol=1e-7)
    assert layer.weight.grad is None


def test_without_create_graph_the_results_are_constants_and_no_graph_is_left():
    x = mg.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = (x * x).tanh()
    node = weakref.ref(y.grad_fn)
    loss = y.sum()
    (g,) = mg.grad(loss, x)
    assert not g.requires_grad and g.grad_fn is None and x.grad is None
    np.testing.assert_allclose(g.data, 2 * x.data * (1 - np.tanh(x.data ** 2) ** 2), rtol=1e-12)
    with pytest.raises(RuntimeError, match="retain_graph"):  # released, as in PyTorch
        loss.backward()
    del y, loss
    gc.collect()
    assert node() is None  # nothing holds the graph: the results link to nothing


def test_with_create_graph_the_results_link_back_to_the_inputs():
    x = mg.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (g,) = mg.grad((x ** 3).sum(), x, create_graph=True)
    assert g.requires_grad and g.grad_fn is not None
    g.sum().backward()  # the gradient's graph: d/dx Σ 3x² = 6x, into x.grad
    np.testing.assert_allclose(x.grad, 6 * x.data)


def test_an_input_the_output_does_not_depend_on_gets_zeros():
    x = mg.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    unused = mg.Tensor(np.ones((2, 2), np.float32), requires_grad=True)
    gx, gu = mg.grad((x * 2).sum(), [x, unused])
    np.testing.assert_array_equal(gx.data, [2.0, 2.0])
    assert gu.shape == (2, 2) and gu.dtype == np.float32 and not gu.data.any()
    # a gradient that is constant (x enters linearly) differentiates to zeros too
    (g,) = mg.grad((x * 2).sum(), x, create_graph=True)
    (h,) = mg.grad(g.sum(), x)
    np.testing.assert_array_equal(h.data, [0.0, 0.0])


def test_intermediate_inputs_and_grad_output():
    x = mg.Tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)
    h = x * 3
    y = h * h
    gh, gx = mg.grad(y, [h, x], grad_output=np.array([1.0, 0.5, 2.0]), retain_graph=True)
    np.testing.assert_allclose(gh.data, 2 * h.data * [1.0, 0.5, 2.0])
    np.testing.assert_allclose(gx.data, 3 * gh.data)
    (same,) = mg.grad(y, y, grad_output=np.ones(3))
    np.testing.assert_array_equal(same.data, np.ones(3))


def test_a_tensor_can_be_given_alone_or_in_a_list():
    x = mg.Tensor(np.array(2.0), requires_grad=True)
    assert isinstance(mg.grad(x * x, x), tuple) and len(mg.grad(x * x, [x])) == 1


def test_bad_calls_fail_loudly():
    x = mg.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    with pytest.raises(ValueError, match=r"shape \(2,\).*grad_output"):
        mg.grad(x * 2, x)
    with pytest.raises(ValueError, match=r"grad_output has shape \(3,\) but output has shape \(2,\)"):
        mg.grad(x * 2, x, grad_output=np.ones(3))
    with pytest.raises(ValueError, match="input 1 .*does not require grad"):
        mg.grad((x * 2).sum(), [x, mg.Tensor([1.0])])
    with pytest.raises(TypeError, match="input 0 must be a Tensor"):
        mg.grad((x * 2).sum(), [np.ones(2)])
    with pytest.raises(ValueError, match="no inputs"):
        mg.grad((x * 2).sum(), [])


def test_an_op_that_saved_a_derived_array_refuses_to_give_a_wrong_second_derivative():
    class Square(mg.Function):
        def forward(self, x):
            self.twice = 2 * x  # computed from x: a constant to the Tensor backward, which would be wrong
            return x * x

        def backward(self, g):
            return g * self.twice

    x = mg.Tensor(np.array([1.0, 3.0]), requires_grad=True)
    (g,) = mg.grad(Square.apply(x).sum(), x)  # first order is fine
    np.testing.assert_array_equal(g.data, [2.0, 6.0])
    with pytest.raises(NotImplementedError, match="Square.*'twice'.*constants.*on_tensors"):
        mg.grad(Square.apply(x).sum(), x, create_graph=True)


def test_a_custom_function_that_saves_its_inputs_gets_second_derivatives_for_free():
    class Cube(mg.Function):
        def forward(self, x):
            self.x = x
            return x ** 3

        def backward(self, g):
            return 3 * g * self.x * self.x

    x = mg.Tensor(np.array([1.0, -2.0]), requires_grad=True)
    (g,) = mg.grad(Cube.apply(x).sum(), x, create_graph=True)
    (h,) = mg.grad(g.sum(), x)
    np.testing.assert_allclose(h.data, 6 * x.data)


def test_newton_reaches_the_rosenbrock_minimum_in_a_handful_of_steps():
    w = np.array([-1.2, 1.0])
    for step in range(20):
        x = mg.Tensor(w, requires_grad=True)
        f = (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
        (g,) = mg.grad(f, x, create_graph=True)
        hessian = np.stack([mg.grad(g[i], x, retain_graph=True)[0].data for i in range(2)])
        w = w - np.linalg.solve(hessian, g.data)
        if np.abs(w - 1).max() < 1e-10:
            break
    assert step < 10, step
    np.testing.assert_allclose(w, [1.0, 1.0], atol=1e-10)


def test_float32_graphs_give_float32_gradients_of_gradients():
    x = mg.Tensor(np.array([0.5, 1.5], np.float32), requires_grad=True)
    (g,) = mg.grad((x.tanh() * x).sum(), x, create_graph=True)
    (h,) = mg.grad(g.sum(), x)
    assert g.dtype == np.float32 and h.dtype == np.float32


# ---- corners an audit found ----------------------------------------------------------------------

def test_a_tensor_listed_twice_gets_its_gradient_at_both_places():
    """Before: the first place came back as zeros (only the last was collected); hvp likewise."""
    x = mg.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    g1, g2 = mg.grad((x * x).sum(), [x, x])
    np.testing.assert_array_equal(g1.data, [2.0, 4.0])
    np.testing.assert_array_equal(g2.data, [2.0, 4.0])
    h1, h2 = mg.higher_order.hvp((x ** 3).sum(), [x, x], [np.ones(2), np.ones(2)])
    np.testing.assert_allclose(h1.data, [12.0, 24.0])     # d/dx of 2·3x² (both copies' v)
    np.testing.assert_allclose(h2.data, [12.0, 24.0])


def test_a_detached_operand_stays_a_constant_when_differentiating_twice():
    """x * x.detach(): the detached array was matched to x by identity and differentiated."""
    x = mg.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (g,) = mg.grad((x * x.detach()).sum(), x, create_graph=True)
    np.testing.assert_array_equal(g.data, [1.0, 2.0])
    (h,) = mg.grad(g.sum(), x)
    np.testing.assert_array_equal(h.data, [0.0, 0.0])
    w = mg.Tensor(np.array([[1.0, 2.0], [3.0, 0.5]]), requires_grad=True)
    (g,) = mg.grad((mg.nn.functional.linear(w, w.detach()) ** 2).sum(), w, create_graph=True)
    (h,) = mg.grad(g.sum(), w)
    np.testing.assert_allclose(h.data, [[27.0, 15.5], [27.0, 15.5]])   # torch.autograd.grad's


def test_one_array_as_both_an_input_and_a_constant_is_refused_when_differentiating_twice():
    x = mg.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    with pytest.raises(NotImplementedError, match="both as an input that requires grad and as a constant"):
        mg.grad((x * x.data).sum(), x, create_graph=True)


def test_arrays_saved_inside_a_tuple_are_refused_when_differentiating_twice():
    """Before: a tuple of the inputs' arrays was neither swapped nor refused: a silent constant."""
    class MulT(mg.Function):
        def forward(self, x, y):
            self.saved = (x, y)
            return x * y

        def backward(self, g):
            x, y = self.saved
            return g * y, g * x

    x = mg.Tensor(np.array([0.5, -1.0]), requires_grad=True)
    np.testing.assert_array_equal(mg.grad(MulT.apply(x, x).sum(), x)[0].data, [1.0, -2.0])
    with pytest.raises(NotImplementedError, match=r"its forward saved arrays inside 'saved' \(a tuple\)"):
        mg.grad(MulT.apply(x, x).sum(), x, create_graph=True)


def test_arrays_saved_inside_a_dict_are_refused_when_differentiating_twice():
    """A dict was not looked into: the second derivative of x² came out 0, silently (PyTorch: 2)."""
    class Square(mg.Function):
        def forward(self, x):
            self.d = {"x": x}
            return x ** 2

        def backward(self, g):
            return g * 2 * self.d["x"]

    x = mg.Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    with pytest.raises(NotImplementedError, match=r"saved arrays inside 'd' \(a dict\)"):
        mg.grad(Square.apply(x).sum(), x, create_graph=True)


def test_gradcheck_checks_a_function_that_differentiates_inside():
    """The gradgradcheck pattern: fn calls mg.grad(create_graph=True). Its numeric side ran under
    no_grad, where that gradient is 0, and blamed a correct analytic one."""
    x = mg.Tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
    assert mg.gradcheck(lambda t: mg.grad((t ** 3).sum(), t, create_graph=True)[0], x)

    class SquareWithABug(mg.Function):
        def forward(self, x):
            self.x = x
            return x * x

        def backward(self, g):
            return g * self.x                      # wrong: 2 g x

    with pytest.raises(mg.GradcheckError, match="analytic"):   # still catches a wrong backward
        mg.gradcheck(lambda t: SquareWithABug.apply(mg.grad((t ** 3).sum(), t, create_graph=True)[0]), x)


# ---------------------------------------------------------------- corners an audit found

def test_bce_with_logits_has_its_second_derivative_at_a_logit_of_zero():
    """Before: 0 there (σ from e^(-|x|) took |x|'s derivative sign(0) = 0), so a zero-initialised
    last layer had a singular Hessian. The Hessian of Σ BCE(Xw, t) is Xᵀ diag(σ(1 - σ)) X."""
    X, t = np.array([[1.0, 2.0], [-1.0, 0.5], [0.3, -1.2]]), np.array([1.0, 0.0, 1.0])
    for w0 in (np.zeros(2), np.array([0.4, -0.7])):
        w = mg.Tensor(w0, requires_grad=True)
        loss = F.binary_cross_entropy_with_logits(mg.Tensor(X) @ w, t, reduction="sum")
        (g,) = mg.grad(loss, w, create_graph=True)
        H = np.stack([mg.grad(g[i], w, retain_graph=True)[0].data for i in range(2)])
        s = 1 / (1 + np.exp(-X @ w0))
        np.testing.assert_allclose(H, X.T @ (X * (s * (1 - s))[:, None]), rtol=1e-12)


def test_a_gradient_of_a_gradient_goes_through_dropout():
    """Before: NotImplementedError, as if Dropout's mask were computed from its input."""
    x = mg.Tensor(np.array([1.0, 2.0, 3.0, 4.0]), requires_grad=True)
    y = F.dropout(x, 0.5, rng=0)
    mask = y.data / x.data
    (g,) = mg.grad((y ** 2).sum(), x, create_graph=True)            # 2 m² x
    np.testing.assert_allclose(g.data, 2 * mask ** 2 * x.data)
    (h,) = mg.grad(g.sum(), x)                                         # 2 m²
    np.testing.assert_allclose(h.data, 2 * mask ** 2)


def test_gradcheck_checks_a_leaf_that_a_live_graph_holds_read_only_and_leaves_that_graph_intact():
    """Before: "ValueError: assignment destination is read-only", naming neither gradcheck nor the graph."""
    x = mg.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = (x * x).sum()                                   # keeps x's array locked until its backward
    assert mg.gradcheck(lambda t: t.tanh(), x)
    y.backward()                                        # the graph is as it was
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])


def test_a_second_pass_through_a_released_graph_names_both_ways_in():
    x = mg.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = (x * x).sum()
    mg.grad(y, x)
    with pytest.raises(RuntimeError, match=r"backward\(\) or mg.grad\(\); pass retain_graph=True"):
        mg.grad(y, x)


def test_gradcheck_catches_a_second_derivative_that_comes_out_zero():
    """A constant saved from the input (cos x) gave 0 for the second derivative; so did the numeric
    side under no_grad, where mg.grad returns zeros, and gradcheck passed (gradgradcheck fails it)."""
    class Sin(mg.Function):
        constants = ("c",)

        def forward(self, x):
            self.c = np.cos(x)
            return np.sin(x)

        def backward(self, g):
            return g * self.c

    x = mg.Tensor(np.array([0.3, -1.1, 2.0]), requires_grad=True)
    with pytest.raises(mg.GradcheckError):
        mg.gradcheck(lambda t: mg.grad(Sin.apply(t).sum(), t, create_graph=True)[0], x)


def test_gradcheck_leaves_every_grad_alone():
    """It called backward(): the .grad of a tensor it does not check (a layer's weight) changed."""
    x = mg.Tensor(np.array([0.5, -1.0]), requires_grad=True)
    lin = mg.nn.Linear(2, 3, rng=0, dtype=np.float64)
    assert mg.gradcheck(lin, x)
    assert x.grad is None and lin.weight.grad is None and lin.bias.grad is None


def test_gradcheck_is_not_fooled_by_a_large_unrelated_output():
    """The difference of two sums lost the change of a small element beside one of 1e9."""
    x = mg.Tensor(np.array([0.3, 0.5]), requires_grad=True)
    assert mg.gradcheck(lambda t: t * np.array([1e9, 1.0]), x)
    torch = pytest.importorskip("torch")
    tx = torch.tensor([0.3, 0.5], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: t * torch.tensor([1e9, 1.0], dtype=torch.float64), (tx,))


def test_gradcheck_refuses_a_bool_step_and_names_a_float32_output():
    x = mg.Tensor(np.array([0.5, 1.5]), requires_grad=True)
    with pytest.raises(ValueError, match="eps must be a finite number > 0, got True"):
        mg.gradcheck(lambda t: t * 2, x, eps=True)

    class Wrong(mg.Function):
        def forward(self, x):
            return (x * 3).astype(np.float32)

        def backward(self, g):
            return g * 2.0

    with pytest.raises(mg.GradcheckError, match="fn's output is float32, too coarse"):
        mg.gradcheck(Wrong.apply, x)


def test_an_anomaly_inside_a_backward_run_on_tensors_names_that_backward():
    """It said 'Div produced non-finite values in its forward' and nothing of Sqrt, whose backward it was."""
    x = mg.Tensor(np.array([0.0, 1.0]), requires_grad=True)
    with mg.detect_anomaly(), pytest.raises(FloatingPointError, match=r"Div produced .* while computing the "
                                                                     r"backward of Sqrt on Tensors"):
        mg.grad(x.sqrt().sum(), x, create_graph=True)


def test_hvp_keeps_the_outputs_graph_whole():
    # before: the second pass released part of f's graph: a second hvp(f, ...) raised, pointing at a
    # retain_graph hvp does not take, and f.backward() raised while a stayed locked read-only
    from minigrad.higher_order import hvp

    a = mg.Tensor(np.array([1.0, 2.0]), requires_grad=True, dtype="float64")
    f = (a * a * a).sum()                                        # H = diag(6a)
    first = hvp(f, a, np.array([1.0, 0.0]))[0]
    second = hvp(f, a, np.array([0.0, 1.0]))[0]                  # power iteration calls it again
    np.testing.assert_allclose(first.data, [6.0, 0.0])
    np.testing.assert_allclose(second.data, [0.0, 12.0])
    f.backward()                                                 # the graph still whole
    np.testing.assert_allclose(a.grad, [3.0, 12.0])
    a.data -= 0.1 * a.grad                                       # a manual step: the memory given back
