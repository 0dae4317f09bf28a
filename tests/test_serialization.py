"""Tests of minigrad.save / minigrad.load (minigrad/serialization.py)."""

import io
import math
import os
import pathlib
import zipfile

import numpy as np
import pytest

import minigrad
from minigrad import optim
from minigrad.serialization import UnsupportedTypeError, load, save


def assert_same(a, b, where="obj"):
    """Exact equality that also checks types: int stays int, tuple stays tuple, dtypes and shapes match."""
    assert type(a) is type(b), f"{where}: {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape, f"{where}: {a.dtype}{a.shape} != {b.dtype}{b.shape}"
        np.testing.assert_array_equal(a, b, err_msg=where)  # NaN equals NaN here
    elif isinstance(a, np.generic):
        assert a.dtype == b.dtype and (a == b or (a != a and b != b)), f"{where}: {a!r} != {b!r}"
    elif isinstance(a, dict):
        assert list(a) == list(b), f"{where}: keys {list(a)} != {list(b)}"
        assert [type(k) for k in a] == [type(k) for k in b], f"{where}: key types differ"
        for k in a:
            assert_same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b), where
    elif isinstance(a, float):
        assert a == b and math.copysign(1, a) == math.copysign(1, b), f"{where}: {a!r} != {b!r}"
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def roundtrip(obj, tmp_path):
    path = tmp_path / "obj.npz"
    save(obj, path)
    return load(path)


# ---------------------------------------------------------------- round trips

ROUND_TRIPS = [  # id, value
    ("float32", np.arange(6, dtype=np.float32).reshape(2, 3) / 7),
    ("float64", np.array([1 / 3, -0.0, np.nan, np.inf, 5e-324])),
    ("float16", np.array([0.1, 65504], dtype=np.float16)),
    ("int8", np.array([-128, 127], dtype=np.int8)),
    ("uint64", np.array([2**64 - 1], dtype=np.uint64)),
    ("int64", np.arange(5)),
    ("bool-array", np.array([True, False])),
    ("complex", np.array([1 + 2j], dtype=np.complex64)),
    ("str-array", np.array(["a", "bcd"])),
    ("zero-d", np.array(2.5, dtype=np.float32)),
    ("empty", np.zeros((0, 3), dtype=np.float32)),
    ("fortran", np.asfortranarray(np.arange(6.0).reshape(2, 3))),
    ("strided", np.arange(10.0)[::3]),
    ("np-float32", np.float32(0.1)),
    ("np-int64", np.int64(-7)),
    ("np-bool", np.bool_(True)),
    ("int", 3),
    ("big-int", 2**100 + 1),
    ("negative-int", -12),
    ("float", 0.1),
    ("float-nan", float("nan")),
    ("float-inf", -float("inf")),
    ("float-negzero", -0.0),
    ("float-tiny", 5e-324),
    ("bool", False),
    ("none", None),
    ("str", "héllo \"world\" .dots. \\ \n"),
    ("str-nul", "end\x00"),
    ("str-empty", ""),
    ("tuple", (0.9, 0.999)),
    ("list", [1, 2.5, "x", None, True]),
    ("empty-containers", {"d": {}, "l": [], "t": ()}),
    ("nested", {"a": [{"b": (np.ones(2), {"c": [np.zeros(1, dtype=np.int16)]})}]}),
    ("int-keys", {0: {"m": np.ones(2)}, 1: {"m": np.zeros(2)}, -5: "neg", 10**20: "big"}),
    ("int-and-str-keys-alike", {0: "int zero", "0": "str zero"}),
    ("dotted-keys", {"0.weight": np.eye(2), "0.bias": np.zeros(2), "fc1.weight": np.ones((1, 2))}),
    ("dotted-collision", {"a.b": np.ones(1), "a": {"b": np.zeros(1)}}),
    ("reserved-name", {"__minigrad__": np.ones(1), "value": 1}),
    ("odd-keys", {"": 1, "a/b": np.ones(1), "x#1": np.ones(2), "x": np.ones(3)}),
    ("key-order", {"z": 1, "a": 2, "m": 3}),
]


@pytest.mark.parametrize("name,value", ROUND_TRIPS, ids=[r[0] for r in ROUND_TRIPS])
def test_round_trip_at_top_and_nested(name, value, tmp_path):
    assert_same(roundtrip(value, tmp_path), value)
    wrapped = {"outer": {"inner": [value, (value,)]}, 7: value}
    assert_same(roundtrip(wrapped, tmp_path), wrapped)


def test_loaded_arrays_are_writable_copies(tmp_path):
    a = np.arange(3.0)
    back = roundtrip({"a": a}, tmp_path)["a"]
    back += 1
    np.testing.assert_array_equal(a, [0.0, 1.0, 2.0])
    assert back.flags.writeable


def test_entries_are_named_by_dotted_path(tmp_path):
    sd = {"model": {"0.weight": np.eye(2), "0.bias": np.zeros(2)},
          "optimizer": {"state": {0: {"m": np.ones(2), "t": 4}}, "param_groups": [{"lr": 0.1}]},
          "a.b": np.ones(1), "a": {"b": np.zeros(1)}}
    path = tmp_path / "sd.npz"
    save(sd, path)
    with np.load(path, allow_pickle=False) as plain:  # NumPy alone reads the arrays by name
        assert sorted(plain.files) == sorted(["__minigrad__", "model.0.weight", "model.0.bias",
                                              "optimizer.state.0.m", "a.b", "a.b#1"])
        np.testing.assert_array_equal(plain["model.0.weight"], np.eye(2))
        np.testing.assert_array_equal(plain["a.b"], np.ones(1))
        np.testing.assert_array_equal(plain["a.b#1"], np.zeros(1))


def test_plain_npz_loads_as_a_flat_dict(tmp_path):
    path = tmp_path / "plain.npz"
    np.savez(path, w=np.ones((2, 2), dtype=np.float32), b=np.arange(2))
    back = load(path)
    assert sorted(back) == ["b", "w"] and back["w"].dtype == np.float32


# ---------------------------------------------------------------- optimizer and model state

def quad_step(opt, params):
    opt.zero_grad()
    for p in params:
        p.grad = (2 * p.data + 1).astype(p.data.dtype)
    opt.step()


@pytest.mark.parametrize("make", [
    lambda ps: optim.Adam(ps, lr=0.1, betas=(0.8, 0.99)),
    lambda ps: optim.SWATS(ps, lr=0.1),
    lambda ps: optim.SGDM(ps, lr=0.05),
], ids=["adam", "swats", "sgdm"])
def test_optimizer_state_dict_round_trips_exactly_and_resumes_bit_for_bit(make, tmp_path):
    def fresh():
        return [minigrad.Tensor(np.array([1.0, -2.0, 0.5], dtype=np.float32), requires_grad=True),
                minigrad.Tensor(np.array([[3.0]], dtype=np.float32), requires_grad=True)]

    params = fresh()
    opt = make(params)
    for _ in range(5):
        quad_step(opt, params)
    sd = opt.state_dict()
    back = roundtrip({"optimizer": sd, "params": [p.data for p in params]}, tmp_path)
    assert_same(back["optimizer"], sd)
    assert isinstance(next(iter(back["optimizer"]["state"])), int)

    resumed = fresh()
    for p, data in zip(resumed, back["params"]):
        p.data[...] = data
    opt2 = make(resumed)
    opt2.load_state_dict(back["optimizer"])
    for _ in range(5):
        quad_step(opt, params)
        quad_step(opt2, resumed)
    for p, q in zip(params, resumed):
        np.testing.assert_array_equal(p.data, q.data)


# ---------------------------------------------------------------- paths and files

def test_paths_str_pathlib_and_exact_name(tmp_path):
    value = {"w": np.ones(2)}
    save(value, str(tmp_path / "as_str.npz"))
    assert_same(load(str(tmp_path / "as_str.npz")), value)
    save(value, tmp_path / "checkpoint.pt")  # no suffix is added
    assert sorted(os.listdir(tmp_path)) == ["as_str.npz", "checkpoint.pt"]  # and no temporary left
    assert_same(load(pathlib.Path(tmp_path, "checkpoint.pt")), value)
    save(value, tmp_path / "noext")
    assert (tmp_path / "noext").is_file() and not (tmp_path / "noext.npz").exists()


def test_save_overwrites(tmp_path):
    path = tmp_path / "ckpt.npz"
    save({"epoch": 1}, path)
    save({"epoch": 2}, path)
    assert load(path) == {"epoch": 2}


def test_file_objects(tmp_path):
    buffer = io.BytesIO()
    save({"w": np.arange(3, dtype=np.int32)}, buffer)
    buffer.seek(0)
    assert_same(load(buffer), {"w": np.arange(3, dtype=np.int32)})
    with open(tmp_path / "f.npz", "wb") as f:
        save([1, 2], f)
    with open(tmp_path / "f.npz", "rb") as f:
        assert load(f) == [1, 2]


def test_missing_file_and_directory(tmp_path):
    missing = tmp_path / "nope.npz"
    with pytest.raises(FileNotFoundError, match="nope.npz") as info:
        load(missing)
    assert info.value.filename == str(missing)
    with pytest.raises(FileNotFoundError, match="no_dir"):
        save({}, tmp_path / "no_dir" / "x.npz")
    with pytest.raises(IsADirectoryError):
        load(tmp_path)


@pytest.mark.parametrize("path", [3, None, b"bytes.npz"])
def test_bad_path_type(path):
    with pytest.raises(TypeError, match="path must be"):
        save({}, path)
    with pytest.raises(TypeError, match="path must be"):
        load(path)


# ---------------------------------------------------------------- what cannot be saved

class Opaque:
    pass


class WithData:
    data = np.ones(2)


UNSUPPORTED = [  # id, object, message fragment
    ("object-array", {"a": np.array([1, "x"], dtype=object)}, "a: an array of dtype object"),
    ("object", {"m": {"x": Opaque()}}, "m.x of type Opaque"),
    ("tensor", {"w": minigrad.Tensor([1.0])}, "w of type Tensor; save its .data"),
    ("tensor-like", [WithData()], "0 of type WithData; save its .data"),
    ("set", {"s": {1, 2}}, "s of type set"),
    ("bytes", {"b": b"raw"}, "b of type bytes"),
    ("top-level", Opaque(), "the saved object of type Opaque"),
    ("float-key", {1.5: 1}, "key 1.5 of type float"),
    ("tuple-key", {"g": {(0, 1): 1}}, r"key \(0, 1\) of type tuple in g"),
    ("bool-key", {True: 1}, "key True of type bool"),
    ("none-key", {None: 1}, "key None of type NoneType"),
]


@pytest.mark.parametrize("name,obj,match", UNSUPPORTED, ids=[u[0] for u in UNSUPPORTED])
def test_unsupported_values_raise_naming_the_path(name, obj, match, tmp_path):
    path = tmp_path / "x.npz"
    with pytest.raises(ValueError, match=match) as info:
        save(obj, path)
    assert isinstance(info.value, TypeError) and isinstance(info.value, UnsupportedTypeError)
    assert not path.exists() and os.listdir(tmp_path) == []  # nothing half-written


def test_saving_a_module_or_optimizer_points_to_its_state_dict(tmp_path):
    model = minigrad.nn.Linear(2, 2, rng=0)
    with pytest.raises(TypeError, match=r"of type Linear; save its state_dict\(\)"):
        save(model, tmp_path / "m.npz")
    with pytest.raises(TypeError, match=r"of type SGD; save its state_dict\(\)"):
        save({"opt": optim.SGD(model.parameters())}, tmp_path / "m.npz")


def test_saving_a_pytorch_state_dict_says_how_to_convert_it(tmp_path):
    torch = pytest.importorskip("torch")
    sd = torch.nn.Linear(2, 3).state_dict()
    with pytest.raises(TypeError, match=r"cannot save weight of type Tensor; it is a PyTorch tensor: "
                                        r"save \{k: v.detach\(\).numpy\(\)"):
        save(sd, tmp_path / "t.npz")
    save({k: v.detach().numpy() for k, v in sd.items()}, tmp_path / "t.npz")  # the fix works
    np.testing.assert_array_equal(load(tmp_path / "t.npz")["weight"], sd["weight"].numpy())


def test_cycle_raises(tmp_path):
    a = {"x": 1}
    a["self"] = [a]
    with pytest.raises(ValueError, match="self.0: it contains itself"):
        save(a, tmp_path / "x.npz")
    shared = [1]
    assert roundtrip({"a": shared, "b": shared}, tmp_path) == {"a": [1], "b": [1]}  # shared is no cycle


# ---------------------------------------------------------------- malicious and malformed files

EXPLOITED = []


def _exploit():
    EXPLOITED.append("code from the file ran")
    return "pwned"


class Evil:
    def __reduce__(self):
        return (_exploit, ())


def test_pickled_object_array_is_refused_without_running_code(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, w=np.ones(2), payload=np.array([Evil()], dtype=object))
    # the file really is dangerous: NumPy with pickle allowed runs the payload
    with np.load(path, allow_pickle=True) as f:
        f["payload"]
    assert EXPLOITED == ["code from the file ran"]
    EXPLOITED.clear()
    with pytest.raises(ValueError, match="'payload' holds a pickled object array"):
        load(path)
    assert EXPLOITED == []


def test_pickle_behind_a_valid_structure_is_refused(tmp_path):
    path = tmp_path / "evil.npz"
    save({"w": np.ones(2)}, path)
    with zipfile.ZipFile(path, "a") as archive:  # swap in a pickled entry that the structure names
        with archive.open("w#1.npy", "w") as member:
            np.lib.format.write_array(member, np.array([Evil()], dtype=object), allow_pickle=True)
    with np.load(path, allow_pickle=False) as f:
        assert "w#1" in f.files
    with pytest.raises(ValueError, match="pickled object array"):
        load(path)
    assert EXPLOITED == []


def test_whole_file_pickle_is_refused(tmp_path):
    import pickle

    path = tmp_path / "evil.npz"
    path.write_bytes(pickle.dumps(Evil()))
    with pytest.raises(ValueError, match="not an .npz archive"):
        load(path)
    assert EXPLOITED == []


def write_entries(path, entries):
    """An archive with exactly these entries (no pickle), for crafting malformed files."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, value in entries.items():
            with archive.open(name + ".npy", "w") as member:
                np.lib.format.write_array(member, np.asarray(value), allow_pickle=False)


def meta(tree, version=1, fmt="minigrad"):
    import json

    return np.array(json.dumps({"format": fmt, "version": version, "tree": tree}))


MALFORMED = [  # id, entries, message fragment
    ("bad-json", {"__minigrad__": np.array("{not json")}, "is malformed"),
    ("meta-not-string", {"__minigrad__": np.arange(3)}, "0-d string array"),
    ("wrong-format", {"__minigrad__": meta({"int": 1}, fmt="other")}, "not minigrad's structure"),
    ("future-version", {"__minigrad__": meta({"int": 1}, version=99)}, "version 99"),
    ("missing-entry", {"__minigrad__": meta({"dict": [["w", {"array": "w"}]]})}, "names entry 'w'"),
    ("unexplained-entry", {"__minigrad__": meta({"int": 1}), "extra": np.ones(1)}, r"\['extra'\]"),
    ("unknown-kind", {"__minigrad__": meta({"pickle": "x"})}, "bad structure node"),
    ("two-kinds", {"__minigrad__": meta({"int": 1, "str": "a"})}, "bad structure node"),
    ("int-as-str", {"__minigrad__": meta({"int": "1"})}, "bad structure node"),
    ("bool-as-int", {"__minigrad__": meta({"bool": 1})}, "bad structure node"),
    ("bad-float", {"__minigrad__": meta({"float": "one"})}, "is malformed"),
    ("dict-not-pairs", {"__minigrad__": meta({"dict": [1, 2]})}, "is malformed"),
    ("bad-key", {"__minigrad__": meta({"dict": [[[1], {"int": 1}]]})}, "bad dict key"),
    ("list-not-list", {"__minigrad__": meta({"list": 5})}, "is malformed"),
]


@pytest.mark.parametrize("name,entries,match", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_structure(name, entries, match, tmp_path):
    path = tmp_path / "bad.npz"
    write_entries(path, entries)
    with pytest.raises(ValueError, match=match):
        load(path)


def test_not_an_archive(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(ValueError, match="notes.txt is not an .npz archive"):
        load(text)
    npy = tmp_path / "array.npy"
    np.save(npy, np.ones(3))
    with pytest.raises(ValueError, match="not an .npz archive"):
        load(npy)
    empty = tmp_path / "empty.npz"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match="not an .npz archive"):
        load(empty)


def test_truncated_and_corrupt_archives(tmp_path):
    path = tmp_path / "good.npz"
    save({"w": np.arange(1000.0)}, path)
    data = path.read_bytes()
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="truncated.npz"):
        load(truncated)
    corrupt = tmp_path / "corrupt.npz"
    start = data.index(b"\x93NUMPY")  # the first member's .npy header
    corrupt.write_bytes(data[:start] + b"garbage!" + data[start + 8:])
    with pytest.raises(ValueError, match="corrupt.npz"):
        load(corrupt)
