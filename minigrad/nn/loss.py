"""Loss modules: thin Modules around the losses of :mod:`minigrad.nn.functional`."""

from . import functional as F
from .module import Module

__all__ = ["MSELoss", "CrossEntropyLoss", "BCEWithLogitsLoss"]


class _Loss(Module):
    def __init__(self, reduction="mean"):
        super().__init__()
        F._check_reduction(type(self).__name__, reduction)
        self.reduction = reduction

    def extra_repr(self):
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    """Mean squared error: ``loss(input, target)`` is :func:`~minigrad.nn.functional.mse_loss`.

    Math::

        L = (1/n) Σ (xᵢ − tᵢ)²   ('mean';  'sum' and 'none' as the reduction says)

    Examples
    --------
    >>> import minigrad as mg
    >>> mg.nn.MSELoss()(mg.Tensor([1.0, 3.0]), [1.0, 1.0]).item()
    2.0
    """

    def forward(self, input, target):
        return F.mse_loss(input, target, self.reduction)


class CrossEntropyLoss(_Loss):
    """Softmax cross-entropy with integer labels: :func:`~minigrad.nn.functional.cross_entropy`.

    Math::

        L = (1/N) Σₙ (log Σⱼ e^(xₙⱼ) − xₙ[yₙ])   ('mean')

    Examples
    --------
    >>> import minigrad as mg
    >>> round(mg.nn.CrossEntropyLoss()(mg.zeros(2, 4), [0, 3]).item(), 4)   # log 4
    1.3863
    """

    def forward(self, logits, labels):
        return F.cross_entropy(logits, labels, self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid + binary cross-entropy in one stable op: :func:`~minigrad.nn.functional.binary_cross_entropy_with_logits`.

    Math::

        L = (1/n) Σ (max(x, 0) − x·t + log(1 + e^(−|x|)))   ('mean')

    Examples
    --------
    >>> import minigrad as mg
    >>> round(mg.nn.BCEWithLogitsLoss()(mg.zeros(2), [0.0, 1.0]).item(), 4)  # log 2
    0.6931
    """

    def forward(self, logits, targets):
        return F.binary_cross_entropy_with_logits(logits, targets, self.reduction)
