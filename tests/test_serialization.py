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


# ---------------------------------------------------------------- keys that zip names cannot hold (issue 29)

def test_keys_that_collide_as_zip_names_round_trip(tmp_path):
    # "a" is stored as member a.npy and "a.npy" as a.npy.npy: np.load's lookup confused them
    value = {"a": np.ones(2), "a.npy": np.zeros(2), "b.npy.npy": np.full(1, 7.0), ".npy": np.arange(2)}
    path = tmp_path / "c.npz"
    save(value, path)
    assert_same(load(path), value)
    with np.load(path, allow_pickle=False) as plain:  # NumPy alone reads each entry by its own name too
        assert not any(name.endswith(".npy") for name in plain.files)
        np.testing.assert_array_equal(plain["a"], np.ones(2))


@pytest.mark.parametrize("key", ["nul\x00byte", "\x00", "back\\slash", "lone \udc80 surrogate",
                                 "a/b/../c", "ünïcödé ☃", "x" * 2000, "☃" * 70_000])
def test_keys_with_characters_zip_names_lose_round_trip(key, tmp_path):
    value = {key: np.arange(3), "k": {key: key, 0: np.ones(1)}}
    assert_same(roundtrip(value, tmp_path), value)


def test_nul_key_beside_its_truncated_twin(tmp_path):
    value = {"w\x00x": np.ones(1), "w": np.zeros(1), "w?x": np.full(1, 2.0)}
    assert_same(roundtrip(value, tmp_path), value)


def test_ints_that_cannot_round_trip_are_refused_naming_them(tmp_path):
    huge = 10 ** 5000  # more digits than Python turns into text (3.11+: 4,300)
    path = tmp_path / "x.npz"
    for value, match in [({"epoch": huge}, "the int at epoch"), ({"state": {huge: 1}}, "int key .* at state")]:
        try:
            str(huge)
        except ValueError:
            with pytest.raises(ValueError, match=match):
                save(value, path)
            assert not path.exists()
        else:  # an interpreter without the limit stores it
            assert roundtrip(value, tmp_path) == value


def test_too_deep_nesting_is_a_value_error(tmp_path):
    deep = []
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(ValueError, match="nest deeper than Python's recursion limit"):
        save(deep, tmp_path / "deep.npz")


# ---------------------------------------------------------------- concurrent saves (issue 29)

def test_concurrent_saves_to_one_path_never_collide_or_tear(tmp_path):
    import threading

    path = tmp_path / "ckpt.npz"
    save({"writer": -1, "w": np.zeros(50)}, path)
    errors, seen = [], set()

    def writer(i):
        try:
            for k in range(40):
                save({"writer": i, "w": np.full(50, float(k))}, path)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    def reader(stop):
        try:
            while not stop.is_set():
                back = load(path)
                assert back["w"].shape == (50,) and len(set(back["w"].tolist())) == 1  # one whole save
                seen.add(back["writer"])
        except BaseException as error:  # noqa: BLE001
            errors.append(error)

    stop = threading.Event()
    readers = [threading.Thread(target=reader, args=(stop,)) for _ in range(2)]
    writers = [threading.Thread(target=writer, args=(i,)) for i in range(3)]
    for t in readers + writers:
        t.start()
    for t in writers:
        t.join()
    stop.set()
    for t in readers:
        t.join()
    assert errors == []
    assert load(path)["writer"] in (0, 1, 2)
    assert os.listdir(tmp_path) == ["ckpt.npz"]  # no temporary left behind


def test_failed_save_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    save({"epoch": 1}, path)
    from minigrad import serialization

    def broken(f, arrays):
        f.write(b"half a checkpoint")
        raise KeyboardInterrupt

    monkeypatch.setattr(serialization, "_write_npz", broken)
    with pytest.raises(KeyboardInterrupt):
        save({"epoch": 2}, path)
    monkeypatch.undo()
    assert load(path) == {"epoch": 1} and os.listdir(tmp_path) == ["ckpt.npz"]


# ---------------------------------------------------------------- hostile files: sizes (issue 29)

def npy_header(shape, descr="<f4"):
    """The bytes of a version 1.0 .npy header declaring ``shape`` and ``descr``."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": descr, "fortran_order": False, "shape": shape})
    return buffer.getvalue()


def deflate_bomb(path, n_bytes, name="w.npy"):
    """A zip with one deflated .npy member of ``n_bytes`` zero bytes (float32), written by hand.

    The deflate stream is one compressed MiB of zeros repeated (a full flush makes each block
    alone), so a 1 GiB bomb takes about 1 MiB and half a second to make. A real bomb: its CRC,
    sizes and stream are all correct, and np.load would inflate it.
    """
    import struct
    import zlib

    mib = 2 ** 20
    assert n_bytes % mib == 0
    header = npy_header((n_bytes // 4,))
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = compressor.compress(header) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(bytes(mib)) + compressor.flush(zlib.Z_FULL_FLUSH)
    stream = first + block * (n_bytes // mib) + compressor.flush()
    crc = zlib.crc32(header)
    zeros = bytes(mib)
    for _ in range(n_bytes // mib):
        crc = zlib.crc32(zeros, crc)
    size = len(header) + n_bytes
    raw = name.encode()
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(stream), size, len(raw), 0)
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, len(stream), size,
                          len(raw), 0, 0, 0, 0, 0, 0)
    offset = len(local) + len(raw) + len(stream)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central) + len(raw), offset, 0)
    path.write_bytes(local + raw + stream + central + raw + end)


def test_the_bomb_helper_makes_a_real_bomb(tmp_path):
    path = tmp_path / "bomb.npz"
    deflate_bomb(path, 2 ** 24)
    with np.load(path) as f:  # small enough to inflate here: 16 MiB of float32 zeros
        assert f["w"].shape == (2 ** 22,) and not f["w"].any()
    assert os.path.getsize(path) < 2 ** 24 // 500


def test_decompression_bomb_is_refused_before_allocating(tmp_path):
    import tracemalloc

    path = tmp_path / "bomb.npz"
    deflate_bomb(path, 2 ** 30)  # 1 GiB of float32 zeros in about 1 MiB
    assert os.path.getsize(path) < 1.1 * 2 ** 20
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"bomb.npz: loading it would take 1,073,741,952 bytes \(the "
                                             r"largest entry, 'w', inflates to 1,073,741,952\), more than "
                                             r"max_bytes=536,870,912; if you trust the file, load it with"):
            load(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2 ** 20  # nothing near the array's size was allocated


def test_max_bytes_overrides_the_cap(tmp_path):
    path = tmp_path / "w.npz"
    save({"w": np.zeros(1000)}, path)  # 8,000 bytes of data
    assert load(path, max_bytes=20_000)["w"].shape == (1000,)
    assert load(path, max_bytes=None)["w"].shape == (1000,)
    with pytest.raises(ValueError, match=r"more than max_bytes=4,000"):
        load(path, max_bytes=4_000)
    bomb = tmp_path / "bomb.npz"
    deflate_bomb(bomb, 2 ** 24)
    with pytest.raises(ValueError, match="max_bytes=1,000,000"):
        load(bomb, max_bytes=1_000_000)
    assert load(bomb, max_bytes=2 ** 25)["w"].shape == (2 ** 22,)  # trusted: loads
    with pytest.raises(TypeError, match="max_bytes must be an int or None, got str"):
        load(path, max_bytes="1GB")
    with pytest.raises(ValueError, match="max_bytes must be ≥ 0, got -1"):
        load(path, max_bytes=-1)
    import minigrad.serialization as serialization
    assert serialization.DEFAULT_MAX_BYTES == 512 * 2 ** 20


def test_the_structure_entry_counts_eight_times(tmp_path):
    path = tmp_path / "history.npz"
    value = {"losses": [0.5] * 10_000}
    save(value, path)
    with zipfile.ZipFile(path) as archive:
        text_bytes = archive.getinfo("__minigrad__.npy").file_size
    assert load(path, max_bytes=8 * text_bytes) == value
    with pytest.raises(ValueError, match=r"'__minigrad__'"):
        load(path, max_bytes=4 * text_bytes)


def zip_with_members(path, members, compression=zipfile.ZIP_STORED):
    """A zip whose members are these raw bytes, name -> bytes."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Duplicate name"
        with zipfile.ZipFile(path, "w", compression=compression) as archive:
            for name, data in members:
                archive.writestr(name, data)


def npy_bytes(array):
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.asarray(array), allow_pickle=False)
    return buffer.getvalue()


def patched(data, old, new):
    assert data.count(old) >= 1
    return data.replace(old, new)


HOSTILE = [  # id, function(path) that writes the file, message fragment
    ("header-declares-1e13", lambda p: zip_with_members(p, [("w.npy", npy_header((10 ** 13,), "<f8"))]),
     r"entry 'w' declares 10,000,000,000,000 elements of float64 \(80,000,000,000,000 bytes\) but holds 0"),
    ("header-declares-more", lambda p: zip_with_members(p, [("w.npy", npy_header((100,)) + bytes(40))]),
     "declares 100 elements of float32 .* but holds 40 bytes"),
    ("header-declares-less", lambda p: zip_with_members(p, [("w.npy", npy_header((1,)) + bytes(40))]),
     "declares 1 elements of float32 .* but holds 40 bytes"),
    ("negative-shape", lambda p: zip_with_members(p, [("w.npy", npy_header((-5,)))]),
     r"entry 'w' declares the shape \(-5,\)"),
    ("deflated-claims-huge", lambda p: zip_with_members(
        p, [("w.npy", npy_header((10 ** 12,)) + bytes(10 ** 5))], zipfile.ZIP_DEFLATED),
     "declares 1,000,000,000,000 elements"),
    ("not-npy", lambda p: zip_with_members(p, [("w.npy", b"just some bytes, no header")]),
     r"entry 'w' is not a .npy array"),
    ("npy-future-version", lambda p: zip_with_members(p, [("w.npy", patched(npy_bytes(np.ones(2)),
                                                                            b"NUMPY\x01\x00", b"NUMPY\x09\x00"))]),
     r"entry 'w' is not a .npy array"),
    ("bad-header-text", lambda p: zip_with_members(p, [("w.npy", patched(npy_bytes(np.ones(2)), b"'descr'",
                                                                         b"'DESCR'"))]),
     r"entry 'w' is not a .npy array"),
    ("two-members-one-name", lambda p: zip_with_members(p, [("w.npy", npy_bytes(np.ones(2))),
                                                            ("w.npy", npy_bytes(np.zeros(2)))]),
     r"more than one entry named \['w'\]"),
    ("a-and-a.npy-without-suffix", lambda p: zip_with_members(p, [("a", npy_bytes(np.ones(2))),
                                                                  ("a.npy", npy_bytes(np.zeros(2)))]),
     r"more than one entry named \['a'\]"),
    ("directory-member", lambda p: zip_with_members(p, [("dir/", b"")]), "entry 'dir/' is not a .npy array"),
]


@pytest.mark.parametrize("name,write,match", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_archives_raise_a_value_error_naming_the_file(name, write, match, tmp_path):
    import tracemalloc

    path = tmp_path / "hostile.npz"
    write(path)
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="hostile.npz") as info:
            load(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.match(match)
    assert peak < 2 ** 20


def _damage_member_flags(data, flag):
    """Set a general-purpose flag bit (1: encrypted) in the local and central headers."""
    import struct

    out = bytearray(data)
    for signature, at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        i = out.index(signature)
        (flags,) = struct.unpack_from("<H", out, i + at)
        struct.pack_into("<H", out, i + at, flags | flag)
    return bytes(out)


def _set_method(data, method):
    import struct

    out = bytearray(data)
    for signature, at in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
        struct.pack_into("<H", out, out.index(signature) + at, method)
    return bytes(out)


@pytest.mark.parametrize("damage", [
    lambda d: _damage_member_flags(d, 1),                   # "encrypted": zipfile wants a password
    lambda d: _set_method(d, 99),                            # an unknown compression method
    lambda d: patched(d, np.arange(4.0).tobytes(), np.arange(1.0, 5.0).tobytes()),  # bad CRC-32
    lambda d: d.replace(b"PK\x01\x02", b"PK\x01\x03", 1),    # central directory damaged
    lambda d: d[:-30],                                       # end record cut
    lambda d: d[:40] + d[60:],                               # bytes missing in the middle
], ids=["encrypted", "unknown-method", "bad-crc", "bad-central-directory", "cut-end", "hole"])
def test_damaged_archives_raise_a_value_error(damage, tmp_path):
    good = tmp_path / "good.npz"
    save({"w": np.arange(4.0)}, good)
    bad = tmp_path / "damaged.npz"
    bad.write_bytes(damage(good.read_bytes()))
    with pytest.raises(ValueError, match="damaged.npz"):
        load(bad)


def test_unseekable_file_object_is_a_value_error(tmp_path):
    class Pipe(io.RawIOBase):
        name = "<pipe>"

        def readable(self):
            return True

        def seekable(self):
            return False

    with pytest.raises(ValueError, match="<pipe>: minigrad.load needs a seekable file object"):
        load(Pipe())


def test_duplicate_dict_key_in_structure_is_refused(tmp_path):
    path = tmp_path / "dup.npz"
    write_entries(path, {"__minigrad__": meta({"dict": [["a", {"int": 1}], ["a", {"int": 2}]]})})
    with pytest.raises(ValueError, match="dup.npz is malformed: the dict key 'a' appears twice"):
        load(path)


@pytest.mark.filterwarnings("ignore:Stored array in format 3.0")  # NumPy's note on writing it
def test_version_3_npy_entries_load(tmp_path):
    # structured arrays with non-Latin-1 field names are written as .npy version 3.0
    value = np.zeros(3, dtype=[("ä☃", "<i4"), ("b", "<f8")])
    path = tmp_path / "v3.npz"
    save({"s": value}, path)
    with zipfile.ZipFile(path) as archive:
        assert archive.read("s.npy")[6:8] == b"\x03\x00"
    back = load(path)["s"]
    assert back.dtype == value.dtype and back.tobytes() == value.tobytes()


# ---------------------------------------------------------------- fuzzing (issue 29)

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

_TRICKY_KEYS = ["", ".", ".npy", "a.npy", "a", "a.b", "__minigrad__", "value", "value#1", "x\x00",
                "\x00", "\\", "\udc80", "#", "/", "..", "0"]
_keys = st.one_of(st.sampled_from(_TRICKY_KEYS),
                  st.text(st.characters(exclude_categories=()), max_size=8),
                  st.integers(-2 ** 70, 2 ** 70))
_dtypes = st.one_of(hnp.scalar_dtypes(), hnp.byte_string_dtypes(), hnp.unicode_string_dtypes(),
                    hnp.array_dtypes(hnp.integer_dtypes(), max_size=3))
_arrays = hnp.arrays(_dtypes, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3))
_leaves = st.one_of(_arrays, st.none(), st.booleans(), st.integers(), st.floats(),
                    st.text(st.characters(exclude_categories=()), max_size=5),
                    _arrays.filter(lambda a: a.ndim == 0).map(lambda a: a[()]))
_trees = st.recursive(_leaves, lambda inner: st.one_of(
    st.dictionaries(_keys, inner, max_size=4), st.lists(inner, max_size=3),
    st.lists(inner, max_size=3).map(tuple)), max_leaves=12)


@pytest.mark.filterwarnings("ignore:Stored array in format 3.0")  # NumPy's note on writing it
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=_trees)
def test_fuzz_every_key_dtype_and_shape_round_trips(value, tmp_path):
    buffer = io.BytesIO()
    save(value, buffer)
    buffer.seek(0)
    assert_same(load(buffer), value)


def _saved_bytes():
    buffer = io.BytesIO()
    save({"model": {"0.weight": np.arange(6, dtype=np.float32).reshape(2, 3), "0.bias": np.zeros(2)},
          "optimizer": {"state": {0: {"t": 3, "m": np.ones(2)}}, "betas": (0.9, 0.999)},
          "history": [0.5, 0.25], "name": "run"}, buffer)
    return buffer.getvalue()


_GOOD = _saved_bytes()


@settings(max_examples=300, deadline=None)
@given(edits=st.lists(st.tuples(st.integers(0, len(_GOOD) - 1), st.integers(0, 255)), min_size=1, max_size=4),
       cut=st.one_of(st.none(), st.integers(0, len(_GOOD))))
def test_fuzz_corrupted_files_load_or_raise_value_error(edits, cut):
    data = bytearray(_GOOD)
    for at, byte in edits:
        data[at] = byte
    if cut is not None:
        data = data[:cut]
    try:
        load(io.BytesIO(bytes(data)))
    except ValueError:
        pass


# ---------------------------------------------------------------- corners an audit found

def test_a_value_that_would_come_back_as_another_type_is_refused():
    """Before: a masked array came back without its mask (masked values as data), a namedtuple
    as a tuple, an IntEnum as an int, an ndarray subclass (np.matrix) as an ndarray."""
    import collections
    import enum
    class Units(np.ndarray):   # any subclass, as np.matrix (which warns that it is deprecated)
        pass
    point = collections.namedtuple("Point", "x y")
    colour = enum.IntEnum("Colour", "RED GREEN")
    for value, words in [(np.ma.array([1.0, 2.0], mask=[0, 1]), "its mask would be lost"),
                         (np.eye(2).view(Units), "a Units: it would come back as a plain ndarray"),
                         (point(1, 2), "a Point: it would come back as a plain tuple; save its _asdict"),
                         (colour.RED, "the Enum member .* as its plain value")]:
        with pytest.raises(minigrad.serialization.UnsupportedTypeError, match=words):
            minigrad.save({"v": value}, io.BytesIO())


def test_a_numpy_integer_key_is_saved_as_an_int():
    """Before: AttributeError: 'numpy.int64' object has no attribute 'bit_length'."""
    buffer = io.BytesIO()
    minigrad.save({np.int64(3): np.ones(2), int(np.int8(-1)): "a"}, buffer)
    buffer.seek(0)
    back = minigrad.load(buffer)
    assert list(back) == [3, -1] and all(type(k) is int for k in back)
