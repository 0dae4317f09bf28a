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
plain data can be saved.
"""

import errno
import json
import numbers
import os
import zipfile

import numpy as np

__all__ = ["save", "load", "UnsupportedTypeError"]

_META = "__minigrad__"  # name of the structure entry
_VERSION = 1


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
        If a container contains itself.

    Notes
    -----
    The file is written to a temporary file beside ``path`` and then renamed,
    so an interrupted save never leaves half a checkpoint behind.
    Entries are named by their dotted path; a key that already contains dots
    (``"0.weight"``) is used as it is, and if two paths would give the same
    name (``{"a.b": x, "a": {"b": y}}``) the later one gets a ``#1`` suffix.
    The names are for reading the file with NumPy; :func:`load` restores the
    exact keys from the structure entry. A dict subclass (OrderedDict) comes
    back as a plain dict, and an array stored twice comes back as two arrays.

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
    tree = _encode(obj, (), arrays, set(), {_META})
    meta = json.dumps({"format": "minigrad", "version": _VERSION, "tree": tree})
    arrays[_META] = np.array(meta)
    if hasattr(path, "write"):
        _write_npz(path, arrays)
        return
    path = _fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(errno.ENOENT, "minigrad.save: no such directory", directory)
    tmp = f"{path}.{os.getpid()}.tmp"  # beside the target, so the rename stays on one file system
    try:
        with open(tmp, "wb") as f:
            _write_npz(f, arrays)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def load(path):
    """Load what :func:`save` wrote (read with ``allow_pickle=False``; never runs code from the file).

    Parameters
    ----------
    path : str, os.PathLike or binary file object
        The file, at exactly this path (no suffix is added).

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
        a pickled object array, or its structure entry is malformed, refers
        to a missing entry or leaves entries unexplained; the message says
        which.

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
    if hasattr(path, "read"):
        where = getattr(path, "name", "file object")
        return _read_npz(path, where)
    path = _fspath(path)
    if not os.path.isfile(path):
        if os.path.isdir(path):
            raise IsADirectoryError(errno.EISDIR, "minigrad.load needs a file, got a directory", path)
        raise FileNotFoundError(errno.ENOENT, "minigrad.load: no such file", path)
    with open(path, "rb") as f:
        return _read_npz(f, path)


# ---------------------------------------------------------------- writing

def _fspath(path):
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str, an os.PathLike or a binary file object, got {type(path).__name__}")
    return os.fspath(path)


def _where(keys):
    """A dotted path for messages: 'optimizer.state.0.m', or 'the saved object' at the top."""
    return ".".join(map(str, keys)) if keys else "the saved object"


def _entry_name(keys, used):
    """A unique entry name for the array at ``keys``: its dotted path, suffixed if taken."""
    base = ".".join(map(str, keys)) if keys else "value"
    name, i = base, 0
    while name in used:
        i += 1
        name = f"{base}#{i}"
    used.add(name)
    return name


def _encode(value, keys, arrays, active, used):
    """The JSON description of ``value``; its arrays are added to ``arrays`` under dotted names.

    ``active`` holds the ids of the containers being encoded (to catch cycles),
    ``used`` the entry names given out so far.
    """
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
        return {"int": int(value)}
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
        return int(key)
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

def _read_npz(f, where):
    """Every entry of the archive in ``f``, rebuilt into the saved object."""
    start = f.tell() if f.seekable() else None
    if not zipfile.is_zipfile(f):
        raise ValueError(f"{where} is not an .npz archive (not a zip file)")
    if start is not None:
        f.seek(start)
    entries = {}
    try:
        with np.load(f, allow_pickle=False) as archive:
            if not isinstance(archive, np.lib.npyio.NpzFile):
                raise ValueError(f"{where} is not an .npz archive")
            for name in archive.files:
                try:
                    entries[name] = archive[name]
                except ValueError as error:
                    if "allow_pickle" in str(error) or "pickle" in str(error).lower():
                        raise ValueError(
                            f"{where}: entry {name!r} holds a pickled object array; minigrad.load never "
                            f"unpickles, since that could run code from the file") from None
                    raise
    except ValueError as error:
        if str(error).startswith(str(where)):
            raise
        raise ValueError(f"{where} is a malformed .npz archive: {error}") from None
    except (OSError, EOFError, KeyError, zipfile.BadZipFile) as error:
        raise ValueError(f"{where} is a malformed .npz archive: {error}") from None
    if _META not in entries:
        return entries  # a plain np.savez archive: name -> array
    return _decode_file(entries, where)


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
