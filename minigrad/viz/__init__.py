"""Pictures: the computation graph, training curves and health, optimizer paths, the lecture's figures.

One module per picture, each a function that returns what it drew (an SVG
text or a matplotlib Figure):

====================  ==========================================================
module                holds
====================  ==========================================================
``graph``             :func:`draw_graph`: the graph behind a tensor, which boxes
                      it has and what each says (shape, value, gradient)
``graph_layout``      where the boxes go: columns by depth, rows by neighbours
``graph_render``      the placed boxes as SVG text, or as a matplotlib Figure
``curves``            :func:`plot_history`: a training ``History``'s curves
``health``            :func:`plot_health`: a training's health per layer
``surfaces``          2-D loss surfaces written with minigrad ops
``optimizer_paths``   :func:`trajectories`, :func:`plot_trajectories`,
                      :func:`trajectories_command`: optimizers on a surface
``lecture``           the lecture's five figures (also :mod:`minigrad.figures`)
``plotting``          what the matplotlib pictures share: a Figure, saving, colours
====================  ==========================================================

Imports run one way, with no cycle: ``plotting``, ``surfaces`` and
``graph_layout`` import nothing of the package; ``graph_render`` imports
``graph_layout`` and ``plotting``; ``graph`` those three; ``curves``,
``health``, ``optimizer_paths`` and ``lecture`` import ``plotting`` (and
``surfaces``); this file gathers the public names. matplotlib is imported
inside the functions that draw with it, so ``import minigrad`` never needs
it, and SVG graphs need nothing but NumPy.
"""

from . import lecture  # noqa: F401  (the lecture's figures, also minigrad.figures)
from .curves import plot_history
from .graph import SVG, draw_graph
from .health import plot_health
from .optimizer_paths import OPTIMIZER_NAMES, plot_trajectories, trajectories, trajectories_command
from .surfaces import SURFACES, beale, quadratic, rosenbrock, saddle

__all__ = ["draw_graph", "plot_history", "plot_health", "plot_trajectories", "trajectories",
           "trajectories_command", "SURFACES", "OPTIMIZER_NAMES", "SVG",
           "quadratic", "rosenbrock", "beale", "saddle"]
