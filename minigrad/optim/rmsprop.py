"""RMSProp: a per-coordinate step size from a running mean of squared gradients."""

import numpy as np

from .optimizer import Optimizer

__all__ = ["RMSProp"]


class RMSProp(Optimizer):
    """RMSProp: divide the gradient by the root of a moving average of g².

    Math::

        t ← t + 1                  (the steps taken, this one included)
        v ← g²                     at t = 1 if init = "first_grad"
        v ← α·v + (1 − α)·g²       otherwise (v = 0 before t = 1 if init = "zeros")
        θ ← θ − η·g / (√v + ε)

    Parameters
    ----------
    params : iterable of Tensor or of dict
        Parameters to optimize, or parameter groups.
    lr : float, default 0.001
        Step size η, ≥ 0.
    alpha : float, default 0.9
        Decay α of the moving average, in [0, 1).
    eps : float, default 1e-8
        ε ≥ 0, added outside the square root.
    init : {"first_grad", "zeros"}, default "first_grad"
        How v starts: the lecture's v = g² at the first step, or PyTorch's
        v = 0 before it.
    weight_decay : float, default 0
        L2 penalty wd ≥ 0: g ← g + wd·θ.
    foreach : bool or None, default None
        Step all of a group's parameters joined end to end, in one update
        (:mod:`minigrad.optim.foreach`); None means off (measured slower).

    Notes
    -----
    Tieleman and Hinton give the moving average (decay 0.9) but no ε and no
    start value. The lecture's v₁ = g₁² makes the first step
    η·g/(|g| + ε) ≈ η·sign(g). PyTorch starts from v = 0 (``init="zeros"``,
    equal to ``torch.optim.RMSprop(lr, alpha, eps)``), which biases v low for
    about 1/(1 − α) steps: its first step is about η·sign(g)/√(1 − α),
    3.16× larger at α = 0.9. PyTorch's defaults are lr = 0.01, α = 0.99.
    The state is ``{"t": t, "v": v}``; with L2 decay, v₁ = (g₁ + wd·θ₀)².

    References
    ----------
    .. [1] T. Tieleman, G. Hinton, "Lecture 6.5 - rmsprop: Divide the
       gradient by a running average of its recent magnitude", COURSERA:
       Neural Networks for Machine Learning, 2012.

    Examples
    --------
    >>> import minigrad as mg
    >>> w = mg.nn.Parameter([1.0, -2.0])
    >>> opt = mg.optim.RMSProp([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()                 # v = g², first step ≈ η·sign(g)
    >>> w.data
    array([ 0.9, -1.9], dtype=float32)
    """

    _torch_order = ("params", "lr", "alpha", "eps", "weight_decay", "momentum", "centered")
    _nonnegative_state = ("v",)  # a running mean of g²: load_state_dict refuses a negative v

    def __init__(self, params, lr=0.001, alpha=0.9, eps=1e-8, init="first_grad", weight_decay=0,
                 foreach=None):
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, init=init,
                                      weight_decay=weight_decay), foreach)

    def _init_state(self, p):
        return {"t": 0, "v": np.zeros_like(p.data)}

    def _update(self, theta, g, state, group):
        """t ← t + 1; v ← g² at t = 1 ("first_grad"), else v ← α·v + (1 − α)·g²; θ ← θ − η·g / (√v + ε)."""
        # BEGIN SOLUTION optim.rmsprop_update
        alpha, v = group["alpha"], state["v"]
        state["t"] += 1
        if state["t"] == 1 and group["init"] == "first_grad":
            v[...] = g * g                                   # v ← g²
        else:
            v *= alpha; v += (1 - alpha) * g * g             # v ← α·v + (1 − α)·g²
        theta -= group["lr"] * g / (np.sqrt(v) + group["eps"])   # θ ← θ − η·g / (√v + ε)
        # END SOLUTION
