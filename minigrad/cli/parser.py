"""The ``python -m minigrad`` argument parser: one sub-parser per command, errors in one line.

What each flag accepts is in :mod:`.flags`; the function each command runs
is set here as the sub-parser's ``run`` default.
"""

import argparse
import re

from . import flags
from .compare import cmd_compare
from .homework import homework_command
from .train import cmd_train
from .trajectories import cmd_trajectories

EPILOG = "Without a command this help is printed: try `python -m minigrad train` first."


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is ONE line on stderr (then exit 2), without the usage block,
    and a flag must be spelt out: ``--epoch 2`` is refused, not read as ``--epochs``."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser():
    """The ``python -m minigrad`` argument parser, with one sub-parser per command."""
    from ..datasets import NAMES

    parser = _Parser(prog="minigrad", epilog=EPILOG,
                     description="minigrad's command line: train toy classifiers, compare the "
                                 "eight optimizers, draw their paths, set and grade homework.")
    parser.add_argument("--version", action="version", version=f"minigrad {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    parser.commands = commands.choices  # name -> sub-parser, for errors found after parsing

    def data_flags(p, epochs):
        p.add_argument("--data", type=str.lower, choices=NAMES, default=None,
                       help="data set (default digits, any case); split 80/20, standardised")
        p.add_argument("--regime", type=flags.regime, default=None, metavar="REGIME",
                       help="online (or on-line): one example per update; minibatch (or mini-batch; "
                            "the default): --batch-size examples per update; offline (or off-line, "
                            "batch, full-batch): all, one update per epoch. Any case")
        p.add_argument("--batch-size", type=flags.positive_int, default=None, metavar="N",
                       help="mini-batch size (default 32)")
        p.add_argument("--epochs", type=flags.positive_int, default=None, metavar="N", help=epochs)
        p.add_argument("--hidden", type=flags.hidden_sizes, default=None, metavar="SIZES",
                       help="hidden layer sizes, e.g. 64,64 (default 64); '' for none")
        p.add_argument("--seed", type=flags.seed, default=None, metavar="N",
                       help="seed of the initial weights and the shuffles (default 0)")
        p.add_argument("--no-progress", action="store_true", help="no progress bar")

    lrs = ", ".join(f"{n} {flags.DEFAULT_LR[n.lower()]:g}" for n in flags.OPTIMIZER_NAMES)
    p = commands.add_parser(
        "train", help="train an MLP on a toy data set (digits with Adam by default)",
        description="Train an MLP classifier (ReLU, cross-entropy) and print each epoch's loss "
                    "and accuracy, then the final train and test accuracy.",
        epilog=f"Default learning rates: {lrs}.")
    data_flags(p, "train until this epoch, counting a resumed checkpoint's epochs (default 20; "
                  "with --resume, the checkpoint's)")
    p.add_argument("--optimizer", type=flags.optimizer_name, default=None, metavar="NAME",
                   help="one of " + ", ".join(flags.OPTIMIZER_NAMES) + " (any case; default adam)")
    p.add_argument("--lr", type=flags.learning_rate, default=None, help="learning rate (default: see below)")
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
    p.add_argument("--optimizers", type=flags.optimizer_list, default=None, metavar="NAMES",
                   help="comma-separated names (default: all eight)")
    p.add_argument("--lr", type=flags.lr_spec, default=None,
                   help="one rate for all (0.01), or per optimizer (sgd=0.01,sgdm=0.001)")
    p.add_argument("--plot", metavar="PATH", help="write all loss curves in one PNG")
    p.set_defaults(run=cmd_compare)

    p = commands.add_parser(
        "trajectories", help="the optimizers' paths on a 2-D surface: a table, and a PNG with --plot",
        description="Run the optimizers from one start on a 2-D test function, print where each "
                    "ended, and with --plot draw their paths on the contours.")
    p.add_argument("--surface", type=str.lower, choices=flags.SURFACES, default="quadratic",
                   help="default quadratic (any case)")
    p.add_argument("--optimizers", type=flags.optimizer_list, default=None, metavar="NAMES",
                   help="comma-separated names (default: all eight)")
    p.add_argument("--steps", type=flags.step_count, default=None, metavar="N",
                   help="steps per optimizer (default: the surface's; at most 100,000)")
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
    p.set_defaults(run=homework_command("student_copy_command"))

    p = commands.add_parser(
        "grade", help="run the exercise tests against a student copy and print a score",
        description="Run the tests of each exercise against the student copy at PATH and print "
                    "a score per exercise.")
    p.add_argument("path", metavar="PATH")
    p.add_argument("--exercise", action="append", metavar="ID",
                   help="grade only this exercise (repeatable)")
    p.add_argument("--timeout", type=flags.positive_float, default=None, metavar="SECONDS",
                   help="seconds allowed per test (each of its setup, call and teardown; "
                        "default 10)")
    p.add_argument("--total-timeout", type=flags.positive_float, default=None, metavar="SECONDS",
                   help="seconds allowed for the whole run (default 600)")
    p.add_argument("-v", "--verbose", action="store_true", help="also list each failed test")
    p.set_defaults(run=homework_command("grade_command"))
    return parser


def glue_negative_start(argv):
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


def _version():
    """minigrad's version, for ``--version``."""
    from .. import __version__
    return __version__
