"""The public names: each one is documented where ``help()`` and Jupyter's ``?`` look."""

import inspect
import types

import pytest

import minigrad as mg
from minigrad import __main__ as cli
from minigrad import datasets, homework, nn, optim, viz
from minigrad.nn import functional, init


def _public(module):
    names = getattr(module, "__all__", None) or [n for n in vars(module) if not n.startswith("_")]
    for name in names:
        obj = getattr(module, name)
        if isinstance(obj, types.ModuleType):
            continue
        if getattr(obj, "__module__", "").startswith("minigrad") or isinstance(obj, type):
            yield f"{module.__name__}.{name}", obj


def _members(cls):
    for name, obj in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(obj, (types.FunctionType, property, classmethod, staticmethod)):
            yield f"{cls.__module__}.{cls.__qualname__}.{name}", getattr(cls, name)


NAMES = dict(item for m in (mg, nn, optim, functional, init, datasets, viz, homework, cli) for item in _public(m)
             if item[0] != "minigrad.estimators")
MEMBERS = dict(item for name, obj in NAMES.items() if isinstance(obj, type) and obj.__module__.startswith("minigrad")
               for item in _members(obj))


@pytest.mark.parametrize("name", sorted(NAMES))
def test_every_public_name_has_a_docstring(name):
    assert inspect.getdoc(NAMES[name]), f"{name} has no docstring"


@pytest.mark.parametrize("name", sorted(MEMBERS))
def test_every_public_method_has_a_docstring(name):
    # inspect.getdoc follows the class hierarchy, as help() does: an override of a
    # documented method (Module.forward, Function.backward) is documented there.
    assert inspect.getdoc(MEMBERS[name]), f"{name} has no docstring"


@pytest.mark.parametrize("method, derivative", [
    ("exp", "e^x"), ("log", "1/x"), ("sqrt", "2 y"), ("tanh", "1 - tanh"), ("sigmoid", "σ"),
    ("relu", "x > 0"), ("abs", "sign"), ("sum", "dL/dx"), ("mean", "dL/dx"), ("max", "ties"), ("min", "ties"), ("clamp", "min ≤ x ≤ max"),
    ("softmax", "dL/dx"), ("log_softmax", "dL/dx"), ("reshape", "dL/dx"), ("transpose", "dL/dx"), ("flatten", "dL/dx"), ("unsqueeze", "dL/dx"),
    ("__getitem__", "repeated index"),
])
def test_tensor_op_methods_show_their_derivative(method, derivative):
    doc = inspect.getdoc(getattr(mg.Tensor, method))
    assert doc and derivative in doc, f"Tensor.{method}: {doc!r}"
