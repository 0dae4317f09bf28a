"""Tests of the training regimes (minigrad/optim/regimes.py) and the shared rng helper."""

import math

import numpy as np
import pytest

import minigrad as mg
from minigrad._rng import as_generator
from minigrad.optim.regimes import minibatches, offline, online


def data(n=10, d=3):
    """X whose first column is the example's index, so any batch says which rows it holds."""
    X = np.zeros((n, d), dtype=np.float32)
    X[:, 0] = np.arange(n)
    y = np.arange(n) * 10
    return X, y


def rows(batches):
    """The example indices of each batch, after checking that xb and yb agree row by row."""
    out = []
    for xb, yb in batches:
        assert isinstance(xb, np.ndarray) and isinstance(yb, np.ndarray)
        assert len(xb) == len(yb) >= 1
        np.testing.assert_array_equal(yb, xb[:, 0].astype(np.int64) * 10)
        out.append(xb[:, 0].astype(int).tolist())
    return out


# ---------------------------------------------------------------- counts per epoch

REGIMES = [  # id, call, n, expected number of updates, expected batch sizes
    ("online", lambda X, y: online(X, y, rng=0), 7, 7, [1] * 7),
    ("online-ordered", lambda X, y: online(X, y, shuffle=False), 4, 4, [1] * 4),
    ("mini-b3", lambda X, y: minibatches(X, y, 3, rng=0), 10, 4, [3, 3, 3, 1]),
    ("mini-b3-drop", lambda X, y: minibatches(X, y, 3, drop_last=True, rng=0), 10, 3, [3, 3, 3]),
    ("mini-b5-exact", lambda X, y: minibatches(X, y, 5, rng=0), 10, 2, [5, 5]),
    ("mini-b5-exact-drop", lambda X, y: minibatches(X, y, 5, drop_last=True, rng=0), 10, 2, [5, 5]),
    ("mini-b1", lambda X, y: minibatches(X, y, 1, rng=0), 5, 5, [1] * 5),
    ("mini-b-n", lambda X, y: minibatches(X, y, 6, rng=0), 6, 1, [6]),
    ("mini-b>n", lambda X, y: minibatches(X, y, 100, rng=0), 6, 1, [6]),
    ("mini-b>n-drop", lambda X, y: minibatches(X, y, 100, drop_last=True), 6, 1, [6]),
    ("mini-numpy-int", lambda X, y: minibatches(X, y, np.int64(4), rng=0), 9, 3, [4, 4, 1]),
    ("offline", lambda X, y: offline(X, y), 9, 1, [9]),
]


@pytest.mark.parametrize("name,call,n,updates,sizes", REGIMES, ids=[r[0] for r in REGIMES])
def test_updates_per_epoch_and_each_example_once(name, call, n, updates, sizes):
    X, y = data(n)
    got = rows(call(X, y))
    assert len(got) == updates
    assert [len(b) for b in got] == sizes
    seen = [i for b in got for i in b]
    assert len(seen) == len(set(seen))  # nobody twice
    if "drop" in name:
        assert set(seen) <= set(range(n))
    else:
        assert sorted(seen) == list(range(n))  # everybody once


@pytest.mark.parametrize("n,b", [(1, 1), (2, 3), (10, 3), (32, 32), (33, 32), (100, 7), (1797, 32)])
def test_minibatch_count_is_ceil_or_floor(n, b):
    X, y = data(n, 1)
    assert len(list(minibatches(X, y, b, rng=0))) == math.ceil(n / b)
    assert len(list(minibatches(X, y, b, drop_last=True, rng=0))) == max(n // b, 1 if b > n else 0)


def test_leading_batch_axis_and_trailing_shapes_kept():
    X = np.arange(5 * 2 * 3, dtype=np.float64).reshape(5, 2, 3)
    y = np.arange(5 * 4).reshape(5, 4)
    xb, yb = next(online(X, y, shuffle=False))
    assert xb.shape == (1, 2, 3) and yb.shape == (1, 4)
    np.testing.assert_array_equal(xb[0], X[0])
    np.testing.assert_array_equal(yb[0], y[0])
    xb, yb = next(minibatches(X, y, 2, shuffle=False))
    assert xb.shape == (2, 2, 3) and yb.shape == (2, 4) and xb.dtype == np.float64
    (xb, yb), = offline(X, y)
    np.testing.assert_array_equal(xb, X)
    np.testing.assert_array_equal(yb, y)


def test_one_dimensional_inputs_and_lists():
    got = [(xb.tolist(), yb.tolist()) for xb, yb in minibatches([1.0, 2.0, 3.0], [0, 1, 0], 2, shuffle=False)]
    assert got == [([1.0, 2.0], [0, 1]), ([3.0], [0])]


def test_tensors_are_accepted_as_data():
    X, y = mg.Tensor(np.arange(6.0).reshape(3, 2)), mg.Tensor(np.array([0, 1, 2]))
    got = [yb.tolist() for _, yb in minibatches(X, y, 2, shuffle=False)]
    assert got == [[0, 1], [2]]
    xb, _ = next(online(X, y, shuffle=False))
    assert isinstance(xb, np.ndarray) and xb.tolist() == [[0.0, 1.0]]


# ---------------------------------------------------------------- order

def test_unshuffled_order_is_the_data_order():
    X, y = data(7)
    assert rows(minibatches(X, y, 3, shuffle=False)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert rows(online(X, y, shuffle=False)) == [[i] for i in range(7)]


@pytest.mark.parametrize("make", [
    lambda X, y, rng: online(X, y, rng=rng),
    lambda X, y, rng: minibatches(X, y, 4, rng=rng),
], ids=["online", "minibatches"])
def test_order_reproducible_from_seed_and_differs_between_seeds(make):
    X, y = data(50)
    first = rows(make(X, y, 0))
    assert rows(make(X, y, 0)) == first
    assert rows(make(X, y, np.random.default_rng(0))) == first  # a Generator seeded alike
    assert rows(make(X, y, 1)) != first
    assert [i for b in first for i in b] != list(range(50))  # really shuffled


def test_shared_generator_gives_a_new_order_each_epoch_reproducibly():
    X, y = data(30)

    def epochs(seed):
        gen = np.random.default_rng(seed)
        return [rows(minibatches(X, y, 8, rng=gen)) for _ in range(3)]

    run = epochs(5)
    assert run == epochs(5)
    assert run[0] != run[1] != run[2]


@pytest.mark.parametrize("make", [lambda X, y, gen: minibatches(X, y, 4, rng=gen),
                                  lambda X, y, gen: online(X, y, rng=gen)], ids=["minibatches", "online"])
def test_the_order_is_drawn_at_the_call_whether_or_not_the_epoch_runs(make):
    # a shared Generator advances exactly once per epoch created, so an epoch left unfinished
    # (a diverged run, a break) does not shift every later epoch's order
    X, y = data(10)
    gen = np.random.default_rng(0)
    make(X, y, gen)                                        # created, never iterated
    after_one = gen.bit_generator.state
    reference = np.random.default_rng(0)
    reference.permutation(10)
    assert after_one == reference.bit_generator.state


def test_permutation_matches_numpy_generator():
    # The order is exactly Generator.permutation(n): documented, so users can predict it.
    X, y = data(12)
    expected = np.random.default_rng(3).permutation(12)
    assert [i for b in rows(minibatches(X, y, 5, rng=3)) for i in b] == expected.tolist()


def test_drop_last_drops_the_tail_of_the_shuffled_order():
    X, y = data(10)
    expected = np.random.default_rng(2).permutation(10)[:9].reshape(3, 3).tolist()
    assert rows(minibatches(X, y, 3, drop_last=True, rng=2)) == expected


@pytest.mark.parametrize("block_bytes", [1, 100, 170, 310, 1 << 24])
@pytest.mark.parametrize("drop_last", [False, True])
def test_minibatches_gathered_in_blocks_are_the_same_batches(monkeypatch, block_bytes, drop_last):
    # data(23) rows take 3 float32 + one int64 = 20 bytes, a batch of 3 takes 60: blocks of
    # 1, 1 (100 bytes hold 5 rows, not whole batches), 2 and 5 batches, or the whole epoch;
    # the batches must not depend on it
    import minigrad.optim.regimes as regimes

    X, y = data(23)
    monkeypatch.setattr(regimes, "_BLOCK_BYTES", block_bytes)
    expected = np.random.default_rng(4).permutation(23)[:21 if drop_last else 23]
    got = rows(minibatches(X, y, 3, drop_last=drop_last, rng=4))
    assert got == [expected[i:i + 3].tolist() for i in range(0, len(expected), 3)]
    for xb, yb in minibatches(X, y, 3, shuffle=False, drop_last=drop_last):
        xb[...], yb[...] = -1, -1  # the batches are copies: the caller's data stays as it was
    X0, y0 = data(23)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)


# ---------------------------------------------------------------- streams

def test_online_stream_is_read_once_in_its_order():
    pulled = []

    def stream():
        for i in range(5):
            pulled.append(i)
            yield np.full(3, i, dtype=np.float32), i

    it = online(stream())
    assert pulled == []  # nothing read before the first update
    got = [(xb.shape, xb[0, 0], yb.shape, yb[0]) for xb, yb in it]
    assert got == [((1, 3), i, (1,), i) for i in range(5)]
    assert pulled == list(range(5))


def test_online_stream_of_lists_and_scalars():
    got = [(xb.tolist(), yb.tolist()) for xb, yb in online([([1, 2], 0), ([3, 4], 1)])]
    assert got == [([[1, 2]], [0]), ([[3, 4]], [1])]


def test_online_stream_errors():
    with pytest.raises(ValueError, match="no .x, y. pair"):
        list(online(iter([])))
    with pytest.raises(ValueError, match="item 1 is not an"):
        list(online([(1.0, 0), (1.0, 2.0, 3.0)]))
    with pytest.raises(TypeError, match="call online.X, y."):
        online(np.zeros((4, 2)))  # an array is not a stream of pairs
    with pytest.raises(TypeError, match=r"iterable of \(x, y\) pairs, got int"):
        online(5)


def test_online_stream_refuses_rows_of_features():
    # list(X) of two-feature rows unpacks each row into x = feature 0, y = feature 1: refused
    X = np.array([[0.5, 1.5], [2.5, 3.5]])
    with pytest.raises(ValueError, match=r"item 0 is an array of shape \(2,\).*online\(X, y\)"):
        list(online(list(X)))


# ---------------------------------------------------------------- errors

ERRORS = [  # id, call, exception, message fragment
    ("mismatch-online", lambda: online(np.zeros((4, 2)), np.zeros(3)), ValueError, r"\(4, 2\) and \(3,\)"),
    ("mismatch-mini", lambda: minibatches(np.zeros((4, 2)), np.zeros(5), 2), ValueError, r"\(4, 2\) and \(5,\)"),
    ("mismatch-offline", lambda: offline(np.zeros((4, 2)), np.zeros(2)), ValueError, r"\(4, 2\) and \(2,\)"),
    ("empty-online", lambda: online(np.zeros((0, 2)), np.zeros(0)), ValueError, "no examples"),
    ("empty-mini", lambda: minibatches(np.zeros((0, 2)), np.zeros(0), 2), ValueError, "no examples"),
    ("empty-offline", lambda: offline([], []), ValueError, "no examples"),
    ("scalar-data", lambda: offline(np.float32(1), np.int64(0)), ValueError, "leading example axis"),
    ("batch-0", lambda: minibatches(np.zeros((4, 2)), np.zeros(4), 0), ValueError, "batch_size .* got 0"),
    ("batch-neg", lambda: minibatches(np.zeros((4, 2)), np.zeros(4), -3), ValueError, "got -3"),
    ("batch-float", lambda: minibatches(np.zeros((4, 2)), np.zeros(4), 2.0), ValueError, "got 2.0"),
    ("batch-bool", lambda: minibatches(np.zeros((4, 2)), np.zeros(4), True), ValueError, "got True"),
    ("batch-str", lambda: minibatches(np.zeros((4, 2)), np.zeros(4), "2"), ValueError, "got '2'"),
    ("rng-float", lambda: online(np.zeros((4, 2)), np.zeros(4), rng=0.5), TypeError, "rng must be"),
    # a string from a config file is truthy: "False" would shuffle, and drop the last batch
    ("shuffle-str", lambda: minibatches(np.zeros((4, 2)), np.zeros(4), 3, shuffle="False"), TypeError,
     "shuffle must be True or False, got 'False'"),
    ("drop-last-str", lambda: minibatches(np.zeros((4, 2)), np.zeros(4), 3, drop_last="False"), TypeError,
     "drop_last must be True or False"),
    ("shuffle-online", lambda: online(np.zeros((4, 2)), np.zeros(4), shuffle=1), TypeError, "got 1"),
    ("rng-unshuffled", lambda: minibatches(np.zeros((4, 2)), np.zeros(4), 2, shuffle=False, rng=True),
     TypeError, "rng must be"),
]


def test_flags_take_numpy_bools():
    got = [yb.tolist() for _, yb in minibatches(np.zeros((5, 1)), np.arange(5), 2, shuffle=np.False_,
                                                drop_last=np.True_)]
    assert got == [[0, 1], [2, 3]]


@pytest.mark.parametrize("name,call,exc,match", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_are_raised_at_the_call(name, call, exc, match):
    with pytest.raises(exc, match=match):
        call()  # not iterated: bad arguments are reported before any epoch starts


# ---------------------------------------------------------------- as_generator

def test_as_generator():
    g = np.random.default_rng(0)
    assert as_generator(g) is g
    assert as_generator(7).integers(10**9) == np.random.default_rng(7).integers(10**9)
    assert as_generator(np.int32(7)).integers(10**9) == np.random.default_rng(7).integers(10**9)
    assert isinstance(as_generator(None), np.random.Generator)
    assert as_generator(None).integers(2**62) != as_generator(None).integers(2**62)  # fresh entropy
    for bad in (0.5, True, "0", np.random.RandomState(0), [1, 2]):
        with pytest.raises(TypeError, match="rng must be"):
            as_generator(bad)
    with pytest.raises(ValueError, match="-1"):
        as_generator(-1)


def test_regimes_are_public_in_optim():
    assert mg.optim.online is online
    assert mg.optim.minibatches is minibatches
    assert mg.optim.offline is offline


@pytest.mark.parametrize("spelling, name", [
    ("online", "online"), ("On-line", "online"), ("on_line", "online"), ("ONLINE", "online"),
    ("minibatch", "minibatch"), ("mini-batch", "minibatch"), ("Mini Batch", "minibatch"),
    ("offline", "offline"), ("off-line", "offline"), ("batch", "offline"), ("Full-Batch", "offline"),
])
def test_every_spelling_of_the_lecture_names_its_regime(spelling, name):
    from minigrad.optim.regimes import regime_name
    assert regime_name(spelling) == name


@pytest.mark.parametrize("bad", ["sideways", "", "mini", None, 3])
def test_a_name_that_is_no_regime_is_refused_with_the_spellings(bad):
    from minigrad.optim.regimes import regime_name
    with pytest.raises(ValueError, match=r"unknown regime .*online \(on-line\), minibatch \(mini-batch\) or offline"):
        regime_name(bad)


def test_train_takes_the_lecture_spellings():
    import minigrad as mg
    X = np.random.default_rng(0).standard_normal((10, 2)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    counts = {}
    for spelling in ("on-line", "mini-batch", "off-line"):
        model = mg.nn.Linear(2, 2, rng=0)
        history = mg.optim.train(model, mg.nn.functional.cross_entropy, mg.optim.SGD(model.parameters()),
                                 X, y, regime=spelling, batch_size=4, epochs=1, rng=0)
        counts[spelling] = len(history.step_loss)
    assert counts == {"on-line": 10, "mini-batch": 3, "off-line": 1}
