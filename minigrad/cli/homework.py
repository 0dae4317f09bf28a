"""``python -m minigrad student-copy`` and ``grade``: the homework commands.

Both are :mod:`minigrad.homework`'s own (``student_copy_command``,
``grade_command``), called by name when run, so the command line holds no
homework logic and starts without importing it.
"""

import sys


def homework_command(function):
    """A command that calls ``minigrad.homework.<function>(args)``, imported only when run."""
    def run(args):
        try:
            from .. import homework
            command = getattr(homework, function)
        except (ImportError, AttributeError):
            print(f"minigrad {args.command}: not available yet (minigrad.homework.{function} "
                  f"is not written)", file=sys.stderr)
            return 2
        return command(args)
    return run
