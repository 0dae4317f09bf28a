"""Exercise tests for ``higher_order.hvp``: a Hessian-vector product from two calls of ``grad``.

The checks use closed-form Hessians (a quadratic form, Rosenbrock) and finite
differences of gradients; ``minigrad.grad`` and the ops are the solutions of the
exercises before this one. A test that sees the symptom of a catalogued mistake
(``minigrad.homework.catalogue``) fails with its hint.
"""

import numpy as np
import pytest

import minigrad as mg
from minigrad.higher_order import hvp
from minigrad.homework.catalogue import message as likely

hvp_ex = pytest.mark.exercise("higher_order.hvp")


@hvp_ex
def test_hvp_of_a_quadratic_form_is_the_matrix_times_v():
    a = np.array([[3.0, 1.0, 0.0], [1.0, 2.0, -1.0], [0.0, -1.0, 4.0]])
    w = mg.Tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
    f = (w * (w @ a)).sum() * 0.5                      # ½ wᵀAw: H = A
    v = np.array([1.0, 2.0, -3.0])
    (hv,) = hvp(f, w, v)
    assert np.any(hv.data), likely("hvp-no-create-graph") + " (H·v came out 0, where A·v is not)"
    np.testing.assert_allclose(hv.data, a @ v, rtol=1e-12,
                               err_msg="H·v of ½ wᵀAw is A·v: differentiate (g · v) by w, with g = grad(f, w, create_graph=True)")
    assert not hv.requires_grad and w.grad is None, "hvp returns constants and never touches .grad"


@hvp_ex
def test_hvp_can_be_called_again_on_the_same_output():
    w = mg.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    f = (w * w * w).sum()                              # H = diag(6w)
    first = hvp(f, w, np.array([1.0, 0.0]))[0].data
    try:                                               # as power iteration does: one output, many v
        second = hvp(f, w, np.array([0.0, 1.0]))[0].data
    except RuntimeError as e:
        pytest.fail(f"the second hvp on the same output raised ({e}); the second grad call must "
                    f"keep output's graph: retain_graph=True")
    np.testing.assert_allclose(np.array([first, second]), [[6.0, 0.0], [0.0, 12.0]], rtol=1e-12)
    f.backward()                                       # the output's graph is still whole
    np.testing.assert_allclose(w.grad, [3.0, 12.0], rtol=1e-12)


@hvp_ex
def test_hvp_on_rosenbrock_matches_the_hessian_by_hand():
    w0 = np.array([-1.2, 1.0])
    w = mg.Tensor(w0, requires_grad=True)
    f = (1 - w[0]) ** 2 + 100 * (w[1] - w[0] ** 2) ** 2
    hessian = np.array([[2 - 400 * (w0[1] - 3 * w0[0] ** 2), -400 * w0[0]], [-400 * w0[0], 200.0]])
    v = np.array([0.3, -0.7])
    (hv,) = hvp(f, w, v)
    np.testing.assert_allclose(hv.data, hessian @ v, rtol=1e-12)


@hvp_ex
def test_hvp_with_several_inputs_matches_finite_differences_of_gradients():
    rng = np.random.default_rng(0)
    x0, w0 = rng.standard_normal((4, 3)), rng.standard_normal((2, 3))
    vs = [rng.standard_normal((4, 3)), rng.standard_normal((2, 3))]

    def loss(x, w):
        return ((x @ w.T).tanh() ** 2).sum()

    x, w = mg.Tensor(x0, requires_grad=True), mg.Tensor(w0, requires_grad=True)
    hv = hvp(loss(x, w), [x, w], vs)
    assert isinstance(hv, tuple) and len(hv) == 2, "one product per input, as a tuple"
    eps = 1e-6

    def gradients(sign):
        xs = [mg.Tensor(a + sign * eps * v, requires_grad=True) for a, v in zip((x0, w0), vs)]
        return [g.data for g in mg.grad(loss(*xs), xs)]

    for h, p, m in zip(hv, gradients(1), gradients(-1)):
        np.testing.assert_allclose(h.data, (p - m) / (2 * eps), rtol=1e-5, atol=1e-7,
                                   err_msg="the blocks of H·v: every input's gradient dotted with its own vector")


@hvp_ex
def test_hvp_of_a_linear_function_is_zero():
    w = mg.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (hv,) = hvp((w * 3).sum(), w, np.array([1.0, 1.0]))
    np.testing.assert_array_equal(hv.data, [0.0, 0.0])


@hvp_ex
def test_hvp_refuses_vectors_that_do_not_fit():
    w = mg.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    with pytest.raises(ValueError, match=r"vector 0 has shape \(3,\) but input 0 has shape \(2,\)"):
        hvp((w * w).sum(), w, np.ones(3))
    with pytest.raises(ValueError, match="1 vectors for 2 inputs"):
        hvp((w * w).sum(), [w, w], [np.ones(2)])
