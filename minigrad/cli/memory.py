"""A model too large for the memory is refused before anything is allocated.

``--hidden 100000,100000`` would otherwise start a run that swaps the
machine to a halt, or ends in a MemoryError traceback; instead ``train``
and ``compare`` estimate what training needs and say so in one line.
"""

import os

from . import classifier
from .errors import UsageError
from .flags import OPTIMIZER_NAMES, flag_text

# Adam and RAdam m, v; AMSGrad m, v, v_max; SWATS m, a and the SGD phase's v.
STATE_ARRAYS = {"sgd": 0, "sgdm": 1, "adagrad": 1, "rmsprop": 1, "adam": 2, "amsgrad": 3, "swats": 3,
                "radam": 2}


def check_memory(n_in, hidden, n_out, optimizers, n_examples, copies=0, source="--hidden"):
    """Refuse, before anything is allocated, an MLP whose training would not fit in memory.

    The estimate counts float32 weights, their gradients, the largest
    optimizer's state arrays and ``copies`` more copies of the weights (compare
    keeps the start); the largest layer drawn in float64 by the initialisation;
    and the hidden activations of the whole training set (the accuracy pass).
    ``source`` names where the sizes came from in the message.
    """
    sizes = (n_in, *hidden, n_out)
    layers = [a * b + b for a, b in zip(sizes, sizes[1:])]
    params = sum(layers)
    arrays = 2 + copies + max(STATE_ARRAYS[name] for name in optimizers)
    need = 4 * params * arrays + 8 * max(layers) + 2 * 4 * n_examples * sum(hidden)
    available = _available_memory()
    if available is not None and need > available:
        largest = max(optimizers, key=STATE_ARRAYS.get)
        name = next(n for n in OPTIMIZER_NAMES if n.lower() == largest)
        model = classifier.model_text(n_in, hidden, n_out)
        raise UsageError(f"{source} {flag_text(tuple(hidden))}: the {model} has "
                         f"{params:,} parameters; training it with {name} needs about {_bytes(need)} "
                         f"of memory, more than the {_bytes(available)} available")


def _available_memory():
    """Bytes of memory this process may still allocate (Linux: MemAvailable, a cgroup's limit), or None."""
    found = []
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            found += [int(line.split()[1]) * 1024 for line in f if line.startswith("MemAvailable:")]
    except (OSError, ValueError, IndexError):
        pass
    try:  # NOTE: in a container, the cgroup's limit is what counts, not the machine's memory
        with open("/sys/fs/cgroup/memory.max", encoding="ascii") as f, \
                open("/sys/fs/cgroup/memory.current", encoding="ascii") as g:
            found.append(int(f.read()) - int(g.read()))  # "max" (no limit) fails int(): skipped
    except (OSError, ValueError):
        pass
    if not found and hasattr(os, "sysconf"):
        try:
            found.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (ValueError, OSError):
            pass
    return min(found) if found else None


def _bytes(n):
    """1.6e11 -> '149 GiB'."""
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:,.0f} {unit}" if unit in ("bytes", "TiB") else f"{n:.3g} {unit}"
        n /= 1024
