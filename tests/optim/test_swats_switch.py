"""SWATS' relative switch test, ``switch_rtol`` (issue 30 §2).

The paper's test |Λ̂ − γ| < ε (ε = 1e-9) never fires on digits; the relative
test |Λ̂ − γ| < switch_rtol · Λ̂ does. Here: the test itself against a NumPy
transcription of the paper's γ and Λ̂, its independence of Adam's ε, its
round trip through a state dict and a file, and the switch on digits.
"""

import math

import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F
from minigrad import datasets, nn, optim
from minigrad.nn import Parameter

BETA1, BETA2 = 0.9, 0.999


def _two_gammas(g1, g2, lr, eps=1e-9):
    """γ₁, γ₂ and Λ̂₂ of a 1-D SWATS run with gradients g1, g2 (the paper's formulas, in NumPy)."""
    m = a = lam = 0.0
    gammas = []
    for k, g in enumerate((g1, g2), start=1):
        m = BETA1 * m + (1 - BETA1) * g
        a = BETA2 * a + (1 - BETA2) * g * g
        p = -lr * math.sqrt(1 - BETA2 ** k) / (1 - BETA1 ** k) * m / (math.sqrt(a) + eps)
        gamma = p * p / (-p * g)                      # γ = (p·p) / (−p·g)
        lam = BETA2 * lam + (1 - BETA2) * gamma       # λ ← β2·λ + (1 − β2)·γ
        gammas.append(gamma)
    return gammas[0], gammas[1], lam / (1 - BETA2 ** 2)


def _run(gradients, **kwargs):
    """SWATS on one float64 coordinate, fed the given gradients."""
    w = Parameter(np.array([1.0]))
    opt = optim.SWATS([w], **kwargs)
    for g in gradients:
        w.grad = np.array([g])
        opt.step()
    return w, opt


def test_at_step_two_the_estimate_is_the_weighted_mean_of_the_first_two_gammas():
    gamma1, gamma2, rate = _two_gammas(1.0, 0.7, lr=0.01)
    assert rate == pytest.approx((BETA2 * gamma1 + gamma2) / (1 + BETA2), rel=1e-12)  # ≈ (γ₁ + γ₂)/2


@pytest.mark.parametrize("g2", [0.7, 1.3, 0.999])
def test_relative_test_switches_exactly_when_the_gap_is_below_rtol_times_the_estimate(g2):
    gamma1, gamma2, rate = _two_gammas(1.0, g2, lr=0.01)
    relative_gap = abs(rate - gamma2) / rate
    _, above = _run([1.0, g2], lr=0.01, switch_rtol=relative_gap * (1 + 1e-6))
    assert (above.phase, above.switch_step) == ("sgd", 2)
    assert above.sgd_lr == pytest.approx(rate, rel=1e-12)
    _, below = _run([1.0, g2], lr=0.01, switch_rtol=relative_gap * (1 - 1e-6))
    assert (below.phase, below.switch_step, below.sgd_lr) == ("adam", None, None)


def test_relative_test_does_not_look_at_eps():
    gradients = [1.0, 0.7, 0.7]
    # ε = 0: the paper's test |Λ̂ − γ| < 0 never holds; the relative one still does
    _, opt = _run(gradients, lr=0.01, eps=0.0, switch_rtol=0.5)
    assert opt.switch_step == 2
    # a huge ε would switch at once under the paper's test, not under a tight relative one
    _, paper = _run(gradients, lr=0.01, eps=1.0)
    _, relative = _run(gradients, lr=0.01, eps=1.0, switch_rtol=1e-12)
    assert paper.switch_step == 2 and relative.phase == "adam"


def test_relative_test_leaves_the_adam_phase_alone():
    """Until it switches, SWATS with switch_rtol takes exactly the steps of SWATS without it."""
    gradients = np.random.default_rng(0).normal(1.0, 0.5, size=40)
    w_paper, paper = _run(gradients, lr=0.01)
    w_never, never = _run(gradients, lr=0.01, switch_rtol=0.0)   # |Λ̂ − γ| < 0: never switches
    assert paper.phase == never.phase == "adam"
    np.testing.assert_array_equal(w_paper.data, w_never.data)
    assert never.lambda_ == paper.lambda_


def test_default_is_the_papers_absolute_test():
    w = Parameter(np.zeros(1))
    assert optim.SWATS([w]).switch_rtol is None
    # a constant gradient: γ is constant, Λ̂ = γ, both tests fire at k = 2
    _, paper = _run([0.5] * 3, lr=0.01)
    _, relative = _run([0.5] * 3, lr=0.01, switch_rtol=1e-3)
    assert paper.switch_step == relative.switch_step == 2


@pytest.mark.parametrize("value, error, message", [
    (-1e-3, ValueError, r"switch_rtol must be in \[0, inf\), got -0.001"),
    (float("nan"), ValueError, r"switch_rtol must be in \[0, inf\), got nan"),
    ("1e-3", TypeError, "switch_rtol must be a real number, got str"),
])
def test_bad_switch_rtol_raises(value, error, message):
    with pytest.raises(error, match=message):
        optim.SWATS([Parameter(np.zeros(1))], switch_rtol=value)


# ---------------------------------------------------------------- state dicts

def _quadratic_steps(w, opt, steps):
    """f = (x² + 20y²)/2: its gradient, set by hand, then a step."""
    for _ in range(steps):
        w.grad = np.array([1.0, 20.0]) * w.data
        opt.step()


def test_state_dict_round_trip_through_a_file_resumes_to_the_same_switch(tmp_path):
    w = Parameter(np.array([1.0, 1.0]))
    opt = optim.SWATS([w], lr=0.1, switch_rtol=1e-2)
    _quadratic_steps(w, opt, 300)
    assert opt.phase == "adam"                 # saved before the switch (which comes at step 683)
    saved = opt.state_dict()
    assert saved["switch_rtol"] == 1e-2
    path = tmp_path / "swats.npz"
    minigrad.save(saved, path)
    w2 = Parameter(w.data.copy())
    opt2 = optim.SWATS([w2], lr=0.1)           # built with the paper's test: the file says otherwise
    opt2.load_state_dict(minigrad.load(path))
    assert opt2.switch_rtol == 1e-2
    _quadratic_steps(w, opt, 700)
    _quadratic_steps(w2, opt2, 700)
    assert opt.switch_step == opt2.switch_step == 683
    assert opt.sgd_lr == opt2.sgd_lr
    np.testing.assert_array_equal(w.data, w2.data)


def test_state_dict_without_switch_rtol_loads_the_papers_test():
    saved = optim.SWATS([Parameter(np.zeros(1))]).state_dict()
    assert "switch_rtol" not in saved            # None is left out, as switch_step and sgd_lr are
    opt = optim.SWATS([Parameter(np.zeros(1))], switch_rtol=1e-3)
    opt.load_state_dict(saved)
    assert opt.switch_rtol is None


def test_load_rejects_a_bad_switch_rtol():
    saved = optim.SWATS([Parameter(np.zeros(1))], switch_rtol=1e-3).state_dict()
    saved["switch_rtol"] = np.array(-1.0)
    opt = optim.SWATS([Parameter(np.zeros(1))], switch_rtol=1e-3)
    with pytest.raises(ValueError, match=r"switch_rtol must be in \[0, inf\), got -1.0"):
        opt.load_state_dict(saved)
    assert opt.switch_rtol == 1e-3               # nothing loaded


# ---------------------------------------------------------------- digits

@pytest.fixture(scope="module")
def digits():
    return datasets.load("digits", rng=0)


def _train_on_digits(digits, seed, **kwargs):
    """MLP 64-64-10, mini-batch 32, SWATS at its default lr, 20 epochs (issue 30's setting)."""
    X, y, X_test, y_test = digits
    model = nn.Sequential(nn.Linear(64, 64, rng=seed), nn.ReLU(), nn.Linear(64, 10, rng=seed + 100))
    opt = optim.SWATS(model.parameters(), **kwargs)
    history = optim.train(model, F.cross_entropy, opt, X, y, regime="minibatch", batch_size=32,
                          epochs=20, rng=seed, validation=(X_test, y_test))
    return opt, history


def test_relative_test_switches_on_digits(digits):
    """Issue 30's setting. NOTE: the test fires when one noisy γ lands within 0.1% of Λ̂, about
    one step in 300 here, so the switch step is a random waiting time and a run may not switch
    in 900 steps (seed 1 of tutorial 07's initialisation does not); hence 2 of 3 seeds."""
    runs = [_train_on_digits(digits, seed, switch_rtol=1e-3) for seed in (0, 1, 2)]
    switched = [(opt, history) for opt, history in runs if opt.phase == "sgd"]
    assert len(switched) >= 2
    for opt, history in switched:
        assert 2 < opt.switch_step < len(history.step_loss)   # 45 updates an epoch, 900 in all
        assert 0.01 < opt.sgd_lr < 1                          # a usual SGD rate, not a degenerate one
        assert history.val_accuracy[-1] > 0.9                 # and it keeps learning after the switch


def test_papers_test_does_not_switch_on_digits(digits):
    opt, history = _train_on_digits(digits, 0)
    assert opt.phase == "adam" and opt.switch_step is None
