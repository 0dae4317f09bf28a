"""What each flag accepts, and what a command takes when a flag is not given.

The argparse types here refuse a bad value in one line (``expected an
integer >= 1, got '0'``), before any work; the names and defaults are those
that ``--help`` shows.
"""

import argparse

from .errors import UsageError

# The lecture's order. Names are matched case-insensitively.
OPTIMIZER_NAMES = ("SGD", "SGDM", "Adagrad", "RMSProp", "Adam", "AMSGrad", "SWATS", "RAdam")

# Learning rates used when --lr is not given: each optimizer's own default,
# except plain SGD, whose 0.01 barely moves in 20 epochs. SGD's 0.1 equals
# SGDM's effective step η/(1 − λ) = 0.01/(1 − 0.9), so the two compare fairly.
# Measured on digits (MLP 64, batch 32, 20 epochs): test accuracy 0.96–0.98 each.
DEFAULT_LR = {"sgd": 0.1, "sgdm": 0.01, "adagrad": 0.01, "rmsprop": 1e-3, "adam": 1e-3,
              "amsgrad": 1e-3, "swats": 1e-3, "radam": 1e-3}

SURFACES = ("quadratic", "rosenbrock", "beale", "saddle")

# What train and compare take for a flag that was not given (train's lr: DEFAULT_LR of its optimizer).
TRAIN_DEFAULTS = dict(data="digits", optimizer="adam", lr=None, regime="minibatch", batch_size=32,
                      epochs=20, hidden=(64,), seed=0)
COMPARE_DEFAULTS = dict(data="digits", regime="minibatch", batch_size=32, epochs=20, hidden=(64,), seed=0)


# ---------------------------------------------------------------- argument types

def number(convert, what, allowed, bound):
    """An argparse type: ``convert(text)``, refused in one line unless ``allowed(value)``."""
    def parse(text):
        """``convert(text)``, or an ArgumentTypeError naming what was expected."""
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if not allowed(value):
            raise argparse.ArgumentTypeError(f"expected {what} {bound}, got {text!r}")
        return value
    return parse


positive_int = number(int, "an integer", lambda n: n >= 1, ">= 1")
MAX_STEPS = 100_000  # trajectories: steps per optimizer
seed = number(int, "an integer seed", lambda n: n >= 0, ">= 0")
positive_float = number(float, "a number", lambda x: 0 < x < float("inf"), "> 0 and finite")  # NaN too
# NOTE: a learning rate follows the optimizers' one rule, [0, inf): 0 keeps the initial weights
learning_rate = number(float, "a learning rate", lambda x: 0 <= x < float("inf"), ">= 0 and finite")  # NaN too


def hidden_sizes(text):
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


def regime(text):
    """Any spelling of the lecture's and README's (optim.regimes.SPELLINGS): 'On-line', 'mini-batch', 'batch'."""
    from ..optim.regimes import regime_name

    try:
        return regime_name(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def optimizer_name(text):
    """'Adam' -> 'adam': one of the eight, in any case; refused in one line listing them."""
    name = text.strip().lower()
    if name not in DEFAULT_LR:
        raise argparse.ArgumentTypeError(
            f"unknown optimizer {text!r}; choose from {', '.join(n.lower() for n in OPTIMIZER_NAMES)}")
    return name


def step_count(text):
    """--steps: an integer in [1, 100,000] (a longer path draws no clearer, and 10^8 steps ran for minutes)."""
    return _step_count(text)


_step_count = number(int, "an integer", lambda n: 1 <= n <= MAX_STEPS, f"in [1, {MAX_STEPS:,}]")


def optimizer_list(text):
    """'sgd,Adam,sgd' -> ['sgd', 'adam']: optimizer names, in the order given, without repeats."""
    names = [optimizer_name(part) for part in text.split(",") if part.strip()]
    if not names:
        raise argparse.ArgumentTypeError("expected optimizer names like sgd,adam")
    return list(dict.fromkeys(names))  # in the order given, without repeats


def lr_spec(text):
    """'0.01' (every optimizer) or 'sgd=0.01,sgdm=0.001' (some): {name or None: lr}."""
    if "=" not in text:
        return {None: learning_rate(text)}
    spec = {}
    for part in text.split(","):
        name, _, value = part.partition("=")
        name = optimizer_name(name)
        if name in spec:
            raise argparse.ArgumentTypeError(f"{name} is given two rates in {text!r}; give each one once")
        spec[name] = learning_rate(value)
    return spec


# ---------------------------------------------------------------- the values a command runs with

def flag_values(args, **defaults):
    """The flags that were given, with ``defaults`` for the others."""
    return {k: (getattr(args, k) if getattr(args, k, None) is not None else v) for k, v in defaults.items()}


def check_batch_size(args, settings):
    """A ``--batch-size`` that the regime would ignore is a mistake: say so."""
    if args.batch_size is not None and settings["regime"] != "minibatch":
        raise UsageError(f"--batch-size applies to --regime minibatch only (the regime here is "
                         f"{settings['regime']})")


def flag_text(value):
    """A flag's value as it is typed: (64, 64) -> 64,64."""
    return ",".join(map(str, value)) if isinstance(value, tuple) else str(value)
