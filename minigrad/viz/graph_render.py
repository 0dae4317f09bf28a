"""A laid-out graph drawing, rendered: as SVG text (NumPy only) or as a matplotlib Figure.

Both renderers draw the same things at the same coordinates (px, y downwards):
the edges as curves with arrowheads ("×2" beside one that an op takes twice),
the boxes in their kind's colours, and under them a legend with a swatch per
kind and the drawing's notes.
"""

import math
import re
from html import escape

from .graph_layout import CHAR_W, LINE_H, MARGIN, edge_path
from .plotting import new_figure

__all__ = ["SVG"]

# Box kinds and how they look: fill colour, border colour, legend text.
NODE_STYLE = {
    "param": ("#fde0b6", "#c26a00", "parameter"),
    "leaf": ("#cfe3f7", "#2b6cb0", "leaf that requires grad"),
    "op": ("#ffffff", "#555555", "op result"),
    "output": ("#d8f0d2", "#2f7d32", "the tensor drawn"),
    "const": ("#f2f2f2", "#9a9a9a", "constant (no grad)"),
    "highlight": ("#ffd9d6", "#d62728", "highlighted"),
}
MUTED = "#8a8a8a"  # a stale gradient's line, and the notes


class SVG(str):
    """SVG text (a ``str``): Jupyter shows it as a picture, the REPL as one line.

    ``print(svg)`` or ``str(svg)`` gives the text; ``repr`` only its size (and
    the file it was saved to), so that ``python -i`` does not echo kilobytes.

    Examples
    --------
    >>> SVG('<svg xmlns="http://www.w3.org/2000/svg" width="120" height="80">\\n</svg>\\n')
    <SVG 120×80 px, 72 characters: print() it for the text>
    """

    path = None  # the file it was saved to, if any

    def _repr_svg_(self):
        """The picture, for Jupyter."""
        return str(self)

    def __repr__(self):
        size = re.search(r'width="([\d.]+)" height="([\d.]+)"', self[:400])
        where = f", saved to {self.path}" if self.path is not None else ""
        if size is None:
            return f"<SVG of {len(self):,} characters{where}: print() it for the text>"
        return f"<SVG {size[1]}×{size[2]} px, {len(self):,} characters{where}: print() it for the text>"


def legend(boxes, notes, width, top):
    """The legend under the graph: a swatch per box kind, wrapped to ``width``, then the notes.

    Returns ``(items, width, height)``: items are ``(x, y, kind, text)`` with
    ``kind`` None for a note; the width grows if a single entry needs it.
    """
    entries = [(k, NODE_STYLE[k][2]) for k in NODE_STYLE if any(b.kind == k for b in boxes)]
    entries += [(None, note) for note in notes]
    width = max([width] + [2 * MARGIN + 20 + len(text) * CHAR_W for _, text in entries])
    items, x, y = [], MARGIN, top + 8
    for kind, text in entries:
        size = (20 if kind else 0) + len(text) * CHAR_W
        if x > MARGIN and (x + size > width - MARGIN or kind is None):
            x, y = MARGIN, y + 22  # next row (a note always gets its own)
        items.append((x, y, kind, text))
        x += size + 18
    return items, width, y + 22 - top


def to_svg(boxes, width, height, notes):
    """The drawing as :class:`SVG` text: the laid-out ``boxes`` (``width`` × ``height`` px), the legend below."""
    items, width, legend_h = legend(boxes, notes, width, height)
    width, total_h = math.ceil(width), math.ceil(height + legend_h)  # whole pixels, in a PNG too
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{total_h:.0f}" '
           f'viewBox="0 0 {width:.0f} {total_h:.0f}" font-family="DejaVu Sans Mono, monospace" '
           'font-size="12">',
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
           'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#666"/></marker></defs>',
           f'<rect width="{width:.0f}" height="{total_h:.0f}" fill="white"/>']
    for child in boxes:
        for parent, count in child.parents:
            points = edge_path(parent, child)
            (x0, y0), (x1, y1) = points[0], points[-1]
            d = f"M{x0:.1f},{y0:.1f} C" + " ".join(f"{x:.1f},{y:.1f}" for x, y in points[1:])
            out.append(f'<path d="{d}" fill="none" stroke="#666" stroke-width="1.2" '
                       'marker-end="url(#arrow)"/>')
            if count > 1:
                # "×2" beside the arrowhead, on the side the edge does not come from
                below = y0 < y1 - 1
                out.append(f'<text x="{x1 - 4:.1f}" y="{y1 + 15 if below else y1 - 6:.1f}" text-anchor="end" '
                           f'fill="#444">×{count}</text>')
    for b in boxes:
        fill, stroke, _ = NODE_STYLE[b.kind]
        dash = ' stroke-dasharray="4,3"' if b.kind == "const" else ""
        border = 3 if b.kind == "highlight" else 1.5
        out.append(f'<rect x="{b.x - b.w / 2:.1f}" y="{b.y - b.h / 2:.1f}" width="{b.w:.1f}" '
                   f'height="{b.h:.1f}" rx="6" fill="{fill}" stroke="{stroke}" stroke-width="{border}"{dash}/>')
        y = b.y - (len(b.lines) - 1) * LINE_H / 2 + 4
        for i, line in enumerate(b.lines):
            style = ' font-weight="bold"' if i == 0 else ""
            if i in b.muted:
                style = f' fill="{MUTED}" font-style="italic"'
            out.append(f'<text x="{b.x:.1f}" y="{y + i * LINE_H:.1f}" text-anchor="middle"{style}>'
                       f'{escape(line)}</text>')
    for x, y, kind, text in items:
        if kind is None:
            out.append(f'<text x="{x:.1f}" y="{y + 11:.1f}" fill="{MUTED}" font-style="italic">'
                       f'{escape(text)}</text>')
            continue
        fill, stroke, _ = NODE_STYLE[kind]
        out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="14" height="14" rx="3" '
                   f'fill="{fill}" stroke="{stroke}"/>')
        out.append(f'<text x="{x + 20:.1f}" y="{y + 11:.1f}">{escape(text)}</text>')
    out.append("</svg>")
    return SVG("\n".join(out) + "\n")


def to_figure(boxes, width, height, notes):
    """The drawing as a matplotlib Figure, 100 px to the inch (huge graphs scaled down to 30 inches)."""
    items, width, legend_h = legend(boxes, notes, width, height)
    width, total_h = math.ceil(width), math.ceil(height + legend_h)  # whole pixels, in a PNG too
    scale = min(1.0, 3000.0 / max(width, total_h))  # NOTE: keep huge graphs under 30 inches
    fig = new_figure(width * scale / 100, total_h * scale / 100)
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
    from matplotlib.path import Path

    fig.set_layout_engine("none")
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(total_h, 0)  # y grows downwards, as in the SVG
    ax.axis("off")
    font = dict(family="monospace", fontsize=12 * 0.72 * scale)  # 12 px, as in the SVG
    for child in boxes:
        for parent, count in child.parents:
            points = edge_path(parent, child)
            arrow = FancyArrowPatch(path=Path(points, [Path.MOVETO] + [Path.CURVE4] * (len(points) - 1)),
                                    arrowstyle="-|>", mutation_scale=10 * scale, color="#666",
                                    linewidth=1.1 * scale)
            ax.add_patch(arrow)
            if count > 1:
                below = points[0][1] < points[-1][1] - 1
                ax.text(points[-1][0] - 4, points[-1][1] + (4 if below else -4), f"×{count}", ha="right",
                        va="top" if below else "bottom", color="#444", **font)
    for b in boxes:
        fill, stroke, _ = NODE_STYLE[b.kind]
        ax.add_patch(FancyBboxPatch((b.x - b.w / 2, b.y - b.h / 2), b.w, b.h,
                                    boxstyle="round,pad=0,rounding_size=6", facecolor=fill,
                                    edgecolor=stroke, linewidth=(2.8 if b.kind == "highlight" else 1.4) * scale,
                                    linestyle="--" if b.kind == "const" else "-"))
        y = b.y - (len(b.lines) - 1) * LINE_H / 2
        for i, line in enumerate(b.lines):
            style = dict(color=MUTED, fontstyle="italic") if i in b.muted else \
                dict(fontweight="bold" if i == 0 else "normal")
            ax.text(b.x, y + i * LINE_H, line, ha="center", va="center", **style, **font)
    for x, y, kind, text in items:
        if kind is None:
            ax.text(x, y + 7, text, va="center", color=MUTED, fontstyle="italic", **font)
            continue
        fill, stroke, _ = NODE_STYLE[kind]
        ax.add_patch(FancyBboxPatch((x, y), 14, 14, boxstyle="round,pad=0,rounding_size=3",
                                    facecolor=fill, edgecolor=stroke))
        ax.text(x + 20, y + 7, text, va="center", **font)
    return fig
