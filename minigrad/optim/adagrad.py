"""Adagrad: a per-coordinate step size from the sum of all squared gradients."""

import numpy as np

from .optimizer import Optimizer

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad: divide each coordinate's step by the root of its summed squared gradients.

    Math::

        s ← s + g²             (s = 0 before the first step)
        θ ← θ − η·g / (√s + ε)

    Parameters
    ----------
    params : iterable of Tensor or of dict
        Parameters to optimize, or parameter groups.
    lr : float, default 0.01
        Step size η, ≥ 0.
    eps : float, default 1e-10
        ε ≥ 0, added outside the square root.
    weight_decay : float, default 0
        L2 penalty wd ≥ 0: g ← g + wd·θ.
    foreach : bool or None, default None
        Step all of a group's parameters joined end to end, in one update
        (:mod:`minigrad.optim.foreach`); None means off (measured slower).

    Notes
    -----
    The lecture writes the rule without ε; a coordinate whose gradients have
    all been zero so far then divides 0 by 0. minigrad adds ε outside the
    root, as Duchi et al.'s diagonal version (their δ) and
    ``torch.optim.Adagrad`` do; PyTorch's extra ``lr_decay`` and
    ``initial_accumulator_value`` are not offered. The first step is
    η·g/(|g| + ε) ≈ η·sign(g) whatever the gradient's scale, and the
    effective rate only decreases. The state is ``{"s": s}``.

    References
    ----------
    .. [1] J. Duchi, E. Hazan, Y. Singer, "Adaptive Subgradient Methods for
       Online Learning and Stochastic Optimization", JMLR 12, 2011.

    Examples
    --------
    >>> import minigrad as mg
    >>> w = mg.nn.Parameter([1.0, -2.0])
    >>> opt = mg.optim.Adagrad([w], lr=0.5)
    >>> (w * w).sum().backward()
    >>> opt.step()                 # first step ≈ η·sign(g)
    >>> w.data
    array([ 0.5, -1.5], dtype=float32)
    """

    _torch_order = ("params", "lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps")
    _nonnegative_state = ("s",)  # Σ g²: load_state_dict refuses a negative s

    def __init__(self, params, lr=0.01, eps=1e-10, weight_decay=0, foreach=None):
        super().__init__(params, dict(lr=lr, eps=eps, weight_decay=weight_decay), foreach)

    def _init_state(self, p):
        return {"s": np.zeros_like(p.data)}

    def _update(self, theta, g, state, group):
        """s ← s + g², then θ ← θ − η·g / (√s + ε), in place."""
        # BEGIN SOLUTION optim.adagrad_update
        s = state["s"]
        s += g * g                                               # s ← s + g²
        theta -= group["lr"] * g / (np.sqrt(s) + group["eps"])   # θ ← θ − η·g / (√s + ε)
        # END SOLUTION
