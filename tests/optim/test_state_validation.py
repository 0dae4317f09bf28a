"""Optimizer state is checked where it enters: ``load_state_dict`` and every ``step()`` (issue 29).

A state dict comes from a file a user was sent; ``param_groups`` may be edited by
hand between steps. Either way a bad value must be refused with a message that
names it (the constructor's message, for a hyper-parameter), before anything
changes, instead of loading as something else (t = 2.7 as 2) or failing later
(t = -1 or betas = (1, 1) dividing by zero in ``step()``).
"""

import math

import numpy as np
import pytest

from minigrad import optim
from minigrad.nn import Parameter

ALL = [optim.SGD, optim.SGDM, optim.Adagrad, optim.RMSProp, optim.Adam, optim.AMSGrad, optim.RAdam,
       optim.SWATS]
WITH_T = [optim.RMSProp, optim.Adam, optim.AMSGrad, optim.RAdam, optim.SWATS]
SECOND_MOMENTS = [(optim.Adagrad, "s"), (optim.RMSProp, "v"), (optim.Adam, "v"), (optim.AMSGrad, "v"),
                  (optim.AMSGrad, "v_max"), (optim.RAdam, "v"), (optim.SWATS, "a")]


def stepped(cls, dtype=np.float64, steps=2, **kwargs):
    """An optimizer of ``cls`` on two parameters after ``steps`` steps, and its parameters."""
    params = [Parameter(np.array([1.0, -2.0], dtype)), Parameter(np.array([[0.5]], dtype))]
    opt = cls(params, **kwargs)
    for _ in range(steps):
        for p in params:
            p.grad = (2 * p.data + 1).astype(dtype)
        opt.step()
    return opt, params


def fresh_like(cls, dtype=np.float64, **kwargs):
    params = [Parameter(np.array([1.0, -2.0], dtype)), Parameter(np.array([[0.5]], dtype))]
    return cls(params, **kwargs), params


def snapshot(opt, params):
    return ([p.data.copy() for p in params],
            [{k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in opt.state[p].items()}
             for p in params if p in opt.state],
            [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups])


def assert_unchanged(before, after):
    for a, b in zip(before[0], after[0]):
        np.testing.assert_array_equal(a, b)
    assert len(before[1]) == len(after[1])
    for s, t in zip(before[1], after[1]):
        assert s.keys() == t.keys()
        for k in s:
            np.testing.assert_array_equal(s[k], t[k])
    assert before[2] == after[2]


# ---------------------------------------------------------------- step counts at load

@pytest.mark.parametrize("cls", WITH_T, ids=lambda c: c.__name__)
@pytest.mark.parametrize("t, match", [
    (2.7, r"state 't' of parameter 0 must be an integer step count, got 2.7 \(float\)"),
    (3.0, r"must be an integer step count, got 3.0 \(float\)"),
    (-1, r"state 't' of parameter 0 must be in \[0, 2\*\*63\), got -1"),
    (2 ** 63, r"must be in \[0, 2\*\*63\)"),
    (True, r"must be an integer step count, got True \(bool\)"),
    ("3", r"must be an integer step count, got '3' \(str\)"),
    (None, r"must be an integer step count, got None"),
    (np.array([1, 2]), r"must be an integer step count, got array"),
], ids=["2.7", "3.0", "-1", "2**63", "True", "str", "None", "array"])
def test_bad_step_count_is_refused_at_load(cls, t, match):
    saved = stepped(cls)[0].state_dict()
    saved["state"][0]["t"] = t
    opt, params = fresh_like(cls)
    before = snapshot(opt, params)
    with pytest.raises(ValueError, match=match):
        opt.load_state_dict(saved)
    assert_unchanged(before, snapshot(opt, params))
    assert opt.state == {}


@pytest.mark.parametrize("cls", WITH_T, ids=lambda c: c.__name__)
@pytest.mark.parametrize("t", [np.int64(2), np.array(2), np.uint8(2), 2], ids=["int64", "0-d", "uint8", "int"])
def test_integer_step_counts_of_any_integer_type_load_as_int(cls, t):
    opt, params = stepped(cls)
    saved = opt.state_dict()
    saved["state"][0]["t"] = t
    other, _ = fresh_like(cls)
    other.load_state_dict(saved)
    loaded_t = next(iter(other.state.values()))["t"]
    assert type(loaded_t) is int and loaded_t == 2


def test_t_minus_one_no_longer_divides_by_zero():
    saved = stepped(optim.Adam)[0].state_dict()
    saved["state"][0]["t"] = -1   # step() would compute 1 − β1^0 = 0 and divide by it
    with pytest.raises(ValueError, match="must be in"):
        fresh_like(optim.Adam)[0].load_state_dict(saved)


# ---------------------------------------------------------------- state arrays at load

@pytest.mark.parametrize("cls", [c for c in ALL if c is not optim.SGD], ids=lambda c: c.__name__)
def test_state_array_of_another_dtype_is_refused(cls):
    saved = stepped(cls, np.float64)[0].state_dict()
    opt, _ = fresh_like(cls, np.float32)
    with pytest.raises(ValueError, match=r"state '\w+' of parameter 0 has dtype float64, the parameter "
                                         r"has dtype float32"):
        opt.load_state_dict(saved)


@pytest.mark.parametrize("cls", [c for c in ALL if c is not optim.SGD], ids=lambda c: c.__name__)
@pytest.mark.parametrize("bad, match", [
    (lambda a: a.tolist(), "must be a NumPy array, got list"),
    (lambda a: None, "must be a NumPy array, got NoneType"),
    (lambda a: a.astype(np.int64), "has dtype int64"),
    (lambda a: a.astype(str), "has dtype <U"),
    (lambda a: a[..., None], r"has shape \(2, 1\), the parameter has shape \(2,\)"),
    (lambda a: np.full_like(a, np.nan), "holds NaN or inf"),
    (lambda a: np.full_like(a, -np.inf), "holds NaN or inf"),
], ids=["list", "None", "int", "str", "shape", "nan", "inf"])
def test_bad_state_arrays_are_refused(cls, bad, match):
    opt, _ = stepped(cls)
    saved = opt.state_dict()
    name = next(k for k, v in saved["state"][0].items() if isinstance(v, np.ndarray))
    saved["state"][0][name] = bad(saved["state"][0][name])
    fresh, params = fresh_like(cls)
    with pytest.raises(ValueError, match=match):
        fresh.load_state_dict(saved)
    assert fresh.state == {}


@pytest.mark.parametrize("cls, name", SECOND_MOMENTS, ids=[f"{c.__name__}-{n}" for c, n in SECOND_MOMENTS])
def test_negative_second_moment_is_refused(cls, name):
    saved = stepped(cls)[0].state_dict()
    saved["state"][0][name] = -1 - saved["state"][0][name]  # every element negative
    with pytest.raises(ValueError, match=f"state '{name}' of parameter 0 holds negative values; "
                                         f"it sums or averages g²"):
        fresh_like(cls)[0].load_state_dict(saved)


def test_sgdm_velocity_may_be_negative():
    opt, _ = stepped(optim.SGDM)
    saved = opt.state_dict()
    assert (saved["state"][0]["v"] < 0).any()
    fresh_like(optim.SGDM)[0].load_state_dict(saved)


def test_big_endian_state_of_the_right_precision_loads():
    opt, _ = stepped(optim.Adam, np.float32)
    saved = opt.state_dict()
    saved["state"][0]["m"] = saved["state"][0]["m"].astype(">f4")
    other, params = fresh_like(optim.Adam, np.float32)
    other.load_state_dict(saved)
    assert other.state[params[0]]["m"].dtype == np.float32


# ---------------------------------------------------------------- structure at load

def _saved():
    return stepped(optim.Adam)[0].state_dict()


def _edit(change):
    """A state dict with ``change`` applied, made when the test runs (not at import: in a student
    copy, stepping Adam raises until its exercise is done, and collection must not fail)."""
    def make():
        saved = _saved()
        change(saved)
        return saved
    return make


STRUCTURE = [  # id, state dict, exception, message
    ("not-a-dict", [1, 2], TypeError, "load_state_dict takes a dict, as state_dict\\(\\) gives, got list"),
    ("groups-not-a-list", _edit(lambda s: s.update(param_groups=5)), ValueError,
     "param_groups must be a list, got int"),
    ("group-not-a-dict", _edit(lambda s: s.update(param_groups=[[0, 1]])), ValueError,
     "parameter group 0 of the state dict must be a dict, got list"),
    ("float-position", _edit(lambda s: s["param_groups"][0].update(params=[0, 1.5])), ValueError,
     "an entry of parameter group 0's params must be a parameter index \\(an int ≥ 0\\), got 1.5"),
    ("bool-position", _edit(lambda s: s["param_groups"][0].update(params=[0, True])), ValueError,
     "got True"),
    ("duplicate-position", _edit(lambda s: s["param_groups"][0].update(params=[0, 0])), ValueError,
     "parameter index 0 appears twice"),
    ("state-not-a-dict", _edit(lambda s: s.update(state=[1])), ValueError,
     "the state dict's 'state' must be a dict, got list"),
    ("float-state-key", _edit(lambda s: s.update(state={0.0: s["state"][0]})), ValueError,
     "a key of the state dict's 'state' must be a parameter index"),
    ("state-key-twice", _edit(lambda s: s["state"].update({"0": s["state"][0]})), ValueError,
     "state for parameter 0 twice"),
    ("param-state-not-a-dict", _edit(lambda s: s["state"].update({0: [1, 2]})), ValueError,
     "state of parameter 0 must be a dict, got list"),
    ("unexpected-int-entry", _edit(lambda s: s["state"][0].update({7: 1})), ValueError,
     r"unexpected entries \[7\]"),
    ("groups-dict-with-gap", _edit(lambda s: s.update(param_groups={"0": s["param_groups"][0], "2": {}})),
     ValueError, r"keys are not 0, 1, …, 1: \[0, 2\]"),
]


@pytest.mark.parametrize("name, saved, error, match", STRUCTURE, ids=[s[0] for s in STRUCTURE])
def test_malformed_state_dicts_are_refused(name, saved, error, match):
    saved = saved() if callable(saved) else saved
    opt, params = fresh_like(optim.Adam)
    with pytest.raises(error, match=match):
        opt.load_state_dict(saved)
    assert opt.state == {}


def test_string_keys_and_array_lists_still_load():
    # what a looser round trip gives: "0" keys, arrays for lists, 0-d arrays for numbers
    saved = _saved()
    loose = {"optimizer": np.array("Adam"),
             "state": {str(k): {n: (np.array(v) if n == "t" else v) for n, v in s.items()}
                       for k, s in saved["state"].items()},
             "param_groups": {"0": {k: (np.array(v) if k != "params" else np.array(v))
                                    for k, v in saved["param_groups"][0].items()}}}
    opt, params = fresh_like(optim.Adam)
    opt.load_state_dict(loose)
    assert opt.param_groups[0]["betas"] == saved["param_groups"][0]["betas"]
    assert opt.state[params[0]]["t"] == 2


# ---------------------------------------------------------------- hyper-parameters, at load and at step()

BAD = [  # optimizer, name, bad value (each gives the constructor's error)
    (optim.SGD, "lr", -0.1), (optim.SGD, "lr", float("nan")), (optim.SGD, "lr", "fast"),
    (optim.SGD, "lr", None), (optim.SGD, "weight_decay", -1),
    (optim.SGDM, "momentum", 1.0), (optim.SGDM, "momentum", True),
    (optim.Adagrad, "eps", -1e-10),
    (optim.RMSProp, "alpha", 1.0), (optim.RMSProp, "init", "ones"),
    (optim.Adam, "betas", (1, 1)), (optim.Adam, "betas", (0.9, 1.0)), (optim.Adam, "betas", (0.9,)),
    (optim.Adam, "betas", 0.9), (optim.Adam, "betas", ("a", 0.9)), (optim.Adam, "eps", float("inf")),
    (optim.Adam, "decoupled_weight_decay", "yes"),
    (optim.AMSGrad, "betas", (-0.1, 0.999)),
    (optim.RAdam, "threshold", 3), (optim.RAdam, "betas", (0.9, 1.5)),
    (optim.SWATS, "betas", (1, 1)), (optim.SWATS, "eps", -1.0),
]
BAD_IDS = [f"{c.__name__}-{n}={v!r}" for c, n, v in BAD]


def constructor_error(cls, name, value):
    """The exception the constructor raises for ``name=value``."""
    with pytest.raises((ValueError, TypeError)) as info:
        cls([Parameter(np.zeros(1))], **{name: value})
    return info.value


@pytest.mark.parametrize("cls, name, value", BAD, ids=BAD_IDS)
def test_bad_hyperparameter_set_later_is_refused_at_step_with_the_constructors_message(cls, name, value):
    expected = constructor_error(cls, name, value)
    opt, params = stepped(cls)
    opt.param_groups[0][name] = value
    for p in params:
        p.grad = np.ones_like(p.data)
    before = snapshot(opt, params)
    with pytest.raises(type(expected)) as info:
        opt.step()
    assert str(info.value) == str(expected)
    assert_unchanged(before, snapshot(opt, params))  # nothing was updated


@pytest.mark.parametrize("cls, name, value", BAD, ids=BAD_IDS)
def test_bad_hyperparameter_in_a_state_dict_is_refused_at_load_with_the_constructors_message(cls, name, value):
    expected = constructor_error(cls, name, value)
    saved = stepped(cls)[0].state_dict()
    saved["param_groups"][0][name] = value
    opt, params = fresh_like(cls)
    with pytest.raises(type(expected)) as info:
        opt.load_state_dict(saved)
    assert str(info.value) == str(expected)
    assert opt.state == {}


def test_betas_one_one_no_longer_divides_by_zero_at_step():
    opt, params = stepped(optim.Adam)
    opt.param_groups[0]["betas"] = (1, 1)
    with pytest.raises(ValueError, match=r"^betas\[0\] must be in \[0, 1\), got 1$"):
        opt.step()


def test_a_bad_second_group_stops_the_whole_step():
    a, b = Parameter(np.ones(2)), Parameter(np.ones(2))
    opt = optim.Adam([{"params": [a]}, {"params": [b]}], lr=0.1)
    opt.param_groups[1]["lr"] = -1.0
    a.grad, b.grad = np.ones(2), np.ones(2)
    with pytest.raises(ValueError, match=r"lr must be in \[0, inf\), got -1.0"):
        opt.step()
    np.testing.assert_array_equal(a.data, np.ones(2))  # group 0 was not stepped either
    assert opt.state == {}


def test_missing_or_unknown_hyperparameter_names_at_step():
    opt, params = stepped(optim.Adam)
    del opt.param_groups[0]["eps"]
    with pytest.raises(ValueError, match=r"parameter group 0 lacks the entries \['eps'\]"):
        opt.step()
    opt, params = stepped(optim.Adam)
    opt.param_groups[0]["momentum"] = 0.9  # a typo or SGD's name
    with pytest.raises(ValueError, match=r"unknown hyper-parameters \['momentum'\] in parameter group 0; "
                                         r"this optimizer takes \["):
        opt.step()
    opt, params = stepped(optim.SGD)
    del opt.param_groups[0]["params"]
    with pytest.raises(ValueError, match=r"parameter group 0 lacks the entries \['params'\]"):
        opt.step()
    opt, params = stepped(optim.SGD)
    opt.param_groups[0]["LR"] = opt.param_groups[0].pop("lr")  # renamed: same number of keys
    with pytest.raises(ValueError, match=r"unknown hyper-parameters \['LR'\]"):
        opt.step()


def test_good_values_set_later_are_used():
    # a schedule: NumPy scalars, ints and lists are fine too
    opt, params = stepped(optim.Adam)
    opt.param_groups[0]["lr"] = np.float32(0.01)
    opt.param_groups[0]["betas"] = [0.8, 0.99]
    opt.param_groups[0]["eps"] = 0
    for p in params:
        p.grad = np.ones_like(p.data)
    opt.step()
    assert all(np.isfinite(p.data).all() for p in params)


# ---------------------------------------------------------------- SWATS' optimizer-wide values

def _swats_switched():
    w = Parameter(np.ones(2))
    opt = optim.SWATS([w], lr=0.01)
    for _ in range(3):
        w.grad = np.array([0.3, -0.7])
        opt.step()
    assert opt.phase == "sgd"
    return opt.state_dict()


@pytest.mark.parametrize("change, match", [
    (dict(k=-1), r"SWATS state dict: k must be in \[0, 2\*\*63\), got -1"),
    (dict(k=2.5), "SWATS state dict: k must be an integer step count, got 2.5"),
    (dict(lambda_=float("nan")), "lambda_ must be a finite number, got nan"),
    (dict(lambda_="x"), "lambda_ must be a finite number, got 'x'"),
    (dict(switch_step=1), r"switch_step must be in \[2, k\] = \[2, 3\], got 1"),
    (dict(switch_step=4), r"switch_step must be in \[2, k\] = \[2, 3\], got 4"),
    (dict(switch_step=2.0), "switch_step must be an integer step count"),
    (dict(sgd_lr=-0.5), r"SWATS state dict: sgd_lr must be in \[0, inf\), got -0.5"),
    (dict(sgd_lr=float("inf")), r"sgd_lr must be in \[0, inf\), got inf"),
    (dict(phase="adam"), r"phase 'adam' \(not switched yet\) but \['switch_step', 'sgd_lr'\] given"),
])
def test_swats_globals_are_checked_at_load(change, match):
    saved = {**_swats_switched(), **change}
    opt = optim.SWATS([Parameter(np.ones(2))])
    with pytest.raises((ValueError, TypeError), match=match):
        opt.load_state_dict(saved)
    assert opt.phase == "adam" and opt.k == 0


def test_swats_switched_state_still_loads():
    saved = _swats_switched()
    opt = optim.SWATS([Parameter(np.ones(2))])
    opt.load_state_dict(saved)
    assert opt.phase == "sgd" and opt.switch_step == saved["switch_step"]
    assert math.isfinite(opt.sgd_lr)


# ---------------------------------------------------------------- corners an audit found

ALL = [optim.SGD, optim.SGDM, optim.Adagrad, optim.RMSProp, optim.Adam, optim.AMSGrad, optim.SWATS, optim.RAdam]


@pytest.mark.parametrize("make", [lambda a, b: optim.Adam({a, b}), lambda a, b: optim.Adam([{"params": {a, b}}]),
                                  lambda a, b: optim.SGD([a]).add_param_group({"params": frozenset([b])})],
                         ids=["params", "a group's params", "add_param_group"])
def test_a_set_of_parameters_is_refused_as_pytorch_does(make):
    """Before: accepted, and a state dict saved from one run loaded onto other parameters in the next."""
    with pytest.raises(TypeError, match="not a set: a set's order changes between runs"):
        make(Parameter([1.0, 1.0]), Parameter([5.0, 5.0]))


@pytest.mark.parametrize("make, words", [
    (lambda p: optim.SGD(p, 0.1, 0.9), r"SGD\(\): argument 3 given by position is weight_decay here, but momentum"),
    (lambda p: optim.SGDM(p, 0.1, 0.9, 1e-4), r"SGDM\(\): argument 4 .* weight_decay here, but dampening"),
    (lambda p: optim.Adagrad(p, 0.01, 0.0, 1e-4), r"Adagrad\(\): argument 3 .* eps here, but lr_decay"),
    (lambda p: optim.RMSProp(p, 0.01, 0.99, 1e-8, "zeros"), r"argument 5 .* init here, but weight_decay"),
    (lambda p: optim.RAdam(p, 1e-3, (0.9, 0.999), 1e-8, 0.01), r"argument 5 .* threshold here, but weight_decay"),
])
def test_a_value_given_where_pytorch_has_another_argument_is_refused(make, words):
    """Before: SGD(p, 0.1, 0.9), momentum 0.9 in PyTorch, ran as L2 weight decay 0.9."""
    with pytest.raises(TypeError, match=words):
        make([Parameter([1.0])])


def test_positions_that_agree_with_pytorch_still_work():
    p = [Parameter([1.0])]
    assert optim.SGDM(p, 0.1, 0.8).defaults["momentum"] == 0.8
    assert optim.Adam(p, 1e-3, (0.8, 0.9), 1e-6, 0.01).defaults["weight_decay"] == 0.01
    assert optim.RMSProp(p, 0.01, 0.99, 1e-6).defaults["eps"] == 1e-6
    assert optim.SWATS(p, 1e-3, (0.9, 0.999), 1e-9, 0.0).defaults["eps"] == 1e-9


@pytest.mark.parametrize("cls", [optim.Adagrad, optim.RMSProp, optim.Adam, optim.AMSGrad, optim.SWATS, optim.RAdam])
def test_an_eps_that_is_0_in_float16_is_refused(cls):
    """Before: Adam on float16 turned a coordinate with a zero gradient into 0/0 = NaN."""
    half = Parameter(np.array([1.0, 2.0], np.float16))
    with pytest.raises(ValueError, match=r"eps=1e-\d+ is 0 in float16 .* 0/0 = NaN"):
        cls([half])
    opt = cls([half], eps=1e-4)                                     # an eps float16 can hold
    half.grad = np.array([0.5, 0.0], np.float16)
    opt.step()
    assert np.isfinite(half.data).all() and half.data[1] == 2.0
    optim.SGD([Parameter(np.ones(2, np.float16))])                  # no eps: nothing to refuse


@pytest.mark.parametrize("cls", ALL)
@pytest.mark.parametrize("foreach", [False, None])
def test_a_bad_gradient_leaves_every_parameter_unchanged(cls, foreach):
    """Before: the parameters before it were updated, and SWATS kept their p·p and p·g for the next step."""
    kwargs = {} if cls is optim.SWATS else {"foreach": foreach}
    a, b = Parameter([1.0, 2.0]), Parameter([3.0])
    opt = cls([a, b], **kwargs)
    a.grad, b.grad = np.array([0.5, -0.5], np.float32), [0.1]
    with pytest.raises(TypeError, match="must be a NumPy array"):
        opt.step()
    assert a.data.tolist() == [1.0, 2.0] and opt.state.get(a, {}).get("t", 0) == 0
    if cls is optim.SWATS:
        assert opt._pp == opt._pg == 0.0


def test_a_saved_group_shares_no_list_with_the_live_optimizer():
    opt = optim.Adam([Parameter([1.0])])
    opt.add_param_group({"params": [Parameter([3.0])], "betas": [0.9, 0.999]})
    saved = opt.state_dict()
    saved["param_groups"][1]["betas"][0] = 0.0
    assert opt.param_groups[1]["betas"][0] == 0.9


def test_swats_names_the_optimizer_whose_state_it_is_given():
    """Before: it said "phase must be 'adam' or 'sgd', got None"."""
    adam = optim.Adam([Parameter([1.0])])
    with pytest.raises(ValueError, match="cannot load the state of optimizer 'Adam' into SWATS"):
        optim.SWATS([Parameter([1.0])]).load_state_dict(adam.state_dict())
