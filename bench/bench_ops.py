"""Per-op overhead: a chain of N links y = tanh(y*0.9 + 0.1) on 16 float32, forward + backward.

Three ops per link. Reports µs per op for minigrad, PyTorch eager (when
installed), a plain NumPy forward loop and a *bare graph* (below), in one
process, single threaded, with medians of paired rounds (their order turns
each round, so that none always runs right after another), and the ratios
minigrad / PyTorch and bare graph / PyTorch.

The bare graph is the floor of minigrad's design, written out below: a
Tensor that holds its node, a node that holds its inputs (a tuple, None for a
constant), the same ``apply``, iterative toposort and chain rule, and nothing
else: no shape or count checks, no ``detect_anomaly``, no memory guard, no
un-broadcasting. The gap between it and minigrad is what those cost. (Its
bodies give homework exercises away, so a student copy withholds them and
the table leaves it out.)

Targets (DESIGN.md): minigrad <= 0.7x PyTorch's µs per op at 1,000 links,
<= 1.0x at 30,000.

``--no-guard`` also times minigrad with ``memory_guard.protect`` replaced
by a no-op (saved arrays stay writable, so raw writes go unseen): a
diagnostic that shows what the guard costs, not a way to run minigrad.

``--no-gc`` pauses CPython's cyclic garbage collector inside every timed run
(of every contender alike): a diagnostic, not the figure to report. It
shows how much of the growth with depth is the collector re-scanning the live
graph and the rest of the process's heap (some 170,000 objects once torch is
imported; a full collection of them takes 0.1-0.3 s on the 2-core machines
here). minigrad's graph is Python objects, three that the collector tracks
per op (the result Tensor, its node, the node's tuple of inputs): a chain of
30,000 links sets off several full collections, PyTorch's C++ graph none.

    python bench/bench_ops.py [--rounds 15] [--depths 1000,30000] [--no-guard] [--no-gc]
"""

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import gc  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import minigrad as mg  # noqa: E402

OPS_PER_LINK = 3


def run_minigrad(n, x0):
    x = mg.Tensor(x0, requires_grad=True)
    y = x
    for _ in range(n):
        y = (y * 0.9 + 0.1).tanh()
    y.sum().backward()
    return x.grad


def run_minigrad_unguarded(n, x0):
    guard = mg.memory_guard.protect
    mg.memory_guard.protect = lambda node, arrays, result, params=None: None
    try:
        return run_minigrad(n, x0)
    finally:
        mg.memory_guard.protect = guard


class _BareTensor:
    """The bare graph's tensor: its data, its gradient, and the node that made it."""

    __slots__ = ("data", "grad", "node", "requires_grad")

    def __init__(self, data, node=None, requires_grad=False):
        self.data, self.grad, self.node, self.requires_grad = data, None, node, requires_grad

    def __mul__(self, other): return _BareMul.apply(self, other)
    def __add__(self, other): return _BareAdd.apply(self, other)
    def sum(self): return _BareSum.apply(self)
    def tanh(self): return _BareTanh.apply(self)

    def backward(self):
        # BEGIN SPOILER function.toposort function.backward_pass
        order, seen, stack = [], set(), [(self.node, False)]
        while stack:  # minigrad.function.toposort
            node, inputs_done = stack.pop()
            if inputs_done:
                order.append(node)
            elif node not in seen:
                seen.add(node)
                stack.append((node, True))
                for x in node.inputs:
                    if x is not None and x.node is not None:
                        stack.append((x.node, False))
        grads = {self.node: np.ones_like(self.data)}
        for node in reversed(order):  # the chain rule, as in minigrad.function.backward_pass
            grads_in = node.backward(grads.pop(node))
            for x, gx in zip(node.inputs, grads_in if isinstance(grads_in, tuple) else (grads_in,)):
                if x is None or gx is None:
                    continue
                if x.node is None:
                    x.grad = gx.copy() if x.grad is None else x.grad + gx
                else:
                    grads[x.node] = grads[x.node] + gx if x.node in grads else gx
            vars(node).clear()
        # END SPOILER


class _BareOp:
    """A bare node: ``inputs`` (a Tensor, or None for a constant) and what forward saved."""

    @classmethod
    def apply(cls, *inputs):
        # BEGIN SPOILER function.apply
        arrays, links = [], []  # each input's array, and the input if it needs a gradient
        for x in inputs:
            if isinstance(x, _BareTensor):
                arrays.append(x.data)
                links.append(x if x.requires_grad else None)
            else:
                arrays.append(x)
                links.append(None)
        node = cls()
        out = _BareTensor(node.forward(*arrays))
        if any(links):
            node.inputs = tuple(links)
            out.node, out.requires_grad = node, True
        return out
        # END SPOILER


class _BareMul(_BareOp):
    def forward(self, x, y):
        self.x, self.y = x, y
        return x * y

    def backward(self, g):
        # BEGIN SPOILER ops.mul_backward
        return g * self.y, (g * self.x if self.inputs[1] is not None else None)
        # END SPOILER


class _BareAdd(_BareOp):
    def forward(self, x, y):
        return x + y

    def backward(self, g):
        return g, g


class _BareSum(_BareOp):
    def forward(self, x):
        self.shape = x.shape
        return x.sum()

    def backward(self, g):
        return np.broadcast_to(g, self.shape)


class _BareTanh(_BareOp):
    def forward(self, x):
        self.y = np.tanh(x)
        return self.y

    def backward(self, g):
        # BEGIN SPOILER ops.tanh_backward
        return g * (1 - self.y * self.y)
        # END SPOILER


def run_bare(n, x0):
    x = _BareTensor(x0, requires_grad=True)
    y = x
    for _ in range(n):
        y = (y * 0.9 + 0.1).tanh()
    y.sum().backward()
    return x.grad


def run_torch(n, x0):
    import torch
    x = torch.tensor(x0, requires_grad=True)
    y = x
    for _ in range(n):
        y = torch.tanh(y * 0.9 + 0.1)
    y.sum().backward()
    return x.grad.numpy()


def run_numpy(n, x0):
    y = x0
    for _ in range(n):
        y = np.tanh(y * 0.9 + 0.1)
    return y


def timed(fn, *args, no_gc=False):
    gc_was_on = gc.isenabled()
    if no_gc:
        gc.disable()
    try:
        t = time.perf_counter()
        fn(*args)
        return time.perf_counter() - t
    finally:
        if gc_was_on:
            gc.enable()


def main(argv=None):
    """Print the per-op table."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--depths", default="1000,30000")
    ap.add_argument("--no-guard", action="store_true",
                    help="also time minigrad without its memory guard (diagnostic)")
    ap.add_argument("--no-gc", action="store_true",
                    help="pause the cyclic garbage collector inside each timed run (diagnostic)")
    args = ap.parse_args(argv)
    try:
        import torch
        torch.set_num_threads(1)
    except ImportError:
        torch = None
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 200000))  # torch's own graph teardown
    x0 = np.random.default_rng(0).standard_normal(16).astype(np.float32)
    print(f"chain of y = tanh(y*0.9 + 0.1), 16 float32, fwd+bwd, {OPS_PER_LINK} ops/link, "
          f"median of {args.rounds} paired rounds" + (", cyclic GC paused while timing" if args.no_gc else ""))
    print(f"objects tracked by the garbage collector before the runs: {len(gc.get_objects()):,}")
    runs = {"minigrad": run_minigrad, "bare graph": run_bare, "numpy fwd": run_numpy}
    try:
        run_bare(2, x0)
    except NotImplementedError:  # a homework student copy withholds it: it gives exercises away
        print("bare graph: withheld from this student copy (it gives the engine exercises away)")
        del runs["bare graph"]
    if args.no_guard:
        runs["unguarded"] = run_minigrad_unguarded
    if torch is not None:
        runs["torch"] = run_torch
    graphs = [name for name in runs if name not in ("numpy fwd", "torch")]
    print("µs per op" + (", and each graph's time / PyTorch's (median of the rounds' ratios)" if torch else ""))
    print(f"{'N':>7} " + " ".join(f"{name:>11}" for name in runs)
          + ("".join(f" {name + '/torch':>17}" for name in graphs) if torch else ""))
    for n in map(int, args.depths.split(",")):
        expected = run_minigrad(50, x0)
        for name in graphs[1:] + (["torch"] if torch else []):
            np.testing.assert_allclose(runs[name](50, x0), expected, rtol=1e-5, err_msg=name)
        rows = {name: [] for name in runs}
        order = list(runs.items())
        for r in range(args.rounds):
            for name, run in order[r % len(order):] + order[:r % len(order)]:  # the order turns each round
                rows[name].append(timed(run, n, x0, no_gc=args.no_gc))
        us = {k: statistics.median(v) / (n * OPS_PER_LINK) * 1e6 for k, v in rows.items()}
        line = f"{n:>7} " + " ".join(f"{us[name]:11.2f}" for name in runs)
        if torch is not None:
            line += "".join(f" {statistics.median(a / b for a, b in zip(rows[name], rows['torch'])):17.2f}"
                            for name in graphs)
        print(line)
    if torch is not None:
        print("targets: minigrad <= 0.7x PyTorch at N = 1,000, <= 1.0x at N = 30,000")


if __name__ == "__main__":
    main()
