"""Parameter, Module, ModuleList, Sequential: discovery, names, modes, state dicts, repr, errors."""

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn

params_ex = pytest.mark.exercise("nn.module_parameters")


class Block(nn.Module):
    def __init__(self, rng):
        super().__init__()
        self.fc = nn.Linear(3, 4, rng=rng)
        self.scale = nn.Parameter(np.ones(4, dtype=np.float32))
        self.act = nn.Tanh()

    def forward(self, x):
        return self.act(self.fc(x)) * self.scale


class Net(nn.Module):
    """Nested: own parameter between children, a ModuleList, a Sequential, non-module attributes."""

    def __init__(self):
        super().__init__()
        self.encoder = Block(rng=0)
        self.temperature = nn.Parameter(np.array([2.0], dtype=np.float32))
        self.blocks = nn.ModuleList([nn.Linear(4, 4, rng=1), nn.Linear(4, 4, bias=False, rng=2)])
        self.head = nn.Sequential(nn.ReLU(), nn.Linear(4, 2, rng=3))
        self.name = "net"             # ignored: not a Parameter nor a Module
        self.constant = mg.ones(2)    # ignored: a plain Tensor is not a parameter

    def forward(self, x):
        h = self.encoder(x)
        for block in self.blocks:
            h = block(h)
        return self.head(h) / self.temperature


# NOTE: a module's own Parameters come before its children's, as in PyTorch
NET_NAMES = ["temperature", "encoder.scale", "encoder.fc.weight", "encoder.fc.bias",
             "blocks.0.weight", "blocks.0.bias", "blocks.1.weight",
             "head.1.weight", "head.1.bias"]


# ---------------------------------------------------------------- Parameter

@pytest.mark.parametrize("data, dtype", [([1, 2], np.float32), (3.0, np.float32),
                                         (np.zeros(2, np.float64), np.float64),
                                         (np.zeros(2, np.float32), np.float32),
                                         (mg.Tensor([1.0]), np.float32)])
def test_parameter_requires_grad_and_dtype(data, dtype):
    p = nn.Parameter(data)
    assert isinstance(p, mg.Tensor) and p.requires_grad and p.is_leaf
    assert p.dtype == dtype


def test_parameter_copies_its_data():
    a = np.zeros(3, np.float32)
    p = nn.Parameter(a)
    a[0] = 5
    assert p.data[0] == 0


@pytest.mark.parametrize("data", [np.arange(3), np.array([True, False]), np.int32(4)])
def test_parameter_refuses_non_float_data(data):
    with pytest.raises(TypeError, match="floating-point data, got dtype"):
        nn.Parameter(data)


def test_parameter_repr_and_gradient():
    p = nn.Parameter([1.0, -2.0])
    assert repr(p) == "Parameter([ 1., -2.])"
    assert repr(nn.Parameter(np.zeros(1))) == "Parameter([0.], dtype=float64)"
    (p * p).sum().backward()
    np.testing.assert_array_equal(p.grad, [2.0, -4.0])


# ---------------------------------------------------------------- discovery and names

@params_ex
def test_nested_modules_name_parameters_like_pytorch():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == NET_NAMES
    assert [p for p in net.parameters()][0] is net.temperature
    assert list(net.state_dict()) == NET_NAMES
    assert net.state_dict()["blocks.1.weight"].shape == (4, 4)


@params_ex
def test_sequential_and_modulelist_names():
    seq = nn.Sequential(nn.Linear(2, 3, rng=0), nn.ReLU(), nn.Linear(3, 1, rng=1))
    assert [n for n, _ in seq.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    ml = nn.ModuleList([seq, nn.Linear(1, 1, rng=2)])
    assert [n for n, _ in ml.named_parameters()] == [
        "0.0.weight", "0.0.bias", "0.2.weight", "0.2.bias", "1.weight", "1.bias"]


@params_ex
def test_parameters_are_the_attributes_themselves():
    layer = nn.Linear(2, 3, rng=0)
    assert [id(p) for p in layer.parameters()] == [id(layer.weight), id(layer.bias)]


@params_ex
def test_subclass_without_super_init_still_works():
    class Bare(nn.Module):
        def __init__(self):
            self.w = nn.Parameter([1.0])
            self.inner = nn.Linear(1, 1, rng=0)

    m = Bare()
    assert [n for n, _ in m.named_parameters()] == ["w", "inner.weight", "inner.bias"]
    assert m.training is True
    m.eval()
    assert m.training is False and m.inner.training is False


@params_ex
def test_shared_parameter_listed_once_by_parameters_twice_by_state_dict():
    class Tied(nn.Module):
        def __init__(self):
            self.a = nn.Linear(2, 2, rng=0)
            self.b = nn.Linear(2, 2, rng=1)
            self.b.weight = self.a.weight

    t = Tied()
    assert [n for n, _ in t.named_parameters()] == ["a.weight", "a.bias", "b.bias"]
    assert list(t.state_dict()) == ["a.weight", "a.bias", "b.weight", "b.bias"]


def test_children_and_modules():
    net = Net()
    assert [n for n, _ in net.named_children()] == ["encoder", "blocks", "head"]
    assert list(net.children())[0] is net.encoder
    names = [n for n, _ in net.named_modules()]
    assert names == ["", "encoder", "encoder.fc", "encoder.act", "blocks", "blocks.0", "blocks.1",
                     "head", "head.0", "head.1"]
    assert len(list(net.modules())) == len(names)


@pytest.mark.parametrize("container", [list, tuple])
def test_plain_list_of_modules_is_refused_on_assignment(container):
    class Bad(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = container([nn.Linear(2, 2, rng=0)])

    with pytest.raises(TypeError, match=r"Bad.layers is a plain .* use nn.ModuleList"):
        Bad()


def test_plain_list_filled_after_assignment_is_refused_when_walking():
    class Late(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = []
            self.layers.append(nn.Linear(2, 2, rng=0))

    m = Late()
    with pytest.raises(TypeError, match="use nn.ModuleList"):
        list(m.parameters())


def test_plain_list_or_dict_of_parameters_is_refused():
    m = nn.Module()
    with pytest.raises(TypeError, match="holding Parameters"):
        m.ws = [nn.Parameter([1.0])]
    with pytest.raises(TypeError, match="plain dict holding Modules"):
        m.d = {"a": nn.ReLU()}
    m.sizes = [1, 2, 3]  # a list of anything else is fine
    assert list(m.parameters()) == []


def test_tensor_that_requires_grad_must_be_a_parameter():
    # PyTorch silently leaves such a tensor out of parameters(): it would never be trained
    m = nn.Module()
    with pytest.raises(TypeError, match=r"Module.w is a Tensor that requires grad, not a Parameter.*nn.Parameter"):
        m.w = mg.Tensor([1.0], requires_grad=True)
    m.c = mg.Tensor([1.0])                      # a constant is fine
    m.out = nn.Parameter([2.0]) * 3             # so is a result kept for inspection
    m.c.requires_grad_(True)                    # turned into a trainable tensor later: caught by the walk
    with pytest.raises(TypeError, match="Module.c is a Tensor that requires grad"):
        list(m.parameters())


# ---------------------------------------------------------------- calling, modes, gradients

def test_call_runs_forward_and_base_forward_raises():
    net = Net()
    out = net(mg.Tensor(np.ones((5, 3), np.float32)))
    assert out.shape == (5, 2) and out.requires_grad
    with pytest.raises(NotImplementedError, match="Module must define forward"):
        nn.Module()(mg.ones(1))
    with pytest.raises(NotImplementedError, match="ModuleList has no forward"):
        nn.ModuleList()(mg.ones(1))


def test_train_eval_recursive_and_return_self():
    net = Net()
    assert net.eval() is net
    assert all(m.training is False for m in net.modules())
    assert net.train() is net
    assert all(m.training is True for m in net.modules())
    with pytest.raises(TypeError, match="bool"):
        net.train("no")


def test_zero_grad_sets_every_gradient_to_none():
    net = Net()
    net(mg.ones(2, 3)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


# ---------------------------------------------------------------- containers

def test_a_layer_class_instead_of_a_layer_is_named():
    with pytest.raises(TypeError, match=r"got the class ReLU; did you mean nn.ReLU\(\)"):
        nn.Sequential(nn.Linear(2, 3), nn.ReLU)
    with pytest.raises(TypeError, match=r"holds Modules only, got int"):
        nn.ModuleList([3])


def test_modulelist_list_operations():
    a, b, c = nn.ReLU(), nn.Tanh(), nn.Sigmoid()
    ml = nn.ModuleList([a])
    ml.append(b).extend([c])
    assert len(ml) == 3 and list(ml) == [a, b, c] and ml[-1] is c
    ml.insert(0, c)
    assert [type(m).__name__ for m in ml] == ["Sigmoid", "ReLU", "Tanh", "Sigmoid"]
    ml[0] = b
    del ml[1]
    assert list(ml) == [b, b, c]
    assert isinstance(ml[1:], nn.ModuleList) and list(ml[1:]) == [b, c]
    with pytest.raises(TypeError, match="holds Modules only, got int"):
        ml.append(3)
    with pytest.raises(TypeError, match="use append"):
        ml.extend(nn.ReLU())


def test_sequential_chains_and_slices():
    l1, l2 = nn.Linear(3, 4, rng=0), nn.Linear(4, 2, rng=1)
    seq = nn.Sequential(l1, nn.ReLU(), l2)
    x = mg.Tensor(np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32))
    np.testing.assert_allclose(seq(x).data, l2(l1(x).relu()).data)
    head = seq[:2]
    assert isinstance(head, nn.Sequential) and head[0] is l1
    np.testing.assert_allclose(head(x).data, l1(x).relu().data)
    assert [n for n, _ in nn.Sequential([l1, l2]).named_parameters()][2] == "1.weight"


@params_ex
def test_subclass_of_sequential_keeps_its_own_attributes():
    class Scaled(nn.Sequential):
        def __init__(self):
            super().__init__(nn.Linear(2, 2, rng=0), nn.ReLU())
            self.gain = nn.Parameter([2.0])
            self.tail = nn.Linear(2, 1, rng=1)

        def forward(self, x):
            return self.tail(super().forward(x) * self.gain)

    m = Scaled()
    assert [n for n, _ in m.named_parameters()] == ["gain", "0.weight", "0.bias",
                                                    "tail.weight", "tail.bias"]
    assert [n for n, _ in m.named_children()] == ["0", "1", "tail"]
    assert m(mg.ones(3, 2)).shape == (3, 1)


# ---------------------------------------------------------------- state dicts

def test_state_dict_holds_copies():
    layer = nn.Linear(2, 2, rng=0)
    sd = layer.state_dict()
    assert isinstance(sd["weight"], np.ndarray)
    sd["weight"][...] = 7
    assert not (layer.weight.data == 7).any()


def test_load_state_dict_copies_in_place_and_optimizer_keeps_working():
    src, dst = Net(), Net()
    for p in src.parameters():
        p.data += 1
    opt = mg.optim.SGD(dst.parameters(), lr=0.1)
    weight = dst.encoder.fc.weight
    array = weight.data
    result = dst.load_state_dict(src.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert dst.encoder.fc.weight is weight and weight.data is array   # the same objects
    for (n, a), (_, b) in zip(src.named_parameters(), dst.named_parameters()):
        np.testing.assert_array_equal(a.data, b.data, err_msg=n)
    dst(mg.ones(1, 3)).sum().backward()
    before = weight.data.copy()
    opt.step()
    assert not np.array_equal(before, weight.data)   # the optimizer updates the loaded params


def test_load_state_dict_accepts_tensors_and_lists():
    layer = nn.Linear(2, 1, rng=0)
    layer.load_state_dict({"weight": mg.Tensor([[1.0, 2.0]]), "bias": np.array([3.0], np.float32)})
    np.testing.assert_array_equal(layer.weight.data, [[1, 2]])
    np.testing.assert_array_equal(layer.bias.data, [3])


def test_load_state_dict_names_every_problem_and_changes_nothing():
    net = Net()
    before = net.state_dict()
    sd = net.state_dict()
    del sd["head.1.bias"], sd["temperature"]
    sd["head.2.weight"] = np.zeros(1, np.float32)
    sd["encoder.fc.weight"] = np.zeros((3, 4), np.float32)
    sd["encoder.scale"] = np.ones(4, np.float64)
    sd["blocks.0.bias"] = np.full(4, 9, np.float32)   # valid, must not be written
    with pytest.raises(ValueError) as info:
        net.load_state_dict(sd)
    msg = str(info.value)
    assert "missing keys ['temperature', 'head.1.bias']" in msg
    assert "unexpected keys ['head.2.weight']" in msg
    assert "shape mismatch for 'encoder.fc.weight': the model has (4, 3), the state dict (3, 4)" in msg
    assert "dtype mismatch for 'encoder.scale': the model has float32, the state dict float64" in msg
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(v, before[k], err_msg=k)


def test_load_state_dict_not_strict_skips_keys_but_not_shapes():
    layer = nn.Linear(2, 1, rng=0)
    result = layer.load_state_dict({"weight": np.ones((1, 2), np.float32), "extra": 1}, strict=False)
    assert result == (["bias"], ["extra"])
    assert result.missing_keys == ["bias"] and result.unexpected_keys == ["extra"]
    assert "missing_keys=['bias']" in repr(result)
    np.testing.assert_array_equal(layer.weight.data, [[1, 1]])
    with pytest.raises(ValueError, match="shape mismatch for 'weight'"):
        layer.load_state_dict({"weight": np.ones(2, np.float32)}, strict=False)


def test_load_state_dict_needs_a_mapping():
    with pytest.raises(TypeError, match="mapping of names to arrays, got list"):
        nn.Linear(1, 1, rng=0).load_state_dict([np.ones(1)])


def test_state_dict_round_trip_through_save_and_load(tmp_path):
    net, other = Net(), Net()
    for p in other.parameters():
        p.data *= -3
    path = tmp_path / "net.npz"
    mg.save(net.state_dict(), path)
    loaded = mg.load(path)
    assert list(loaded) == NET_NAMES
    other.load_state_dict(loaded)
    x = mg.Tensor(np.random.default_rng(1).standard_normal((4, 3)).astype(np.float32))
    np.testing.assert_array_equal(other(x).data, net(x).data)
    # nested in a checkpoint with the optimizer's state
    opt = mg.optim.Adam(net.parameters())
    net(x).sum().backward()
    opt.step()
    mg.save({"model": net.state_dict(), "optimizer": opt.state_dict()}, path)
    ckpt = mg.load(path)
    other.load_state_dict(ckpt["model"])
    np.testing.assert_array_equal(other(x).data, net(x).data)


# ---------------------------------------------------------------- repr

def test_repr_shows_the_tree():
    assert repr(Net()) == """Net(
  (encoder): Block(
    (fc): Linear(in_features=3, out_features=4, bias=True)
    (act): Tanh()
  )
  (blocks): ModuleList(
    (0): Linear(in_features=4, out_features=4, bias=True)
    (1): Linear(in_features=4, out_features=4, bias=False)
  )
  (head): Sequential(
    (0): ReLU()
    (1): Linear(in_features=4, out_features=2, bias=True)
  )
)"""
    assert repr(nn.Dropout(0.25)) == "Dropout(p=0.25)"
    assert repr(nn.CrossEntropyLoss(reduction="sum")) == "CrossEntropyLoss(reduction='sum')"
    assert repr(nn.MSELoss()) == "MSELoss()"
    assert repr(nn.ModuleList()) == "ModuleList()"
