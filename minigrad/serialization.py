"""Saving and loading state dicts as ``.npz`` files, without pickle.

A file written by :func:`save` is an ordinary NumPy ``.npz`` archive:

- every NumPy array (and NumPy scalar) in the saved object is one entry, named
  by its dotted path of keys, so ``np.load(path)["model.0.weight"]`` works
  with NumPy alone and a model's state dict keeps PyTorch's names;
- one more entry, ``__minigrad__``, holds a JSON text that describes the
  structure: which containers (dict, list, tuple) hold what, the exact keys
  (``int`` or ``str``), and the Python scalars (int, float, bool, None) and
  strings, stored inline.

:func:`load` reads the file with ``allow_pickle=False`` and rebuilds the object
from that description. Pickle is never used: unpickling runs code named by the
file, so a checkpoint from the internet could run anything. That is why only
plain data can be saved. For the same reason :func:`load` trusts no size in the
file: it reads each entry's ``.npy`` header first and refuses, before
allocating anything, an archive that would take more than ``max_bytes``
(:data:`DEFAULT_MAX_BYTES`, 512 MiB) or whose sizes do not add up.
"""

import errno
import enum
import json
import numbers
import os
import struct
import threading
import zipfile
import zlib

import numpy as np

__all__ = ["save", "load", "UnsupportedTypeError", "DEFAULT_MAX_BYTES"]

_META = "__minigrad__"  # name of the structure entry
_VERSION = 1

# What one load may allocate unless told otherwise: 512 MiB. A checkpoint of the largest
# model this project trains (MLP 784-1024-1024-10, 1.9M float32 parameters, with Adam's two
# moments) takes 22 MB, so real files fit many times over, while the 1 GiB array a 1 MiB
# deflated entry can hold (a decompression bomb) is refused with room to spare.
DEFAULT_MAX_BYTES = 512 * 2**20

# NOTE: the structure entry becomes Python objects (dicts, lists, str, float) when decoded;
# measured, they take up to about 6 times the entry's own bytes (UCS-4 text). It counts
# this many times its size against max_bytes.
_STRUCTURE_WEIGHT = 8


class UnsupportedTypeError(TypeError, ValueError):
    """Raised by :func:`save` for a value or key of a type it cannot store without pickle.

    NOTE: it is both a TypeError (minigrad's convention for a wrong type) and a
    ValueError (the object as a whole cannot be saved), so either ``except``
    catches it; NumPy's ``AxisError(ValueError, IndexError)`` does the same.
    """


def save(obj, path):
    """Save a state dict (or any nest of plain data) to an ``.npz`` file, without pickle.

    Math::

        {"model": {"0.weight": W}, "epoch": 3}  →  entries "model.0.weight" = W,
                                                   "__minigrad__" = the structure, with epoch = 3

    Parameters
    ----------
    obj : dict, list, tuple, numpy.ndarray, NumPy scalar, int, float, bool, str or None
        What to save; containers may nest. Dict keys must be ``str`` or
        ``int`` (an optimizer's ``{"state": {0: ...}}``). Arrays keep their
        dtype and shape; tuples come back as tuples, int keys as ints.
    path : str, os.PathLike or binary file object
        Where to write. The file is written at exactly this path: unlike
        ``np.savez``, no ``.npz`` suffix is added (``save(sd, "ckpt.pt")``
        writes ``ckpt.pt``, and ``load("ckpt.pt")`` reads it back).

    Raises
    ------
    UnsupportedTypeError
        (a TypeError and a ValueError) naming the dotted path and type of a
        value or key that cannot be stored: an object array, a Tensor (save
        its ``.data`` or a ``state_dict()``), any other object.
    ValueError
        If a container contains itself, containers nest deeper than Python's
        recursion limit, or an int (value or key) has more digits than
        Python converts to text (``sys.get_int_max_str_digits()``); the
        message names where.

    Notes
    -----
    The file is written to a temporary file beside ``path``, named for this
    process and thread, flushed to disk and then renamed over ``path``
    (``os.replace``, atomic): an interrupted save never leaves half a
    checkpoint behind, and when several threads or processes save to one
    path at once, each reader sees one whole checkpoint (the last renamed
    wins).
    Every ``str`` and ``int`` key round-trips exactly (also ``""``, dots, a
    NUL byte, ``"a.npy"`` beside ``"a"``): keys are kept in the structure
    entry, not in entry names. Entries are named by their dotted path, for
    reading the file with NumPy alone; a key that already contains dots
    (``"0.weight"``) is used as it is. A name that is taken
    (``{"a.b": x, "a": {"b": y}}``) or that ends in ``.npy`` (which
    ``np.load`` would confuse with the entry before it) gets a ``#1``
    suffix, and a character a zip name cannot hold (NUL, backslash, a lone
    surrogate) becomes ``?``. A dict subclass (OrderedDict) comes back as a
    plain dict, and an array stored twice comes back as two arrays.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> import minigrad as mg
    >>> path = os.path.join(tempfile.mkdtemp(), "checkpoint.npz")
    >>> state = {"model": {"0.weight": np.eye(2, dtype=np.float32)},
    ...          "optimizer": {"state": {0: {"t": 3}}, "betas": (0.9, 0.999)}}
    >>> mg.save(state, path)
    >>> sorted(np.load(path).files)  # plain NumPy sees every array by its dotted name
    ['__minigrad__', 'model.0.weight']
    >>> back = mg.load(path)
    >>> back["optimizer"]
    {'state': {0: {'t': 3}}, 'betas': (0.9, 0.999)}
    >>> back["model"]["0.weight"].dtype
    dtype('float32')
    """
    arrays = {}
    try:
        tree = _encode(obj, (), arrays, set(), {_META})
        meta = json.dumps({"format": "minigrad", "version": _VERSION, "tree": tree})
    except RecursionError:
        raise ValueError("cannot save the object: its containers nest deeper than Python's "
                         "recursion limit") from None
    arrays[_META] = np.array(meta)
    if hasattr(path, "write"):
        _write_npz(path, arrays)
        return
    path = _fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(errno.ENOENT, "minigrad.save: no such directory", directory)
    # NOTE: beside the target, so the rename stays on one file system; named for the process
    # and the thread, so two saves to one path at once never write (or rename) the same file.
    tmp = f"{path}.{os.getpid()}-{threading.get_ident()}.tmp"
    try:
        with open(tmp, "wb") as f:
            _write_npz(f, arrays)
            f.flush()
            os.fsync(f.fileno())  # on disk before the rename: a crash leaves the old file or the new
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def load(path, *, max_bytes=DEFAULT_MAX_BYTES):
    """Load what :func:`save` wrote (read with ``allow_pickle=False``; never runs code from the file).

    Parameters
    ----------
    path : str, os.PathLike or binary file object
        The file, at exactly this path (no suffix is added). A file object
        must be seekable.
    max_bytes : int or None, default DEFAULT_MAX_BYTES (512 MiB)
        The most memory the load may take: the entries' sizes once inflated,
        the structure entry counted 8 times (it becomes Python objects).
        A larger file is refused before anything is allocated. Raise it
        for a trusted checkpoint that needs more; None means no limit.

    Returns
    -------
    object
        The saved object, with dict keys, tuples, dtypes and Python scalars as
        they were. A plain ``np.savez`` archive (no ``__minigrad__`` entry)
        loads as a flat dict of its entries, name -> array.

    Raises
    ------
    FileNotFoundError
        If there is no file at ``path`` (the message names it).
    ValueError
        If the file is not an ``.npz`` archive, is truncated or corrupt, holds
        a pickled object array or an entry that is no ``.npy`` array, would
        take more than ``max_bytes``, has an entry whose header declares
        another size than the entry holds, or its structure entry is
        malformed, refers to a missing entry or leaves entries unexplained;
        the message names the file and says which.

    Notes
    -----
    Sizes in a zip file and in a ``.npy`` header are only claims: a small
    deflated entry can claim (and inflate to) gigabytes, and a header can
    declare 10¹³ elements. ``load`` checks the claims against each other and
    against ``max_bytes`` first, then reads: what it allocates is bounded by
    ``max_bytes``. Entry names are taken exactly as stored (``np.load``
    would read the entry ``a.npy`` when asked for ``a``), and two entries
    of one name are refused.

    Examples
    --------
    >>> import io
    >>> import numpy as np
    >>> import minigrad as mg
    >>> buffer = io.BytesIO()
    >>> mg.save({"w": np.arange(3), "lr": 0.1, "name": "sgd", "decay": None}, buffer)
    >>> _ = buffer.seek(0)
    >>> mg.load(buffer)
    {'w': array([0, 1, 2]), 'lr': 0.1, 'name': 'sgd', 'decay': None}
    """
    if max_bytes is not None:
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, numbers.Integral):
            raise TypeError(f"max_bytes must be an int or None, got {type(max_bytes).__name__}")
        if max_bytes < 0:
            raise ValueError(f"max_bytes must be ≥ 0, got {max_bytes}")
    if hasattr(path, "read"):
        where = str(getattr(path, "name", "file object"))
        if not (hasattr(path, "seekable") and path.seekable()):
            raise ValueError(f"{where}: minigrad.load needs a seekable file object (a zip archive is "
                             f"read from its end); read it into io.BytesIO first")
        return _read_npz(path, where, max_bytes)
    path = _fspath(path)
    if not os.path.isfile(path):
        if os.path.isdir(path):
            raise IsADirectoryError(errno.EISDIR, "minigrad.load needs a file, got a directory", path)
        raise FileNotFoundError(errno.ENOENT, "minigrad.load: no such file", path)
    with open(path, "rb") as f:
        return _read_npz(f, path, max_bytes)


# ---------------------------------------------------------------- writing

def _fspath(path):
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str, an os.PathLike or a binary file object, got {type(path).__name__}")
    return os.fspath(path)


def _where(keys):
    """A dotted path for messages: 'optimizer.state.0.m', or 'the saved object' at the top."""
    return ".".join(map(str, keys)) if keys else "the saved object"


def _entry_name(keys, used):
    """A unique entry name for the array at ``keys``: its dotted path, made storable, suffixed if taken.

    NOTE: the name only serves NumPy readers (``load`` finds keys in the structure
    entry), so it may lose characters a zip name cannot hold: zipfile cuts a name at a
    NUL, turns a backslash into "/" on Windows, and cannot encode a lone surrogate; each
    becomes "?". A zip name holds at most 65,535 bytes: past 1,000 characters the name is
    cut. A name ending in ".npy" gets a suffix too: its member "a.npy.npy" would be what
    ``np.load(f)["a.npy"]`` skips for the member "a.npy" of the entry "a".
    """
    base = ".".join(map(str, keys)) if keys else "value"
    base = base.replace("\0", "?").replace("\\", "?").encode("utf-8", "replace").decode("utf-8")[:1000]
    name, i = base, 0
    while name in used or name.endswith(".npy"):
        i += 1
        name = f"{base}#{i}"
    used.add(name)
    return name


def _check_int(value, keys, what="the int"):
    """Refuse an int that JSON text cannot hold (Python limits int-to-str conversion to 4,300 digits)."""
    if value.bit_length() > 64:
        try:
            str(value)
        except ValueError:
            raise ValueError(f"cannot save {what} at {_where(keys)}: it has more digits than Python "
                             f"converts to text (sys.set_int_max_str_digits)") from None
    return value


def _refuse_lossy(value, keys):
    """Refuse a value that would come back as another type: a masked array without its mask,
    np.matrix as an array, a namedtuple as a tuple, an Enum as its plain value."""
    where = _where(keys)
    if isinstance(value, np.ndarray) and type(value) is not np.ndarray:
        if isinstance(value, np.ma.MaskedArray):
            lost = ("its mask would be lost and the masked values come back as data; save "
                    "np.ma.getdata(...) and np.ma.getmaskarray(...) instead")
        else:
            lost = "it would come back as a plain ndarray; save np.asarray(...) instead"
        raise UnsupportedTypeError(f"cannot save {where}, a {type(value).__name__}: {lost}")
    if isinstance(value, enum.Enum):
        raise UnsupportedTypeError(f"cannot save {where}, the Enum member {value!r}: it would come back "
                                   f"as its plain value; save {type(value).__name__}'s .value or .name")
    if isinstance(value, (list, tuple)) and type(value) not in (list, tuple):
        hint = "; save its _asdict()" if hasattr(value, "_asdict") else ""
        raise UnsupportedTypeError(f"cannot save {where}, a {type(value).__name__}: it would come back "
                                   f"as a plain {'tuple' if isinstance(value, tuple) else 'list'}{hint}")


def _encode(value, keys, arrays, active, used):
    """The JSON description of ``value``; its arrays are added to ``arrays`` under dotted names.

    ``active`` holds the ids of the containers being encoded (to catch cycles),
    ``used`` the entry names given out so far.
    """
    _refuse_lossy(value, keys)
    # NOTE: NumPy scalars first: np.float64 is a subclass of float, np.str_ of str.
    if isinstance(value, (np.ndarray, np.generic)):
        if value.dtype.hasobject:
            raise UnsupportedTypeError(
                f"cannot save {_where(keys)}: an array of dtype object needs pickle, which minigrad never uses")
        name = _entry_name(keys, used)
        arrays[name] = value
        return {"array" if isinstance(value, np.ndarray) else "scalar": name}
    if value is None:
        return {"none": None}
    if isinstance(value, bool):
        return {"bool": value}
    if isinstance(value, numbers.Integral):
        return {"int": _check_int(int(value), keys)}
    if isinstance(value, float):
        return {"float": repr(float(value))}  # NOTE: repr round-trips exactly, also nan and inf
    if isinstance(value, str):
        return {"str": str(value)}
    if isinstance(value, (dict, list, tuple)):
        if id(value) in active:
            raise ValueError(f"cannot save {_where(keys)}: it contains itself")
        active.add(id(value))
        if isinstance(value, dict):
            items = [[_encode_key(k, keys), _encode(v, keys + (k,), arrays, active, used)]
                     for k, v in value.items()]
            node = {"dict": items}
        else:
            items = [_encode(v, keys + (i,), arrays, active, used) for i, v in enumerate(value)]
            node = {"tuple" if isinstance(value, tuple) else "list": items}
        active.discard(id(value))
        return node
    hint = ""
    if callable(getattr(value, "state_dict", None)):  # a module or an optimizer
        hint = "; save its state_dict()"
    elif isinstance(getattr(value, "data", None), np.ndarray):
        hint = "; save its .data array (or a module's state_dict())"
    elif type(value).__module__.split(".")[0] == "torch" and callable(getattr(value, "numpy", None)):
        hint = ("; it is a PyTorch tensor: save {k: v.detach().numpy() for k, v in "
                "state_dict.items()}")
    raise UnsupportedTypeError(
        f"cannot save {_where(keys)} of type {type(value).__name__}{hint}; minigrad.save takes dicts, "
        f"lists, tuples, NumPy arrays and scalars, int, float, bool, str and None")


def _encode_key(key, keys):
    if isinstance(key, str):
        return str(key)
    if isinstance(key, numbers.Integral) and not isinstance(key, (bool, np.bool_)):
        return _check_int(int(key), keys, f"the int key of {int(key).bit_length()} bits")
    raise UnsupportedTypeError(
        f"cannot save the key {key!r} of type {type(key).__name__} in {_where(keys)}: "
        f"dict keys must be str or int")


def _write_npz(f, arrays):
    """An uncompressed .npz archive, as np.savez writes it, but never with pickle."""
    with zipfile.ZipFile(f, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, array in arrays.items():
            with archive.open(name + ".npy", mode="w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(array), allow_pickle=False)


# ---------------------------------------------------------------- reading

# What zipfile, zlib and struct raise on a damaged archive (BadZipFile for a bad CRC or
# header, EOFError for a cut entry, RuntimeError for an encrypted one, NotImplementedError
# for an unknown compression). NumPy's header errors are ValueErrors, caught where read.
_ARCHIVE_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, RuntimeError,
                   NotImplementedError, zlib.error, struct.error, UnicodeError, OverflowError)


def _read_npz(f, where, max_bytes):
    """Every entry of the archive in ``f``, rebuilt into the saved object."""
    try:
        archive = zipfile.ZipFile(f)
    except zipfile.BadZipFile:
        raise ValueError(f"{where} is not an .npz archive (not a zip file)") from None
    except _ARCHIVE_ERRORS as error:
        raise ValueError(f"{where} is a malformed .npz archive: {error}") from None
    try:
        with archive:
            entries = _read_entries(archive, where, max_bytes)
    except _ARCHIVE_ERRORS as error:
        raise ValueError(f"{where} is a malformed .npz archive: {error}") from None
    if _META not in entries:
        return entries  # a plain np.savez archive: name -> array
    return _decode_file(entries, where)


def _read_entries(archive, where, max_bytes):
    """name -> array for every member, each checked (names, sizes, the cap) before it is read."""
    infos = archive.infolist()
    names = [info.filename[:-4] if info.filename.endswith(".npy") else info.filename for info in infos]
    if len(set(names)) != len(names):
        twice = sorted({name for name in names if names.count(name) > 1})
        raise ValueError(f"{where} is malformed: more than one entry named {twice}")
    costs = {name: info.file_size * (_STRUCTURE_WEIGHT if name == _META else 1)
             for name, info in zip(names, infos)}
    if costs:  # first the zip's own claims, before any entry is opened
        largest = max(costs, key=costs.get)
        _check_cap(where, sum(costs.values()), max_bytes,
                   f"the largest entry, {largest!r}, inflates to {infos[names.index(largest)].file_size:,}")
    entries, total = {}, 0
    for name, info in zip(names, infos):
        with archive.open(info) as member:
            shape, fortran_order, dtype, header_size = _read_header(member, where, name)
        count = 1
        for n in shape:
            count *= n
        if count * dtype.itemsize != info.file_size - header_size:
            raise ValueError(f"{where} is malformed: entry {name!r} declares {count:,} elements of "
                             f"{dtype} ({count * dtype.itemsize:,} bytes) but holds "
                             f"{info.file_size - header_size:,} bytes of data")
        # NOTE: an itemsize of 0 (np.dtype("V0")) still allocates per element in NumPy's reader.
        total += count * max(dtype.itemsize, 1) * (_STRUCTURE_WEIGHT if name == _META else 1)
        _check_cap(where, total, max_bytes, f"entry {name!r} declares {shape} of {dtype}")
        with archive.open(info) as member:
            try:
                entries[name] = np.lib.format.read_array(member, allow_pickle=False)
            except ValueError as error:
                raise ValueError(f"{where} is malformed: entry {name!r}: {error}") from None
    return entries


def _read_header(member, where, name):
    """Shape, Fortran order, dtype and header length of one .npy member, read without its data."""
    try:
        version = np.lib.format.read_magic(member)
        if version == (1, 0):
            shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(member)
        elif version in ((2, 0), (3, 0)):
            # NOTE: version 3.0 is 2.0 with a UTF-8 header (for non-Latin-1 field names); read as
            # Latin-1 such a name is garbled, but the shape and the item size are the same.
            shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(member)
        else:
            raise ValueError(f"unknown .npy format version {version}")
    except ValueError as error:
        raise ValueError(f"{where} is malformed: entry {name!r} is not a .npy array: {error}") from None
    if dtype.hasobject:
        raise ValueError(f"{where}: entry {name!r} holds a pickled object array; minigrad.load never "
                         f"unpickles, since that could run code from the file")
    if any(n < 0 for n in shape):
        raise ValueError(f"{where} is malformed: entry {name!r} declares the shape {shape}")
    return shape, fortran_order, dtype, member.tell()


def _check_cap(where, size, max_bytes, detail):
    """Raise a ValueError naming the file, ``size`` and ``detail`` if ``size`` exceeds ``max_bytes``."""
    if max_bytes is not None and size > max_bytes:
        raise ValueError(f"{where}: loading it would take {size:,} bytes ({detail}), more than "
                         f"max_bytes={max_bytes:,}; if you trust the file, load it with a larger "
                         f"max_bytes")


def _decode_file(entries, where):
    meta = entries.pop(_META)
    try:
        if meta.shape != () or meta.dtype.kind != "U":
            raise ValueError(f"the {_META} entry must be a 0-d string array, got {meta.dtype} of shape {meta.shape}")
        header = json.loads(str(meta))
        if not isinstance(header, dict) or header.get("format") != "minigrad" or "tree" not in header:
            raise ValueError(f"the {_META} entry is not minigrad's structure description")
        if header.get("version") != _VERSION:
            raise ValueError(f"the file has format version {header.get('version')!r}; this minigrad reads "
                             f"version {_VERSION}")
        used = set()
        obj = _decode(header["tree"], entries, used)
        unexplained = sorted(set(entries) - used)
        if unexplained:
            raise ValueError(f"entries {unexplained} are not part of the saved structure")
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError) as error:
        # NOTE: json.JSONDecodeError is a ValueError; the other types come from a tree of
        # the wrong shape (a list where a dict belongs, ...). All mean: not what save wrote.
        raise ValueError(f"{where} is malformed: {error}") from None
    return obj


def _decode(node, entries, used):
    """The value described by one node of the structure."""
    if not isinstance(node, dict) or len(node) != 1:
        raise ValueError(f"bad structure node {node!r:.80}")
    (kind, payload), = node.items()
    if kind in ("array", "scalar"):
        if not isinstance(payload, str) or payload not in entries:
            raise ValueError(f"the structure names entry {payload!r}, which the archive lacks")
        used.add(payload)
        return entries[payload] if kind == "array" else entries[payload][()]
    if kind == "dict":
        out = {}
        for key, child in payload:
            if isinstance(key, bool) or not isinstance(key, (str, int)):
                raise ValueError(f"bad dict key {key!r:.80}")
            if key in out:
                raise ValueError(f"the dict key {key!r:.80} appears twice")
            out[key] = _decode(child, entries, used)
        return out
    if kind in ("list", "tuple"):
        items = [_decode(child, entries, used) for child in payload]
        return items if kind == "list" else tuple(items)
    if kind == "float" and isinstance(payload, str):
        return float(payload)
    if kind == "none" and payload is None:
        return None
    expected = {"int": int, "bool": bool, "str": str}.get(kind)
    if expected is not None and type(payload) is expected:
        return payload
    raise ValueError(f"bad structure node {node!r:.80}")
