"""Neural-network building blocks: Parameter, Module, layers, losses.

>>> import minigrad as mg
>>> mg.nn.Parameter([1.0]).requires_grad
True
"""

from .module import Parameter

__all__ = ["Parameter"]
