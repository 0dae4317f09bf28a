"""The joined step: one ``_update`` on all of a group's parameters laid end to end (PyTorch's ``foreach``).

An elementwise rule gives each element the same operations whether it runs
on one parameter or on all of them joined, so joining changes no number; it
calls NumPy a dozen times per group instead of a dozen times per parameter,
which is most of what a small model's step costs. ``Optimizer.step`` calls
:func:`step_group` first when ``optimizer.foreach`` is on, and steps the
parameters one by one when it returns False.

How: the first joined step concatenates the group's state arrays into flat
ones and puts views of them in each parameter's state dict, so that
``optimizer.state[p]["m"]`` and the flat ``m`` are one memory. Each step
then copies the parameters and gradients into two flat buffers, runs the
optimizer's own ``_update`` on them, and copies the parameters back. Before
that it checks that the parameters' arrays, state dicts, views and step
counts are the ones it joined; ``load_state_dict``, a new ``p.data`` or a
hand edit of the state fails the check, and the group is joined anew from
what is there now.

Workload and measured gain (``bench/bench_classifier.py``: digits, MLP
64-64-10, batch 32, lr 1e-3, single thread; this machine, 2 cores):

- Adam, one process, 300 paired rounds of one epoch (median of the on/off
  ratios, three runs): 0.92x-0.93x, i.e. 7-8% faster; AMSGrad 0.92x-0.93x,
  RAdam 0.92x-0.94x. Runs of ``bench_classifier.py`` itself, on and off
  interleaved (3 each, 30 rounds): minigrad 1.72x the NumPy floor on, 1.84x
  off. Instructions (callgrind, 10 epochs): 493M on, 550M off (-10%).
- SGD 1.07x, SGDM 1.04x-1.07x, Adagrad 1.02x-1.04x, RMSProp 0.99x-1.00x:
  their rules make too few passes over the arrays for the calls saved to
  pay for the copies.

So ``foreach=None`` means on for Adam, AMSGrad and RAdam, off for the other
four (``Optimizer._foreach_default``). A simpler design that joined the
state anew at every step (concatenating it and copying it back) measured
2.5% slower than not joining at all, 10% more instructions (on the previous
engine); hence the views.
"""

import itertools
import math
import weakref

import numpy as np

from ..memory_guard import modifying

__all__ = ["step_group", "JOIN_AT_MOST"]

# Bytes per group (64 KiB: 16,384 float32). NOTE: past 128 KiB the update's temporaries come
# from mmap, fresh pages each step: Adam on 4 × 16,000 float32 took 5.9x the per-parameter time.
JOIN_AT_MOST = 1 << 16

# optimizer -> {id(the group's first parameter): _Joined}. Kept outside the optimizer, so
# that copy.deepcopy and pickle copy its state dicts but never these views into them.
_joined = weakref.WeakKeyDictionary()


def step_group(optimizer, group):
    """Run ``optimizer._update`` once on the group's parameters joined end to end; False if it cannot.

    Math::

        θ = concat(θ_1, …, θ_k),  g = concat(g_1, …, g_k),  state likewise
        _update(θ, g, state)
        θ_i ← its slice of θ      (state_i is a view of its slice already)

    The group is left to the per-parameter loop (False) when it cannot be
    joined: fewer than two parameters or more than ``JOIN_AT_MOST`` bytes, a
    parameter without a gradient (or with one of another shape or dtype),
    parameters of several dtypes or sharing memory (each must see the update
    of the one before it, as in PyTorch's per-parameter loop), or states with
    different step counts or entries.
    """
    params = group["params"]
    if len(params) < 2:
        return False
    datas = [p.data for p in params]
    grads = [p.grad for p in params]
    dtype = datas[0].dtype
    for a, g in zip(datas, grads):
        if type(g) is not np.ndarray or g.shape != a.shape or g.dtype != dtype:
            return False  # no gradient (skipped), one the per-parameter loop must check, or mixed dtypes
    states = [optimizer.state.get(p) for p in params]
    joined = _joined.get(optimizer, {}).get(id(params[0]))
    if joined is None or not joined.holds(group, datas, states):
        if not _small_and_apart(datas):
            return False
        states = [optimizer._init_state(p) if s is None else s for p, s in zip(params, states)]
        joined = _Joined.make(group, datas, states)
        if joined is None:
            return False
        _joined.setdefault(optimizer, {})[id(params[0])] = joined
        for p, s in zip(params, states):
            optimizer.state[p] = s
    theta = np.concatenate(datas, axis=None, out=joined.theta)
    g = optimizer._weight_decay(theta, np.concatenate(grads, axis=None, out=joined.g), group)
    optimizer._update(theta, g, joined.state, group)
    with modifying(*datas):
        for a, piece in zip(datas, joined.pieces):
            a[...] = piece
    joined.share()
    return True


class _Joined:
    """One group joined: flat θ and g buffers, the flat state; each parameter's state holds views of it."""

    __slots__ = ("group", "datas", "states", "shapes", "theta", "g", "pieces", "state", "views")

    @classmethod
    def make(cls, group, datas, states):
        """Join the group's states (all with the same entries and step counts); else None."""
        dtype = datas[0].dtype
        first = states[0]
        for s, a in zip(states, datas):
            if s.keys() != first.keys():
                return None
            for name, value in s.items():
                if isinstance(value, np.ndarray):
                    if type(value) is not np.ndarray or value.shape != a.shape or value.dtype != dtype:
                        return None
                elif value != first[name]:
                    return None  # another step count: t must be one number for all
        self = cls()
        self.group, self.datas, self.states = group, datas, states
        self.shapes = [a.shape for a in datas]
        self.theta = np.empty(sum(a.size for a in datas), dtype)
        self.g = np.empty_like(self.theta)
        self.pieces = _split(self.theta, self.shapes)
        self.state = {name: np.concatenate([s[name] for s in states], axis=None)
                      if isinstance(value, np.ndarray) else value for name, value in first.items()}
        self.views = {}
        self.share()
        return self

    def holds(self, group, datas, states):
        """True if nothing changed since the last step: the same arrays, state dicts, views, step counts."""
        if group is not self.group or len(datas) != len(self.datas):
            return False
        for i, (a, s) in enumerate(zip(datas, states)):
            if a is not self.datas[i] or s is not self.states[i] or len(s) != len(self.state):
                return False  # a new p.data, a new state dict (load_state_dict), a new entry
            for name, value in self.state.items():
                if name in self.views:
                    if s.get(name) is not self.views[name][i]:
                        return False  # an array replaced by hand
                elif s.get(name, _MISSING) != value:
                    return False  # a step count set by hand
        return True

    def share(self):
        """Copy the step counts into every parameter's state; give it views of new joined arrays."""
        for name, value in self.state.items():
            if not isinstance(value, np.ndarray):
                for s in self.states:
                    s[name] = value
            elif name not in self.views or self.views[name][0].base is not value:
                # new: the first step, an entry _update added (AMSGrad's v_max), or one it rebound
                self.views[name] = _split(value, self.shapes)
                for s, view in zip(self.states, self.views[name]):
                    s[name] = view


def _small_and_apart(datas):
    """At most JOIN_AT_MOST bytes, of one dtype, and no two parameters sharing memory.

    NOTE: ``np.may_share_memory`` compares the memory's bounds, so it also sees
    sharing through an owner that is no array (``np.frombuffer`` over one
    ``bytearray``), which comparing the arrays' bases misses. Called when a
    group is joined, not at every step.
    """
    dtype = datas[0].dtype
    return (sum(a.nbytes for a in datas) <= JOIN_AT_MOST and all(a.dtype == dtype for a in datas)
            and not any(np.may_share_memory(a, b) for a, b in itertools.combinations(datas, 2)))


_MISSING = object()


def _split(flat, shapes):
    """Views of the flat array ``flat``, one per shape."""
    views, start = [], 0
    for shape in shapes:
        end = start + math.prod(shape)
        views.append(flat[start:end].reshape(shape))
        start = end
    return views
