"""Experiments over seeds: several independent networks trained as one, and a verdict from their spread.

Tutorial 07 ("The lecture, tested") puts each claim of the lecture to an
experiment repeated over seeds. Training S small networks one after the
other costs S times the Python overhead of one; :class:`StackedMLP` holds
them as one model whose parameters have a leading seed axis, so one
``backward`` and one ``step()`` serve all S. The seeds never interact: the
loss is a sum of one term per seed, so each slice of a parameter gets the
gradient of its own seed's loss, and an elementwise optimizer (all of
``minigrad.optim`` but SWATS, whose switch test sums over every parameter)
updates each slice exactly as if it were alone. ``tests/test_experiments.py``
checks that against S separate runs.

=========================  =====================================================
name                       does
=========================  =====================================================
:class:`StackedMLP`        S MLPs (one per seed) as one model (of StackedLinear)
:func:`train_stacked`      mini-batch training of a StackedMLP, each seed its own
                           shuffles; loss and accuracies per seed and epoch
:func:`evaluate`           each seed's loss and accuracy on a data set
:func:`mean_sd`            "0.972 ± 0.005"
:func:`difference`         mean difference of two samples and its standard error
=========================  =====================================================
"""

import math
import numbers

import numpy as np

from . import nn
from .grad_mode import no_grad
from .nn import functional as F
from .nn.module import Module, Parameter
from .tensor import Tensor

__all__ = ["StackedLinear", "StackedMLP", "train_stacked", "evaluate", "mean_sd", "difference", "interval"]


class StackedLinear(Module):
    """S affine layers, one per seed: ``y_s = x_s · W_s + b_s``.

    Math::

        y_s = x_s W_s + b_s      x: (S, B, in) or (B, in),  W: (S, in, out),  b: (S, 1, out)

    Parameters
    ----------
    layers : list of nn.Linear
        One per seed, all of the same sizes; their weights, transposed, and
        biases are stacked (copied).
    """

    def __init__(self, layers):
        super().__init__()
        self.weight = Parameter(np.stack([layer.weight.data.T for layer in layers]))
        self.bias = Parameter(np.stack([layer.bias.data[None, :] for layer in layers]))

    def forward(self, x):
        return x @ self.weight + self.bias


class StackedMLP(Module):
    """S ReLU networks of the same sizes, one per seed, stacked along a leading axis.

    Math::

        h⁰_s = X_s                                  (s = 1 … S: the seed)
        hˡ_s = relu(hˡ⁻¹_s · Wˡ_s + bˡ_s)           (the last layer without relu)
        L = Σ_s L_s,   so   ∂L/∂Wˡ_s = ∂L_s/∂Wˡ_s  (each seed's own gradient)

    Parameters
    ----------
    sizes : sequence of int
        Layer widths, input first: ``(64, 64, 10)`` is an MLP 64-64-10.
    seeds : sequence of int
        One network per seed, initialised as the ``nn.Linear`` layers built
        in turn from ``numpy.random.default_rng(seed)``.

    Attributes
    ----------
    layers : nn.ModuleList of StackedLinear
        Weights (S, in, out), biases (S, 1, out).

    Notes
    -----
    Inputs are (S, B, in), one batch per seed, or (B, in), the same rows for
    every seed (a test set). Float32, as ``nn.Linear``.

    Examples
    --------
    >>> import numpy as np
    >>> from minigrad.experiments import StackedMLP
    >>> model = StackedMLP((4, 8, 3), seeds=[0, 1])
    >>> [p.shape for p in model.parameters()]
    [(2, 4, 8), (2, 1, 8), (2, 8, 3), (2, 1, 3)]
    >>> model(np.ones((5, 4), np.float32)).shape     # 5 rows, each seen by both networks
    (2, 5, 3)
    """

    def __init__(self, sizes, seeds):
        super().__init__()
        self.seeds = list(seeds)
        if not self.seeds:
            raise ValueError("StackedMLP needs one or more seeds (one network each)")
        if len(set(self.seeds)) < len(self.seeds):  # two networks of one seed are one run counted twice
            raise ValueError(f"StackedMLP: the seeds must differ, got {self.seeds}")
        per_seed = []  # per_seed[s][l]: seed s's l-th nn.Linear
        for seed in self.seeds:
            gen = np.random.default_rng(seed)
            per_seed.append([nn.Linear(a, b, rng=gen) for a, b in zip(sizes[:-1], sizes[1:])])
        self.layers = nn.ModuleList([StackedLinear(list(layer)) for layer in zip(*per_seed)])

    def forward(self, x):
        h = x if isinstance(x, Tensor) else Tensor(x)
        for i, layer in enumerate(self.layers):
            h = layer(h)
            if i < len(self.layers) - 1:
                h = h.relu()
        return h


def _stacked_cross_entropy(logits, labels):
    """Σ_s (mean cross-entropy of seed s): logits (S, B, C), labels (S, B)."""
    S, B, C = logits.shape
    return F.cross_entropy(logits.reshape(S * B, C), labels.reshape(-1), reduction="sum") / B


def train_stacked(model, optimizer, X, y, *, epochs, batch_size=32, validation=None, before_step=None):
    """Train a :class:`StackedMLP` with mini-batches; each seed shuffles the data its own way.

    Math::

        each epoch, each seed s: a permutation of the rows from default_rng(seed)
        each update: L = Σ_s mean cross-entropy of seed s's batch,  then optimizer.step()

    Parameters
    ----------
    model : StackedMLP
    optimizer : optim.Optimizer
        Over ``model.parameters()``; elementwise (not SWATS), or the seeds interact.
    X, y : ndarray
        Training inputs (n, in) and integer labels (n,).
    epochs : int
    batch_size : int, default 32
        Rows per update and seed (the last batch of an epoch may be shorter).
    validation : (X_test, y_test), optional
        Accuracy on it after every epoch.
    before_step : callable, optional
        ``before_step(optimizer, t)`` before update t = 1, 2, … (a learning-rate schedule).

    Returns
    -------
    dict of ndarray, each shaped (S, epochs)
        ``"loss"`` (mean training loss over the epoch), ``"train_accuracy"``
        (over the epoch's batches, before each update), ``"test_accuracy"``
        (with ``validation``).

    Raises
    ------
    FloatingPointError
        When a seed's loss is NaN or infinite (no step is taken with it).
    ValueError
        For ``epochs`` or ``batch_size`` below 1, or an optimizer whose rule
        is not elementwise (SWATS) with two seeds or more.
    TypeError
        For labels that are not integers.

    Examples
    --------
    >>> import numpy as np
    >>> from minigrad import optim
    >>> from minigrad.experiments import StackedMLP, train_stacked
    >>> gen = np.random.default_rng(0)
    >>> X = gen.normal(size=(64, 2)).astype(np.float32); y = (X[:, 0] > 0).astype(np.int64)
    >>> model = StackedMLP((2, 8, 2), seeds=[0, 1, 2])
    >>> result = train_stacked(model, optim.Adam(model.parameters(), lr=0.05), X, y, epochs=20)
    >>> result["loss"].shape, bool((result["loss"][:, -1] < result["loss"][:, 0]).all())
    ((3, 20), True)
    """
    X = np.asarray(X)
    y = _labels(y, "train_stacked", len(X), model.layers[-1].weight.shape[-1])
    for name, value in (("epochs", epochs), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError(f"train_stacked: {name} must be an int >= 1, got {value!r}")
    if len(model.seeds) > 1 and not getattr(optimizer, "_elementwise", True):  # SWATS: one test summed over the seeds
        raise ValueError(f"train_stacked: {type(optimizer).__name__}'s rule is not elementwise, so the "
                         f"seeds of one stacked model would steer each other; train one model per seed")
    S, n = len(model.seeds), len(X)
    gens = [np.random.default_rng(seed) for seed in model.seeds]
    result = {"loss": np.zeros((S, epochs)), "train_accuracy": np.zeros((S, epochs))}
    if validation is not None:
        result["test_accuracy"] = np.zeros((S, epochs))
    t = 0
    for epoch in range(epochs):
        order = np.stack([gen.permutation(n) for gen in gens])       # (S, n): each seed its own order
        for start in range(0, n, batch_size):
            rows = order[:, start:start + batch_size]
            xb, yb = X[rows], y[rows]                                 # (S, B, in), (S, B)
            t += 1
            if before_step is not None:
                before_step(optimizer, t)
            optimizer.zero_grad()
            logits = model(xb)
            loss = _stacked_cross_entropy(logits, yb)
            per_seed = _per_seed_loss(logits.data, yb)
            if not np.isfinite(per_seed).all():  # as optim.train: no step with it, and no NaN results
                seeds = [seed for seed, v in zip(model.seeds, per_seed) if not np.isfinite(v)]
                raise FloatingPointError(f"train_stacked: the loss of seed(s) {seeds} is not finite in "
                                         f"epoch {epoch + 1}, update {t}; lower the learning rate")
            loss.backward()
            optimizer.step()
            result["loss"][:, epoch] += per_seed * yb.shape[1] / n
            result["train_accuracy"][:, epoch] += (logits.data.argmax(-1) == yb).sum(axis=1) / n
        if validation is not None:
            result["test_accuracy"][:, epoch] = evaluate(model, *validation)[1]
    return result


def _per_seed_loss(logits, labels):
    """Mean cross-entropy of each seed's rows, in NumPy: logits (S, B, C), labels (S, B) or (B,)."""
    z = logits - logits.max(axis=-1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    labels = np.broadcast_to(labels, logits.shape[:-1])
    return -np.take_along_axis(log_p, labels[..., None], axis=-1)[..., 0].mean(axis=1)


def evaluate(model, X, y):
    """Each seed's mean cross-entropy and accuracy on the rows of ``X``: two arrays of shape (S,).

    Examples
    --------
    >>> import numpy as np
    >>> from minigrad.experiments import StackedMLP, evaluate
    >>> loss, acc = evaluate(StackedMLP((2, 3), seeds=[0, 1]), np.zeros((4, 2), np.float32), np.zeros(4, int))
    >>> loss.shape, acc.shape
    ((2,), (2,))
    """
    with no_grad():
        logits = model(np.asarray(X)).data
    y = _labels(y, "evaluate", logits.shape[1], logits.shape[-1])
    finite = np.isfinite(logits).all(axis=-1)  # a row of NaN predicts nothing (its arg-max would be 0)
    return _per_seed_loss(logits, y), ((logits.argmax(-1) == y) & finite).mean(axis=1)


def _labels(y, fn, rows, classes):
    """``y`` as an array of integer class labels, one in [0, classes) per row; anything else is refused,
    naming ``fn``."""
    y = np.asarray(y)
    if y.dtype.kind not in "iu":
        raise TypeError(f"{fn}: labels must be integer class indices, got dtype {y.dtype}; convert "
                        f"them with y.astype(np.int64)")
    if y.shape != (rows,):  # NOTE: else fancy indexing drops the extra labels, and one label broadcasts
        raise ValueError(f"{fn}: expected one label per row of X, {rows} in all, got labels of shape {y.shape}")
    if y.size and (y.min() < 0 or y.max() >= classes):  # -1 would index the last class
        raise ValueError(f"{fn}: labels must lie in [0, {classes}) (the network's outputs), got "
                         f"{y.min()} … {y.max()}")
    return y


def mean_sd(values, digits=3):
    """``"mean ± sd"`` of a sample (sd with n − 1), both rounded to ``digits`` decimals.

    Examples
    --------
    >>> from minigrad.experiments import mean_sd
    >>> mean_sd([0.97, 0.98, 0.96])
    '0.970 ± 0.010'
    """
    values = np.asarray(values, dtype=float).reshape(-1)
    if values.size == 0:
        raise ValueError("mean_sd of no values")
    if values.size == 1:  # NOTE: one value has no spread to speak of; "± 0.000" would claim one
        return f"{values[0]:.{digits}f} (one value, no sd)"
    return f"{values.mean():.{digits}f} ± {values.std(ddof=1):.{digits}f}"


def difference(a, b, paired=False):
    """The difference of the means of two samples, and its standard error.

    Math::

        d = mean(a) − mean(b)
        se = √( sd(a)²/n_a + sd(b)²/n_b )      unpaired (Welch's)
        se = sd(a − b) / √n                    paired: a[i] and b[i] share seed i

    sd with n − 1 in the denominator. Pair the samples when each seed gives
    both sides the same start (initial weights, batches, data set), as the
    experiments here do: the seed's luck then cancels in a − b, and the
    comparison gets sharper. A difference beyond ±2·se is *not* a 5% test
    for the few seeds used here: with 5 seeds, noise alone passes it 8–10%
    of the time; :func:`interval` gives the half-width that is.

    Examples
    --------
    >>> from minigrad.experiments import difference
    >>> d, se = difference([0.98, 0.97, 0.99], [0.95, 0.96, 0.94])
    >>> round(d, 3), round(se, 4)
    (0.03, 0.0082)
    >>> d, se = difference([0.98, 0.97, 0.99], [0.95, 0.96, 0.94], paired=True)
    >>> round(d, 3), round(se, 4)
    (0.03, 0.0115)
    """
    a, b = np.asarray(a, dtype=float).reshape(-1), np.asarray(b, dtype=float).reshape(-1)
    if not (np.isfinite(a).all() and np.isfinite(b).all()):  # a diverged run is no measurement
        raise ValueError(f"difference of samples that hold NaN or inf: {a.tolist()} and {b.tolist()}")
    if min(a.size, b.size) < 2:
        raise ValueError(f"difference needs two or more values in each sample (their sd), got {a.size} "
                         f"and {b.size}")
    if paired:
        if a.size != b.size:
            raise ValueError(f"a paired difference needs one value of each sample per seed, got {a.size} "
                             f"and {b.size} values")
        return float(a.mean() - b.mean()), float((a - b).std(ddof=1) / math.sqrt(a.size))
    se = math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    return float(a.mean() - b.mean()), se


def interval(a, b, paired=False, level=0.95):
    """The difference of the means and the half-width h of its ``level`` confidence interval, d ± h.

    Math::

        h = t_{(1 + level)/2, ν} · se            (se from :func:`difference`)
        ν = n − 1                                 paired
        ν = (va + vb)² / (va²/(n_a − 1) + vb²/(n_b − 1)),  va = sd(a)²/n_a, vb = sd(b)²/n_b
                                                  unpaired (Welch–Satterthwaite)

    Student's t, not the normal 2: with 5 paired seeds h = 2.78·se. A
    difference whose interval leaves out 0 (``abs(d) > h``) is what tutorial
    07 calls measured: noise alone does that in 1 − ``level`` of
    experiments, for normal samples, one comparison at a time.

    Examples
    --------
    >>> from minigrad.experiments import interval
    >>> d, h = interval([0.98, 0.97, 0.99], [0.95, 0.96, 0.94], paired=True)
    >>> round(d, 3), round(h, 4)
    (0.03, 0.0497)
    """
    from scipy.stats import t  # NOTE: scipy comes with scikit-learn; imported here, as sklearn is

    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    d, se = difference(a, b, paired)
    a, b = np.asarray(a, dtype=float).reshape(-1), np.asarray(b, dtype=float).reshape(-1)
    if paired:
        dof = a.size - 1
    else:
        va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
        dof = (va + vb) ** 2 / (va ** 2 / (a.size - 1) + vb ** 2 / (b.size - 1)) if va + vb > 0 else \
            a.size + b.size - 2
    return d, float(t.ppf((1 + level) / 2, dof) * se)
