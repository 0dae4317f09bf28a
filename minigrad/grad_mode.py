"""Switches that change what the engine records: ``no_grad``, ``enable_grad``, ``detect_anomaly``.

The engine reads two flags of ``GradMode`` for every op: ``enabled`` (build
a graph node at all?) and ``anomaly`` (check each result for NaN/inf?).
The flags are per thread, as PyTorch's grad mode is: a thread that evaluates
under ``no_grad`` must not cut ops out of a graph another thread is building.

Each switch is a context manager and a decorator. As a decorator, every call
of the function enters and leaves a block of its own (``_recreate_cm``), so
a recursive function decorated with ``@no_grad()`` restores the mode its
outermost call found; a generator function is switched while it runs, not
while it waits between items, as in PyTorch. ``@no_grad`` without the
parentheses works too. One switch object may be entered again inside its
own block: each ``with`` restores what it found.
"""

import contextlib
import functools
import inspect
import threading

import numpy as np

__all__ = ["GradMode", "no_grad", "enable_grad", "is_grad_enabled", "detect_anomaly", "check_finite"]


class _Modes(threading.local):
    """The engine's switches, one set per thread; every thread starts with recording on, checks off."""

    enabled = True   # record ops into a graph
    anomaly = False  # raise as soon as an op produces NaN or inf


GradMode = _Modes()


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


class _Switch(contextlib.ContextDecorator):
    """Set one flag of ``GradMode`` (``flag``) to ``value`` inside the block; restore it on exit."""

    flag, value = "enabled", True

    def __new__(cls, func=None):
        if func is not None:  # @no_grad, without the parentheses: decorate func with a new switch
            if not callable(func):
                raise TypeError(f"{cls.__name__}() takes no arguments, got {type(func).__name__}")
            return cls()(func)
        return super().__new__(cls)

    def __init__(self, func=None):
        self._previous = []  # a stack: the same object may be entered again inside its own block

    def _recreate_cm(self):
        return type(self)()  # a decorated function's calls each get their own block (and saved flag)

    def __call__(self, func):
        if inspect.isgeneratorfunction(func):
            @functools.wraps(func)
            def generator(*args, **kwargs):
                return (yield from _switched(self, func(*args, **kwargs)))
            return generator
        return super().__call__(func)

    def __enter__(self):
        self._previous.append(getattr(GradMode, self.flag))
        setattr(GradMode, self.flag, self.value)
        return self

    def __exit__(self, *exc):
        setattr(GradMode, self.flag, self._previous.pop())
        return False


def _switched(switch, gen):
    """Generator ``gen`` with ``switch`` on while it runs and off while it waits for the next ``next()``.

    NOTE: ``ContextDecorator`` alone would leave the block as soon as the
    generator object is made, before its body runs; the caller's code between
    two items runs in the caller's own mode.
    """
    method, arg = gen.send, None
    while True:
        with switch._recreate_cm():
            try:
                item = method(arg)
            except StopIteration as stop:
                return stop.value
        try:
            arg, method = (yield item), gen.send
        except GeneratorExit:
            gen.close()
            raise
        except BaseException as error:  # thrown in by the caller: passed on, inside the block
            arg, method = error, gen.throw


class no_grad(_Switch):
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

    flag, value = "enabled", False


class enable_grad(_Switch):
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

    flag, value = "enabled", True


class detect_anomaly(_Switch):
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
    FloatingPointError: Log produced non-finite values (-inf) in its forward
    """

    flag, value = "anomaly", True

    def __init__(self, func=None):
        super().__init__()
        self._errstates = []

    def __enter__(self):
        errstate = np.errstate(divide="ignore", over="ignore", invalid="ignore")
        errstate.__enter__()
        self._errstates.append(errstate)
        return super().__enter__()

    def __exit__(self, *exc):
        super().__exit__(*exc)
        self._errstates.pop().__exit__(*exc)
        return False


def check_finite(a, op, where):
    """Under ``detect_anomaly``: raise ``FloatingPointError`` naming ``op`` if ``a`` holds NaN or inf."""
    a = np.asarray(a)
    if a.dtype.kind in "fc" and not np.isfinite(a).all():
        bad = "nan" if np.isnan(a).any() else ("inf" if (a == np.inf).any() else "-inf")
        raise FloatingPointError(f"{op} produced non-finite values ({bad}) in its {where}")
