"""The optimizer base class: parameter groups, lazy state, ``step()``, state dicts.

Every optimizer in :mod:`minigrad.optim` is this class plus two methods:
``_init_state(p)`` (the zero buffers one parameter needs) and
``_update(theta, g, state, group)`` (the update rule, in place, on NumPy
arrays). Bookkeeping lives here once: which parameters have a gradient, weight
decay (L2 in the gradient, or decoupled), hyper-parameter checks, and saving
and loading state.
"""

import math
import numbers

import numpy as np
from scipy.linalg import blas  # installed with scikit-learn

from ..tensor import Tensor, change_marks, mark_modified, stamp

__all__ = ["Optimizer", "axpy"]

_AXPY = {np.dtype(np.float32): blas.saxpy, np.dtype(np.float64): blas.daxpy}


def axpy(a, x, y, scratch):
    """y ← y + a·x, in place; ``scratch`` is an array like ``y`` that may be overwritten.

    Math::

        y ← y + a·x        (a a Python float, x and y arrays of one shape and dtype)

    NOTE: NumPy needs two passes over memory for this (``scratch = a·x``, then
    ``y += scratch``); BLAS' axpy makes one, which is what an SGD step costs
    on large parameters (2× on ten 1M-element tensors). It is used when both
    arrays are contiguous float32 or float64 of the same dtype; otherwise the
    two NumPy passes give the same numbers up to one rounding.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([1.0, 2.0], dtype=np.float32)
    >>> axpy(-0.5, np.array([2.0, 2.0], dtype=np.float32), y, np.empty_like(y))
    >>> y
    array([0., 1.], dtype=float32)
    """
    kernel = _AXPY.get(y.dtype)
    flags = y.flags
    if (kernel is not None and x.dtype == y.dtype and x.shape == y.shape
            and x.flags.c_contiguous and flags.c_contiguous and flags.writeable):
        if y.ndim != 1:  # (a flat view: the kernel reads 1-D arrays)
            x, y = x.reshape(-1), y.reshape(-1)
        kernel(x, y, a=a)  # writes into y's memory
    else:
        y += np.multiply(x, a, out=scratch)

# Allowed ranges of the hyper-parameters, each the half-open interval [low, high).
# The base class checks whichever of these names an optimizer's group holds.
_RANGES = {
    "lr": (0.0, math.inf),
    "weight_decay": (0.0, math.inf),
    "eps": (0.0, math.inf),
    "momentum": (0.0, 1.0),  # NOTE: PyTorch accepts ≥ 1; that is no decaying average
    "alpha": (0.0, 1.0),
    "betas": (0.0, 1.0),     # each of the pair; β = 1 would make 1 − β^t = 0
    "threshold": (4.0, math.inf),  # RAdam: ρ_t > 4 is needed for a real r_t
}
_CHOICES = {"init": ("first_grad", "zeros"), "decoupled_weight_decay": (False, True)}


def _check_range(name, value, low, high):
    """Raise unless ``value`` is a real number in [low, high)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    if not low <= value < high:  # NOTE: also rejects NaN
        raise ValueError(f"{name} must be in [{low:g}, {high:g}), got {value}")


def _check_hyperparameters(group):
    """Validate the hyper-parameters of one parameter group (names from ``_RANGES``)."""
    for name, value in group.items():
        if name == "betas":
            if not isinstance(value, (tuple, list)) or len(value) != 2:
                raise ValueError(f"betas must be a pair (beta1, beta2), got {value}")
            for i, beta in enumerate(value):
                _check_range(f"betas[{i}]", beta, *_RANGES["betas"])
        elif name in _RANGES:
            _check_range(name, value, *_RANGES[name])
        elif name in _CHOICES and value not in _CHOICES[name]:
            raise ValueError(f"{name} must be one of {_CHOICES[name]}, got {value!r}")


def _python_value(value):
    """Turn what a file gave back (0-d arrays, NumPy scalars) into Python values."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, np.generic):
        value = value.item()
    return value


def _as_list(value):
    """A list from a list, tuple, 1-D array, or a dict keyed "0", "1", … (as a file may give it)."""
    if isinstance(value, dict):
        return [value[k] for k in sorted(value, key=int)]
    return list(value)


class Optimizer:
    """Base class of all optimizers: holds parameters, state, and runs ``step()``.

    Math::

        g ← ∇L(θ) + wd·θ                     (L2 weight decay; skipped when wd = 0)
        θ ← θ·(1 − η·wd),  g ← ∇L(θ)         (instead, with decoupled_weight_decay: AdamW)
        θ, state ← _update(θ, g, state)      (each optimizer's rule, in place)

    Parameters
    ----------
    params : iterable of Tensor, or iterable of dict
        The parameters to optimize, or parameter groups: dicts with a
        ``"params"`` list and any hyper-parameters that override ``defaults``
        for that group.
    defaults : dict
        The hyper-parameters of every group that does not set its own.

    Attributes
    ----------
    param_groups : list of dict
        One dict per group: ``"params"`` and every hyper-parameter.
    state : dict
        Per-parameter state (``{"m": array, "t": 3, ...}``), keyed by the
        parameter tensor itself (identity hash), created lazily at the
        parameter's first gradient.

    Notes
    -----
    A parameter whose ``.grad`` is ``None`` is skipped: no state is created
    and its step counter ``t`` does not advance (as in PyTorch). ``step()``
    never writes to ``p.grad``; it updates ``p.data`` in place and keeps its
    dtype (float32 parameters get float32 state). Subclasses write only
    ``_init_state`` and ``_update``; optimizer-wide values (SWATS' ``phase``)
    are listed in the class attribute ``_global_names`` so that
    ``state_dict()`` saves them.

    Examples
    --------
    >>> import minigrad as mg
    >>> w = mg.nn.Parameter([1.0, 2.0])
    >>> opt = mg.optim.SGD([w], lr=0.5)
    >>> (w * w).sum().backward()   # g = 2w
    >>> opt.step()                 # w ← w − 0.5·2w = 0
    >>> w.data
    array([0., 0.], dtype=float32)
    >>> opt.zero_grad(); w.grad is None
    True
    """

    _global_names = ()  # optimizer-wide values that state_dict() saves
    _extra_state = ()   # state entries an optimizer adds after _init_state
    _fuse = True        # _update is elementwise: it may run once on all parameters joined
    _torch_keywords = {}  # a PyTorch keyword this class lacks -> where the lecture put it

    def __new__(cls, *args, **kwargs):
        """Refuse a PyTorch keyword the lecture moved to another class, naming that class.

        NOTE: ``__new__`` sees the arguments before ``__init__`` binds them, so
        ``SGD(params, momentum=0.9)`` can say "use SGDM" instead of Python's
        "unexpected keyword argument"; each class keeps its own ``__init__``
        signature (``inspect.signature`` shows it).
        """
        for name in kwargs:
            if name in cls._torch_keywords:
                raise TypeError(f"{cls.__name__}() takes no {name}=: {cls._torch_keywords[name]}")
        return super().__new__(cls)

    def __init__(self, params, defaults):
        if isinstance(params, Tensor):
            raise TypeError("params must be an iterable of tensors or of dicts, got one tensor; "
                            "wrap it in a list")
        _check_hyperparameters(defaults)
        self.defaults = dict(defaults)
        self.param_groups = []
        self.state = {}
        self._buffers = {}  # scratch arrays shared by all parameters, see _scratch()
        self._views = {}    # (slot, dtype, shape) -> a view of one of them
        self._joined = {}   # group number -> _Joined, see _fused_step()
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def __getstate__(self):
        """What pickle and ``copy.deepcopy`` copy: all but the scratch buffers and joined groups.

        NOTE: those hold views into flat buffers, and a copied view is an array
        of its own, so the copy would update parameters from stale copies;
        they are rebuilt at the copy's first step.
        """
        return {**self.__dict__, "_buffers": {}, "_views": {}, "_joined": {}}

    def add_param_group(self, group):
        """Add a dict ``{"params": [...], <hyper-parameter>: value, ...}`` as a new group.

        Hyper-parameters the group does not set come from ``defaults``.
        """
        if not isinstance(group, dict) or "params" not in group:
            raise TypeError(f"a parameter group must be a dict with a 'params' list, got {group!r}")
        params = group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize tensors, got {type(p).__name__}")
            if not np.issubdtype(p.data.dtype, np.floating):
                raise TypeError(f"optimizer can only optimize floating-point tensors, "
                                f"got {p.data.dtype}")
            if not p.is_leaf:  # NOTE: its .grad would stay None for ever
                raise ValueError(f"optimizer can only optimize leaf tensors, got the result of a "
                                 f"{p._op_name()} op; pass the parameters themselves "
                                 f"(model.parameters())")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if len({id(p) for p in params}) != len(params) or any(id(p) in seen for p in params):
            raise ValueError("some parameters appear more than once in the parameter groups")
        unknown = set(group) - set(self.defaults) - {"params"}
        if unknown:
            raise ValueError(f"unknown hyper-parameters {sorted(unknown)}; "
                             f"this optimizer takes {sorted(self.defaults)}")
        full = {**self.defaults, **group, "params": params}
        _check_hyperparameters(full)
        self.param_groups.append(full)

    def zero_grad(self):
        """Set the gradient of every parameter to ``None`` (not to zeros).

        The next ``backward()`` then stores a fresh gradient, and a parameter
        that gets none is skipped by ``step()``.
        """
        for group in self.param_groups:
            for p in group["params"]:
                p._grad = None  # (the .grad setter's own call costs as much)

    def step(self):
        """Update every parameter that has a gradient, with its group's hyper-parameters."""
        for number, group in enumerate(self.param_groups):
            if self._fuse and self._fused_step(number, group):
                continue
            for p in group["params"]:
                if p.grad is None:
                    continue  # no state, t not advanced
                theta, g = p.data, p.grad
                if not isinstance(g, np.ndarray):
                    raise _grad_type_error(g)
                if g.shape != theta.shape:
                    raise ValueError(f"gradient of shape {g.shape} for a parameter of shape "
                                     f"{theta.shape}")
                g = self._weight_decay(theta, g, group)
                state = self.state.get(p)
                if state is None:
                    state = self.state[p] = _State(self._init_state(p))
                self._update(theta, g, state, group)
                mark_modified([p])  # a graph that still holds the old θ can no longer backward
        self._after_step()

    def _weight_decay(self, theta, g, group):
        """The gradient the update rule sees: ``g`` with L2 decay, or ``g`` with θ shrunk (decoupled).

        Math::

            L2:         g ← g + wd·θ          (in a scratch array: never in p.grad)
            decoupled:  θ ← θ·(1 − η·wd)      (AdamW; g left alone)
        """
        wd = group["weight_decay"]
        if wd == 0:
            return g
        if group.get("decoupled_weight_decay", False):
            theta *= 1 - group["lr"] * wd
            return g
        decayed = np.multiply(theta, wd, out=self._scratch(theta, "g"))
        decayed += g
        return decayed

    def _fused_step(self, number, group):
        """One ``_update`` for all the parameters of a group at once; False if it cannot be.

        Math::

            θ = concat(θ_1, …, θ_k),  g = concat(g_1, …, g_k),  state likewise
            _update(θ, g, state);  θ_i ← its slice of θ

        NOTE: the update rules are elementwise, so running one on the
        parameters joined end to end gives each element the same operations,
        and so the same numbers, as running it on each parameter in turn; but
        NumPy is called a dozen times per step instead of a dozen times per
        parameter (as PyTorch's ``foreach`` and fused optimizers do). On a
        small MLP the step takes half the time. The state arrays of each
        parameter (``self.state[p]``) are views into the joined ones, so
        ``state_dict`` and the per-parameter path see the same numbers. Used
        when every parameter of the group has a gradient, all share one dtype
        and one step count, and there are at least two; otherwise ``step``
        updates them one by one; also for more than ``_JOIN_AT_MOST``
        elements, where the copies would cost more than the calls saved.
        """
        params = group["params"]
        if len(params) < 2:
            return False
        joined = self._joined.get(number)
        if joined is None or not joined.gather(params, self.state):
            for p in params:
                g = p._grad
                if type(g) is not np.ndarray or g.shape != p.data.shape:
                    self._joined.pop(number, None)  # the loop steps some alone: their t moves apart
                    return False  # no gradient (skipped), or a bad one: the loop says which
            joined = _Joined.make(self, params) if sum(p.data.size for p in params) <= _JOIN_AT_MOST else None
            if joined is None:
                self._joined.pop(number, None)  # (the group's old one no longer fits)
                return False
            self._joined[number] = joined
            if not joined.gather(params, self.state):  # (make() has just checked all it checks)
                return False
        g = self._weight_decay(joined.theta, joined.g, group)
        self._update(joined.theta, g, joined.state, group)
        joined.scatter()
        stamp(joined.marks)  # mark_modified(params), with the marks found at the join
        return True

    def _init_state(self, p):
        """The state of parameter ``p`` before its first step: zero arrays like ``p.data``, t = 0."""
        return {}

    def _update(self, theta, g, state, group):
        """Apply the update rule to ``theta`` in place; ``g`` holds the L2 decay (unless decoupled)."""
        raise NotImplementedError

    def _after_step(self):
        """Run once at the end of every ``step()`` (SWATS' global switch test)."""

    def _scratch(self, theta, slot="d"):
        """A scratch array shaped like ``theta``, reused by every parameter and step.

        NOTE: one buffer per (slot, dtype), as large as the largest parameter,
        instead of one per parameter: the same allocation-free steps with less
        memory, and the buffer stays in cache between parameters. The view of
        it for each shape is kept too (making one costs more than the update
        of a small parameter).
        """
        key = (slot, theta.dtype, theta.shape)
        view = self._views.get(key)
        if view is None:
            buffer = self._buffers.get(key[:2])
            if buffer is None or buffer.size < theta.size:
                buffer = self._buffers[key[:2]] = np.empty(theta.size, theta.dtype)
                self._views = {k: v for k, v in self._views.items() if k[:2] != key[:2]}
            view = self._views[key] = buffer[:theta.size].reshape(theta.shape)
        return view

    # ---------------------------------------------------------------- state dicts

    def state_dict(self):
        """The optimizer's state as plain data: NumPy arrays, numbers, strings, lists, dicts.

        Parameters are replaced by their position (0, 1, … over all groups,
        as in PyTorch): ``{"optimizer": class name, "state": {0: {...}},
        "param_groups": [{..., "params": [0, 1]}]}`` plus the optimizer-wide
        values of ``_global_names`` (those that are not ``None``). Arrays are
        copies.
        """
        index = {}
        groups = []
        for group in self.param_groups:
            saved = {k: v for k, v in group.items() if k != "params"}
            saved["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(saved)
        state = {index[id(p)]: {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in s.items()}
                 for p, s in self.state.items()}
        result = {"optimizer": type(self).__name__, "state": state, "param_groups": groups}
        for name in self._global_names:
            value = getattr(self, name)
            if value is not None:
                result[name] = value
        return result

    def load_state_dict(self, state_dict):
        """Load a state saved by ``state_dict()`` (also after a round trip through a file).

        Hyper-parameters come from the saved groups; the parameters stay this
        optimizer's own, matched by position. Integer keys may come back as
        strings and tuples as lists or arrays.

        Raises
        ------
        ValueError
            If the state is of another optimizer class, the groups or the
            number of parameters differ, or an entry is missing, unexpected
            or of the wrong shape.
        """
        kind = _python_value(state_dict.get("optimizer"))
        if kind != type(self).__name__:
            raise ValueError(f"cannot load the state of optimizer {kind!r} into {type(self).__name__}")
        if "param_groups" not in state_dict:
            raise ValueError("state dict has no 'param_groups' entry")
        saved_groups = _as_list(state_dict["param_groups"])
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"state dict has {len(saved_groups)} parameter groups, "
                             f"this optimizer has {len(self.param_groups)}")
        params = {}  # saved position -> this optimizer's parameter
        new_groups = []
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            positions = [int(_python_value(k)) for k in _as_list(saved.get("params", []))]
            if len(positions) != len(group["params"]):
                raise ValueError(f"parameter group {i} has {len(positions)} parameters in the "
                                 f"state dict, {len(group['params'])} in this optimizer")
            params.update(zip(positions, group["params"]))
            hyper = {k: _python_value(v) for k, v in saved.items() if k != "params"}
            if "betas" in hyper:
                hyper["betas"] = tuple(float(b) for b in _as_list(hyper["betas"]))
            if set(hyper) != set(group) - {"params"}:
                raise ValueError(f"parameter group {i} has hyper-parameters {sorted(hyper)} in "
                                 f"the state dict, expected {sorted(set(group) - {'params'})}")
            _check_hyperparameters(hyper)
            new_groups.append({**hyper, "params": group["params"]})
        new_state = {}
        for key, saved in state_dict.get("state", {}).items():
            position = int(_python_value(key))
            if position not in params:
                raise ValueError(f"state dict has state for parameter {position}, "
                                 f"this optimizer has {len(params)} parameters")
            p = params[position]
            new_state[p] = _State(self._load_param_state(saved, p, position))
        self.param_groups = new_groups
        self.state = new_state
        for name in self._global_names:
            setattr(self, name, _python_value(state_dict[name]) if name in state_dict else None)

    def _load_param_state(self, saved, p, position):
        """Check one parameter's saved state against a fresh one and copy it in ``p``'s dtype."""
        theta, template = p.data, self._init_state(p)
        missing = set(template) - set(saved)
        unexpected = set(saved) - set(template) - set(self._extra_state)
        if missing or unexpected:
            raise ValueError(f"state of parameter {position}: missing entries {sorted(missing)}, "
                             f"unexpected entries {sorted(unexpected)}")
        state = {}
        for name, value in saved.items():
            if name in template and not isinstance(template[name], np.ndarray):
                state[name] = type(template[name])(_python_value(value))
                continue
            value = np.asarray(value)
            if value.shape != theta.shape:
                raise ValueError(f"state {name!r} of parameter {position} has shape {value.shape}, "
                                 f"the parameter has shape {theta.shape}")
            state[name] = value.astype(theta.dtype, copy=True)
        return state

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            settings = ", ".join(f"{k}={v}" for k, v in group.items() if k != "params")
            lines.append(f"  group {i}: {len(group['params'])} parameters, {settings}")
        return "\n".join(lines + [")"])


# The most elements a joined step handles: past this NumPy's per-call cost no longer matters,
# and copying the parameters in and out would (bench/bench_optim.py steps 10 × 1M floats).
_JOIN_AT_MOST = 1 << 16


class _State(dict):
    """A parameter's state dict (``optimizer.state[p]``): a dict that tells its joined group when it is changed.

    Any change made to it from outside the joined step (``state["m"] = ...``,
    ``state["t"] = 5``, ``del``, ``update``, ...) marks the group's joined
    buffers ``stale``, so that the next step joins the group anew and uses
    the change. It pickles and copies as a plain dict.

    NOTE: so a step checks one flag, not every entry of every parameter's
    state (a dozen checks on a small model, a tenth of its step).
    """

    __slots__ = ("joined",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.joined = None  # the _Joined whose buffers these arrays are views of, if any

    def __reduce__(self):
        return dict, (dict(self),)


def _marks_stale(name):
    """The dict method ``name``, which on a _State first marks its joined group stale."""
    method = getattr(dict, name)

    def changed(self, *args, **kwargs):
        if self.joined is not None:
            self.joined.stale = True
        return method(self, *args, **kwargs)

    changed.__name__, changed.__doc__ = name, method.__doc__
    return changed


for _name in ("__setitem__", "__delitem__", "__ior__", "clear", "pop", "popitem", "setdefault", "update"):
    setattr(_State, _name, _marks_stale(_name))


class _Joined:
    """The parameters of one group joined end to end, for ``Optimizer._fused_step``.

    ``theta`` and ``g`` are flat buffers that hold all the parameters and
    their gradients one after another; ``state`` is one state dict whose
    arrays are joined the same way, and each parameter's own state dict
    holds views into them (so both always agree); scalar entries (t) are
    copied to every parameter's dict after each step.
    """

    __slots__ = ("datas", "states", "state", "theta", "g", "theta_views", "g_views", "scalars", "marks",
                 "stale")

    @classmethod
    def make(cls, optimizer, params):
        """Join ``params`` and their states (made now if new); None if they cannot be joined."""
        dtype = params[0].data.dtype
        if any(p.data.dtype != dtype or p._grad.dtype != dtype for p in params):
            return None
        states = [optimizer.state.get(p) for p in params]
        states = [_State(optimizer._init_state(p)) if s is None else s for p, s in zip(params, states)]
        if any(type(s) is not _State for s in states):
            return None  # a plain dict put in optimizer.state by hand: its changes could not be seen
        scalars = {k: v for k, v in states[0].items() if not isinstance(v, np.ndarray)}
        keys = [k for k, v in states[0].items() if isinstance(v, np.ndarray)]
        if any(set(s) != set(states[0]) or {k: v for k, v in s.items() if k not in keys} != scalars
               for s in states):
            return None  # different step counts (a parameter skipped a step), or other entries
        self = cls()
        self.datas = tuple(p.data for p in params)  # the arrays joined: gather() knows them again
        sizes = [a.size for a in self.datas]
        self.state = dict(scalars)
        for k in keys:
            self.state[k] = np.concatenate([s[k] for s in states], axis=None).astype(dtype, copy=False)
        self.theta = np.empty(sum(sizes), dtype)
        self.g = np.empty(sum(sizes), dtype)
        self.theta_views = self._views(self.theta)
        self.g_views = self._views(self.g)
        for k in keys:  # each parameter's state arrays become views into the joined ones
            for s, view in zip(states, self._views(self.state[k])):
                dict.__setitem__(s, k, view)
        for p, s in zip(params, states):
            s.joined = self
            optimizer.state[p] = s
        self.states = tuple(states)
        self.scalars = dict(scalars)  # the step counts, as every parameter's state holds them
        self.marks = change_marks(params)  # stamped after each step: see Tensor._mark_modified
        self.stale = False  # set by a change to one of the states (see _State)
        return self

    def _views(self, flat):
        """Views of the flat array ``flat``, one per joined parameter, in its shape."""
        views, start = [], 0
        for a in self.datas:
            views.append(flat[start:start + a.size].reshape(a.shape))
            start += a.size
        return views

    def gather(self, params, state):
        """Copy the parameters and their gradients into the flat buffers; False if the group changed.

        The group changed when it holds other parameters, a parameter has a
        new ``p.data`` or no gradient (or one of another shape), or the
        optimizer's state is no longer the one joined: a new state dict
        (``load_state_dict``), or a change to one (``stale``). ``step`` then
        joins the group anew, or steps it one by one.
        """
        if self.stale or len(params) != len(self.datas):
            return False
        # NOTE: one loop checks and copies (slice assignment: NumPy's copy with the least
        # Python around it); the buffers are scratch until _update runs, so a parameter
        # found changed half-way through leaves nothing to undo. Another parameter in the
        # group fails the checks too: it has another p.data and another state.
        for p, a, s, theta, g_view in zip(params, self.datas, self.states, self.theta_views, self.g_views):
            g = p._grad
            if (p.data is not a or state.get(p) is not s
                    or type(g) is not np.ndarray or g.shape != g_view.shape):
                return False
            theta[...] = a
            g_view[...] = g
        return True

    def scatter(self):
        """Write the updated parameters back, and the step's new scalars into each state."""
        for a, view in zip(self.datas, self.theta_views):
            a[...] = view
        state = self.state
        if len(state) != len(self.states[0]):  # _update added an entry (AMSGrad's v_max): share it too
            for k, v in state.items():
                if k in self.states[0]:
                    continue
                if isinstance(v, np.ndarray):
                    for s, view in zip(self.states, self._views(v)):
                        dict.__setitem__(s, k, view)
                else:
                    self.scalars[k] = v
        scalars = self.scalars
        for k in scalars:
            scalars[k] = state[k]
        for s in self.states:
            dict.update(s, scalars)  # (dict's own: not a change from outside)


def _grad_type_error(g):
    """The TypeError for a hand-set ``p.grad`` that is not an array (backward always sets one)."""
    if isinstance(g, Tensor):
        hint = "got a Tensor; use its .data (gradients are plain arrays)"
    else:
        hint = f"got {type(g).__name__}; set it with np.asarray(...)"
    return TypeError(f"a parameter's .grad must be a NumPy array of its shape, {hint}")
