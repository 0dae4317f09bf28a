"""Neural-network building blocks: Parameter, Module, layers, losses, initialisers.

>>> import minigrad as mg
>>> from minigrad import nn
>>> model = nn.Sequential(nn.Linear(4, 8, rng=0), nn.ReLU(), nn.Linear(8, 3, rng=1))
>>> loss = nn.CrossEntropyLoss()(model(mg.zeros(2, 4)), [0, 2])
>>> loss.backward()
>>> [name for name, p in model.named_parameters() if p.grad is not None]
['0.weight', '0.bias', '2.weight', '2.bias']
"""

from .module import LoadResult, Module, ModuleList, Parameter, Sequential
from .layers import Dropout, Flatten, LeakyReLU, Linear, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from .loss import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss
from . import functional, init

__all__ = [
    "Parameter", "Module", "ModuleList", "Sequential", "LoadResult",
    "Linear", "ReLU", "LeakyReLU", "Tanh", "Sigmoid", "Softmax", "LogSoftmax", "Dropout", "Flatten",
    "MSELoss", "CrossEntropyLoss", "BCEWithLogitsLoss",
    "functional", "init",
]
