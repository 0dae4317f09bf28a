"""Training health: the signs, layer by layer, of a network that trains badly.

The loss says *that* training goes badly; these say *why*. They are the ones
Karpathy's "Zero to Hero" lectures taught a generation to watch [1]_:

- **activations**: per nonlinearity, the mean and standard deviation of its
  outputs and the fraction that is *saturated*, where the nonlinearity
  passes back less than 6% of the gradient it receives (|tanh| > 0.97, the
  lecture's threshold): a saturated unit barely learns;
- **gradient norms** ‖g‖ per parameter: vanishing in the first layers, or
  exploding;
- the **update-to-data ratio** ‖Δθ‖ / ‖θ‖ per parameter and update: how
  much one step changes a weight, relative to its size (around 10⁻³ is the
  rule of thumb; far below, the layer hardly moves; far above, it thrashes).

:class:`HealthMonitor` measures them around each ``optimizer.step()`` and
keeps them as plain floats; ``optim.train(..., health=True)`` runs one and
stores its record in ``history.health``; ``viz.plot_health`` draws it.

References
----------
.. [1] A. Karpathy, "Building makemore Part 3: Activations & Gradients,
   BatchNorm", Neural Networks: Zero to Hero, 2022.
"""

import math

import numpy as np

from .. import ops
from ..function import toposort

__all__ = ["HealthMonitor", "SATURATED", "ACTIVATIONS"]

SATURATED = 1 - 0.97 ** 2  # a unit passing back less than this fraction of its gradient is saturated

# The nonlinearities watched: each op's local derivative, as a fraction of its largest, from its output y.
ACTIVATIONS = {
    ops.Tanh: lambda y: 1 - y * y,            # d tanh(x)/dx = 1 − y²  (largest 1, at x = 0)
    ops.Sigmoid: lambda y: 4 * y * (1 - y),   # dσ(x)/dx = y(1 − y)    (largest 1/4)
    ops.ReLU: lambda y: (y > 0) * 1.0,        # 1 where the unit is on, 0 where it is off
}


class HealthMonitor:
    """Measure activations, gradient norms and update-to-data ratios around each optimizer step.

    Math::

        for each watched nonlinearity (Tanh, Sigmoid, ReLU), over an epoch's outputs y:
            mean = Σ y / n          std = √(Σ y² / n − mean²)
            saturation = #{y : passed(y) < 1 − 0.97²} / n      passed(y) = y′ / max y′ (1 − y² for tanh)
        for each parameter θ, per epoch:   grad_norm = mean over the updates of ‖g‖₂
        for each parameter θ, per update:  update_ratio = ‖θ_after − θ_before‖₂ / ‖θ_before‖₂

    Parameters
    ----------
    model : callable
        The model; an ``nn.Module`` names the parameters (``0.weight``);
        any other gets ``param 0``, ``param 1``, … in the optimizer's order.
    optimizer : optim.Optimizer
        Its parameters are watched; :meth:`step` calls its ``step()``.
    history : optim.History, optional
        The record goes to ``history.health`` (made if it is None, continued
        if it holds one); otherwise it is this monitor's own ``record``.

    Attributes
    ----------
    record : dict
        ``record[what][name]`` is a list of floats: ``"activation_mean"``,
        ``"activation_std"``, ``"saturation"`` (keyed by layer: ``"Tanh 1"``,
        ``"Tanh 2"``, … numbered per op in the order the forward made them, inputs left to right)
        and ``"grad_norm"`` (keyed by parameter) hold one value per epoch;
        ``"update_ratio"`` (keyed by parameter) one per update. A value is
        NaN where nothing was measured (a parameter without gradient all
        epoch; ‖θ‖ = 0).

    Notes
    -----
    The activations are read from the graph of the model's output that
    :meth:`step` is given, as the training forward computed them (after
    ``backward`` the graph keeps every result's data): no extra forward,
    no hooks, and any model works, also one that calls ``x.tanh()`` itself.
    Measuring changes nothing: the same run with and without it ends with
    the same parameters, bit for bit. It is not free: the step copies each
    parameter (for Δθ) and takes three norms of each, and the graph is
    walked once per update; a small MLP (64-64-64-10, batches of 32) trained
    23-36% slower with it (measured), a 256-wide one with batches of 128 4%. LeakyReLU
    is not watched (its slope is not in its output), nor a nonlinearity
    applied to the input itself (no graph node records it).

    Examples
    --------
    >>> import numpy as np, minigrad as mg
    >>> from minigrad import nn
    >>> model = nn.Sequential(nn.Linear(3, 4, rng=0), nn.Tanh(), nn.Linear(4, 2, rng=1))
    >>> opt = mg.optim.SGD(model.parameters(), lr=0.1)
    >>> monitor = mg.optim.HealthMonitor(model, opt)
    >>> x, y = mg.Tensor(np.ones((5, 3), np.float32)), mg.Tensor(np.zeros(5, np.int64))
    >>> output = model(x)
    >>> nn.functional.cross_entropy(output, y).backward()
    >>> monitor.step(output)          # opt.step(), measured
    >>> monitor.end_epoch()
    >>> sorted(monitor.record["saturation"]), len(monitor.record["update_ratio"]["0.weight"])
    (['Tanh 1'], 1)
    """

    def __init__(self, model, optimizer, history=None):
        if not hasattr(optimizer, "param_groups") or isinstance(optimizer, type):
            raise TypeError(f"HealthMonitor needs an optimizer made on the model's parameters "
                            f"(optim.SGD(model.parameters(), lr=0.1)), got {optimizer!r:.60}")
        named = {id(p): name for name, p in model.named_parameters()} \
            if callable(getattr(model, "named_parameters", None)) else {}
        params = [p for group in optimizer.param_groups for p in group["params"]]
        self.params = [(named.get(id(p), f"param {i}"), p) for i, p in enumerate(params)]
        self.optimizer = optimizer
        if history is not None and history.health is None:
            history.health = {}
        self.record = history.health if history is not None else {}
        for what in ("activation_mean", "activation_std", "saturation", "grad_norm", "update_ratio"):
            self.record.setdefault(what, {})
        # where this run starts: values are put at their epoch and update, NaN-padded before
        self.epochs = len(history.epoch_loss) if history is not None else 0
        self.updates = len(history.step_loss) if history is not None else 0
        self._start_epoch()

    def _start_epoch(self):
        self._grads = {name: [0.0, 0] for name, _ in self.params}  # name -> [Σ ‖g‖, updates with a g]
        self._acts = {}  # layer -> [n, Σ y, Σ y², saturated]

    def step(self, output=None):
        """``optimizer.step()``, measured: ‖g‖ and ‖Δθ‖/‖θ‖ per parameter, and ``output``'s activations.

        Call it where ``optimizer.step()`` would go, after ``backward()``;
        ``output`` is the model's output (its graph holds the activations;
        the loss's would do, but a loss may use a ReLU of its own).
        """
        if output is not None and output.grad_fn is not None:
            self._add_activations(output)
        before = []
        for name, p in self.params:
            if p.grad is not None:
                self._grads[name][0] += float(np.linalg.norm(p.grad))
                self._grads[name][1] += 1
            before.append(np.array(p.data, copy=True))
        self.optimizer.step()
        for (name, p), old in zip(self.params, before):
            size = float(np.linalg.norm(old))
            ratio = float(np.linalg.norm(p.data - old)) / size if size > 0 else math.nan
            _put(self.record["update_ratio"], name, ratio, self.updates)
        self.updates += 1

    def end_epoch(self):
        """Close an epoch: append its gradient norms and activation statistics to the record."""
        for name, (total, count) in self._grads.items():
            _put(self.record["grad_norm"], name, total / count if count else math.nan, self.epochs)
        for layer, (n, s1, s2, saturated) in self._acts.items():
            mean = s1 / n
            _put(self.record["activation_mean"], layer, mean, self.epochs)
            _put(self.record["activation_std"], layer, math.sqrt(max(s2 / n - mean * mean, 0.0)), self.epochs)
            _put(self.record["saturation"], layer, saturated / n, self.epochs)
        self.epochs += 1
        self._start_epoch()

    def _add_activations(self, output):
        """Add the outputs of every watched nonlinearity in ``output``'s graph to the epoch's sums."""
        order = _forward_order(output.grad_fn)
        results = {output.grad_fn: output}  # node -> the tensor it made, found among the inputs of its users
        for node in order:
            for x in node.inputs:
                if x is not None and x.grad_fn is not None:
                    results[x.grad_fn] = x
        counts = {}
        for node in order:
            passed = ACTIVATIONS.get(type(node))
            if passed is None:
                continue
            counts[type(node)] = counts.get(type(node), 0) + 1
            layer = f"{type(node).__name__} {counts[type(node)]}"
            y = results[node].data
            sums = self._acts.setdefault(layer, [0, 0.0, 0.0, 0])
            sums[0] += y.size
            sums[1] += float(np.sum(y, dtype=np.float64))
            sums[2] += float(np.sum(np.square(y, dtype=np.float64)))
            sums[3] += int(np.count_nonzero(passed(y) < SATURATED))


def _forward_order(root):
    """The nodes under ``root`` in the order a forward pass made them, as far as the graph tells.

    :func:`~minigrad.function.toposort` gives a valid order, but of two
    parallel branches (``concatenate([a(x).tanh(), b(x).tanh()])``) it
    places the one given *last* to an op first, which would make it "Tanh
    1". Python evaluates an op's inputs left to right, so each node gets the
    path of input positions by which the root reaches it (the smallest, if
    several), and the nodes are sorted inputs-first: a node before its users
    (a path sorts before the paths it extends, by the ``inf`` that ends each),
    an op's first input's branch before its second's.
    """
    order = toposort(root)
    path = {root: ()}
    for node in reversed(order):  # each node after every node that uses it: its path is final
        for k, x in enumerate(node.inputs):
            if x is not None and x.grad_fn is not None:
                here = path[node] + (k,)
                path[x.grad_fn] = min(path.get(x.grad_fn, here), here)
    return sorted(order, key=lambda node: path[node] + (math.inf,))


def _put(table, name, value, at):
    """``table[name].append(value)`` as its entry number ``at``: NaN fills any entries before it never got."""
    values = table.setdefault(name, [])
    if len(values) < at:
        values.extend([math.nan] * (at - len(values)))
    values.append(float(value))
