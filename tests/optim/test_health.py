"""Training health (minigrad/optim/health.py, viz.plot_health): what is measured, and that measuring changes nothing."""

import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn, optim, viz
from minigrad.nn import functional as F
from minigrad.optim.health import SATURATED


def blobs(n=48, d=4, k=3, seed=0):
    gen = np.random.default_rng(seed)
    y = np.arange(n) % k
    X = (gen.standard_normal((n, d)) + 3 * np.eye(k, d)[y]).astype(np.float32)
    return X, y.astype(np.int64)


def tanh_mlp(scale=1.0, seed=0):
    model = nn.Sequential(nn.Linear(4, 16, rng=seed), nn.Tanh(), nn.Linear(16, 16, rng=seed + 1), nn.Tanh(),
                          nn.Linear(16, 3, rng=seed + 2))
    with mg.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("weight"):
                p *= scale
    return model


def run(model, epochs=3, **kwargs):
    X, y = blobs()
    opt = optim.SGD(model.parameters(), lr=0.1)
    return optim.train(model, F.cross_entropy, opt, X, y, batch_size=16, epochs=epochs, rng=0, **kwargs)


# ---------------------------------------------------------------- the record

def test_train_with_health_records_every_layer_as_plain_floats():
    history = run(tanh_mlp(), health=True)
    record = history.health
    assert sorted(record) == ["activation_mean", "activation_std", "grad_norm", "saturation", "update_ratio"]
    names = ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]
    assert list(record["grad_norm"]) == names and list(record["update_ratio"]) == names
    for what in ("activation_mean", "activation_std", "saturation"):
        assert list(record[what]) == ["Tanh 1", "Tanh 2"]
    for what, table in record.items():
        for name, values in table.items():
            per = len(history.step_loss) if what == "update_ratio" else history.epochs
            assert len(values) == per, (what, name)
            assert all(type(v) is float and math.isfinite(v) for v in values), (what, name)
    assert len(history.step_loss) == 9   # 48 examples, batches of 16, 3 epochs


def test_without_health_nothing_is_recorded_and_the_history_is_unchanged():
    history = run(tanh_mlp())
    assert history.health is None
    assert list(optim.History.__dataclass_fields__) == ["step_loss", "epoch_loss", "epoch_accuracy",
                                                        "val_loss", "val_accuracy"]
    assert "health" not in vars(history)  # so checkpoints of vars(history) stay the five lists
    with_health = run(tanh_mlp(), health=True)
    assert repr(with_health) == repr(history)


def test_measuring_changes_nothing():
    plain, measured = tanh_mlp(), tanh_mlp()
    h1, h2 = run(plain, epochs=4), run(measured, epochs=4, health=True)
    assert h1.step_loss == h2.step_loss and h1.epoch_accuracy == h2.epoch_accuracy
    for (name, a), (_, b) in zip(plain.named_parameters(), measured.named_parameters()):
        assert np.array_equal(a.data, b.data), name


def test_the_values_are_the_formulas():
    """One full-batch SGD update, measured by hand: ‖g‖, lr·‖g‖/‖θ‖, and the tanh outputs' statistics."""
    X, y = blobs()
    model = tanh_mlp(scale=3.0)
    expected = {name: p.data.copy() for name, p in model.named_parameters()}
    with mg.no_grad():
        h1 = model[1](model[0](mg.Tensor(X))).data.astype(np.float64)
        h2 = model[3](model[2](mg.Tensor(h1.astype(np.float32)))).data.astype(np.float64)
    opt = optim.SGD(model.parameters(), lr=0.1)
    grads = {}

    def keep_grads(history):
        grads.update({name: p.grad.astype(np.float64) for name, p in model.named_parameters()})

    history = optim.train(model, F.cross_entropy, opt, X, y, regime="offline", epochs=1, health=True,
                          callback=keep_grads)
    record = history.health
    for name, theta in expected.items():
        g = grads[name]
        assert record["grad_norm"][name][0] == pytest.approx(np.linalg.norm(g), rel=1e-5)
        ratio = 0.1 * np.linalg.norm(g) / np.linalg.norm(theta.astype(np.float64))
        assert record["update_ratio"][name][0] == pytest.approx(ratio, rel=1e-4)
    for layer, h in (("Tanh 1", h1), ("Tanh 2", h2)):
        assert record["activation_mean"][layer][0] == pytest.approx(h.mean(), abs=1e-6)
        assert record["activation_std"][layer][0] == pytest.approx(h.std(), rel=1e-5)
        assert record["saturation"][layer][0] == pytest.approx(np.mean(np.abs(h) > 0.97), abs=1e-3)
    assert 1 - 0.97 ** 2 == SATURATED


def test_a_badly_initialised_tanh_network_is_saturated_and_the_default_is_not():
    bad, good = run(tanh_mlp(scale=10.0), health=True), run(tanh_mlp(), health=True)
    for layer in ("Tanh 1", "Tanh 2"):
        assert bad.health["saturation"][layer][0] > 0.5
        assert good.health["saturation"][layer][0] < 0.1
        assert bad.health["activation_std"][layer][0] > 0.85 > good.health["activation_std"][layer][0]


def test_relu_sigmoid_and_functional_activations_are_found():
    class Net(nn.Module):
        def __init__(self):
            self.a, self.b, self.c = nn.Linear(4, 8, rng=0), nn.Linear(8, 8, rng=1), nn.Linear(8, 3, rng=2)

        def forward(self, x):
            return self.c(self.b(self.a(x).relu()).sigmoid().tanh())

    history = run(Net(), health=True)
    assert list(history.health["saturation"]) == ["ReLU 1", "Sigmoid 1", "Tanh 1"]
    off = history.health["saturation"]["ReLU 1"][0]
    assert 0 < off < 1   # a ReLU's saturated outputs are the zeros


def test_a_continued_run_continues_the_record_and_pads_what_it_missed():
    model = tanh_mlp()
    history = run(model, epochs=2)                      # no health yet
    run(model, epochs=2, history=history, health=True)
    run(model, epochs=1, history=history, health=True)
    record = history.health
    assert len(record["saturation"]["Tanh 1"]) == history.epochs == 5
    assert [math.isnan(v) for v in record["grad_norm"]["0.weight"]] == [True, True, False, False, False]
    assert len(record["update_ratio"]["0.weight"]) == len(history.step_loss) == 15
    assert all(math.isnan(v) for v in record["update_ratio"]["0.weight"][:6])


def test_a_parameter_without_gradient_gets_nan_and_no_update():
    model = tanh_mlp()
    unused = nn.Parameter(np.ones(3, np.float32))
    opt = optim.SGD(list(model.parameters()) + [unused], lr=0.1)
    monitor = optim.HealthMonitor(model, opt)
    X, y = blobs()
    for _ in range(2):
        output = model(mg.Tensor(X))
        opt.zero_grad()
        F.cross_entropy(output, mg.Tensor(y)).backward()
        monitor.step(output)
    monitor.end_epoch()
    assert math.isnan(monitor.record["grad_norm"]["param 6"][0])
    assert monitor.record["update_ratio"]["param 6"] == [0.0, 0.0]
    assert monitor.record["grad_norm"]["0.weight"][0] > 0


# ---------------------------------------------------------------- the picture

def test_plot_health_draws_four_panels(tmp_path):
    history = run(tanh_mlp(scale=10.0), health=True)
    fig = viz.plot_health(history, tmp_path / "health.png", title="weights × 10")
    assert (tmp_path / "health.png").stat().st_size > 10_000
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[0].startswith("saturated") and titles[3].startswith("update / data")
    labels = [t.get_text() for t in fig.axes[2].get_legend().get_texts()]
    assert [label.split()[0] for label in labels] == ["0.weight", "2.weight", "4.weight"]   # weights only
    assert fig.axes[3].get_yscale() == "log"
    every = viz.plot_health(history.health, weights_only=False)
    assert len(every.axes[2].get_legend().get_texts()) == 6
    assert fig._suptitle.get_text() == "weights × 10"


def test_plot_health_of_a_model_without_hidden_layers_says_why_two_panels_are_empty():
    """Before: two blank panels on an x axis from 0 to 1, beside panels of epochs 1-3."""
    record = {"saturation": {}, "activation_std": {}, "activation_mean": {},
              "grad_norm": {"0.weight": [0.9, 0.88, 0.86]}, "update_ratio": {"0.weight": [3e-3] * 12}}
    fig = viz.plot_health(record)
    for ax in fig.axes[:2]:
        assert [t.get_text() for t in ax.texts] == ["no Tanh, Sigmoid or ReLU in the\nmodel's graph: nothing to show"]
        assert ax.get_xlim() == (1, 3)


def test_plot_health_says_what_is_missing():
    with pytest.raises(ValueError, match="health=True"):
        viz.plot_health(run(tanh_mlp()))
    with pytest.raises(TypeError, match="plot_health needs"):
        viz.plot_health([1, 2])
    with pytest.raises(ValueError, match="update_ratio"):
        viz.plot_health({"saturation": {}, "activation_std": {}, "activation_mean": {}, "grad_norm": {}})


@pytest.mark.parametrize("change,match", [
    # before: a bare KeyError: 'Tanh 1'
    (lambda r: r["activation_std"].pop("Tanh 1"), "activation_std has no values for 'Tanh 1'"),
    # before: a bare IndexError from the legend's "last" value
    (lambda r: r["saturation"].update({"Tanh 1": []}), "saturation of 'Tanh 1' is empty"),
])
def test_plot_health_names_what_a_hand_made_record_lacks(change, match):
    record = {"saturation": {"Tanh 1": [0.7, 0.6]}, "activation_std": {"Tanh 1": [0.9, 0.9]},
              "activation_mean": {"Tanh 1": [0.0, 0.01]}, "grad_norm": {"0.weight": [2.0, 1.0]},
              "update_ratio": {"0.weight": [3e-3, 2e-3, 1e-3, 1e-3]}}
    change(record)
    with pytest.raises(ValueError, match=match):
        viz.plot_health(record)


def test_parallel_branches_are_numbered_in_the_order_the_forward_made_them():
    # before: toposort visits an op's last input first, so the branch made second was "Tanh 1"
    class TwoBranch(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b, self.head = nn.Linear(4, 8, rng=0), nn.Linear(4, 8, rng=1), nn.Linear(16, 3, rng=2)
            with mg.no_grad():
                self.a.weight *= 10                       # branch a saturated, branch b not

        def forward(self, x):
            ha = self.a(x).tanh()                         # made first
            hb = self.b(x).tanh()
            return self.head(mg.concatenate([ha, hb], axis=1))

    X = np.random.default_rng(0).standard_normal((48, 4)).astype(np.float32)
    y = (np.arange(48) % 3).astype(np.int64)
    model = TwoBranch()
    history = optim.train(model, nn.functional.cross_entropy, optim.SGD(model.parameters(), lr=0.0), X, y,
                          batch_size=48, health=True)
    with mg.no_grad():
        first = np.mean(np.abs(model.a(mg.Tensor(X)).tanh().data) > 0.97)
        second = np.mean(np.abs(model.b(mg.Tensor(X)).tanh().data) > 0.97)
    assert first > 0.5 > second
    assert history.health["saturation"] == {"Tanh 1": [pytest.approx(first)], "Tanh 2": [pytest.approx(second)]}


def test_health_needs_a_bool_and_an_optimizer_object():
    model = nn.Sequential(nn.Linear(2, 2, rng=0))
    X, y = np.zeros((4, 2), np.float32), np.zeros(4, np.int64)
    with pytest.raises(TypeError, match="health must be True or False, got 'no'"):
        optim.train(model, nn.functional.cross_entropy, optim.SGD(model.parameters()), X, y, health="no")
    with pytest.raises(TypeError, match="HealthMonitor needs an optimizer made on the model's parameters"):
        optim.HealthMonitor(model, optim.SGD)           # before: a bare AttributeError about param_groups
