"""The optimizer base class: parameter groups, lazy state, ``step()``, state dicts.

Every optimizer in :mod:`minigrad.optim` is this class plus two methods:
``_init_state(p)`` (the zero buffers one parameter needs) and
``_update(theta, g, state, group)`` (the update rule, in place, on NumPy
arrays, written as its docstring's Math block). Bookkeeping lives here once:
which parameters have a gradient, weight decay (L2 in the gradient, or
decoupled), hyper-parameter checks, and saving and loading state.
"""

import copy
import math
import numbers

import numpy as np

from ..grad_mode import enable_grad
from ..memory_guard import modifying
from ..tensor import Tensor
from . import blocks
from . import foreach as foreach_step

__all__ = ["Optimizer"]

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
    if type(value) is not float and type(value) is not int:  # NOTE: skips the slower ABC check
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    if not low <= value < high:  # NOTE: also rejects NaN
        raise ValueError(f"{name} must be in [{low:g}, {high:g}), got {value}")


def _check_hyperparameters(group):
    """Validate the hyper-parameters of one parameter group (names from ``_RANGES``)."""
    for name, value in group.items():
        bounds = _RANGES.get(name)
        if bounds is None:
            if name in _CHOICES and value not in _CHOICES[name]:
                raise ValueError(f"{name} must be one of {_CHOICES[name]}, got {value!r}")
        elif name == "betas":
            if not isinstance(value, (tuple, list)) or len(value) != 2:
                raise ValueError(f"betas must be a pair (beta1, beta2), got {value}")
            _check_range("betas[0]", value[0], *bounds)
            _check_range("betas[1]", value[1], *bounds)
        elif not ((type(value) is float or type(value) is int) and bounds[0] <= value < bounds[1]):
            _check_range(name, value, *bounds)  # NOTE: a call only off the common case: step() runs this


def _pair(value):
    """``betas`` as a tuple, as the constructors store it; a non-iterable as it is, for the check to name."""
    try:
        return tuple(value)
    except TypeError:
        return value


def _check_names(group, defaults, where):
    """Raise unless ``group`` holds exactly ``"params"`` and the names of ``defaults``."""
    unknown = set(group) - set(defaults) - {"params"}
    if unknown:
        raise ValueError(f"unknown hyper-parameters {sorted(unknown, key=str)} in {where}; "
                         f"this optimizer takes {sorted(defaults)}")
    missing = {"params", *defaults} - set(group)
    if missing:
        raise ValueError(f"{where} lacks the entries {sorted(missing)}")


def _python_value(value):
    """Turn what a file gave back (0-d arrays, NumPy scalars) into Python values."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, np.generic):
        value = value.item()
    return value


def _index(value, what):
    """A parameter's position as a state dict gives it: an int ≥ 0, or its digits as a str (a file's key)."""
    value = _python_value(value)
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"{what} must be a parameter index (an int ≥ 0), got {value!r}")
    return int(value)


def _step_count(value, what):
    """A step count ``t`` (or SWATS' ``k``) as a state dict gives it: an int in [0, 2**63)."""
    value = _python_value(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{what} must be an integer step count, got {value!r} ({type(value).__name__})")
    if not 0 <= value < 2 ** 63:  # NOTE: β^t needs t as a float; 2**63 is far beyond any run
        raise ValueError(f"{what} must be in [0, 2**63), got {value}")
    return int(value)


def _as_list(value, what):
    """A list from a list, tuple, 1-D array, or a dict keyed "0", "1", … (as a file may give it)."""
    if isinstance(value, dict):
        items = {_index(k, f"a key of {what}"): v for k, v in value.items()}
        if sorted(items) != list(range(len(items))):
            raise ValueError(f"{what} is a dict whose keys are not 0, 1, …, {len(items) - 1}: "
                             f"{sorted(items)}")
        return [items[i] for i in range(len(items))]
    if isinstance(value, (list, tuple)) or (isinstance(value, np.ndarray) and value.ndim == 1):
        return list(value)
    raise ValueError(f"{what} must be a list, got {type(value).__name__}")


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
    foreach : bool or None, default None
        Step each group's parameters joined end to end, in one ``_update``
        (:mod:`minigrad.optim.foreach`, PyTorch's name); None takes the
        class's measured default ``_foreach_default``. Only for elementwise
        rules (not SWATS).

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
    _nonnegative_state = ()  # state arrays that are sums or averages of g² (load_state_dict checks ≥ 0)
    _torch_keywords = {}  # a PyTorch keyword this class lacks -> where the lecture put it
    _torch_order = ()     # the positional arguments of the torch.optim class of the same rule
    _elementwise = True      # _update treats each element alone: foreach may join the parameters
    _foreach_default = False  # what foreach=None means, measured per rule (see foreach.py)

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
        # NOTE: and a value given by position where PyTorch's class has another argument:
        # SGD(params, 0.1, 0.9) is momentum 0.9 in PyTorch, and would be weight decay 0.9 here
        code = cls.__init__.__code__
        own = code.co_varnames[1:code.co_argcount]   # params, lr, ...
        for i in range(2, min(len(args), len(own), len(cls._torch_order))):
            if own[i] != cls._torch_order[i]:
                raise TypeError(f"{cls.__name__}(): argument {i + 1} given by position is {own[i]} here, "
                                f"but {cls._torch_order[i]} in PyTorch's; pass {own[i]}= by name")
        return super().__new__(cls)

    def __init__(self, params, defaults, foreach=None):
        if isinstance(params, Tensor):
            raise TypeError("params must be an iterable of tensors or of dicts, got one tensor; "
                            "wrap it in a list")
        _check_ordered(params)
        _check_hyperparameters(defaults)
        self.defaults = dict(defaults)
        self._group_names = {"params", *self.defaults}  # what every group holds: step() checks
        self.param_groups = []
        self.state = {}
        if foreach is not None and not isinstance(foreach, (bool, np.bool_)):
            raise TypeError(f"foreach must be None, False or True, got {foreach!r}")
        if foreach and not self._elementwise:
            raise ValueError(f"{type(self).__name__} cannot take the joined step: its rule is not elementwise")
        self.foreach = self._elementwise and bool(self._foreach_default if foreach is None else foreach)
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group):
        """Add a dict ``{"params": [...], <hyper-parameter>: value, ...}`` as a new group.

        Hyper-parameters the group does not set come from ``defaults``.
        """
        if not isinstance(group, dict) or "params" not in group:
            raise TypeError(f"a parameter group must be a dict with a 'params' list, got {group!r}")
        params = group["params"]
        _check_ordered(params)
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
        _check_eps_fits(full)
        self.param_groups.append(full)

    def zero_grad(self):
        """Set the gradient of every parameter to ``None`` (not to zeros).

        The next ``backward()`` then stores a fresh gradient, and a parameter
        that gets none is skipped by ``step()``.
        """
        for group in self.param_groups:
            for p in group["params"]:
                p.grad = None

    def step(self, closure=None):
        """Update every parameter that has a gradient, with its group's hyper-parameters.

        Every group's hyper-parameters are checked first, at every step, with
        the constructor's messages: ``param_groups`` may have been edited since
        (a schedule setting ``group["lr"]``, a typo), and nothing is updated
        when one is wrong. So is every gradient's type and shape.

        ``closure``, as in PyTorch, is a function of no arguments that zeroes
        the gradients, computes the loss, calls ``backward`` and returns the
        loss: ``step`` calls it first (with grad mode on) and returns what it
        returned; without one, ``step`` returns None. None of the eight rules
        needs to evaluate the loss more than once, so this only saves a line.
        """
        loss = None
        if closure is not None:
            if not callable(closure):
                raise TypeError(f"step(closure): the closure must be a function that computes the "
                                f"loss and calls backward(), got {type(closure).__name__}")
            with enable_grad():
                loss = closure()
        for i, group in enumerate(self.param_groups):
            if group.keys() != self._group_names:
                _check_names(group, self.defaults, f"parameter group {i}")
            _check_hyperparameters(group)
        for group in self.param_groups:  # and every gradient, so that a bad one leaves all unchanged
            for p in group["params"]:
                if p.grad is not None:
                    _checked_grad(p)
        for group in self.param_groups:
            if self.foreach and foreach_step.step_group(self, group):
                continue  # all the group's parameters joined in one _update (foreach.py)
            for p in group["params"]:
                if p.grad is None:
                    continue  # no state, t not advanced
                g = _checked_grad(p)
                if p not in self.state:
                    self.state[p] = self._init_state(p)
                with modifying(p.data):  # minigrad's own write: a graph that saved θ can no longer backward
                    g = self._weight_decay(p.data, g, group)
                    if self._elementwise and p.data.size > blocks.BLOCK:  # a large one: cache-sized blocks
                        blocks.update_in_blocks(self, p.data, g, self.state[p], group)
                    else:
                        self._update(p.data, g, self.state[p], group)
        self._after_step()  # SWATS: the global switch test
        return loss

    def _weight_decay(self, theta, g, group):
        """The gradient the rule sees: ``g + wd·θ`` (L2), or ``g`` with θ shrunk in place (decoupled).

        Math::

            L2:         g ← g + wd·θ          (a new array: p.grad is never written)
            decoupled:  θ ← θ·(1 − η·wd)      (AdamW; g left alone)
        """
        wd = group["weight_decay"]
        if wd == 0:
            return g
        if group.get("decoupled_weight_decay", False):
            theta *= 1 - group["lr"] * wd
            return g
        return g + wd * theta

    def _init_state(self, p):
        """The state of parameter ``p`` before its first step: zero arrays like ``p.data``, t = 0."""
        return {}

    def _update(self, theta, g, state, group):
        """Apply the update rule to ``theta`` in place; ``g`` holds the L2 decay (unless decoupled)."""
        raise NotImplementedError

    def _after_step(self):
        """Run once at the end of every ``step()`` (SWATS' global switch test)."""

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
            saved = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}  # no list shared
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
        strings and tuples as lists or arrays. Everything is checked before
        anything changes: a failed load leaves the optimizer as it was.

        Raises
        ------
        ValueError
            If the state is of another optimizer class, the groups or the
            number of parameters differ, an entry is missing, unexpected, of
            the wrong shape or dtype, a step count ``t`` is not an integer
            ≥ 0, a state array holds NaN or inf (or, for a sum or average of
            g², a negative value), or a hyper-parameter is out of its range
            (the constructor's message).
        TypeError
            If ``state_dict`` is not a dict, or a hyper-parameter is not a
            number (the constructor's message).
        """
        if not isinstance(state_dict, dict):
            raise TypeError(f"load_state_dict takes a dict, as state_dict() gives, got "
                            f"{type(state_dict).__name__}")
        kind = _python_value(state_dict.get("optimizer"))
        if kind != type(self).__name__:
            raise ValueError(f"cannot load the state of optimizer {kind!r} into {type(self).__name__}")
        if "param_groups" not in state_dict:
            raise ValueError("state dict has no 'param_groups' entry")
        saved_groups = _as_list(state_dict["param_groups"], "the state dict's param_groups")
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"state dict has {len(saved_groups)} parameter groups, "
                             f"this optimizer has {len(self.param_groups)}")
        params = {}  # saved position -> this optimizer's parameter
        new_groups = []
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if not isinstance(saved, dict):
                raise ValueError(f"parameter group {i} of the state dict must be a dict, got "
                                 f"{type(saved).__name__}")
            positions = [_index(k, f"an entry of parameter group {i}'s params")
                         for k in _as_list(saved.get("params", []), f"parameter group {i}'s params")]
            if len(positions) != len(group["params"]):
                raise ValueError(f"parameter group {i} has {len(positions)} parameters in the "
                                 f"state dict, {len(group['params'])} in this optimizer")
            for position, p in zip(positions, group["params"]):
                if position in params:
                    raise ValueError(f"parameter index {position} appears twice in the state dict's groups")
                params[position] = p
            hyper = {k: _python_value(v) for k, v in saved.items() if k != "params"}
            if isinstance(hyper.get("betas"), (tuple, list, np.ndarray)):
                hyper["betas"] = tuple(_python_value(b) for b in hyper["betas"])
            if set(hyper) != set(group) - {"params"}:
                raise ValueError(f"parameter group {i} has hyper-parameters {sorted(hyper, key=str)} in "
                                 f"the state dict, expected {sorted(set(group) - {'params'})}")
            _check_hyperparameters(hyper)
            new_groups.append({**hyper, "params": group["params"]})
        saved_state = state_dict.get("state", {})
        if not isinstance(saved_state, dict):
            raise ValueError(f"the state dict's 'state' must be a dict, got {type(saved_state).__name__}")
        new_state = {}
        for key, saved in saved_state.items():
            position = _index(key, "a key of the state dict's 'state'")
            if position not in params:
                raise ValueError(f"state dict has state for parameter {position}, "
                                 f"this optimizer has {len(params)} parameters")
            p = params[position]
            if p in new_state:
                raise ValueError(f"state dict has state for parameter {position} twice")
            new_state[p] = self._load_param_state(saved, p, position)
        self.param_groups = new_groups
        self.state = new_state
        for name in self._global_names:
            setattr(self, name, _python_value(state_dict[name]) if name in state_dict else None)

    def _load_param_state(self, saved, p, position):
        """Check one parameter's saved state against a fresh one and copy it.

        Step counts must be integers ≥ 0; arrays must have ``p``'s shape and
        dtype (as ``Module.load_state_dict``, no silent cast), be finite, and
        be ≥ 0 where they sum or average g² (``_nonnegative_state``).
        """
        if not isinstance(saved, dict):
            raise ValueError(f"state of parameter {position} must be a dict, got {type(saved).__name__}")
        theta, template = p.data, self._init_state(p)
        missing = set(template) - set(saved)
        unexpected = set(saved) - set(template) - set(self._extra_state)
        if missing or unexpected:
            raise ValueError(f"state of parameter {position}: missing entries {sorted(missing)}, "
                             f"unexpected entries {sorted(unexpected, key=str)}")
        state = {}
        for name, value in saved.items():
            where = f"state {name!r} of parameter {position}"
            if name in template and not isinstance(template[name], np.ndarray):
                state[name] = _step_count(value, where)
                continue
            if not isinstance(value, np.ndarray):
                raise ValueError(f"{where} must be a NumPy array, got {type(value).__name__}")
            if value.shape != theta.shape:
                raise ValueError(f"{where} has shape {value.shape}, the parameter has shape {theta.shape}")
            if value.dtype.type is not theta.dtype.type:  # NOTE: .type: a big-endian float32 is float32
                raise ValueError(f"{where} has dtype {value.dtype}, the parameter has dtype {theta.dtype}")
            if not np.isfinite(value).all():
                raise ValueError(f"{where} holds NaN or inf")
            if name in self._nonnegative_state and (value < 0).any():
                raise ValueError(f"{where} holds negative values; it sums or averages g², so it is ≥ 0")
            state[name] = value.astype(theta.dtype, copy=True)
        return state

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            settings = ", ".join(f"{k}={v}" for k, v in group.items() if k != "params")
            lines.append(f"  group {i}: {len(group['params'])} parameters, {settings}")
        return "\n".join(lines + [")"])


def _check_ordered(params):
    """Refuse a set of parameters: its order changes from run to run, so a saved state would
    load onto other parameters (PyTorch refuses it too)."""
    if isinstance(params, (set, frozenset)):
        raise TypeError("optimizer parameters must be in an ordered collection (a list, or "
                        "model.parameters()), not a set: a set's order changes between runs, so a "
                        "saved state would load onto the wrong parameters")


def _check_eps_fits(group):
    """Refuse an ``eps`` > 0 that rounds to 0 in a parameter's dtype (1e-8 in float16):
    a coordinate with only zero gradients would then get 0/0 = NaN instead of 0/ε = 0."""
    eps = group.get("eps")
    if not eps:
        return
    for dtype in {p.data.dtype for p in group["params"]}:
        if dtype.type(eps) == 0:
            raise ValueError(f"eps={eps:g} is 0 in {dtype} (its smallest number is "
                             f"{np.finfo(dtype).smallest_subnormal:.3g}), so a coordinate whose "
                             f"gradients are all 0 would get 0/0 = NaN; use float32 parameters "
                             f"or a larger eps")


def _checked_grad(p):
    """``p.grad``, once it is known to be an array of ``p``'s shape (a hand-set one may not be)."""
    g = p.grad
    if not isinstance(g, np.ndarray):
        if isinstance(g, Tensor):
            hint = "got a Tensor; use its .data (gradients are plain arrays)"
        else:
            hint = f"got {type(g).__name__}; set it with np.asarray(...)"
        raise TypeError(f"a parameter's .grad must be a NumPy array of its shape, {hint}")
    if g.shape != p.data.shape:
        raise ValueError(f"gradient of shape {g.shape} for a parameter of shape {p.data.shape}")
    return g
