"""Small models run their matrix products on one BLAS thread.

NumPy hands ``x @ W`` to a BLAS library (OpenBLAS, MKL) that starts several
threads. For the small matrices minigrad is made for, the threads buy little
and risk much. Measured with ``bench/bench_blas_threads.py`` on a 2-core
machine that other work shared (one layer's three products per step):

- up to about 10⁵ multiply-adds per step, two threads are no faster than one;
- from 10⁶ to 10⁷, the best of several runs on two threads took 0.56-0.83×
  the time on one, when both cores were free;
- but a step whose second thread had to wait for a busy core took 17-120×
  as long (a 128 × 128 layer, batch 256: 0.26 ms on one thread, 32 ms on two).

A whole run shows the same: ``python -m minigrad compare --regime offline
--epochs 900 --optimizers sgd`` (digits, 1,797 × 64 × 64 ≈ 7·10⁶
multiply-adds in the first layer) took 15.7 s and 59 s with two BLAS threads
on a loaded machine, and 2.1 s, twice, with one.

So :func:`optim.train <minigrad.optim.train>` (used by ``python -m minigrad
train``/``compare`` and the scikit-learn estimators) runs a model whose
largest layer does at most :data:`SMALL_MODEL_MACS` multiply-adds per batch
on one thread, and leaves larger models to BLAS's own choice.

Override it with the environment variable ``MINIGRAD_BLAS_THREADS``: a number
of threads to use always (``1``, ``4``), or ``auto`` (the default rule). The
limit holds only while training; it is lifted afterwards.
"""

import contextlib
import functools
import os

import numpy as np

__all__ = ["SMALL_MODEL_MACS", "threads_for", "limit_for"]

#: A layer's forward product (batch × in × out multiply-adds) up to which one thread is used.
SMALL_MODEL_MACS = 10_000_000


def threads_for(parameters, batch_size, setting=None):
    """How many BLAS threads to train with: 1 for a small model, None (BLAS's choice) otherwise.

    Parameters
    ----------
    parameters : iterable of Tensor
        The model's parameters; each 2-D one is a layer's weight (out × in),
        whose product with a batch costs batch_size × out × in multiply-adds.
    batch_size : int
        Examples per update.
    setting : str, optional
        ``MINIGRAD_BLAS_THREADS`` by default: ``"auto"`` (or unset) for the
        rule, or a positive integer to use always.

    Raises
    ------
    ValueError
        If the setting is neither ``auto`` nor a positive integer (named).

    Examples
    --------
    >>> import minigrad as mg
    >>> small = mg.nn.Linear(64, 10)
    >>> threads_for(small.parameters(), 32, setting="auto")
    1
    >>> threads_for(small.parameters(), 32, setting="3")
    3
    """
    if setting is None:  # the variable set but empty (MINIGRAD_BLAS_THREADS=) reads as unset
        setting = os.environ.get("MINIGRAD_BLAS_THREADS", "").strip() or "auto"
    setting = str(setting).strip().lower()
    if setting != "auto":
        if not setting.isdecimal() or int(setting) < 1:  # NOTE: "²".isdigit() is True, int("²") fails
            raise ValueError(f"MINIGRAD_BLAS_THREADS must be 'auto' or a positive number of threads, "
                             f"got {setting!r}")
        return int(setting)
    largest = max((int(np.prod(p.shape)) for p in parameters if len(p.shape) == 2), default=0)
    return 1 if largest * batch_size <= SMALL_MODEL_MACS else None


@contextlib.contextmanager
def limit_for(parameters, batch_size, setting=None):
    """A context in which BLAS uses :func:`threads_for`'s number of threads (nothing changes for None).

    The limit starts when the ``with`` block is entered and ends when it is
    left (NOTE: threadpoolctl's own ``limit`` starts when it is made, so a
    context made and never entered would keep BLAS on one thread for good).
    """
    threads = threads_for(parameters, batch_size, setting)
    if threads is None:
        yield
        return
    with _controller().limit(limits=threads, user_api="blas"):
        yield


@functools.cache
def _controller():
    """The process's ``threadpoolctl.ThreadpoolController``, made on first use and then kept.

    NOTE: making one scans the process's loaded libraries: 0.3-2 ms, which
    at one ``optim.train`` call per epoch (the benchmark's toy classifier,
    45 steps an epoch) cost 10-25% of its time. Kept, a limit costs about
    8 µs. A BLAS library loaded after the first training is not limited.
    """
    from threadpoolctl import ThreadpoolController  # installed with scikit-learn

    return ThreadpoolController()
