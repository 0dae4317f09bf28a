"""Layers against PyTorch in float64, gradcheck of linear, initialisation, dropout, errors."""

import warnings

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import nn


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def torch_grads(torch, fn, arrays, upstream):
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*ts)
    out.backward(torch.tensor(upstream))
    return out.detach().numpy(), [t.grad.numpy() for t in ts]


def minigrad_grads(fn, arrays, upstream):
    ts = [mg.Tensor(a, requires_grad=True) for a in arrays]
    out = fn(*ts)
    out.backward(upstream)
    return out.data, [t.grad for t in ts]


# ---------------------------------------------------------------- linear

LINEAR_SHAPES = [((5, 3), 4), ((3,), 2), ((2, 5, 3), 4), ((1, 1), 1)]


@pytest.mark.parametrize("x_shape, out", LINEAR_SHAPES, ids=str)
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(x_shape, out, bias):
    torch = pytest.importorskip("torch")
    n_in = x_shape[-1]
    arrays = [rand(*x_shape, seed=1), rand(out, n_in, seed=2)] + ([rand(out, seed=3)] if bias else [])
    upstream = rand(*(x_shape[:-1] + (out,)), seed=4)
    y, grads = minigrad_grads(F.linear, arrays, upstream)
    ty, tgrads = torch_grads(torch, torch.nn.functional.linear, arrays, upstream)
    assert y.dtype == np.float64 and y.shape == ty.shape
    np.testing.assert_allclose(y, ty, rtol=1e-12, atol=1e-12)
    for g, tg, name in zip(grads, tgrads, ["x", "weight", "bias"]):
        assert g.shape == tg.shape and g.dtype == np.float64, name
        np.testing.assert_allclose(g, tg, rtol=1e-12, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("x_shape, out", LINEAR_SHAPES[:3], ids=str)
def test_linear_gradcheck(x_shape, out):
    x = mg.Tensor(rand(*x_shape, seed=5), requires_grad=True)
    w = mg.Tensor(rand(out, x_shape[-1], seed=6), requires_grad=True)
    b = mg.Tensor(rand(out, seed=7), requires_grad=True)
    assert mg.gradcheck(F.linear, x, w, b)


@pytest.mark.parametrize("x_shape", [(5, 3), (3,), (2, 5, 3)], ids=str)
def test_linear_without_bias_gradcheck(x_shape):
    x = mg.Tensor(rand(*x_shape, seed=8), requires_grad=True)
    w = mg.Tensor(rand(4, 3, seed=9), requires_grad=True)
    assert mg.gradcheck(F.linear, x, w)


def test_linear_skips_input_gradient_for_a_constant_input():
    layer = nn.Linear(3, 2, rng=0)
    x = mg.Tensor(np.ones((4, 3), np.float32))
    layer(x).sum().backward()
    assert x.grad is None and layer.weight.grad.shape == (2, 3)
    np.testing.assert_array_equal(layer.bias.grad, [4.0, 4.0])


def test_linear_float32_batch_gradients_are_the_row_sums_and_arrays_of_their_own():
    # a training batch: 32 float32 rows, twice: a gradient written to between the passes
    # must not change the next one
    layer = nn.Linear(5, 3, rng=0)
    x = mg.Tensor(rand(32, 5).astype(np.float32))
    g = rand(32, 3).astype(np.float32)
    for _ in range(2):
        layer.zero_grad()
        layer(x).backward(g)
        gb, gw = layer.bias.grad, layer.weight.grad
        assert gb.dtype == gw.dtype == np.float32 and gb.flags.writeable
        np.testing.assert_allclose(gb, g.astype(np.float64).sum(axis=0), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(gw, g.T.astype(np.float64) @ x.data, rtol=1e-5, atol=1e-5)
        gb[...] = 7.0  # a gradient written to must not change the next pass


def test_float64_input_to_float32_layer_gives_float32_gradients():
    layer = nn.Linear(3, 2, rng=0)
    x = mg.Tensor(rand(4, 3), requires_grad=True)
    y = layer(x)
    assert y.dtype == np.float64
    y.backward(rand(4, 2))
    assert layer.weight.grad.dtype == layer.bias.grad.dtype == np.float32
    assert x.grad.dtype == np.float64


def test_dropout_of_a_float64_array_stays_float64():
    y = F.dropout(np.ones(10), 0.5, rng=0)
    assert isinstance(y, mg.Tensor) and y.dtype == np.float64


def test_linear_module_is_functional_linear():
    layer = nn.Linear(3, 2, rng=0, dtype=np.float64)
    x = mg.Tensor(rand(4, 3))
    np.testing.assert_allclose(layer(x).data, x.data @ layer.weight.data.T + layer.bias.data)
    assert nn.Linear(3, 2, bias=False, rng=0).bias is None


def test_linear_initialisation_is_pytorchs_and_seeded():
    layer = nn.Linear(400, 300, rng=0)
    w, b = layer.weight.data, layer.bias.data
    k = 1 / np.sqrt(400)
    assert w.shape == (300, 400) and b.shape == (300,) and w.dtype == b.dtype == np.float32
    assert -k <= w.min() < -0.99 * k and 0.99 * k < w.max() <= k
    assert np.abs(b).max() <= k
    np.testing.assert_allclose(w.std(), k / np.sqrt(3), rtol=0.01)   # std of U(−k, k)
    assert abs(w.mean()) < 0.01 * k
    same = nn.Linear(400, 300, rng=0)
    np.testing.assert_array_equal(same.weight.data, w)
    np.testing.assert_array_equal(same.bias.data, b)
    assert not np.array_equal(nn.Linear(400, 300, rng=1).weight.data, w)
    gen = np.random.default_rng(5)
    a, c = nn.Linear(4, 4, rng=gen), nn.Linear(4, 4, rng=gen)   # a shared generator advances
    assert not np.array_equal(a.weight.data, c.weight.data)


@pytest.mark.parametrize("args, error, match", [
    ((0, 3), ValueError, "in_features must be >= 1, got 0"),
    ((3, -1), ValueError, "out_features must be >= 1, got -1"),
    ((2.0, 3), TypeError, "in_features must be an int, got float"),
    ((True, 3), TypeError, "in_features must be an int, got bool"),
])
def test_linear_constructor_errors(args, error, match):
    with pytest.raises(error, match=match):
        nn.Linear(*args)


def test_linear_errors_name_both_shapes():
    layer = nn.Linear(3, 2, rng=0)
    with pytest.raises(ValueError, match=r"input of shape \(4, 5\) does not fit weight of shape "
                                         r"\(2, 3\): the input's last axis must have size 3"):
        layer(mg.zeros(4, 5))
    with pytest.raises(ValueError, match=r"bias must have shape \(2,\) for weight of shape \(2, 3\), "
                                         r"got \(3,\)"):
        F.linear(mg.zeros(1, 3), mg.zeros(2, 3), mg.zeros(3))
    with pytest.raises(ValueError, match=r"weight must have shape \(out, in\), got \(3,\)"):
        F.linear(mg.zeros(1, 3), mg.zeros(3))
    with pytest.raises(TypeError, match="floating point"):
        nn.Linear(2, 2, dtype=np.int64)


# ---------------------------------------------------------------- activations, flatten

ACTIVATIONS = [  # id, minigrad module, torch module (name, arguments)
    ("ReLU", nn.ReLU(), ("ReLU",)), ("Tanh", nn.Tanh(), ("Tanh",)),
    ("Sigmoid", nn.Sigmoid(), ("Sigmoid",)), ("Flatten", nn.Flatten(), ("Flatten",)),
    ("LeakyReLU", nn.LeakyReLU(), ("LeakyReLU",)),
    ("LeakyReLU_0.3", nn.LeakyReLU(0.3), ("LeakyReLU", 0.3)),
    ("Softmax", nn.Softmax(), ("Softmax", -1)), ("Softmax_axis1", nn.Softmax(1), ("Softmax", 1)),
    ("LogSoftmax", nn.LogSoftmax(), ("LogSoftmax", -1)),
    ("LogSoftmax_axis0", nn.LogSoftmax(axis=0), ("LogSoftmax", 0)),
]


@pytest.mark.parametrize("layer, torch_layer", [a[1:] for a in ACTIVATIONS],
                         ids=[a[0] for a in ACTIVATIONS])
def test_activations_match_torch(layer, torch_layer):
    torch = pytest.importorskip("torch")
    ref = getattr(torch.nn, torch_layer[0])(*torch_layer[1:])
    x = rand(3, 2, 4, seed=8) * 3
    upstream = rand(*ref(torch.tensor(x)).shape, seed=9)
    y, (g,) = minigrad_grads(layer, [x], upstream)
    ty, (tg,) = torch_grads(torch, ref, [x], upstream)
    np.testing.assert_allclose(y, ty, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(g, tg, rtol=1e-12, atol=1e-15)


def test_leaky_relu_gradcheck_and_its_slope_at_zero():
    x = mg.Tensor(np.array([-1.5, -0.2, 0.3, 2.0]), requires_grad=True)
    assert mg.gradcheck(lambda t: F.leaky_relu(t, 0.2), x)
    z = mg.Tensor(np.zeros(2), requires_grad=True)
    F.leaky_relu(z, 0.2).sum().backward()
    np.testing.assert_array_equal(z.grad, [0.2, 0.2])  # PyTorch's choice at the kink
    assert F.leaky_relu(mg.Tensor([-1.0, 1.0]), 0.5).dtype == np.float32


@pytest.mark.parametrize("slope, error", [(True, TypeError), ("0.1", TypeError), (None, TypeError),
                                          (float("nan"), ValueError), (float("inf"), ValueError)])
def test_leaky_relu_slope_must_be_a_finite_number(slope, error):
    with pytest.raises(error, match="negative_slope"):
        nn.LeakyReLU(slope)
    with pytest.raises(error, match="negative_slope"):
        F.leaky_relu(mg.Tensor([1.0]), slope)


def test_softmax_layers_sum_to_one_and_check_their_axis():
    probs = nn.Softmax(axis=0)(mg.Tensor(rand(3, 4, seed=1)))
    np.testing.assert_allclose(probs.data.sum(axis=0), np.ones(4))
    assert repr(nn.Softmax(1)) == "Softmax(axis=1)" and "negative_slope=0.2" in repr(nn.LeakyReLU(0.2))
    with pytest.raises(TypeError, match="axis must be an int"):
        nn.LogSoftmax(axis=1.0)
    with pytest.raises(ValueError, match="axis 2 is out of bounds"):
        nn.Softmax(axis=2)(mg.zeros(2, 3))


def test_flatten_shapes_and_errors():
    assert nn.Flatten()(mg.zeros(0, 2, 3)).shape == (0, 6)
    assert nn.Flatten()(mg.zeros(4)).shape == (4, 1)
    with pytest.raises(ValueError, match="0-d input"):
        nn.Flatten()(mg.Tensor(1.0))


def test_sigmoid_and_tanh_stable_at_extremes():
    x = mg.Tensor(np.array([-1000.0, 1000.0]), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        y = nn.Sigmoid()(x)
        y.sum().backward()
    np.testing.assert_array_equal(y.data, [0.0, 1.0])
    np.testing.assert_array_equal(x.grad, [0.0, 0.0])


# ---------------------------------------------------------------- dropout

def test_dropout_is_inverted_and_backward_uses_the_same_mask():
    x = mg.Tensor(np.full((200, 50), 3.0), requires_grad=True)
    drop = nn.Dropout(0.3, rng=0)
    y = drop(x)
    kept = y.data != 0
    np.testing.assert_allclose(y.data[kept], 3.0 / 0.7)
    assert abs(kept.mean() - 0.7) < 0.02
    assert abs(y.data.mean() - 3.0) < 0.1            # E[y] = x
    g = rand(200, 50, seed=1)
    y.backward(g)
    np.testing.assert_allclose(x.grad, g * kept / 0.7)
    assert y.dtype == np.float64


def test_dropout_gradcheck():
    # the same seed draws the same mask at every call, so finite differences see one function
    x = mg.Tensor(rand(6, 5, seed=2), requires_grad=True)
    assert mg.gradcheck(lambda t: F.dropout(t, 0.4, rng=0), x)


def test_dropout_seeding_and_fresh_masks():
    x = mg.ones(1000)
    a, b = nn.Dropout(0.5, rng=3), nn.Dropout(0.5, rng=3)
    first = a(x).data
    np.testing.assert_array_equal(first, b(x).data)          # same seed, same mask
    assert not np.array_equal(first, a(x).data)              # next call, next mask
    assert a(x).dtype == np.float32


def test_dropout_identity_in_eval_mode_and_for_p_zero():
    x = mg.Tensor([1.0, 2.0], requires_grad=True)
    drop = nn.Dropout(0.9, rng=0)
    assert drop.eval()(x) is x
    assert nn.Dropout(0.0)(x) is x
    assert F.dropout(x, 0.5, training=False) is x
    drop.train()
    assert drop(mg.ones(100)).data.min() == 0.0


@pytest.mark.parametrize("p", [1.0, -0.1, 1.5, "0.5", None, True])
def test_dropout_probability_out_of_range(p):
    with pytest.raises(ValueError, match=r"p must be a number in \[0, 1\)"):
        nn.Dropout(p)
    with pytest.raises(ValueError, match=r"p must be a number in \[0, 1\)"):
        F.dropout(mg.ones(2), p)


# ---------------------------------------------------------------- init

def test_init_functions_fill_in_place_keeping_dtype():
    p = nn.Parameter(np.zeros((30, 20), np.float64))
    data = p.data
    assert nn.init.uniform_(p, -2, 2, rng=0) is p and p.data is data
    assert p.dtype == np.float64 and -2 <= p.data.min() and p.data.max() < 2
    nn.init.constant_(p, 0.5)
    assert (p.data == 0.5).all()
    nn.init.zeros_(p)
    assert (p.data == 0).all()
    nn.init.ones_(p)
    assert (p.data == 1).all()
    nn.init.normal_(p, mean=1.0, std=0.0)
    assert (p.data == 1).all()
    bound = np.sqrt(6 / 50)
    nn.init.xavier_uniform_(p, rng=0)
    assert np.abs(p.data).max() <= bound and np.abs(p.data).max() > 0.9 * bound
    nn.init.kaiming_uniform_(p, rng=0)
    assert np.abs(p.data).max() <= np.sqrt(6 / 20)
    nn.init.kaiming_uniform_(p, a=np.sqrt(5), rng=0)         # PyTorch's Linear default
    assert np.abs(p.data).max() <= 1 / np.sqrt(20)
    assert nn.init.fan_in_and_fan_out(mg.zeros(8, 3, 5, 5)) == (75, 200)


def test_init_marks_a_tensor_changed_only_when_it_writes_into_it():
    # A pending backward stays valid after reading a weight's fans or a refused call:
    # only a real write changes what the graph saved.
    layer = nn.Linear(3, 2, rng=0)
    for harmless in (lambda: nn.init.fan_in_and_fan_out(layer.weight),
                     lambda: nn.init.uniform_(layer.weight, 1, 0),
                     lambda: nn.init.normal_(layer.weight, std=-1)):
        loss = layer(mg.ones(4, 3)).sum()
        try:
            harmless()
        except ValueError:
            pass
        loss.backward()
    loss = layer(mg.ones(4, 3)).sum()
    nn.init.zeros_(layer.weight)
    with pytest.raises(RuntimeError, match="changed in place"):
        loss.backward()


def test_load_state_dict_and_init_under_a_live_graph_refuse_its_backward_then_work_after_it():
    # The Linear node saved x and the weight's array: changing the weight through minigrad
    # before the graph's backward would mix old and new values, so backward refuses.
    x = mg.Tensor(rand(4, 3, seed=1).astype(np.float32), requires_grad=True)
    for change in (lambda layer: layer.load_state_dict(nn.Linear(3, 2, rng=1).state_dict()),
                   lambda layer: nn.init.uniform_(layer.weight, -0.1, 0.1, rng=2)):
        layer = nn.Linear(3, 2, rng=0)
        loss = layer(x).sum()
        change(layer)                                    # the write itself is allowed...
        with pytest.raises(RuntimeError, match="Linear.*changed in place"):
            loss.backward()                              # ...the stale graph's backward is not
    layer = nn.Linear(3, 2, rng=0)
    layer(x).sum().backward()                            # after the graph's backward: both work
    sd = nn.Linear(3, 2, rng=1).state_dict()
    layer.load_state_dict(sd)
    np.testing.assert_array_equal(layer.weight.data, sd["weight"])
    nn.init.zeros_(layer.bias)
    np.testing.assert_array_equal(layer.bias.data, [0.0, 0.0])
    x.zero_grad()
    layer(x).sum().backward()                            # a fresh graph on the new values
    np.testing.assert_allclose(x.grad, np.ones((4, 1)) * sd["weight"].sum(axis=0), rtol=1e-6)


def test_init_errors():
    with pytest.raises(ValueError, match="low <= high, got low=1 and high=0"):
        nn.init.uniform_(nn.Parameter([1.0]), 1, 0)
    with pytest.raises(ValueError, match="std >= 0, got -1"):
        nn.init.normal_(nn.Parameter([1.0]), std=-1)
    with pytest.raises(ValueError, match=r"at least 2 dimensions, got shape \(3,\)"):
        nn.init.xavier_uniform_(nn.Parameter([1.0, 2.0, 3.0]))
    with pytest.raises(TypeError, match="expected a Tensor or Parameter, got ndarray"):
        nn.init.zeros_(np.zeros(2))


# ---------------------------------------------------------------- F.linear edge cases (issue 29)

@pytest.mark.parametrize("x_shape, w_shape", [
    ((2, 2, 3), (0, 3)),   # no output features: the case
    ((2, 2, 0), (4, 0)),   # no input features
    ((0, 3), (4, 3)),      # an empty batch
    ((3,), (0, 3)),        # one row, no outputs
    ((2, 0, 3), (0, 3)),   # empty everywhere
])
def test_linear_with_a_zero_size_weight_runs_backward(x_shape, w_shape):
    x = mg.Tensor(np.ones(x_shape, np.float32), requires_grad=True)
    w = mg.Tensor(np.ones(w_shape, np.float32), requires_grad=True)
    b = mg.Tensor(np.ones(w_shape[0], np.float32), requires_grad=True)
    y = F.linear(x, w, b)
    assert y.shape == x_shape[:-1] + w_shape[:1]
    y.sum().backward()
    assert x.grad.shape == x_shape and w.grad.shape == w_shape and b.grad.shape == w_shape[:1]
    # the same as the three-op form, which never reshapes
    x2, w2, b2 = (mg.Tensor(t.data.copy(), requires_grad=True) for t in (x, w, b))
    (x2 @ w2.T + b2).sum().backward()
    for got, want in ((x, x2), (w, w2), (b, b2)):
        np.testing.assert_array_equal(got.grad, want.grad)


@pytest.mark.parametrize("dx", [np.float32, np.float64])
@pytest.mark.parametrize("dw", [np.float32, np.float64])
@pytest.mark.parametrize("db", [np.float32, np.float64, None])
def test_linear_promotes_dtypes_as_numpy_and_the_unfused_ops_do(dx, dw, db):
    """F.linear's result has NumPy's promoted dtype, as x @ W.T + b: float32 x, W and a float64 bias
    give float64; each gradient is in its own input's dtype."""
    def run(fused):
        x = mg.Tensor(np.arange(6).reshape(2, 3).astype(dx), requires_grad=True)
        w = mg.Tensor(np.arange(12).reshape(4, 3).astype(dw) / 7, requires_grad=True)
        b = None if db is None else mg.Tensor(np.arange(4).astype(db) / 3, requires_grad=True)
        if fused:
            y = F.linear(x, w, b)
        else:
            y = x @ w.T if b is None else x @ w.T + b
        y.sum().backward()
        return y, [t for t in (x, w, b) if t is not None]

    (y, leaves), (y_ref, leaves_ref) = run(True), run(False)
    expected = np.result_type(dx, dw, *([] if db is None else [db]))
    assert y.dtype == y_ref.dtype == expected
    np.testing.assert_allclose(y.data, y_ref.data, rtol=1e-6)
    for t, r in zip(leaves, leaves_ref):
        assert t.grad.dtype == r.grad.dtype == t.dtype


# ---------------------------------------------------------------- inputs of the wrong dtype (an audit)

@pytest.mark.parametrize("call", [lambda x: nn.Softmax()(x), lambda x: nn.LogSoftmax()(x), lambda x: x.sigmoid(),
                                  lambda x: F.softmax(x), lambda x: x.log_softmax()],
                         ids=["Softmax", "LogSoftmax", "sigmoid", "F.softmax", "log_softmax"])
@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int64, bool])
def test_softmax_and_sigmoid_refuse_integer_input_which_would_wrap_around(call, dtype):
    """Before: softmax of uint8 [0, 255] gave [0.73, 0.27] (0 - 255 wraps to 1), sigmoid(uint8 200) gave 0."""
    with pytest.raises(TypeError, match=r"needs a floating-point input, got dtype .*astype\(np.float32\)"):
        call(mg.Tensor(np.array([[0, 1]], dtype)))


def test_linear_refuses_an_integer_input_which_would_turn_the_model_float64():
    lin = nn.Linear(3, 2, rng=0)
    with pytest.raises(TypeError, match="linear: the input must be floating point, got dtype int64"):
        lin(mg.Tensor(np.ones((2, 3), np.int64)))
    with pytest.raises(TypeError, match="linear: the weight must be floating point"):
        F.linear(mg.ones(2, 3), mg.Tensor(np.ones((2, 3), np.int32)))
    assert lin(mg.Tensor(np.ones((2, 3), np.float32))).dtype == np.float32


def test_dropout_refuses_integer_input_and_takes_numpy_numbers_as_p():
    with pytest.raises(TypeError, match="dropout needs a floating-point input, got dtype int64"):
        F.dropout(mg.Tensor(np.array([1, 2, 3])), 0.5, rng=0)
    assert nn.Dropout(np.int64(0)).p == 0 and nn.Dropout(np.float32(0.25)).p == 0.25
    with pytest.raises(ValueError, match="in \\[0, 1\\)"):
        nn.Dropout(np.True_)
    kept = F.dropout([1.0, 2.0], 0.5, training=False)             # eval gives a Tensor, as training does
    assert isinstance(kept, mg.Tensor) and kept.data.tolist() == [1.0, 2.0]


@pytest.mark.parametrize("loss,each", [(F.mse_loss, 10.0 ** 2),                              # (10 - 0)²
                                       (F.binary_cross_entropy_with_logits, np.log1p(np.exp(10.0)))],
                         ids=["mse", "bce"])
def test_a_float16_mean_loss_is_summed_without_overflow(loss, each):
    """Before: 2,000 float16 losses of 100 summed past 65,504 to inf (PyTorch adds half in float32)."""
    value = loss(mg.Tensor(np.full(2000, 10, np.float16)), np.zeros(2000, np.float16))
    assert value.dtype == np.float16 and float(value.data) == pytest.approx(each, rel=1e-3)
