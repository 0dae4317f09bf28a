"""Where the boxes of a graph drawing go: columns by depth, rows that keep edges short.

:func:`layout` places :class:`Box` es (each knows its text, hence its size,
and its parents) with no graphviz and no networkx: a layered drawing in the
manner of Sugiyama et al. (1981), simplified. :func:`edge_path` gives the
curve of an edge through the waypoints the layout left for it.
"""

__all__ = []  # used by minigrad.viz.graph and minigrad.viz.graph_render

CHAR_W, LINE_H, PAD = 7.2, 15.0, 8.0   # px: a 12 px monospace character, a line, the padding
COL_GAP, ROW_GAP, MARGIN = 46.0, 14.0, 16.0


class Box:
    """One box of the drawing: its kind, its lines of text, its neighbours and (once laid out) its place.

    ``muted`` holds the indices of lines drawn in grey italics (a stale gradient).
    """

    def __init__(self, kind, lines, muted=()):
        self.kind, self.lines, self.muted = kind, lines, set(muted)
        self.parents, self.children = [], []  # parents as (box, number of edges), children as boxes
        self.layer, self.x, self.y = 0, 0.0, 0.0
        self.routes = {}  # parent -> waypoints of the edge from that parent
        self.w = max(len(s) for s in lines) * CHAR_W + 2 * PAD
        self.h = len(lines) * LINE_H + 2 * PAD - 4


def layout(nodes):
    """Columns by depth (result on the right) and rows ordered to keep edges short.

    1. Columns are counted back from the result: a node sits one column left
       of its leftmost consumer, so a weight sits beside the op that uses it.
    2. An edge longer than one column gets invisible waypoints, one per
       column it crosses, so that it is routed around boxes, not behind them.
    3. Within a column, nodes are sorted by the mean height of their
       neighbours (the barycenter heuristic), sweeping left and right a few
       times; each then moves to that mean height, and overlaps are pushed
       apart.
    ``nodes`` are the drawing's :class:`Box` es, each after its parents.
    Returns the drawing's (width, height) in px; sets ``x``, ``y`` of every
    box and ``routes[parent]`` (the waypoints) of every (parent, child) edge.
    """
    for n in reversed(nodes):  # nodes come parents first, so children are placed already
        n.layer = min((c.layer for c in n.children), default=1) - 1
    low = min(n.layer for n in nodes)
    for n in nodes:
        n.layer -= low
    layers = [[] for _ in range(max(n.layer for n in nodes) + 1)]
    for n in nodes:
        layers[n.layer].append(n)
    # waypoints: a chain of zero-size nodes for every edge that skips columns
    links = {}  # node -> neighbours in the previous / next column (waypoints included)
    routes = {}
    for child in nodes:
        for parent, _ in child.parents:
            chain = [parent]
            for layer in range(parent.layer + 1, child.layer):
                way = Box("way", [""])
                way.w, way.h, way.layer = 0.0, 6.0, layer
                layers[layer].append(way)
                chain.append(way)
            chain.append(child)
            routes[(parent, child)] = chain[1:-1]
            for a, b in zip(chain, chain[1:]):
                links.setdefault(a, ([], []))[1].append(b)
                links.setdefault(b, ([], []))[0].append(a)
    for i, n in enumerate(nodes):
        n.y = 40.0 * i
    for layer in layers:
        for i, n in enumerate(layer):
            if n.kind == "way":
                n.y = links[n][0][0].y

    def place(layer, side):
        for n in layer:
            near = links.get(n, ([], []))[side] or links.get(n, ([], []))[1 - side]
            n.want = sum(m.y for m in near) / len(near) if near else n.y
        layer.sort(key=lambda n: n.want)
        bottom = None
        for n in layer:  # push apart from the top down, then re-centre on the wishes
            n.y = n.want if bottom is None else max(n.want, bottom + ROW_GAP + n.h / 2)
            bottom = n.y + n.h / 2
        shift = sum(n.want - n.y for n in layer) / len(layer)
        for n in layer:
            n.y += shift

    for _ in range(6):
        for layer in layers[1:]:
            place(layer, 0)
        for layer in reversed(layers[:-1]):
            place(layer, 1)
    x = MARGIN
    for layer in layers:
        width = max(n.w for n in layer)
        for n in layer:
            n.x = x + width / 2
        x += width + COL_GAP
    everything = [n for layer in layers for n in layer]
    top = min(n.y - n.h / 2 for n in everything)
    for n in everything:
        n.y += MARGIN - top
    for (parent, child), route in routes.items():
        child.routes[parent] = [(w.x, w.y) for w in route]
    height = max(n.y + n.h / 2 for n in everything) + MARGIN
    return x - COL_GAP + MARGIN, height


def edge_path(parent, child):
    """The edge parent → child as cubic bezier pieces: [start, c1, c2, end, c1, c2, end, ...]."""
    points = [(parent.x + parent.w / 2, parent.y)] + child.routes.get(parent, []) \
        + [(child.x - child.w / 2, child.y)]
    path = [points[0]]
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        bend = max(12.0, (x1 - x0) / 2)
        path += [(x0 + bend, y0), (x1 - bend, y1), (x1, y1)]
    return path
