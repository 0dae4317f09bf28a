"""``python -m minigrad compare``: every optimizer, same model, same start, same shuffles: one table.

Each optimizer trains a copy of one initial MLP on the same stream of
shuffles, so the rows differ by the update rule alone; ``--plot`` draws all
their loss curves in one figure.
"""

import time

from . import classifier
from .errors import UsageError
from .flags import COMPARE_DEFAULTS, DEFAULT_LR, OPTIMIZER_NAMES, check_batch_size, flag_values
from .memory import check_memory
from .outputs import check_plot_possible, write_stdout


def cmd_compare(args):
    """``python -m minigrad compare``: all eight optimizers from one start, one table (and a plot)."""
    import numpy as np

    from .. import nn, optim
    from ..optim.train import loss_text

    s = flag_values(args, **COMPARE_DEFAULTS)
    check_batch_size(args, s)
    names = args.optimizers or [n.lower() for n in OPTIMIZER_NAMES]
    lr_spec = args.lr or {}
    unknown = set(lr_spec) - {None} - set(names)
    if unknown:
        raise UsageError(f"--lr names {', '.join(sorted(unknown))}, which --optimizers does not include")
    plot = check_plot_possible(args.plot) if args.plot is not None else None

    X, y, X_test, y_test = classifier.load_data(s["data"])
    classes = int(y.max()) + 1
    check_memory(X.shape[1], s["hidden"], classes, names, len(X), copies=1)
    gen = np.random.default_rng(s["seed"])
    start_weights = classifier.build_mlp(X.shape[1], s["hidden"], classes, gen).state_dict()
    shuffle_state = gen.bit_generator.state  # every optimizer gets this same stream of shuffles
    model_text = classifier.model_text(X.shape[1], s["hidden"], classes)
    updates = s["epochs"] * classifier.updates_per_epoch(s, len(X))
    print(f"{s['data']}: {model_text}, {classifier.regime_text(s, len(X))}, "
          f"{classifier.epochs_text(s['epochs'])} = {updates:,} updates, "
          f"seed {s['seed']}; same initial weights and shuffles for every optimizer")
    header = f"{'optimizer':<9} {'lr':>7} {'final loss':>11} {'train acc':>9} {'test acc':>9} {'seconds':>8}"
    print(header)
    print("-" * len(header))
    curves = {}
    # NOTE: one bar for the whole comparison, cleared at the end (leave=False): a terminal shows
    # stdout and stderr together, and a finished bar per optimizer would stand between the rows
    bar = None
    if not args.no_progress:
        from tqdm import tqdm
        bar = tqdm(total=len(names) * s["epochs"], unit="epoch", desc="compare", leave=False,
                   dynamic_ncols=True)
    for i, key in enumerate(names):
        name = next(n for n in OPTIMIZER_NAMES if n.lower() == key)
        lr = lr_spec.get(key, lr_spec.get(None, DEFAULT_LR[key]))
        model = classifier.build_mlp(X.shape[1], s["hidden"], classes, np.random.default_rng(0))
        model.load_state_dict(start_weights)
        opt = classifier.make_optimizer(key, model.parameters(), lr)
        gen.bit_generator.state = shuffle_state
        began = time.perf_counter()
        history = optim.History()  # NOTE: given to train, so that a divergence leaves the epochs before it
        try:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                optim.train(model, nn.functional.cross_entropy, opt, X, y, regime=s["regime"],
                            batch_size=s["batch_size"], epochs=s["epochs"], rng=gen, history=history,
                            callback=None if bar is None else (lambda history: bar.update()))
        except FloatingPointError as e:
            write_stdout(f"{name:<9} {lr:>7g} diverged: {str(e).split(';')[0]}")
            curves[f"{name} (diverged)"] = history.epoch_loss
            continue
        finally:
            if bar is not None:  # a diverged run ends early: skip its remaining epochs
                bar.update((i + 1) * s["epochs"] - bar.n)
        seconds = time.perf_counter() - began
        curves[name] = history.epoch_loss
        note = ""
        if name == "SWATS":  # NOTE: otherwise a row equal to Adam's looks like a bug
            note = (f"  (switched to SGD at step {opt.switch_step})" if opt.phase == "sgd"
                    else "  (never switched: Adam all along)")
        write_stdout(f"{name:<9} {lr:>7g} {loss_text(history.epoch_loss[-1]):>11} "
                     f"{classifier.accuracy(model, X, y):>9.3f} {classifier.accuracy(model, X_test, y_test):>9.3f} "
                     f"{seconds:>8.2f}{note}")
    if bar is not None:
        bar.close()
    print("final loss: mean training loss of the last epoch; accuracies after training")
    if plot and not any(curves.values()):
        print("plot: not written, every optimizer diverged within its first epoch: no epoch loss to draw")
    elif plot:
        _plot_compare(curves, plot, f"{s['data']}, {model_text}, {classifier.regime_text(s, len(X), note=False)}")
        print(f"plot: {plot}")
    return 0


def _plot_compare(curves, path, title):
    """One figure: every optimizer's epoch loss against the epoch, log scale.

    ``curves`` maps a legend label to the epoch losses; a diverged optimizer's
    (labelled "(diverged)") stop at its last finished epoch, or are empty.
    """
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.ticker import MaxNLocator

    from ..viz.plotting import line_style, plain_log_ticks

    fig, ax = plt.subplots(figsize=(8, 4.5))
    # NOTE: the scale is that of the runs that finished: a diverged run's last epochs (1e34, say)
    # would flatten every other curve at the bottom; its label says when it leaves the picture
    finished = [v for name, losses in curves.items() if not name.endswith("(diverged)") for v in losses]
    finished = np.asarray([v for v in finished if np.isfinite(v) and v > 0])
    low, high = (finished.min() / 1.5, finished.max() * 1.5) if finished.size else (None, None)
    marker = "o" if max(len(losses) for losses in curves.values()) <= 30 else None  # one epoch: a point
    # NOTE: each curve its own dash and a slightly thinner line than the one before, so that
    # curves that coincide (Adam, AMSGrad and SWATS before a switch) stay visible
    for i, (name, losses) in enumerate(curves.items()):
        off = [v > high or v < low for v in losses] if high is not None else []
        if not losses:
            name = name.replace("(diverged)", "(diverged in epoch 1: nothing to draw)")
        elif any(off):
            name += ", off the scale" if all(off) else ", partly off the scale"
        ax.plot(range(1, len(losses) + 1), losses, label=name, marker=marker, markersize=4, **line_style(i))
    ax.set_yscale("log")
    if high is not None:
        ax.set_ylim(low, high)
    plain_log_ticks(ax)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))  # no "epoch 1.2", even for one epoch
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss (epoch mean)")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)  # outside: covers no curve
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return fig
