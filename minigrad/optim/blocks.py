"""A large parameter updated in blocks: the same ``_update`` on consecutive slices that fit in cache.

An elementwise rule gives each element the same operations whether it runs on
the whole parameter or on a slice of it, so running ``_update`` block by block
changes no number. What changes is memory: Adam's formula, written as its Math
block, makes about eight temporary arrays the size of what it is given. On a
1M-element parameter each is 4 MB, which the C library may hand out as fresh
pages at every step (a page fault per 4 KiB) and which streams through main
memory; on a block they are smaller arrays that are reused, closer to the CPU.

``Optimizer.step`` calls :func:`update_in_blocks` for a parameter of more than
``BLOCK`` elements when the rule is elementwise (all but SWATS).

Workload and measured gain (``bench/bench_optim.py``: one step on 10 × 1M
float32, single thread, this 2-core machine; medians, as ratios to PyTorch's
default step in the same run):

- blocks off, a run where the C library gave the temporaries back to the
  system after each step (37,000 page faults per Adam step): Adam 3.90x,
  AMSGrad 3.78x, RAdam 1.03x, SGD 1.54x, Adagrad 1.24x, RMSProp 1.33x;
  the same code with the C library told to keep its memory
  (``MALLOC_TRIM_THRESHOLD_``, a diagnostic): Adam 1.51x, AMSGrad 1.52x,
  RAdam 1.08x, SGD 1.26x.
- blocks on (``BLOCK`` = 262,144): Adam 1.17x, AMSGrad 1.02x, RAdam 0.83x,
  SGD 1.44x, SGDM 1.18x, Adagrad 1.10x, RMSProp 1.22x, no page faults.
  Blocks of 16,384 and 65,536 elements were slower (SGD 2.3x and 2.0x): the
  Python call per block then costs more than the memory it saves.
"""

import numpy as np

__all__ = ["update_in_blocks", "BLOCK"]

BLOCK = 262144  # elements: 1 MiB of float32 (chosen by bench_optim: 16,384 and 65,536 cost more calls than they save)


def update_in_blocks(optimizer, theta, g, state, group):
    """``optimizer._update(theta, g, state, group)``, run on consecutive blocks of ``BLOCK`` elements.

    Math::

        for each block b:  _update(θ[b], g[b], {m[b], v[b], …, t}, group)
        t ← t + 1 once     (every block starts from the same t)

    Each block's state holds views into the parameter's own state arrays, so
    the state is updated in place; an array the rule adds on its first step
    (AMSGrad's ``v_max``) is made whole and filled block by block. An array
    that is not contiguous (a strided view) has no flat view: the rule then
    runs on the whole parameter at once.
    """
    arrays = {k: v for k, v in state.items() if isinstance(v, np.ndarray)}
    if not all(a.flags.c_contiguous for a in (theta, g, *arrays.values())):
        optimizer._update(theta, g, state, group)
        return
    flat = {k: v.reshape(-1) for k, v in arrays.items()}
    theta_flat, g_flat = theta.reshape(-1), g.reshape(-1)
    scalars = {k: v for k, v in state.items() if k not in arrays}
    for start in range(0, theta.size, BLOCK):
        block = slice(start, start + BLOCK)
        views = {k: v[block] for k, v in flat.items()}
        sub = {**scalars, **views}
        optimizer._update(theta_flat[block], g_flat[block], sub, group)
        for k, v in sub.items():
            if not isinstance(v, np.ndarray) or v is views.get(k):
                continue
            if k not in flat:  # made by the rule on its first step (AMSGrad's v_max)
                state[k] = np.zeros_like(theta)
                flat[k] = state[k].reshape(-1)
            flat[k][block] = v.reshape(-1)  # a new array the rule put in place of the view
    state.update({k: sub[k] for k in scalars})  # the step count, moved once
