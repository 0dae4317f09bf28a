"""Where the commands write: files checked before any work, and lines beside the progress bar.

A ``--plot`` or ``--save`` that cannot be written (no matplotlib, a missing
folder, a suffix matplotlib cannot write) fails in one line before training,
not after it.
"""

import os
import sys

from .errors import UsageError

PLOT_HINT = "matplotlib is needed for --plot; install it with: pip install matplotlib"


def check_plot_possible(path, flag="--plot"):
    """The file ``flag`` PATH writes (PATH.png when PATH has no suffix, as matplotlib would write).

    Fails before training, not after, when the picture cannot be written: no
    matplotlib, or a bad path. For ``--gif`` (an animation) the file is a GIF:
    PATH.gif when PATH has no suffix, and any other suffix is refused.
    """
    try:
        import matplotlib
    except ImportError:
        raise UsageError(PLOT_HINT.replace("--plot", flag)) from None
    matplotlib.use("Agg")  # NOTE: files only; never open a window from the command line
    from matplotlib.backend_bases import FigureCanvasBase

    check_output_path(path, flag)
    suffix = os.path.splitext(path)[1].lower().lstrip(".")
    if flag == "--gif":
        if suffix and suffix != "gif":
            raise UsageError(f"--gif {path}: the animation is a GIF; end the name in .gif")
    else:
        formats = FigureCanvasBase.get_supported_filetypes()
        if suffix and suffix not in formats:
            raise UsageError(f"{flag} {path}: matplotlib cannot write .{suffix} files; end the name in "
                             f".png (or one of {', '.join('.' + f for f in sorted(formats) if f != 'png')})")
    if suffix:
        return path
    written = path + (".gif" if flag == "--gif" else ".png")
    check_output_path(written, flag)
    return written


def check_distinct(**paths):
    """Refuse two output flags that name one file: the second would overwrite the first.

    ``paths`` maps each flag (``plot``, ``health``, ...) to the file it writes, or None.
    """
    seen = {}
    for flag, path in paths.items():
        if path is None:
            continue
        key = os.path.realpath(path)
        if key in seen:
            raise UsageError(f"--{seen[key]} and --{flag} both name {path}; the second would overwrite "
                             f"the first: give each its own file")
        seen[key] = flag


def check_output_path(path, flag):
    """Fail before training, not after, when ``path`` cannot be written (a missing folder, say).

    NOTE: the test is to open the file for appending (made, then removed, if it
    was not there; an existing one is not changed): ``os.access`` says yes to
    every folder for root, even to ``/proc``, where the write then fails.
    """
    if not path:
        raise UsageError(f"{flag} needs a file name, got an empty one")
    if path.endswith((os.sep, "/")) and not os.path.isdir(path):
        raise UsageError(f"{flag} {path} ends in {path[-1]}, as a folder would; give a file name")
    if os.path.isdir(path):
        example = {"--save": "run.npz", "--gif": "run.gif"}.get(flag, "run.png")
        raise UsageError(f"{flag} {path} is a folder; give a file name in it, e.g. "
                         f"{os.path.join(path, example)}")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise UsageError(f"{flag} {path}: the folder {folder} does not exist")
    existed = os.path.exists(path)
    try:
        with open(path, "ab"):
            pass
    except OSError as e:
        raise UsageError(f"{flag} {path} cannot be written: {e.strerror}") from None
    if not existed:
        os.remove(path)


def write_stdout(line):
    """Print a line without breaking the progress bar (tqdm draws on stderr)."""
    from tqdm import tqdm
    tqdm.write(line, file=sys.stdout)
