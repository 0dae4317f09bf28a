"""Training curves: :func:`plot_history` draws what ``optim.train`` recorded.

The losses of every update and every epoch share one axis (an update i of an
epoch with n updates sits at epoch i/n); the accuracies, when there are any,
get a panel of their own. matplotlib is imported only when drawing.
"""

import numbers

import numpy as np

from .plotting import new_figure, save, whole_ticks

__all__ = ["plot_history"]

_HISTORY_FIELDS = ("step_loss", "epoch_loss", "epoch_accuracy", "val_loss", "val_accuracy")


def _history_lists(history):
    """The five curves of a History (attributes) or of a dict with the same keys, as float arrays."""
    if not isinstance(history, dict) and not any(hasattr(history, name) for name in _HISTORY_FIELDS):
        raise TypeError(f"plot_history needs a History (what optim.train returns) or a dict of its "
                        f"lists, got {type(history).__name__}")
    out = {}
    for name in _HISTORY_FIELDS:
        value = history.get(name, []) if isinstance(history, dict) else getattr(history, name, [])
        out[name] = np.asarray(value if value is not None else [], dtype=np.float64)
        if out[name].ndim != 1:  # NOTE: flattened, a list of lists would be drawn as extra epochs
            raise ValueError(f"plot_history: {name} must be a flat list of numbers, got shape {out[name].shape}")
    for name in ("epoch_accuracy", "val_accuracy"):
        wrong = out[name][(out[name] < 0) | (out[name] > 1)]  # NaN (an epoch not measured) passes
        if wrong.size:
            raise ValueError(f"plot_history: {name} holds {wrong[0]:g}; accuracies are fractions in [0, 1] "
                             f"(divide a percentage by 100)")
    lengths = {name: out[name].size for name in _HISTORY_FIELDS[1:] if out[name].size}  # one per epoch
    if len(set(lengths.values())) > 1:
        raise ValueError(f"plot_history: the per-epoch lists differ in length ({lengths}); each holds "
                         f"one value per epoch")
    return out


def plot_history(history, path=None, *, updates_per_epoch=None, held_out="validation"):
    """Plot a training History: loss per update and per epoch, accuracy, validation curves.

    Parameters
    ----------
    history : History or dict
        What ``optim.train`` returns: lists ``step_loss`` (one value per
        update), ``epoch_loss``, ``epoch_accuracy``, ``val_loss``,
        ``val_accuracy`` (one per epoch; the accuracy and validation lists
        may be empty). A dict with these keys works too.
    path : str or path-like, optional
        Save the figure there (PNG, SVG, PDF: from the suffix; ``.png`` is
        appended to a name without one).
    updates_per_epoch : int, optional
        Where the updates sit on the epoch axis. Default: the number of
        updates over the number of epochs, right for a run that finished its
        last epoch; give it for a run stopped within an epoch (a divergence),
        whose last updates then reach past the last epoch.
    held_out : str, optional
        What the curves of ``val_loss`` and ``val_accuracy`` are called in the
        legend: "validation loss", ... by default; ``python -m minigrad
        train`` passes ``"test"``, the name its printed lines use.

    Returns
    -------
    matplotlib.figure.Figure
        Left: the losses against the epoch (an update i of an epoch with n
        updates sits at epoch i/n, so per-update and per-epoch curves share
        the axis), on a log scale when they span more than a factor 20.
        Right, when there are accuracies: training and validation accuracy
        per epoch. Each legend entry gives the final value.

    Examples
    --------
    >>> from minigrad import viz
    >>> h = {"step_loss": [2.0, 1.5, 1.2, 1.0], "epoch_loss": [1.75, 1.1], "epoch_accuracy": [0.6, 0.8]}
    >>> fig = viz.plot_history(h)
    >>> [ax.get_ylabel() for ax in fig.axes]
    ['loss', 'accuracy']
    """
    curves = _history_lists(history)
    steps, epochs = curves["step_loss"], curves["epoch_loss"]
    if not (steps.size or epochs.size or curves["val_loss"].size):
        raise ValueError("plot_history: the history holds no loss values (step_loss, epoch_loss and "
                         "val_loss are all empty)")
    if updates_per_epoch is not None and (isinstance(updates_per_epoch, bool) or not isinstance(
            updates_per_epoch, numbers.Integral) or updates_per_epoch < 1):
        raise ValueError(f"updates_per_epoch must be an int >= 1, got {updates_per_epoch!r}")
    has_accuracy = curves["epoch_accuracy"].size or curves["val_accuracy"].size
    fig = new_figure(11.0 if has_accuracy else 6.5, 4.5)
    axes = fig.subplots(1, 2 if has_accuracy else 1, squeeze=False)[0]
    ax = axes[0]
    n_epochs = max(epochs.size, curves["val_loss"].size, curves["epoch_accuracy"].size)
    if n_epochs:
        per_epoch = updates_per_epoch or (steps.size / n_epochs if steps.size else 1.0)
        step_x = np.arange(1, steps.size + 1) / per_epoch
        xlabel = "epoch" + (f"  ({per_epoch:g} update{'' if per_epoch == 1 else 's'} per epoch)"
                            if steps.size else "")
    else:
        step_x, xlabel = np.arange(1, steps.size + 1), "update"
    if steps.size:
        ax.plot(step_x, steps, color="#9ecae1", linewidth=0.8,
                label=f"loss per update (last {steps[-1]:.4g})")
    marker = "o" if n_epochs <= 50 else None
    if epochs.size:
        ax.plot(np.arange(1, epochs.size + 1), epochs, color="#1f77b4", linewidth=2, marker=marker,
                markersize=4, label=f"training loss, epoch mean (last {epochs[-1]:.4g})")
    if curves["val_loss"].size:
        val = curves["val_loss"]
        ax.plot(np.arange(1, val.size + 1), val, color="#d62728", linewidth=2, marker=marker, markersize=4,
                label=f"{held_out} loss (last {val[-1]:.4g})")
    values = np.concatenate([steps, epochs, curves["val_loss"]])
    values = values[np.isfinite(values) & (values > 0)]
    if values.size and values.max() / values.min() > 20:
        # NOTE: a loss of exactly 0 (an online step that fits its example) has no place on a
        # log axis and is left out; a linear axis would flatten everything below a blow-up
        ax.set_yscale("log", nonpositive="mask")
    whole_ticks(ax, max(step_x[-1] if steps.size else 0, n_epochs))
    ax.set_xlabel(xlabel)
    ax.set_ylabel("loss")
    ax.set_title("loss")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=9)
    if has_accuracy:
        ax = axes[1]
        # NOTE: the training accuracy is counted during the epoch, as the weights change (what
        # optim.train records for free), so it trails the accuracy of the final weights
        for name, color, text in (("epoch_accuracy", "#1f77b4", "training accuracy, during the epoch"),
                                  ("val_accuracy", "#d62728", f"{held_out} accuracy")):
            acc = curves[name]
            if acc.size:
                ax.plot(np.arange(1, acc.size + 1), acc, color=color, linewidth=2, marker=marker,
                        markersize=4, label=f"{text} (last {acc[-1]:.3f})")
        ax.set_ylim(min(0.0, np.nanmin(np.concatenate([curves["epoch_accuracy"], curves["val_accuracy"]]))),
                    1.02)
        whole_ticks(ax, max(curves["epoch_accuracy"].size, curves["val_accuracy"].size))
        ax.set_xlabel("epoch")
        ax.set_ylabel("accuracy")
        ax.set_title("accuracy (fraction correct)")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=9, loc="best")  # NOTE: "lower right" covered the points of a run that failed
    save(fig, path)
    return fig
