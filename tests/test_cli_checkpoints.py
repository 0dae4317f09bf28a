"""``python -m minigrad train --resume``: a checkpoint is untrusted input.

Every damaged or crafted checkpoint must end in exit status 2 and one line on
stderr that names what is wrong, never a traceback, and never a run on
nonsense (exit status 1 means "training diverged" and nothing else). A table
of crafted checkpoints names the field each one breaks; Hypothesis corrupts
a real checkpoint at random (truncation, byte flips, replaced or deleted
values, replaced archive members). ``main`` runs in this process for speed;
one test runs the command as a process. Also here: a model too large for the
memory is refused in one line before anything is allocated.
"""

import copy
import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minigrad as mg
from minigrad import __main__ as cli
from minigrad.cli import classifier, memory

ROOT = Path(__file__).resolve().parents[1]
PREFIX = "minigrad train: error: "


def run(capsys, *argv):
    """main(argv) in this process: (exit status, stdout, stderr); argparse's SystemExit caught."""
    try:
        code = cli.main(list(argv))
    except SystemExit as e:
        code = e.code
    out, err = capsys.readouterr()
    return code, out, err


class Saved:
    """A checkpoint file: ``raw`` its bytes, ``tree`` what it holds (a short repr for Hypothesis)."""

    def __init__(self, path):
        self.raw, self.tree = path.read_bytes(), mg.load(path)

    def __repr__(self):
        return "Saved(iris, Adam, 2 epochs)"


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A real checkpoint: iris, Adam, 2 epochs of 4 updates."""
    path = tmp_path_factory.mktemp("checkpoint") / "run.npz"
    assert cli.main(["train", "--data", "iris", "--epochs", "2", "--no-progress", "--save", str(path)]) == 0
    return Saved(path)


def resume(capsys, path, *extra):
    """Resume ``path`` for one more epoch: (exit status, stdout, stderr)."""
    return run(capsys, "train", "--resume", str(path), "--epochs", "3", "--no-progress", *extra)


def assert_refused(code, out, err, phrase):
    assert code == 2, (code, out, err)
    assert err.startswith(PREFIX) and err.endswith("\n") and err.count("\n") == 1, err
    assert "Traceback" not in err and out == ""
    assert phrase in err, err


def test_a_real_checkpoint_resumes(capsys, saved, tmp_path):
    path = tmp_path / "copy.npz"
    path.write_bytes(saved.raw)
    code, out, err = resume(capsys, path)
    assert code == 0 and err == "" and "resumed at epoch 2" in out and "epoch 3/3" in out


# ---------------------------------------------------------------- crafted checkpoints

def _set(*keys, value):
    """An edit that sets checkpoint[k1][k2]... = value."""
    def edit(ck):
        for key in keys[:-1]:
            ck = ck[key]
        ck[keys[-1]] = value
    return edit


def _drop(*keys):
    def edit(ck):
        for key in keys[:-1]:
            ck = ck[key]
        del ck[keys[-1]]
    return edit


def _nan_in(*keys):
    def edit(ck):
        for key in keys:
            ck = ck[key]
        ck.flat[0] = np.nan
    return edit


CRAFTED = [  # id, edit of the loaded checkpoint, words of the one line
    ("no-args", _drop("args"), "has no args"),
    ("no-epoch", _drop("epoch"), "has no epoch"),
    ("no-format", _drop("format"), "not a checkpoint written by `minigrad train --save`"),
    ("no-model", _drop("model"), "has no model"),
    ("no-history", _drop("history"), "has no history"),
    ("args-a-list", _set("args", value=[1, 2]), "args must be a dict with the settings"),
    ("args-without-lr", _drop("args", "lr"), "args must be a dict with the settings"),
    ("unknown-optimizer", _set("args", "optimizer", value="adamw"), "args.optimizer must be one of sgd"),
    ("unknown-data", _set("args", "data", value="mnist"), "args.data must be one of digits"),
    ("unknown-regime", _set("args", "regime", value="batch"), "args.regime must be one of online"),
    ("string-seed", _set("args", "seed", value="0"), "args.seed must be an integer >= 0, got '0'"),
    ("negative-seed", _set("args", "seed", value=-1), "args.seed must be an integer >= 0"),
    ("string-lr", _set("args", "lr", value="0.1"), "args.lr must be a number > 0 and finite"),
    ("nan-lr", _set("args", "lr", value=float("nan")), "args.lr must be a number > 0 and finite, got nan"),
    ("zero-batch", _set("args", "batch_size", value=0), "args.batch_size must be an integer >= 1"),
    ("float-epochs", _set("args", "epochs", value=2.5), "args.epochs must be an integer >= 1"),
    ("hidden-zero", _set("args", "hidden", value=[0]), "args.hidden must be an integer >= 1, got 0"),
    ("hidden-a-string", _set("args", "hidden", value="64"), "args.hidden must be a list of layer sizes"),
    ("hidden-huge", _set("args", "hidden", value=[100000, 100000]),
     "the MLP 4-100000-100000-3 (ReLU) of its settings has"),
    ("epoch-minus-5", _set("epoch", value=-5), "epoch must be an integer >= 1 and <= 2, got -5"),
    ("epoch-past-the-end", _set("epoch", value=8), "epoch must be an integer >= 1 and <= 2, got 8"),
    ("epoch-a-bool", _set("epoch", value=True), "epoch must be an integer >= 1 and <= 2, got True"),
    ("epoch-a-string", _set("epoch", value="2"), "epoch must be an integer"),
    ("history-a-list", _set("history", value=[0.5, 0.4]), "history must be a dict, got [0.5, 0.4]"),
    ("history-extra-list", _set("history", "extra", value=[]), "history must hold the lists step_loss"),
    ("history-string-loss", _set("history", "epoch_loss", value=["1.0", "0.9"]),
     "history.epoch_loss must be a list of numbers"),
    ("history-nan-loss", _set("history", "step_loss", value=[float("nan")] * 8),
     "history.step_loss must be a list of numbers"),
    ("history-int-beyond-int64", _set("history", "step_loss", value=[-2 ** 63 - 1] + [1.0] * 7),
     "history.step_loss must be a list of numbers"),
    ("history-int-beyond-float", _set("history", "step_loss", value=[10 ** 400] + [1.0] * 7),
     "history.step_loss must be a list of numbers"),
    ("history-accuracy-above-1", _set("history", "val_accuracy", value=[0.5, 1.5]),
     "history.val_accuracy must be a list of numbers in [0.0, 1.0]"),
    ("history-too-short", _set("history", "step_loss", value=[1.0] * 7),
     "history.step_loss holds 7 values; 2 epoch(s) of iris with these settings make 8"),
    ("model-a-list", _set("model", value=[1]), "model must be a dict"),
    ("model-missing-weight", _drop("model", "0.weight"), "model holds 0.bias, 2.weight, 2.bias; the MLP"),
    ("model-extra-array", _set("model", "extra", value=np.zeros(2, np.float32)), "model holds 0.weight"),
    ("model-wrong-shape", _set("model", "0.weight", value=np.zeros((3, 4), np.float32)),
     "model.0.weight must be an array of finite floats of shape (64, 4)"),
    ("model-a-string", _set("model", "2.bias", value="abc"), "model.2.bias must be an array of finite"),
    ("model-integers", _set("model", "0.bias", value=np.zeros(64, np.int64)), "got an array of int64"),
    ("model-nan", _nan_in("model", "0.weight"), "model.0.weight must be an array of finite floats"),
    ("optimizer-a-list", _set("optimizer", value=[1]), "optimizer must be a dict"),
    ("optimizer-nan-moment", _nan_in("optimizer", "state", 0, "m"), "optimizer.state.0.m must be finite"),
    ("optimizer-of-another-class", _set("optimizer", "optimizer", value="SGD"),
     "cannot load the state of optimizer 'SGD' into Adam"),
    ("optimizer-t-minus-1", _set("optimizer", "state", 0, "t", value=-1), "does not fit: optimizer: state 't'"),
    ("optimizer-t-2.7", _set("optimizer", "state", 0, "t", value=2.7), "does not fit: optimizer: state 't'"),
    ("optimizer-betas-1", _set("optimizer", "param_groups", 0, "betas", value=(1.0, 1.0)),
     "does not fit: optimizer: betas[0] must be in [0, 1), got 1.0"),
    ("optimizer-moment-shape", _set("optimizer", "state", 0, "m", value=np.zeros(3, np.float32)),
     "does not fit: optimizer: state 'm' of parameter 0"),
    ("optimizer-no-groups", _drop("optimizer", "param_groups"), "does not fit: optimizer"),
    ("optimizer-string-state-key", _set("optimizer", "state", "x", value={}), "does not fit: optimizer"),
    ("rng-not-a-state", _set("rng", value={"x": 1}), "does not fit: rng"),
    ("rng-another-generator", _set("rng", "bit_generator", value="MT19937"), "does not fit: rng"),
    ("rng-negative-state", _set("rng", "state", "state", value=-1), "does not fit: rng"),
    ("rng-string-state", _set("rng", "state", "state", value="x"), "does not fit: rng"),
    ("rng-a-list", _set("rng", value=[1]), "rng must be a dict"),
]


@pytest.mark.parametrize("edit, phrase", [c[1:] for c in CRAFTED], ids=[c[0] for c in CRAFTED])
def test_a_crafted_checkpoint_exits_2_naming_what_is_wrong(capsys, saved, tmp_path, edit, phrase):
    checkpoint = copy.deepcopy(saved.tree)
    edit(checkpoint)
    path = tmp_path / "crafted.npz"
    mg.save(checkpoint, path)
    assert_refused(*resume(capsys, path), phrase)


def _huge_header_archive(data):
    """The checkpoint's archive with model.0.weight declaring 10¹³ float32 values (40 TB)."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f4", "fortran_order": False,
                                                  "shape": (10 ** 13,)})
    return _replace_member(data, "model.0.weight.npy", header.getvalue() + b"\0" * 64)


def _replace_member(data, name, content):
    """The zip archive ``data`` with member ``name`` holding ``content`` (valid CRC: a crafted file)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as old, zipfile.ZipFile(out, "w") as new:
        for info in old.infolist():
            new.writestr(info.filename, content if info.filename == name else old.read(info))
    return out.getvalue()


RAW = [  # id, bytes of the file from the real checkpoint's bytes, words of the one line
    ("empty", lambda data: b"", "is not an .npz archive"),
    ("text", lambda data: b"epoch = 3\n", "is not an .npz archive"),
    ("truncated", lambda data: data[:len(data) // 2], "cannot read checkpoint"),
    ("a-flipped-byte", lambda data: data[:300] + bytes([data[300] ^ 0x55]) + data[301:], "cannot read checkpoint"),
    ("a-huge-header", _huge_header_archive, "cannot read checkpoint"),
    ("a-member-of-garbage", lambda data: _replace_member(data, "__minigrad__.npy", b"\x93NUMPY garbage"),
     "cannot read checkpoint"),
    ("a-plain-npz", lambda data: _plain_npz(), "not a checkpoint written by `minigrad train --save`"),
]


def _plain_npz():
    out = io.BytesIO()
    np.savez(out, w=np.zeros(3))
    return out.getvalue()


@pytest.mark.parametrize("make, phrase", [c[1:] for c in RAW], ids=[c[0] for c in RAW])
def test_a_damaged_checkpoint_file_exits_2_in_one_line(capsys, saved, tmp_path, make, phrase):
    path = tmp_path / "damaged.npz"
    path.write_bytes(make(saved.raw))
    assert_refused(*resume(capsys, path), phrase)


def test_a_folder_or_a_missing_file_exits_2_in_one_line(capsys, tmp_path):
    assert_refused(*resume(capsys, tmp_path), "cannot read checkpoint")
    assert_refused(*resume(capsys, tmp_path / "none.npz"), "no such file")


def test_a_crafted_checkpoint_as_a_process_prints_one_line_without_traceback(saved, tmp_path):
    checkpoint = copy.deepcopy(saved.tree)
    checkpoint["epoch"] = -5
    mg.save(checkpoint, tmp_path / "crafted.npz")
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    result = subprocess.run([sys.executable, "-m", "minigrad", "train", "--resume", str(tmp_path / "crafted.npz")],
                            capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == (f"{PREFIX}checkpoint {tmp_path / 'crafted.npz'}: epoch must be an integer >= 1 "
                             f"and <= 2, got -5\n")


# ---------------------------------------------------------------- random corruptions

def _paths(tree, prefix=()):
    """Every path of keys (or list positions) to a value in a nest of dicts, lists and tuples."""
    found = []
    items = tree.items() if isinstance(tree, dict) else enumerate(tree) \
        if isinstance(tree, (list, tuple)) else ()
    for key, value in items:
        found.append(prefix + (key,))
        found += _paths(value, prefix + (key,))
    return found


DELETE = object()
VALUES = st.one_of(
    st.just(DELETE), st.none(), st.booleans(), st.integers(-2 ** 70, 2 ** 70),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=6),
    st.lists(st.integers(-3, 70), max_size=3), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.builds(lambda dtype, shape: np.ones(shape, dtype),
              st.sampled_from([np.float32, np.float64, np.int64, np.bool_, np.complex64, np.uint8]),
              st.sampled_from([(), (3,), (64,), (64, 4), (3, 64), (2, 2, 2)])),
)


def _with(tree, path, value):
    """A copy of ``tree`` with the value at ``path`` replaced (or deleted); tuples are rebuilt."""
    if not path:
        return value
    key, rest = path[0], path[1:]
    if isinstance(tree, dict):
        new = dict(tree)
    else:
        new = list(tree)
    if rest:
        new[key] = _with(tree[key], rest, value)
    elif value is DELETE:
        del new[key]
    else:
        new[key] = value
    return tuple(new) if isinstance(tree, tuple) else new


class Corrupted:
    """A corrupted checkpoint file: ``raw`` its bytes; its repr says what was done (for Hypothesis)."""

    def __init__(self, what, raw):
        self.what, self.raw = what, raw

    def __repr__(self):
        return self.what


@st.composite
def corruptions(draw, data, tree):
    """One random corruption of a real checkpoint (a Corrupted)."""
    return Corrupted(*draw(_corruption(data, tree)))


@st.composite
def _corruption(draw, data, tree):
    """(what was done, the file's bytes)."""
    kind = draw(st.sampled_from(["truncate", "flip", "replace", "replace twice", "member"]))
    if kind == "truncate":
        cut = draw(st.integers(0, len(data) - 1))
        return f"truncated at {cut}", data[:cut]
    if kind == "flip":
        flips = draw(st.lists(st.tuples(st.integers(0, len(data) - 1), st.integers(1, 255)), min_size=1,
                              max_size=4))
        raw = bytearray(data)
        for at, mask in flips:
            raw[at] ^= mask
        return f"bytes flipped {flips}", bytes(raw)
    if kind == "member":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            name = draw(st.sampled_from(archive.namelist()))
        content = draw(st.binary(max_size=200))
        return f"member {name} replaced by {content!r}", _replace_member(data, name, content)
    paths, done = _paths(tree), []
    for _ in range(1 if kind == "replace" else 2):
        path, value = draw(st.sampled_from(paths)), draw(VALUES)
        tree = _with(tree, path, value)
        done.append(f"{'.'.join(map(str, path))} = {'<deleted>' if value is DELETE else repr(value)[:40]}")
        paths = _paths(tree)
    out = io.BytesIO()
    try:
        mg.save(tree, out)
    except ValueError:  # NOTE: e.g. a dict key of another type; not a file anyone could write
        return "unsavable", data[: len(data) // 3]
    return "; ".join(done), out.getvalue()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(st.data())
def test_a_randomly_corrupted_checkpoint_never_gives_a_traceback(capsys, saved, tmp_path, data):
    corrupted = data.draw(corruptions(saved.raw, saved.tree))
    what, raw = corrupted.what, corrupted.raw
    path = tmp_path / "fuzzed.npz"
    path.write_bytes(raw)
    code, out, err = resume(capsys, path)  # an exception out of main fails the test: a traceback
    assert code in (0, 1, 2), (what, code, err)
    assert err.count("\n") <= 1 and "Traceback" not in err, (what, err)
    if code == 2:
        assert err.startswith(PREFIX), (what, err)
    if code == 1:  # the status of a divergence, and only of one
        assert "training diverged" in err or "before any step" in err, (what, err)
    if code == 0:
        assert err == "" and "epoch 3/3" in out, (what, out, err)


# ---------------------------------------------------------------- a model too large for the memory

@pytest.mark.parametrize("command", ["train", "compare"])
def test_hidden_sizes_too_large_for_the_memory_are_refused_before_allocating(capsys, monkeypatch, command):
    monkeypatch.setattr(memory, "_available_memory", lambda: 8 * 2 ** 30)
    monkeypatch.setattr(classifier, "build_mlp", lambda *a: pytest.fail("the model was built"))
    code, out, err = run(capsys, command, "--hidden", "100000,100000", "--no-progress")
    assert code == 2 and out == "" and err.count("\n") == 1
    largest = "Adam" if command == "train" else "AMSGrad"  # compare: the optimizer with most state
    assert err.startswith(f"minigrad {command}: error: --hidden 100000,100000: the MLP 64-100000-100000-10 "
                          f"(ReLU) has 10,007,600,010 parameters; training it with {largest} needs about ")
    assert err.endswith(" GiB of memory, more than the 8 GiB available\n")


def test_an_impossible_model_is_refused_on_any_machine(capsys):
    code, out, err = run(capsys, "train", "--hidden", "10000000,10000000", "--no-progress")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "100,000,760,000,010 parameters" in err and "of memory, more than the" in err


def test_a_model_that_fits_is_not_refused(capsys, monkeypatch):
    monkeypatch.setattr(memory, "_available_memory", lambda: None)  # unknown: no refusal
    code, _, err = run(capsys, "train", "--data", "iris", "--epochs", "1", "--hidden", "8", "--no-progress")
    assert code == 0 and err == ""


def test_running_out_of_memory_anyway_is_one_line(capsys, monkeypatch):
    def no_memory(*args):
        raise MemoryError()
    monkeypatch.setattr(classifier, "build_mlp", no_memory)
    code, out, err = run(capsys, "train", "--data", "iris", "--no-progress")
    assert code == 2 and err == ("minigrad train: error: out of memory; try smaller --hidden sizes or a "
                                 "smaller --batch-size\n")
