"""minigrad: a small, readable reverse-mode autograd framework on NumPy.

>>> import minigrad as mg
>>> x = mg.Tensor([2.0], requires_grad=True)
>>> y = x * x + 3 * x          # y = x² + 3x
>>> y.backward()               # dy/dx = 2x + 3 = 7
>>> x.grad
array([7.], dtype=float32)
"""

from .grad_mode import detect_anomaly, enable_grad, is_grad_enabled, no_grad
from .tensor import Tensor, arange, concatenate, ones, randn, stack, where, zeros
from .function import Function
from .gradcheck import GradcheckError, gradcheck
from .check_graph import check_graph, record_calls
from .higher_order import grad
from .serialization import load, save
from . import datasets, nn, optim, viz  # noqa: E402  (viz imports matplotlib only when drawing)

__version__ = "0.1.0"


def __getattr__(name):
    """``mg.estimators`` and ``mg.figures`` are imported on first use.

    They load scikit-learn (about half a second) and matplotlib, which
    ``import minigrad`` alone never needs.
    """
    if name in ("estimators", "figures"):
        import importlib
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Tensor", "Function", "zeros", "ones", "randn", "arange", "concatenate", "stack", "where",
    "grad", "no_grad", "enable_grad", "is_grad_enabled", "detect_anomaly", "gradcheck", "GradcheckError",
    "check_graph", "record_calls",
    "save", "load", "datasets", "nn", "optim", "viz", "estimators",
]
