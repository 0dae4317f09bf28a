"""Finite-difference checking of gradients: does ``backward`` agree with calculus?

For each input element the numeric derivative is the central difference

    (f(x + ε) - f(x - ε)) / 2ε,        error O(ε²),

of the scalar L = Σ u * fn(inputs), where u is a random upstream gradient
(a random u catches a wrong softmax backward that ``fn(...).sum()`` hides,
because Σ softmax = 1 has zero gradient whatever the backward says).

NOTE: the difference is taken output element by output element before the
sum, Σ u * (fn(x + ε) − fn(x − ε)): the elements that do not depend on x_i
then cancel exactly, where the difference of two sums lost x_i's change in
the rounding of a large unrelated element (an output of 1e9 beside one of 1).
"""

import math
import numbers
import warnings

import numpy as np

from .grad_mode import enable_grad, no_grad
from .higher_order import grad
from .tensor import Tensor

__all__ = ["gradcheck", "GradcheckError"]


class GradcheckError(AssertionError):
    """Raised by :func:`gradcheck` when an analytic gradient disagrees with finite differences."""


def gradcheck(fn, *inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0):
    """Compare the gradients ``backward`` computes with central finite differences.

    Math::

        L(x) = Σ u * fn(x)                      u ~ N(0, 1), fixed
        numeric_i  = (L(x + ε e_i) - L(x - ε e_i)) / 2ε
        analytic_i = dL/dx_i from the graph (mg.grad: no tensor's .grad changes)
        pass if |analytic - numeric| <= atol + rtol * |numeric| everywhere

    Parameters
    ----------
    fn : callable
        Takes the inputs, returns a Tensor.
    *inputs : Tensor or other
        Tensors with ``requires_grad=True`` are checked (use float64: float32
        rounding swamps the differences, and a warning says so); anything else
        is passed through unchanged. An input that is itself the result of an
        op is checked by its values (a copy), as if it were a leaf.
    eps, atol, rtol : float
        Step and tolerances.
    seed : int
        Seed of the random upstream gradient u.

    Returns
    -------
    True

    Raises
    ------
    GradcheckError
        Naming the input, the index of the worst element and the analytic
        and numeric values there.

    Examples
    --------
    >>> import numpy as np, minigrad as mg
    >>> x = mg.Tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
    >>> mg.gradcheck(lambda t: (t * t).tanh(), x)
    True
    """
    # NOTE: the chained comparisons also refuse NaN
    if isinstance(eps, bool) or not (isinstance(eps, numbers.Real) and 0 < eps < math.inf):
        raise ValueError(f"gradcheck: eps must be a finite number > 0, got {eps!r}")
    for name, tol in (("atol", atol), ("rtol", rtol)):
        if isinstance(tol, bool) or not (isinstance(tol, numbers.Real) and 0 <= tol < math.inf):
            raise ValueError(f"gradcheck: {name} must be a finite number >= 0, got {tol!r}")
    # NOTE: an intermediate result (a tensor made by an op) is checked as the leaf it would be
    # if fn were all there is: backward() keeps no .grad on it, and its data may be saved
    # read-only by the op that made it; a copy is both a leaf and writable. So is a copy of a
    # leaf that another live graph holds read-only (its values are what is checked).
    inputs = [Tensor(x.data.copy(), requires_grad=True) if isinstance(x, Tensor) and (
              x.grad_fn is not None or not x.data.flags.writeable) else x for x in inputs]
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input is a Tensor with requires_grad=True")
    for i in checked:
        if inputs[i].dtype != np.float64:
            warnings.warn(f"gradcheck: input {i} is {inputs[i].dtype}; use float64 "
                          "(finite differences in single precision are too coarse)", stacklevel=2)

    with enable_grad():
        out = fn(*inputs)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, got {type(out).__name__}")
    u = np.random.default_rng(seed).standard_normal(out.shape).astype(out.dtype)
    if out.requires_grad:
        analytic = [g.data for g in grad(out, [inputs[i] for i in checked], grad_output=u)]
    else:  # nothing recorded: the output does not depend on the inputs
        analytic = [np.zeros_like(inputs[i].data) for i in checked]

    def value(grad_mode):
        with enable_grad() if grad_mode else no_grad():
            return np.array(fn(*inputs).data, dtype=np.float64)  # a copy: fn may return a view of x

    # NOTE: differences without graphs are fast, but a fn that differentiates inside
    # (mg.grad(..., create_graph=True), the gradgradcheck pattern) gets zeros under no_grad:
    # such a fn is differenced with grad mode on, as it ran for the analytic side
    grad_mode = not np.array_equal(value(False), value(True), equal_nan=True)
    u64 = u.astype(np.float64)

    def central_differences(x):
        numeric = np.zeros(x.shape, dtype=np.float64)
        for idx in np.ndindex(x.shape):
            orig = x[idx]
            x[idx] = orig + eps
            up = value(grad_mode)
            x[idx] = orig - eps
            down = value(grad_mode)
            x[idx] = orig
            numeric[idx] = np.sum(u64 * (up - down)) / (2 * eps)
        return numeric

    def misses(a, numeric):
        with np.errstate(invalid="ignore"):  # inf − inf: judged below
            err = np.abs(a - numeric) - (atol + rtol * np.abs(numeric))
        # NOTE: a NaN on either side fails (a NaN comparison is False, which would pass),
        # equal infinities pass
        return err, ~((err <= 0) | (a == numeric))

    for i, a in zip(checked, analytic):
        x = inputs[i].data
        numeric = central_differences(x)
        err, bad = misses(a, numeric)
        if bad.any():
            worst = np.unravel_index(np.argmax(np.where(bad, np.nan_to_num(err, nan=np.inf), -np.inf)),
                                     err.shape)
            coarse = (f"; input {i} is {x.dtype}, too coarse for finite differences: check in float64"
                      if x.dtype != np.float64 else
                      f"; fn's output is {out.dtype}, too coarse for finite differences: compute it in "
                      f"float64" if out.dtype != np.float64 else "")
            raise GradcheckError(
                f"gradcheck failed for input {i} (shape {x.shape}) at index {tuple(map(int, worst))}: "
                f"analytic {float(a[worst]):.10g} vs numeric {float(numeric[worst]):.10g} "
                f"(atol={atol}, rtol={rtol}, eps={eps}){coarse}")
    return True
