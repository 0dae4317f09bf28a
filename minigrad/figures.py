"""The "New Optimization" lecture's figures, by the name the README and tutorials use.

The code lives in :mod:`minigrad.viz.lecture`, beside the other pictures;
this module keeps ``from minigrad import figures`` and
``from minigrad.figures import run_optimizer`` working.

Examples
--------
>>> from minigrad import figures, viz
>>> figures.momentum_figure is viz.lecture.momentum_figure
True
"""

from .viz.lecture import (FigureData, adagrad_rmsprop_figure, adam_amsgrad_figure, lecture_figures,
                          momentum_figure, radam_warmup_figure, run_optimizer, swats_figure)

__all__ = ["momentum_figure", "adagrad_rmsprop_figure", "adam_amsgrad_figure", "swats_figure",
           "radam_warmup_figure", "lecture_figures", "run_optimizer", "FigureData"]
