"""Switches that change what the engine records: ``no_grad``, ``enable_grad``, ``detect_anomaly``.

The engine reads two flags of ``GradMode`` for every op: ``enabled`` (build
a graph node at all?) and ``anomaly`` (check each result for NaN/inf?).
The flags are per thread, as PyTorch's grad mode is: a thread that evaluates
under ``no_grad`` must not cut ops out of a graph another thread is building.

Each switch is a context manager and a decorator. As a decorator, every call
of the function enters and leaves a block of its own (``_recreate_cm``), so
a recursive function decorated with ``@no_grad()`` restores the mode its
outermost call found.
"""

import contextlib
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

    def _recreate_cm(self):
        return type(self)()  # a decorated function's calls each get their own block (and saved flag)

    def __enter__(self):
        self._previous = getattr(GradMode, self.flag)
        setattr(GradMode, self.flag, self.value)
        return self

    def __exit__(self, *exc):
        setattr(GradMode, self.flag, self._previous)
        return False


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

    def __enter__(self):
        self._errstate = np.errstate(divide="ignore", over="ignore", invalid="ignore")
        self._errstate.__enter__()
        return super().__enter__()

    def __exit__(self, *exc):
        super().__exit__(*exc)
        self._errstate.__exit__(*exc)
        return False


def check_finite(a, op, where):
    """Under ``detect_anomaly``: raise ``FloatingPointError`` naming ``op`` if ``a`` holds NaN or inf."""
    a = np.asarray(a)
    if a.dtype.kind in "fc" and not np.isfinite(a).all():
        bad = "nan" if np.isnan(a).any() else ("inf" if (a == np.inf).any() else "-inf")
        raise FloatingPointError(f"{op} produced non-finite values ({bad}) in its {where}")
