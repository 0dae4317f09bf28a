"""``optimizer.step(closure)``: PyTorch's form, where the closure computes the loss and its gradients."""

import numpy as np
import pytest

import minigrad as mg
from minigrad import optim

NAMES = ["SGD", "SGDM", "Adagrad", "RMSProp", "Adam", "AMSGrad", "SWATS", "RAdam"]


def _problem():
    w = mg.Tensor(np.array([1.0, -2.0, 0.5]), requires_grad=True)
    target = np.array([0.0, 1.0, 2.0])
    return w, lambda: ((w - target) ** 2).sum()


@pytest.mark.parametrize("name", NAMES)
def test_step_with_a_closure_equals_backward_then_step(name):
    w1, loss1 = _problem()
    w2, loss2 = _problem()
    opt1, opt2 = getattr(optim, name)([w1], lr=0.1), getattr(optim, name)([w2], lr=0.1)
    calls = []

    def closure():
        calls.append(1)
        opt2.zero_grad()
        loss = loss2()
        loss.backward()
        return loss

    for _ in range(5):
        opt1.zero_grad()
        expected = loss1()
        expected.backward()
        assert opt1.step() is None
        returned = opt2.step(closure)
        assert returned.item() == expected.item()       # the loss before the update
    assert len(calls) == 5                             # once per step
    np.testing.assert_array_equal(w2.data, w1.data)


def test_the_closure_runs_with_grad_mode_on():
    w, loss = _problem()
    opt = optim.SGD([w], lr=0.1)

    def closure():
        opt.zero_grad()
        out = loss()
        out.backward()
        return out

    with mg.no_grad():
        returned = opt.step(closure)
    assert returned.grad_fn is not None
    np.testing.assert_allclose(w.data, [1.0, -2.0, 0.5] - 0.1 * 2 * (np.array([1.0, -2.0, 0.5]) - [0.0, 1.0, 2.0]))


def test_a_closure_that_is_not_a_function_is_refused_before_any_update():
    w, loss = _problem()
    opt = optim.SGD([w], lr=0.1)
    loss().backward()
    with pytest.raises(TypeError, match=r"step\(closure\): the closure must be a function .* got Tensor"):
        opt.step(loss())
    np.testing.assert_array_equal(w.data, [1.0, -2.0, 0.5])


def test_step_with_a_closure_matches_torch():
    torch = pytest.importorskip("torch")
    w, loss = _problem()
    opt = optim.Adam([w], lr=0.1)
    tw = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64, requires_grad=True)
    topt = torch.optim.Adam([tw], lr=0.1)
    target = torch.tensor([0.0, 1.0, 2.0], dtype=torch.float64)

    def closure():
        opt.zero_grad()
        out = loss()
        out.backward()
        return out

    def tclosure():
        topt.zero_grad()
        out = ((tw - target) ** 2).sum()
        out.backward()
        return out

    for _ in range(4):
        np.testing.assert_allclose(opt.step(closure).item(), topt.step(tclosure).item(), rtol=1e-12)
    np.testing.assert_allclose(w.data, tw.detach().numpy(), rtol=1e-12)
