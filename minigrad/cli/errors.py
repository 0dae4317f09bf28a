"""How a command fails: one line on stderr, never a traceback.

A command raises :class:`UsageError` for a bad value that argparse could not
see (two flags that do not go together, a damaged checkpoint, a file that
cannot be written); ``main`` prints it as ``minigrad <command>: error: ...``
and exits with status 2.
"""


class UsageError(Exception):
    """A bad flag value found after parsing: printed as one line, exit status 2."""


def one_line(error):
    """An exception's message on one line (a checkpoint's error must not print a block)."""
    return " ".join(str(error).split()) or type(error).__name__
