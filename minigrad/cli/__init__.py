"""The command line behind ``python -m minigrad`` (its commands are listed in ``minigrad/__main__.py``).

One file per command, and one per idea the commands share::

    __init__.py      main: parse, run the command, turn its errors into exit statuses
    parser.py        the argument parser: one sub-parser per command, errors in one line
    flags.py         what each flag accepts (argparse types), optimizer names, defaults
    errors.py        UsageError: a bad value found after parsing, one line, exit status 2

    train.py         train: train an MLP, print each epoch, --save / --resume, --plot, --health
    checkpoint.py    train's checkpoint: written after every epoch, checked value by value when read
    compare.py       compare: every optimizer from the same start, one table, one figure
    trajectories.py  trajectories: the optimizers' paths on a 2-D surface (viz), --gif (animation)
    homework.py      student-copy and grade: minigrad.homework's own commands, called by name

    classifier.py    the MLP that train and compare build, its data, optimizer and accuracy, in words
    memory.py        a model too large for the memory, refused before anything is allocated
    outputs.py       files checked before any work; lines printed beside the progress bar

Imports go one way, down this list's dependencies: parser imports the
commands, the commands import the shared files, and none imports back.
"""

import sys

from .errors import UsageError
from .flags import DEFAULT_LR, OPTIMIZER_NAMES
from .parser import build_parser, glue_negative_start

__all__ = ["main", "build_parser", "DEFAULT_LR", "OPTIMIZER_NAMES"]


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
    argv = sys.argv[1:] if argv is None else list(argv)
    first = argv[0].split("=")[0] if argv else ""
    if first not in ("-h", "--help") and any(first in p._option_string_actions for p in parser.commands.values()):
        parser.error(f"{argv[0]} goes after the command, e.g. python -m minigrad train {argv[0]} ...; "
                     f"the commands are {', '.join(parser.commands)}")
    args, extra = parser.parse_known_args(glue_negative_start(argv))
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
        hint = ("fewer --steps" if args.command == "trajectories" else
                "smaller --hidden sizes or a smaller --batch-size")
        print(f"minigrad {args.command}: error: out of memory; try {hint}", file=sys.stderr)
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
