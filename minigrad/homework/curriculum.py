"""The curriculum: every exercise of minigrad's source, in the order a student should solve them.

The exercises go from easy to hard, in four levels. Within a level they are
ordered by how much the student must hold in mind at once. The one rule
the order must keep: **an exercise's tests use only the exercises before
it**, so a student who works top to bottom never meets a test that fails
because of an exercise not reached yet. (The meta-tests check it: a copy
with only one exercise stripped must pass every test of the exercises
before it.) That is why the op derivatives come first: their tests call
``forward`` and ``backward`` of one node directly, as the engine would,
and need no engine; the engine's tests need no op derivative.
"""

__all__ = ["LEVELS", "EXERCISES"]

#: The curriculum in four levels, easiest first: (name, what the level asks, exercise ids).
LEVELS = (
    ("one rule", "a rule read off the docstring: a derivative, a plain or a remembered step", (
        "ops.exp_backward", "ops.log_backward", "ops.tanh_backward", "ops.mul_backward",
        "optim.sgd_update", "optim.sgdm_update", "optim.adagrad_update",
    )),
    ("a few lines", "state that carries over, an axis to sum over, a walk over a tree", (
        "optim.rmsprop_update", "optim.adam_moments", "optim.adam_update", "optim.amsgrad_second_moment",
        "ops.sum_backward", "ops.softmax_backward", "ops.log_softmax_backward",
        "optim.minibatches", "nn.module_parameters",
    )),
    ("the engine", "broadcasting undone, the graph recorded, sorted and walked backward; shapes in batches", (
        "function.unbroadcast", "function.apply", "function.toposort", "function.backward_pass",
        "ops.matmul_backward", "nn.cross_entropy_backward",
    )),
    ("papers and second derivatives", "an algorithm from a paper's pseudo-code; gradients of gradients", (
        "optim.radam_update", "optim.swats_update", "higher_order.hvp",
    )),
)

#: Every exercise id, in the order a student should solve them (the levels, joined).
EXERCISES = tuple(ex_id for _, _, ids in LEVELS for ex_id in ids)


def _order(ids):
    """Curriculum order: ids of :data:`EXERCISES` first, in its order, then the rest as found."""
    rank = {ex_id: i for i, ex_id in enumerate(EXERCISES)}
    return sorted(ids, key=lambda ex_id: rank.get(ex_id, len(rank)))  # stable for the rest
