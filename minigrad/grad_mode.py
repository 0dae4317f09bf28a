"""Switches that change what the engine records: ``no_grad``, ``enable_grad``, ``detect_anomaly``.

The engine reads two flags on ``GradMode`` for every op: ``enabled``
(build a graph node at all?) and ``anomaly`` (check each result for NaN/inf?).

NOTE: the flags are per thread, as PyTorch's grad mode is: a thread that
evaluates under ``no_grad`` must not cut ops out of a graph that another
thread is building. Reading a thread-local attribute is slow for a hot path
(some 70 ns), so the engine first reads ``open_blocks``, a plain count of the
blocks open in all threads, and reads the flags only when it is not 0.
"""

import contextlib
import threading

import numpy as np

__all__ = ["GradMode", "no_grad", "enable_grad", "is_grad_enabled", "detect_anomaly"]


class _Modes(threading.local):
    """The engine's switches, one set per thread (read on every op; change them with the context managers).

    Every thread starts with the class defaults: recording on, anomaly checks off.
    """

    enabled = True   # record ops into a graph
    anomaly = False  # raise as soon as an op produces NaN or inf


GradMode = _Modes()


class _OpenBlocks:
    """How many mode blocks (``no_grad``, ``enable_grad``, ``detect_anomaly``) are open, in all threads.

    NOTE: ``apply`` needs both flags of ``GradMode`` for every op, and reading
    a thread-local attribute costs some 70 ns (twice per op: 4% of a small
    op). While no block is open anywhere, every thread has the defaults
    (record, no checks), so ``apply`` reads this one plain counter first and
    ``GradMode`` only when a block is open. The counter goes up before a block
    sets a flag and down after it restores it, so it is never 0 while a flag
    differs from its default.
    """

    __slots__ = ("count", "_lock")

    def __init__(self):
        self.count = 0
        self._lock = threading.Lock()  # += is not atomic across threads

    def add(self, n):
        with self._lock:
            self.count += n


open_blocks = _OpenBlocks()


def is_grad_enabled():
    """Return True when new ops are recorded for ``backward``.

    Examples
    --------
    >>> import minigrad as mg
    >>> with mg.no_grad():
    ...     mg.is_grad_enabled()
    False
    """
    return GradMode.enabled


class _SetGradMode(contextlib.ContextDecorator):
    """Context manager / decorator that sets ``GradMode.enabled`` and restores it on exit."""

    mode = True

    def __enter__(self):
        open_blocks.add(1)
        self._previous = GradMode.enabled
        GradMode.enabled = self.mode
        return self

    def __exit__(self, *exc):
        GradMode.enabled = self._previous
        open_blocks.add(-1)
        return False


class no_grad(_SetGradMode):
    """Build no graph inside the block (or the decorated function), in the current thread.

    Results of ops have ``requires_grad=False``; use it for evaluation and for
    updates that must not be differentiated.

    Examples
    --------
    >>> import minigrad as mg
    >>> w = mg.Tensor([1.0, 2.0], requires_grad=True)
    >>> with mg.no_grad():
    ...     y = w * 2
    >>> y.requires_grad
    False
    """

    mode = False


class enable_grad(_SetGradMode):
    """Record ops again inside a ``no_grad`` block (or the decorated function), in the current thread.

    Examples
    --------
    >>> import minigrad as mg
    >>> w = mg.Tensor([1.0], requires_grad=True)
    >>> with mg.no_grad():
    ...     with mg.enable_grad():
    ...         y = w * 2
    >>> y.requires_grad
    True
    """

    mode = True


class detect_anomaly(contextlib.ContextDecorator):
    """Raise ``FloatingPointError`` as soon as an op in the current thread produces NaN or inf.

    Checks every forward result and every gradient computed by ``backward``;
    the message names the op. It costs one ``np.isfinite`` per op, so it is
    off by default. Inside it NumPy's own ``RuntimeWarning`` for the same
    event (``divide by zero encountered in log``) is silenced: the error
    says more, and says it once.

    Examples
    --------
    >>> import minigrad as mg
    >>> x = mg.Tensor([0.0, 1.0], requires_grad=True)
    >>> with mg.detect_anomaly():
    ...     x.log()
    Traceback (most recent call last):
    ...
    FloatingPointError: Log produced non-finite values (-inf) in its forward; input shapes (2,)
    """

    def __enter__(self):
        open_blocks.add(1)
        self._previous = GradMode.anomaly
        self._errstate = np.errstate(divide="ignore", over="ignore", invalid="ignore")
        self._errstate.__enter__()
        GradMode.anomaly = True
        return self

    def __exit__(self, *exc):
        GradMode.anomaly = self._previous
        open_blocks.add(-1)
        self._errstate.__exit__(*exc)
        return False
