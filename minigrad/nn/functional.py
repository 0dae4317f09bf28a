"""Functions behind the layers and losses: ``import minigrad.nn.functional as F``.

``linear``, the three losses and ``dropout`` are ops of their own, each one
graph node whose backward is its derivative, written as the formula
(PyTorch's are fused too, but for cross-entropy, which is log-softmax then
NLL): a loss is one ``backward`` call, and no intermediate can overflow.
Arguments are checked here, at the boundary, so that an error names what the
caller passed; a shape error that NumPy finds inside an op's ``forward`` still
reaches the caller, prefixed with the op's name by ``Function.apply``.
"""

import math

import numpy as np

from .. import ops
from .._rng import as_generator
from ..function import Function
from ..tensor import Tensor

__all__ = ["linear", "relu", "leaky_relu", "tanh", "sigmoid", "softmax", "log_softmax", "dropout", "flatten",
           "mse_loss", "cross_entropy", "binary_cross_entropy_with_logits"]

REDUCTIONS = ("mean", "sum", "none")


class DtypeError(TypeError, ValueError):
    """A loss was given the wrong dtype (integer logits, float labels, mismatched targets).

    A ``TypeError``, by minigrad's rule for a wrong type (DESIGN.md), and also
    a ``ValueError``, which the losses raised for it before: code that
    catches either keeps working. NumPy's ``AxisError`` is both a
    ``ValueError`` and an ``IndexError`` for the same reason.
    """


# =========================================================================
# Layers
# =========================================================================


class Linear(Function):
    """y = x Wᵀ + b
    dL/dx = g W
    dL/dW = gᵀ x
    dL/db = Σ_rows g

    NOTE: one op rather than ``x @ W.T + b`` (three nodes), so dL/dx is
    skipped when x needs no gradient (the input batch of the first layer).
    An input with more axes (…, in) is a stack of rows.
    """

    def forward(self, x, w, b=None):
        _check_linear(x.shape, w.shape, None if b is None else b.shape)
        _check_linear_dtypes(x, w, b)
        self.x, self.w = x, w
        return x @ w.T if b is None else x @ w.T + b

    def backward(self, g):
        gx = g @ self.w if self.inputs[0] is not None else None
        # stacks as rows; NOTE: the row count spelled out, as -1 cannot be solved for when out or in is 0
        rows = math.prod(self.x.shape[:-1])
        g, x = g.reshape(rows, g.shape[-1]), self.x.reshape(rows, self.x.shape[-1])
        gw = g.T @ x if self.inputs[1] is not None else None
        gb = g.sum(axis=0) if self.inputs[2] is not None else None
        return gx, gw, gb


def _check_linear(x_shape, w_shape, b_shape):
    """Raise a ValueError naming the shapes unless x: (…, in), W: (out, in) and b: (out,) or None.

    NOTE: on the arrays, before the product: ``@`` alone would take a 1-D
    weight, and ``+ b`` would broadcast a bias of shape (1,).
    """
    if len(w_shape) != 2:
        raise ValueError(f"weight must have shape (out, in), got {w_shape}")
    if x_shape[-1:] != w_shape[1:]:
        raise ValueError(f"input of shape {x_shape} does not fit weight of shape {w_shape}: the "
                         f"input's last axis must have size {w_shape[1]}")
    if b_shape not in (None, w_shape[:1]):
        raise ValueError(f"bias must have shape ({w_shape[0]},) for weight of shape {w_shape}, "
                         f"got {b_shape}")


def _check_linear_dtypes(x, w, b):
    """Raise a TypeError unless x, W and b are floating point.

    NOTE: NumPy would multiply an integer x by a float32 W in float64, so one
    integer batch would turn every later layer float64; PyTorch refuses it.
    """
    for name, a in (("input", x), ("weight", w), ("bias", b)):
        if a is not None and a.dtype.kind != "f":
            raise TypeError(f"linear: the {name} must be floating point, got dtype {a.dtype}; "
                            f"convert it with .astype(np.float32) first")


def linear(x, weight, bias=None):
    """Affine map of the last axis: ``x @ weight.T + bias``.

    Math::

        y = x Wᵀ + b                 x: (N, in),  W: (out, in),  b: (out,),  y: (N, out)
        dL/dx = g W,   dL/dW = gᵀ x,   dL/db = Σₙ gₙ

    Parameters
    ----------
    x : Tensor of shape (..., in)
    weight : Tensor of shape (out, in)
    bias : Tensor of shape (out,), optional

    Raises
    ------
    ValueError
        If the shapes do not fit (both shapes named).
    TypeError
        If x, W or b is not floating point (an integer batch would turn the
        result, and every later layer, float64).

    Notes
    -----
    The result has NumPy's promoted dtype of x, W and b, as ``x @ W.T + b``
    does: float32 x and W with a float64 bias give float64 (PyTorch would
    refuse the mix). Each gradient comes back in its own input's dtype.
    A weight with no rows or columns (out or in = 0) works both ways: the
    result, or the gradient, is empty or zero.

    Examples
    --------
    >>> import numpy as np
    >>> import minigrad as mg
    >>> import minigrad.nn.functional as F
    >>> x = mg.Tensor([[1.0, 2.0]])
    >>> W = mg.Tensor([[1.0, 0.0], [1.0, 1.0], [0.0, -1.0]], requires_grad=True)
    >>> y = F.linear(x, W, mg.Tensor([0.0, 0.0, 0.5]))
    >>> y.data
    array([[ 1. ,  3. , -1.5]], dtype=float32)
    >>> y.sum().backward()
    >>> W.grad                       # gᵀ x with g = 1: every row is x
    array([[1., 2.],
           [1., 2.],
           [1., 2.]], dtype=float32)
    """
    return Linear.apply(x, weight, bias)


def relu(x):
    """max(x, 0), elementwise (``x.relu()``).

    Examples
    --------
    >>> import minigrad as mg
    >>> mg.nn.functional.relu(mg.Tensor([-1.0, 2.0])).data
    array([0., 2.], dtype=float32)
    """
    _refuse_bool("relu", x)
    return ops.ReLU.apply(x)


def _refuse_bool(who, x):
    """A bool input would come out as integers (NumPy's max(True, 0) is 1): refused, as in PyTorch."""
    if np.asarray(getattr(x, "data", x)).dtype == bool:
        raise TypeError(f"{who}: a bool input is not supported; convert it with "
                        f".astype(np.float32) first")


def leaky_relu(x, negative_slope=0.01):
    """x for x > 0, ``negative_slope`` · x otherwise, elementwise.

    Unlike ``relu``, a unit whose input stays negative still passes a small
    gradient, so it can recover.

    Examples
    --------
    >>> import minigrad as mg
    >>> mg.nn.functional.leaky_relu(mg.Tensor([-2.0, 3.0]), 0.1).data
    array([-0.2,  3. ], dtype=float32)
    """
    kind = np.asarray(getattr(x, "data", x)).dtype.kind
    if kind != "f":  # NOTE: an integer input would round the slope (0.1 -> 0) and silently drop it
        raise TypeError(f"leaky_relu needs a floating-point input, got dtype "
                        f"{np.asarray(getattr(x, 'data', x)).dtype}: an integer one would round its "
                        f"slope to 0; convert it with .astype(np.float32) first, as PyTorch requires")
    return ops.LeakyReLU.apply(x, slope=_check_slope(negative_slope))


def _check_slope(a):
    if isinstance(a, (bool, np.bool_)) or not isinstance(a, (int, float, np.integer, np.floating)):
        raise TypeError(f"negative_slope must be a number, got {type(a).__name__}")
    if not np.isfinite(a):
        raise ValueError(f"negative_slope must be finite, got {a}")
    return float(a)


def tanh(x):
    """tanh(x), elementwise (``x.tanh()``).

    Examples
    --------
    >>> import minigrad as mg
    >>> mg.nn.functional.tanh(mg.Tensor([0.0])).data
    array([0.], dtype=float32)
    """
    return ops.Tanh.apply(x)


def sigmoid(x):
    """1 / (1 + e^(−x)), elementwise (``x.sigmoid()``).

    Examples
    --------
    >>> import minigrad as mg
    >>> mg.nn.functional.sigmoid(mg.Tensor([0.0])).data
    array([0.5], dtype=float32)
    """
    return ops.Sigmoid.apply(x)


def softmax(x, axis=-1):
    """e^x / Σ e^x along ``axis`` (``x.softmax(axis)``).

    Examples
    --------
    >>> import minigrad as mg
    >>> mg.nn.functional.softmax(mg.Tensor([1000.0, 1000.0])).data
    array([0.5, 0.5], dtype=float32)
    """
    return ops.Softmax.apply(x, axis=axis)


def log_softmax(x, axis=-1):
    """x − log Σ e^x along ``axis`` (``x.log_softmax(axis)``).

    Examples
    --------
    >>> import minigrad as mg
    >>> mg.nn.functional.log_softmax(mg.Tensor([0.0, 0.0])).data.round(4)
    array([-0.6931, -0.6931], dtype=float32)
    """
    return ops.LogSoftmax.apply(x, axis=axis)


class Dropout(Function):
    """y = x · mask,   mask = [u ≥ p] / (1 − p) drawn by ``dropout``
    dL/dx = g · mask"""

    def forward(self, x, mask):
        self.mask = mask
        return x * mask

    constants = ("mask",)  # for gradients of gradients: a random draw, derivative 0

    def backward(self, g):
        return g * self.mask


def dropout(x, p=0.5, training=True, rng=None):
    """Inverted dropout: zero each element with probability p, scale the rest by 1/(1 − p).

    Math::

        mask = [u ≥ p] / (1 − p),   u ~ U(0, 1) per element
        y = x · mask                 (E[y] = x)
        dL/dx = g · mask

    Parameters
    ----------
    p : float in [0, 1)
        Probability of zeroing an element.
    training : bool, default True
        When False (or p = 0) ``x`` is returned unchanged (as a Tensor).
    rng : None, int or numpy.random.Generator

    Notes
    -----
    p = 1 is refused (PyTorch allows it and returns zeros): every gradient
    would be zero and the scale 1/(1 − p) undefined.

    Examples
    --------
    >>> import minigrad as mg
    >>> y = mg.nn.functional.dropout(mg.ones(8), p=0.5, rng=0)
    >>> sorted(set(y.data.tolist()))    # kept elements are scaled by 1/(1 - p) = 2
    [0.0, 2.0]
    """
    _check_p(p)
    if not isinstance(x, Tensor):
        x = Tensor(x)
    ops._floating("dropout", x.data)  # NOTE: the mask's 1/(1 - p) would be rounded (or refused) in integers
    if not training or p == 0:
        return x
    a = x.data
    dtype = a.dtype if a.dtype in (np.float32, np.float64) else np.float64
    mask = (as_generator(rng).random(a.shape, dtype=dtype) >= p).astype(a.dtype)
    mask *= 1.0 / (1.0 - p)
    return Dropout.apply(x, mask=mask)


def _check_p(p):
    if isinstance(p, (bool, np.bool_)) or not isinstance(p, (int, float, np.integer, np.floating)) or not 0 <= p < 1:
        raise ValueError(f"dropout probability p must be a number in [0, 1), got {p!r}")


def flatten(x):
    """Keep the first (batch) axis, flatten the rest: (N, ...) → (N, product of the rest).

    Examples
    --------
    >>> import minigrad as mg
    >>> mg.nn.functional.flatten(mg.zeros(2, 3, 4)).shape
    (2, 12)
    """
    shape = x.data.shape if isinstance(x, Tensor) else np.shape(x)
    if len(shape) == 0:
        raise ValueError("flatten needs a batch axis: got a 0-d input of shape ()")
    rest = 1
    for n in shape[1:]:
        rest *= n
    return ops.Reshape.apply(x, shape=(shape[0], rest))


# =========================================================================
# Losses: each one node, with reduction 'mean' | 'sum' | 'none'
# =========================================================================


def _reduce(losses, reduction):
    """L from the per-element losses ℓ: their mean (1/n) Σ ℓ, their sum Σ ℓ, or ℓ itself ('none')."""
    if reduction == "mean":
        if losses.dtype == np.float16:  # NOTE: added in float32, as PyTorch does: a float16 sum overflows at 65,504
            return np.float16(losses.sum(dtype=np.float32) / losses.size)
        return losses.sum() / losses.size
    if reduction == "sum":
        return losses.sum()
    return losses


def _upstream(g, reduction, n):
    """w = dL/dℓ from g = dL/dL: g/n for the mean of n losses, g for the sum, g (one per ℓ) for none."""
    return g / n if reduction == "mean" else g


def _check_reduction(fn, reduction):
    if reduction not in REDUCTIONS:
        raise ValueError(f"{fn}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _check_mean_of_empty(fn, x, reduction):
    """The mean of no losses is 0/0: refuse it rather than return NaN."""
    if x.data.size == 0 and reduction == "mean":
        raise ValueError(f"{fn}: the mean over an empty input (shape {x.shape}) is undefined")


def _as_input(fn, x):
    if not isinstance(x, Tensor):
        x = Tensor(x)
    if x.data.dtype.kind != "f":
        raise DtypeError(f"{fn}: input must be floating point, got dtype {x.dtype}")
    return x


def _as_target(fn, target, x, what="target"):
    """``(t, t_data)``: the target Tensor and its array when it requires grad, else its array twice.

    ``t is t_data`` thus says the target is a constant; the callers check its
    shape and values on ``t_data``, then cast a constant to x's dtype.
    """
    if isinstance(target, Tensor) and target.requires_grad:
        if target.dtype != x.dtype:
            verb = "have" if what.endswith("s") else "has"
            raise DtypeError(f"{fn}: the {what} {verb} dtype {target.dtype} and the input "
                             f"{x.dtype}; they must match")
        return target, target.data
    if isinstance(target, (list, tuple, float, int)):
        target = np.asarray(target, dtype=x.dtype)  # as Tensor() would: Python data is float
    a = np.asarray(target.data if isinstance(target, Tensor) else target)
    return a, a


class MSELoss(Function):
    """ℓ = (x − t)²,   L = mean, sum or ℓ itself (``reduction``);   w = dL/dℓ
    dL/dx = 2(x − t) · w
    dL/dt = −2(x − t) · w"""

    def forward(self, x, t, reduction="mean"):
        self.x, self.t, self.reduction = x, t, reduction
        d = x - t
        return _reduce(d * d, reduction)

    def backward(self, g):
        gx = 2 * (self.x - self.t) * _upstream(g, self.reduction, self.x.size)
        return gx, (-gx if self.inputs[1] is not None else None)


def mse_loss(input, target, reduction="mean"):
    """Mean squared error between ``input`` and ``target`` of the same shape.

    Math::

        ℓᵢ = (xᵢ − tᵢ)²
        L = (1/n) Σ ℓᵢ  ('mean', n = number of elements),  Σ ℓᵢ  ('sum'),  ℓ  ('none')
        dL/dxᵢ = 2(xᵢ − tᵢ)/n  ('mean'),   dL/dtᵢ = −dL/dxᵢ

    Parameters
    ----------
    input : Tensor
    target : Tensor or array_like
        Same shape as ``input``; converted to its dtype unless it requires grad.
    reduction : {'mean', 'sum', 'none'}

    Raises
    ------
    ValueError
        If the shapes differ (both named).
    DtypeError
        (a ``TypeError`` and a ``ValueError``) for an integer input, or a
        target that requires grad in another dtype.

    Notes
    -----
    PyTorch only warns when the shapes differ and then broadcasts, which
    silently turns (N, 1) against (N,) into an (N, N) loss; minigrad refuses.

    Examples
    --------
    >>> import minigrad as mg
    >>> x = mg.Tensor([1.0, 2.0, 4.0], requires_grad=True)
    >>> loss = mg.nn.functional.mse_loss(x, [1.0, 1.0, 1.0])   # (0 + 1 + 9) / 3
    >>> round(loss.item(), 4)
    3.3333
    >>> loss.backward(); x.grad                                 # 2(x − t)/3
    array([0.       , 0.6666667, 2.       ], dtype=float32)
    """
    _check_reduction("mse_loss", reduction)
    x = _as_input("mse_loss", input)
    t, t_data = _as_target("mse_loss", target, x)
    if t_data.shape != x.shape:
        raise ValueError(f"mse_loss: input of shape {x.shape} and target of shape "
                         f"{t_data.shape} differ; they must match exactly (no broadcasting)")
    if t is t_data:
        t = t_data.astype(x.dtype, copy=False)
    _check_mean_of_empty("mse_loss", x, reduction)
    return MSELoss.apply(x, t, reduction=reduction)


class CrossEntropy(Function):
    """ℓₙ = log Σⱼ e^(xₙⱼ) − xₙ[yₙ],   L = mean, sum or ℓ itself (``reduction``);   wₙ = dL/dℓₙ
    dL/dxₙ = (softmax(xₙ) − onehot(yₙ)) · wₙ          (the labels y get no gradient)"""

    def forward(self, x, labels, reduction="mean"):
        # NOTE: shift each row by its max: e^(x − m) ≤ 1 never overflows, and the shift
        # cancels in log Σ e^x − x_y. Logits of ±1000 stay finite.
        shifted = x - x.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        s = e.sum(axis=1)
        losses = np.log(s) - shifted[np.arange(len(x)), labels]
        self.p, self.labels, self.reduction = e / s[:, None], labels.copy(), reduction  # p = softmax(x)
        # NOTE: a copy of the labels, which are not differentiated (so not locked): a later write
        # into the caller's array cannot change what backward uses
        return _reduce(losses, reduction)

    def on_tensors(self):
        """For gradients of gradients (``minigrad.grad(create_graph=True)``): p as an op of the Tensor x."""
        self.p = self.inputs[0].softmax(axis=1)

    def backward(self, g):
        """dL/dx = (p − onehot(labels)) · w, where p = softmax(x) (saved as ``self.p``) and
        w = dL/dℓ per row: g / N for 'mean', g for 'sum', g[n] for row n for 'none'."""
        # BEGIN SOLUTION nn.cross_entropy_backward
        onehot = np.eye(self.p.shape[1], dtype=self.p.dtype)[self.labels]
        w = _upstream(g, self.reduction, len(self.labels))   # g / N, g, or g per row
        if self.reduction == "none":
            w = w.reshape(-1, 1)                              # row n scaled by g[n]
        return (self.p - onehot) * w
        # END SOLUTION


def _check_cross_entropy(x, y, reduction):
    """Raise the ValueError that names what is wrong with cross_entropy's logits ``x`` (a Tensor),
    labels ``y`` (an array) or ``reduction``; pass if nothing is."""
    _check_reduction("cross_entropy", reduction)
    _as_input("cross_entropy", x)
    shape = x.data.shape
    if len(shape) != 2:
        raise ValueError(f"cross_entropy: logits must have shape (N, C), got shape {shape}")
    if y.shape == shape and shape[1] > 1:
        raise ValueError(f"cross_entropy: labels of shape {y.shape} look like one-hot rows or "
                         f"probabilities; it takes class indices of shape ({shape[0]},): for "
                         f"one-hot rows pass labels.argmax(axis=1)")
    if y.dtype.kind not in "iu":
        raise DtypeError(f"cross_entropy: labels must be integer class indices, got dtype "
                         f"{y.dtype}; convert an array with y.astype(np.int64), or make the "
                         f"tensor with mg.Tensor(labels, dtype=np.int64) (a list becomes float32)")
    n, c = shape
    if y.shape != (n,):
        raise ValueError(f"cross_entropy: logits of shape {shape} need labels of shape "
                         f"({n},), got labels of shape {y.shape}")
    if n and (y.min() < 0 or y.max() >= c):
        raise ValueError(f"cross_entropy: labels must be in [0, {c}) for {c} classes, got "
                         f"labels from {y.min()} to {y.max()}")
    _check_mean_of_empty("cross_entropy", x, reduction)


def cross_entropy(logits, labels, reduction="mean"):
    """Softmax cross-entropy between rows of logits and integer class labels.

    Math::

        pₙ = softmax(xₙ)
        ℓₙ = −log pₙ[yₙ] = log Σⱼ e^(xₙⱼ) − xₙ[yₙ]
        L = (1/N) Σ ℓₙ  ('mean'),  Σ ℓₙ  ('sum'),  ℓ  ('none')
        dL/dxₙ = (pₙ − onehot(yₙ)) / N  ('mean')

    Parameters
    ----------
    logits : Tensor of shape (N, C)
        Unnormalised scores, one row per example.
    labels : Tensor or array_like of shape (N,), integer
        Class indices in [0, C).
    reduction : {'mean', 'sum', 'none'}

    Raises
    ------
    ValueError
        For labels outside [0, C), a batch-size mismatch (both shapes named),
        logits that are not 2-D, a bad ``reduction``.
    DtypeError
        (a ``TypeError`` and a ``ValueError``) for integer logits or
        non-integer labels.

    Notes
    -----
    One node whose backward is softmax minus one-hot, instead of log_softmax
    followed by indexing and a mean (three nodes). Class probabilities as
    targets, ``weight``, ``ignore_index`` and ``label_smoothing`` of PyTorch
    are not supported.

    Examples
    --------
    >>> import numpy as np
    >>> import minigrad as mg
    >>> logits = mg.Tensor([[1000.0, -1000.0], [0.0, 0.0]], requires_grad=True)
    >>> loss = mg.nn.functional.cross_entropy(logits, [0, 1])   # (0 + log 2) / 2
    >>> round(loss.item(), 4)
    0.3466
    >>> loss.backward(); logits.grad                            # (p − onehot) / 2
    array([[ 0.  ,  0.  ],
           [ 0.25, -0.25]], dtype=float32)
    """
    x = logits if isinstance(logits, Tensor) else Tensor(logits)
    y = labels.data if isinstance(labels, Tensor) else np.asarray(labels)
    _check_cross_entropy(x, y, reduction)
    return CrossEntropy.apply(x, labels=y, reduction=reduction)


class BCEWithLogits(Function):
    """ℓ = max(x, 0) − x·t + log(1 + e^(−|x|)),   L = mean, sum or ℓ itself;   w = dL/dℓ
    dL/dx = (σ(x) − t) · w
    dL/dt = −x · w"""

    def forward(self, x, t, reduction="mean"):
        # NOTE: log(1 + e^x) − x·t written so that e^(−|x|) ≤ 1: no overflow at ±1000.
        self.x, self.t, self.reduction = x, t, reduction
        return _reduce(np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x))), reduction)

    def backward(self, g):
        w = _upstream(g, self.reduction, self.x.size)
        gx = (_sigmoid(self.x) - self.t) * w
        return gx, (-self.x * w if self.inputs[1] is not None else None)


def _sigmoid(x):
    """σ(x) of an array, from e^(−|x|) ≤ 1 (accurate far in the tails), or of a Tensor.

    NOTE: on a Tensor (gradients of gradients) through the Sigmoid op, whose
    derivative σ(1 − σ) is right at 0; e^(−|x|) there would take |x|'s
    derivative sign(0) = 0 and give a second derivative of 0 at x = 0.
    """
    return x.sigmoid() if isinstance(x, Tensor) else ops.stable_sigmoid(x)


def binary_cross_entropy_with_logits(logits, targets, reduction="mean"):
    """Binary cross-entropy of sigmoid(logits) against targets in [0, 1], in one stable node.

    Math::

        σ(x) = 1 / (1 + e^(−x))
        ℓ = −[t·log σ(x) + (1 − t)·log(1 − σ(x))] = max(x, 0) − x·t + log(1 + e^(−|x|))
        L = mean ℓ,  Σ ℓ  or  ℓ   (reduction)
        dL/dx = (σ(x) − t) / n  ('mean', n elements),   dL/dt = −x / n

    Parameters
    ----------
    logits : Tensor
    targets : Tensor or array_like, floating point
        Same shape as ``logits``, values in [0, 1] (probabilities; 0/1 labels
        as floats).
    reduction : {'mean', 'sum', 'none'}

    Raises
    ------
    ValueError
        For a shape mismatch (both shapes named), targets outside [0, 1], a
        bad ``reduction``.
    DtypeError
        (a ``TypeError`` and a ``ValueError``) for integer logits, integer or
        boolean targets, or targets that require grad in another dtype.

    Notes
    -----
    Never computes log σ(x) directly, which is −inf in floating point for
    x < −104 (float32). PyTorch's ``pos_weight`` and ``weight`` are not
    supported.

    Examples
    --------
    >>> import minigrad as mg
    >>> x = mg.Tensor([1000.0, -1000.0, 0.0], requires_grad=True)
    >>> loss = mg.nn.functional.binary_cross_entropy_with_logits(x, [1.0, 1.0, 0.5], reduction="sum")
    >>> round(loss.item(), 3)                                   # 0 + 1000 + log 2
    1000.693
    >>> loss.backward(); x.grad                                  # σ(x) − t
    array([ 0., -1.,  0.], dtype=float32)
    """
    fn = "binary_cross_entropy_with_logits"
    _check_reduction(fn, reduction)
    x = _as_input(fn, logits)
    t, t_data = _as_target(fn, targets, x, "targets")
    if t_data.shape != x.shape:
        raise ValueError(f"{fn}: logits of shape {x.shape} and targets of shape {t_data.shape} "
                         f"differ; they must match exactly")
    if t_data.dtype.kind != "f":
        raise DtypeError(f"{fn}: targets must be floating point in [0, 1], got dtype "
                         f"{t_data.dtype}; convert with .astype(np.float32)")
    if t_data.size and not (t_data.min() >= 0 and t_data.max() <= 1):  # also catches NaN
        raise ValueError(f"{fn}: targets must be in [0, 1], got values from {t_data.min()} "
                         f"to {t_data.max()}")
    if t is t_data:
        t = t_data.astype(x.dtype, copy=False)
    _check_mean_of_empty("binary_cross_entropy_with_logits", x, reduction)
    return BCEWithLogits.apply(x, t, reduction=reduction)
