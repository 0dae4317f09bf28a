"""minigrad.experiments: S seeds stacked in one model train exactly as S separate models."""

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import experiments, nn, optim
from minigrad.experiments import StackedMLP, difference, evaluate, mean_sd, train_stacked


def _data(n=50, seed=0):
    gen = np.random.default_rng(seed)
    X = gen.normal(size=(n, 4)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int64) + (X[:, 2] > 1)
    return X, y


def test_each_seed_starts_as_the_linear_layers_of_its_own_generator():
    model = StackedMLP((4, 8, 3), seeds=[5, 7])
    for s, seed in enumerate([5, 7]):
        gen = np.random.default_rng(seed)
        first, second = nn.Linear(4, 8, rng=gen), nn.Linear(8, 3, rng=gen)
        np.testing.assert_array_equal(model.layers[0].weight.data[s], first.weight.data.T)
        np.testing.assert_array_equal(model.layers[1].bias.data[s, 0], second.bias.data)


@pytest.mark.parametrize("name, lr", [("Adam", 0.01), ("SGDM", 0.05), ("Adagrad", 0.05)])
def test_stacked_training_equals_separate_runs(name, lr):
    X, y = _data()
    seeds = [0, 1, 2]
    stacked = StackedMLP((4, 8, 3), seeds)
    together = train_stacked(stacked, getattr(optim, name)(stacked.parameters(), lr=lr), X, y,
                             epochs=3, batch_size=8, validation=(X, y))
    for s, seed in enumerate(seeds):
        alone = StackedMLP((4, 8, 3), [seed])
        result = train_stacked(alone, getattr(optim, name)(alone.parameters(), lr=lr), X, y,
                               epochs=3, batch_size=8, validation=(X, y))
        for p_stacked, p_alone in zip(stacked.parameters(), alone.parameters()):
            np.testing.assert_allclose(p_stacked.data[s], p_alone.data[0], rtol=1e-5, atol=1e-6)
        for key in ("loss", "train_accuracy", "test_accuracy"):
            np.testing.assert_allclose(together[key][s], result[key][0], rtol=1e-5, atol=1e-6)


def test_recorded_loss_is_the_mean_cross_entropy_of_the_epoch():
    X, y = _data(n=16)
    model = StackedMLP((4, 3), [0, 1])
    before = evaluate(model, X, y)[0]
    result = train_stacked(model, optim.SGD(model.parameters(), lr=0.0), X, y, epochs=1, batch_size=16)
    np.testing.assert_allclose(result["loss"][:, 0], before, rtol=1e-6)   # lr 0: one full batch, unchanged


def test_evaluate_matches_cross_entropy_of_each_seed():
    X, y = _data(n=20)
    model = StackedMLP((4, 6, 3), [0, 1])
    loss, acc = evaluate(model, X, y)
    for s in range(2):
        h = (mg.Tensor(X) @ model.layers[0].weight[s] + model.layers[0].bias[s]).relu()
        logits = h @ model.layers[1].weight[s] + model.layers[1].bias[s]
        assert loss[s] == pytest.approx(F.cross_entropy(logits, y).item(), rel=1e-5)
        assert acc[s] == pytest.approx(float((logits.data.argmax(1) == y).mean()))


def test_before_step_sees_every_update():
    X, y = _data(n=20)
    model = StackedMLP((4, 3), [0])
    seen = []
    train_stacked(model, optim.SGD(model.parameters(), lr=0.1), X, y, epochs=2, batch_size=8,
                  before_step=lambda opt, t: seen.append(t))
    assert seen == list(range(1, 7))      # ⌈20/8⌉ = 3 updates an epoch


def test_mean_sd_and_difference():
    assert mean_sd([1.0, 2.0, 3.0], 1) == "2.0 ± 1.0"
    assert mean_sd([0.5]) == "0.500 (one value, no sd)"   # not "± 0.000": one value has no spread
    d, se = difference([1.0, 2.0, 3.0], [1.0, 1.0, 1.0])
    assert d == pytest.approx(1.0) and se == pytest.approx(np.sqrt(1.0 / 3))


def test_the_statistics_refuse_samples_too_small_for_a_spread():
    """Before: mean_sd([0.9]) printed "0.900 ± 0.000", difference([0.5], [0.4, 0.6]) gave (0.0, nan)
    with a warning, and StackedMLP(sizes, seeds=[]) built a model with no parameters."""
    assert mean_sd([0.9]) == "0.900 (one value, no sd)"
    with pytest.raises(ValueError, match="mean_sd of no values"):
        mean_sd([])
    with pytest.raises(ValueError, match="two or more values in each sample"):
        difference([0.5], [0.4, 0.6])
    with pytest.raises(ValueError, match="one or more seeds"):
        StackedMLP((3, 2), seeds=[])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the overflow that the test provokes
def test_a_diverging_seed_raises_instead_of_scoring_nan_rows_as_class_0():
    X, y = _data()
    model = StackedMLP((4, 8, 3), [0, 1])
    with pytest.raises(FloatingPointError, match=r"train_stacked: the loss of seed\(s\) \[0, 1\] is not finite"):
        train_stacked(model, optim.SGD(model.parameters(), lr=1e4), X, y, epochs=20)
    with pytest.raises(ValueError, match="NaN or inf"):
        difference([0.9, np.nan], [0.8, 0.85])
    with mg.no_grad():
        for p in model.parameters():
            p.data[...] = np.nan                           # every logit NaN
    assert evaluate(model, X, y)[1].tolist() == [0.0, 0.0]


def test_train_stacked_refuses_what_would_mislead():
    X, y = _data()
    model = StackedMLP((4, 8, 3), [0, 1])
    with pytest.raises(ValueError, match="batch_size must be an int >= 1, got 0"):
        train_stacked(model, optim.SGD(model.parameters(), lr=0.1), X, y, epochs=1, batch_size=0)
    with pytest.raises(ValueError, match="SWATS's rule is not elementwise"):
        train_stacked(model, optim.SWATS(model.parameters()), X, y, epochs=1)
    one = StackedMLP((4, 8, 3), [0])                   # one seed: nothing to couple
    assert train_stacked(one, optim.SWATS(one.parameters()), X, y, epochs=1)["loss"].shape == (1, 1)
    with pytest.raises(TypeError, match="labels must be integer class indices, got dtype float64"):
        evaluate(model, X, y.astype(float))


def test_interval_is_students_t_paired_or_welch_as_scipy_computes_it():
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(4)
    for n_a, n_b in [(2, 2), (3, 3), (5, 5), (5, 8), (20, 20)]:
        a, b = rng.normal(0.3, 1.0, n_a), rng.normal(0.0, 2.5, n_b)
        d, h = experiments.interval(a, b)
        low, high = stats.ttest_ind(a, b, equal_var=False).confidence_interval()
        assert d - h == pytest.approx(low) and d + h == pytest.approx(high)
        if n_a == n_b:
            d, h = experiments.interval(a, b, paired=True)
            low, high = stats.ttest_rel(a, b).confidence_interval()
            assert d - h == pytest.approx(low) and d + h == pytest.approx(high)
            d, se = experiments.difference(a, b, paired=True)
            assert se == pytest.approx(np.std(a - b, ddof=1) / np.sqrt(n_a))


def test_the_2_se_rule_is_no_5_percent_test_for_few_seeds_but_the_interval_is():
    # before: tutorial 07 called |d| > 2·se "about a 5% chance for noise alone"; with 5 seeds it is ~9%
    rng = np.random.default_rng(0)
    trials, n = 4000, 5
    a, b = rng.normal(size=(trials, n)), rng.normal(size=(trials, n))
    two_se = np.mean([abs(d) > 2 * se for d, se in (experiments.difference(x, y) for x, y in zip(a, b))])
    t_rule = np.mean([abs(d) > h for d, h in (experiments.interval(x, y) for x, y in zip(a, b))])
    assert two_se > 0.07 and abs(t_rule - 0.05) < 0.015


def test_a_paired_difference_needs_one_value_per_seed_on_each_side():
    with pytest.raises(ValueError, match="one value of each sample per seed, got 3 and 2"):
        experiments.difference([1.0, 2.0, 3.0], [1.0, 2.0], paired=True)
    with pytest.raises(ValueError, match="level must be in"):
        experiments.interval([1.0, 2.0], [1.0, 3.0], level=95)


@pytest.mark.parametrize("call,match", [
    # before: -1 scored against the last class, one label broadcast to every row
    (lambda m, X: evaluate(m, X, np.array([0, 1, 2, -1])), r"labels must lie in \[0, 3\).*-1"),
    (lambda m, X: evaluate(m, X, np.array([1])), r"one label per row of X, 4 in all, got labels of shape \(1,\)"),
    # before: 8 labels for 4 rows trained on the first 4 without a word
    (lambda m, X: train_stacked(m, optim.SGD(m.parameters()), X, np.zeros(8, np.int64), epochs=1),
     "one label per row of X, 4 in all"),
    (lambda m, X: train_stacked(m, optim.SGD(m.parameters()), X, np.full(4, 3), epochs=1), r"\[0, 3\)"),
])
def test_labels_must_fit_the_rows_and_the_classes(call, match):
    model = StackedMLP((2, 3), seeds=[0, 1])
    with pytest.raises(ValueError, match=match):
        call(model, np.zeros((4, 2), np.float32))


def test_a_seed_given_twice_is_refused():
    with pytest.raises(ValueError, match=r"seeds must differ, got \[0, 0\]"):
        StackedMLP((2, 3), seeds=[0, 0])
