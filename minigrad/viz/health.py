"""A training's health: :func:`plot_health`, shown as ``minigrad.viz.plot_health``.

Four panels from the record of ``optim.train(..., health=True)`` (see
:mod:`minigrad.optim.health`): saturation and spread of the activations per
layer, gradient norms and update-to-data ratios per weight.
"""

import numpy as np

from .plotting import COLORS, new_figure, plain_log_ticks, save, whole_ticks

__all__ = ["plot_health"]

_RULE_OF_THUMB = 1e-3  # ‖Δθ‖/‖θ‖ per update: Karpathy's "about 1e-3" (makemore part 3)


def _record(history):
    """The health record (a dict of dicts of lists) of a History, or the record itself."""
    record = history if isinstance(history, dict) else getattr(history, "health", None)
    if record is None and hasattr(history, "epoch_loss"):
        raise ValueError("plot_health: this History has no health record; train with "
                         "optim.train(..., health=True)")
    if not isinstance(record, dict):
        raise TypeError(f"plot_health needs a History from optim.train(..., health=True) or its "
                        f"history.health dict, got {type(history).__name__}")
    missing = [k for k in ("saturation", "activation_std", "activation_mean", "grad_norm", "update_ratio")
               if k not in record]
    if missing:
        raise ValueError(f"plot_health: the health record has no {', '.join(missing)}")
    for key in ("activation_std", "activation_mean"):  # each layer's curves are read from all three
        absent = [layer for layer in record["saturation"] if layer not in record[key]]
        if absent:
            raise ValueError(f"plot_health: {key} has no values for {', '.join(map(repr, absent))}, "
                             f"which saturation has")
    for key in ("saturation", "activation_std", "activation_mean"):
        empty = [layer for layer, values in record[key].items() if len(values) == 0]
        if empty:
            raise ValueError(f"plot_health: {key} of {', '.join(map(repr, empty))} is empty (no epoch finished?)")
    return record


def plot_health(history, path=None, *, title=None, weights_only=True):
    """Draw a training's health: activations, gradient norms and update-to-data ratios per layer.

    Math::

        saturation   = fraction of a nonlinearity's outputs passing back < 6% of the gradient (|tanh| > 0.97)
        spread       = std of the outputs, per layer and epoch (mean dotted)
        grad norm    = mean over an epoch's updates of ‖g‖₂, per weight
        update ratio = ‖Δθ‖₂ / ‖θ‖₂ at every update, per weight; ≈ 1e-3 is the rule of thumb

    Parameters
    ----------
    history : History or dict
        What ``optim.train(..., health=True)`` returns (its ``health``), or
        a :class:`~minigrad.optim.HealthMonitor`'s ``record``.
    path : str or path-like, optional
        Save the figure there (PNG, SVG, PDF: from the suffix; ``.png`` is
        appended to a name without one).
    title : str, optional
        A title over the four panels ("weights × 10", "the fix").
    weights_only : bool, default True
        Draw the gradient norms and update ratios of the weights only, as
        Karpathy's plots do: biases, often started at 0, clutter them. The
        record keeps names, not shapes: a parameter whose name ends in
        "bias" is left out. All parameters when False, or when every name
        ends so.

    Returns
    -------
    matplotlib.figure.Figure
        Top left: saturated fraction per layer and epoch; top right: the
        activations' std (solid) and mean (dotted); bottom left: gradient
        norms (log scale); bottom right: update-to-data ratio per update, on
        the epoch axis (log scale, the 1e-3 line dashed).

    Examples
    --------
    >>> from minigrad import viz
    >>> record = {"saturation": {"Tanh 1": [0.7, 0.6]}, "activation_std": {"Tanh 1": [0.9, 0.9]},
    ...           "activation_mean": {"Tanh 1": [0.0, 0.01]}, "grad_norm": {"0.weight": [2.0, 1.0]},
    ...           "update_ratio": {"0.weight": [3e-3, 2e-3, 1e-3, 1e-3]}}
    >>> fig = viz.plot_health(record)
    >>> [ax.get_title() for ax in fig.axes]       # doctest: +NORMALIZE_WHITESPACE
    ['saturated: |tanh| > 0.97, ReLU = 0', 'activations: std (solid), mean (dotted)',
     'gradient norm ‖g‖ (epoch mean)', 'update / data ‖Δθ‖/‖θ‖ per update']
    """

    record = _record(history)
    layers = list(record["saturation"])
    params = list(record["grad_norm"]) or list(record["update_ratio"])
    if weights_only and any(not name.endswith("bias") for name in params):
        # NOTE: the record keeps no shapes; PyTorch's names tell a weight from a bias
        params = [name for name in params if not name.endswith("bias")]
    if not layers and not params:
        raise ValueError("plot_health: the health record is empty (no epoch finished?)")
    epochs = max([len(v) for v in record["grad_norm"].values()] +
                 [len(v) for v in record["saturation"].values()] + [0])
    marker = "o" if epochs <= 30 else None

    fig = new_figure(11.0, 7.5)
    (sat, spread), (grads, ratio) = fig.subplots(2, 2)
    for k, layer in enumerate(layers):
        color = COLORS[k % len(COLORS)]
        x = np.arange(1, len(record["saturation"][layer]) + 1)
        sat.plot(x, 100 * np.asarray(record["saturation"][layer]), color=color, marker=marker, markersize=4,
                 label=f"{layer} (last {100 * record['saturation'][layer][-1]:.1f}%)")
        spread.plot(x, record["activation_std"][layer], color=color, marker=marker, markersize=4,
                    label=f"{layer} std (last {record['activation_std'][layer][-1]:.2f})")
        spread.plot(x, record["activation_mean"][layer], color=color, linestyle=":")
    sat.set(title="saturated: |tanh| > 0.97, ReLU = 0", xlabel="epoch", ylabel="% of the outputs",
            ylim=(-2, 102))
    spread.set(title="activations: std (solid), mean (dotted)", xlabel="epoch", ylabel="value")
    spread.axhline(0, color="#999", linewidth=0.8)
    if not layers:  # a model without hidden layers (train --hidden ''): say why these stay empty
        for ax in (sat, spread):
            ax.text(0.5, 0.5, "no Tanh, Sigmoid or ReLU in the\nmodel's graph: nothing to show", transform=ax.transAxes,
                    ha="center", va="center", color="#666")
            if epochs > 1:
                ax.set_xlim(1, epochs)  # the epochs of the panels below, not matplotlib's 0 … 1

    for k, name in enumerate(params):
        color = COLORS[k % len(COLORS)]
        values = np.asarray(record["grad_norm"].get(name, []), dtype=float)
        if values.size:
            grads.plot(np.arange(1, values.size + 1), values, color=color, marker=marker, markersize=4,
                       label=f"{name} (last {values[-1]:.3g})")
        steps = np.asarray(record["update_ratio"].get(name, []), dtype=float)
        if steps.size:
            per_epoch = steps.size / epochs if epochs else 1.0
            ratio.plot(np.arange(1, steps.size + 1) / per_epoch, steps, color=color, linewidth=0.8,
                       alpha=0.85, label=f"{name} (median {np.nanmedian(steps):.1e})")
    grads.set(title="gradient norm ‖g‖ (epoch mean)", xlabel="epoch", ylabel="‖g‖₂")
    ratio.axhline(_RULE_OF_THUMB, color="#444", linestyle="--", linewidth=1, label="1e-3, the rule of thumb")
    ratio.set(title="update / data ‖Δθ‖/‖θ‖ per update", xlabel="epoch", ylabel="ratio")
    for ax in (grads, ratio):
        if any(line.get_ydata().size and np.nanmin(np.asarray(line.get_ydata(), float)) > 0
               for line in ax.get_lines()):
            ax.set_yscale("log", nonpositive="mask")
            plain_log_ticks(ax)
    for ax in (sat, spread, grads, ratio):
        whole_ticks(ax, max(epochs, 1))
        ax.grid(True, alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    save(fig, path)
    return fig
