"""Where the commands write: files checked before any work, and lines beside the progress bar.

A ``--plot`` or ``--save`` that cannot be written (no matplotlib, a missing
folder, a suffix matplotlib cannot write) fails in one line before training,
not after it.
"""

import os
import sys

from .errors import UsageError

PLOT_HINT = "matplotlib is needed for --plot; install it with: pip install matplotlib"


def check_plot_possible(path):
    """The file --plot PATH writes (PATH.png when PATH has no suffix, as matplotlib would write).

    Fails before training, not after, when --plot cannot work: no matplotlib, or a bad path.
    """
    try:
        import matplotlib
    except ImportError:
        raise UsageError(PLOT_HINT) from None
    matplotlib.use("Agg")  # NOTE: files only; never open a window from the command line
    from matplotlib.backend_bases import FigureCanvasBase

    check_output_path(path, "--plot")
    suffix = os.path.splitext(path)[1].lower().lstrip(".")
    formats = FigureCanvasBase.get_supported_filetypes()
    if suffix and suffix not in formats:
        raise UsageError(f"--plot {path}: matplotlib cannot write .{suffix} files; end the name in "
                         f".png (or one of {', '.join('.' + f for f in sorted(formats) if f != 'png')})")
    return path if suffix else path + ".png"


def check_output_path(path, flag):
    """Fail before training, not after, when ``path`` cannot be written (a missing folder, say)."""
    if os.path.isdir(path):
        raise UsageError(f"{flag} {path} is a folder; give a file name in it, e.g. "
                         f"{os.path.join(path, 'run.png' if flag == '--plot' else 'run.npz')}")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise UsageError(f"{flag} {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise UsageError(f"{flag} {path}: the folder {folder} is not writable")


def write_stdout(line):
    """Print a line without breaking the progress bar (tqdm draws on stderr)."""
    from tqdm import tqdm
    tqdm.write(line, file=sys.stdout)
