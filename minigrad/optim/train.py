"""The training loop: epochs of (forward, loss, backward, step) under one of the regimes.

:func:`train` is the loop every course writes once by hand::

    for epoch in range(epochs):
        for xb, yb in <the regime's batches>:
            loss = loss_fn(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

plus what makes it usable: a :class:`History` of Python floats, accuracy for
classifiers, a validation pass, a progress bar, a callback, and a clear error
when the loss blows up.
"""

import math
import numbers
from dataclasses import dataclass, field

import numpy as np

from .. import blas_threads, ops
from .._rng import as_generator
from ..grad_mode import no_grad
from ..tensor import Tensor
from .health import HealthMonitor
from .regimes import _as_array, _check_flag, minibatches, offline, online, regime_name

__all__ = ["History", "train", "REGIMES"]

REGIMES = ("online", "minibatch", "offline")  # "batch" is accepted as another name for "offline"


@dataclass(repr=False)
class History:
    """What :func:`train` measured, as lists of Python floats.

    Attributes
    ----------
    step_loss : list of float
        The loss of every update, in order (the value before that update).
    epoch_loss : list of float
        One per epoch: the mean loss over the epoch's examples, as the updates
        saw them (each batch's mean loss weighted by its size).
    epoch_accuracy : list of float
        One per epoch for classification (class labels ``y``, see
        :func:`train`): the fraction of the epoch's examples the model
        classified right when it saw them. Empty otherwise.
    val_loss, val_accuracy : list of float
        One per epoch when ``train`` got ``validation=(X_val, y_val)``: the
        loss and accuracy on that set after the epoch, in eval mode.
        ``val_accuracy`` is empty unless ``y_val`` holds class labels.
    health : dict or None
        After ``train(..., health=True)``: activation statistics, gradient
        norms and update-to-data ratios per layer, as lists of floats (see
        :class:`~minigrad.optim.HealthMonitor`); None otherwise. Not one of
        the dataclass's fields, so ``History(**lists)`` and checkpoints of
        the five lists are unchanged.

    Notes
    -----
    ``epoch_loss`` and ``epoch_accuracy`` are running figures, as Keras and
    scikit-learn's ``loss_curve_`` report them: the parameters change during
    the epoch, so they lag a little behind a fresh pass over the data at the
    end of the epoch (which costs one more forward pass; ``validation`` does
    that for another set).

    Examples
    --------
    >>> import minigrad as mg
    >>> h = mg.optim.History(step_loss=[2.0, 1.0], epoch_loss=[1.5])
    >>> h.epochs, h.epoch_loss
    (1, [1.5])
    >>> h
    History(1 epoch, 2 updates, epoch_loss[-1]=1.5)
    """

    step_loss: list = field(default_factory=list)
    epoch_loss: list = field(default_factory=list)
    epoch_accuracy: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_accuracy: list = field(default_factory=list)
    health = None  # (no annotation: not a field) set by train(..., health=True), see optim/health.py

    @property
    def epochs(self):
        """The number of epochs recorded (``len(epoch_loss)``)."""
        return len(self.epoch_loss)

    def __repr__(self):  # NOTE: the lists can be long; show their sizes and last values
        last = ", ".join(f"{name}[-1]={values[-1]:.4g}" for name, values in vars(self).items()
                         if isinstance(values, list) and values and name != "step_loss")
        return (f"History({self.epochs} epoch{'' if self.epochs == 1 else 's'}, "
                f"{len(self.step_loss)} updates" + (f", {last}" if last else "") + ")")


def _check_not_classes(model, loss_fn, optimizer):
    """Name a class passed where an object belongs (``optim.SGD`` for ``optim.SGD(params)``)."""
    for role, value, example in (("model", model, "nn.{}(...)"), ("loss_fn", loss_fn, "nn.{}()"),
                                 ("optimizer", optimizer, "optim.{}(model.parameters(), lr=...)")):
        if isinstance(value, type):
            what = "an optimizer object" if role == "optimizer" else "an object"
            raise TypeError(f"{role} must be {what}, got the class {value.__name__}: make one first, "
                            f"e.g. {example.format(value.__name__)}")


def train(model, loss_fn, optimizer, X, y, *, regime="minibatch", batch_size=32, epochs=1, rng=None,
          progress=False, callback=None, validation=None, history=None, health=False):
    """Train ``model`` for ``epochs`` passes over ``(X, y)`` and return its :class:`History`.

    Math::

        for each epoch, for each batch B that the regime cuts (see optim.regimes):
            L_B = loss_fn(model(X_B), y_B)
            θ ← optimizer's update of θ with g = ∂L_B/∂θ
        epoch_loss = Σ_B |B|·L_B / n

    Parameters
    ----------
    model : callable
        Maps a Tensor of inputs to a Tensor of outputs, usually an
        ``nn.Module``: its ``train()``/``eval()`` modes are then switched
        for the updates and for the validation pass.
    loss_fn : callable
        ``loss_fn(output, target)`` returns a one-element Tensor, the batch's
        *mean* loss (as ``nn.functional.cross_entropy`` does by default);
        ``target`` is the batch of ``y`` as a Tensor.
    optimizer : optim.Optimizer
        Holds the model's parameters; ``zero_grad()`` and ``step()`` are
        called once per update.
    X, y : array-like or Tensor, shape (n, ...)
        Inputs and targets. Class labels mean classification, and accuracies
        are recorded: integer ``y`` (labels 0 … k−1), or, for a model with
        one output column, float ``y`` whose values are all 0 or 1 (the
        targets of ``binary_cross_entropy_with_logits``).
    regime : {"minibatch", "online", "offline"}, default "minibatch"
        ``"online"``: one example per update (n per epoch); ``"minibatch"``:
        ``batch_size`` examples per update; ``"offline"`` (or ``"batch"``):
        all n in one update per epoch (batch gradient descent). Any spelling
        of the lecture's is accepted ("on-line", "mini-batch", "off-line"):
        see :func:`minigrad.optim.regimes.regime_name`.
    batch_size : int, default 32
        Examples per update of the ``"minibatch"`` regime (unused by the
        other two).
    epochs : int, default 1
        Passes over the data, ≥ 1.
    rng : None, int or numpy.random.Generator
        Source of the shuffles, one new order per epoch; the same seed gives
        the same run. A Generator is advanced, so a second call continues
        with fresh orders.
    progress : bool, default False
        Show a tqdm progress bar (on stderr) over all the updates.
    callback : callable, optional
        Called as ``callback(history)`` after every epoch, once its figures
        are in ``history``.
    validation : (X_val, y_val), optional
        A held-out set, evaluated after every epoch (eval mode, ``no_grad``).
    history : History, optional
        The History of the run to continue (an earlier call's, or one read
        back from a checkpoint): the new figures are appended to its lists,
        and epochs and updates are counted on from it, in the progress bar
        and in the message of a divergence. Default: a new History.
    health : bool, default False
        Also record the training's health per layer into ``history.health``:
        activation statistics and saturation, gradient norms (per epoch) and
        the update-to-data ratio (per update), measured by a
        :class:`~minigrad.optim.HealthMonitor` around each step;
        ``viz.plot_health(history)`` draws them.

    Returns
    -------
    History
        ``step_loss`` (one float per update), ``epoch_loss``,
        ``epoch_accuracy`` (classification only), ``val_loss`` and
        ``val_accuracy`` (with ``validation``); the ``history`` given, if any.
        After a ``FloatingPointError`` that object holds the figures up to
        the divergence.

    Raises
    ------
    ValueError
        For an unknown ``regime`` (the message lists the choices), ``epochs``
        or ``batch_size`` below 1, ``X`` and ``y`` of different lengths, a
        ``validation`` that is not a pair, a loss with more than one element,
        or, at the first update, a loss from which none of the optimizer's
        parameters gets a gradient (an optimizer built for another model).
    TypeError
        For a ``callback`` that is not callable or a ``history`` that is no
        History.
    FloatingPointError
        When a loss is NaN or infinite: the message names the epoch and the
        update (counted on from ``history``), and no step is taken with it.
        After finite losses it blames the learning rate; before any step, or
        in a batch whose data hold NaN or inf, it names the loss value and
        what the loss was given (the ranges of the model's outputs and of the
        targets), where the cause must lie.

    Notes
    -----
    The model is in train mode during the updates and in eval mode, under
    ``no_grad``, for the validation pass; on return it is back in the mode
    it had. Only Python floats are kept, never a Tensor, so no graph outlives
    its update and memory stays flat however long the run (a classifier's
    outputs, plain arrays, are kept until the end of their epoch, which counts
    the correct ones). Accuracy is counted when the targets are labels: with
    several output columns, integer targets (the predicted class is the
    arg-max); with one column, targets that are all 0 or 1, where a logit > 0
    predicts class 1, or a probability > 0.5 when the model's output is a
    sigmoid's. Other targets (a regression's, integer counts included) get
    no accuracy. A validation figure of an earlier epoch that had none (a
    continued run) is NaN. ``X`` and ``y`` are read-only during the run: the
    on-line and off-line batches are views of them, and a model that wrote
    into its input would change the data set.
    Training goes on from the parameters and optimizer state as they are, so
    calling ``train`` twice continues the run (pass the first call's History
    as ``history`` to get one History of the whole run).

    Examples
    --------
    >>> import minigrad as mg
    >>> from minigrad import nn
    >>> X, y, X_test, y_test = mg.datasets.load("moons")
    >>> model = nn.Sequential(nn.Linear(2, 16, rng=0), nn.ReLU(), nn.Linear(16, 2, rng=1))
    >>> opt = mg.optim.Adam(model.parameters(), lr=0.01)
    >>> history = mg.optim.train(model, nn.functional.cross_entropy, opt, X, y,
    ...                          epochs=20, rng=0, validation=(X_test, y_test))
    >>> len(history.step_loss), len(history.epoch_loss)    # 800 examples: 25 batches of 32
    (500, 20)
    >>> history.epoch_loss[-1] < history.epoch_loss[0]
    True
    >>> history.val_accuracy[-1] > 0.9
    True
    """
    _check_not_classes(model, loss_fn, optimizer)
    regime = regime_name(regime)  # any spelling: "on-line", "Mini-batch", "batch", ...
    batches = _regime(regime, batch_size)
    if isinstance(epochs, bool) or not isinstance(epochs, numbers.Integral) or epochs < 1:
        raise ValueError(f"epochs must be an int >= 1, got {epochs!r}")
    X, y = _read_only(_as_array(X)), _read_only(_as_array(y))
    if X.ndim == 0 or y.ndim == 0 or len(X) != len(y):
        raise ValueError(f"X and y must hold the same number of examples, got shapes {X.shape} and {y.shape}")
    if len(X) == 0:
        raise ValueError(f"no examples to train on: X has shape {X.shape}")
    if validation is not None:
        validation = _check_validation(validation)
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable, got {type(callback).__name__}")
    if history is None:
        history = History()
    elif not isinstance(history, History):
        raise TypeError(f"history must be a History (what train returns), got {type(history).__name__}")
    _check_flag("progress", progress)  # NOTE: health="no" would be truthy
    _check_flag("health", health)
    monitor = HealthMonitor(model, optimizer, history) if health else None
    gen = as_generator(rng)
    n = len(X)
    classify = None  # decided at the first update, from the model's output (see _is_labels)
    threshold = 0.0  # one output column: class 1 above it (0.5 for a sigmoid's probability)
    per_epoch = _updates_per_epoch(regime, n, batch_size)
    done = history.epochs  # NOTE: a continued run counts its epochs on from the History's
    modes = _modes(model)  # each module's train/eval mode, given back on return
    bar = _progress_bar(epochs * per_epoch) if progress else None
    # NOTE: small models run BLAS on one thread (blas_threads: up to 7x faster on a busy machine)
    batch = {"online": 1, "minibatch": batch_size, "offline": n}[regime]
    params = [p for group in optimizer.param_groups for p in group["params"]]
    try:
        with blas_threads.limit_for(params, batch):
            for epoch in range(done + 1, done + epochs + 1):
                _set_mode(model, training=True)
                total, tally = 0.0, _Tally(n)  # the epoch's loss and its outputs with their labels
                for update, (xb, yb) in enumerate(batches(X, y, gen), start=1):
                    # NOTE: _wrap wraps the batch without the copy Tensor() makes: the regimes
                    # hand out new arrays (X[rows]) or the caller's, which nothing here writes to
                    output = model(Tensor._wrap(xb))
                    loss = loss_fn(output, Tensor._wrap(yb))
                    value = _loss_value(loss)
                    if not math.isfinite(value):
                        where = (f"epoch {epoch}, update {update} of {per_epoch} "
                                 f"({len(history.step_loss) + 1} overall)")
                        raise FloatingPointError(_not_finite(value, where, history, optimizer, xb, output, yb))
                    optimizer.zero_grad()
                    loss.backward()
                    if epoch == done + 1 and update == 1:
                        _check_gradients_arrive(optimizer)
                        classify = _is_labels(y, output.data)
                        threshold = 0.5 if isinstance(output.grad_fn, ops.Sigmoid) else 0.0
                    if monitor is None:
                        optimizer.step()
                    else:  # the same step, measured (optim/health.py)
                        monitor.step(output)
                    history.step_loss.append(value)
                    total += value * len(xb)
                    if classify:  # NOTE: copied (no graph kept) and counted at the epoch's end
                        tally.add(output.data, yb)
                    if bar is not None:
                        bar.update()
                history.epoch_loss.append(total / n)
                if classify:
                    history.epoch_accuracy.append(tally.correct(threshold) / n)
                if validation is not None:
                    _validate(model, loss_fn, *validation, history, threshold)
                if bar is not None:
                    bar.set_postfix_str(_postfix(epoch, done + epochs, history), refresh=False)
                if monitor is not None:
                    monitor.end_epoch()
                if callback is not None:
                    callback(history)
    finally:
        if bar is not None:
            bar.close()
        for module, training in modes:
            module.training = training
    return history


# ---------------------------------------------------------------- helpers

def _regime(regime, batch_size):
    """The function ``(X, y, gen) -> iterator over one epoch's batches`` of a regime name."""
    if regime == "online":
        return lambda X, y, gen: online(X, y, rng=gen)
    if regime == "minibatch":
        # NOTE: checked here, so that a bad size fails before the first update
        if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or batch_size < 1:
            raise ValueError(f"batch_size must be an int >= 1, got {batch_size!r}")
        return lambda X, y, gen: minibatches(X, y, batch_size, rng=gen)
    return lambda X, y, gen: offline(X, y)


def _updates_per_epoch(regime, n, batch_size):
    if regime == "online":
        return n
    if regime == "minibatch":
        return -(-n // min(batch_size, n))  # ⌈n / b⌉
    return 1


def _check_validation(validation):
    try:
        X_val, y_val = validation
    except (TypeError, ValueError):
        raise ValueError(f"validation must be a pair (X_val, y_val), got {type(validation).__name__}") from None
    X_val, y_val = _as_array(X_val), _as_array(y_val)
    if X_val.ndim == 0 or y_val.ndim == 0 or len(X_val) != len(y_val) or len(X_val) == 0:
        raise ValueError(f"validation X and y must hold the same, non-zero number of examples, "
                         f"got shapes {X_val.shape} and {y_val.shape}")
    return X_val, y_val


def _is_labels(y, output):
    """Whether ``y`` holds class labels, so that the loop counts correct predictions.

    With several output columns, integer targets are labels (cross-entropy's).
    With one column, targets that are all 0 or 1 are (binary labels, float for
    binary_cross_entropy_with_logits, which refuses integers); other values,
    integer counts included, are a regression's targets.
    """
    if not _one_column(output):
        return y.dtype.kind in "iu"
    return y.dtype.kind in "iuf" and bool(np.all((y == 0) | (y == 1)))


def _one_column(output):
    return output.ndim == 1 or output.shape[-1] == 1


class _Tally:
    """An epoch's outputs and labels, row after row, for counting its correct predictions at the end.

    NOTE: copied into two arrays made at the epoch's first update (room for its
    n examples), so the count is one arg-max over the epoch: one per update
    costs more, and so does keeping each update's arrays to join them at the
    end (about 1% of a small classifier's update).
    """

    __slots__ = ("outputs", "labels", "rows", "n")

    def __init__(self, n):
        self.outputs = self.labels = None
        self.rows, self.n = 0, n

    def add(self, output, labels):
        """Append one update's ``output`` (an array) and ``labels``."""
        if self.outputs is None:
            self.outputs = np.empty((self.n,) + output.shape[1:], output.dtype)
            self.labels = np.empty((self.n,) + labels.shape[1:], labels.dtype)
        start, self.rows = self.rows, self.rows + len(labels)
        self.outputs[start:self.rows] = output
        self.labels[start:self.rows] = labels

    def correct(self, threshold=0.0):
        """How many of the rows added so far predict their label (see ``_correct``)."""
        return _correct(self.outputs[:self.rows], self.labels[:self.rows], threshold)


def _correct(output, labels, threshold=0.0):
    """How many rows of ``output`` predict their label (arg-max; for one column, output > threshold).

    One column holds a logit (class 1 where it is > 0) or, after a sigmoid, a
    probability (``threshold`` 0.5). A row that is not finite predicts nothing
    and counts as wrong: NumPy's arg-max of a NaN row is 0, which would score
    class 0's share of the data.
    """
    if _one_column(output):
        predicted = output.reshape(len(labels)) > threshold
    else:
        predicted = output.argmax(axis=-1)
    if labels.shape != predicted.shape:  # (n, 1) targets of a one-column output
        labels = labels.reshape(predicted.shape)
    finite = np.isfinite(output.reshape(len(predicted), -1)).all(axis=1)
    return int(np.count_nonzero((predicted == labels) & finite))


def _loss_value(loss):
    """The loss as a Python float; the Tensor (and with it the graph) is not kept."""
    if not isinstance(loss, Tensor):
        raise TypeError(f"loss_fn must return a Tensor, got {type(loss).__name__}")
    data = loss.data
    if data.ndim == 0:  # the usual case: a mean or sum
        return float(data)
    if data.size != 1:
        raise ValueError(f"loss_fn must return a one-element Tensor (a mean loss), got shape {data.shape}")
    return float(data.reshape(()))  # (float() of a 1-element array of more axes is deprecated)


def _validate(model, loss_fn, X_val, y_val, history, threshold=0.0):
    """One forward pass over the validation set, in eval mode and without a graph."""
    _set_mode(model, training=False)
    with no_grad():
        output = model(Tensor(X_val))
        loss = _loss_value(loss_fn(output, Tensor(y_val)))
    earlier = len(history.epoch_loss) - 1  # NaN for earlier epochs without validation (a continued run)
    _pad(history.val_loss, earlier).append(loss)
    if _is_labels(y_val, output.data):
        _pad(history.val_accuracy, earlier).append(_correct(output.data, y_val, threshold) / len(y_val))


def _pad(curve, n):
    """``curve`` with NaN appended up to ``n`` values: one per epoch, measured or not."""
    curve.extend([math.nan] * (n - len(curve)))
    return curve


def _read_only(a):
    """A read-only view of ``a``.

    NOTE: the on-line and off-line batches are views of the caller's arrays, so
    a model that wrote into its input (``x -= mean``) changed the data set for
    every later epoch; through this view the write raises instead.
    """
    view = a.view()
    view.flags.writeable = False
    return view


def _modes(model):
    """``(module, its training flag)`` for the model and each of its modules (none for a plain function).

    NOTE: each one's own flag, not the model's alone: ``model.train(mode)`` would
    also switch back a submodule the user had put in eval mode on purpose.
    """
    modules = model.modules() if callable(getattr(model, "modules", None)) else ()
    return [(m, m.training) for m in modules if isinstance(getattr(m, "training", None), bool)]


def _set_mode(model, training):
    """``model.train()`` or ``model.eval()`` when the model has modes (an nn.Module does)."""
    if training and callable(getattr(model, "train", None)):
        model.train()
    elif not training and callable(getattr(model, "eval", None)):
        model.eval()


def _check_gradients_arrive(optimizer):
    """After the first backward: if no parameter of the optimizer got a gradient, none ever will."""
    params = [p for g in getattr(optimizer, "param_groups", ()) for p in g["params"]]
    if params and all(p.grad is None for p in params):
        raise ValueError("the loss does not depend on any of the optimizer's parameters (none got a "
                         "gradient); build the optimizer from this model's parameters, e.g. "
                         "optim.Adam(model.parameters())")


def _not_finite(value, where, history, optimizer, xb, output, yb):
    """The message for a NaN or infinite loss: the step size, or what the loss was given.

    Steps that blow the parameters up are the usual cause: lower the learning
    rate. But a loss that is not finite before any step, or in a batch whose
    data hold NaN or inf, has another cause, and the message names the loss's
    inputs instead.
    """
    finite_data = all(_finite(a) for a in (xb, yb))
    if history.step_loss and finite_data:  # NOTE: steps were taken and the loss was finite before them
        return f"the loss is {value} at {where}; training diverged: lower the learning rate (lr = {_lr(optimizer)})"
    cause = "before any step was taken" if not history.step_loss else "in a batch holding NaN or infinite values"
    outputs = _describe("the model's outputs", output.data)
    targets, inputs = _describe("the targets", yb), _describe("the batch's inputs", xb)
    return (f"the loss is {value} at {where}, {cause}, so not because of the learning rate "
            f"(lr = {_lr(optimizer)}): it comes from what the loss was given: {outputs}, {targets}; {inputs}")


def _finite(values):
    """False when a numeric array holds NaN or inf (other arrays count as finite)."""
    values = np.asarray(values)
    return values.dtype.kind not in "fc" or bool(np.isfinite(values).all())


def _describe(name, values):
    """'the targets range from -3 to 1e+30', or how many of them are NaN or infinite."""
    values = np.asarray(values)
    if values.dtype.kind not in "biufc" or values.size == 0:
        return f"{name} of dtype {values.dtype}, shape {values.shape}"
    bad = values.size - int(np.count_nonzero(np.isfinite(values)))
    if bad:
        return f"{name} hold {bad} NaN or infinite value(s) of {values.size}"
    return f"{name} range from {values.min():.4g} to {values.max():.4g}"


def _lr(optimizer):
    groups = getattr(optimizer, "param_groups", None)
    return groups[0].get("lr", "?") if groups else "?"


def _progress_bar(total):
    # NOTE: imported here, so `import minigrad` stays fast; plain tqdm (not tqdm.auto),
    # which also prints in a notebook without ipywidgets
    from tqdm import tqdm

    return tqdm(total=total, unit="update", desc="train", dynamic_ncols=True)


def loss_text(value):
    """A loss as printed: 4 decimals, or 3 digits in e-notation (1.25e-05, 1.55e+20) below 0.001 and from 1e6."""
    return f"{value:.4f}" if 1e-3 <= abs(value) < 1e6 else f"{value:.2e}"


def _postfix(epoch, epochs, history):
    text = f"epoch {epoch}/{epochs}, loss {loss_text(history.epoch_loss[-1])}"
    if history.epoch_accuracy:
        text += f", acc {history.epoch_accuracy[-1]:.3f}"
    if history.val_accuracy:
        text += f", val acc {history.val_accuracy[-1]:.3f}"
    return text
