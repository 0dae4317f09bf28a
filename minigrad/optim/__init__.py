"""Optimizers: the eight of the "New Optimization" lecture, on one base class."""

from .optimizer import Optimizer
from .sgd import SGD, SGDM
from .adagrad import Adagrad
from .rmsprop import RMSProp
from .adam import Adam, AMSGrad
from .radam import RAdam
from .swats import SWATS
from .regimes import minibatches, offline, online
from .train import History, train
from .health import HealthMonitor

__all__ = ["Optimizer", "SGD", "SGDM", "Adagrad", "RMSProp", "Adam", "AMSGrad", "SWATS", "RAdam",
           "online", "minibatches", "offline", "train", "History", "HealthMonitor"]


# PyTorch's optimizers that the lecture does not teach, and where to look instead.
_NOT_HERE = {
    "AdamW": "Adam(params, weight_decay=..., decoupled_weight_decay=True) is AdamW",
    "lr_scheduler": "there are no schedulers: set group['lr'] in optimizer.param_groups yourself",
}


def __getattr__(name):
    """``optim.RMSprop``, ``optim.AdamW``: an AttributeError that names what minigrad has instead."""
    spelled = next((n for n in __all__ if n.lower() == name.lower()), None)
    if spelled is not None:
        raise AttributeError(f"module 'minigrad.optim' has no attribute {name!r}; "
                             f"the lecture's spelling is optim.{spelled}")
    if name in _NOT_HERE:
        raise AttributeError(f"module 'minigrad.optim' has no attribute {name!r}: {_NOT_HERE[name]}")
    raise AttributeError(f"module 'minigrad.optim' has no attribute {name!r}")
