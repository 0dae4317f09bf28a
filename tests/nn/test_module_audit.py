"""Module corners audits found: members hidden in nested containers, cycles, replaced members, nn.init's inputs."""

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.nn import init


def _net(**attributes):
    class Net(nn.Module):
        def __init__(self):
            for name, value in attributes.items():
                setattr(self, name, value)
    return Net


@pytest.mark.parametrize("value,what", [
    ([[nn.Linear(2, 2, rng=0)], [nn.Linear(2, 2, rng=1)]], "holding Modules"),
    ({"enc": (nn.Linear(2, 2, rng=2),)}, "holding Modules"),
    ([{"w": nn.Parameter([1.0])}], "holding Parameters"),
    ([mg.Tensor([1.0, 2.0], requires_grad=True)], "holding a Tensor that requires grad"),
])
def test_members_hidden_in_nested_containers_are_refused_not_silently_skipped(value, what):
    """Before: named_parameters() and state_dict() were empty, and nothing trained."""
    with pytest.raises(TypeError, match=what):
        _net(hidden=value)()


def test_plain_data_in_nested_containers_is_fine():
    net = _net(table=[[1, 2], {"a": (3.0, np.zeros(2))}], kept=[mg.Tensor([1.0])])()
    assert list(net.named_parameters()) == []


def test_a_cycle_of_modules_is_refused_at_assignment():
    """Before: parameters() and state_dict() walked a.child.parent.child... forever."""
    a, b = nn.Sequential(nn.Linear(2, 2, rng=0)), nn.Sequential(nn.Linear(2, 2, rng=1))
    a.child = b
    with pytest.raises(TypeError, match="a cycle"):
        b.parent = a
    with pytest.raises(TypeError, match="a cycle"):
        a.me = a
    items = nn.ModuleList([nn.Linear(2, 2, rng=0)])
    with pytest.raises(TypeError, match="a cycle"):
        items.append(items)
    with pytest.raises(TypeError, match="a cycle"):
        items.insert(0, items)
    with pytest.raises(TypeError, match="a cycle"):        # before: accepted, then parameters() hung
        items[0] = items
    assert isinstance(items[0], nn.Linear)
    shared = nn.Linear(2, 2, rng=3)
    a.one, b.other = shared, shared               # sharing is not a cycle
    assert len(list(a.parameters())) == 6


@pytest.mark.parametrize("fill", [lambda t: init.uniform_(t, -3, 3, rng=0),
                                  lambda t: init.normal_(t, 0, 0.4, rng=0)])
def test_random_fills_refuse_an_integer_tensor(fill):
    """Before: the samples were cut to integers ([0, -1, -2, ...], or all 0 for std 0.4)."""
    with pytest.raises(TypeError, match="fills a floating-point tensor"):
        fill(mg.Tensor(np.zeros(5, np.int64)))


@pytest.mark.parametrize("mean,std", [(0.0, float("nan")), (0.0, float("inf")), (float("nan"), 1.0)])
def test_normal_refuses_a_nan_or_infinite_std_or_mean(mean, std):
    p = nn.Parameter([0.0, 0.0])
    with pytest.raises(ValueError, match="std >= 0, got nan|finite mean and std"):
        init.normal_(p, mean, std, rng=0)
    assert p.data.tolist() == [0.0, 0.0]


@pytest.mark.parametrize("shape", [(3, 0), (0, 3), (0, 0)])
@pytest.mark.parametrize("fill", [init.kaiming_uniform_, init.xavier_uniform_])
def test_an_empty_weight_is_left_as_it_is(fill, shape):
    """Before: ZeroDivisionError for a fan of 0; PyTorch does nothing (with a warning)."""
    w = nn.Parameter(np.zeros(shape, np.float32))
    assert fill(w, rng=0) is w and w.shape == shape


@pytest.mark.parametrize("value", [lambda lin: lin.weight * 2, lambda lin: np.zeros((2, 3), np.float32),
                                   lambda lin: mg.Tensor(np.zeros((2, 3), np.float32))],
                         ids=["a result Tensor", "an ndarray", "a constant Tensor"])
def test_a_parameter_is_not_replaced_by_something_else(value):
    """Before: the weight dropped out of parameters() and state_dict(), and SGD kept stepping the old one."""
    lin = nn.Linear(3, 2, rng=0)
    with pytest.raises(TypeError, match=r"Linear.weight is a Parameter; assigning a \w+ would drop it"):
        lin.weight = value(lin)
    assert [name for name, _ in lin.named_parameters()] == ["weight", "bias"]
    lin.weight = nn.Parameter(np.ones((2, 3), np.float32))       # a new Parameter is fine, as in PyTorch
    lin.bias = None                                              # and None removes it
    assert [name for name, _ in lin.named_parameters()] == ["weight"]


def test_a_sub_module_is_not_replaced_by_something_else():
    net = _net(fc=nn.Linear(2, 2, rng=0))()
    with pytest.raises(TypeError, match="Net.fc is a Module; assigning a int would drop it"):
        net.fc = 3
    net.fc = nn.Tanh()
    assert list(net.named_children()) == [("fc", net.fc)]


def test_children_yield_a_shared_module_once_as_pytorch_does():
    shared = nn.Linear(2, 2, rng=0)
    seq = nn.Sequential(shared, nn.ReLU(), shared)
    assert [name for name, _ in seq.named_children()] == ["0", "1"]
    assert len(list(seq.children())) == 2 and len(list(seq.parameters())) == 2


def test_load_state_dict_takes_python_lists_in_the_parameters_dtype_and_a_bool_strict():
    """Before: a list became float64 and was refused as a dtype mismatch; strict='no' meant True."""
    lin = nn.Linear(2, 1, rng=0)
    lin.load_state_dict({"weight": [[1.0, 2.0]], "bias": [0.5]})
    np.testing.assert_array_equal(lin.weight.data, np.array([[1, 2]], np.float32))
    assert lin.weight.dtype == np.float32 and lin.bias.data[0] == 0.5
    with pytest.raises(ValueError, match="dtype mismatch"):        # an array still keeps its dtype
        lin.load_state_dict({"weight": np.ones((1, 2)), "bias": np.ones(1, np.float32)})
    with pytest.raises(TypeError, match="strict must be True or False, got 'no'"):
        lin.load_state_dict({"weight": [[1.0, 2.0]]}, strict="no")
