"""What the matplotlib pictures share: a Figure made outside pyplot, saving it, the line styles.

matplotlib is optional: it is imported inside :func:`new_figure` (and the
drawing functions), never when ``minigrad`` or ``minigrad.viz`` is imported.
These helpers are shared by the modules of :mod:`minigrad.viz` (and
:mod:`minigrad.animation`); they are not part of the public API.
"""

import os

import numpy as np

__all__ = []  # helpers for minigrad.viz's modules only

# Line styles for up to eight curves: colours from matplotlib's "tab10"; the dashes
# keep curves visible where two optimizers follow the same path (Adam and SWATS before a switch).
COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf"]
DASHES = ["-", "--", "-.", ":", "-", "--", "-.", ":"]
MAX_LINES = 16  # line_style tells this many curves apart: eight colours, each with two dashes


def line_style(i):
    """Colour, dash and width of curve ``i`` (from 0): no two of the first :data:`MAX_LINES` alike.

    Curves 0–7 take the eight colours and their dashes; curve i + 8 takes
    curve i's colour with the next dash. Each line of eight is a little
    thinner than the one before, so a path hidden under a later one shows
    at its edges.
    """
    return dict(color=COLORS[i % 8], linestyle=DASHES[(i + i // 8) % 8], linewidth=2.6 - 0.15 * (i % 8))


def check_line_count(n, what):
    """ValueError (naming ``what``) when ``n`` curves are more than :func:`line_style` tells apart."""
    if n > MAX_LINES:
        raise ValueError(f"at most {MAX_LINES} {what} can be told apart in one picture (8 colours, "
                         f"2 dashes each), got {n}")


def new_figure(width, height):
    """A matplotlib Figure outside pyplot: no global state, no GUI backend, nothing to close."""
    try:
        from matplotlib.figure import Figure
    except ImportError:  # matplotlib is optional: say what to do rather than "No module named"
        raise ImportError("drawing needs matplotlib, which is not installed: pip install matplotlib") from None

    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def file_name(path):
    """The file that saving to ``path`` writes: ``path``, or ``path.png`` when it has no suffix."""
    path = os.fspath(path)
    return path if os.path.splitext(path)[1] else path + ".png"


def save(fig, path):
    """Save ``fig`` to ``path`` (format from the suffix, PNG without one) when a path is given."""
    if path is not None:
        fig.savefig(file_name(path))


def whole_ticks(ax, last):
    """Ticks at whole epochs (or updates) on x, whose data end at ``last``; 0 … 1 when ``last`` ≤ 1.

    NOTE: one epoch's points all sit at x = 1 (or within (0, 1]), where the
    automatic limits 0.945 … 1.05 would get ticks like 0.975 and 1.035.
    """
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if last <= 1:
        ax.set_xlim(0, 1.05)


def plain_log_ticks(ax):
    """Label ``ax``'s log y axis with plain numbers: 0.05 and 2, not 5×10⁻² or "4" beside "6e-01".

    Every major tick (a power of ten) is labelled; the minor ones all while
    the axis spans at most one decade, then 2, 3 and 5 × 10^k up to two
    decades, then none (they would crowd it).
    """
    from matplotlib.ticker import FuncFormatter

    def minor(value, _):
        low, high = ax.get_ylim()
        decades = np.log10(high / low) if 0 < low < high else np.inf
        shown = decades <= 1 or (decades <= 2 and f"{value:.0e}"[0] in "235")
        return f"{value:g}" if shown else ""

    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.yaxis.set_minor_formatter(FuncFormatter(minor))
