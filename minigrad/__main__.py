"""``python -m minigrad``: the command line.

Commands::

    train          train an MLP on a toy data set (digits with Adam by default)
    compare        the eight optimizers, same model, same start, same shuffles: a table
    trajectories   the optimizers' paths on a 2-D test surface, as a PNG
    student-copy   write a student copy of a source tree (homework)
    grade          grade a student copy (homework)

Every command has ``--help``. A bad flag, an unknown name, a model too large
for the memory or a damaged checkpoint exits with status 2 and a one-line
message; a diverged training run exits with status 1.
"""

import argparse
import os
import re
import sys
import time

__all__ = ["main", "DEFAULT_LR", "OPTIMIZER_NAMES"]

# The lecture's order. Names are matched case-insensitively.
OPTIMIZER_NAMES = ("SGD", "SGDM", "Adagrad", "RMSProp", "Adam", "AMSGrad", "SWATS", "RAdam")

# Learning rates used when --lr is not given: each optimizer's own default,
# except plain SGD, whose 0.01 barely moves in 20 epochs. SGD's 0.1 equals
# SGDM's effective step η/(1 − λ) = 0.01/(1 − 0.9), so the two compare fairly.
# Measured on digits (MLP 64, batch 32, 20 epochs): test accuracy 0.96–0.98 each.
DEFAULT_LR = {"sgd": 0.1, "sgdm": 0.01, "adagrad": 0.01, "rmsprop": 1e-3, "adam": 1e-3,
              "amsgrad": 1e-3, "swats": 1e-3, "radam": 1e-3}

PLOT_HINT = "matplotlib is needed for --plot; install it with: pip install matplotlib"
SURFACES = ("quadratic", "rosenbrock", "beale", "saddle")
EPILOG = "Without a command this help is printed: try `python -m minigrad train` first."


class UsageError(Exception):
    """A bad flag value found after parsing: printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is ONE line on stderr (then exit 2), without the usage block."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


# ---------------------------------------------------------------- argument types

def _number(convert, what, allowed, bound):
    """An argparse type: ``convert(text)``, refused in one line unless ``allowed(value)``."""
    def parse(text):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if not allowed(value):
            raise argparse.ArgumentTypeError(f"expected {what} {bound}, got {text!r}")
        return value
    return parse


_positive_int = _number(int, "an integer", lambda n: n >= 1, ">= 1")
_seed = _number(int, "an integer seed", lambda n: n >= 0, ">= 0")
_positive_float = _number(float, "a number", lambda x: 0 < x < float("inf"), "> 0 and finite")  # NaN too
# NOTE: a learning rate follows the optimizers' one rule, [0, inf): 0 keeps the initial weights
_learning_rate = _number(float, "a learning rate", lambda x: 0 <= x < float("inf"), ">= 0 and finite")  # NaN too


def _hidden(text):
    """'64,64' -> (64, 64); '' -> () (no hidden layer: multinomial logistic regression)."""
    if not text.strip():
        return ()
    try:  # NOTE: an empty entry ('64,,3') is a slip, not a request for fewer layers
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected sizes like 64 or 64,64, got {text!r}") from None
    if any(size < 1 for size in sizes):
        raise argparse.ArgumentTypeError(f"hidden sizes must be >= 1, got {text!r}")
    return sizes


def _regime(text):
    """Any spelling of the lecture's and README's (optim.regimes.SPELLINGS): 'On-line', 'mini-batch', 'batch'."""
    from .optim.regimes import regime_name

    try:
        return regime_name(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _optimizer_name(text):
    name = text.strip().lower()
    if name not in DEFAULT_LR:
        raise argparse.ArgumentTypeError(
            f"unknown optimizer {text!r}; choose from {', '.join(n.lower() for n in OPTIMIZER_NAMES)}")
    return name


def _optimizer_list(text):
    names = [_optimizer_name(part) for part in text.split(",") if part.strip()]
    if not names:
        raise argparse.ArgumentTypeError("expected optimizer names like sgd,adam")
    return list(dict.fromkeys(names))  # in the order given, without repeats


def _lr_spec(text):
    """'0.01' (every optimizer) or 'sgd=0.01,sgdm=0.001' (some): {name or None: lr}."""
    if "=" not in text:
        return {None: _learning_rate(text)}
    spec = {}
    for part in text.split(","):
        name, _, value = part.partition("=")
        spec[_optimizer_name(name)] = _learning_rate(value)
    return spec


# ---------------------------------------------------------------- the parser

def build_parser():
    """The ``python -m minigrad`` argument parser, with one sub-parser per command."""
    from .datasets import NAMES

    parser = _Parser(prog="minigrad", epilog=EPILOG,
                     description="minigrad's command line: train toy classifiers, compare the "
                                 "eight optimizers, draw their paths, set and grade homework.")
    parser.add_argument("--version", action="version", version=f"minigrad {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    parser.commands = commands.choices  # name -> sub-parser, for errors found after parsing

    def data_flags(p, epochs):
        p.add_argument("--data", type=str.lower, choices=NAMES, default=None,
                       help="data set (default digits, any case); split 80/20, standardised")
        p.add_argument("--regime", type=_regime, default=None, metavar="REGIME",
                       help="online (or on-line): one example per update; minibatch (or mini-batch; "
                            "the default): --batch-size examples per update; offline (or off-line, "
                            "batch, full-batch): all, one update per epoch. Any case")
        p.add_argument("--batch-size", type=_positive_int, default=None, metavar="N", help="mini-batch size (default 32)")
        p.add_argument("--epochs", type=_positive_int, default=None, metavar="N", help=epochs)
        p.add_argument("--hidden", type=_hidden, default=None, metavar="SIZES",
                       help="hidden layer sizes, e.g. 64,64 (default 64); '' for none")
        p.add_argument("--seed", type=_seed, default=None, metavar="N",
                       help="seed of the initial weights and the shuffles (default 0)")
        p.add_argument("--no-progress", action="store_true", help="no progress bar")

    lrs = ", ".join(f"{n} {DEFAULT_LR[n.lower()]:g}" for n in OPTIMIZER_NAMES)
    p = commands.add_parser(
        "train", help="train an MLP on a toy data set (digits with Adam by default)",
        description="Train an MLP classifier (ReLU, cross-entropy) and print each epoch's loss "
                    "and accuracy, then the final train and test accuracy.",
        epilog=f"Default learning rates: {lrs}.")
    data_flags(p, "train until this epoch, counting a resumed checkpoint's epochs (default 20; "
                  "with --resume, the checkpoint's)")
    p.add_argument("--optimizer", type=_optimizer_name, default=None, metavar="NAME",
                   help="one of " + ", ".join(OPTIMIZER_NAMES) + " (any case; default adam)")
    p.add_argument("--lr", type=_learning_rate, default=None, help="learning rate (default: see below)")
    p.add_argument("--save", metavar="PATH", help="write a checkpoint (model, optimizer, RNG, epoch, "
                                                   "flags, history) after every epoch")
    p.add_argument("--resume", metavar="PATH", help="continue a checkpoint's run exactly where it stopped, "
                                                     "saving after every epoch to PATH (or to --save's)")
    p.add_argument("--plot", metavar="PATH", help="write the loss and accuracy curves as a PNG")
    p.add_argument("--health", metavar="PATH", help="record the training's health (activations, "
                                                     "gradient norms, update/data ratios per layer) and "
                                                     "draw it as a PNG")
    p.set_defaults(run=cmd_train)

    p = commands.add_parser(
        "compare", help="train with every optimizer from the same start and print a table",
        description="Train the same MLP from the same initial weights, with the same shuffles, "
                    "once per optimizer, under one regime; print final loss, accuracy and time.",
        epilog=f"Default learning rates: {lrs}.")
    data_flags(p, "epochs per optimizer (default 20)")
    p.add_argument("--optimizers", type=_optimizer_list, default=None, metavar="NAMES",
                   help="comma-separated names (default: all eight)")
    p.add_argument("--lr", type=_lr_spec, default=None,
                   help="one rate for all (0.01), or per optimizer (sgd=0.01,sgdm=0.001)")
    p.add_argument("--plot", metavar="PATH", help="write all loss curves in one PNG")
    p.set_defaults(run=cmd_compare)

    p = commands.add_parser(
        "trajectories", help="the optimizers' paths on a 2-D surface: a table, and a PNG with --plot",
        description="Run the optimizers from one start on a 2-D test function, print where each "
                    "ended, and with --plot draw their paths on the contours.")
    p.add_argument("--surface", type=str.lower, choices=SURFACES, default="quadratic",
                   help="default quadratic (any case)")
    p.add_argument("--optimizers", type=_optimizer_list, default=None, metavar="NAMES",
                   help="comma-separated names (default: all eight)")
    p.add_argument("--steps", type=_positive_int, default=None, metavar="N", help="steps per optimizer (default: "
                                                                      "the surface's)")
    p.add_argument("--start", metavar="X,Y", default=None,
                   help="starting point, e.g. -1.5,2 (default: the surface's)")
    p.add_argument("--plot", metavar="PATH", help="write the paths and losses as a PNG")
    p.add_argument("--gif", metavar="PATH", help="write an animation of the paths as a GIF, each frame "
                                                  "showing every optimizer's state (m, v, RAdam's r_t, "
                                                  "SWATS' phase)")
    p.set_defaults(run=cmd_trajectories)

    p = commands.add_parser(
        "student-copy", help="write a student copy of a source tree (homework)",
        description="Copy SRC to DST with every '# BEGIN SOLUTION <id>' region replaced by "
                    "raise NotImplementedError(\"exercise <id>\").")
    p.add_argument("src", metavar="SRC")
    p.add_argument("dst", metavar="DST")
    p.add_argument("--exercise", action="append", metavar="ID",
                   help="strip only this exercise (repeatable; default: all)")
    p.set_defaults(run=_homework("student_copy_command"))

    p = commands.add_parser(
        "grade", help="run the exercise tests against a student copy and print a score",
        description="Run the tests of each exercise against the student copy at PATH and print "
                    "a score per exercise.")
    p.add_argument("path", metavar="PATH")
    p.add_argument("--exercise", action="append", metavar="ID",
                   help="grade only this exercise (repeatable)")
    p.add_argument("--timeout", type=_positive_float, default=None, metavar="SECONDS",
                   help="seconds allowed per test (each of its setup, call and teardown; "
                        "default 10)")
    p.add_argument("--total-timeout", type=_positive_float, default=None, metavar="SECONDS",
                   help="seconds allowed for the whole run (default 600)")
    p.add_argument("-v", "--verbose", action="store_true", help="also list each failed test")
    p.set_defaults(run=_homework("grade_command"))
    return parser


def _glue_negative_start(argv):
    """``--start -1.5,2`` becomes ``--start=-1.5,2``.

    NOTE: argparse takes an argument that starts with ``-`` for another flag
    unless it is a plain negative number, so a point with a negative x would
    be refused with "expected one argument".
    """
    glued = []
    for arg in argv:
        if glued and glued[-1] == "--start" and re.fullmatch(r"-[\d.][^,]*,.*", arg):
            glued[-1] = f"--start={arg}"
        else:
            glued.append(arg)
    return glued


def main(argv=None):
    """Entry point of ``python -m minigrad``; returns the exit status.

    Parameters
    ----------
    argv : list of str, optional
        The arguments after ``python -m minigrad`` (default ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 1 when training diverged, 2 for a bad flag, name or file
        (argparse itself exits with 2 on a flag it cannot parse).

    Examples
    --------
    >>> main(["train", "--data", "iris", "--epochs", "2", "--no-progress"])  # doctest: +ELLIPSIS
    iris: 120 train / 30 test examples, 4 features, 3 classes
    MLP 4-64-3 (ReLU), Adam lr 0.001, minibatch of 32, 2 epochs, seed 0
    epoch 1/2  loss ...  acc ...  |  test loss ...  acc ...
    epoch 2/2  loss ...  acc ...  |  test loss ...  acc ...
    final: train accuracy ..., test accuracy ... (... s)
    0
    """
    parser = build_parser()
    args, extra = parser.parse_known_args(_glue_negative_start(sys.argv[1:] if argv is None else argv))
    if extra:  # NOTE: argparse would blame the top-level parser; name the command instead
        parser.commands.get(args.command, parser).error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return args.run(args) or 0
    except UsageError as e:
        print(f"minigrad {args.command}: error: {e}", file=sys.stderr)
        return 2
    except FloatingPointError as e:
        print(f"minigrad {args.command}: {e}", file=sys.stderr)
        return 1
    except MemoryError:  # NOTE: a backstop; train and compare check the model's size first
        print(f"minigrad {args.command}: error: out of memory; try smaller --hidden sizes or a smaller "
              f"--batch-size", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"minigrad {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the output went to `head`, which stopped reading: not an error
        _silence_stdout()
        return 0


def _silence_stdout():
    """Point stdout at /dev/null, so that Python's final flush does not fail again."""
    import os

    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # stdout is no real file (captured by a test)
        pass


def _version():
    from . import __version__
    return __version__


# ---------------------------------------------------------------- shared pieces

def _settings(args, **defaults):
    """The flags that were given, with ``defaults`` for the others."""
    return {k: (getattr(args, k) if getattr(args, k, None) is not None else v) for k, v in defaults.items()}


def _check_batch_size(args, settings):
    """A ``--batch-size`` that the regime would ignore is a mistake: say so."""
    if args.batch_size is not None and settings["regime"] != "minibatch":
        raise UsageError(f"--batch-size applies to --regime minibatch only (the regime here is "
                         f"{settings['regime']})")


def _load_data(name):
    from . import datasets
    return datasets.load(name)


def _build_mlp(n_in, hidden, n_out, gen):
    """Linear → ReLU → … → Linear, initialised from ``gen`` (PyTorch's default init)."""
    from . import nn

    sizes = (n_in, *hidden, n_out)
    layers = []
    for a, b in zip(sizes, sizes[1:]):
        layers += [nn.Linear(a, b, rng=gen), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


def _model_text(n_in, hidden, n_out):
    """'MLP 64-64-10 (ReLU)'; 'MLP 4-3 (linear)' without a hidden layer."""
    return f"MLP {'-'.join(map(str, (n_in, *hidden, n_out)))} ({'ReLU' if hidden else 'linear'})"


def _regime_text(settings, n, note=True):
    """'online', 'offline' or 'minibatch of B', B the batch size used (at most the n examples)."""
    if settings["regime"] != "minibatch":
        return settings["regime"]
    b = settings["batch_size"]
    text = f"minibatch of {min(b, n)}"
    if note and b > n:
        text += f" (--batch-size {b} is more than the {n} training examples)"
    return text


def _updates_per_epoch(settings, n):
    return {"online": n, "offline": 1}.get(settings["regime"], -(-n // settings["batch_size"]))


# Arrays of state an optimizer keeps per parameter (OPTIMIZERS.md): SGDM v; Adagrad s; RMSProp v;
# Adam and RAdam m, v; AMSGrad m, v, v_max; SWATS m, a and the SGD phase's v.
STATE_ARRAYS = {"sgd": 0, "sgdm": 1, "adagrad": 1, "rmsprop": 1, "adam": 2, "amsgrad": 3, "swats": 3,
                "radam": 2}


def _check_memory(n_in, hidden, n_out, optimizers, n_examples, copies=0, source="--hidden"):
    """Refuse, before anything is allocated, an MLP whose training would not fit in memory.

    The estimate counts float32 weights, their gradients, the largest
    optimizer's state arrays and ``copies`` more copies of the weights (compare
    keeps the start); the largest layer drawn in float64 by the initialisation;
    and the hidden activations of the whole training set (the accuracy pass).
    ``source`` names where the sizes came from in the message.
    """
    sizes = (n_in, *hidden, n_out)
    layers = [a * b + b for a, b in zip(sizes, sizes[1:])]
    params = sum(layers)
    arrays = 2 + copies + max(STATE_ARRAYS[name] for name in optimizers)
    need = 4 * params * arrays + 8 * max(layers) + 2 * 4 * n_examples * sum(hidden)
    available = _available_memory()
    if available is not None and need > available:
        largest = max(optimizers, key=STATE_ARRAYS.get)
        name = next(n for n in OPTIMIZER_NAMES if n.lower() == largest)
        raise UsageError(f"{source} {_show(tuple(hidden))}: the {_model_text(n_in, hidden, n_out)} has "
                         f"{params:,} parameters; training it with {name} needs about {_bytes(need)} "
                         f"of memory, more than the {_bytes(available)} available")


def _available_memory():
    """Bytes of memory this process may still allocate (Linux: MemAvailable, a cgroup's limit), or None."""
    found = []
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            found += [int(line.split()[1]) * 1024 for line in f if line.startswith("MemAvailable:")]
    except (OSError, ValueError, IndexError):
        pass
    try:  # NOTE: in a container, the cgroup's limit is what counts, not the machine's memory
        with open("/sys/fs/cgroup/memory.max", encoding="ascii") as f, \
                open("/sys/fs/cgroup/memory.current", encoding="ascii") as g:
            found.append(int(f.read()) - int(g.read()))  # "max" (no limit) fails int(): skipped
    except (OSError, ValueError):
        pass
    if not found and hasattr(os, "sysconf"):
        try:
            found.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (ValueError, OSError):
            pass
    return min(found) if found else None


def _bytes(n):
    """1.6e11 -> '149 GiB'."""
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:,.0f} {unit}" if unit in ("bytes", "TiB") else f"{n:.3g} {unit}"
        n /= 1024


def _make_optimizer(name, params, lr):
    from . import optim

    cls = getattr(optim, next(n for n in OPTIMIZER_NAMES if n.lower() == name))
    return cls(params, lr=lr)


def _accuracy(model, X, y):
    """Fraction of rows of X classified as y, in eval mode and without a graph."""
    import numpy as np

    from . import Tensor, no_grad

    was_training = model.training
    model.eval()
    with no_grad():
        predicted = model(Tensor(X)).data.argmax(axis=-1)
    model.train(was_training)
    return float(np.mean(predicted == y))


def _check_plot_possible(path):
    """The file --plot PATH writes (PATH.png when PATH has no suffix, as matplotlib would write).

    Fails before training, not after, when --plot cannot work: no matplotlib, or a bad path.
    """
    try:
        import matplotlib
    except ImportError:
        raise UsageError(PLOT_HINT) from None
    matplotlib.use("Agg")  # NOTE: files only; never open a window from the command line
    from matplotlib.backend_bases import FigureCanvasBase

    _check_output_path(path, "--plot")
    suffix = os.path.splitext(path)[1].lower().lstrip(".")
    formats = FigureCanvasBase.get_supported_filetypes()
    if suffix and suffix not in formats:
        raise UsageError(f"--plot {path}: matplotlib cannot write .{suffix} files; end the name in "
                         f".png (or one of {', '.join('.' + f for f in sorted(formats) if f != 'png')})")
    return path if suffix else path + ".png"


def _check_output_path(path, flag):
    """Fail before training, not after, when ``path`` cannot be written (a missing folder, say)."""
    if os.path.isdir(path):
        raise UsageError(f"{flag} {path} is a folder; give a file name in it, e.g. "
                         f"{os.path.join(path, 'run.png' if flag == '--plot' else 'run.npz')}")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise UsageError(f"{flag} {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise UsageError(f"{flag} {path}: the folder {folder} is not writable")


def _write_stdout(line):
    """Print a line without breaking the progress bar (tqdm draws on stderr)."""
    from tqdm import tqdm
    tqdm.write(line, file=sys.stdout)


# ---------------------------------------------------------------- train

TRAIN_DEFAULTS = dict(data="digits", optimizer="adam", lr=None, regime="minibatch", batch_size=32,
                      epochs=20, hidden=(64,), seed=0)
# A checkpoint fixes these (they define the model and its trajectory); --epochs may grow.
FIXED_BY_CHECKPOINT = ("data", "optimizer", "lr", "regime", "batch_size", "hidden", "seed")


def cmd_train(args):
    """``python -m minigrad train``: train an MLP, print per-epoch figures and the final accuracies."""
    import numpy as np

    from . import nn, optim, save
    from .optim.train import loss_text

    checkpoint, start = None, 0
    if args.resume:
        args.save = args.save or args.resume  # a resumed run keeps its checkpoint up to date
        checkpoint = _read_checkpoint(args.resume)
        s, start = _check_checkpoint(checkpoint, args.resume)
        for key in FIXED_BY_CHECKPOINT:
            given = getattr(args, key)
            if given is not None and given != s[key]:
                raise UsageError(f"--{key.replace('_', '-')} {_show(given)} differs from the checkpoint's "
                                 f"{_show(s[key])}; a resumed run keeps its settings")
        if args.epochs is not None:
            if args.epochs <= start:
                raise UsageError(f"the checkpoint is at epoch {start}: --epochs {args.epochs} must be more "
                                 f"than that (it counts the checkpoint's epochs)")
            s["epochs"] = args.epochs
    else:
        s = _settings(args, **TRAIN_DEFAULTS)
        s["lr"] = DEFAULT_LR[s["optimizer"]] if s["lr"] is None else s["lr"]  # --lr 0 is a rate
    _check_batch_size(args, s)
    if args.save:
        _check_output_path(args.save, "--save")
    plot = _check_plot_possible(args.plot) if args.plot else None
    health = _check_plot_possible(args.health) if args.health else None

    X, y, X_test, y_test = _load_data(s["data"])
    classes = int(y.max()) + 1
    _check_memory(X.shape[1], s["hidden"], classes, [s["optimizer"]], len(X),
                  source="the checkpoint's hidden sizes" if checkpoint else "--hidden")
    gen = np.random.default_rng(s["seed"])  # initial weights, then every epoch's shuffle
    model = _build_mlp(X.shape[1], s["hidden"], classes, gen)
    opt = _make_optimizer(s["optimizer"], model.parameters(), s["lr"])
    history = optim.History()
    if checkpoint is not None:
        _restore(checkpoint, args.resume, model, opt, gen)
        history = optim.History(**checkpoint["history"])

    name = next(n for n in OPTIMIZER_NAMES if n.lower() == s["optimizer"])
    print(f"{s['data']}: {len(X)} train / {len(X_test)} test examples, {X.shape[1]} features, "
          f"{classes} classes")
    print(f"{_model_text(X.shape[1], s['hidden'], classes)}, {name} lr {s['lr']:g}, {_regime_text(s, len(X))}, "
          f"{_epochs(s['epochs'])}, seed {s['seed']}" + (f"; resumed at epoch {start}" if start else ""))

    began = time.perf_counter()

    def after_epoch(h):  # h is `history`, which train continues: its epochs count from the checkpoint's
        _write_stdout(f"epoch {h.epochs:>{len(str(s['epochs']))}}/{s['epochs']}  loss {loss_text(h.epoch_loss[-1])}  "
                      f"acc {h.epoch_accuracy[-1]:.3f}  |  test loss {loss_text(h.val_loss[-1])}  "
                      f"acc {h.val_accuracy[-1]:.3f}")
        if args.save:
            save({"format": CHECKPOINT_FORMAT, "epoch": h.epochs, "args": _plain(s),
                  "model": model.state_dict(), "optimizer": opt.state_dict(),
                  "rng": gen.bit_generator.state, "history": _history_lists(h)}, args.save)

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
                _plot_history(history, plot, _updates_per_epoch(s, len(X)), " (the curves up to the divergence)")
            raise
    print(f"final: train accuracy {_accuracy(model, X, y):.3f}, test accuracy "
          f"{_accuracy(model, X_test, y_test):.3f} ({time.perf_counter() - began:.1f} s)")
    if args.save:
        print(f"checkpoint: {args.save}")
    if plot:
        _plot_history(history, plot, _updates_per_epoch(s, len(X)))
    if health and history.health:
        from . import viz

        viz.plot_health(history, health)
        print(f"health: {health}")
    return 0


def _history_lists(history):
    """What a checkpoint keeps of a History: its lists of figures (not the --health record)."""
    return {k: v for k, v in vars(history).items() if k != "health"}


def _plot_history(history, path, updates_per_epoch, note=""):
    """Write viz.plot_history's figure to ``path`` and say so (or why there is nothing to draw)."""
    from . import viz

    if not history.step_loss:
        print("plot: not written, the loss was not finite from the first update on: nothing to draw")
        return
    viz.plot_history(history, path, updates_per_epoch=updates_per_epoch)
    print(f"plot: {path}{note}")


def _read_checkpoint(path):
    """The plain data in the checkpoint file ``path``; UsageError (one line) if it cannot be read."""
    from . import load

    try:
        return load(path)
    except (OSError, ValueError) as e:  # NOTE: load raises ValueError for a malformed or oversized file
        raise UsageError(f"cannot read checkpoint {path}: {_one_line(e)}") from None
    except MemoryError:
        raise UsageError(f"cannot read checkpoint {path}: its arrays need more memory than is "
                         f"available (a damaged or crafted file?)") from None


# What `train --save` writes; every value is checked by _check_checkpoint before it is used.
CHECKPOINT_FORMAT = "minigrad-train-checkpoint"
CHECKPOINT_KEYS = ("format", "epoch", "args", "model", "optimizer", "rng", "history")


def _check_checkpoint(checkpoint, path):
    """The settings and epoch of a checkpoint, each value checked; UsageError naming the first bad one.

    A checkpoint is untrusted input (a file someone sent): every field that
    ``train --save`` writes must be there with a value it could have written,
    so that a damaged or crafted file ends in one line, not a traceback or a
    run on nonsense (``epoch = -5``). The model's arrays must be those of the
    MLP the settings describe (checked before it is built); the optimizer's
    state must be finite here, and fit the optimizer in :func:`_restore`
    (its ``load_state_dict`` checks the values), as must the RNG state.
    """
    import numbers

    import numpy as np

    from . import datasets
    from .optim import History

    def bad(what, value, expected):
        if isinstance(value, (np.ndarray, np.generic)) and value.dtype.kind in "fc" and \
                not np.isfinite(value).all():
            text = f"{value.dtype} values with NaN or inf"
        elif isinstance(value, np.ndarray):
            text = f"an array of {value.dtype}, shape {value.shape}"
        else:
            text = " ".join(repr(value).split())  # one line, also for a list holding arrays
            text = text if len(text) <= 60 else text[:57] + "..."
        return UsageError(f"checkpoint {path}: {what} must be {expected}, got {text}")

    def integer(what, value, low, high=None):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or \
                value < low or (high is not None and value > high):
            raise bad(what, value, f"an integer >= {low}" + (f" and <= {high}" if high is not None else ""))
        return int(value)

    def choice(what, value, allowed):
        if not isinstance(value, str) or value not in allowed:
            raise bad(what, value, f"one of {', '.join(allowed)}")
        return value

    def finite_numbers(what, values, low=-np.inf, high=np.inf):
        if not isinstance(values, list) or not all(
                isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_)) and np.isfinite(v)
                and low <= v <= high for v in values):
            raise bad(what, values, f"a list of numbers in [{low}, {high}]")
        return [float(v) for v in values]

    if not isinstance(checkpoint, dict) or not isinstance(checkpoint.get("format"), str) or \
            checkpoint["format"] != CHECKPOINT_FORMAT:
        raise UsageError(f"{path} is not a checkpoint written by `minigrad train --save`")
    missing = [key for key in CHECKPOINT_KEYS if key not in checkpoint]
    if missing:
        raise UsageError(f"checkpoint {path} has no {', '.join(missing)} (a damaged file?)")
    saved = checkpoint["args"]
    if not isinstance(saved, dict) or set(TRAIN_DEFAULTS) - set(saved):
        raise bad("args", saved, f"a dict with the settings {', '.join(TRAIN_DEFAULTS)}")
    s = {"data": choice("args.data", saved["data"], datasets.NAMES),
         "optimizer": choice("args.optimizer", saved["optimizer"], tuple(DEFAULT_LR)),
         "regime": choice("args.regime", saved["regime"], ("online", "minibatch", "offline")),
         "batch_size": integer("args.batch_size", saved["batch_size"], 1),
         "epochs": integer("args.epochs", saved["epochs"], 1),
         "seed": integer("args.seed", saved["seed"], 0)}
    lr = saved["lr"]
    if isinstance(lr, (bool, np.bool_)) or not isinstance(lr, numbers.Real) or not 0 < lr < np.inf:
        raise bad("args.lr", lr, "a number > 0 and finite")
    s["lr"] = float(lr)
    if not isinstance(saved["hidden"], (list, tuple)):
        raise bad("args.hidden", saved["hidden"], "a list of layer sizes")
    s["hidden"] = tuple(integer("args.hidden", h, 1) for h in saved["hidden"])
    s = {key: s[key] for key in TRAIN_DEFAULTS}  # in the order of a new run's settings, as saved
    epoch = integer("epoch", checkpoint["epoch"], 1, s["epochs"])
    for key in ("model", "optimizer", "rng", "history"):
        if not isinstance(checkpoint[key], dict):
            raise bad(key, checkpoint[key], "a dict")

    history = checkpoint["history"]
    fields = [name for name in History.__dataclass_fields__]
    if set(history) != set(fields):
        raise UsageError(f"checkpoint {path}: history must hold the lists {', '.join(fields)}, it holds "
                         f"{_listed(history)}")
    for name in fields:
        low, high = (0.0, 1.0) if name.endswith("accuracy") else (0.0, np.inf)
        history[name] = finite_numbers(f"history.{name}", history[name], low, high)
    X, y, _, _ = _load_data(s["data"])
    n = len(X)
    counts = {name: epoch for name in fields if name != "step_loss"}
    counts["step_loss"] = epoch * _updates_per_epoch(s, n)
    for name, count in counts.items():
        if len(history[name]) != count:
            raise UsageError(f"checkpoint {path}: history.{name} holds {len(history[name])} values; "
                             f"{epoch} epoch(s) of {s['data']} with these settings make {count}")

    # NOTE: the model's arrays must be those of the MLP the settings describe, checked before
    # that MLP is built: hidden sizes read from a file must not allocate a model of any size
    sizes = (X.shape[1], *s["hidden"], int(y.max()) + 1)
    shapes = {}
    for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
        shapes.update({f"{2 * i}.weight": (b, a), f"{2 * i}.bias": (b,)})
    model = checkpoint["model"]
    if set(model) != set(shapes):
        raise UsageError(f"checkpoint {path}: model holds {_listed(model)}; the "
                         f"{_model_text(sizes[0], s['hidden'], sizes[-1])} of its settings has "
                         f"{', '.join(shapes)}")
    for name, shape in shapes.items():
        array = model[name]
        if not isinstance(array, np.ndarray) or array.dtype.kind != "f" or array.shape != shape or \
                not np.isfinite(array).all():
            raise bad(f"model.{name}", array, f"an array of finite floats of shape {shape}")
    for where, value in _leaves(checkpoint["optimizer"], "optimizer"):
        if isinstance(value, (np.ndarray, np.generic, float)) and np.asarray(value).dtype.kind in "fc" \
                and not np.isfinite(value).all():
            raise bad(where, value, "finite")
    return s, epoch


def _listed(names, most=8):
    """'a, b, c' (at most ``most`` names, then how many more), or 'nothing'."""
    names = [str(name) for name in names]
    shown = ", ".join(names[:most]) + (f" and {len(names) - most} more" if len(names) > most else "")
    return shown or "nothing"


def _leaves(value, where):
    """(dotted path, value) of every non-container value in a nest of dicts, lists and tuples."""
    stack = [(where, value)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, dict):
            stack += [(f"{where}.{k}", v) for k, v in value.items()]
        elif isinstance(value, (list, tuple)):
            stack += [(f"{where}.{i}", v) for i, v in enumerate(value)]
        else:
            yield where, value


def _restore(checkpoint, path, model, optimizer, gen):
    """Load a checked checkpoint's arrays into the model, optimizer and generator built for it."""
    try:
        model.load_state_dict(checkpoint["model"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        gen.bit_generator.state = checkpoint["rng"]
    except KeyError as e:
        raise UsageError(f"checkpoint {path} does not fit: no entry {e}") from None
    except (ValueError, TypeError, AttributeError, IndexError, OverflowError) as e:
        # NOTE: load_state_dict raises ValueError for a missing, mis-shaped or out-of-range
        # entry; the other types come from a state of the wrong structure (a list for a dict)
        raise UsageError(f"checkpoint {path} does not fit: {_one_line(e)}") from None


def _one_line(error):
    """An exception's message on one line (a checkpoint's error must not print a block)."""
    return " ".join(str(error).split()) or type(error).__name__


def _epochs(n):
    return f"{n} epoch" + ("s" if n != 1 else "")


def _show(value):
    """A flag's value as it is typed: (64, 64) -> 64,64."""
    return ",".join(map(str, value)) if isinstance(value, tuple) else str(value)


def _plain(settings):
    """The settings as savable plain data (tuples become lists)."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in settings.items()}


# ---------------------------------------------------------------- compare

COMPARE_DEFAULTS = dict(data="digits", regime="minibatch", batch_size=32, epochs=20, hidden=(64,), seed=0)


def cmd_compare(args):
    """``python -m minigrad compare``: all eight optimizers from one start, one table (and a plot)."""
    import numpy as np

    from . import nn, optim
    from .optim.train import loss_text

    s = _settings(args, **COMPARE_DEFAULTS)
    _check_batch_size(args, s)
    names = args.optimizers or [n.lower() for n in OPTIMIZER_NAMES]
    lr_spec = args.lr or {}
    unknown = set(lr_spec) - {None} - set(names)
    if unknown:
        raise UsageError(f"--lr names {', '.join(sorted(unknown))}, which --optimizers does not include")
    plot = _check_plot_possible(args.plot) if args.plot else None

    X, y, X_test, y_test = _load_data(s["data"])
    classes = int(y.max()) + 1
    _check_memory(X.shape[1], s["hidden"], classes, names, len(X), copies=1)
    gen = np.random.default_rng(s["seed"])
    start_weights = _build_mlp(X.shape[1], s["hidden"], classes, gen).state_dict()
    shuffle_state = gen.bit_generator.state  # every optimizer gets this same stream of shuffles
    model_text = _model_text(X.shape[1], s["hidden"], classes)
    updates = s["epochs"] * _updates_per_epoch(s, len(X))
    print(f"{s['data']}: {model_text}, {_regime_text(s, len(X))}, {_epochs(s['epochs'])} = {updates:,} updates, "
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
        model = _build_mlp(X.shape[1], s["hidden"], classes, np.random.default_rng(0))
        model.load_state_dict(start_weights)
        opt = _make_optimizer(key, model.parameters(), lr)
        gen.bit_generator.state = shuffle_state
        began = time.perf_counter()
        history = optim.History()  # NOTE: given to train, so that a divergence leaves the epochs before it
        try:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                optim.train(model, nn.functional.cross_entropy, opt, X, y, regime=s["regime"],
                            batch_size=s["batch_size"], epochs=s["epochs"], rng=gen, history=history,
                            callback=None if bar is None else (lambda history: bar.update()))
        except FloatingPointError as e:
            _write_stdout(f"{name:<9} {lr:>7g} diverged: {str(e).split(';')[0]}")
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
        _write_stdout(f"{name:<9} {lr:>7g} {loss_text(history.epoch_loss[-1]):>11} "
                      f"{_accuracy(model, X, y):>9.3f} {_accuracy(model, X_test, y_test):>9.3f} "
                      f"{seconds:>8.2f}{note}")
    if bar is not None:
        bar.close()
    print("final loss: mean training loss of the last epoch; accuracies after training")
    if plot and not any(curves.values()):
        print("plot: not written, every optimizer diverged within its first epoch: no epoch loss to draw")
    elif plot:
        _plot_compare(curves, plot, f"{s['data']}, {model_text}, {_regime_text(s, len(X), note=False)}")
        print(f"plot: {plot}")
    return 0


def _plot_compare(curves, path, title):
    """One figure: every optimizer's epoch loss against the epoch, log scale.

    ``curves`` maps a legend label to the epoch losses; a diverged optimizer's
    (labelled "(diverged)") stop at its last finished epoch, or are empty.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    from .viz import _COLORS, _DASHES

    fig, ax = plt.subplots(figsize=(8, 4.5))
    # NOTE: each curve its own dash and a slightly thinner line than the one before, so that
    # curves that coincide (Adam, AMSGrad and SWATS before a switch) stay visible
    for i, (name, losses) in enumerate(curves.items()):
        ax.plot(range(1, len(losses) + 1), losses, label=name, color=_COLORS[i % 8],
                linestyle=_DASHES[i % 8], linewidth=2.6 - 0.15 * (i % 8))
    ax.set_yscale("log")
    # NOTE: plain numbers (0.05, not 5×10⁻²); of the minor ticks only 2, 3 and 5 × 10^k are labelled
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_formatter(FuncFormatter(lambda v, _: f"{v:g}" if f"{v:.0e}"[0] in "235" else ""))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # no "epoch 1.2"
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss (epoch mean)")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)  # outside: covers no curve
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return fig


# ---------------------------------------------------------------- trajectories, homework

def cmd_trajectories(args):
    """``python -m minigrad trajectories``: the optimizers' paths on a 2-D surface (see viz)."""
    from . import viz

    plot = _check_plot_possible(args.plot) if args.plot else None
    gif = _check_plot_possible(args.gif) if args.gif else None
    try:
        code = viz.trajectories_command(args.surface, path=plot, steps=args.steps,
                                        optimizers=args.optimizers, start=args.start)
        if gif:
            from .animation import animate_trajectories

            start = tuple(float(v) for v in args.start.split(",")) if args.start else None
            animate_trajectories(args.surface, args.optimizers, start, args.steps, path=gif)
            print(f"animation: {gif}")
        return code
    except (ValueError, TypeError) as e:  # a bad --start, say
        raise UsageError(str(e)) from None


def _homework(function):
    """A command that calls ``minigrad.homework.<function>(args)``, imported only when run."""
    def run(args):
        try:
            from . import homework
            command = getattr(homework, function)
        except (ImportError, AttributeError):
            print(f"minigrad {args.command}: not available yet (minigrad.homework.{function} "
                  f"is not written)", file=sys.stderr)
            return 2
        return command(args)
    return run


if __name__ == "__main__":
    sys.exit(main())
