"""The classifier that ``train`` and ``compare`` build, run and describe.

A ReLU MLP on a data set of :mod:`minigrad.datasets`, one of the eight
optimizers, its accuracy, and the words the commands print about them
("MLP 64-64-10 (ReLU)", "minibatch of 32"). The commands call these as
``classifier.<name>``, so that a test can replace one (``load_data``,
``build_mlp``) for every command at once.
"""

from .flags import OPTIMIZER_NAMES


def load_data(name):
    """``datasets.load(name)``: (X_train, y_train, X_test, y_test), standardised, split 80/20."""
    from .. import datasets
    return datasets.load(name)


def build_mlp(n_in, hidden, n_out, gen):
    """Linear → ReLU → … → Linear, initialised from ``gen`` (PyTorch's default init)."""
    from .. import nn

    sizes = (n_in, *hidden, n_out)
    layers = []
    for a, b in zip(sizes, sizes[1:]):
        layers += [nn.Linear(a, b, rng=gen), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


def make_optimizer(name, params, lr):
    """The optimizer called ``name`` (lower case: 'adam') over ``params``, with learning rate ``lr``."""
    from .. import optim

    cls = getattr(optim, next(n for n in OPTIMIZER_NAMES if n.lower() == name))
    return cls(params, lr=lr)


def accuracy(model, X, y):
    """Fraction of rows of X classified as y, in eval mode and without a graph."""
    import numpy as np

    from .. import Tensor, no_grad
    from ..optim.train import _correct

    was_training = model.training
    model.eval()
    with no_grad():
        output = model(Tensor(X)).data
    model.train(was_training)
    return _correct(output, np.asarray(y)) / len(y)  # a row of NaN counts as wrong, as in optim.train


def updates_per_epoch(settings, n):
    """How many updates one epoch over ``n`` examples makes under the settings' regime."""
    return {"online": n, "offline": 1}.get(settings["regime"], -(-n // settings["batch_size"]))


# ---------------------------------------------------------------- in words

def model_text(n_in, hidden, n_out):
    """'MLP 64-64-10 (ReLU)'; 'MLP 4-3 (linear)' without a hidden layer."""
    return f"MLP {'-'.join(map(str, (n_in, *hidden, n_out)))} ({'ReLU' if hidden else 'linear'})"


def regime_text(settings, n, note=True):
    """'online', 'offline' or 'minibatch of B', B the batch size used (at most the n examples)."""
    if settings["regime"] != "minibatch":
        return settings["regime"]
    b = settings["batch_size"]
    text = f"minibatch of {min(b, n)}"
    if note and b > n:
        text += f" (--batch-size {b} is more than the {n} training examples)"
    return text


def epochs_text(n):
    """'1 epoch', '20 epochs'."""
    return f"{n} epoch" + ("s" if n != 1 else "")
