"""Stochastic gradient descent, plain (SGD) and with momentum (SGDM)."""

import numpy as np

from .optimizer import Optimizer

__all__ = ["SGD", "SGDM"]


class SGD(Optimizer):
    """Stochastic gradient descent: step against the gradient.

    Math::

        θ ← θ − η·g

    Parameters
    ----------
    params : iterable of Tensor or of dict
        Parameters to optimize, or parameter groups.
    lr : float, default 0.01
        Step size η, ≥ 0.
    weight_decay : float, default 0
        L2 penalty wd ≥ 0: g ← g + wd·θ.
    foreach : bool or None, default None
        Step all of a group's parameters joined end to end, in one update
        (:mod:`minigrad.optim.foreach`); None means off (measured slower).

    Notes
    -----
    The lecture's rule is Robbins and Monro's and ``torch.optim.SGD(lr)``'s;
    there is no state.

    References
    ----------
    .. [1] H. Robbins, S. Monro, "A Stochastic Approximation Method",
       Annals of Mathematical Statistics 22(3), 1951.

    Examples
    --------
    >>> import minigrad as mg
    >>> w = mg.nn.Parameter([1.0, -2.0])
    >>> opt = mg.optim.SGD([w], lr=0.1)
    >>> (w * w).sum().backward()   # g = 2w = (2, −4)
    >>> opt.step()                 # w ← w − 0.1·g
    >>> w.data
    array([ 0.8, -1.6], dtype=float32)
    """

    _torch_keywords = {
        "momentum": "SGD with momentum is optim.SGDM(params, lr, momentum=0.9), as in the lecture",
        "nesterov": "minigrad has no Nesterov momentum; optim.SGDM is heavy-ball momentum",
    }
    _torch_order = ("params", "lr", "momentum", "dampening", "weight_decay", "nesterov")  # torch.optim.SGD

    def __init__(self, params, lr=0.01, weight_decay=0, foreach=None):
        super().__init__(params, dict(lr=lr, weight_decay=weight_decay), foreach)

    def _update(self, theta, g, state, group):
        """θ ← θ − η·g, in place."""
        # BEGIN SOLUTION optim.sgd_update
        theta -= group["lr"] * g                 # θ ← θ − η·g
        # END SOLUTION


class SGDM(Optimizer):
    """SGD with momentum: a velocity that remembers past steps.

    Math::

        v ← λ·v − η·g          (v = 0 before the first step)
        θ ← θ + v

    Parameters
    ----------
    params : iterable of Tensor or of dict
        Parameters to optimize, or parameter groups.
    lr : float, default 0.01
        Step size η, ≥ 0.
    momentum : float, default 0.9
        Momentum λ in [0, 1).
    weight_decay : float, default 0
        L2 penalty wd ≥ 0: g ← g + wd·θ.
    foreach : bool or None, default None
        Step all of a group's parameters joined end to end, in one update
        (:mod:`minigrad.optim.foreach`); None means off (measured slower).

    Notes
    -----
    This is the lecture's form (Sutskever et al.'s rewriting of Polyak's
    heavy ball). ``torch.optim.SGD(lr, momentum=λ)`` keeps a buffer
    b ← λ·b + g and steps θ ← θ − η·b; with a constant η the two are the
    same algorithm, with v = −η·b. They differ when η changes during
    training: here past steps keep the η they were taken with, PyTorch
    rescales the whole buffer by the new η. The state is ``{"v": v}``.

    References
    ----------
    .. [1] B. T. Polyak, "Some methods of speeding up the convergence of
       iteration methods", USSR Computational Mathematics and Mathematical
       Physics 4(5), 1964.
    .. [2] I. Sutskever, J. Martens, G. Dahl, G. Hinton, "On the importance
       of initialization and momentum in deep learning", ICML 2013.

    Examples
    --------
    >>> import minigrad as mg
    >>> w = mg.nn.Parameter([1.0])
    >>> opt = mg.optim.SGDM([w], lr=0.1, momentum=0.5)
    >>> for _ in range(2):
    ...     opt.zero_grad()
    ...     w.sum().backward()         # g = 1 at every step
    ...     opt.step()
    >>> opt.state[w]["v"]              # v = 0.5·(−0.1) − 0.1
    array([-0.15], dtype=float32)
    >>> w.data                         # 1 − 0.1 − 0.15
    array([0.75], dtype=float32)
    """

    _torch_keywords = {
        "nesterov": "minigrad has no Nesterov momentum; SGDM is heavy-ball momentum",
        "dampening": "SGDM has no dampening: v ← λ·v − η·g takes the whole gradient (PyTorch's dampening=0)",
    }
    _torch_order = ("params", "lr", "momentum", "dampening", "weight_decay", "nesterov")  # torch.optim.SGD

    def __init__(self, params, lr=0.01, momentum=0.9, weight_decay=0, foreach=None):
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay), foreach)

    def _init_state(self, p):
        return {"v": np.zeros_like(p.data)}

    def _update(self, theta, g, state, group):
        """v ← λ·v − η·g, then θ ← θ + v, both in place."""
        # BEGIN SOLUTION optim.sgdm_update
        v = state["v"]
        v *= group["momentum"]; v -= group["lr"] * g     # v ← λ·v − η·g
        theta += v                                     # θ ← θ + v
        # END SOLUTION
