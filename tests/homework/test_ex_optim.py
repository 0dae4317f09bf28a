"""Exercise tests for optim: the mini-batch regime and the eight optimizers' updates.

Every optimizer runs 50 steps on a small quadratic whose gradient scale drops after step 5
(so AMSGrad's running maximum matters) and whose third coordinate never gets a gradient;
a second parameter gets a gradient only on even steps (its own t must not advance on the
others). Its trajectory must match a NumPy transcription of the docstring's Math block,
written out of place here, step by step (float64: rtol 1e-9). Gradients are set by hand
(``p.grad = ...``), so no engine exercise is involved. Hand-computed steps check the first
steps of each rule; where a catalogued mistake (``minigrad.homework.catalogue``) gives steps
of its own, a test that sees them fails with its hint.
"""

import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn, optim
from minigrad.homework.catalogue import message as likely
from minigrad.optim.adam import update_moments

A, B = np.array([1.0, 20.0, 0.0]), np.array([1.0, -2.0, 0.0])


def grad_w(theta, t):
    """g = s_t · (A ⊙ θ − B), with s_t = 10 for the first five steps, then 1."""
    return (10.0 if t <= 5 else 1.0) * (A * theta - B)


def grad_q(theta, t):
    """The second parameter: a gradient on even steps only."""
    return theta - 0.5 if t % 2 == 0 else None


# ---- the docstrings' rules, out of place ------------------------------------------------
# NOTE: each rule gives its exercise away, so a student copy withholds the bodies marked
# SPOILER (minigrad.homework); there the tests that compare with a rule fail with
# "withheld from the student copy", and the hand-computed steps below are the check.

def sgd(theta, g, s, lr=0.01):
    # BEGIN SPOILER optim.sgd_update
    return theta - lr * g
    # END SPOILER


def sgdm(theta, g, s, lr=0.01, momentum=0.9):
    # BEGIN SPOILER optim.sgdm_update
    s["v"] = momentum * s.get("v", 0.0) - lr * g
    return theta + s["v"]
    # END SPOILER


def adagrad(theta, g, s, lr=0.01, eps=1e-10):
    # BEGIN SPOILER optim.adagrad_update
    s["s"] = s.get("s", 0.0) + g * g
    return theta - lr * g / (np.sqrt(s["s"]) + eps)
    # END SPOILER


def rmsprop(theta, g, s, lr=0.001, alpha=0.9, eps=1e-8, init="first_grad"):
    # BEGIN SPOILER optim.rmsprop_update
    s["t"] = s.get("t", 0) + 1
    if s["t"] == 1 and init == "first_grad":
        s["v"] = g * g
    else:
        s["v"] = alpha * s.get("v", 0.0) + (1 - alpha) * g * g
    return theta - lr * g / (np.sqrt(s["v"]) + eps)
    # END SPOILER


def _moments(g, s, beta1, beta2):
    # BEGIN SPOILER optim.adam_moments
    s["t"] = s.get("t", 0) + 1
    s["m"] = beta1 * s.get("m", 0.0) + (1 - beta1) * g
    s["v"] = beta2 * s.get("v", 0.0) + (1 - beta2) * g * g
    return s["t"], s["m"], s["v"]
    # END SPOILER


def adam(theta, g, s, lr=0.001, betas=(0.9, 0.999), eps=1e-8):
    # BEGIN SPOILER optim.adam_update
    t, m, v = _moments(g, s, *betas)
    m_hat, v_hat = m / (1 - betas[0] ** t), v / (1 - betas[1] ** t)
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps)
    # END SPOILER


def amsgrad(theta, g, s, lr=0.001, betas=(0.9, 0.999), eps=1e-8):
    # BEGIN SPOILER optim.amsgrad_second_moment optim.adam_update
    t, m, v = _moments(g, s, *betas)
    s["v_max"] = np.maximum(s.get("v_max", 0.0), v)
    m_hat, v_hat = m / (1 - betas[0] ** t), s["v_max"] / (1 - betas[1] ** t)
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps)
    # END SPOILER


def rectifier(t, beta2):
    """ρ_t and, once ρ_t > 4, r_t of RAdam (Liu et al., Algorithm 2)."""
    # BEGIN SPOILER optim.radam_update
    rho_max = 2 / (1 - beta2) - 1
    rho_t = rho_max - 2 * t * beta2 ** t / (1 - beta2 ** t)
    if rho_t <= 4:
        return rho_t, None
    return rho_t, math.sqrt((rho_t - 4) * (rho_t - 2) * rho_max / ((rho_max - 4) * (rho_max - 2) * rho_t))
    # END SPOILER


def radam(theta, g, s, lr=0.001, betas=(0.9, 0.999), eps=1e-8, threshold=5):
    # BEGIN SPOILER optim.radam_update
    t, m, v = _moments(g, s, *betas)
    step = lr * m / (1 - betas[0] ** t)                        # η·m̂
    rho_t, r_t = rectifier(t, betas[1])
    if rho_t <= threshold:
        return theta - step
    return theta - r_t * step * math.sqrt(1 - betas[1] ** t) / (np.sqrt(v) + eps)
    # END SPOILER


def run_reference(rule, kwargs, steps, dtype=np.float64, weight_decay=0.0):
    w, q = np.array([1.5, 1.0, 0.3], dtype=dtype), np.array([2.0, -1.0], dtype=dtype)
    sw, sq, path = {}, {}, []
    for t in range(1, steps + 1):
        gw, gq = grad_w(w, t), grad_q(q, t)
        w = rule(w, gw + weight_decay * w, sw, **kwargs)
        if gq is not None:
            q = rule(q, gq + weight_decay * q, sq, **kwargs)
        path.append((w.copy(), q.copy()))
    return path


def run_minigrad(cls, kwargs, steps, dtype=np.float64, weight_decay=0.0):
    w = nn.Parameter(np.array([1.5, 1.0, 0.3], dtype=dtype))
    q = nn.Parameter(np.array([2.0, -1.0], dtype=dtype))
    opt = cls([w, q], weight_decay=weight_decay, **kwargs)
    path = []
    for t in range(1, steps + 1):
        w.grad = grad_w(w.data, t).astype(dtype)
        gq = grad_q(q.data, t)
        q.grad = None if gq is None else gq.astype(dtype)
        before = w.grad.copy()
        opt.step()
        assert np.array_equal(w.grad, before, equal_nan=True), likely("step-writes-grad")
        path.append((w.data.copy(), q.data.copy()))
    return path, opt, w, q


OPTIMIZERS = [  # exercise, class, kwargs (besides the defaults), reference rule
    ("optim.sgd_update", optim.SGD, dict(lr=0.02), sgd),
    ("optim.sgdm_update", optim.SGDM, dict(lr=0.01, momentum=0.8), sgdm),
    ("optim.adagrad_update", optim.Adagrad, dict(lr=0.1), adagrad),
    ("optim.rmsprop_update", optim.RMSProp, dict(lr=0.01, alpha=0.8), rmsprop),
    ("optim.rmsprop_update", optim.RMSProp, dict(lr=0.01, init="zeros"), rmsprop),
    ("optim.adam_update", optim.Adam, dict(lr=0.05, betas=(0.8, 0.99)), adam),
    ("optim.amsgrad_second_moment", optim.AMSGrad, dict(lr=0.05, betas=(0.8, 0.99)), amsgrad),
    ("optim.radam_update", optim.RAdam, dict(lr=0.05), radam),
    ("optim.radam_update", optim.RAdam, dict(lr=0.05, betas=(0.9, 0.99), threshold=4), radam),
]


def _params(rows):
    return [pytest.param(*row, marks=pytest.mark.exercise(row[0]),
                         id=f"{row[1].__name__}-{','.join(f'{k}={v}' for k, v in row[2].items())}")
            for row in rows]


@pytest.mark.parametrize("ex_id, cls, kwargs, rule", _params(OPTIMIZERS))
def test_fifty_steps_follow_the_docstring_rule(ex_id, cls, kwargs, rule):
    got, _, _, _ = run_minigrad(cls, kwargs, 50)
    want = run_reference(rule, kwargs, 50)
    for t, ((w, q), (w_ref, q_ref)) in enumerate(zip(got, want), start=1):
        np.testing.assert_allclose(w, w_ref, rtol=1e-9, atol=1e-10, err_msg=f"w after step {t}")
        np.testing.assert_allclose(q, q_ref, rtol=1e-9, atol=1e-10, err_msg=f"q after step {t}")


@pytest.mark.parametrize("ex_id, cls, kwargs, rule", _params(OPTIMIZERS))
def test_l2_weight_decay_reaches_the_rule(ex_id, cls, kwargs, rule):
    got, _, _, _ = run_minigrad(cls, kwargs, 20, weight_decay=0.1)
    want = run_reference(rule, kwargs, 20, weight_decay=0.1)
    np.testing.assert_allclose(got[-1][0], want[-1][0], rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(got[-1][1], want[-1][1], rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("ex_id, cls, kwargs, rule", _params(OPTIMIZERS))
def test_float32_parameters_stay_float32(ex_id, cls, kwargs, rule):
    got, opt, w, q = run_minigrad(cls, kwargs, 30, dtype=np.float32)
    assert w.data.dtype == np.float32 and q.data.dtype == np.float32
    for state in opt.state.values():
        for value in state.values():
            if isinstance(value, np.ndarray):
                assert value.dtype == np.float32
    want = run_reference(rule, kwargs, 30)
    np.testing.assert_allclose(got[-1][0], want[-1][0], rtol=1e-4, atol=2e-5)


# ---- answers written as the formula, temporaries and all -------------------------------

def _sgdm_out_of_place(self, theta, g, state, group):
    # BEGIN SPOILER optim.sgdm_update
    state["v"] = group["momentum"] * state["v"] - group["lr"] * g
    theta += state["v"]
    # END SPOILER


def _adam_out_of_place(self, theta, g, state, group):
    # BEGIN SPOILER optim.adam_moments optim.adam_update
    beta1, beta2 = group["betas"]
    lr, eps = group["lr"], group["eps"]
    state["t"] += 1
    t = state["t"]
    state["m"] = beta1 * state["m"] + (1 - beta1) * g
    state["v"] = beta2 * state["v"] + (1 - beta2) * g ** 2
    m_hat = state["m"] / (1 - beta1 ** t)
    v_hat = state["v"] / (1 - beta2 ** t)
    theta -= lr * m_hat / (np.sqrt(v_hat) + eps)
    # END SPOILER


@pytest.mark.parametrize("foreach", [False, True], ids=["alone", "joined"])
@pytest.mark.parametrize("cls, answer, kwargs, rule", [
    (optim.SGDM, _sgdm_out_of_place, dict(lr=0.01, momentum=0.8), sgdm),
    (optim.Adam, _adam_out_of_place, dict(lr=0.05, betas=(0.8, 0.99)), adam),
], ids=["SGDM", "Adam"])
def test_an_answer_written_as_the_formula_passes(monkeypatch, cls, answer, kwargs, rule, foreach):
    """A student's answer that builds new state arrays and temporaries is graded like the solution,
    also when the group's parameters are stepped joined (foreach)."""
    monkeypatch.setattr(cls, "_update", answer)
    for steps, wd in ((50, 0.0), (20, 0.1)):
        got, _, _, _ = run_minigrad(cls, {**kwargs, "foreach": foreach}, steps, weight_decay=wd)
        want = run_reference(rule, kwargs, steps, weight_decay=wd)
        np.testing.assert_allclose(got[-1][0], want[-1][0], rtol=1e-9, atol=1e-10)
        np.testing.assert_allclose(got[-1][1], want[-1][1], rtol=1e-9, atol=1e-10)


# ---- hand-computed steps ------------------------------------------------------------

def one_param(cls, values, **kwargs):
    w = nn.Parameter(np.array(values, dtype=np.float64))
    return w, cls([w], **kwargs)


def step_with(opt, w, g):
    w.grad = np.array(g, dtype=w.data.dtype)
    opt.step()
    return w.data.copy()


def expect(got, want, what, mistakes=()):
    """Pass if ``got`` ≈ ``want``; else fail with the hint of the catalogued mistake whose result
    ``got`` matches (``mistakes``: pairs of what that mistake gives and its slug), if any."""
    got = np.asarray(got, dtype=np.float64)
    if got.shape == np.shape(want) and np.allclose(got, want, rtol=1e-6, atol=1e-12):
        return
    for symptom, slug in mistakes:
        if got.shape == np.shape(symptom) and np.allclose(got, symptom, rtol=1e-6, atol=1e-12):
            pytest.fail(likely(slug))
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-12, err_msg=what)


@pytest.mark.exercise("optim.sgd_update")
def test_sgd_steps_against_the_gradient():
    w, opt = one_param(optim.SGD, [1.0, -2.0], lr=0.1)
    expect(step_with(opt, w, [2.0, -4.0]), [0.8, -1.6], "θ − η·g", [([1.2, -2.4], "sgd-uphill")])
    np.testing.assert_allclose(step_with(opt, w, [0.0, 10.0]), [0.8, -2.6])


@pytest.mark.exercise("optim.sgd_update")
def test_sgd_step_leaves_p_grad_alone():
    w, opt = one_param(optim.SGD, [1.0, -2.0], lr=0.1)
    w.grad = g = np.array([2.0, -4.0])
    opt.step()
    assert w.grad is g and np.array_equal(g, [2.0, -4.0]), likely("step-writes-grad")
    np.testing.assert_allclose(w.data, [0.8, -1.6])


@pytest.mark.exercise("optim.sgdm_update")
def test_sgdm_velocity_remembers_past_steps():
    w, opt = one_param(optim.SGDM, [1.0], lr=0.1, momentum=0.5)
    expect(step_with(opt, w, [1.0]), [0.9], "v = −0.1", [([1.1], "sgdm-uphill")])
    expect(step_with(opt, w, [1.0]), [0.75], "v = 0.5·(−0.1) − 0.1",
           [([0.85], "sgdm-momentum-sign"), ([0.8], "sgdm-velocity-forgotten")])
    np.testing.assert_allclose(opt.state[w]["v"], [-0.15])
    np.testing.assert_allclose(step_with(opt, w, [0.0]), [0.675])     # coasting: v = −0.075


@pytest.mark.exercise("optim.sgdm_update")
def test_sgdm_keeps_float32_and_each_coordinate_its_own_velocity():
    w = nn.Parameter(np.array([1.0, -1.0], dtype=np.float32))
    opt = optim.SGDM([w], lr=0.5, momentum=0.5)
    step_with(opt, w, [1.0, -2.0])             # v = −0.5·g = (−0.5, 1):         θ = (0.5, 0)
    got = step_with(opt, w, [0.0, 2.0])        # v = 0.5·v − 0.5·g = (−0.25, −0.5): θ = (0.25, −0.5)
    assert w.data.dtype == np.float32 and opt.state[w]["v"].dtype == np.float32, \
        f"float32 stays float32: θ is {w.data.dtype}, v is {opt.state[w]['v'].dtype}"
    np.testing.assert_allclose(got, [0.25, -0.5], rtol=1e-6)
    np.testing.assert_allclose(opt.state[w]["v"], [-0.25, -0.5], rtol=1e-6)


@pytest.mark.exercise("optim.adagrad_update")
def test_adagrad_first_step_is_lr_times_sign_then_shrinks():
    w, opt = one_param(optim.Adagrad, [0.0, 0.0, 0.0], lr=0.5)
    np.testing.assert_allclose(step_with(opt, w, [4.0, -0.001, 0.0]), [-0.5, 0.5, 0.0], rtol=1e-6)
    expect(step_with(opt, w, [3.0, 0.0, 0.0]), [-0.5 - 0.5 * 3 / 5, 0.5, 0.0], "s = 4² + 3²",
           [([-1.0, 0.5, 0.0], "adagrad-no-sum")])


@pytest.mark.exercise("optim.adagrad_update")
def test_adagrad_first_step_is_lr_times_sign_at_any_scale():
    w, opt = one_param(optim.Adagrad, [0.0], lr=0.5)            # ε = 1e-10, √ε = 1e-5
    g = 1e-6
    expect(step_with(opt, w, [g]), [-0.5 * g / (g + 1e-10)], "η·g / (|g| + ε) ≈ η·sign(g)",
           [([-0.5 * g / math.sqrt(g * g + 1e-10)], "adagrad-eps-inside-root")])


def rmsprop_two_steps(v1, v2, lr=0.1):
    """θ after steps with g = 2, then g = 1, from θ = 0, if v took the values v1 and v2."""
    first = -lr * 2 / (math.sqrt(v1) + 1e-8)
    return [first, first - lr * 1 / (math.sqrt(v2) + 1e-8)]


@pytest.mark.exercise("optim.rmsprop_update")
def test_rmsprop_first_grad_start_versus_zeros_start():
    # α = 0.9: the moving average from 0 gives v = 0.4, then 0.9·0.4 + 0.1·1 = 0.46; from g₁² = 4, 3.7
    for init, want, mistakes in (
            ("first_grad", rmsprop_two_steps(4, 3.7), [(rmsprop_two_steps(0.4, 0.46), "rmsprop-started-at-zero"),
                                                       (rmsprop_two_steps(0.4, 1.0), "rmsprop-t-off-by-one")]),
            ("zeros", rmsprop_two_steps(0.4, 0.46), [(rmsprop_two_steps(4, 3.7), "rmsprop-ignores-init")])):
        w, opt = one_param(optim.RMSProp, [0.0], lr=0.1, alpha=0.9, init=init)
        got = [step_with(opt, w, [2.0])[0], step_with(opt, w, [1.0])[0]]
        expect(got, want, f"two steps with init={init!r}", mistakes)


@pytest.mark.exercise("optim.rmsprop_update")
def test_rmsprop_counts_its_steps_even_when_the_first_gradients_are_zero():
    w, opt = one_param(optim.RMSProp, [0.0], lr=0.1, alpha=0.9)
    step_with(opt, w, [0.0])                       # t = 1: v = 0² = 0, no step
    step_with(opt, w, [0.0])                       # t = 2: v = 0.9·0 + 0.1·0² = 0, no step
    got = step_with(opt, w, [1.0])                 # t = 3: v = 0.9·0 + 0.1·1² = 0.1
    assert opt.state[w]["t"] == 3, likely("rmsprop-first-step-by-v") + f" (state['t'] is {opt.state[w]['t']} after 3 steps)"
    expect(got, [-0.1 / (math.sqrt(0.1) + 1e-8)], "the third step averages, whatever v was",
           [([-0.1 / (1 + 1e-8)], "rmsprop-first-step-by-v")])      # v ← g² = 1 because v was 0


@pytest.mark.exercise("optim.adam_update")
def test_adam_first_step_is_lr_times_sign_and_t_counts_steps():
    w, opt = one_param(optim.Adam, [1.0, -2.0, 0.0], lr=0.1)
    g = np.array([2.0, -4e-3, 0.0])
    with np.errstate(divide="ignore", invalid="ignore"):
        first = step_with(opt, w, g)
    if not np.isfinite(first).all():
        pytest.fail(likely("adam-t-off-by-one") + " (the first step divided by 1 − β^0 = 0)")
    m, v = 0.1 * g, 0.001 * g * g                               # the moments after one step
    shifted = [([1.0, -2.0, 0.0] - 0.1 * m / (1 - 0.9 ** a) / (np.sqrt(v / (1 - 0.999 ** b)) + 1e-8),
                "adam-t-off-by-one") for a, b in ((2, 1), (1, 2), (2, 2))]   # β^(t+1) in a correction
    expect(first, [0.9, -1.9, 0.0], "the first step is η·g/(|g| + ε) ≈ η·sign(g)",
           [([1.0, -2.0, 0.0] - 0.1 * m / (np.sqrt(v) + 1e-8), "adam-no-bias-correction")] + shifted)
    step_with(opt, w, g)
    assert opt.state[w]["t"] == 2, likely("adam-t-off-by-one") + f" (t = {opt.state[w]['t']} after two steps)"


class QuadrupledV(optim.Adam):
    """Adam dividing by √(4v̂): a subclass that changes only the second moment, as AMSGrad does."""

    def _second_moment(self, state):
        return 4 * state["v"]


@pytest.mark.exercise("optim.adam_update")
def test_adam_reads_the_second_moment_through_its_hook():
    w, opt = one_param(QuadrupledV, [1.0], lr=0.1)
    expect(step_with(opt, w, [2.0]), [0.95], "√(4·v̂) = 2|g| halves the first step",
           [([0.9], "adam-ignores-second-moment")])


@pytest.mark.exercise("optim.amsgrad_second_moment")
def test_amsgrad_divides_by_the_largest_second_moment_seen():
    w, opt = one_param(optim.AMSGrad, [1.0, 1.0], lr=0.1)
    try:
        first = step_with(opt, w, [10.0, 0.1])
    except (ValueError, TypeError) as e:    # max(a, b) of two arrays; np.max(a, b) reads b as an axis
        if "truth value" in str(e) or "scalar index" in str(e):
            pytest.fail(likely("amsgrad-max-not-elementwise") + f" ({e})")
        raise
    state = opt.state[w]
    if not np.any(state.get("v_max", 0.0)):
        if np.all(np.abs(first - 1.0) > 1.0):   # Adam's first step is η = 0.1; η·m̂/ε is 1e8
            pytest.fail(likely("amsgrad-max-is-minimum") + f" (θ went from 1 to {first.tolist()})")
        pytest.fail(likely("amsgrad-max-not-kept"))
    if np.shape(state["v_max"]) != np.shape(state["v"]):
        pytest.fail(likely("amsgrad-max-not-elementwise") + f" (v_max has shape {np.shape(state['v_max'])})")
    for g in ([0.0, 0.0], [0.0, 0.0]):
        step_with(opt, w, g)
    # v = β2²·(1 − β2)·g₁² after two zero gradients; v_max keeps the first (1 − β2)·g₁²
    np.testing.assert_allclose(state["v"], [0.999 ** 2 * 0.001 * 100, 0.999 ** 2 * 0.001 * 0.01], rtol=1e-12)
    np.testing.assert_allclose(state["v_max"], [0.1, 1e-5], rtol=1e-12)
    out = opt._second_moment({"v": np.array([1.0, 5.0]), "v_max": np.array([3.0, 2.0])})
    np.testing.assert_array_equal(out, [3.0, 5.0], err_msg="the maximum is taken coordinate by coordinate")


@pytest.mark.exercise("optim.amsgrad_second_moment")
def test_amsgrad_maximum_rises_with_v_and_stays_when_v_falls():
    # η = 0.1, defaults β = (0.9, 0.999), θ₀ = 0, gradients 1, 10, 0:
    #   v     = 0.001, 0.100999, 0.100898001     (falls at t = 3)
    #   v_max = 0.001, 0.100999, 0.100999        (rose with v, then stays)
    #   m̂ = 1, 1.09/0.19 = 5.736842, 0.981/0.271 = 3.619926
    #   √v̂ = √v_max/√(1 − β2^t) = 1, 0.317803/0.044710 = 7.108077, 0.317803/0.054745 = 5.805172
    #   θ −= η·m̂/(√v̂ + ε): −0.1, −0.180709, −0.243066 (Adam's own v at t = 3 would give −0.243097)
    w, opt = one_param(optim.AMSGrad, [0.0], lr=0.1)
    got = [step_with(opt, w, [g])[0] for g in (1.0, 10.0, 0.0)]
    expect(got, [-0.09999999900000002, -0.18070877416770886, -0.24306568941087492],
           "three AMSGrad steps, the last divided by the kept maximum")
    np.testing.assert_allclose(opt.state[w]["v_max"], [0.100999], rtol=1e-12)


# RAdam's ρ_t and r_t for β2 = 0.999, from the docstring's formulas, computed once:
#   ρ∞ = 2/(1 − 0.999) − 1 = 1999;  ρ_t = ρ∞ − 2t·0.999^t/(1 − 0.999^t):  ρ_5 = 4.995998,  ρ_6 = 5.994164
#   r_t = √[(ρ_t − 4)(ρ_t − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρ_t)]:  r_5 = √(0.995998·2.995998·1999 / (1995·1997·4.995998))
R5, R6 = 0.017311503166315034, 0.02582111280185855
C5, C6 = 0.0706400027958733, 0.07736291091347328     # √(1 − 0.999^t) for t = 5 and 6


@pytest.mark.exercise("optim.radam_update")
def test_radam_takes_momentum_steps_until_rho_passes_the_threshold():
    w, opt = one_param(optim.RAdam, [1.0], lr=0.1)
    for _ in range(5):                       # ρ_t = 1, 2, 3, 4, 4.996: steps η·m̂ = η·g
        step_with(opt, w, [1.0])
    np.testing.assert_allclose(w.data, [0.5], rtol=1e-12)
    before = w.data.copy()
    step_with(opt, w, [1.0])                 # t = 6, ρ = 5.994 > 5: the first rectified step
    # m̂ = 1 and √v = √(1 − β2^t) under a constant g = 1: the step is η·r_6 (ε = 1e-8 aside)
    expect(before - w.data, [0.1 * R6 * C6 / (C6 + 1e-8)], "the first rectified step, η·r",
           [([0.1 * R6 / (C6 + 1e-8)], "radam-v-not-corrected")])


@pytest.mark.exercise("optim.radam_update")
def test_radam_early_steps_are_momentum_alone():
    w, opt = one_param(optim.RAdam, [1.0], lr=0.1)
    got = [step_with(opt, w, [2.0])[0] for _ in range(5)]   # ρ_t ≤ 5: steps η·m̂ = η·2
    # a rectified fifth step: m̂ = 2, √v = 2·√(1 − 0.999⁵), so η·r_5·m̂·√(1 − β2^5)/(√v + ε) ≈ η·r_5
    rectified_at_5 = 0.2 - 0.1 * R5 * 2 * C5 / (2 * C5 + 1e-8)
    expect(got, [1 - 0.2 * k for k in range(1, 6)], "five steps of η·m̂",
           [([1 - 0.1 * k * 2 / (2 + 1e-8) for k in range(1, 6)], "radam-early-adaptive"),
            ([0.8, 0.6, 0.4, 0.2, rectified_at_5], "radam-threshold-fixed")])


@pytest.mark.exercise("optim.radam_update")
def test_radam_with_threshold_4_rectifies_from_step_5():
    w, opt = one_param(optim.RAdam, [1.0], lr=0.1, threshold=4)
    got = [step_with(opt, w, [2.0])[0] for _ in range(5)]   # ρ_1..4 ≤ 4: η·m̂ = 0.2; ρ_5 = 4.996 > 4
    expect(got, [0.8, 0.6, 0.4, 0.2, 0.2 - 0.1 * R5 * 2 * C5 / (2 * C5 + 1e-8)],   # = 0.19826885
           "four momentum steps, then the rectified one", [([0.8, 0.6, 0.4, 0.2, 0.0], "radam-threshold-fixed")])


@pytest.mark.exercise("optim.radam_update")
def test_radam_adds_eps_to_the_uncorrected_root():
    # ε = 1 shows where ε sits. g = 1: m̂ = 1 and √v = √(1 − 0.999^t), so the first rectified
    # step (t = 6) is η·r_6·√(1 − β2^6)/(√(1 − β2^6) + ε) = 0.1·r_6·C6/(C6 + 1) = 0.000185415;
    # with ε on the corrected root it would be η·r_6·m̂/(√v̂ + ε) = 0.1·r_6/(1 + 1) = 0.00129106.
    w, opt = one_param(optim.RAdam, [0.0], lr=0.1, eps=1.0)
    got = [step_with(opt, w, [1.0])[0] for _ in range(6)]
    expect(got, [-0.1, -0.2, -0.3, -0.4, -0.5, -0.5 - 0.1 * R6 * C6 / (C6 + 1)],
           "five steps of η·m̂, then η·r_6·m̂·√(1 − β2^6)/(√v + ε)",
           [([-0.1, -0.2, -0.3, -0.4, -0.5, -0.5 - 0.1 * R6 / 2], "radam-eps-on-corrected-root"),
            ([-0.1, -0.2, -0.3, -0.4, -0.5, -0.5 - 0.1 * R6 / (C6 + 1)], "radam-v-not-corrected")])


@pytest.mark.exercise("optim.radam_update")
def test_radam_both_branches_with_changing_gradients():
    # β = (0.5, 0.8), threshold 4, η = 0.1, θ₀ = 0, gradients 1, −1, 2, 2, 4:
    #   m  = 0.5, −0.25, 0.875, 1.4375, 2.71875     m̂ = m/(1 − 0.5^t) = 1, −1/3, 1, 1.53333, 2.80645
    #   v  = 0.2, 0.36, 1.088, 1.6704, 4.53632      ρ∞ = 9, ρ_t = 1, 1.889, 2.705, 3.450, 4.126
    #   t = 1..4: θ −= η·m̂, so θ = −0.1, −0.066667, −0.166667, −0.32
    #   t = 5: r_5 = √(0.126130·2.126130·9/(5·7·4.126130)) = 0.129277,
    #          θ −= η·r_5·m̂·√(1 − 0.8⁵)/(√v + ε) = 0.1·0.129277·2.80645·0.819951/2.129864 = 0.0139674
    w, opt = one_param(optim.RAdam, [0.0], lr=0.1, betas=(0.5, 0.8), threshold=4)
    got = [step_with(opt, w, [g])[0] for g in (1.0, -1.0, 2.0, 2.0, 4.0)]
    expect(got, [-0.1, -0.1 + 0.1 / 3, -0.1 + 0.1 / 3 - 0.1, -0.32, -0.33396736070068084],
           "four momentum steps, then a rectified one")


# ---- Adam's moments, shared by Adam, AMSGrad, RAdam and SWATS -----------------------

@pytest.mark.exercise("optim.adam_moments")
def test_update_moments_are_two_moving_averages_in_place():
    m, v = np.zeros(3), np.zeros(3)
    m_id, v_id = id(m), id(v)
    g = np.array([1.0, -2.0, 0.0])
    update_moments(m, v, g, 0.9, 0.99)
    assert m.any() or v.any(), likely("moments-not-in-place")
    expect(m, [0.1, -0.2, 0.0], "m ← β1·m + (1 − β1)·g", [([0.9, -1.8, 0.0], "moments-weights-swapped")])
    expect(v, [0.01, 0.04, 0.0], "v ← β2·v + (1 − β2)·g²", [([0.99, 3.96, 0.0], "moments-weights-swapped")])
    update_moments(m, v, np.array([3.0, 0.0, 0.0]), 0.9, 0.99)
    np.testing.assert_allclose(m, [0.09 + 0.3, -0.18, 0.0])
    np.testing.assert_allclose(v, [0.0099 + 0.09, 0.0396, 0.0])
    assert (id(m), id(v)) == (m_id, v_id)
    np.testing.assert_array_equal(g, [1.0, -2.0, 0.0])      # g is never written


@pytest.mark.exercise("optim.adam_moments")
def test_update_moments_keep_float32():
    m, v = np.zeros(2, dtype=np.float32), np.zeros(2, dtype=np.float32)
    update_moments(m, v, np.array([1.0, 2.0], dtype=np.float32), 0.9, 0.999)
    assert m.dtype == v.dtype == np.float32
    np.testing.assert_allclose(v, [0.001, 0.004], rtol=1e-6)


@pytest.mark.exercise("optim.adam_moments")
def test_update_moments_over_many_steps_match_the_closed_form():
    m, v = np.zeros(1), np.zeros(1)
    for _ in range(30):                       # constant g: m = (1 − β1^t)·g, v = (1 − β2^t)·g²
        update_moments(m, v, np.array([2.0]), 0.9, 0.99)
    np.testing.assert_allclose(m, [(1 - 0.9 ** 30) * 2], rtol=1e-12)
    np.testing.assert_allclose(v, [(1 - 0.99 ** 30) * 4], rtol=1e-12)


# ---- SWATS ---------------------------------------------------------------------------

def swats_reference(thetas, grad, steps, lr=0.001, betas=(0.9, 0.999), eps=1e-9):
    """Keskar and Socher's Algorithm 1, as SWATS's docstring states it, for the parameters ``thetas``
    (each gets a gradient at every step); ``grad(thetas, step)`` gives their gradients."""
    # BEGIN SPOILER optim.adam_moments optim.swats_update
    beta1, beta2 = betas
    thetas = [np.array(theta, dtype=np.float64) for theta in thetas]
    m, a, v = [0.0] * len(thetas), [0.0] * len(thetas), None
    lam, phase, k, rate_at_switch, switch = 0.0, "adam", 0, None, None
    path = []
    for step in range(1, steps + 1):
        gs = grad(thetas, step)
        k += 1
        if phase == "sgd":
            v = [beta1 * vi + g for vi, g in zip(v, gs)]
            thetas = [theta - (1 - beta1) * rate_at_switch * vi for theta, vi in zip(thetas, v)]
        else:
            pp = pg = 0.0                                  # summed over all parameters
            for i, g in enumerate(gs):
                m[i] = beta1 * m[i] + (1 - beta1) * g
                a[i] = beta2 * a[i] + (1 - beta2) * g * g
                p = -lr * math.sqrt(1 - beta2 ** k) / (1 - beta1 ** k) * m[i] / (np.sqrt(a[i]) + eps)
                thetas[i] = thetas[i] + p
                pp, pg = pp + p @ p, pg + p @ g
            if pg != 0:
                gamma = pp / -pg
                lam = beta2 * lam + (1 - beta2) * gamma
                rate = lam / (1 - beta2 ** k)
                if k > 1 and rate > 0 and abs(rate - gamma) < eps:
                    phase, rate_at_switch, switch = "sgd", rate, k
                    v = [np.zeros_like(theta) for theta in thetas]
        path.append([theta.copy() for theta in thetas])
    return path, phase, switch, rate_at_switch
    # END SPOILER


def swats_run(grad, steps, starts, dtype=np.float64, **kwargs):
    """SWATS on one parameter per entry of ``starts``; the values of all of them after each step."""
    params = [nn.Parameter(np.array(start, dtype=dtype)) for start in starts]
    opt = optim.SWATS(params, **kwargs)
    path = []
    for step in range(1, steps + 1):
        for p, g in zip(params, grad([p.data for p in params], step)):
            p.grad = np.asarray(g, dtype=dtype)
        before = [p.grad.copy() for p in params]
        opt.step()
        assert all(np.array_equal(p.grad, b, equal_nan=True) for p, b in zip(params, before)), \
            likely("step-writes-grad")
        path.append([p.data.copy() for p in params])
    return path, opt


def constant(*gradients):
    """The gradient function of parameters whose gradients never change."""
    return lambda thetas, step: [np.array(g) for g in gradients]


SWATS_CASES = [  # id, gradient, starts (one per parameter), kwargs, switch expected
    ("adam-phase", lambda ths, t: [grad_w(ths[0], t)], [[1.5, 1.0, 0.3]], dict(lr=0.01), False),
    ("constant-gradient", constant([0.3, -0.7]), [[1.0, 1.0]], dict(lr=0.01), True),
    ("quadratic-small-lr", lambda ths, t: [np.array([1.0, 20.0]) * ths[0]], [[1.0, 1.0]],
     dict(lr=1e-4), True),
    ("two-parameters-constant", constant([0.3, -0.7], [2.0]), [[1.0, 1.0], [1.0]], dict(lr=0.01), True),
    ("two-parameters-quadratic", lambda ths, t: [np.array([1.0, 20.0]) * ths[0], 3 * ths[1]],
     [[1.0, 1.0], [0.5]], dict(lr=1e-4), True),
]


@pytest.mark.exercise("optim.swats_update")
@pytest.mark.parametrize("grad, starts, kwargs, switches", [c[1:] for c in SWATS_CASES],
                         ids=[c[0] for c in SWATS_CASES])
def test_swats_follows_algorithm_1(grad, starts, kwargs, switches):
    got, opt = swats_run(grad, 40, starts, **kwargs)
    want, phase, switch, rate = swats_reference(starts, grad, 40, **kwargs)
    assert (opt.phase, opt.switch_step) == (phase, switch)
    assert (phase == "sgd") == switches
    if switches:
        assert opt.sgd_lr == pytest.approx(rate, rel=1e-9)
    for t, (ws, ws_ref) in enumerate(zip(got, want), start=1):
        for i, (w, w_ref) in enumerate(zip(ws, ws_ref)):
            np.testing.assert_allclose(w, w_ref, rtol=1e-9, atol=1e-12, err_msg=f"parameter {i} after step {t}")


@pytest.mark.exercise("optim.swats_update")
def test_swats_switches_at_step_2_on_a_constant_gradient():
    c = np.array([0.3, -0.7])
    path, opt = swats_run(constant(c), 3, [[1.0, 1.0]], lr=0.01)
    m, a = 0.1 * c, 0.001 * c * c                          # the moments after one step
    expect(path[0][0] - 1.0, -0.01 * np.sign(c), "the first Adam-phase step is η·sign(g)",
           [(-0.01 * m / (np.sqrt(a) + 1e-9), "swats-no-bias-correction")])
    assert (opt.phase, opt.switch_step) == ("sgd", 2)
    assert opt.sgd_lr == pytest.approx(0.02, rel=1e-6)     # Λ = η·d/‖c‖₁
    # step 3, the first SGD step: v = β1·0 + c, θ ← θ − (1 − β1)·Λ·v
    expect(path[2][0] - path[1][0], -0.1 * 0.02 * c, "the first SGD-phase step",
           [(-0.02 * c, "swats-sgd-no-damping")])


@pytest.mark.exercise("optim.swats_update")
def test_swats_sums_the_switch_test_over_all_parameters():
    # Two parameters, constant gradients c1 = (0.3, −0.7) and c2 = (2): every Adam-phase step is
    # p = −η·sign(c), so p·p = η²·d and −p·g = η·‖c‖₁ over all d = 3 coordinates, and γ = η·d/‖c‖₁
    # = 0.01·3/3 = 0.01 at both steps: the test switches at k = 2 with Λ = 0.01.
    path, opt = swats_run(constant([0.3, -0.7], [2.0]), 3, [[1.0, 1.0], [1.0]], lr=0.01)
    assert (opt.phase, opt.switch_step) == ("sgd", 2), \
        f"expected the switch at step 2, got phase {opt.phase!r}, switch_step {opt.switch_step}"
    expect(opt.sgd_lr, 0.01, "Λ = η·d/‖c‖₁ over both parameters = 0.01·3/3",
           [(0.01 * 1 / 2.0, "swats-dots-not-summed"),        # the second parameter alone: 0.01·1/2
            (0.01 * 2 / 1.0, "swats-dots-not-summed")])       # the first alone: 0.01·2/1
    # step 3, the first SGD step: θ ← θ − (1 − β1)·Λ·c = θ − 0.1·0.01·c
    np.testing.assert_allclose(path[2][0] - path[1][0], [-0.0003, 0.0007], rtol=1e-6)
    np.testing.assert_allclose(path[2][1] - path[1][1], [-0.002], rtol=1e-6)


@pytest.mark.exercise("optim.swats_update")
def test_swats_adds_eps_to_the_uncorrected_root():
    # ε = 1 shows where ε sits. The first step with g = 1: m = 0.1, a = 0.001, so
    # p = −η·√(1 − β2)/(1 − β1)·m/(√a + ε) = −0.1·0.0316228/0.1·0.1/(0.0316228 + 1) = −0.00306534;
    # with ε on the corrected root, −η·m̂/(√â + ε) = −0.1·1/(1 + 1) = −0.05.
    path, opt = swats_run(constant([1.0]), 1, [[0.0]], lr=0.1, eps=1.0)
    expect(path[0][0], [-0.1 * math.sqrt(0.001) / (math.sqrt(0.001) + 1)], "p = −η·√(1 − β2)/(1 − β1)·m/(√a + ε)",
           [([-0.05], "swats-eps-on-corrected-root"),
            ([-0.1 * 0.1 / (math.sqrt(0.001) + 1)], "swats-no-bias-correction")])


@pytest.mark.exercise("optim.swats_update")
def test_swats_keeps_float32():
    got, opt = swats_run(constant([0.3, -0.7], [2.0]), 6, [[1.0, 1.0], [1.0]], dtype=np.float32, lr=0.01)
    assert all(w.dtype == np.float32 for w in got[-1])
    assert all(v.dtype == np.float32 for s in opt.state.values() for v in s.values()
               if isinstance(v, np.ndarray))


# ============================================================ optim.minibatches

MB = "optim.minibatches"


def _data(n=10):
    X = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    return X, np.arange(n)


@pytest.mark.exercise(MB)
def test_minibatches_in_order_without_shuffle():
    X, y = _data()
    batches = list(optim.minibatches(X, y, 4, shuffle=False))
    assert [yb.tolist() for _, yb in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    for xb, yb in batches:
        np.testing.assert_array_equal(xb, X[yb])          # rows stay with their labels
        assert xb.shape[1:] == (3,)


@pytest.mark.exercise(MB)
@pytest.mark.parametrize("n, size, drop_last, sizes", [
    (10, 4, False, [4, 4, 2]),
    (10, 4, True, [4, 4]),
    (12, 4, True, [4, 4, 4]),
    (10, 1, False, [1] * 10),
    (10, 10, False, [10]),
    (10, 64, False, [10]),          # larger than n: one batch of all n
    (10, 64, True, [10]),           # ... also with drop_last: an epoch always updates
])
def test_minibatch_sizes(n, size, drop_last, sizes):
    X, y = _data(n)
    batches = list(optim.minibatches(X, y, size, drop_last=drop_last, rng=0))
    got = [len(yb) for _, yb in batches]
    if not drop_last and got == sizes[:-1]:
        pytest.fail(likely("minibatches-last-batch-lost"))
    assert got == sizes
    seen = np.concatenate([yb for _, yb in batches])
    assert len(set(seen.tolist())) == len(seen)          # no example twice
    for xb, yb in batches:
        np.testing.assert_array_equal(xb, X[yb])


@pytest.mark.exercise(MB)
def test_minibatches_shuffle_every_example_once_reproducibly():
    X, y = _data(50)
    first = np.concatenate([yb for _, yb in optim.minibatches(X, y, 8, rng=3)])
    again = np.concatenate([yb for _, yb in optim.minibatches(X, y, 8, rng=3)])
    other = np.concatenate([yb for _, yb in optim.minibatches(X, y, 8, rng=4)])
    assert sorted(first.tolist()) == list(range(50))
    np.testing.assert_array_equal(first, again)          # same seed, same order
    assert not np.array_equal(first, other)
    assert not np.array_equal(first, np.arange(50))      # it did shuffle
    gen = np.random.default_rng(0)                        # one Generator: a new order per epoch
    e1 = np.concatenate([yb for _, yb in optim.minibatches(X, y, 8, rng=gen)])
    e2 = np.concatenate([yb for _, yb in optim.minibatches(X, y, 8, rng=gen)])
    assert not np.array_equal(e1, e2)


@pytest.mark.exercise(MB)
@pytest.mark.parametrize("size", [0, -1, 2.5, True, "4"])
def test_minibatches_refuse_a_bad_batch_size_at_the_call(size):
    X, y = _data()
    try:
        batches = optim.minibatches(X, y, size)            # raised at the call, before any iteration
    except ValueError as e:
        assert "batch_size" in str(e), f"the message must name batch_size, got {e}"
        return
    try:
        next(iter(batches))
    except ValueError:
        pytest.fail(likely("minibatches-checks-late"))
    pytest.fail(f"batch_size={size!r} must raise ValueError")


@pytest.mark.exercise(MB)
def test_minibatches_refuse_mismatched_or_empty_data():
    X, y = _data()
    with pytest.raises(ValueError) as info:
        optim.minibatches(X, y[:7], 4)
    assert "(10, 3)" in str(info.value) and "(7,)" in str(info.value)
    with pytest.raises(ValueError, match=r"no examples"):
        optim.minibatches(X[:0], y[:0], 4)


@pytest.mark.exercise(MB)
def test_minibatches_accept_lists_and_tensors():
    batches = list(optim.minibatches([[1.0], [2.0], [3.0]], [0, 1, 0], 2, shuffle=False))
    assert [yb.tolist() for _, yb in batches] == [[0, 1], [0]]
    X, y = _data(6)
    batches = list(optim.minibatches(mg.Tensor(X), y, 3, shuffle=False))
    np.testing.assert_array_equal(batches[1][0], X[3:])
