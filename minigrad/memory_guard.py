"""Arrays saved for backward are read-only while a graph needs them; minigrad's own writes are counted.

``backward`` differentiates with the arrays each node saved in ``forward``
(``Mul`` keeps x and y). A write into one of them between the two would give
a silently wrong gradient, so the engine (``Function.apply``) calls
:func:`protect` on every node it records, and this module:

- makes each saved array that a user can reach (an input's array, the
  result's, an array given by keyword, or a view of any of them, such as a
  custom op's ``self.wT = w.T``) read-only, together with the array that
  owns its memory (so a write through ``t.data``, ``t.numpy()``,
  ``t.detach().data``, ``np.copyto`` or ``p.data *= c`` raises NumPy's
  "read-only" error at the write);
- counts, per block of memory, the live nodes that saved it: the memory is
  writable again when the last of them is released (after ``backward``) or
  freed (a dropped graph), so the manual step ``p.data -= lr * p.grad``
  after ``backward`` works as students write it;
- lets minigrad's own in-place writers (``t -= v`` and ``t[i] = v`` under
  ``no_grad``, optimizer steps, ``load_state_dict``, ``nn.init``) write
  through :class:`modifying`, which opens the memory for the write and bumps
  its version; :func:`check_unchanged` then makes ``backward`` raise, naming
  the op and what it saved, as PyTorch does with its version counters. It
  raises too for memory the user opened by hand (``setflags(write=True)``).

This is MyGrad's approach (memory locked per array, with a count) joined to
PyTorch's (versions checked at backward).

Views: a view that an op made a Tensor's array (``x.reshape``, ``x.T``,
``x[0]``) is remembered (:func:`note_view`) and locked and given back with
its memory. NOTE: a view made with NumPy itself *before* the graph
(``v = w.data[:2]``) keeps its own write flag: NumPy gives no way to find
it, so a write through it goes unseen; one made with NumPy *while* the
memory is locked is read-only (NumPy's rule) and stays so after the release
(``v.setflags(write=True)`` opens it). Memory that was read-only to begin
with (``np.broadcast_to``) stays read-only. The registry is keyed by the
``id`` of the array that owns the memory, which it keeps alive so that the
id stays unique.

Not seen either: NumPy's ``ufunc.at`` (``np.add.at(t.data, i, 1)``), which
writes into read-only arrays (a NumPy bug, as of NumPy 2.4), and memory
that belongs to another library (an array from a torch tensor's
``.numpy()``), which NumPy cannot make writable again once locked, so it is
never locked.

Cost: a lock and its unlock are two ``setflags`` calls (positional: a
quarter of the cost of assigning ``a.flags.writeable``, which saves 10% on
``bench/bench_ops.py``'s chain at 1,000 links, measured against the
assignment in one process) and a few dictionary operations, about 1 µs per
saved array; on that chain the guard is a fifth of minigrad's time
(``bench_ops.py --no-guard``). Its records (a list per block of memory, a
tuple per node) are objects CPython's cyclic garbage collector tracks, so in
a deep graph they also bring its collections sooner: at 30,000 links the
guard costs 3.7 µs per op against 1.6 µs at 1,000.
"""

import weakref

import numpy as np

__all__ = ["protect", "release", "check_unchanged", "modifying", "is_protected", "note_view"]

# id(owner array) -> [count, version, writable, owner, views] for each block of memory that live
# nodes saved: how many saves of it live nodes hold; how many times minigrad wrote into it since
# it was locked; whether it was writable before; the owner array itself (kept alive while locked,
# so that its id stays unique); {id(view): view} for the views of it that are read-only with it
# (given back on release).
_memories = {}
COUNT, VERSION, WRITABLE, OWNER, VIEWS = range(5)

# id(owner array) -> {id(view): weak reference} for the writable views of it that ops made a
# Tensor's array (``x.reshape``, ``x.T``, ``x[0]``): the first lock of the memory locks them too.
_op_views = {}


def _owner(a):
    """The array that owns the memory of ``a`` (``a`` itself unless it is a view)."""
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


def _reopenable(owner):
    """Whether NumPy will let ``owner`` be made writable again once it was made read-only.

    NOTE: an array whose memory belongs to another Python object (``bytes``
    from a pickle, a read-only buffer) may start writable, but NumPy refuses
    to turn it writable again after a lock: such memory is never locked (a
    raw write into it goes unseen; minigrad's own writes are still counted).
    """
    if owner.base is None:
        return True
    try:
        return not memoryview(owner.base).readonly
    except TypeError:
        return False


def _lock(memory):
    if memory[WRITABLE]:
        memory[OWNER].setflags(False)
        for v in memory[VIEWS].values():
            v.setflags(False)


def _unlock(memory):
    if memory[WRITABLE]:
        memory[OWNER].setflags(True)
        for v in memory[VIEWS].values():
            v.setflags(True)


def _source(value, arrays, result):
    """Where a saved array came from: the positions k of the inputs whose array it is (``-1``
    for the result), or None.

    Only those are arrays a user can reach; a mask or table the node made itself is not. An
    array can be several inputs' (``x * x``, or ``x * x.data``, where one of them is a constant).
    """
    if value is result:
        return (-1,)
    positions = None
    for k, a in enumerate(arrays):
        if value is a:
            position = _POSITIONS[k] if k < len(_POSITIONS) else (k,)
            positions = position if positions is None else positions + position
    return positions


# NOTE: the one-position tuples, made once: a tuple made per saved array survives in the node's
# records, and each such object brings the cyclic garbage collector's next pass sooner (on
# bench_ops.py's chain of 30,000 links: 851 young collections with a tuple per save, 813 without)
_POSITIONS = tuple((k,) for k in range(16))


def note_view(a):
    """Remember ``a``, a view of another array's memory that an op made a Tensor's array.

    ``Tensor._wrap`` calls it for every such result (``x.reshape``, ``x.T``,
    ``x[0]``), so that a raw write through the view tensor's array is refused
    too while a graph holds the memory: a view made *before* the lock is
    locked with it; one made *while* its memory is locked is read-only
    already (NumPy's rule for views) and is given back with the memory.
    Views that are read-only for their own reason (``np.broadcast_to``'s)
    are left alone. The references are weak: a view that is dropped is
    forgotten.
    """
    owner = _owner(a)
    key = id(owner)
    if a.flags.writeable:
        _remember_view(key, a)
    else:
        memory = _memories.get(key)
        if (memory is not None and memory[WRITABLE] and not owner.flags.writeable
                and not _broadcast(a)):
            _add_view(memory, a)  # read-only because its memory is locked: writable again with it
            _remember_view(key, a)  # and locked again by the graphs that save the memory later


def _remember_view(key, a):
    """Keep a weak reference to view ``a`` of memory ``key``: the memory's next first lock locks it."""
    refs = _op_views.get(key)
    if refs is None:
        refs = _op_views[key] = {}
    refs[id(a)] = weakref.ref(a, lambda ref, view=id(a): _forget_view(key, view))


# NOTE: one shared empty dict for the many memories with no views, never written into
# (_add_view makes a memory its own first): a dict made per memory survives in the registry and
# brings the cyclic garbage collector's next pass sooner, as the one-position tuples would (on the
# same chain: 813 young collections with a dict per memory, 772 without, as before views were kept)
_NO_VIEWS = {}


def _add_view(memory, view):
    """Remember ``view`` among the views locked and given back with ``memory``."""
    if memory[VIEWS] is _NO_VIEWS:
        memory[VIEWS] = {}
    memory[VIEWS][id(view)] = view


def _broadcast(a):
    """Whether ``a`` repeats elements (a stride of 0 along an axis of length > 1), as broadcast views do."""
    return any(stride == 0 and n > 1 for stride, n in zip(a.strides, a.shape))


def _forget_view(key, view):
    """The view with id ``view`` that ``note_view`` remembered was freed: forget its reference."""
    refs = _op_views.get(key)
    if refs is not None:
        refs.pop(view, None)
        if not refs:
            del _op_views[key]


def _writable_op_views(key):
    """The live views of memory ``key`` that ops made and that are still writable (to lock with it)."""
    views = {}
    for ref in _op_views.get(key, {}).values():
        v = ref()
        if v is not None and v.flags.writeable:
            views[id(v)] = v
    return views or _NO_VIEWS


def protect(node, arrays, result, params=None):
    """Lock what ``node`` saved (its attributes) of the arrays a user can reach; remember their versions.

    Reachable are the inputs' ``arrays`` (a Tensor's data, a user's ndarray),
    the ``result``, and the arrays among the keyword ``params`` of the op
    (``Op.apply(x, weights=w)``), together with any view of their memory
    (a custom op's ``self.wT = w.T`` or ``x.reshape(-1)``); a mask or table
    the node made itself needs no lock. ``node._protected`` keeps one record
    per array locked: ``(name, array, memory key, version, sources)``,
    sources as :func:`_source` gives them (``()`` for a view, or a
    keyword's array: no input's array itself). The items of a saved tuple,
    list or dict count too (a custom op's ``self.saved = (x, y)``), named
    ``"saved[0]"``.
    """
    saved = []
    for name, value in vars(node).items():
        if isinstance(value, np.ndarray):
            _save(saved, name, value, arrays, result, params)
        elif isinstance(value, (tuple, list, dict)) and value:
            for key, item in (value.items() if isinstance(value, dict) else enumerate(value)):
                if isinstance(item, np.ndarray):
                    _save(saved, f"{name}[{key!r}]", item, arrays, result, params)
    if saved:
        node._protected = tuple(saved)


def _on_reachable_memory(value, arrays, result, params):
    """Whether ``value`` shares the memory of an input's array, the result or a keyword array (a view)."""
    owner = _owner(value)
    given = [*arrays, result, *(params or {}).values()]
    return any(isinstance(a, np.ndarray) and _owner(a) is owner for a in given)


def _save(saved, name, value, arrays, result, params):
    """Lock array ``value`` (saved as ``name``) if a user can reach it, and add its record to ``saved``."""
    source = _source(value, arrays, result)
    if source is None:
        if not _on_reachable_memory(value, arrays, result, params):
            return  # an array the node made itself
        source = ()  # a view of reachable memory, or a keyword's array: no input's array itself
    owner = value if value.base is None else _owner(value)
    key = id(owner)
    memory = _memories.get(key)
    if memory is None:  # the first live save of this memory: lock it, and the views ops made of it
        writable = owner.flags.writeable and (owner.base is None or _reopenable(owner))
        views = _writable_op_views(key) if writable else _NO_VIEWS
        memory = _memories[key] = [0, 0, writable, owner, views]
        _lock(memory)
    if value is not owner and memory[WRITABLE] and value.flags.writeable:
        value.setflags(False)  # a view, made before the lock: lock it too
        _add_view(memory, value)
    memory[COUNT] += 1
    saved.append((name, value, key, memory[VERSION], source))


def release(node):
    """Give back the memory ``node`` saved (after its backward, or when the node is freed)."""
    for _, _, key, _, _ in node._protected:
        memory = _memories[key]
        memory[COUNT] -= 1
        if memory[COUNT] == 0:  # no live node needs it any more
            del _memories[key]
            _unlock(memory)
    node._protected = ()


def check_unchanged(node):
    """Raise ``RuntimeError`` if minigrad wrote into an array ``node`` saved since ``forward``, or the
    user opened its locked memory by hand (``setflags(write=True)``, the usual web answer to NumPy's
    "read-only" error)."""
    for name, value, key, version, _ in node._protected:
        memory = _memories[key]
        if memory[WRITABLE] and memory[OWNER].flags.writeable:  # opened by hand: setflags(write=True)
            raise RuntimeError(
                f"backward: the array of shape {value.shape} that the {type(node).__name__} node saved "
                f"as {name!r} was made writable again (setflags(write=True)) while this graph needed "
                f"it, so its values may have changed since the op used them; change arrays after "
                f"backward(), or compute the graph again")
        if memory[VERSION] != version:
            raise RuntimeError(
                f"backward: the array of shape {value.shape} that the {type(node).__name__} node saved "
                f"as {name!r} was changed in place after the op used it (by an optimizer step, `-=` or "
                f"item assignment under no_grad, load_state_dict, nn.init, ...), so its gradient would "
                f"mix old and new values; change it after backward(), or compute a new tensor instead")


def is_protected(a):
    """True while a live node holds the memory of array ``a`` for its backward."""
    return id(_owner(a)) in _memories


class modifying:
    """``with modifying(*arrays):`` write into them in place, as minigrad's own in-place changes do.

    Memory that a live graph saved is opened for the block, then locked again
    with its version bumped, so that ``backward`` through that graph raises
    instead of using the new values. Memory no graph holds costs one look-up.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.zeros(2)
    >>> with modifying(a):
    ...     a += 1
    >>> a
    array([1., 1.])
    """

    __slots__ = ("memories", "views")

    def __init__(self, *arrays):
        self.memories, self.views = [], []  # views: (view, its memory)
        if not _memories:  # no live graph saved anything: nothing to open
            return
        for a in arrays:
            memory = _memories.get(id(_owner(a)))
            if memory is None:
                continue
            if all(memory is not m for m in self.memories):
                self.memories.append(memory)
            if (memory[WRITABLE] and a is not memory[OWNER] and not a.flags.writeable
                    and id(a) not in memory[VIEWS]):
                self.views.append((a, memory))  # a view made while the memory was locked: read-only too

    def __enter__(self):
        for memory in self.memories:
            _unlock(memory)
        for v, _ in self.views:
            v.flags.writeable = True
        return self

    def __exit__(self, *exc):
        for memory in self.memories:
            memory[VERSION] += 1
            # NOTE: lock it again only while a node still holds it: the write may have freed the
            # last one (a graph dropped meanwhile), which gave the memory back for good
            if _memories.get(id(memory[OWNER])) is memory:
                _lock(memory)
                for v, m in self.views:
                    if m is memory:
                        v.flags.writeable = False
        return False
