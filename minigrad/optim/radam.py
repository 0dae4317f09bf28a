"""RAdam: Adam whose adaptive step is switched on only once its variance is tractable."""

import math

import numpy as np

from .adam import update_moments
from .optimizer import Optimizer, _pair

__all__ = ["RAdam", "rectification"]


class RAdam(Optimizer):
    """RAdam: momentum steps first, then Adam steps scaled by a variance rectification r_t.

    Math::

        m ← β1·m + (1 − β1)·g          v ← β2·v + (1 − β2)·g²
        m̂ = m / (1 − β1^t)
        ρ∞ = 2/(1 − β2) − 1            ρ_t = ρ∞ − 2·t·β2^t / (1 − β2^t)
        if ρ_t > threshold:
            r_t = √[(ρ_t − 4)(ρ_t − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρ_t)]
            θ ← θ − η·r_t·m̂·√(1 − β2^t) / (√v + ε)
        else:
            θ ← θ − η·m̂

    Parameters
    ----------
    params : iterable of Tensor or of dict
        Parameters to optimize, or parameter groups.
    lr : float, default 0.001
        Step size η, ≥ 0.
    betas : (float, float), default (0.9, 0.999)
        Decay rates (β1, β2), each in [0, 1).
    eps : float, default 1e-8
        ε ≥ 0, added to the uncorrected √v.
    threshold : float, default 5
        The adaptive step is taken once ρ_t > threshold; ≥ 4.
    weight_decay : float, default 0
        Weight decay wd ≥ 0 (L2 unless ``decoupled_weight_decay``).
    decoupled_weight_decay : bool, default False
        Shrink θ ← θ·(1 − η·wd) before the step and leave g alone.
    foreach : bool or None, default None
        Step all of a group's parameters joined end to end, in one update
        (:mod:`minigrad.optim.foreach`); None means on (measured faster).

    Notes
    -----
    minigrad follows ``torch.optim.RAdam``: threshold 5 with a strict ``>``,
    the momentum step η·m̂ before it, and ε added to the uncorrected √v
    (unlike Adam's ε). The paper uses ρ_t > 4 (``threshold=4``) and no ε;
    with β2 = 0.999, ρ_t = 1, 1.9995, 2.9987, 3.9975, 4.996, 5.994, … for t = 1, 2, …, so
    the first adaptive step is t = 6 with threshold 5 and t = 5 with
    threshold 4. The author's code by default makes *no* update before the
    threshold; minigrad does not. The lecture's formula for ρ is not the
    paper's and is not used. Early steps are not normalized (size η·|m̂|),
    so large gradients give large steps. If ρ∞ ≤ threshold (β2 ≤ 2/3 for
    threshold 5) the adaptive step is never taken. The state is
    ``{"t": t, "m": m, "v": v}``.

    References
    ----------
    .. [1] L. Liu, H. Jiang, P. He, W. Chen, X. Liu, J. Gao, J. Han, "On the
       Variance of the Adaptive Learning Rate and Beyond", ICLR 2020,
       arXiv:1908.03265.

    Examples
    --------
    >>> import minigrad as mg
    >>> w = mg.nn.Parameter([1.0])
    >>> opt = mg.optim.RAdam([w], lr=0.1)
    >>> for _ in range(5):            # ρ_t ≤ 5: momentum steps η·m̂ = 0.1·g
    ...     opt.zero_grad()
    ...     w.sum().backward()        # g = 1
    ...     opt.step()
    >>> w.data.round(4)               # 1 − 5·0.1
    array([0.5], dtype=float32)
    """

    _foreach_default = True  # measured: the toy classifier's epoch 6-8% faster (foreach.py)
    _torch_order = ("params", "lr", "betas", "eps", "weight_decay", "decoupled_weight_decay")
    _nonnegative_state = ("v",)  # a running mean of g²: load_state_dict refuses a negative v

    def __init__(self, params, lr=0.001, betas=(0.9, 0.999), eps=1e-8, threshold=5, weight_decay=0,
                 decoupled_weight_decay=False, foreach=None):
        super().__init__(params, dict(lr=lr, betas=_pair(betas), eps=eps, threshold=threshold,
                                      weight_decay=weight_decay,
                                      decoupled_weight_decay=decoupled_weight_decay), foreach)

    def _init_state(self, p):
        return {"t": 0, "m": np.zeros_like(p.data), "v": np.zeros_like(p.data)}

    def _update(self, theta, g, state, group):
        """t ← t + 1 (the parameter's own count, this step included), Adam's moments, then the
        rectified step if ρ_t > ``group["threshold"]``, else θ ← θ − η·m̂."""
        # BEGIN SOLUTION optim.radam_update
        beta1, beta2 = group["betas"]
        state["t"] += 1
        t, m, v = state["t"], state["m"], state["v"]
        update_moments(m, v, g, beta1, beta2)      # m ← β1·m + (1 − β1)·g,  v ← β2·v + (1 − β2)·g²
        m_hat = m / (1 - beta1 ** t)
        rho_inf = 2 / (1 - beta2) - 1
        rho = rho_inf - 2 * t * beta2 ** t / (1 - beta2 ** t)
        if rho > group["threshold"]:
            r = math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
            theta -= group["lr"] * r * m_hat * math.sqrt(1 - beta2 ** t) / (np.sqrt(v) + group["eps"])
        else:
            theta -= group["lr"] * m_hat
        # END SOLUTION


def rectification(t, beta2):
    """RAdam's ρ_t and r_t at step ``t`` (a number or an array), for pictures and tables.

    Math::

        ρ∞ = 2/(1 − β2) − 1            ρ_t = ρ∞ − 2·t·β2^t / (1 − β2^t)
        r_t = √[(ρ_t − 4)(ρ_t − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρ_t)]   (NaN while ρ_t ≤ 4: not real)

    Returns ``(rho, r)``, NumPy floats or arrays. :class:`RAdam` takes the
    adaptive step, scaled by r_t, once ρ_t > its ``threshold``.

    Examples
    --------
    >>> rho, r = rectification(np.arange(1, 8), 0.999)
    >>> rho.round(3).tolist()
    [1.0, 1.999, 2.999, 3.997, 4.996, 5.994, 6.992]
    """
    # BEGIN SPOILER optim.radam_update
    rho_inf = 2 / (1 - beta2) - 1
    rho = rho_inf - 2 * t * beta2 ** t / (1 - beta2 ** t)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.sqrt(np.maximum((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho), 0))
    return rho, np.where(rho > 4, r, np.nan)
    # END SPOILER
