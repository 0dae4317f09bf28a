"""``python -m minigrad trajectories``: the optimizers' paths on a 2-D test surface.

The table and the picture are :func:`minigrad.viz.trajectories_command`'s;
``--gif`` adds :func:`minigrad.animation.animate_trajectories`' animation.
"""

from .errors import UsageError
from .outputs import check_distinct, check_plot_possible


def cmd_trajectories(args):
    """``python -m minigrad trajectories``: the optimizers' paths on a 2-D surface (see viz)."""
    from .. import viz

    plot = check_plot_possible(args.plot) if args.plot is not None else None
    gif = check_plot_possible(args.gif, "--gif") if args.gif is not None else None
    check_distinct(plot=plot, gif=gif)
    try:
        code = viz.trajectories_command(args.surface, path=plot, steps=args.steps,
                                        optimizers=args.optimizers, start=args.start)
        if gif:
            from ..animation import animate_trajectories

            start = tuple(float(v) for v in args.start.split(",")) if args.start else None
            animate_trajectories(args.surface, args.optimizers, start, args.steps, path=gif)
            print(f"animation: {gif}")
        return code
    except (ValueError, TypeError) as e:  # a bad --start, say
        raise UsageError(str(e)) from None
