"""The joined step: one ``_update`` on all of a group's parameters laid end to end (PyTorch's ``foreach``).

An elementwise rule gives each element the same operations whether it runs
on one parameter or on all of them joined, so joining changes no number; it
calls NumPy a dozen times per group instead of a dozen times per parameter,
which is most of what a small model's step costs.

How: the first joined step concatenates the group's state arrays into flat
ones and puts views of them in each parameter's state dict, so that
``optimizer.state[p]["m"]`` and the flat ``m`` are one memory. Each step
then copies the parameters and gradients into flat arrays, runs the
optimizer's own ``_update`` on them, and copies the parameters back. Before
it, a check that the state dicts still hold those views and step counts
(load_state_dict or a hand edit makes new ones: the group is then joined
anew from them).

Measured (MEASUREMENT PENDING).
"""

import math
import weakref

import numpy as np

from ..memory_guard import modifying

__all__ = ["step_group", "JOIN_AT_MOST"]

JOIN_AT_MOST = 1 << 13  # elements per group; from about 12,000 the copies cost more than the calls saved

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
    joined: fewer than two parameters or more than ``JOIN_AT_MOST``
    elements, a parameter without a gradient (or with one of another shape
    or dtype), parameters of several dtypes or sharing memory (each must see
    the update of the one before it, as in PyTorch's per-parameter loop), or
    states with different step counts or entries.
    """
    params = group["params"]
    datas = [p.data for p in params]
    grads = [p.grad for p in params]
    if not _joinable(datas, grads):
        return False
    states = [optimizer.state.get(p) for p in params]
    joined = _joined.get(optimizer, {}).get(id(params[0]))
    if joined is None or not joined.holds(group, states, datas):
        states = [optimizer._init_state(p) if s is None else s for p, s in zip(params, states)]
        joined = _Joined.make(group, states, datas)
        if joined is None:
            return False
        _joined.setdefault(optimizer, {})[id(params[0])] = joined
        for p, s in zip(params, states):
            optimizer.state[p] = s
    theta = np.concatenate(datas, axis=None)
    g = optimizer._weight_decay(theta, np.concatenate(grads, axis=None), group)
    optimizer._update(theta, g, joined.state, group)
    with modifying(*datas):
        for a, piece in zip(datas, _split(theta, joined.shapes)):
            a[...] = piece
    joined.share()
    return True


def _joinable(datas, grads):
    """Two or more parameters, small, of one dtype, with gradients like them, not sharing memory."""
    if len(datas) < 2 or sum(a.size for a in datas) > JOIN_AT_MOST:
        return False
    dtype = datas[0].dtype
    for a, g in zip(datas, grads):
        if type(g) is not np.ndarray or g.shape != a.shape or g.dtype != dtype or a.dtype != dtype:
            return False  # no gradient (skipped), one the per-parameter loop must check, mixed dtypes
    return len({id(_owner(a)) for a in datas}) == len(datas)


class _Joined:
    """One group's state, joined: flat arrays and step counts; each parameter's state holds views of them."""

    __slots__ = ("group", "states", "shapes", "dtype", "state", "views")

    @classmethod
    def make(cls, group, states, datas):
        """Join the states (all with the same entries and step count); None if they differ."""
        first, dtype = states[0], datas[0].dtype
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
        self.group, self.states, self.shapes, self.dtype = group, states, [a.shape for a in datas], dtype
        self.state = {name: np.concatenate([s[name] for s in states], axis=None)
                      if isinstance(value, np.ndarray) else value for name, value in first.items()}
        self.views = {}
        self.share()
        return self

    def holds(self, group, states, datas):
        """True if nothing changed since the last step: the same state dicts, views, step counts, shapes."""
        if group is not self.group or len(states) != len(self.states) or datas[0].dtype != self.dtype:
            return False
        for i, (s, a) in enumerate(zip(states, datas)):
            if s is not self.states[i] or a.shape != self.shapes[i] or len(s) != len(self.state):
                return False  # a new state dict (load_state_dict), a new entry, another shape
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


_MISSING = object()


def _split(flat, shapes):
    """Views of the flat array ``flat``, one per shape."""
    views, start = [], 0
    for shape in shapes:
        end = start + math.prod(shape)
        views.append(flat[start:end].reshape(shape))
        start = end
    return views


def _owner(a):
    """The array that owns the memory of ``a`` (``a`` itself unless it is a view)."""
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a
