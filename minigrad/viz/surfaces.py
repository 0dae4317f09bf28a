"""Loss surfaces of a 2-D parameter, written with minigrad ops, and their settings.

Each surface takes a Tensor w whose first axis holds (x, y). During an
optimizer run w has shape (2,); for a contour plot the same function is
evaluated once on a whole grid, w of shape (2, rows, cols), so the formulas
use w[0] and w[1] and elementwise ops only. :data:`SURFACES` gives each one's
start, window, minimum and a learning rate per optimizer, which
:mod:`minigrad.viz.optimizer_paths`, :mod:`minigrad.viz.lecture` and
:mod:`minigrad.animation` use.
"""

import numpy as np

__all__ = ["quadratic", "rosenbrock", "beale", "saddle", "SURFACES"]

def quadratic(w):
    """An ill-conditioned bowl: f = (x² + 20·y²) / 2, minimum 0 at (0, 0), condition number 20."""
    x, y = w[0], w[1]
    return (x * x + 20 * y * y) * 0.5


def rosenbrock(w):
    """Rosenbrock's banana valley: f = (1 − x)² + 100·(y − x²)², minimum 0 at (1, 1)."""
    x, y = w[0], w[1]
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def beale(w):
    """Beale's function: f = Σ_i (c_i − x + x·y^i)², c = (1.5, 2.25, 2.625), minimum 0 at (3, 0.5)."""
    x, y = w[0], w[1]
    return ((1.5 - x + x * y) ** 2 + (2.25 - x + x * y * y) ** 2
            + (2.625 - x + x * y * y * y) ** 2)


def saddle(w):
    """A saddle at the origin between two valleys: f = x² − y² + y⁴/2, minima −0.5 at (0, ±1).

    NOTE: the textbook saddle x² − y² has no minimum, so every path would
    leave the picture; the y⁴ term adds two valleys for the escapers to reach.
    """
    x, y = w[0], w[1]
    y2 = y * y
    return x * x - y2 + y2 * y2 * 0.5


# Per surface: the function, default start and number of steps, the window
# (xlim, ylim) of the contour plot, the minimum (x, y, f) and a learning rate
# per optimizer, chosen so that each optimizer shows its typical path without
# diverging in the default number of steps.
SURFACES = {
    "quadratic": dict(
        fn=quadratic, start=(-3.0, 1.2), steps=100, xlim=(-3.6, 1.0), ylim=(-1.6, 1.6),
        minimum=(0.0, 0.0, 0.0),
        lr=dict(sgd=0.09, sgdm=0.02, adagrad=0.8, rmsprop=0.1, adam=0.2, amsgrad=0.2, swats=0.2,
                radam=0.1)),
    "rosenbrock": dict(
        fn=rosenbrock, start=(-1.5, 2.0), steps=1000, xlim=(-2.0, 2.0), ylim=(-1.0, 3.0),
        minimum=(1.0, 1.0, 0.0),
        lr=dict(sgd=1e-3, sgdm=1e-3, adagrad=0.5, rmsprop=0.01, adam=0.1, amsgrad=0.1, swats=0.1,
                radam=0.01)),
    "beale": dict(
        fn=beale, start=(1.0, 1.5), steps=300, xlim=(-0.5, 4.0), ylim=(-1.5, 2.0),
        minimum=(3.0, 0.5, 0.0),
        lr=dict(sgd=0.01, sgdm=2e-3, adagrad=0.5, rmsprop=0.02, adam=0.1, amsgrad=0.1, swats=0.1,
                radam=5e-3)),
    # NOTE: one lr (0.02) for SGD, Adam, AMSGrad and SWATS shows the lecture's point: plain
    # SGD stays near the saddle, where the gradient along y is tiny, and the others escape.
    "saddle": dict(
        fn=saddle, start=(-1.5, 1e-3), steps=100, xlim=(-1.8, 1.2), ylim=(-1.4, 1.4),
        minimum=(0.0, 1.0, -0.5), others=[(0.0, -1.0, "minimum"), (0.0, 0.0, "saddle point")],
        lr=dict(sgd=0.02, sgdm=0.01, adagrad=0.2, rmsprop=0.02, adam=0.02, amsgrad=0.02, swats=0.02,
                radam=0.05)),
}


# The formula of each surface, for titles and the trajectories table.
FORMULAS = {"quadratic": "f = (x² + 20y²)/2", "rosenbrock": "f = (1 − x)² + 100(y − x²)²",
            "beale": "Beale's function", "saddle": "f = x² − y² + y⁴/2"}


def surface_info(surface):
    """A named surface's settings (its :data:`SURFACES` entry and ``name``), or minimal ones for a function."""
    if callable(surface):
        name = getattr(surface, "__name__", "surface")
        return dict(fn=surface, name=name, start=None, steps=100, xlim=None, ylim=None,
                    minimum=None, lr={})
    if not isinstance(surface, str):
        raise TypeError(f"surface must be a name or a function of a 2-D Tensor, got {type(surface).__name__}")
    key = surface.lower()
    if key not in SURFACES:
        raise ValueError(f"unknown surface {surface!r}; known surfaces: {', '.join(SURFACES)}")
    return dict(SURFACES[key], name=key)


def grid_values(fn, xlim, ylim, n=160):
    """f on an n × n grid, evaluated with minigrad ops under no_grad (one vectorized call if possible)."""
    from ..grad_mode import no_grad
    from ..tensor import Tensor

    xs, ys = np.linspace(*xlim, n), np.linspace(*ylim, n)
    X, Y = np.meshgrid(xs, ys)
    with no_grad(), np.errstate(all="ignore"):
        try:
            Z = fn(Tensor(np.stack([X, Y]))).data
        except Exception:  # a function written for shape (2,) only: one point at a time
            Z = None
        if Z is None or np.shape(Z) != X.shape:
            # NOTE: a coarser grid here: one call per point costs ~50 µs
            xs, ys = np.linspace(*xlim, 60), np.linspace(*ylim, 60)
            X, Y = np.meshgrid(xs, ys)
            Z = np.array([[fn(Tensor(np.array([x, y]))).item() for x in xs] for y in ys])
    return X, Y, np.asarray(Z, dtype=np.float64)
