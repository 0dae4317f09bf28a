"""``python -m minigrad train``: train an MLP classifier, print each epoch, save and resume it.

The run is a :func:`minigrad.optim.train` call on the MLP of
:mod:`.classifier`; ``--save`` writes a checkpoint after every epoch and
``--resume`` continues one bit for bit (its format and checks are in
:mod:`.checkpoint`).
"""

import time

from . import classifier
from .checkpoint import check_checkpoint, read_checkpoint, restore_checkpoint, write_checkpoint
from .errors import UsageError
from .flags import DEFAULT_LR, OPTIMIZER_NAMES, TRAIN_DEFAULTS, check_batch_size, flag_text, flag_values
from .memory import check_memory
from .outputs import check_distinct, check_output_path, check_plot_possible, write_stdout

# A checkpoint fixes these (they define the model and its trajectory); --epochs may grow.
FIXED_BY_CHECKPOINT = ("data", "optimizer", "lr", "regime", "batch_size", "hidden", "seed")


def cmd_train(args):
    """``python -m minigrad train``: train an MLP, print per-epoch figures and the final accuracies."""
    import numpy as np

    from .. import nn, optim
    from ..optim.train import loss_text

    checkpoint, start = None, 0
    if args.resume is not None:
        if not args.resume:  # NOTE: an unset shell variable, --resume "$CKPT", must not start a fresh run
            raise UsageError("--resume needs a file name, got an empty one")
        args.save = args.save or args.resume  # a resumed run keeps its checkpoint up to date
        checkpoint = read_checkpoint(args.resume)
        s, start = check_checkpoint(checkpoint, args.resume)
        for key in FIXED_BY_CHECKPOINT:
            given = getattr(args, key)
            if given is not None and given != s[key]:
                raise UsageError(f"--{key.replace('_', '-')} {flag_text(given)} differs from the checkpoint's "
                                 f"{flag_text(s[key])}; a resumed run keeps its settings")
        if args.epochs is not None:
            if args.epochs <= start:
                raise UsageError(f"the checkpoint is at epoch {start}: --epochs {args.epochs} must be more "
                                 f"than that (it counts the checkpoint's epochs)")
            s["epochs"] = args.epochs
    else:
        s = flag_values(args, **TRAIN_DEFAULTS)
        s["lr"] = DEFAULT_LR[s["optimizer"]] if s["lr"] is None else s["lr"]  # --lr 0 is a rate
    check_batch_size(args, s)
    if args.save is not None:
        check_output_path(args.save, "--save")  # which refuses an empty name
    plot = check_plot_possible(args.plot) if args.plot is not None else None
    health = check_plot_possible(args.health, "--health") if args.health is not None else None
    check_distinct(plot=plot, health=health, save=args.save)

    X, y, X_test, y_test = classifier.load_data(s["data"])
    classes = int(y.max()) + 1
    check_memory(X.shape[1], s["hidden"], classes, [s["optimizer"]], len(X),
                  source="the checkpoint's hidden sizes" if checkpoint else "--hidden")
    gen = np.random.default_rng(s["seed"])  # initial weights, then every epoch's shuffle
    model = classifier.build_mlp(X.shape[1], s["hidden"], classes, gen)
    opt = classifier.make_optimizer(s["optimizer"], model.parameters(), s["lr"])
    history = optim.History()
    if checkpoint is not None:
        restore_checkpoint(checkpoint, args.resume, model, opt, gen)
        history = optim.History(**checkpoint["history"])

    name = next(n for n in OPTIMIZER_NAMES if n.lower() == s["optimizer"])
    print(f"{s['data']}: {len(X)} train / {len(X_test)} test examples, {X.shape[1]} features, "
          f"{classes} classes")
    print(f"{classifier.model_text(X.shape[1], s['hidden'], classes)}, {name} lr {s['lr']:g}, "
          f"{classifier.regime_text(s, len(X))}, {classifier.epochs_text(s['epochs'])}, seed {s['seed']}"
          + (f"; resumed at epoch {start}" if start else ""))

    began = time.perf_counter()

    def after_epoch(h):  # h is `history`, which train continues: its epochs count from the checkpoint's
        write_stdout(f"epoch {h.epochs:>{len(str(s['epochs']))}}/{s['epochs']}  loss {loss_text(h.epoch_loss[-1])}  "
                      f"acc {h.epoch_accuracy[-1]:.3f}  |  test loss {loss_text(h.val_loss[-1])}  "
                      f"acc {h.val_accuracy[-1]:.3f}")
        if args.save:
            write_checkpoint(args.save, s, model, opt, gen, h)

    if start >= s["epochs"]:
        print(f"the checkpoint is at epoch {start}: nothing to train (pass --epochs N > {start} "
              f"to train further)")
    else:
        try:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # NOTE: a diverging
                # run raises FloatingPointError with one clear line; NumPy's warnings would add noise
                optim.train(model, nn.functional.cross_entropy, opt, X, y, regime=s["regime"],
                            batch_size=s["batch_size"], epochs=s["epochs"] - start, rng=gen,
                            progress=not args.no_progress, callback=after_epoch,
                            validation=(X_test, y_test), history=history, health=bool(health))
        except FloatingPointError:  # main prints the message; the curves up to here are still worth a look
            if plot:
                _plot_history(history, plot, classifier.updates_per_epoch(s, len(X)),
                              " (the curves up to the divergence)")
            raise
    print(f"final: train accuracy {classifier.accuracy(model, X, y):.3f}, test accuracy "
          f"{classifier.accuracy(model, X_test, y_test):.3f} ({time.perf_counter() - began:.1f} s)")
    if args.save:
        print(f"checkpoint: {args.save}")
    if plot:
        _plot_history(history, plot, classifier.updates_per_epoch(s, len(X)))
    if health and history.health:
        from .. import viz

        viz.plot_health(history, health)
        print(f"health: {health}" + (f" (epochs {start + 1}-{history.epochs}: a checkpoint keeps no health "
                                      f"record, so a resumed run draws its own epochs)" if start else ""))
    return 0


def _plot_history(history, path, updates_per_epoch, note=""):
    """Write viz.plot_history's figure to ``path`` and say so (or why there is nothing to draw)."""
    from .. import viz

    if not history.step_loss:
        print("plot: not written, the loss was not finite from the first update on: nothing to draw")
        return
    viz.plot_history(history, path, updates_per_epoch=updates_per_epoch, held_out="test")  # as printed
    print(f"plot: {path}{note}")
