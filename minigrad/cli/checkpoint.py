"""The checkpoint of ``train --save``: written after every epoch, read back by ``--resume``.

A checkpoint is a :func:`minigrad.save` file (``.npz``, never pickle)
holding the format's name, the epoch, the run's settings, the model's and
the optimizer's state dicts, the generator's state and the history's
lists: enough to continue the run bit for bit. Read back, it is untrusted
input, so :func:`check_checkpoint` checks every value before it is used.
"""

from . import classifier
from .errors import UsageError, one_line
from .flags import DEFAULT_LR, TRAIN_DEFAULTS

# What `train --save` writes; every value is checked by check_checkpoint before it is used.
CHECKPOINT_FORMAT = "minigrad-train-checkpoint"
CHECKPOINT_KEYS = ("format", "epoch", "args", "model", "optimizer", "rng", "history")


def write_checkpoint(path, settings, model, optimizer, gen, history):
    """Save the run at the end of ``history.epochs``: model, optimizer, generator, settings, history."""
    from .. import save

    save({"format": CHECKPOINT_FORMAT, "epoch": history.epochs, "args": _plain(settings),
          "model": model.state_dict(), "optimizer": optimizer.state_dict(),
          "rng": gen.bit_generator.state, "history": _history_lists(history)}, path)


def _history_lists(history):
    """What a checkpoint keeps of a History: its lists of figures (not the --health record)."""
    return {k: v for k, v in vars(history).items() if k != "health"}


def _plain(settings):
    """The settings as savable plain data (tuples become lists)."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in settings.items()}


def read_checkpoint(path):
    """The plain data in the checkpoint file ``path``; UsageError (one line) if it cannot be read."""
    from .. import load

    try:
        return load(path)
    except (OSError, ValueError) as e:  # NOTE: load raises ValueError for a malformed or oversized file
        raise UsageError(f"cannot read checkpoint {path}: {one_line(e)}") from None
    except MemoryError:
        raise UsageError(f"cannot read checkpoint {path}: its arrays need more memory than is "
                         f"available (a damaged or crafted file?)") from None


def check_checkpoint(checkpoint, path):
    """The settings and epoch of a checkpoint, each value checked; UsageError naming the first bad one.

    A checkpoint is untrusted input (a file someone sent): every field that
    ``train --save`` writes must be there with a value it could have written,
    so that a damaged or crafted file ends in one line, not a traceback or a
    run on nonsense (``epoch = -5``). The model's arrays must be those of the
    MLP the settings describe (checked before it is built); the optimizer's
    state must be finite here, and fit the optimizer in :func:`restore_checkpoint`
    (its ``load_state_dict`` checks the values), as must the RNG state.
    """
    import math
    import numbers

    import numpy as np

    from .. import datasets
    from ..optim import History

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

    def finite(v):
        try:
            return math.isfinite(v)
        except OverflowError:  # an int too large for a float (np.isfinite raised TypeError on it)
            return False

    def finite_numbers(what, values, low=-np.inf, high=np.inf):
        if not isinstance(values, list) or not all(
                isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_)) and finite(v)
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
    X, y, _, _ = classifier.load_data(s["data"])
    n = len(X)
    counts = {name: epoch for name in fields if name != "step_loss"}
    counts["step_loss"] = epoch * classifier.updates_per_epoch(s, n)
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
                         f"{classifier.model_text(sizes[0], s['hidden'], sizes[-1])} of its settings has "
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


def restore_checkpoint(checkpoint, path, model, optimizer, gen):
    """Load a checked checkpoint's arrays into the model, optimizer and generator built for it."""
    def set_rng(state):
        gen.bit_generator.state = state

    for part, load in (("model", model.load_state_dict), ("optimizer", optimizer.load_state_dict),
                       ("rng", set_rng)):
        try:
            load(checkpoint[part])
        except KeyError as e:
            raise UsageError(f"checkpoint {path} does not fit: {part} has no entry {e}") from None
        except (ValueError, TypeError, AttributeError, IndexError, OverflowError) as e:
            # NOTE: load_state_dict raises ValueError for a missing, mis-shaped or out-of-range
            # entry; the other types come from a state of the wrong structure (a list for a dict)
            raise UsageError(f"checkpoint {path} does not fit: {part}: {one_line(e)}") from None
