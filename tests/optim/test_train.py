"""Tests of the training loop and its History (minigrad/optim/train.py)."""

import math
import re
import tracemalloc

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn, optim
from minigrad.nn import functional as F


def mlp(sizes, seed=0):
    layers = []
    for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
        layers += [nn.Linear(a, b, rng=seed + i), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


def blobs(n=40, d=3, k=3, seed=0):
    """A small classification problem: k Gaussian clusters in d dimensions."""
    gen = np.random.default_rng(seed)
    y = np.arange(n) % k
    X = (gen.standard_normal((n, d)) + 3 * np.eye(k, d)[y]).astype(np.float32)
    return X, y.astype(np.int64)


@pytest.fixture(scope="module")
def digits():
    return mg.datasets.load("digits")


# ---------------------------------------------------------------- regimes

RUNS = [  # id, train keyword arguments, n, expected batch sizes of one epoch
    ("online", dict(regime="online"), 10, [1] * 10),
    ("minibatch-4", dict(regime="minibatch", batch_size=4), 10, [4, 4, 2]),
    ("minibatch-default-32", dict(), 40, [32, 8]),
    ("minibatch-b>n", dict(batch_size=100), 10, [10]),
    ("offline", dict(regime="offline"), 10, [10]),
    ("batch=offline", dict(regime="batch"), 10, [10]),
]


@pytest.mark.parametrize("name,kwargs,n,sizes", RUNS, ids=[r[0] for r in RUNS])
def test_regimes_updates_and_epoch_loss(name, kwargs, n, sizes):
    X, y = blobs(n)
    model = mlp([3, 5, 3])
    seen = []
    real_forward = model.forward

    def forward(x):
        seen.append(len(x))
        return real_forward(x)

    model.forward = forward
    opt = optim.SGD(model.parameters(), lr=0.1)
    h = optim.train(model, F.cross_entropy, opt, X, y, epochs=3, rng=0, **kwargs)
    assert seen == sizes * 3                         # one forward per update, batches of the regime
    assert len(h.step_loss) == 3 * len(sizes)
    assert len(h.epoch_loss) == len(h.epoch_accuracy) == 3
    assert h.val_loss == h.val_accuracy == []
    for e in range(3):                               # epoch loss = size-weighted mean of its updates
        steps = h.step_loss[e * len(sizes):(e + 1) * len(sizes)]
        assert h.epoch_loss[e] == pytest.approx(sum(s * b for s, b in zip(steps, sizes)) / n, rel=1e-12)


def test_offline_epoch_figures_are_those_of_the_whole_set_before_the_update():
    X, y = blobs(30)
    model = mlp([3, 8, 3])
    expected = []
    for _ in range(3):  # replay by hand: full-batch loss, accuracy, one SGD step
        out = model(mg.Tensor(X))
        loss = F.cross_entropy(out, y)
        expected.append((loss.item(), float(np.mean(out.data.argmax(1) == y))))
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= 0.5 * p.grad
    replay = mlp([3, 8, 3])
    h = optim.train(replay, F.cross_entropy, optim.SGD(replay.parameters(), lr=0.5), X, y,
                    regime="offline", epochs=3)
    assert h.step_loss == h.epoch_loss == pytest.approx([e[0] for e in expected], rel=1e-6)
    assert h.epoch_accuracy == [e[1] for e in expected]
    for a, b in zip(model.parameters(), replay.parameters()):
        np.testing.assert_allclose(a.data, b.data, rtol=1e-6, atol=1e-7)


# ---------------------------------------------------------------- History

def test_history_holds_python_floats_and_accuracies_in_0_1(digits):
    X, y, X_test, y_test = digits
    model = mlp([64, 16, 10])
    h = optim.train(model, F.cross_entropy, optim.Adam(model.parameters(), lr=1e-2), X, y,
                    epochs=3, rng=0, validation=(X_test, y_test))
    assert isinstance(h, optim.History) and h.epochs == 3
    for name in ("step_loss", "epoch_loss", "epoch_accuracy", "val_loss", "val_accuracy"):
        values = getattr(h, name)
        assert all(type(v) is float and math.isfinite(v) for v in values), name
    assert len(h.step_loss) == 3 * math.ceil(len(X) / 32)
    assert len(h.val_loss) == len(h.val_accuracy) == 3
    assert all(0 <= a <= 1 for a in h.epoch_accuracy + h.val_accuracy)
    assert h.epoch_loss[-1] < h.epoch_loss[0] and h.val_accuracy[-1] > 0.9


def test_running_accuracy_counts_the_predictions_the_updates_saw():
    X, y = blobs(24)
    model = mlp([3, 6, 3])
    correct = []
    real_forward = model.forward

    def forward(x):
        out = real_forward(x)
        correct.append(out.data.argmax(1))
        return out

    model.forward = forward
    gen = np.random.default_rng(3)
    h = optim.train(model, F.cross_entropy, optim.SGD(model.parameters(), lr=0.3), X, y,
                    batch_size=5, epochs=2, rng=gen)
    replay = np.random.default_rng(3)
    for e in range(2):
        order = replay.permutation(24)
        predictions = np.concatenate(correct[5 * e:5 * (e + 1)])
        assert h.epoch_accuracy[e] == np.count_nonzero(predictions == y[order]) / 24


def test_regression_has_no_accuracy():
    gen = np.random.default_rng(0)
    X = gen.standard_normal((50, 2)).astype(np.float32)
    y = (X @ np.array([[1.0], [-2.0]], dtype=np.float32) + 0.5)
    model = nn.Linear(2, 1, rng=0)
    h = optim.train(model, F.mse_loss, optim.SGD(model.parameters(), lr=0.1), X, y, epochs=30,
                    batch_size=10, rng=0, validation=(X[:10], y[:10]))
    assert h.epoch_accuracy == [] and h.val_accuracy == []
    assert len(h.val_loss) == 30 and h.epoch_loss[-1] < 1e-4
    np.testing.assert_allclose(model.weight.data, [[1.0, -2.0]], atol=1e-2)


def test_one_logit_column_predicts_class_1_when_positive():
    X, y = blobs(40, k=2)
    start = nn.Linear(3, 1, rng=0)
    expected = float(np.mean((start(mg.Tensor(X)).data[:, 0] > 0) == y))
    model = nn.Linear(3, 1, rng=0)

    def loss_fn(out, target):
        return F.binary_cross_entropy_with_logits(out.reshape(-1), target.data.astype(np.float32))

    h = optim.train(model, loss_fn, optim.Adam(model.parameters(), lr=0.1), X, y, regime="offline", epochs=1)
    assert h.epoch_accuracy == [expected]  # offline: the accuracy of the starting weights
    assert 0 < expected < 1


def test_binary_cross_entropy_with_float_0_1_targets_records_accuracies():
    # binary_cross_entropy_with_logits refuses integer targets: 0./1. floats are class labels too
    X, y, X_test, y_test = mg.datasets.load("moons", n_samples=300)
    t, t_test = y.astype(np.float32)[:, None], y_test.astype(np.float32)[:, None]
    model = mlp([2, 8, 1])

    def accuracy(X, y):  # by hand, from the logits: class 1 where the logit is > 0
        with mg.no_grad():
            return float(np.mean((model(mg.Tensor(X)).data[:, 0] > 0) == y))

    before, after = [accuracy(X, y)], []
    h = optim.train(model, F.binary_cross_entropy_with_logits, optim.Adam(model.parameters(), lr=0.05), X, t,
                    regime="offline", epochs=3, validation=(X_test, t_test),
                    callback=lambda h: (before.append(accuracy(X, y)), after.append(accuracy(X_test, y_test))))
    assert h.epoch_accuracy == before[:3]   # offline: each epoch's accuracy is that of the weights before its update
    assert h.val_accuracy == after          # validation: after the epoch
    assert len(set(before)) > 1 and 0.5 < h.val_accuracy[-1] <= 1


def test_float_targets_other_than_0_1_or_several_outputs_get_no_accuracy():
    X, y = blobs(20, k=2)
    soft = np.where(y == 1, 0.9, 0.1).astype(np.float32)[:, None]    # soft labels: not classes
    model = nn.Linear(3, 1, rng=0)
    h = optim.train(model, F.binary_cross_entropy_with_logits, optim.SGD(model.parameters()), X, soft)
    assert h.epoch_accuracy == [] and len(h.epoch_loss) == 1
    two = np.eye(2, dtype=np.float32)[y]                              # two output columns of 0/1
    model = nn.Linear(3, 2, rng=0)
    h = optim.train(model, F.binary_cross_entropy_with_logits, optim.SGD(model.parameters()), X, two)
    assert h.epoch_accuracy == []


# ---------------------------------------------------------------- validation and modes

class ModeRecorder(nn.Module):
    """Dropout MLP that records the mode and grad mode of every forward pass."""

    def __init__(self):
        self.net = nn.Sequential(nn.Linear(3, 16, rng=0), nn.ReLU(), nn.Dropout(0.5), nn.Linear(16, 3, rng=1))
        self.calls = []

    def forward(self, x):
        self.calls.append((len(x), self.training, mg.is_grad_enabled()))
        return self.net(x)


def test_validation_runs_in_eval_mode_without_graph_and_mode_is_restored():
    X, y = blobs(20)
    X_val, y_val = blobs(9, seed=1)
    model = ModeRecorder()
    model.eval()  # the caller's mode, restored on return
    h = optim.train(model, F.cross_entropy, optim.SGD(model.parameters(), lr=0.1), X, y,
                    batch_size=10, epochs=2, rng=0, validation=(X_val, y_val))
    assert model.calls == [(10, True, True), (10, True, True), (9, False, False)] * 2
    assert model.training is False
    with mg.no_grad():  # the last validation figures are those of the final model, in eval mode
        out = model(mg.Tensor(X_val))
        assert h.val_loss[-1] == F.cross_entropy(out, y_val).item()
    assert h.val_accuracy[-1] == float(np.mean(out.data.argmax(1) == y_val))
    model.train()
    optim.train(model, F.cross_entropy, optim.SGD(model.parameters(), lr=0.1), X, y, epochs=1)
    assert model.training is True


def test_plain_callable_model_and_tensor_data():
    X, y = blobs(12)
    W = nn.Parameter(np.zeros((3, 3), dtype=np.float32))
    h = optim.train(lambda x: x @ W, F.cross_entropy, optim.SGD([W], lr=1.0), mg.Tensor(X), mg.Tensor(y),
                    regime="offline", epochs=2)
    assert h.step_loss[0] == pytest.approx(math.log(3))  # zero weights: uniform softmax
    assert h.step_loss[1] < h.step_loss[0]


# ---------------------------------------------------------------- callback, progress, rng

def test_callback_after_every_epoch_with_the_history_so_far():
    X, y = blobs(10)
    model = mlp([3, 4, 3])
    calls = []
    h = optim.train(model, F.cross_entropy, optim.SGD(model.parameters()), X, y, batch_size=4, epochs=3,
                    callback=lambda hist: calls.append((hist, len(hist.step_loss), len(hist.epoch_loss))))
    assert [c[1:] for c in calls] == [(3, 1), (6, 2), (9, 3)]
    assert all(c[0] is h for c in calls)


def test_progress_bar_on_stderr_only_when_asked(capsys):
    X, y = blobs(10)
    model = mlp([3, 4, 3])
    opt = optim.SGD(model.parameters())
    optim.train(model, F.cross_entropy, opt, X, y, batch_size=4, epochs=2)
    assert capsys.readouterr() == ("", "")
    optim.train(model, F.cross_entropy, opt, X, y, batch_size=4, epochs=2, progress=True)
    out, err = capsys.readouterr()
    assert out == ""
    assert "6/6" in err and "100%" in err and "update" in err and "epoch 2/2" in err


def test_same_seed_same_run_and_a_generator_continues():
    X, y = blobs(30)

    def run(rng):
        model = mlp([3, 5, 3])
        return optim.train(model, F.cross_entropy, optim.SGD(model.parameters(), lr=0.2), X, y,
                           batch_size=4, epochs=2, rng=rng).step_loss

    assert run(7) == run(7)
    assert run(7) != run(8)
    gen = np.random.default_rng(7)
    first, second = run(gen), run(gen)
    assert first == run(7) and second != first  # the shared Generator gave new shuffles


# ---------------------------------------------------------------- errors

def test_non_finite_loss_raises_naming_epoch_and_update():
    gen = np.random.default_rng(0)
    X = gen.standard_normal((64, 4)).astype(np.float32) * 10
    y = gen.standard_normal((64, 1)).astype(np.float32)
    model = nn.Linear(4, 1, rng=0)
    seen = []
    with pytest.raises(FloatingPointError, match=r"at epoch (\d+), update (\d+) of 8") as info, \
            np.errstate(over="ignore", invalid="ignore"):
        optim.train(model, F.mse_loss, optim.SGD(model.parameters(), lr=10.0), X, y, batch_size=8, epochs=100,
                    rng=0, callback=lambda h: seen.append(len(h.step_loss)))
    epoch, update = map(int, re.search(r"epoch (\d+), update (\d+)", str(info.value)).groups())
    assert epoch == len(seen) + 1 and 1 <= update <= 8 and "lr = 10.0" in str(info.value)
    assert all(np.isfinite(p.data).all() for p in model.parameters())  # no step with the bad loss


@pytest.mark.parametrize("targets, described", [
    (np.full((16, 1), 1e30, np.float32), "the targets range from 1e+30 to 1e+30"),      # (1e30)² overflows
    (np.where(np.arange(16)[:, None] == 3, np.nan, 1.0).astype(np.float32),
     "the targets hold 1 NaN or infinite value(s) of 16"),
])
def test_a_loss_not_finite_before_any_step_names_its_inputs_not_the_learning_rate(targets, described):
    """Huge targets and lr 1e-9: the first loss is inf before any step; no learning rate is to blame."""
    X = np.random.default_rng(0).standard_normal((16, 3)).astype(np.float32)
    model = nn.Linear(3, 1, rng=0)
    before = [p.data.copy() for p in model.parameters()]
    with pytest.raises(FloatingPointError) as info, np.errstate(over="ignore", invalid="ignore"):
        optim.train(model, F.mse_loss, optim.SGD(model.parameters(), lr=1e-9), X, targets, batch_size=16)
    message = str(info.value)
    assert re.match(r"the loss is (inf|nan) at epoch 1, update 1 of 1 \(1 overall\), before any step was "
                    r"taken, so not because of the learning rate \(lr = 1e-09\)", message), message
    assert "lower the learning rate" not in message
    assert "the model's outputs range from " in message and described in message
    assert "the batch's inputs range from " in message
    assert all(np.array_equal(p.data, b) for p, b in zip(model.parameters(), before))


def test_a_nan_in_a_later_batch_is_named_too():
    X = np.random.default_rng(0).standard_normal((16, 3)).astype(np.float32)
    y = np.ones((16, 1), np.float32)
    y[15] = np.nan
    model = nn.Linear(3, 1, rng=0)
    with pytest.raises(FloatingPointError) as info, np.errstate(over="ignore", invalid="ignore"):
        optim.train(model, F.mse_loss, optim.SGD(model.parameters(), lr=1e-9), X, y, regime="online", rng=0)
    message = str(info.value)
    assert ", in a batch holding NaN or infinite values, so not because of the learning rate" in message
    assert "the targets hold 1 NaN or infinite value(s) of 1" in message


def test_a_continued_history_counts_epochs_and_updates_from_it():
    """train(..., history=h) continues h: a divergence is named as in the run made in one go."""
    gen = np.random.default_rng(0)
    X = gen.standard_normal((64, 4)).astype(np.float32) * 10
    y = gen.standard_normal((64, 1)).astype(np.float32)

    def run(*epochs):
        model, shuffles, history = nn.Linear(4, 1, rng=0), np.random.default_rng(1), None
        opt = optim.SGD(model.parameters(), lr=0.02)   # diverges in epoch 4
        with pytest.raises(FloatingPointError) as info, np.errstate(over="ignore", invalid="ignore"):
            for n in epochs:
                history = optim.train(model, F.mse_loss, opt, X, y, batch_size=8, epochs=n, rng=shuffles,
                                      history=history)
        return str(info.value), history

    straight, _ = run(100)
    epoch = int(re.search(r"at epoch (\d+)", straight).group(1))
    assert epoch >= 3
    continued, history = run(2, 100)          # 2 epochs, then on from their History
    assert continued == straight              # "at epoch E, update u of 8 (U overall)"
    overall = int(re.search(r"\((\d+) overall\)", straight).group(1))
    assert history.epochs == epoch - 1 and len(history.step_loss) == overall - 1   # the figures up to it


def test_a_continued_history_grows_in_place_as_one_run():
    X, y = blobs(24)

    def model_and_opt():
        model = mlp([3, 5, 3])
        return model, optim.SGD(model.parameters(), lr=0.1)

    model, opt = model_and_opt()
    straight = optim.train(model, F.cross_entropy, opt, X, y, batch_size=5, epochs=3, rng=0)
    model, opt = model_and_opt()
    gen, seen = np.random.default_rng(0), []
    first = optim.train(model, F.cross_entropy, opt, X, y, batch_size=5, epochs=1, rng=gen)
    second = optim.train(model, F.cross_entropy, opt, X, y, batch_size=5, epochs=2, rng=gen, history=first,
                         callback=lambda h: seen.append(h.epochs))
    assert second is first and seen == [2, 3]
    assert vars(second) == vars(straight)


BAD = [  # id, train keyword arguments or data override, exception, message pattern
    ("regime", dict(regime="stochastic"), ValueError,
     r"unknown regime 'stochastic'.*online \(on-line\), minibatch \(mini-batch\) or offline"),
    ("epochs-0", dict(epochs=0), ValueError, r"epochs must be an int >= 1, got 0"),
    ("epochs-float", dict(epochs=2.0), ValueError, r"epochs must be an int"),
    ("batch-0", dict(batch_size=0), ValueError, r"batch_size must be an int >= 1, got 0"),
    ("validation", dict(validation=np.zeros((3, 3))), ValueError, r"validation must be a pair"),
    ("validation-lengths", dict(validation=(np.zeros((3, 3)), np.zeros(2, int))), ValueError, r"\(3, 3\) and \(2,\)"),
    ("callback", dict(callback=3), TypeError, r"callback must be callable"),
    ("history", dict(history={"epoch_loss": []}), TypeError, r"history must be a History .* got dict"),
]


@pytest.mark.parametrize("name,kwargs,exc,pattern", BAD, ids=[b[0] for b in BAD])
def test_bad_arguments_raise_before_training(name, kwargs, exc, pattern):
    X, y = blobs(10)
    model = mlp([3, 4, 3])
    before = [p.data.copy() for p in model.parameters()]
    with pytest.raises(exc, match=pattern):
        optim.train(model, F.cross_entropy, optim.SGD(model.parameters()), X, y, **kwargs)
    assert all(np.array_equal(a, p.data) for a, p in zip(before, model.parameters()))


def test_a_class_where_an_instance_belongs_is_named():
    X, y = blobs(10)
    model = mlp([3, 4, 3])
    with pytest.raises(TypeError, match=r"optimizer must be an optimizer object.*got the class SGD.*"
                                        r"optim.SGD\(model.parameters\(\)"):
        optim.train(model, F.cross_entropy, optim.SGD, X, y)
    with pytest.raises(TypeError, match=r"loss_fn.*got the class CrossEntropyLoss.*nn.CrossEntropyLoss\(\)"):
        optim.train(model, nn.CrossEntropyLoss, optim.SGD(model.parameters()), X, y)
    with pytest.raises(TypeError, match=r"model.*got the class Linear.*nn.Linear\(\.\.\.\)"):
        optim.train(nn.Linear, F.cross_entropy, optim.SGD(model.parameters()), X, y)


def test_an_optimizer_of_another_model_is_refused_at_the_first_update():
    X, y = blobs(10)
    model, other = mlp([3, 4, 3]), mlp([3, 4, 3])
    before = [p.data.copy() for p in model.parameters()]
    with pytest.raises(ValueError, match=r"none got a gradient.*model\.parameters\(\)"):
        optim.train(model, F.cross_entropy, optim.SGD(other.parameters()), X, y)
    assert all(np.array_equal(a, p.data) for a, p in zip(before, model.parameters()))


def test_mismatched_data_and_non_scalar_loss():
    X, y = blobs(10)
    model = mlp([3, 4, 3])
    opt = optim.SGD(model.parameters())
    with pytest.raises(ValueError, match=r"\(10, 3\) and \(9,\)"):
        optim.train(model, F.cross_entropy, opt, X, y[:9])
    with pytest.raises(ValueError, match=r"one-element Tensor.*\(4,\)"):
        optim.train(model, lambda o, t: F.cross_entropy(o, t, reduction="none"), opt, X, y, batch_size=4)


# ---------------------------------------------------------------- memory

@pytest.mark.slow  # tracemalloc slows every allocation: about 5 s
def test_memory_stays_flat_over_10000_updates():
    X, y = blobs(100)
    model = mlp([3, 8, 3])
    opt = optim.Adam(model.parameters())
    optim.train(model, F.cross_entropy, opt, X, y, regime="online", epochs=1, rng=0)  # warm-up
    used = []
    tracemalloc.start()
    try:
        optim.train(model, F.cross_entropy, opt, X, y, regime="online", epochs=100, rng=0,
                    callback=lambda h: used.append(tracemalloc.get_traced_memory()[0]))
    finally:
        tracemalloc.stop()
    # Between epoch 10 and epoch 100 (9,000 updates) only the History grows: one float
    # (24 bytes) and one list slot (8) per update, plus the list's over-allocation.
    # A graph kept alive per update would cost kilobytes per update.
    growth = used[-1] - used[9]
    assert growth < 9000 * 48, f"{growth} bytes over 9,000 updates"


# ---------------------------------------------------------------- against the world

def _torch_mlp(model, torch):
    """A torch copy of a minigrad Sequential of Linear/ReLU layers, same weights."""
    layers = []
    for layer in model.layers if hasattr(model, "layers") else list(model.children()):
        if isinstance(layer, nn.Linear):
            lin = torch.nn.Linear(layer.weight.shape[1], layer.weight.shape[0])
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(layer.weight.data.copy()))
                lin.bias.copy_(torch.from_numpy(layer.bias.data.copy()))
            layers.append(lin)
        else:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def test_adam_training_matches_pytorch_same_weights_same_batches(digits):
    torch = pytest.importorskip("torch")
    X, y, X_test, y_test = digits
    model = mlp([64, 64, 64, 10], seed=3)
    reference = _torch_mlp(model, torch)
    h = optim.train(model, F.cross_entropy, optim.Adam(model.parameters(), lr=1e-3), X, y,
                    batch_size=32, epochs=3, rng=11)
    opt = torch.optim.Adam(reference.parameters(), lr=1e-3)
    gen = np.random.default_rng(11)  # the same shuffles: one permutation per epoch
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    losses = []
    for _ in range(3):
        order = torch.from_numpy(gen.permutation(len(X)))
        for i in range(0, len(X), 32):
            idx = order[i:i + 32]
            loss = torch.nn.functional.cross_entropy(reference(Xt[idx]), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
    assert len(h.step_loss) == len(losses) == 135
    np.testing.assert_allclose(h.step_loss, losses, rtol=1e-5, atol=1e-6)
    for ours, theirs in zip(model.parameters(), reference.parameters()):
        np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-5, atol=1e-6)


SKLEARN = [  # data set, hidden sizes, epochs
    ("digits", (64,), 40),
    ("moons", (32, 32), 60),
]


@pytest.mark.slow  # about 3 s each: scikit-learn runs 3 fits
@pytest.mark.parametrize("name,hidden,epochs", SKLEARN, ids=[s[0] for s in SKLEARN])
def test_test_accuracy_within_2_points_of_sklearn_mlpclassifier(name, hidden, epochs):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    X, y, X_test, y_test = mg.datasets.load(name)
    ours, theirs = [], []
    for seed in range(3):  # mean over 3 seeds each: one run's accuracy varies by about a point
        # scikit-learn's adam with the same architecture, lr, batch size and number of epochs;
        # no L2 penalty and no early stop, so both run exactly `epochs` epochs of the same loss
        reference = MLPClassifier(hidden_layer_sizes=hidden, activation="relu", solver="adam", alpha=0.0,
                                  batch_size=32, learning_rate_init=1e-3, max_iter=epochs, tol=0.0,
                                  n_iter_no_change=10 ** 6, shuffle=True, random_state=seed)
        with pytest.warns(ConvergenceWarning):  # it stopped at max_iter, as asked
            reference.fit(X, y)
        assert reference.n_iter_ == epochs
        theirs.append(reference.score(X_test, y_test))
        model = mlp([X.shape[1], *hidden, int(y.max()) + 1], seed=10 * seed)
        optim.train(model, F.cross_entropy, optim.Adam(model.parameters(), lr=1e-3), X, y,
                    batch_size=32, epochs=epochs, rng=seed)
        model.eval()
        with mg.no_grad():
            ours.append(float(np.mean(model(mg.Tensor(X_test)).data.argmax(1) == y_test)))
    assert min(ours) > 0.9
    assert abs(np.mean(ours) - np.mean(theirs)) <= 0.02, (ours, theirs)


def test_the_progress_bar_prints_a_huge_loss_in_e_notation():
    from minigrad.optim.train import _postfix
    history = optim.History(epoch_loss=[1.5495e20], epoch_accuracy=[0.5])
    assert _postfix(3, 5, history) == "epoch 3/5, loss 1.55e+20, acc 0.500"


def test_a_row_of_nan_outputs_is_counted_wrong_not_as_class_0():
    """Before: NumPy's arg-max of a NaN row is 0, so a diverged model scored class 0's share."""
    from minigrad.cli import classifier
    from minigrad.optim.train import _correct
    output = np.array([[np.nan, np.nan], [0.0, 1.0], [np.inf, 0.0], [2.0, 1.0]])
    labels = np.array([0, 1, 0, 0])
    assert _correct(output, labels) == 2                          # rows 1 and 3; not the NaN or inf rows
    assert _correct(np.array([[np.nan], [1.0]]), np.array([[0.0], [1.0]])) == 1   # one column too

    class Fixed(nn.Module):
        def forward(self, x):
            return mg.Tensor(output)
    assert classifier.accuracy(Fixed(), np.zeros((4, 2), np.float32), labels) == 0.5


# ---------------------------------------------------------------- audit: what train counts and touches

def _quadrants(n=200, seed=0):
    """A binary problem a small tanh network learns: the sign of x₀·x₁, as (n, 1) float targets."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 2)).astype(np.float32)
    y = (X[:, 0] * X[:, 1] > 0).astype(np.float32).reshape(-1, 1)
    return X, y


def test_a_sigmoid_output_is_a_probability_classified_at_one_half():
    """A model ending in a sigmoid scored the share of 1s: every probability is > 0, the logits' cut."""
    X, y = _quadrants()
    model = nn.Sequential(nn.Linear(2, 16, rng=0), nn.Tanh(), nn.Linear(16, 1, rng=1), nn.Sigmoid())

    def bce(p, t):
        return -(t * p.log() + (1 - t) * (1 - p).log()).mean()

    h = optim.train(model, bce, optim.Adam(model.parameters(), lr=0.05), X, y, epochs=30, rng=0,
                    validation=(X, y))
    with mg.no_grad():
        p = model(mg.Tensor(X)).data
    expected = float(np.mean((p > 0.5) == (y > 0.5)))
    assert expected > 0.9
    assert h.val_accuracy[-1] == pytest.approx(expected)
    assert h.epoch_accuracy[-1] > 0.85


def test_integer_counts_as_regression_targets_get_no_accuracy():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 2)).astype(np.float32)
    y = rng.integers(0, 5, (30, 1))
    model = nn.Linear(2, 1, rng=0)
    h = optim.train(model, lambda out, t: F.mse_loss(out, t.astype(np.float32)), optim.SGD(model.parameters(), lr=0.01),
                    X, y, epochs=2, validation=(X, y))
    assert h.epoch_accuracy == [] and h.val_accuracy == []


@pytest.mark.parametrize("regime", ["online", "offline", "minibatch"])
def test_a_model_that_writes_into_its_input_raises_instead_of_changing_the_data(regime):
    class Centre(nn.Module):
        def forward(self, x):
            x -= 1.0                                  # in place, into the batch
            return x

    X = np.zeros((6, 2), np.float32)
    y = np.array([0, 1, 0, 1, 0, 1])
    model = nn.Sequential(Centre(), nn.Linear(2, 2, rng=0))
    if regime == "minibatch":                          # its batches are copies: nothing to protect
        optim.train(model, F.cross_entropy, optim.SGD(model.parameters(), lr=0.1), X, y, regime=regime,
                    batch_size=4, epochs=2)
    else:
        with pytest.raises(ValueError, match="writable"):
            optim.train(model, F.cross_entropy, optim.SGD(model.parameters(), lr=0.1), X, y, regime=regime,
                        epochs=2)
    np.testing.assert_array_equal(X, 0.0)
    assert X.flags.writeable


def test_a_continued_run_pads_the_validation_curves_of_its_earlier_epochs():
    X, y = blobs()
    model = mlp([3, 8, 3])
    opt = optim.SGD(model.parameters(), lr=0.1)
    h = optim.train(model, F.cross_entropy, opt, X, y, epochs=2)
    optim.train(model, F.cross_entropy, opt, X, y, epochs=2, history=h, validation=(X, y))
    assert len(h.val_loss) == len(h.val_accuracy) == len(h.epoch_loss) == 4
    assert all(math.isnan(v) for v in h.val_loss[:2] + h.val_accuracy[:2])
    assert not any(math.isnan(v) for v in h.val_loss[2:] + h.val_accuracy[2:])


def test_a_list_of_floats_trains_in_float32_as_a_tensor_would():
    X, y = blobs()
    a, b = mlp([3, 8, 3]), mlp([3, 8, 3])
    ha = optim.train(a, F.cross_entropy, optim.SGD(a.parameters(), lr=0.1), X, y, epochs=2, rng=0)
    hb = optim.train(b, F.cross_entropy, optim.SGD(b.parameters(), lr=0.1), X.astype(np.float64).tolist(),
                     y.tolist(), epochs=2, rng=0)
    assert ha.step_loss == hb.step_loss                 # float32 both: the same numbers
    assert all(p.dtype == np.float32 for p in b.parameters())


def test_train_gives_back_each_modules_own_mode():
    X, y = blobs()
    model = nn.Sequential(nn.Linear(3, 8, rng=0), nn.Dropout(0.5), nn.Linear(8, 3, rng=1))
    model[1].eval()                                    # the user's choice, for this one layer
    optim.train(model, F.cross_entropy, optim.SGD(model.parameters(), lr=0.1), X, y, epochs=1, rng=0)
    assert [m.training for m in model.modules()] == [True, True, False, True]


def test_a_stream_of_feature_rows_is_refused_not_read_as_pairs():
    X = np.arange(6.0).reshape(3, 2)
    with pytest.raises(ValueError, match=r"stream item 0 is a list of numbers.*online\(X, y\)"):
        next(optim.online(X.tolist()))
    xb, yb = next(optim.online([(0.5, 1.0)]))          # a pair in a tuple: one feature, one target
    assert xb.shape == yb.shape == (1,)
