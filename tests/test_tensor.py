"""The Tensor and the backward engine: construction, accumulation, graph release, errors."""

import gc
import re
import warnings

import numpy as np
import pytest

import minigrad as mg


# ---- construction -------------------------------------------------------

def test_python_data_becomes_float32_and_arrays_keep_dtype():
    assert mg.Tensor(1.5).dtype == np.float32
    assert mg.Tensor([1, 2, 3]).dtype == np.float32
    assert mg.Tensor(np.zeros(2)).dtype == np.float64
    assert mg.Tensor(np.arange(3)).dtype == np.int64
    assert mg.Tensor([1, 2], dtype=np.float64).dtype == np.float64


def test_data_is_copied():
    a = np.zeros(3)
    t = mg.Tensor(a)
    a[0] = 1
    assert t.data[0] == 0


def test_attributes():
    t = mg.Tensor(np.zeros((2, 3)))
    assert (t.shape, t.ndim, t.size, len(t)) == ((2, 3), 2, 6, 2)
    assert t.T.shape == (3, 2)
    assert mg.Tensor(3.0).item() == 3.0
    assert t.numpy() is t.data
    with pytest.raises(TypeError, match="len.. of a 0-d tensor"):
        len(mg.Tensor(1.0))
    with pytest.raises(ValueError, match="one element"):
        t.item()


def test_one_element_tensor_converts_to_python_numbers():
    loss = (mg.Tensor([1.5], requires_grad=True) * 2).sum()
    assert float(loss) == 3.0 and type(float(loss)) is float
    assert int(mg.Tensor(2.7)) == 2
    with pytest.raises(ValueError, match="one element"):
        float(mg.ones(3))


def test_format_spec_formats_the_number_of_a_one_element_tensor():
    loss = (mg.Tensor([1.5], requires_grad=True) * 2).sum()
    assert f"loss {loss:.3f}" == "loss 3.000" and f"{loss:>9.2e}" == " 3.00e+00"
    assert f"{loss}" == repr(loss)
    with pytest.raises(TypeError, match=r"needs a tensor with one element, got shape \(2,\)"):
        f"{mg.ones(2):.3f}"


def test_numpy_sees_the_data_of_a_tensor_outside_the_graph():
    t = mg.Tensor([1.0, 2.0])
    a = np.asarray(t)
    assert a.dtype == np.float32 and np.shares_memory(a, t.data)
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    np.testing.assert_array_equal(np.concatenate([t, t]), [1.0, 2.0, 1.0, 2.0])
    np.testing.assert_array_equal(np.array([mg.Tensor(1.0), mg.Tensor(2.0)]), [1.0, 2.0])


def test_numpy_refuses_a_tensor_that_requires_grad():
    # NumPy would cut it from the graph without a word: the parameter would get no gradient
    w = mg.Tensor([1.0, 2.0], requires_grad=True)
    for convert in (np.asarray, lambda x: np.concatenate([x, x]), lambda x: mg.Tensor([x])):
        with pytest.raises(RuntimeError, match=r"requires grad.*t\.numpy\(\) or t\.detach\(\)"):
            convert(w)
    np.testing.assert_array_equal(np.asarray(w.detach()), [1.0, 2.0])
    assert isinstance(np.ones(2) + w, mg.Tensor)  # operators still give a Tensor


def test_numpy_functions_see_the_data_and_refuse_a_tensor_that_requires_grad():
    # Before, NumPy passed np.sum(t) on to t.sum(axis=None, dtype=None, out=None): a TypeError about `out`
    c = mg.Tensor([[1.0, 2.0], [3.0, 4.0]])
    assert float(np.sum(c)) == 10.0 and float(np.max(c)) == 4.0
    np.testing.assert_array_equal(np.mean(c, axis=0), [2.0, 3.0])
    np.testing.assert_array_equal(np.where(c > 2, c, 0), [[0.0, 0.0], [3.0, 4.0]])
    w = mg.Tensor([1.0, 2.0], requires_grad=True)
    for f, name in ((np.sum, "sum"), (np.mean, "mean"), (np.linalg.norm, "norm")):
        with pytest.raises(RuntimeError, match=rf"np\.{name} cannot take a tensor that requires grad.*t\.sum\(\)"):
            f(w)
    assert np.shape(w) == (2,) and np.ndim(w) == 1 and np.size(w) == 2  # no values read: allowed
    with pytest.raises(TypeError, match="out= cannot be a Tensor"):
        np.sum(c, axis=0, out=mg.zeros(2))


@pytest.mark.parametrize("expr", ["a + t", "a - t", "a * t", "a / t", "a ** t", "a @ t"])
def test_an_operator_with_an_array_on_the_left_records_the_same_op(expr):
    a = np.array([1.5, 2.0, 0.5])
    t = mg.Tensor(np.array([0.5, 1.0, 2.0]), requires_grad=True)
    mirrored = mg.Tensor(a)  # the same expression with a constant tensor on the left
    out = eval(expr)
    assert isinstance(out, mg.Tensor) and out.requires_grad
    out.sum().backward()
    expected = mg.Tensor(t.data, requires_grad=True)
    eval(expr, {"a": mirrored, "t": expected}).sum().backward()
    np.testing.assert_array_equal(out.data, eval(expr, {"a": mirrored, "t": expected}).data)
    np.testing.assert_array_equal(t.grad, expected.grad)


def test_a_comparison_with_an_array_on_the_left_gives_a_constant_tensor():
    t = mg.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    for out, want in ((np.array([2.0, 2.0, 2.0]) < t, [False, False, True]),
                      (np.float64(2.0) == t, [False, True, False]),
                      (np.array([1.0, 5.0, 3.0]) >= t, [True, True, True])):
        assert isinstance(out, mg.Tensor) and not out.requires_grad
        np.testing.assert_array_equal(out.data, want)


def test_numpy_ufuncs_see_the_data_and_name_the_method_that_keeps_the_gradient():
    # Before, np.exp(t) failed with NumPy's "operand 'Tensor' does not support ufuncs"
    c = mg.Tensor([0.0, 1.0])
    np.testing.assert_array_equal(np.exp(c), np.exp(c.data))
    np.testing.assert_array_equal(np.maximum(c, 0.5), [0.5, 1.0])
    w = mg.Tensor([0.0, 1.0], requires_grad=True)
    for f, method in ((lambda x: np.maximum(x, 0), r"t\.relu\(\)"), (np.sin, r"t\.sum\(\)")):
        with pytest.raises(RuntimeError, match=rf"requires grad.*use .*{method}"):
            f(w)
    with pytest.raises(RuntimeError, match=r"np\.add\.reduce cannot take"):
        np.add.reduce(w)
    with pytest.raises(TypeError, match="out= cannot be a Tensor"):
        np.exp(c, out=c)
    b = np.zeros(2)
    b += c                                  # in place into the array, as NumPy would
    np.testing.assert_array_equal(b, [0.0, 1.0])
    with pytest.raises(RuntimeError, match=r"np\.add cannot take a tensor that requires grad"):
        b += w                              # an array cannot hold a graph


@pytest.mark.parametrize("f, method", [(np.exp, "exp"), (np.log, "log"), (np.sqrt, "sqrt"),
                                       (np.tanh, "tanh"), (np.abs, "abs"), (np.negative, "__neg__")])
def test_a_numpy_ufunc_with_an_op_records_it_on_a_tensor_that_requires_grad(f, method):
    # np.exp(t) is t.exp(): the ops' backward methods, written with NumPy, then run on Tensors
    w = mg.Tensor([0.5, 2.0], requires_grad=True, dtype=np.float64)
    out = f(w)
    assert isinstance(out, mg.Tensor) and out.requires_grad
    out.sum().backward()
    same = mg.Tensor(w.data, requires_grad=True)
    getattr(same, method)().sum().backward()
    np.testing.assert_array_equal(out.data, getattr(same, method)().data)
    np.testing.assert_array_equal(w.grad, same.grad)
    assert not np.sign(w).requires_grad and np.sign(w).data.tolist() == [1.0, 1.0]  # derivative 0


def test_numpy_functions_with_an_op_record_it_on_a_tensor_that_requires_grad():
    w = mg.Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    cases = [(lambda t: np.where(np.array([True, False, True]), t, 0.0), lambda a: np.where([True, False, True], a, 0.0)),
             (lambda t: np.broadcast_to(t, (4, 2, 3)), lambda a: np.broadcast_to(a, (4, 2, 3))),
             (lambda t: np.expand_dims(t, 1), lambda a: np.expand_dims(a, 1)),
             (lambda t: np.swapaxes(t, 0, 1), lambda a: np.swapaxes(a, 0, 1)),
             (lambda t: np.moveaxis(t, -1, 0), lambda a: np.moveaxis(a, -1, 0)),
             (lambda t: np.split(t, [1, 2], axis=1)[1], lambda a: np.split(a, [1, 2], axis=1)[1])]
    weights = np.random.default_rng(0).standard_normal((4, 2, 3))
    for on_tensor, on_array in cases:
        out = on_tensor(w)
        assert isinstance(out, mg.Tensor) and out.requires_grad
        np.testing.assert_array_equal(out.data, on_array(w.data))
        w.grad = None
        (out * weights[tuple(slice(0, n) for n in out.shape)] if out.ndim == 3 else out * np.ones(out.shape)).sum().backward()
        assert w.grad.shape == w.shape and np.isfinite(w.grad).all()
    w.grad = None
    np.broadcast_to(w, (4, 2, 3)).sum().backward()
    np.testing.assert_array_equal(w.grad, np.full((2, 3), 4.0))


def test_integer_tensor_cannot_require_grad():
    with pytest.raises(TypeError, match="floating-point"):
        mg.Tensor(np.arange(3), requires_grad=True)


def test_non_numeric_data_is_rejected():
    with pytest.raises(TypeError, match="numeric, got str"):
        mg.Tensor("abc")
    with pytest.raises(ValueError, match="numeric array-like of one shape, got list"):
        mg.Tensor([[1, 2], [3]])                # a bad shape: ValueError (DESIGN), as NumPy


def test_repr_is_readable():
    assert repr(mg.Tensor([1.0, 2.0])) == "Tensor([1., 2.])"
    t = mg.Tensor([1.0], requires_grad=True)
    assert "requires_grad=True" in repr(t)
    assert "op=Mul" in repr(t * 2)
    assert "float64" in repr(mg.Tensor(np.zeros(1)))


@pytest.mark.parametrize("make", [mg.zeros, mg.ones])
def test_constructors_accept_both_shape_forms(make):
    assert make(2, 3).shape == make((2, 3)).shape == (2, 3)
    assert make(2, dtype=np.float64).dtype == np.float64
    assert make(2, requires_grad=True).requires_grad


def test_randn_rng_convention():
    np.testing.assert_array_equal(mg.randn(4, rng=7).data, mg.randn(4, rng=7).data)
    assert not np.array_equal(mg.randn(4, rng=7).data, mg.randn(4, rng=8).data)
    gen = np.random.default_rng(0)
    np.testing.assert_array_equal(mg.randn(3, rng=gen).data,
                                  np.random.default_rng(0).standard_normal(3).astype(np.float32))
    with pytest.raises(TypeError, match="rng must be None, an int seed or a numpy.random.Generator"):
        mg.randn(3, rng="seed")


def test_arange():
    np.testing.assert_array_equal(mg.arange(1, 7, 2).data, [1, 3, 5])
    assert mg.arange(3, dtype=np.int64).dtype == np.int64


def test_comparisons_are_elementwise_and_hash_is_identity():
    a = mg.Tensor([1.0, 2.0])
    np.testing.assert_array_equal((a == mg.Tensor([1.0, 0.0])).data, [True, False])
    assert len({a, mg.Tensor([1.0, 2.0])}) == 2


# ---- the engine's classic cases -----------------------------------------

def test_reuse_accumulates():
    a = mg.Tensor(1.0, requires_grad=True)
    b = a + a
    c = b + b
    c.backward()
    assert a.grad == 4.0


def test_diamond():
    a = mg.Tensor(np.array(2.0), requires_grad=True)
    b = mg.Tensor(np.array(3.0), requires_grad=True)
    c, d = a + b, a * b
    y = (c + d) + (c * d)
    y.backward()
    # y = (a+b) + ab + (a+b)ab;  dy/da = 1 + b + (2ab + b²) = 1 + 3 + 21;  dy/db = 1 + a + (a² + 2ab)
    assert a.grad == pytest.approx(25.0)
    assert b.grad == pytest.approx(19.0)


def test_hundred_thousand_op_chain_has_no_recursion_error():
    x = mg.Tensor(np.array(1.0), requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    assert x.grad == 1.0


def test_accumulating_through_stack_and_sum_keeps_each_leaf_grad_its_own():
    # sum over the stacked axis hands both inputs views of one array; PyTorch 2.13 keeps those
    # views as the leaves' .grad, so a second backward (gradient accumulation) adds into both
    # and gives 3× the single gradient: x0.grad == [0, 3, 6] below
    w = np.arange(3.0)
    a, b = (mg.Tensor(np.ones(3), requires_grad=True) for _ in range(2))
    for _ in range(2):
        (mg.stack([a, b]).sum(axis=0) * w).sum().backward()
    np.testing.assert_array_equal(a.grad, 2 * w)
    np.testing.assert_array_equal(b.grad, 2 * w)
    assert not np.shares_memory(a.grad, b.grad)


def test_gradients_accumulate_across_backward_calls():
    x = mg.Tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad, [6, 6])
    x.zero_grad()
    assert x.grad is None


def test_second_backward_raises_unless_retained():
    x = mg.Tensor([1.0], requires_grad=True)
    y = (x * 2).exp().sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()
    z = (x * 2).exp().sum()
    x.zero_grad()
    z.backward(retain_graph=True)
    z.backward()
    np.testing.assert_allclose(x.grad, 4 * np.exp(2), rtol=1e-6)


def test_saved_arrays_are_released_after_backward_and_the_structure_stays():
    x = mg.Tensor([1.0], requires_grad=True)
    y = x.exp()
    node = y.grad_fn
    assert node.y is y.data and node.inputs == (x,)
    assert not y.data.flags.writeable          # saved for backward: read-only until released
    y.sum().backward()
    assert node.released and not hasattr(node, "y")
    assert node.inputs[0] is x and y.grad_fn is node  # the graph can still be drawn
    assert y.data.flags.writeable


def test_intermediates_keep_grad_only_when_retained():
    x = mg.Tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    k = x * 4
    k.retain_grad()
    (h + k * k).sum().backward()
    with pytest.warns(UserWarning, match=r"intermediate result \(made by Mul\).*retain_grad"):
        assert h.grad is None
    np.testing.assert_allclose(k.grad, 2 * k.data)


def test_reading_grad_warns_only_for_an_intermediate_that_did_not_retain_it():
    x = mg.Tensor([1.0, 2.0], requires_grad=True)
    h, k = x * 3, x * 4
    k.retain_grad()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert x.grad is None and k.grad is None        # a leaf, a retained intermediate
        assert mg.Tensor([1.0]).grad is None             # a constant
        h.grad = np.zeros(2)                             # set by hand: read back, no warning
        np.testing.assert_array_equal(h.grad, [0, 0])
    with pytest.warns(UserWarning, match="made by Mul"):
        assert (x * 2).grad is None                      # before backward, too


def test_float32_graph_gives_float32_grads():
    x = mg.Tensor([0.5, 1.5], requires_grad=True)
    ((x * 0.9 + 0.1).tanh() ** 2).mean().backward()
    assert x.grad.dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_gradient_of_a_0d_tensor_is_a_0d_array(dtype):
    # NumPy's arithmetic on 0-d arrays returns scalars (np.float64), not arrays.
    x = mg.Tensor(np.array(1.5, dtype=dtype), requires_grad=True)
    h = x * x
    h.retain_grad()
    (h * 3).backward()
    for t in (x, h):
        assert type(t.grad) is np.ndarray and t.grad.shape == () and t.grad.dtype == dtype
    (x * 2).backward()                                   # accumulating keeps it an array
    assert type(x.grad) is np.ndarray and x.grad == np.asarray(3 * 2 * 1.5 + 2, dtype=dtype)
    x.grad[...] = 0                                      # so it can be written like any .grad


def test_astype_to_float64_lifts_a_float32_graph_and_the_gradient_comes_back_float32():
    x = mg.Tensor([0.1, -2.5, 3.0], requires_grad=True)
    y = x.astype(np.float64)
    assert y.dtype == np.float64 and y.requires_grad
    np.testing.assert_array_equal(y.data, x.data.astype(np.float64))
    (y * y * y).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad, 3 * x.data.astype(np.float64) ** 2, rtol=1e-7)


def test_astype_gradients_match_pytorch():
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(0).uniform(-2, 2, (3, 4))
    x, tx = mg.Tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    h, th = x.astype(np.float32), tx.to(torch.float32)    # a rounding trip through float32
    y, ty = (h * h * 3).astype(np.float64), (th * th * 3).to(torch.float64)
    np.testing.assert_array_equal(y.data, ty.detach().numpy())
    u = np.random.default_rng(1).standard_normal((3, 4))
    y.backward(u)
    ty.backward(torch.tensor(u))
    assert x.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad, tx.grad.numpy())


def test_astype_float64_passes_gradcheck():
    x = mg.Tensor(np.random.default_rng(0).standard_normal(5), requires_grad=True)
    assert mg.gradcheck(lambda t: t.astype(np.float64).exp(), x)


@pytest.mark.parametrize("dtype", [np.int64, np.int32, bool])
def test_astype_to_integers_gives_a_constant(dtype):
    x = mg.Tensor([1.7, -2.2, 0.0], requires_grad=True)
    y = x.astype(dtype)
    assert y.dtype == dtype and not y.requires_grad and y.is_leaf
    np.testing.assert_array_equal(y.data, x.data.astype(dtype))
    assert x.astype(np.float32) is not x  # a new tensor, as NumPy's astype


def test_astype_refuses_what_a_tensor_cannot_hold():
    x = mg.Tensor([1.0])
    with pytest.raises(TypeError, match="complex"):
        x.astype(np.complex64)
    with pytest.raises(TypeError, match="not a NumPy dtype"):
        x.astype("float33")


def test_a_gradient_has_its_tensors_dtype_in_a_mixed_graph():
    # float64 data times float32 weights computes in float64 (NumPy's promotion), but each
    # .grad keeps the dtype of its own tensor, as in PyTorch: an optimizer's state and
    # update stay in the parameter's dtype.
    w = mg.Tensor([[0.5, -1.0], [2.0, 0.25]], requires_grad=True)          # float32
    b = mg.Tensor(np.array([0.1, 0.2]), requires_grad=True)                # float64
    X = np.random.default_rng(0).standard_normal((3, 2))                   # float64
    h = (mg.Tensor(X) @ w + b).tanh()
    h.retain_grad()
    (h * h).sum().backward()
    assert h.dtype == np.float64 and h.grad.dtype == np.float64
    assert w.grad.dtype == np.float32 and b.grad.dtype == np.float64
    hv = np.tanh(X @ w.data.astype(np.float64) + b.data)
    np.testing.assert_allclose(w.grad, X.T @ (2 * hv * (1 - hv ** 2)), rtol=1e-6)
    (w * np.array([2.0, 3.0])).sum().backward()                              # a second pass accumulates
    assert w.grad.dtype == np.float32


SCALAR_EXPRESSIONS = {
    "t * s": lambda t, s: t * s,
    "s * t": lambda t, s: s * t,
    "t + s": lambda t, s: t + s,
    "s - t": lambda t, s: s - t,
    "t / s": lambda t, s: t / s,
    "s / t": lambda t, s: s / t,
    "t ** s": lambda t, s: t ** s,
    "s ** t": lambda t, s: s ** t,
    "where(c, t, s)": lambda t, s: (mg.where if isinstance(t, mg.Tensor) else _torch_where)(
        np.array([True, False]), t, s),
}


def _torch_where(c, t, s):
    import torch
    return torch.where(torch.from_numpy(c), t, s)


@pytest.mark.parametrize("scalar", [np.float64(2.0), np.int64(2), np.float32(2.0)],
                         ids=["float64", "int64", "float32"])
@pytest.mark.parametrize("expr", list(SCALAR_EXPRESSIONS), ids=list(SCALAR_EXPRESSIONS))
def test_a_numpy_scalar_operand_keeps_the_graphs_dtype(expr, scalar):
    # `x / X.std()` or `t * np.sqrt(2)` hands an op a NumPy scalar. NumPy 2 lets it promote
    # float32 to float64 (a "strong" type, NEP 50), so a float32 graph would quietly turn
    # float64. PyTorch treats it like a Python number, which keeps the tensor's dtype.
    f = SCALAR_EXPRESSIONS[expr]
    for dtype in (np.float32, np.float64):
        x = mg.Tensor(np.array([0.5, 1.5], dtype=dtype), requires_grad=True)
        y = f(x, scalar)
        assert y.dtype == dtype, f"{expr} with {dtype.__name__} data"
        y.sum().backward()
        assert x.grad.dtype == dtype
        exact = f(mg.Tensor(np.array([0.5, 1.5], dtype=dtype)), scalar.item())
        np.testing.assert_array_equal(y.data, exact.data)   # the same numbers as a Python scalar


@pytest.mark.parametrize("scalar", [np.float64(2.0), np.int64(2)], ids=["float64", "int64"])
@pytest.mark.parametrize("expr", list(SCALAR_EXPRESSIONS), ids=list(SCALAR_EXPRESSIONS))
def test_numpy_scalar_operands_give_the_dtypes_pytorch_gives(expr, scalar):
    torch = pytest.importorskip("torch")
    f = SCALAR_EXPRESSIONS[expr]
    x = mg.Tensor(np.array([0.5, 1.5], dtype=np.float32))
    assert str(f(x, scalar).dtype) == str(f(torch.tensor([0.5, 1.5]), scalar).dtype).split(".")[1]


def test_a_comparison_with_a_numpy_scalar_is_made_in_the_tensors_dtype():
    x = mg.Tensor([0.1, 0.2])                      # float32: 0.1 is stored as 0.100000001…
    assert (x == np.float64(0.1)).data.tolist() == (x == 0.1).data.tolist() == [True, False]
    assert (x <= np.float64(0.1)).data.tolist() == [True, False]


def test_writing_into_a_saved_array_raises():
    x = mg.Tensor([0.5, 1.5], requires_grad=True)
    y = x.tanh()
    with pytest.raises(ValueError, match="read-only"):
        y.data[0] = 1.0
    y.sum().backward()
    y.data[0] = 1.0  # released: writable again


def test_writing_into_a_saved_output_raises_at_a_raw_write_or_at_backward():
    y = mg.Tensor([0.5, 1.5], requires_grad=True).exp()     # Exp reads its own output in backward
    with pytest.raises(ValueError, match="read-only"):
        y.data[0] = 1.0                                       # a raw write: refused at once
    with mg.no_grad():
        y[0] = 1.0                                            # through minigrad: counted
    with pytest.raises(RuntimeError, match=r"the Exp node saved as 'y' was changed in place"):
        y.sum().backward()
    z = mg.Tensor([0.5, 1.5], requires_grad=True).exp()
    z.sum().backward()
    z.data[0] = 1.0                                           # released: writable again


def test_a_float_tensor_as_an_index_is_refused_with_the_fix():
    x = mg.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(IndexError, match=r"integer or bool dtype, got float32.*dtype=np.int64"):
        x[mg.Tensor([0, 2])]                                      # Python lists become float32
    with pytest.raises(IndexError, match=r"mg.Tensor\(mask, dtype=bool\)"):
        x[mg.Tensor([True, False, True])]                         # so do lists of bools
    np.testing.assert_array_equal(x[mg.Tensor([True, False, True], dtype=bool)].data, [1.0, 3.0])
    np.testing.assert_array_equal(x[mg.Tensor([0, 2], dtype=np.int64)].data, [1.0, 3.0])
    np.testing.assert_array_equal(x[mg.Tensor(np.array([True, False, True]))].data, [1.0, 3.0])


def test_an_empty_list_index_picks_nothing_as_in_pytorch():
    x = mg.Tensor(np.ones((3, 2)), requires_grad=True)
    y = x[[]]
    assert y.shape == (0, 2)
    (y.sum() + x.sum()).backward()
    np.testing.assert_array_equal(x.grad, np.ones((3, 2)))


def test_transpose_explains_numpys_meaning_to_a_pytorch_user():
    x = mg.Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    with pytest.warns(UserWarning, match=r"transpose\(0, 1\) of a 2-D tensor leaves both axes.*"
                                         r"transpose\(1, 0\) or \.T"):
        assert x.transpose(0, 1).shape == (2, 3)       # NumPy's identity, not PyTorch's swap
    with pytest.warns(UserWarning, match=r"transpose\(-2, -1\) of a 2-D tensor .* PyTorch's transpose\(-2, -1\)"):
        assert x.transpose(-2, -1).shape == (2, 3)     # named as the user wrote it
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert x.transpose(1, 0).shape == x.T.shape == x.transpose().shape == (3, 2)
        assert mg.zeros(2, 3, 4).transpose(0, 1, 2).shape == (2, 3, 4)
    with pytest.raises(ValueError, match=r"PyTorch's transpose\(0, 2\) is transpose\(2, 1, 0\) here"):
        mg.zeros(2, 3, 4).transpose(0, 2)
    torch = pytest.importorskip("torch")
    assert mg.zeros(2, 3, 4).transpose(2, 1, 0).shape == tuple(torch.zeros(2, 3, 4).transpose(0, 2).shape)


def test_reshape_refuses_sizes_that_are_not_ints():
    with pytest.raises(TypeError, match=r"reshape: sizes must be ints, got \(2.9, 30\)"):
        mg.zeros(60).reshape(2.9, 30)
    with pytest.raises(ValueError, match=r"reshape: sizes must be -1 or >= 0, got \(-2, 3\)"):
        mg.zeros(6).reshape(-2, 3)
    assert mg.zeros(6).reshape(np.int64(2), -1).shape == (2, 3)


@pytest.mark.parametrize("make", [mg.zeros, mg.ones, mg.randn])
def test_constructors_check_sizes_as_reshape_does(make):
    with pytest.raises(TypeError, match=rf"{make.__name__}: sizes must be ints, got \(2.5, 3\)"):
        make(2.5, 3)
    with pytest.raises(TypeError, match="sizes must be ints"):
        make(True)
    with pytest.raises(ValueError, match=rf"{make.__name__}: sizes must be >= 0, got \(-1,\)"):
        make(-1)
    assert make((2, np.int64(3))).shape == make(2, 3).shape == (2, 3)


@pytest.mark.parametrize("op", ["exp", "tanh", "sqrt", "sigmoid", "softmax"])
def test_a_0d_output_saved_for_backward_is_never_silently_changed(op):
    expected = mg.Tensor(np.array(0.5), requires_grad=True)
    getattr(expected, op)().backward()
    x = mg.Tensor(np.array(0.5), requires_grad=True)
    y = getattr(x, op)()
    try:
        y.data += 1.0                  # refused (read-only), or y's own array: not what backward reads
    except ValueError as e:
        assert "read-only" in str(e)
    y.backward()
    np.testing.assert_array_equal(x.grad, expected.grad)
    with mg.no_grad():
        y += 1.0                       # released: the tensor's own array is writable again


def test_retained_grads_of_two_inputs_of_one_add_are_separate_arrays():
    x = mg.Tensor([1.0, 2.0], requires_grad=True)
    a, b = x * 1.0, x * 2.0
    a.retain_grad()
    b.retain_grad()
    (a + b).backward(np.ones(2, dtype=np.float32))
    assert not np.shares_memory(a.grad, b.grad)
    a.grad[...] = 5.0
    np.testing.assert_array_equal(b.grad, [1.0, 1.0])


def test_leaf_grad_is_not_shared_with_another_tensor():
    a = mg.Tensor([1.0, 2.0], requires_grad=True)
    b = mg.Tensor([1.0, 2.0], requires_grad=True)
    g = np.array([1.0, 1.0], dtype=np.float32)
    (a + b).backward(g)
    a.grad[0] = 100
    assert b.grad[0] == 1 and g[0] == 1


# ---- backward's arguments -----------------------------------------------

def test_backward_on_non_scalar_needs_grad_naming_shape():
    x = mg.Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        (x * 2).backward()


def test_backward_grad_of_wrong_shape():
    x = mg.Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ValueError, match=r"\(3,\).*\(2, 3\)"):
        (x * 2).backward(np.ones(3))


def test_backward_accepts_array_like_grad():
    x = mg.Tensor([1.0, 2.0], requires_grad=True)
    (x * 2).backward([1.0, 0.5])
    np.testing.assert_array_equal(x.grad, [2.0, 1.0])


@pytest.mark.parametrize("root", ["leaf", "retained intermediate"])
def test_grad_does_not_share_memory_with_the_array_given_to_backward(root):
    x = mg.Tensor([1.0, 2.0], requires_grad=True)
    y = x if root == "leaf" else x * 1.0
    if root != "leaf":
        y.retain_grad()
    upstream = np.ones(2, dtype=np.float32)
    y.backward(upstream)
    upstream[:] = 7.0  # the caller reuses its buffer
    np.testing.assert_array_equal(y.grad, [1.0, 1.0])
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])


def test_backward_without_requires_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        mg.Tensor([1.0]).sum().backward()


def test_deepcopy_of_a_leaf_copies_data_grad_and_flag():
    import copy
    x = mg.Tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    y = copy.deepcopy(x)
    assert y.requires_grad and y.is_leaf and y.dtype == np.float32
    assert not np.shares_memory(y.data, x.data) and not np.shares_memory(y.grad, x.grad)
    np.testing.assert_array_equal(y.grad, [2.0, 4.0])
    pair = copy.deepcopy([x, x])  # the memo keeps one tensor one tensor
    assert pair[0] is pair[1]


def test_deepcopy_keeps_the_class_of_a_parameter_and_of_a_subclass():
    import copy

    class Tagged(mg.Tensor):  # no __slots__: instances have a __dict__
        pass

    w = mg.nn.Parameter([1.0, 2.0])
    assert type(copy.deepcopy(w)) is mg.nn.Parameter
    t = Tagged([3.0])
    t.note = ["kept"]
    c = copy.deepcopy(t)
    assert type(c) is Tagged and c.note == ["kept"] and c.note is not t.note


def test_deepcopy_of_a_model_is_a_working_independent_model():
    import copy
    model = mg.nn.Sequential(mg.nn.Linear(3, 4, rng=0), mg.nn.ReLU(), mg.nn.Linear(4, 2, rng=1))
    best = copy.deepcopy(model)
    assert list(best.state_dict()) == list(model.state_dict())
    x = mg.Tensor(np.ones((2, 3), dtype=np.float32))
    np.testing.assert_array_equal(best(x).data, model(x).data)
    with mg.no_grad():
        model[0].weight -= 1.0
    assert not np.array_equal(best[0].weight.data, model[0].weight.data)
    best(x).sum().backward()
    assert best[0].weight.grad is not None and model[0].weight.grad is None


def test_deepcopy_of_an_intermediate_refuses_to_copy_its_graph():
    import copy
    x = mg.Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"intermediate result \(made by Mul\).*detach"):
        copy.deepcopy(x * 2)
    np.testing.assert_array_equal(copy.deepcopy((x * 2).detach()).data, [2.0, 4.0])


def test_detach_cuts_the_graph():
    x = mg.Tensor([2.0], requires_grad=True)
    y = x * x
    z = y.detach() * x
    z.sum().backward()
    np.testing.assert_array_equal(x.grad, [4.0])


# ---- in-place operators --------------------------------------------------

def test_hand_written_update_under_no_grad_moves_the_parameter_itself():
    model = mg.nn.Linear(2, 1, rng=0)
    w = model.weight
    before = w.data.copy()
    model(mg.ones(1, 2)).sum().backward()
    with mg.no_grad():
        w -= 0.1 * w.grad            # PyTorch's from-scratch SGD step
        w *= 2.0
        w += mg.Tensor(np.ones(2, dtype=np.float32))
        w /= 4
    assert w is model.weight and isinstance(w, mg.nn.Parameter) and w.dtype == np.float32
    np.testing.assert_allclose(model.weight.data, ((before - 0.1 * w.grad) * 2 + 1) / 4, rtol=1e-6)


def test_in_place_on_a_parameter_under_grad_mode_raises():
    w = mg.nn.Parameter([1.0, 2.0])
    for update in ("w -= 1.0", "w += 1.0", "w *= 2.0", "w /= 2.0"):
        with pytest.raises(RuntimeError, match="leaf tensor that requires grad.*no_grad"):
            exec(update, {"w": w})
    np.testing.assert_array_equal(w.data, [1.0, 2.0])


def test_in_place_on_an_intermediate_under_grad_mode_is_a_recorded_op():
    x = mg.Tensor([1.0, 2.0], requires_grad=True)
    h = first = x * x
    h += x                          # h = x² + x, a new node; `first` is untouched
    h *= 3.0
    assert h is not first
    np.testing.assert_array_equal(first.data, [1.0, 4.0])
    h.sum().backward()
    np.testing.assert_allclose(x.grad, 3 * (2 * x.data + 1))


def test_in_place_on_a_constant_under_grad_mode_changes_it_in_place():
    total = mg.zeros(2)
    alias = total
    total += mg.Tensor([1.0, 2.0])   # neither side requires grad: NumPy's semantics
    total *= 3.0
    assert total is alias
    np.testing.assert_array_equal(alias.data, [3.0, 6.0])
    w = mg.Tensor([1.0, 1.0], requires_grad=True)
    total += w                       # the right side requires grad: recorded, a new tensor
    assert total is not alias and total.requires_grad
    total.sum().backward()
    np.testing.assert_array_equal(w.grad, [1.0, 1.0])


def test_in_place_errors_name_the_shape_and_protect_saved_arrays():
    y = mg.Tensor([0.5, 1.0], requires_grad=True).tanh()   # tanh saves its output for backward
    with mg.no_grad():
        with pytest.raises(ValueError, match=r"in-place '\+=' on a tensor of shape \(2,\).*\(3,2\)"):
            _add_in_place(mg.Tensor([1.0, 2.0]), np.ones((3, 2)))
        _add_in_place(y, -1.0)                            # counted: backward refuses it
    with pytest.raises(RuntimeError, match="Tanh node saved as 'y' was changed in place"):
        y.sum().backward()


def _add_in_place(t, other):
    t += other
    return t


# ---- in-place changes after the forward pass: backward refuses stale values ----

def _mul_graph():
    w = mg.Tensor([1.0, 2.0], requires_grad=True)
    return w, (w * w).sum()          # Mul saves w.data for its backward


@pytest.mark.parametrize("change", [
    "w -= 1.0", "w *= 2.0", "w[0] = 5.0", "w[1:] += 1.0",
])
def test_backward_refuses_an_input_changed_in_place_after_the_forward(change):
    w, loss = _mul_graph()
    with mg.no_grad():
        exec(change, {"w": w})
    with pytest.raises(RuntimeError, match=r"shape \(2,\) that the Mul node saved as '[xy]' was changed in place"):
        loss.backward()
    assert w.grad is None


@pytest.mark.parametrize("change", ["view", "detach", "reshape"])
def test_backward_sees_a_change_made_through_shared_memory(change):
    w, loss = _mul_graph()
    with mg.no_grad():
        other = {"view": lambda: w[0:1], "detach": w.detach, "reshape": lambda: w.reshape(2, 1)}[change]()
        other *= 3.0                 # writes into w's memory
    assert w.data[0] == 3.0
    with pytest.raises(RuntimeError, match="Mul node.*changed in place"):
        loss.backward()


def test_backward_refuses_an_intermediate_changed_in_place():
    w = mg.Tensor([1.0, 2.0], requires_grad=True)
    h = w * 2.0
    loss = (h * h).sum()
    with mg.no_grad():
        h += 1.0                     # h.data is what the second Mul saved
    with pytest.raises(RuntimeError, match="changed in place"):
        loss.backward()


@pytest.mark.parametrize("change", ["step", "load_state_dict", "init"])
def test_backward_refuses_a_graph_whose_parameters_were_changed_since(change):
    model = mg.nn.Linear(3, 1, rng=0)
    opt = mg.optim.SGD(model.parameters(), lr=0.1)
    loss = model(mg.ones(2, 3)).sum()
    loss.backward(retain_graph=True)
    if change == "step":
        opt.step()
    elif change == "load_state_dict":
        model.load_state_dict(model.state_dict())
    else:
        mg.nn.init.zeros_(model.weight)
    with pytest.raises(RuntimeError, match="shape \\(1, 3\\) that the Linear node saved as 'w'"):
        loss.backward()


def test_a_refused_backward_changes_no_gradient():
    b = mg.Tensor([1.0, 2.0], requires_grad=True)
    w = mg.Tensor([3.0, 4.0], requires_grad=True)
    loss = (b * 2.0).sum() + (w * w).sum()   # b's branch gets its gradient before w's Mul is reached
    with mg.no_grad():
        w -= 1.0
    with pytest.raises(RuntimeError, match="Mul node"):
        loss.backward()
    assert b.grad is None and w.grad is None


def test_backward_sees_a_changed_constant_input():
    model = mg.nn.Linear(3, 1, rng=0)
    x = mg.Tensor(np.ones((2, 3)))  # data, not a parameter: Linear saves it for dL/dW
    loss = model(x).sum()
    with mg.no_grad():
        x *= 2.0
    with pytest.raises(RuntimeError, match="Linear node saved as 'x'"):
        loss.backward()


def test_a_change_that_backward_does_not_read_is_allowed():
    w = mg.Tensor([1.0, 2.0], requires_grad=True)
    loss = (w + 1.0).sum()          # Add saves nothing: dL/dw = 1 whatever w is
    with mg.no_grad():
        w -= 1.0
    loss.backward()
    np.testing.assert_array_equal(w.grad, [1.0, 1.0])


def test_in_place_checks_agree_with_pytorch():
    torch = pytest.importorskip("torch")
    graphs = {"mul": lambda w: w * w, "add": lambda w: w + 1.0, "tanh_of_sum": lambda w: (w + 1.0).tanh()}
    raised = {}
    for lib, make, grad_off in (("minigrad", mg.Tensor, mg.no_grad), ("torch", torch.tensor, torch.no_grad)):
        for op, graph in graphs.items():
            w = make([1.0, 2.0], requires_grad=True)
            y = graph(w)
            with grad_off():
                w -= 0.5
            try:
                y.sum().backward()
                raised[lib, op] = False
            except RuntimeError:
                raised[lib, op] = True
    # only Mul reads w in its backward; Add saves nothing and tanh saves its own output
    expected = {"mul": True, "add": False, "tanh_of_sum": False}
    assert {op: raised["minigrad", op] for op in graphs} == expected
    assert {op: raised["torch", op] for op in graphs} == expected


def test_changes_before_the_forward_or_after_backward_are_fine():
    w = mg.Tensor([1.0, 2.0], requires_grad=True)
    with mg.no_grad():
        w -= 1.0                     # before the graph: its values are the ones used
    loss = (w * w).sum()
    loss.backward(retain_graph=True)
    with mg.no_grad():
        other = mg.Tensor([3.0], requires_grad=True)
        other += 1.0                 # a tensor outside this graph
    loss.backward()                  # second pass, nothing of this graph changed
    np.testing.assert_array_equal(w.grad, 2 * (2 * np.array([0.0, 1.0])))
    with mg.no_grad():
        w -= 0.5                     # after backward: the usual update
    np.testing.assert_array_equal(w.data, [-0.5, 0.5])


def test_training_loop_is_not_refused():
    model = mg.nn.Sequential(mg.nn.Linear(3, 4, rng=0), mg.nn.Tanh(), mg.nn.Linear(4, 1, rng=1))
    opt = mg.optim.Adam(model.parameters(), lr=0.1)
    losses = []
    for _ in range(5):
        opt.zero_grad()
        loss = (model(mg.ones(2, 3)) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]


def test_item_assignment_writes_in_place_and_refuses_to_cut_the_graph():
    w = mg.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    data = w.data
    with mg.no_grad():
        w[0] = 5.0
        w[[1, 2]] = mg.Tensor([7.0, 8.0])
    assert w.data is data
    np.testing.assert_array_equal(w.data, [5.0, 7.0, 8.0])
    with pytest.raises(RuntimeError, match="item assignment into a tensor that requires grad"):
        w[0] = 1.0
    m = mg.zeros(3)
    with pytest.raises(RuntimeError, match="value that requires grad"):
        m[0] = w.sum()
    m[0] = w.sum().detach()          # a constant tensor takes plain values in grad mode
    np.testing.assert_array_equal(m.data, [20.0, 0.0, 0.0])
    with pytest.raises(ValueError, match=r"tensor of shape \(3,\)"):
        m[:] = np.ones(2)
    np.testing.assert_array_equal(w.data, [5.0, 7.0, 8.0])


# ---- modes ---------------------------------------------------------------

def test_no_grad_and_enable_grad_as_context_and_decorator():
    x = mg.Tensor([1.0], requires_grad=True)
    with mg.no_grad():
        assert not (x * 2).requires_grad
        with mg.enable_grad():
            assert (x * 2).requires_grad
    assert (x * 2).requires_grad

    @mg.no_grad()
    def f(t):
        return t * 2

    assert not f(x).requires_grad
    assert mg.is_grad_enabled()


def test_no_grad_restores_mode_after_exception():
    with pytest.raises(KeyError):
        with mg.no_grad():
            raise KeyError
    assert mg.is_grad_enabled()


def test_modes_are_per_thread_as_in_pytorch():
    # Another thread's no_grad must not silently cut ops out of this thread's graph.
    import threading

    w = mg.Tensor([1.0], requires_grad=True)
    inside, done = threading.Event(), threading.Event()

    def evaluate():
        with mg.no_grad(), mg.detect_anomaly():
            inside.set()
            done.wait(10)

    other = threading.Thread(target=evaluate)
    other.start()
    try:
        assert inside.wait(10)
        y = w * 2
        assert y.requires_grad and mg.is_grad_enabled()
        assert not mg.grad_mode.GradMode.anomaly
    finally:
        done.set()
        other.join()
    seen = []
    with mg.no_grad():  # a new thread starts recording, whatever this thread does
        fresh = threading.Thread(target=lambda: seen.append((mg.is_grad_enabled(), (w * 2).requires_grad)))
        fresh.start()
        fresh.join()
    assert seen == [(True, True)]


def test_detect_anomaly_names_the_op():
    x = mg.Tensor(np.array([-1.0, 1.0]), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with mg.detect_anomaly():
            with pytest.raises(FloatingPointError, match="Sqrt"):
                x.sqrt()
        y = mg.Tensor(np.array([0.0, 1.0]), requires_grad=True)
        out = y.sqrt().sum()  # fine forward, inf gradient at 0
        with mg.detect_anomaly():
            with pytest.raises(FloatingPointError,
                               match=r"Sqrt produced non-finite values \(inf\) in its backward, in the "
                                     r"gradient of its input 0$"):
                out.backward()
    assert not mg.grad_mode.GradMode.anomaly


def test_detect_anomaly_raises_instead_of_numpy_warning():
    x = mg.Tensor(np.array([0.0, 1.0]), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)   # a NumPy warning would fail here first
        with mg.detect_anomaly():
            with pytest.raises(FloatingPointError, match="Log"):
                x.log()
    with pytest.warns(RuntimeWarning, match="divide by zero"):   # outside, NumPy warns as usual
        x.log()


# ---- gradcheck -----------------------------------------------------------

def test_gradcheck_reports_input_index_and_values():
    class BadExp(mg.Function):
        def forward(self, x):
            self.y = np.exp(x)
            return self.y

        def backward(self, g):
            return 2 * g * self.y  # wrong by a factor 2

    x = mg.Tensor(np.array([0.1, 0.2]), requires_grad=True)
    w = mg.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    with pytest.raises(mg.GradcheckError, match=r"input 1 .*index \(\d,\).*analytic.*numeric"):
        mg.gradcheck(lambda a, b: a * BadExp.apply(b), x, w)


def test_gradcheck_message_shows_plain_numbers():
    x = mg.Tensor(np.array([2.0]), requires_grad=True)
    with pytest.raises(mg.GradcheckError) as info:
        mg.gradcheck(lambda t: t.detach() * t, x, seed=1)   # misses the detached factor's share
    assert re.search(r"analytic -?\d\.\d+ vs numeric -?\d\.\d+ \(", str(info.value)), str(info.value)


def test_gradcheck_fails_where_the_derivative_is_undefined():
    # NaN never compares as close: a checker that only tests `err > 0` passes these
    for fn, at in ((lambda t: t.log(), [1.0, 0.0]), (lambda t: t.sqrt(), [0.0, 4.0])):
        x = mg.Tensor(np.array(at), requires_grad=True)
        with np.errstate(all="ignore"), pytest.raises(mg.GradcheckError, match="vs numeric nan"):
            mg.gradcheck(fn, x)


@pytest.mark.parametrize("kwargs, words", [(dict(eps=0), "eps must be a finite number > 0, got 0"),
                                           (dict(atol=-1e-5), "atol must be a finite number >= 0"),
                                           (dict(rtol=float("nan")), "rtol must be a finite number >= 0")])
def test_gradcheck_rejects_bad_tolerances(kwargs, words):
    x = mg.Tensor(np.array([1.0]), requires_grad=True)
    with pytest.raises(ValueError, match=re.escape(words)):
        mg.gradcheck(lambda t: t * t, x, **kwargs)


def test_gradcheck_warns_on_float32():
    x = mg.Tensor([0.5], requires_grad=True)
    with pytest.warns(UserWarning, match="float64"):
        mg.gradcheck(lambda t: t * 2, x, atol=1e-2, rtol=1e-2, eps=1e-3)


def test_gradcheck_failure_on_float32_says_so_in_its_message():
    # a right derivative fails in float32 (rounding swamps the differences): the error itself
    # must say why, not only a warning that scrolled by
    x = mg.Tensor([1.0, -2.0], requires_grad=True)
    with pytest.warns(UserWarning), pytest.raises(mg.GradcheckError, match=r"input 0 is float32.*float64"):
        mg.gradcheck(lambda t: t * t * t, x)
    with pytest.raises(mg.GradcheckError) as e:                        # float64: no such note
        mg.gradcheck(lambda t: mg.Tensor(t.data) * t, mg.Tensor(np.array([1.0, 2.0]), requires_grad=True))
    assert "float32" not in str(e.value)


def test_gradcheck_restores_existing_grads():
    x = mg.Tensor(np.array([0.5]), requires_grad=True)
    x.grad = np.array([7.0])
    mg.gradcheck(lambda t: t * t, x)
    assert x.grad[0] == 7.0


def test_gradcheck_checks_an_intermediate_input_by_its_values(monkeypatch):
    # backward() keeps no .grad on an intermediate: read as zeros, a right op "failed"
    a = mg.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    b = a.exp()                             # saved read-only by Exp
    assert mg.gradcheck(lambda t: (t * t).tanh(), b)
    assert a.grad is None                   # the check does not reach through b into a
    np.testing.assert_array_equal(b.data, np.exp([1.0, 2.0]))
    monkeypatch.setattr(mg.ops.Tanh, "backward", lambda self, g: g * self.y)  # wrong
    with pytest.raises(mg.GradcheckError, match="analytic"):
        mg.gradcheck(lambda t: (t * t).tanh(), b)


def test_a_function_written_or_called_the_pytorch_way_is_explained():
    with pytest.raises(TypeError, match=r"Sin\.forward.*staticmethod.*def forward\(self, x\)"):
        class Sin(mg.Function):
            @staticmethod
            def forward(ctx, x):
                return np.sin(x)

    class Cos(mg.Function):
        def forward(self, x):
            self.x = x
            return np.cos(x)

        def backward(self, g):
            return -g * np.sin(self.x)

    x = mg.Tensor(np.array([0.5]), requires_grad=True)
    with pytest.raises(TypeError, match=r"Cos\.apply\(x\)"):
        Cos()(x)
    assert mg.gradcheck(lambda t: Cos.apply(t), x)


class _SumAll(mg.Function):
    def forward(self, x):
        return x.sum(keepdims=True)


class _WrongShape(_SumAll):
    def backward(self, g):
        return np.ones(3)          # the input has shape (2,)


class _ScalarGrad(_SumAll):
    def backward(self, g):
        return g.sum()             # shape (): does not fit (2,)


class _TooFew(mg.Function):
    def forward(self, x, y):
        return x * y

    def backward(self, g):
        return (g,)                # one gradient for two inputs


@pytest.mark.parametrize("op, n_inputs, message", [
    (_WrongShape, 1, r"_WrongShape.backward returned a gradient of shape \(3,\) for an input of shape \(2,\)"),
    (_ScalarGrad, 1, r"_ScalarGrad.backward returned a gradient of shape \(\) for an input of shape \(2,\)"),
    (_TooFew, 2, r"_TooFew.backward returned 1 gradients? for 2 inputs"),
])
def test_a_user_op_with_wrong_gradients_raises_instead_of_filling_grad(op, n_inputs, message):
    inputs = [mg.Tensor([1.0, 2.0], requires_grad=True) for _ in range(n_inputs)]
    with pytest.raises(RuntimeError, match=message):
        op.apply(*inputs).sum().backward()
    assert all(x.grad is None for x in inputs)


def test_a_user_op_may_return_a_broadcast_shaped_gradient():
    class Spread(mg.Function):
        def forward(self, x):
            return x * np.ones((3, 2))

        def backward(self, g):
            return g               # shape (3, 2): summed back to the input's (2,)

    x = mg.Tensor([1.0, 2.0], requires_grad=True)
    Spread.apply(x).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])


def test_new_op_via_function_subclass():
    class Cube(mg.Function):
        """y = x³.   dL/dx = 3x² g."""

        def forward(self, x):
            self.x = x
            return x ** 3

        def backward(self, g):
            return 3 * self.x ** 2 * g

    x = mg.Tensor(np.array([1.0, -2.0]), requires_grad=True)
    assert mg.gradcheck(Cube.apply, x)


# ---------------------------------------------------------------- the graph

def test_a_result_holds_its_node_and_the_node_its_inputs():
    x = mg.Tensor([1.0, 2.0], requires_grad=True)
    c = mg.Tensor([3.0, 4.0])                 # a constant: no gradient, not linked
    y = x * c
    z = y.exp()
    assert x.grad_fn is None and x.is_leaf and not z.is_leaf
    assert type(z.grad_fn).__name__ == "Exp" and z.grad_fn.inputs == (y,)
    assert y.grad_fn.inputs[0] is x and y.grad_fn.inputs[1] is None
    assert y.grad_fn.needs_input_grad == (True, False)
    assert mg.function.toposort(z.grad_fn) == [y.grad_fn, z.grad_fn]


def test_toposort_lists_each_node_once_after_its_inputs():
    x = mg.Tensor([1.0], requires_grad=True)
    a = x * 2.0
    b, c = a.exp(), a.tanh()               # a diamond: a is used twice
    d = b + c
    order = mg.function.toposort(d.grad_fn)
    assert len(order) == len(set(order)) == 4
    position = {node: i for i, node in enumerate(order)}
    for node in order:
        for t in node.inputs:
            if t is not None and t.grad_fn is not None:
                assert position[t.grad_fn] < position[node]


def test_a_dropped_branch_is_freed_with_everything_it_saved():
    """The issue's leak: ops on a long-lived intermediate, dropped without backward."""
    import tracemalloc
    w = mg.Tensor(np.ones(100_000), requires_grad=True)
    feat = w * 2.0
    for _ in range(3):
        out = (feat * 3.0).sum()   # warm-up
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        for _ in range(30):
            out = (feat * 3.0).sum()   # dropped, no backward
        del out
        grown = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    assert grown < 100_000, f"memory grew by {grown} bytes over 30 dropped branches"  # was 0.8 MB each
    assert w.data.flags.writeable is False      # feat's own node (Mul by 2.0) still saves w ...
    del feat
    assert w.data.flags.writeable               # ... until it is dropped too: w is writable again


def test_a_dropped_node_gives_the_memory_it_locked_back():
    x = mg.Tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    assert not x.data.flags.writeable
    del y
    x.data[0] = 5.0                              # no live graph saved it: a plain write
    assert not mg.memory_guard.is_protected(x.data)


def test_the_manual_sgd_step_after_backward_works():
    w = mg.Tensor([1.0, -2.0], requires_grad=True)
    for _ in range(3):
        loss = (w * w).sum()
        loss.backward()
        w.data -= 0.25 * w.grad                  # the step students write first
        w.grad = None
    np.testing.assert_allclose(w.data, [0.125, -0.25])


@pytest.mark.parametrize("write", [
    "x.data[...] = 9.0", "x.numpy()[...] = 9.0", "np.copyto(x.data, 9.0)",
    "x.detach().data[...] = 9.0", "x.data *= 2.0",
])
@pytest.mark.parametrize("op", ["mul", "div", "pow", "log", "abs", "matmul", "linear", "bce"])
def test_a_raw_write_into_a_saved_array_raises_at_the_write(op, write):
    """Writes straight into NumPy memory between forward and backward are refused."""
    import minigrad.nn.functional as F
    x = mg.Tensor(np.array([[0.5, 1.5]]), requires_grad=True)
    w = mg.Tensor(np.array([[2.0, -1.0]]), requires_grad=True)
    loss = {"mul": lambda: x * w, "div": lambda: x / w, "pow": lambda: x ** w, "log": lambda: x.log(),
            "abs": lambda: x.abs(), "matmul": lambda: x @ w.T, "linear": lambda: F.linear(x, w),
            "bce": lambda: F.binary_cross_entropy_with_logits(x, mg.Tensor(np.array([[1.0, 0.0]])))}[op]()
    if op == "abs":  # Abs saves sign(x), not x: the write cannot change its gradient, so it is allowed
        exec(write, {"x": x, "np": np})
        loss.sum().backward()
        np.testing.assert_array_equal(x.grad, [[1.0, 1.0]])
        return
    with pytest.raises(ValueError, match="read-only"):
        exec(write, {"x": x, "np": np})
    loss.sum().backward()
    exec(write, {"x": x, "np": np})              # released: the user's array is writable again


def test_a_write_into_a_users_own_array_is_refused_until_the_graph_is_released():
    a = np.array([1.0, 2.0])
    x = mg.Tensor([3.0, 4.0], requires_grad=True)
    loss = (x * a).sum()                          # Mul saves the user's array a
    with pytest.raises(ValueError, match="read-only"):
        a[0] = 7.0
    loss.backward()
    a[0] = 7.0
    np.testing.assert_array_equal(x.grad, [1.0, 2.0])


def test_a_change_through_minigrad_while_a_graph_lives_makes_backward_raise():
    model = mg.nn.Linear(2, 1, rng=0)
    opt = mg.optim.SGD(model.parameters(), lr=0.1)
    x = mg.Tensor([[1.0, 2.0]])
    loss = model(x).sum()
    loss.backward(retain_graph=True)
    opt.step()                                   # allowed: the optimizer writes through minigrad ...
    with pytest.raises(RuntimeError, match="Linear node saved as '.*' was changed in place"):
        loss.backward()                          # ... and the stale graph is refused


def test_a_custom_backward_returning_one_array_twice_gives_each_leaf_its_own_grad():
    class Both(mg.Function):
        def forward(self, a, b):
            return a + b

        def backward(self, g):
            shared = g * 1.0
            return shared, shared                # the same array for both inputs

    a = mg.Tensor([1.0, 2.0], requires_grad=True)
    b = mg.Tensor([3.0, 4.0], requires_grad=True)
    Both.apply(a, b).sum().backward()
    a.grad *= 0.5
    np.testing.assert_array_equal(a.grad, [0.5, 0.5])
    np.testing.assert_array_equal(b.grad, [1.0, 1.0])


def test_iterating_a_0d_tensor_raises_and_a_1d_one_gives_its_elements():
    loss = (mg.Tensor([1.0, 2.0], requires_grad=True) * 2.0).sum()
    with pytest.raises(TypeError, match="0-d tensor"):
        iter(loss)
    with pytest.raises(TypeError):
        sum(loss)
    x = mg.Tensor([1.0, 2.0], requires_grad=True)
    parts = list(x)
    assert [p.item() for p in parts] == [1.0, 2.0]
    sum(parts).backward()
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])


@pytest.mark.parametrize("decorator", ["no_grad", "enable_grad", "detect_anomaly"])
def test_a_decorated_recursive_function_restores_the_mode_on_every_call(decorator):
    from minigrad.grad_mode import GradMode
    switch = getattr(mg, decorator)
    before = (GradMode.enabled, GradMode.anomaly)

    @switch()
    def countdown(n):
        return 0 if n == 0 else 1 + countdown(n - 1)

    assert countdown(5) == 5
    assert countdown(3) == 3                    # a second run: no "Token has already been used"
    assert (GradMode.enabled, GradMode.anomaly) == before
    w = mg.Tensor([1.0], requires_grad=True)
    assert (w * 2).requires_grad


def test_no_grad_as_a_decorator_inside_enable_grad_and_back():
    w = mg.Tensor([1.0], requires_grad=True)

    @mg.no_grad()
    def evaluate(depth):
        if depth:
            with mg.enable_grad():
                assert (w * 2).requires_grad
            return evaluate(depth - 1)
        return w * 2

    assert not evaluate(3).requires_grad
    assert (w * 2).requires_grad


def test_a_deep_chain_is_built_walked_and_dropped_without_recursion():
    x = mg.Tensor([0.5], requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    assert x.grad[0] == 1.0
    z = x
    for _ in range(100_000):
        z = z * 1.0
    del z                                        # freed link by link, no RecursionError
    y = None
    assert x.data.flags.writeable


def test_an_intermediate_cannot_stop_requiring_grad():
    x = mg.Tensor([1.0, 2.0], requires_grad=True)
    y = x * 2.0
    with pytest.raises(RuntimeError, match="detach"):
        y.requires_grad_(False)
    # before: the plain assignment was taken, and y became a constant: x.grad [1, 1], not [19, 37]
    h = x * 3
    with pytest.raises(RuntimeError, match="only a leaf's flag can change"):
        h.requires_grad = False
    (h * h + x).sum().backward()
    np.testing.assert_array_equal(x.grad, [19, 37])
    assert y.requires_grad and not y.detach().requires_grad
    leaf = mg.Tensor([1.0])
    leaf.requires_grad = True                    # a leaf's flag may change both ways
    leaf.requires_grad = False
    assert not leaf.requires_grad


def test_python_numbers_keep_their_meaning_as_0d_arrays():
    """apply turns numbers into cached 0-d arrays of the tensor's dtype: the same results."""
    x = mg.Tensor(np.array([1.5, -2.0, 0.25], dtype=np.float32))
    for k in (0.9, 3, -0.0, 0.0, 1e-8, 2 ** 40, float("inf")):
        for a, b in ((x * k, x.data * k), (k - x, k - x.data), (x / 3, x.data / 3), (x ** 2, x.data ** 2)):
            assert a.dtype == np.float32
            np.testing.assert_array_equal(a.data, b)
            np.testing.assert_array_equal(np.signbit(a.data), np.signbit(b))  # -0.0 stays -0.0
    i = mg.Tensor(np.array([1, 2, 3]))
    assert (i + 1).dtype == np.int64 and (i * 0.5).dtype == np.float64  # NumPy's rules for ints
    np.testing.assert_array_equal((i * 0.5).data, [0.5, 1.0, 1.5])
    cached = (x * 0.9).grad_fn  # no graph: nothing recorded
    assert cached is None and not (x * 0.9).requires_grad


def test_the_default_upstream_one_is_never_shared_with_a_gradient():
    # backward() of a 0-d float loss starts from a cached read-only 1: every gradient that
    # a user can reach must be an array of its own, writable, and still 1 the next time
    x = mg.Tensor(2.0, requires_grad=True)
    x.backward()                       # a leaf root: its .grad is the upstream itself
    x.grad[...] = 5.0
    loss = (mg.Tensor([1.0, 2.0], requires_grad=True) * 2.0).sum()
    loss.retain_grad()
    loss.backward()                    # a retained root
    loss.grad[...] = 7.0

    class PassOn(mg.Function):
        def forward(self, a):
            return a.copy()

        def backward(self, g):
            return g                   # hands the upstream array on unchanged

    w = mg.Tensor(np.float32(3.0), requires_grad=True)
    PassOn.apply(w).backward()
    w.grad[...] = 9.0
    for root in (mg.Tensor(2.0, requires_grad=True), mg.Tensor(np.float32(1.0), requires_grad=True)):
        root.backward()
        assert root.grad == 1.0 and root.grad.flags.writeable
    assert (x.grad, loss.grad, w.grad) == (5.0, 7.0, 9.0)


@pytest.mark.parametrize("depth", [3, 2000])  # a short tape, and one long enough to pause the GC
def test_backward_leaves_the_garbage_collector_as_it_found_it(depth):
    for enabled in (True, False):
        (gc.enable if enabled else gc.disable)()
        try:
            x = mg.Tensor([0.5], requires_grad=True)
            y = x
            for _ in range(depth):
                y = y * 1.0
            y.sum().backward()
            assert gc.isenabled() is enabled and x.grad[0] == 1.0
        finally:
            gc.enable()


def test_memory_a_pickle_left_in_bytes_is_never_locked_and_unpickled_tensors_own_theirs():
    """NumPy unpickles (protocol ≤ 4) into the pickle's bytes: writable, but never writable
    again once made read-only. Such memory is not locked (its release would fail), and an
    unpickled Tensor copies it so that it stays guarded."""
    import pickle
    a = pickle.loads(pickle.dumps(np.ones(200), protocol=4))
    assert isinstance(a.base, bytes) and a.flags.writeable
    x = mg.Tensor(np.arange(200.0), requires_grad=True)
    loss = (x * a).sum()                        # Mul saves a: it cannot be locked
    loss.backward()                             # ... and its release does not fail
    np.testing.assert_array_equal(x.grad, np.ones(200))
    a[0] = 5.0                                  # still the user's writable array
    w = pickle.loads(pickle.dumps(mg.nn.Parameter(np.ones((20, 30))), protocol=4))
    assert not isinstance(w.data.base, bytes) and w.requires_grad
    y = (w * w).sum()
    with pytest.raises(ValueError, match="read-only"):
        w.data[0, 0] = 2.0                      # guarded like any other parameter
    y.backward()
    w.data[0, 0] = 2.0


# ---------------------------------------------------------------- pickling (issue 29)

@pytest.mark.parametrize("retain", [False, True], ids=["plain", "retain_grad"])
def test_pickling_an_intermediate_result_is_refused_as_deepcopy_is(retain):
    """Its pickle would carry copies of the graph and leaves: backward on the copy left x.grad None
    (and with retain_grad it failed with "cannot pickle weakref")."""
    import copy
    import pickle
    x = mg.Tensor([1.0, 2.0], requires_grad=True)
    y = x * 3.0
    if retain:
        y.retain_grad()
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        with pytest.raises(RuntimeError, match=r"pickling an intermediate result \(made by Mul\) would copy "
                                               r"its graph .* pickle t.detach\(\) for its values"):
            pickle.dumps(y, protocol=protocol)
    with pytest.raises(RuntimeError, match="deepcopy of an intermediate result"):
        copy.deepcopy(y)
    back = pickle.loads(pickle.dumps(y.detach()))  # what the message offers works
    np.testing.assert_array_equal(back.data, [3.0, 6.0])
    assert back.grad_fn is None and not back.requires_grad


@pytest.mark.parametrize("protocol", [0, 2, 5])
def test_pickling_a_leaf_keeps_data_grad_and_type(protocol):
    import pickle
    w = mg.nn.Parameter(np.arange(3.0))
    w.grad = np.ones(3)
    back = pickle.loads(pickle.dumps(w, protocol=protocol))
    assert type(back) is mg.nn.Parameter and back.requires_grad and back.grad_fn is None
    np.testing.assert_array_equal(back.data, w.data)
    np.testing.assert_array_equal(back.grad, w.grad)
    (back * back).sum().backward()  # a working leaf of its own
    np.testing.assert_array_equal(back.grad, 1 + 2 * np.arange(3.0))
    np.testing.assert_array_equal(w.grad, np.ones(3))


def test_pickling_a_subclass_keeps_its_attributes():
    import pickle

    class Tagged(mg.Tensor):
        pass

    t = Tagged([1.0])
    t.tag = "kept"
    globals()["Tagged"] = Tagged  # pickle finds classes by module-level name
    Tagged.__qualname__ = "Tagged"
    try:
        back = pickle.loads(pickle.dumps(t))
    finally:
        del globals()["Tagged"]
    assert type(back).__name__ == "Tagged" and back.tag == "kept"
    np.testing.assert_array_equal(back.data, [1.0])


# ---------------------------------------------------------------- found by an audit of the API

def test_np_broadcast_to_never_gives_another_shape_than_asked():
    # np.broadcast_shapes goes both ways: (3, 4) "to" (1, 4) gave (3, 4), and sums after it were wrong
    w = mg.Tensor(np.ones((3, 4)), requires_grad=True)
    with pytest.raises(ValueError, match=r"cannot broadcast a tensor of shape \(3, 4\) to shape \(1, 4\)"):
        np.broadcast_to(w, (1, 4))
    with pytest.raises(ValueError, match="cannot broadcast"):
        np.broadcast_to(mg.Tensor(np.ones(3), requires_grad=True), (2, 1))
    v = mg.Tensor(np.ones(1), requires_grad=True)
    out = np.broadcast_to(v, 3)                     # an int shape, as NumPy takes
    assert out.shape == (3,)
    out.sum().backward()
    np.testing.assert_array_equal(v.grad, [3.0])


def test_numpy_axis_functions_check_their_axes_as_numpy_does():
    w = mg.Tensor(np.ones((2, 3, 4)), requires_grad=True)
    with pytest.raises(np.exceptions.AxisError):
        np.moveaxis(w, 5, 0)                        # was taken as axis 5 % 3 = 2
    with pytest.raises(np.exceptions.AxisError):
        np.swapaxes(w, 0, 5)
    for source, destination in [(0, -1), ((0, 1), (1, 0)), ((0, 1), (-1, 0)), ((2, 0), (0, 1))]:
        assert np.moveaxis(w, source, destination).shape == np.moveaxis(w.data, source, destination).shape
    x = mg.Tensor(np.arange(6.0), requires_grad=True)
    parts = np.split(x, 3)                          # three equal pieces, as np.split(array, 3)
    assert [p.shape for p in parts] == [(2,), (2,), (2,)]
    (parts[0] * 1 + parts[2] * 2).sum().backward()
    np.testing.assert_array_equal(x.grad, [1, 1, 0, 0, 2, 2])
    with pytest.raises(ValueError, match="equal pieces"):
        np.split(x, 4)
    # counts NumPy takes too: 3.0, a 0-d array; an empty axis splits into empty pieces
    for count in (3.0, np.array(3), np.int64(3)):
        assert [p.data.tolist() for p in np.split(x, count)] == [a.tolist() for a in np.split(x.data, count)]
    empty = mg.Tensor(np.zeros((0, 3)), requires_grad=True)
    assert [p.shape for p in np.split(empty, 2)] == [(0, 3), (0, 3)]   # was: range() arg 3 must not be zero
    with pytest.raises(ValueError, match="into 2.5 equal pieces"):
        np.split(x, 2.5)
    assert np.transpose(x, 0).shape == (6,)         # one axis, bare, as NumPy takes it
    rows, = np.where(mg.Tensor([0.0, 2.0, 0.0, 1.0], requires_grad=True))   # np.nonzero
    np.testing.assert_array_equal(rows, [1, 3])
    flat = mg.concatenate([mg.ones((2, 2)), mg.zeros(3)], axis=None)      # NumPy flattens first
    np.testing.assert_array_equal(flat.data, [1, 1, 1, 1, 0, 0, 0])


def test_power_and_matmul_in_place_follow_the_other_in_place_operators():
    lin = mg.nn.Linear(2, 2, rng=0)
    before = lin.weight.data.copy()
    w = lin.weight
    with mg.no_grad():
        w **= 2                                     # in place: the parameter moves
    assert w is lin.weight
    np.testing.assert_allclose(lin.weight.data, before ** 2)
    w = lin.weight
    with pytest.raises(RuntimeError, match=r"'\*\*=' on a leaf tensor that requires grad"):
        w **= 2                                     # recording it would leave the parameter behind
    with pytest.raises(RuntimeError, match="'@=' on a leaf"):
        w @= mg.Tensor(np.eye(2, dtype=np.float32))
    a = mg.Tensor(np.eye(2) * 2)
    alias = a
    a @= mg.Tensor(np.ones((2, 2)))
    assert a is alias
    np.testing.assert_array_equal(alias.data, [[2, 2], [2, 2]])


def test_an_integer_tensor_made_to_require_grad_by_hand_is_refused_at_backward():
    i = mg.Tensor(np.array([1, 2, 3]))
    i.requires_grad = True                          # requires_grad_(True) refuses it; the attribute can't
    w = mg.Tensor([0.5, 0.5, 0.5], requires_grad=True)
    with pytest.raises(TypeError, match="only floating-point tensors can require grad"):
        (i * w).sum().backward()                    # its gradient was truncated to [0, 0, 0]


def test_grad_must_have_the_tensors_shape():
    v = mg.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"\.grad must have the tensor's shape \(3,\)"):
        v.grad = np.zeros((2, 3))                   # the next backward added to it, (2, 3) for good
    v.grad = np.zeros(3)
    v.grad = None


@pytest.mark.parametrize("data", [None, [1.0, None], "1.5", ["1", "2"]])
def test_tensor_refuses_what_is_not_numbers(data):
    with pytest.raises(TypeError, match="numeric"):
        mg.Tensor(data)                             # None was nan, "1.5" was 1.5


def test_constructors_refuse_dtypes_a_tensor_cannot_have():
    with pytest.raises(TypeError, match="float type"):
        mg.randn(5, rng=0, dtype=np.int64)          # was [0 0 0 0 0]
    with pytest.raises(TypeError, match="float type"):
        mg.randn(5, rng=0, dtype=bool)
    for make, dtype in [(mg.zeros, np.complex64), (mg.ones, "U3"), (mg.zeros, object)]:
        with pytest.raises(TypeError, match="must be numeric"):
            make(2, dtype=dtype)
    assert mg.zeros(2, dtype=np.int64).dtype == np.int64 and mg.ones(2, dtype=bool).dtype == bool


# ---------------------------------------------------------------- audit: views, comparisons, NumPy protocol

def test_op_assign_on_a_view_that_must_be_recorded_raises_instead_of_leaving_the_base_unchanged():
    """``v = h[:2]; v += 10`` rebound v to a new tensor: h kept [1, 2, 3] (PyTorch: [11, 12, 3])."""
    w = mg.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    h = w * 1
    for view in (h[:2], h.reshape(3, 1), h.detach()):
        with pytest.raises(RuntimeError, match=r"'\+=' on a view of another tensor .* h = h \+ delta"):
            view += mg.Tensor([10.0], requires_grad=True) if view.grad_fn is None else 10.0
    np.testing.assert_array_equal(h.data, [1.0, 2.0, 3.0])
    c = mg.Tensor([1.0, 2.0, 3.0])
    v = c[:2]
    v += 1.0                                   # nothing recorded: in place, through to c, as before
    np.testing.assert_array_equal(c.data, [2.0, 3.0, 3.0])
    y = w * 2
    y += 1.0                                   # not a view: recorded as a new tensor, as before
    assert type(y.grad_fn).__name__ == "Add"


@pytest.mark.parametrize("scalar", [np.float64(0.1), np.array(0.1)])
def test_a_comparison_is_the_same_with_the_numpy_scalar_on_either_side(scalar):
    t = mg.Tensor([0.1, 0.2])                 # float32
    for left, right in [(np.equal, np.equal), (np.less, np.greater), (np.less_equal, np.greater_equal)]:
        np.testing.assert_array_equal(left(scalar, t).data, right(t, scalar).data)
    assert (scalar == t).data.tolist() == [True, False]
    assert (t == 0.1).data.tolist() == [True, False]


def test_numpy_shape_functions_keep_the_gradient():
    rng = np.random.default_rng(0)
    x = mg.Tensor(rng.standard_normal((2, 1, 3)), requires_grad=True)
    w = rng.standard_normal(6)
    for f in (lambda t: np.squeeze(t), lambda t: np.squeeze(t, axis=1), lambda t: np.transpose(t),
              lambda t: np.transpose(t, (2, 0, 1)), lambda t: np.reshape(t, (3, 2)),
              lambda t: np.reshape(t, shape=6)):
        x.grad = None
        y = f(x)
        np.testing.assert_array_equal(y.data, f(x.data))
        (y.reshape(-1) * w).sum().backward()
        where = f(np.arange(6).reshape(2, 1, 3)).reshape(-1)   # the x element at each place of y
        expected = np.zeros(6)
        expected[where] = w
        np.testing.assert_array_equal(x.grad, expected.reshape(2, 1, 3))
    with pytest.raises(ValueError, match="only order='C'"):
        np.reshape(x, 6, order="F")


def test_numpy_functions_without_a_gradient_take_a_tensor_that_requires_grad():
    x = mg.Tensor([1.0, np.nan, np.inf], requires_grad=True)
    np.testing.assert_array_equal(np.isnan(x), [False, True, False])
    np.testing.assert_array_equal(np.isfinite(x), [True, False, False])
    np.testing.assert_array_equal(np.zeros_like(x), np.zeros(3, np.float32))
    assert np.full_like(x, 2.0).tolist() == [2.0, 2.0, 2.0]


def test_max_with_nan_sends_the_gradient_to_the_nans_without_a_warning():
    torch = pytest.importorskip("torch")
    data = np.array([[1.0, np.nan, 2.0, np.nan], [1.0, 3.0, 3.0, 0.0]])
    x = mg.Tensor(data, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x.max().backward()
    tx = torch.tensor(data, requires_grad=True)
    tx.max().backward()
    np.testing.assert_array_equal(x.grad, tx.grad.numpy())
    x.grad = None
    x.max(axis=1).sum().backward()
    np.testing.assert_array_equal(x.grad, [[0, 0.5, 0, 0.5], [0, 0.5, 0.5, 0]])


def test_an_empty_tensor_shows_its_shape():
    assert repr(mg.zeros(0, 3)) == "Tensor([], shape=(0, 3))"
    assert repr(mg.zeros(0)) == "Tensor([])"


@pytest.mark.parametrize("switch, flag, inside", [
    (mg.no_grad, "enabled", False), (mg.enable_grad, "enabled", True), (mg.detect_anomaly, "anomaly", True)])
def test_a_decorated_generator_is_switched_while_it_runs_and_only_then(switch, flag, inside):
    """ContextDecorator left the block before the generator's body ran: @no_grad did nothing there."""
    from minigrad.grad_mode import GradMode
    outside = not inside

    @switch()
    def gen():
        received = yield getattr(GradMode, flag)
        try:
            yield getattr(GradMode, flag), received
        except KeyError:
            yield "caught inside", getattr(GradMode, flag)
        return "done"

    setattr(GradMode, flag, outside)
    try:
        g = gen()
        assert next(g) is inside and getattr(GradMode, flag) is outside
        assert g.send("hello") == (inside, "hello") and getattr(GradMode, flag) is outside
        assert g.throw(KeyError("x")) == ("caught inside", inside)
        with pytest.raises(StopIteration) as stop:
            next(g)
        assert stop.value.value == "done" and getattr(GradMode, flag) is outside
    finally:
        setattr(GradMode, flag, flag == "enabled")


def test_no_grad_decorates_without_parentheses_and_a_switch_can_be_reentered():
    x = mg.Tensor([1.0], requires_grad=True)

    @mg.no_grad
    def double(t):
        return t * 2

    assert not double(x).requires_grad and mg.is_grad_enabled()
    with pytest.raises(TypeError, match=r"no_grad\(\) takes no arguments, got int"):
        mg.no_grad(3)
    for switch in (mg.no_grad(), mg.detect_anomaly()):
        before = (mg.is_grad_enabled(), mg.grad_mode.GradMode.anomaly, np.geterr())
        with switch:
            with switch:                               # NumPy's errstate token was used twice here
                pass
        assert (mg.is_grad_enabled(), mg.grad_mode.GradMode.anomaly, np.geterr()) == before


def test_a_0d_integer_tensor_is_an_index_as_in_numpy():
    x = mg.Tensor(np.arange(10.0), requires_grad=True)
    i, j = mg.Tensor(np.array(2)), mg.Tensor(np.array(5))
    np.testing.assert_array_equal(x[i:j].data, [2.0, 3.0, 4.0])
    assert list(range(j)) == [0, 1, 2, 3, 4]
    for bad in (mg.Tensor(np.array(2.0)), mg.Tensor(np.array([2]))):
        with pytest.raises(TypeError, match="only a 0-d integer tensor can be an index"):
            x[bad:5]
