"""The catalogue of typical wrong answers: for each exercise, what students most often do.

Each :class:`Mistake` names one misconception of one exercise, with a hint
that says what the student probably did, as a question, without giving the
answer. A targeted test of the exercise looks for that mistake's symptom
(Adam's first step about 3η instead of η, a gradient half the expected value
where a tensor is used twice) and fails with :func:`message`::

    likely mistake [adam-no-bias-correction]: the first step is not about η·sign(g): ...

The grader finds ``likely mistake [<slug>]`` in a failed test's message and
shows the hint next to the exercise in its table
(:meth:`~minigrad.homework.GradeReport.table`). The meta-tests plant each
catalogued wrong answer in a student copy and check that it is caught with
its own message.
"""

import re
from dataclasses import dataclass

__all__ = ["Mistake", "MISTAKES", "message", "mistakes_in"]


@dataclass(frozen=True)
class Mistake:
    """One catalogued wrong answer of one exercise.

    Attributes
    ----------
    slug : str
        A short name, unique in the catalogue, e.g. ``"adam-no-bias-correction"``.
    exercise : str
        The exercise id, e.g. ``"optim.adam_update"``.
    hint : str
        One sentence for the student: the symptom, and what they probably did.
    """

    slug: str
    exercise: str
    hint: str

    def __str__(self):
        return f"likely mistake [{self.slug}]: {self.hint}"


#: Every catalogued mistake, in curriculum order of the exercises.
MISTAKES = (
    # ---- level 1: one rule
    Mistake("exp-no-upstream", "ops.exp_backward",
            "the gradient does not scale with the upstream gradient g: is the local derivative "
            "multiplied by g (the chain rule)?"),
    Mistake("log-times-x", "ops.log_backward",
            "the gradient grows with x, where the derivative of log x shrinks like 1/x: "
            "is g multiplied by x instead of divided?"),
    Mistake("tanh-no-square", "ops.tanh_backward",
            "the gradient is not even in x (tanh' is: tanh'(−x) = tanh'(x)): is y squared in 1 − y²?"),
    Mistake("mul-swapped", "ops.mul_backward",
            "the gradients of x and y look swapped: the derivative of x·y by one factor is the other factor"),
    Mistake("sgd-uphill", "optim.sgd_update",
            "θ moved along the gradient, uphill: is the step η·g added instead of subtracted?"),
    Mistake("step-writes-grad", "optim.sgd_update",
            "step() changed p.grad: the update wrote into g (the parameter's .grad); scale a new "
            "array, never g in place"),
    Mistake("sgdm-uphill", "optim.sgdm_update",
            "the first step went uphill: is a sign flipped? The lecture's v already points downhill "
            "and is added to θ; PyTorch's buffer b points uphill and is subtracted: do not mix the two"),
    Mistake("sgdm-momentum-sign", "optim.sgdm_update",
            "under a constant gradient the second step was shorter than the first: the remembered "
            "velocity slows the step down; is the sign of λ·v flipped?"),
    Mistake("sgdm-velocity-forgotten", "optim.sgdm_update",
            "each step is plain SGD: the velocity did not carry over to the next step; is the new v "
            "stored in the state (in place, or assigned to state[\"v\"])?"),
    Mistake("adagrad-eps-inside-root", "optim.adagrad_update",
            "a tiny gradient took a tiny first step, where Adagrad's first step is about η·sign(g) "
            "at any scale: is ε added inside the square root instead of outside (√s + ε)?"),
    Mistake("adagrad-no-sum", "optim.adagrad_update",
            "the step did not shrink when the same gradient came again: does s keep the sum of all "
            "g² so far, or only the latest one?"),
    # ---- level 2: a few lines
    Mistake("rmsprop-started-at-zero", "optim.rmsprop_update",
            "the first step is about η·sign(g)/√(1 − α), not η·sign(g): with init=\"first_grad\" "
            "(the default) v starts at g₁², not at 0"),
    Mistake("rmsprop-ignores-init", "optim.rmsprop_update",
            "with init=\"zeros\" the first step must be about η·sign(g)/√(1 − α): there v starts "
            "at 0 and follows the moving average from the first step; is init read from the group?"),
    Mistake("rmsprop-t-off-by-one", "optim.rmsprop_update",
            "v was set to g² at another step than the first: t counts the steps taken, this one "
            "included, so it is 1 during the first step; is t advanced before it is compared?"),
    Mistake("rmsprop-first-step-by-v", "optim.rmsprop_update",
            "the first step was told by v = 0, not by t: after a first gradient of 0 the next step "
            "must average; advance t ← t + 1 every step and set v ← g² only at t = 1"),
    Mistake("moments-not-in-place", "optim.adam_moments",
            "m and v did not change: update_moments returns nothing, so it must change the arrays "
            "m and v in place, not bind new arrays to the names m and v"),
    Mistake("moments-weights-swapped", "optim.adam_moments",
            "the new gradient got the weight β and the memory 1 − β: which factor goes with the "
            "past average?"),
    Mistake("adam-no-bias-correction", "optim.adam_update",
            "the first step is not about η·sign(g): are m and v divided by their bias corrections "
            "1 − β1^t and 1 − β2^t?"),
    Mistake("adam-t-off-by-one", "optim.adam_update",
            "t is not the number of steps taken, this one included (1 during the first step): is t "
            "advanced once per step, before the bias correction?"),
    Mistake("adam-ignores-second-moment", "optim.adam_update",
            "a subclass's second moment was ignored: Adam must read v through "
            "self._second_moment(state), which AMSGrad overrides"),
    Mistake("amsgrad-max-not-kept", "optim.amsgrad_second_moment",
            "state[\"v_max\"] stayed 0 while the steps divided by v, as Adam's do: the maximum was "
            "taken but not kept; is it written into state[\"v_max\"] (in place, or assigned back)?"),
    Mistake("amsgrad-max-is-minimum", "optim.amsgrad_second_moment",
            "state[\"v_max\"] stayed 0, so the step divided by ε alone (about η·m̂/ε, far beyond η): "
            "v_max starts at 0 and must keep the larger of v_max and v; is the smaller kept?"),
    Mistake("amsgrad-max-not-elementwise", "optim.amsgrad_second_moment",
            "v_max must be a maximum coordinate by coordinate, an array of v's shape: Python's max "
            "compares whole arrays and np.max reduces one array; which NumPy function compares two "
            "arrays element by element?"),
    Mistake("sum-axis-not-restored", "ops.sum_backward",
            "a sum over an axis without keepdims failed or spread g the wrong way: put the summed "
            "axis back (size 1) before broadcasting g to x's shape"),
    Mistake("softmax-no-sum-term", "ops.softmax_backward",
            "a constant upstream gradient gave a non-zero gradient: every output of a row depends "
            "on every input of the row; is the Σ (g·y) term over the axis missing?"),
    Mistake("log-softmax-no-sum", "ops.log_softmax_backward",
            "the correction term used g elementwise: it needs the sum of g over the softmax axis, "
            "since every output depends on every input of the row"),
    Mistake("log-softmax-y-as-p", "ops.log_softmax_backward",
            "self.y holds log-probabilities, not probabilities: softmax(x) is e^y"),
    Mistake("minibatches-last-batch-lost", "optim.minibatches",
            "the last, smaller batch is missing: without drop_last every example is in one batch "
            "each epoch"),
    Mistake("minibatches-checks-late", "optim.minibatches",
            "a bad batch_size raised only when the batches were read, not at the call: a function "
            "that yields is a generator, whose body starts at the first next(); check, then return "
            "a generator"),
    Mistake("parameters-without-prefix", "nn.module_parameters",
            "nested parameters must be named with their path, 'first.inner.weight' as in PyTorch: "
            "is the prefix passed down to the children?"),
    Mistake("parameters-in-member-order", "nn.module_parameters",
            "a child's parameters came before some of the module's own: all of a module's own "
            "Parameters come first, in assignment order, then each child's"),
    # ---- level 3: the engine
    Mistake("unbroadcast-size1-axes", "function.unbroadcast",
            "an axis of size 1 that broadcasting stretched, as (4, 1, 3) to (4, 2, 3), was not "
            "summed back"),
    Mistake("unbroadcast-drops-axis", "function.unbroadcast",
            "the result lost an axis of size 1: a stretched axis is summed back to size 1, kept "
            "(keepdims=True)"),
    Mistake("apply-records-always", "function.apply",
            "a node was recorded although no input needs a gradient, or under no_grad: record only "
            "when grad mode is on and some Tensor input requires grad"),
    Mistake("apply-passes-tensors", "function.apply",
            "forward received Tensors: it must get each input's .data array (ops see only ndarrays)"),
    Mistake("toposort-recursion", "function.toposort",
            "toposort recursed once per node (RecursionError on a 100,000-op chain): walk the graph "
            "with an explicit stack, a list"),
    Mistake("toposort-preorder", "function.toposort",
            "a node came before a node that makes one of its inputs: a node may join the order only "
            "after every node it depends on has"),
    Mistake("toposort-seen-on-push", "function.toposort",
            "a node used by two others came after one of them: it was already counted as visited "
            "while it still waited on the stack, so its other user did not wait for it; when is a "
            "node visited, and when is it done?"),
    Mistake("backward-overwrites", "function.backward_pass",
            "the gradient of a tensor used by several nodes is only one user's contribution: are "
            "contributions added, not assigned?"),
    Mistake("backward-adds-in-place", "function.backward_pass",
            "a gradient changed after it was sent: Add hands one array to both inputs, so += into "
            "one input's sum changes the other's too; add out of place (a + b)"),
    Mistake("backward-no-unbroadcast", "function.backward_pass",
            "a gradient kept the broadcast shape of the result: each input's gradient must be "
            "un-broadcast to that input's shape"),
    Mistake("backward-unbroadcast-kept-only", "function.backward_pass",
            "the node that made an input got that input's gradient in the broadcast shape of the "
            "result, though keep got it un-broadcast: what goes on to the next node must be fitted "
            "to the input's shape as well"),
    Mistake("backward-constant-input", "function.backward_pass",
            "a gradient was sent to a constant input ('NoneType' has no attribute ...): an op hands "
            "every input a gradient, but node.inputs holds None where an input needs none; skip it"),
    Mistake("backward-wrong-order", "function.backward_pass",
            "a node's backward ran before all its users had sent it their gradients: go through the "
            "order from the root down"),
    Mistake("matmul-transpose", "ops.matmul_backward",
            "the 2-D gradients have the wrong values or shapes: which factor is transposed, and on "
            "which side of g does it stand?"),
    Mistake("matmul-1d", "ops.matmul_backward",
            "a 1-D operand failed: treat x of shape (k,) as a row (1, k) and y as a column (k, 1), "
            "then drop the added axis from the gradient"),
    Mistake("cross-entropy-mean-not-divided", "nn.cross_entropy_backward",
            "with reduction=\"mean\" the gradient is N times too large: the mean divides by the "
            "batch size N"),
    Mistake("cross-entropy-sign", "nn.cross_entropy_backward",
            "the gradient points the wrong way: raising the logit of the right class must lower "
            "the loss"),
    # ---- level 4: papers and second derivatives
    Mistake("radam-v-not-corrected", "optim.radam_update",
            "from the first rectified step on the steps are too large: is v bias-corrected "
            "(by 1 − β2^t) in the rectified step?"),
    Mistake("radam-early-adaptive", "optim.radam_update",
            "before ρ_t passes the threshold the step must be momentum alone, η·m̂, without the "
            "division by √v̂"),
    Mistake("radam-threshold-fixed", "optim.radam_update",
            "the rectified steps started at another step than ρ_t > threshold says (t = 6 for the "
            "default 5, t = 5 for threshold=4): is the threshold read from group[\"threshold\"], "
            "not written as a number?"),
    Mistake("radam-eps-on-corrected-root", "optim.radam_update",
            "ε was added to the bias-corrected root √v̂: the docstring adds it to the uncorrected √v "
            "and multiplies by √(1 − β2^t) instead, which weighs ε 1/√(1 − β2^t) times more"),
    Mistake("swats-sgd-no-damping", "optim.swats_update",
            "after the switch the steps are 1/(1 − β1) times too large: the SGD phase's step is "
            "damped by (1 − β1)"),
    Mistake("swats-no-bias-correction", "optim.swats_update",
            "the first Adam-phase step is not η·sign(g): is p bias-corrected with "
            "√(1 − β2^t)/(1 − β1^t)?"),
    Mistake("swats-eps-on-corrected-root", "optim.swats_update",
            "ε was added to the bias-corrected root √â: the docstring adds it to the uncorrected √a "
            "and puts √(1 − β2^t) in p's factor instead, which weighs ε 1/√(1 − β2^t) times more"),
    Mistake("swats-dots-not-summed", "optim.swats_update",
            "with two parameters Λ was that of one parameter alone: p·p and p·g of the switch test "
            "sum over all the parameters of a step; is each one's share added, or does each "
            "overwrite the last?"),
    Mistake("hvp-no-create-graph", "higher_order.hvp",
            "the first gradient was not recorded, so it cannot be differentiated again: ask grad "
            "for a graph of the gradient (create_graph=True) the first time"),
)

_BY_SLUG = {m.slug: m for m in MISTAKES}
_NAMED = re.compile(r"likely mistake \[([a-z0-9-]+)\]")


def message(slug):
    """The failure message of a targeted test that saw mistake ``slug``: ``"likely mistake [slug]: hint"``.

    Raises
    ------
    KeyError
        ``slug`` is not in the catalogue (the message lists the known ones).

    Examples
    --------
    >>> from minigrad.homework.catalogue import message
    >>> message("sgd-uphill")
    'likely mistake [sgd-uphill]: θ moved along the gradient, uphill: is the step η·g added instead of subtracted?'
    """
    if slug not in _BY_SLUG:
        raise KeyError(f"no mistake {slug!r} in the catalogue; known: {', '.join(_BY_SLUG)}")
    return str(_BY_SLUG[slug])


def mistakes_in(text):
    """The catalogued mistakes that a failure message names (``likely mistake [slug]``), in order.

    Examples
    --------
    >>> from minigrad.homework.catalogue import mistakes_in
    >>> [m.exercise for m in mistakes_in("AssertionError: likely mistake [adam-t-off-by-one]: t is ...")]
    ['optim.adam_update']
    """
    return [_BY_SLUG[slug] for slug in _NAMED.findall(text) if slug in _BY_SLUG]
