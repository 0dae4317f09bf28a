"""Modules: objects that hold Parameters and sub-modules, and compute ``forward``.

A :class:`Parameter` is a Tensor that always requires grad. A :class:`Module`
finds its parameters and sub-modules by walking its attributes (``vars(self)``)
in the order they were assigned.
"""

import numpy as np

from ..memory_guard import modifying
from ..tensor import Tensor

__all__ = ["Parameter", "Module", "ModuleList", "Sequential", "LoadResult"]


class Parameter(Tensor):
    """A Tensor that always requires grad: a learnable weight of a Module.

    Parameters
    ----------
    data : array_like or Tensor
        Python scalars and lists become float32; a NumPy array keeps its
        (floating) dtype. The data is copied. Integer or boolean data raise
        ``TypeError``: a gradient step cannot move an integer.

    Examples
    --------
    >>> import minigrad as mg
    >>> w = mg.nn.Parameter([1.0, 2.0])
    >>> w.requires_grad, w.dtype
    (True, dtype('float32'))
    >>> (w * w).sum().backward()
    >>> w.grad
    array([2., 4.], dtype=float32)
    """

    __slots__ = ()

    def __init__(self, data):
        super().__init__(data)
        if self.data.dtype.kind != "f":
            raise TypeError(f"a Parameter needs floating-point data, got dtype {self.data.dtype}; "
                            "pass a float array or convert with .astype(np.float32)")
        self.requires_grad = True

    def __repr__(self):
        body = np.array2string(self.data, separator=", ", prefix="Parameter(")
        extra = "" if self.data.dtype == np.float32 else f", dtype={self.data.dtype}"
        return f"Parameter({body}{extra})"


def _check_value(owner, name, value):
    """Refuse what the walk would miss or never finish: Modules, Parameters or leaf Tensors that
    require grad hidden in a plain list, tuple or dict (at any depth), such a Tensor that is not
    a Parameter, and a Module that holds ``owner`` (a cycle)."""
    if isinstance(value, Module):
        _check_no_cycle(owner, name, value)
        return
    if isinstance(value, Tensor) and value.requires_grad and value.is_leaf and not isinstance(value, Parameter):
        raise TypeError(
            f"{type(owner).__name__}.{name} is a Tensor that requires grad, not a Parameter: "
            f"parameters() would not list it and no optimizer would train it; use "
            f"nn.Parameter(...) (or requires_grad=False for a constant)")
    if not isinstance(value, (list, tuple, dict)):
        return
    for item in _hidden_in(value):
        kind = type(value).__name__
        if isinstance(item, Module):
            raise TypeError(
                f"{type(owner).__name__}.{name} is a plain {kind} holding Modules, "
                f"whose parameters would not be found; use nn.ModuleList([...]) "
                f"(or nn.Sequential) instead")
        if isinstance(item, Parameter):
            raise TypeError(
                f"{type(owner).__name__}.{name} is a plain {kind} holding "
                f"Parameters, which would not be found; assign each Parameter to its own "
                f"attribute, or wrap them in Modules inside an nn.ModuleList")
        raise TypeError(
            f"{type(owner).__name__}.{name} is a plain {kind} holding a Tensor that requires "
            f"grad: parameters() would not list it and no optimizer would train it; make it an "
            f"nn.Parameter in its own attribute (or requires_grad=False for a constant)")


def _hidden_in(container):
    """Modules, Parameters and leaf Tensors that require grad inside a list, tuple or dict, nested too."""
    stack, seen = [container], set()
    while stack:
        value = stack.pop()
        if id(value) in seen:
            continue
        seen.add(id(value))
        for item in (value.values() if isinstance(value, dict) else value):
            if isinstance(item, (Module, Parameter)) or (
                    isinstance(item, Tensor) and item.requires_grad and item.is_leaf):
                yield item
            elif isinstance(item, (list, tuple, dict)):
                stack.append(item)


def _check_no_cycle(owner, name, module):
    """Refuse a sub-module that holds ``owner``: walking the parameters would never end."""
    if any(m is owner for m in module.modules()):
        raise TypeError(f"{type(owner).__name__}.{name}: this {type(module).__name__} holds the "
                        f"{type(owner).__name__} itself, a cycle that parameters() and state_dict() "
                        f"would walk forever; keep a back-reference outside the modules")


def _check_replacement(owner, name, value):
    """Refuse to replace a Parameter (or a sub-Module) by something else, as PyTorch does.

    ``lin.weight = lin.weight * 2`` would otherwise drop the weight from
    ``parameters()`` and ``state_dict()``, while an optimizer kept stepping
    the old Parameter, which the model no longer uses. ``None`` may replace
    either (it removes the member).
    """
    old = vars(owner).get(name)
    for kind, how in ((Parameter, "assign an nn.Parameter, or change the values in place "
                                  "(load_state_dict, or t[...] = v under mg.no_grad())"),
                      (Module, "assign a Module (or None)")):
        if isinstance(old, kind) and not isinstance(value, kind) and value is not None:
            raise TypeError(f"{type(owner).__name__}.{name} is a {kind.__name__}; assigning a "
                            f"{type(value).__name__} would drop it from parameters() and "
                            f"state_dict() (an optimizer would keep training the old one): {how}")


def _attribute_members(owner, attributes):
    """The (name, value) pairs of ``attributes`` whose value is a Parameter or a Module."""
    for name, value in attributes:
        if isinstance(value, (Parameter, Module)):
            yield name, value
        else:
            _check_value(owner, name, value)


class LoadResult(tuple):
    """What ``load_state_dict(strict=False)`` skipped: ``(missing_keys, unexpected_keys)``."""

    __slots__ = ()

    def __new__(cls, missing_keys, unexpected_keys):
        return super().__new__(cls, (missing_keys, unexpected_keys))

    @property
    def missing_keys(self):
        """Names of the model's parameters that the state dict did not have."""
        return self[0]

    @property
    def unexpected_keys(self):
        """Names in the state dict that the model has no parameter for."""
        return self[1]

    def __repr__(self):
        return f"LoadResult(missing_keys={self[0]}, unexpected_keys={self[1]})"


class Module:
    """Base class of every layer and model: parameters found by walking attributes.

    Subclass it, assign :class:`Parameter`\\ s and sub-Modules as attributes in
    ``__init__``, and write ``forward``. Nothing has to be registered: the
    module walks ``vars(self)`` in assignment order, where a Parameter is a
    leaf and a Module is a child whose own parameters appear under its
    attribute name, so names come out as PyTorch writes them (``fc1.weight``,
    ``0.bias``).

    Math::

        model(x) = forward(x)
        named_parameters() = [(name, p) for every Parameter: a module's own first, then each
                           child's, depth first, each in assignment order]

    Attributes
    ----------
    training : bool
        True in training mode (the default), False after ``eval()``; read by
        layers that behave differently, like Dropout.

    Notes
    -----
    Modules or Parameters in a plain list, tuple or dict attribute raise
    ``TypeError`` (on assignment and again when walking): put Modules in a
    :class:`ModuleList`. A plain Tensor is not a parameter, and one that
    requires grad (a leaf: a result kept for inspection is fine) raises
    ``TypeError`` too, where PyTorch would silently leave it untrained: make
    it an ``nn.Parameter``. ``parameters()`` yields a parameter
    shared by two sub-modules once; ``state_dict()`` lists it under both names,
    as PyTorch does. Unlike PyTorch, ``__init__`` of a subclass need not call
    ``super().__init__()`` (it is harmless to do so).

    Examples
    --------
    >>> import minigrad as mg
    >>> from minigrad import nn
    >>> class MLP(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.fc1 = nn.Linear(4, 8, rng=0)
    ...         self.fc2 = nn.Linear(8, 2, rng=1)
    ...     def forward(self, x):
    ...         return self.fc2(self.fc1(x).relu())
    >>> model = MLP()
    >>> [name for name, p in model.named_parameters()]
    ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']
    >>> model(mg.zeros(3, 4)).shape
    (3, 2)
    >>> model
    MLP(
      (fc1): Linear(in_features=4, out_features=8, bias=True)
      (fc2): Linear(in_features=8, out_features=2, bias=True)
    )
    """

    training = True  # a class default, so that subclasses need not call super().__init__()

    def __init__(self):
        self.training = True

    def __setattr__(self, name, value):
        # NOTE: only a check, no registration: the walk over vars(self) finds members.
        _check_replacement(self, name, value)
        _check_value(self, name, value)
        object.__setattr__(self, name, value)

    # ---- computing -------------------------------------------------------

    def forward(self, *inputs):
        """Compute the module's output (override in every subclass)."""
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *inputs, **kwargs):
        return self.forward(*inputs, **kwargs)

    # ---- the walk ----------------------------------------------------------

    def _members(self):
        """(name, value) for every attribute that is a Parameter or a Module, in order.

        The one place that decides what belongs to a module; containers
        override it to name their children "0", "1", ....
        """
        return _attribute_members(self, vars(self).items())

    def named_children(self):
        """Yield ``(name, module)`` for each direct sub-module, once each (a shared one by its first name)."""
        seen = set()
        for name, value in self._members():
            if isinstance(value, Module) and id(value) not in seen:
                seen.add(id(value))
                yield name, value

    def children(self):
        """Yield each direct sub-module."""
        for _, module in self.named_children():
            yield module

    def named_modules(self, prefix=""):
        """Yield ``(name, module)`` for this module (name ``""``) and every descendant, once each."""
        seen = set()
        stack = [(prefix, self)]
        while stack:  # depth first, children in order (pushed in reverse)
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            kids = [(f"{name}.{n}" if name else n, m) for n, m in module.named_children()]
            stack.extend(reversed(kids))

    def modules(self):
        """Yield this module and every descendant, once each."""
        for _, module in self.named_modules():
            yield module

    def _named_parameters_all(self):
        """Yield ``(name, Parameter)`` for every parameter, depth first, shared ones repeated.

        The walk behind ``named_parameters()``, ``parameters()`` and
        ``state_dict()``. ``self._members()`` gives a module's direct members
        in order; a Parameter is yielded under its name, a Module's own
        parameters follow under ``"<its name>.<their name>"``. A module's
        Parameters come before its children's (PyTorch's order): for
        ``Sequential(Linear, ReLU, Linear)`` the names are ``0.weight,
        0.bias, 2.weight, 2.bias``. An explicit stack (no recursion).
        """
        # BEGIN SOLUTION nn.module_parameters
        stack = [("", self)]
        while stack:
            prefix, module = stack.pop()
            children = []
            for name, value in module._members():
                full = prefix + name
                if isinstance(value, Parameter):
                    yield full, value
                else:
                    children.append((full + ".", value))
            stack.extend(reversed(children))  # popped in order: the first child next
        # END SOLUTION

    def named_parameters(self):
        """Yield ``(name, parameter)`` for every Parameter, depth first; a shared one only once."""
        seen = set()
        for name, p in self._named_parameters_all():
            if id(p) not in seen:
                seen.add(id(p))
                yield name, p

    def parameters(self):
        """Yield every Parameter (each once), in the order of ``named_parameters()``."""
        for _, p in self.named_parameters():
            yield p

    # ---- modes and gradients --------------------------------------------

    def zero_grad(self):
        """Set the gradient of every parameter to None."""
        for p in self.parameters():
            p.grad = None

    def train(self, mode=True):
        """Set ``training = mode`` on this module and every descendant; return self."""
        if not isinstance(mode, bool):
            raise TypeError(f"train(mode) needs a bool, got {type(mode).__name__}")
        for module in self.modules():
            module.training = mode
        return self

    def eval(self):
        """Evaluation mode (``train(False)``): Dropout becomes the identity; return self."""
        return self.train(False)

    # ---- state dicts -----------------------------------------------------

    def state_dict(self):
        """A dict ``name -> copy of the parameter's array``, names as PyTorch writes them.

        Examples
        --------
        >>> import minigrad as mg
        >>> model = mg.nn.Sequential(mg.nn.Linear(3, 2, rng=0), mg.nn.ReLU())
        >>> {k: v.shape for k, v in model.state_dict().items()}
        {'0.weight': (2, 3), '0.bias': (2,)}
        """
        return {name: p.data.copy() for name, p in self._named_parameters_all()}

    def load_state_dict(self, state_dict, strict=True):
        """Copy the arrays of ``state_dict`` into the parameters, in place.

        Parameters
        ----------
        state_dict : mapping of str to array_like
            As ``state_dict()`` gives it, or as loaded by ``minigrad.load``;
            values may be NumPy arrays, Tensors or anything ``np.asarray``
            accepts (a ``torch.Tensor`` on the CPU); a Python list or number
            takes the parameter's dtype.
        strict : bool, default True
            Missing and unexpected keys are errors. With ``strict=False`` they
            are skipped (and returned); shape and dtype mismatches are always
            errors.

        Returns
        -------
        LoadResult
            ``(missing_keys, unexpected_keys)``, both empty when strict.

        Raises
        ------
        ValueError
            Naming every missing key, unexpected key, shape mismatch and dtype
            mismatch at once. Nothing is changed when it raises.

        Notes
        -----
        Values are copied into the existing arrays, so an optimizer holding
        the parameters keeps working. Unlike PyTorch, which casts silently, a
        dtype mismatch (float64 values into a float32 model) is an error:
        convert the arrays first.
        """
        if not hasattr(state_dict, "keys") or not hasattr(state_dict, "__getitem__"):
            raise TypeError(f"load_state_dict needs a mapping of names to arrays, "
                            f"got {type(state_dict).__name__}")
        if not isinstance(strict, (bool, np.bool_)):
            raise TypeError(f"load_state_dict: strict must be True or False, got {strict!r}")
        own = dict(self._named_parameters_all())
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict.keys() if k not in own]
        problems = []
        if strict and missing:
            problems.append(f"missing keys {missing}")
        if strict and unexpected:
            problems.append(f"unexpected keys {unexpected}")
        values = {}
        for name, p in own.items():
            if name not in state_dict:
                continue
            v = state_dict[name]
            if isinstance(v, (list, tuple, int, float)):  # Python values take the model's dtype, as in Tensor()
                v = np.asarray(v, dtype=p.data.dtype)
            v = np.asarray(v.data if isinstance(v, Tensor) else v)
            if v.shape != p.data.shape:
                problems.append(f"shape mismatch for {name!r}: the model has {p.data.shape}, "
                                f"the state dict {v.shape}")
            elif v.dtype != p.data.dtype:
                problems.append(f"dtype mismatch for {name!r}: the model has {p.data.dtype}, "
                                f"the state dict {v.dtype}")
            values[name] = v
        if problems:
            raise ValueError(f"{type(self).__name__}.load_state_dict: " + "; ".join(problems))
        for name, v in values.items():
            with modifying(own[name].data):  # a pending backward that saved the old values then raises
                np.copyto(own[name].data, v)
        return LoadResult(missing, unexpected)

    # ---- repr ------------------------------------------------------------

    def extra_repr(self):
        """The text inside the parentheses of this module's repr (override in layers)."""
        return ""

    def __repr__(self):
        lines = [line for line in self.extra_repr().split("\n") if line]
        for name, child in self.named_children():
            body = repr(child).replace("\n", "\n  ")
            lines.append(f"({name}): {body}")
        kids = any(True for _ in self.named_children())
        if not kids:
            return f"{type(self).__name__}({', '.join(lines)})"
        return type(self).__name__ + "(\n  " + "\n  ".join(lines) + "\n)"


class ModuleList(Module):
    """A list of Modules whose parameters are found, named ``"0"``, ``"1"``, ….

    Use it wherever a plain Python list of layers would go (a plain list
    raises ``TypeError``, since its parameters would be missed).

    Math::

        named_parameters() = [(f"{i}.{name}", p) for i, module in enumerate(self)
                              for name, p in module.named_parameters()]

    Parameters
    ----------
    modules : iterable of Module, optional

    Examples
    --------
    >>> import minigrad as mg
    >>> layers = mg.nn.ModuleList([mg.nn.Linear(2, 2, rng=0) for _ in range(3)])
    >>> len(layers), [n for n, _ in layers.named_parameters()][:3]
    (3, ['0.weight', '0.bias', '1.weight'])
    """

    def __init__(self, modules=()):
        super().__init__()
        self._items = []
        self.extend(modules)

    def _members(self):
        yield from ((str(i), m) for i, m in enumerate(self._items))
        # a subclass may add attributes of its own: they follow the items, as in PyTorch
        yield from _attribute_members(self, ((k, v) for k, v in vars(self).items() if k != "_items"))

    @staticmethod
    def _checked(module):
        if isinstance(module, type) and issubclass(module, Module):
            raise TypeError(f"ModuleList holds Modules only, got the class {module.__name__}; "
                            f"did you mean nn.{module.__name__}()?")
        if not isinstance(module, Module):
            raise TypeError(f"ModuleList holds Modules only, got {type(module).__name__}")
        return module

    def append(self, module):
        """Add a Module at the end; return self."""
        _check_no_cycle(self, str(len(self._items)), self._checked(module))
        self._items.append(module)
        return self

    def extend(self, modules):
        """Add each Module of an iterable at the end; return self."""
        if isinstance(modules, Module):
            raise TypeError(f"extend() needs an iterable of Modules, got one "
                            f"{type(modules).__name__}; use append()")
        for m in modules:
            self.append(m)
        return self

    def insert(self, index, module):
        """Insert a Module before ``index``."""
        _check_no_cycle(self, str(index), self._checked(module))
        self._items.insert(index, module)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return type(self)(self._items[index])
        return self._items[index]

    def __setitem__(self, index, module):
        _check_no_cycle(self, str(index), self._checked(module))
        self._items[index] = module

    def __delitem__(self, index):
        del self._items[index]

    def __len__(self):
        return len(self._items)

    def __iter__(self):
        return iter(self._items)

    def forward(self, *inputs):
        raise NotImplementedError("a ModuleList has no forward(); iterate over it, "
                                  "or use nn.Sequential to chain the modules")


class Sequential(ModuleList):
    """Modules applied one after another: ``Sequential(a, b, c)(x) = c(b(a(x)))``.

    Math::

        h₀ = x,   hᵢ = moduleᵢ(hᵢ₋₁),   output = h_n

    Parameters
    ----------
    *modules : Module
        The layers, in order; they are named ``"0"``, ``"1"``, … as in
        PyTorch, so ``state_dict()`` keys (``0.weight``) fit a
        ``torch.nn.Sequential`` of the same layers (wrap each array with
        ``torch.from_numpy``).

    Examples
    --------
    >>> import minigrad as mg
    >>> from minigrad import nn
    >>> model = nn.Sequential(nn.Linear(4, 8, rng=0), nn.ReLU(), nn.Linear(8, 2, rng=1))
    >>> model(mg.zeros(5, 4)).shape
    (5, 2)
    >>> model
    Sequential(
      (0): Linear(in_features=4, out_features=8, bias=True)
      (1): ReLU()
      (2): Linear(in_features=8, out_features=2, bias=True)
    )
    """

    def __init__(self, *modules):
        if len(modules) == 1 and isinstance(modules[0], (list, tuple)):
            modules = modules[0]  # Sequential([a, b]) as well as Sequential(a, b)
        super().__init__(modules)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return type(self)(*self._items[index])
        return self._items[index]

    def forward(self, x):
        for module in self._items:
            x = module(x)
        return x
