"""PyTorch interchange: state dicts move between minigrad and torch.nn unchanged."""

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn

torch = pytest.importorskip("torch")


def minigrad_mlp(dtype=np.float32):
    return nn.Sequential(nn.Linear(5, 8, rng=0, dtype=dtype), nn.ReLU(),
                         nn.Linear(8, 8, rng=1, dtype=dtype), nn.Tanh(),
                         nn.Linear(8, 3, rng=2, dtype=dtype))


def torch_mlp():
    return torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.ReLU(), torch.nn.Linear(8, 8),
                               torch.nn.Tanh(), torch.nn.Linear(8, 3))


X = np.random.default_rng(0).standard_normal((7, 5)).astype(np.float32)


def test_minigrad_state_dict_loads_into_torch_unchanged():
    model = minigrad_mlp()
    tmodel = torch_mlp()
    sd = model.state_dict()
    assert list(sd) == list(tmodel.state_dict())      # same names, same order
    tmodel.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()})   # strict
    with torch.no_grad():
        expected = tmodel(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(model(mg.Tensor(X)).data, expected, rtol=1e-5, atol=1e-6)


def test_torch_state_dict_loads_into_minigrad_unchanged():
    torch.manual_seed(0)
    tmodel = torch_mlp()
    model = minigrad_mlp()
    model.load_state_dict({k: v.numpy() for k, v in tmodel.state_dict().items()})
    with torch.no_grad():
        expected = tmodel(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(model(mg.Tensor(X)).data, expected, rtol=1e-5, atol=1e-6)
    model.load_state_dict(tmodel.state_dict())        # torch tensors directly, via np.asarray
    np.testing.assert_allclose(model(mg.Tensor(X)).data, expected, rtol=1e-5, atol=1e-6)


def test_through_a_file(tmp_path):
    model = minigrad_mlp()
    mg.save(model.state_dict(), tmp_path / "mlp.npz")
    tmodel = torch_mlp()
    tmodel.load_state_dict({k: torch.from_numpy(v) for k, v in mg.load(tmp_path / "mlp.npz").items()})
    with torch.no_grad():
        np.testing.assert_allclose(model(mg.Tensor(X)).data, tmodel(torch.from_numpy(X)).numpy(),
                                   rtol=1e-5, atol=1e-6)


def test_nested_custom_module_names_match_torch():
    class Mine(nn.Module):
        def __init__(self):
            self.body = nn.Sequential(nn.Linear(3, 4, rng=0), nn.ReLU())
            self.gain = nn.Parameter(np.ones(4, np.float32))
            self.heads = nn.ModuleList([nn.Linear(4, 2, rng=1), nn.Linear(4, 1, rng=2)])

    class Theirs(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.body = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU())
            self.gain = torch.nn.Parameter(torch.ones(4))
            self.heads = torch.nn.ModuleList([torch.nn.Linear(4, 2), torch.nn.Linear(4, 1)])

    mine, theirs = Mine(), Theirs()
    assert [n for n, _ in mine.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert list(mine.state_dict()) == list(theirs.state_dict())
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in mine.state_dict().items()})
    assert [n for n, _ in mine.named_modules()] == [n for n, _ in theirs.named_modules()]


def test_training_step_matches_torch():
    """Same start, same batch: one SGD step on cross-entropy gives the same weights."""
    model = minigrad_mlp(np.float64)
    tmodel = torch_mlp().double()
    tmodel.load_state_dict({k: torch.from_numpy(v) for k, v in model.state_dict().items()})
    x = X.astype(np.float64)
    y = np.array([0, 1, 2, 0, 1, 2, 0])
    opt = mg.optim.SGD(model.parameters(), lr=0.5)
    topt = torch.optim.SGD(tmodel.parameters(), lr=0.5)
    loss = nn.CrossEntropyLoss()(model(mg.Tensor(x)), y)
    loss.backward()
    opt.step()
    tloss = torch.nn.CrossEntropyLoss()(tmodel(torch.from_numpy(x)), torch.from_numpy(y))
    tloss.backward()
    topt.step()
    np.testing.assert_allclose(loss.item(), tloss.item(), rtol=1e-12)
    for k, v in tmodel.state_dict().items():
        np.testing.assert_allclose(model.state_dict()[k], v.numpy(), rtol=1e-10, atol=1e-12,
                                   err_msg=k)


def test_repr_matches_torch():
    assert repr(minigrad_mlp()) == repr(torch_mlp())
