"""``python -m minigrad``: the command line (a small backprop demo until training lands)."""

import sys


def main(argv=None):
    """Entry point of ``python -m minigrad``; returns the exit status."""
    import numpy as np

    import minigrad as mg

    x = mg.Tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
    y = (x * x).tanh().sum()
    y.backward()
    print(f"y = sum(tanh(x*x)) at x = {x.data}: {y.item():.6f}")
    print(f"dy/dx = {x.grad}")
    print(f"gradcheck: {mg.gradcheck(lambda t: (t * t).tanh(), x)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
