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

This file is only the entry point (also of the ``minigrad`` console
script). The code is the package ``minigrad/cli/``, one file per command;
its ``__init__.py`` lists them.
"""

import sys

from .cli import DEFAULT_LR, OPTIMIZER_NAMES, main

__all__ = ["main", "DEFAULT_LR", "OPTIMIZER_NAMES"]

if __name__ == "__main__":
    sys.exit(main())
