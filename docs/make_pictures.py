"""Make the small pictures the README shows, with minigrad's own commands and functions.

    python docs/make_pictures.py          # writes docs/img/*.png (about 30 s)

Each picture is what a user gets from the command named beside it, drawn
small (a README is read on a phone too). Re-run this after a change that
alters a picture; the tests check that every picture the README links exists.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMG = ROOT / "docs" / "img"
WIDTH = 420  # pixels: the README shows them 260 wide, as thumbnails (1.6x for a sharp screen)


def shrink(path):
    """Scale the PNG at ``path`` down to WIDTH pixels wide, its shape kept (Pillow's Lanczos filter,
    which matplotlib needs anyway: smooth text, where taking every k-th pixel made it jagged)."""
    from PIL import Image

    with Image.open(path) as image:
        width, height = image.size
        if width <= WIDTH:
            return
        small = image.resize((WIDTH, round(height * WIDTH / width)), Image.Resampling.LANCZOS)
    small.save(path, optimize=True)


def command(*argv):
    """``python -m minigrad *argv`` from the repository's root."""
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-m", "minigrad", *argv], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)


def graph(path):
    """viz.draw_graph of one tanh neuron after backward (tutorials 01 and 02)."""
    import numpy as np

    import minigrad as mg
    from minigrad import viz

    x = mg.Tensor(np.array([2.0, 0.0]), requires_grad=True)
    w = mg.Tensor(np.array([-3.0, 1.0]), requires_grad=True)
    b = mg.Tensor(6.88, requires_grad=True)
    out = ((x * w).sum() + b).tanh()
    out.backward()
    viz.draw_graph(out, path, names={"x": x, "w": w, "b": b})


def momentum(path):
    """The lecture's momentum figure (tutorials 04 and 07)."""
    from minigrad import figures

    figures.momentum_figure(path=path)


def main():
    """Write every picture, then shrink each."""
    sys.path.insert(0, str(ROOT))
    import matplotlib

    matplotlib.use("Agg")
    IMG.mkdir(parents=True, exist_ok=True)
    made = {
        "graph.png": lambda p: graph(p),
        "train.png": lambda p: command("train", "--no-progress", "--plot", p),
        "paths.png": lambda p: command("trajectories", "--surface", "rosenbrock", "--plot", p),
        "regimes.png": lambda p: command("compare", "--regime", "offline", "--epochs", "300",
                                         "--optimizers", "sgd,adam,radam", "--no-progress", "--plot", p),
        "momentum.png": lambda p: momentum(p),
        "health.png": lambda p: command("train", "--data", "digits", "--epochs", "5", "--no-progress",
                                        "--health", p),
    }
    for name, make in made.items():
        path = str(IMG / name)
        make(path)
        shrink(path)
        print(f"{path}: {os.path.getsize(path) // 1024} KiB")


if __name__ == "__main__":
    main()
