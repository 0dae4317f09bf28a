"""minigrad.blas_threads: small models train on one BLAS thread; the user can override it."""

import numpy as np
import pytest
from threadpoolctl import threadpool_info

import minigrad as mg
from minigrad import blas_threads


def _blas_threads():
    return {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}


def test_a_small_model_gets_one_thread_and_a_large_one_blas_own_choice():
    small = mg.nn.Sequential(mg.nn.Linear(64, 64), mg.nn.ReLU(), mg.nn.Linear(64, 10))
    assert blas_threads.threads_for(small.parameters(), 32, setting="auto") == 1
    large = mg.nn.Linear(1024, 1024, dtype=np.float32)
    assert blas_threads.threads_for(large.parameters(), 256, setting="auto") is None
    # the line: batch × the largest weight's size (64 × 64) against SMALL_MODEL_MACS
    last = blas_threads.SMALL_MODEL_MACS // (64 * 64)
    assert blas_threads.threads_for(small.parameters(), last, setting="auto") == 1
    assert blas_threads.threads_for(small.parameters(), last + 1, setting="auto") is None


@pytest.mark.parametrize("setting, expected", [("1", 1), ("4", 4), (" AUTO ", 1), (2, 2)])
def test_the_setting_overrides_the_rule(setting, expected):
    assert blas_threads.threads_for(mg.nn.Linear(4, 2).parameters(), 8, setting=setting) == expected


def test_the_environment_variable_is_the_default_setting(monkeypatch):
    monkeypatch.setenv("MINIGRAD_BLAS_THREADS", "3")
    assert blas_threads.threads_for([mg.zeros(2, 2)], 1) == 3
    monkeypatch.setenv("MINIGRAD_BLAS_THREADS", "")   # set but empty: unset, the rule
    assert blas_threads.threads_for([mg.zeros(2, 2)], 1) == 1
    monkeypatch.setenv("MINIGRAD_BLAS_THREADS", "²")  # a digit to str.isdigit, not to int()
    with pytest.raises(ValueError, match="positive number of threads, got '²'"):
        blas_threads.threads_for([mg.zeros(2, 2)], 1)
    monkeypatch.setenv("MINIGRAD_BLAS_THREADS", "two")
    with pytest.raises(ValueError, match="MINIGRAD_BLAS_THREADS must be 'auto' or a positive number.*'two'"):
        blas_threads.threads_for([mg.zeros(2, 2)], 1)


@pytest.mark.parametrize("bad", ["0", "-1", "1.5", ""])
def test_a_bad_setting_is_refused_by_name(bad):
    with pytest.raises(ValueError, match="MINIGRAD_BLAS_THREADS"):
        blas_threads.threads_for([mg.zeros(2, 2)], 1, setting=bad)


def test_the_limit_holds_inside_the_context_and_is_lifted_after():
    before = _blas_threads()
    with blas_threads.limit_for([mg.zeros(8, 8)], 4, setting="auto"):
        assert _blas_threads() == {1}
    assert _blas_threads() == before
    with blas_threads.limit_for([mg.zeros(4096, 4096)], 256, setting="auto"):
        assert _blas_threads() == before  # large: left to BLAS


def test_the_limit_starts_only_when_the_context_is_entered():
    before = _blas_threads()
    assert before, "no BLAS library found to limit"
    threads = 3 if before == {2} else 2   # a number BLAS does not use now, so a change shows
    context = blas_threads.limit_for(mg.nn.Linear(4, 2).parameters(), 8, setting=str(threads))
    assert _blas_threads() == before      # made, not entered: nothing changed (it had limited BLAS for good)
    with context:
        assert _blas_threads() == {threads}
    assert _blas_threads() == before


def test_the_libraries_are_scanned_once_per_process_not_once_per_training(monkeypatch):
    """Making a ThreadpoolController scans the loaded libraries (0.3-2 ms): optim.train, called
    once per epoch by a loop, must not pay that each time."""
    import threadpoolctl
    made = []
    real = threadpoolctl.ThreadpoolController

    class Counting(real):
        def __init__(self):
            made.append(1)
            super().__init__()

    monkeypatch.setattr(threadpoolctl, "ThreadpoolController", Counting)
    blas_threads._controller.cache_clear()  # as in a new process
    X = np.random.default_rng(0).normal(size=(40, 3)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    model = mg.nn.Linear(3, 2, rng=0)
    opt = mg.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(3):
        mg.optim.train(model, mg.nn.functional.cross_entropy, opt, X, y, rng=0)
    assert len(made) == 1
    with blas_threads.limit_for([mg.zeros(8, 8)], 4, setting="auto"):
        assert _blas_threads() == {1}
    blas_threads._controller.cache_clear()  # the next user makes a plain one
