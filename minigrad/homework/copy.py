"""The student copy: a source tree with the chosen exercises' bodies replaced by a stub.

Every exercise region becomes one line, ``raise NotImplementedError("exercise
<id>")``, at the marker's indentation; spoilers of the chosen exercises are
withheld the same way; everything else is copied byte for byte. The copy
records which exercises it was made for (:data:`ASSIGNMENT`), so that the
grader grades those by default.
"""

import json
import os
import shutil
from pathlib import Path

from .curriculum import _order
from .markers import (HomeworkError, Region, Spoiler, _check_compiles, _scan_tree, _strip, _strip_notebook,
                      _walk)

__all__ = ["ASSIGNMENT", "student_copy"]

#: The file, at the top of a student copy, that records which exercises it was made for.
ASSIGNMENT = ".minigrad-assignment.json"


def _inside(inner, outer):
    """True when the (real) path ``inner`` is ``outer`` or lies below it."""
    inner, outer = os.path.realpath(inner), os.path.realpath(outer)
    return inner == outer or inner.startswith(outer.rstrip(os.sep) + os.sep)


def _choose(exercises, known, listing):
    """The ids asked for (``None``: all of ``known``; one id or a list), in ``known``'s order.

    An id not in ``known`` raises HomeworkError, whose message ends with
    ``listing`` and the known ids.
    """
    if exercises is None:
        return list(known)
    if isinstance(exercises, str):
        exercises = [exercises]
    unknown = [e for e in exercises if e not in known]
    if unknown:
        raise HomeworkError(f"unknown exercise id(s) {', '.join(map(repr, unknown))}; "
                            f"{listing}: {', '.join(known)}")
    return [e for e in known if e in exercises]


def student_copy(src, dst, exercises=None):
    """Copy the source tree ``src`` to ``dst`` with the exercise bodies blanked out.

    Every region between ``# BEGIN SOLUTION <id>`` and ``# END SOLUTION`` in
    a ``.py`` file becomes one line ``raise NotImplementedError("exercise
    <id>")`` at the ``BEGIN`` marker's indentation. The marker lines stay, so
    the student sees where to write and the copy can be graded (or stripped
    again: stripping is idempotent). A spoiler (``# BEGIN SPOILER <id>
    ...``, code elsewhere that gives an exercise away, see :class:`Spoiler`)
    is withheld the same way when one of its ids is stripped. Everything else
    is copied byte for byte.

    Parameters
    ----------
    src : str or os.PathLike
        The instructor's tree (the repository, or the ``minigrad`` folder).
        It is only read.
    dst : str or os.PathLike
        Where to write the copy: a new folder or an empty one, not inside
        ``src`` and not containing it.
    exercises : list of str, optional
        Strip only these ids (the others keep their solution); default all.

    Returns
    -------
    list of str
        The ids stripped, in curriculum order. They are also written to
        ``dst/.minigrad-assignment.json`` (:data:`ASSIGNMENT`), which
        :func:`grade` reads to grade only these by default: the exercises
        left solved in a partial copy must not count as the student's.

    Raises
    ------
    HomeworkError
        (a ``ValueError``) for unbalanced, nested, malformed or duplicate
        markers (naming file:line), a spoiler of an exercise the tree does
        not hold, an unknown id (listing the known ones),
        ``dst`` inside ``src`` or ``src`` inside ``dst``, or a non-empty ``dst``.
        Nothing is written when it is raised.

    Notes
    -----
    Not copied: ``__pycache__``, ``*.pyc`` (compiled solutions), ``.git``
    (their history), ``*.egg-info``, ``.pytest_cache``, ``.hypothesis``,
    other tool caches, virtual environments (any folder holding ``pyvenv.cfg``)
    and ``build``/``dist`` at the top of ``src``. A symbolic link to a file is
    copied as the file's content; a link to a folder is refused. Markers are
    found line by line, also inside strings, in ``.py`` files and in the code
    cells of notebooks (spoilers only; a stripped notebook is written as
    nbformat writes it, without outputs); anything that looks like a marker
    but is not exactly one is an error, so a typo cannot leave a solution in
    the copy.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from minigrad.homework import student_copy
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (tmp / "src").mkdir(), (tmp / "src" / "sq.py").write_text(
    ...     "def square(x):\\n    '''x².'''\\n    # BEGIN " "SOLUTION sq\\n"
    ...     "    return x * x\\n    # END " "SOLUTION\\n")
    >>> student_copy(tmp / "src", tmp / "copy")
    ['sq']
    >>> (tmp / "copy" / "sq.py").read_text().splitlines()[2:]
    ['    # BEGIN SOLUTION sq', '    raise NotImplementedError("exercise sq")', '    # END SOLUTION']
    """
    src, dst = Path(src), Path(dst)
    if not src.is_dir():
        raise HomeworkError(f"source {str(src)!r} is not a folder")
    if _inside(dst, src):
        raise HomeworkError(f"destination {str(dst)!r} is inside the source {str(src)!r}; "
                            f"choose a folder outside it")
    if _inside(src, dst):
        raise HomeworkError(f"source {str(src)!r} is inside the destination {str(dst)!r}; "
                            f"choose a folder outside it")
    if dst.exists() and (not dst.is_dir() or any(dst.iterdir())):
        raise HomeworkError(f"destination {str(dst)!r} exists and is not an empty folder")

    files = list(_walk(src))
    marked = _scan_tree(src)  # every marker checked before anything is written
    known = _order([r.id for regions, _ in marked.values() for r in regions if isinstance(r, Region)])
    _check_spoilers(marked, known, src)
    chosen = set(_choose(exercises, known, f"the exercises in {str(src)!r} are"))
    stripped = {}
    for rel, (regions, text) in marked.items():
        if any(r.withheld_for(chosen) for r in regions):
            if rel.endswith(".ipynb"):
                new = _strip_notebook(text, regions, chosen, src / rel)
            else:
                new = _strip(text, regions, chosen)
                _check_compiles(text, new, src / rel)
            stripped[rel] = new.encode("utf-8")

    dst.mkdir(parents=True, exist_ok=True)
    for rel, path in files:
        target = dst / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if rel in stripped:
            target.write_bytes(stripped[rel])
            shutil.copymode(path, target)
        else:
            shutil.copy2(path, target)
    assigned = [ex_id for ex_id in known if ex_id in chosen]
    (dst / ASSIGNMENT).write_text(json.dumps({"exercises": assigned}, indent=1) + "\n",
                                  encoding="utf-8")
    return assigned


def _check_spoilers(marked, known, src):
    """Refuse a spoiler that names no exercise of the tree (a typo would leave it in every copy)."""
    for regions, _ in marked.values():
        for s in regions:
            unknown = [ex_id for ex_id in s.ids if ex_id not in known] if isinstance(s, Spoiler) else []
            if unknown:
                cell = f" (cell {s.cell + 1})" if s.cell is not None else ""
                raise HomeworkError(f"{s.path}{cell}:{s.begin}: BEGIN SPOILER names {', '.join(unknown)}, "
                                    f"which no exercise in {str(src)!r} is; the exercises are: "
                                    f"{', '.join(known)}")


def _assignment(root):
    """The exercise ids a student copy was made for (its :data:`ASSIGNMENT` file), or None."""
    for folder in (root, root / "minigrad"):  # a copy of the whole tree, or of the package only
        path = folder / ASSIGNMENT
        if path.is_file():
            try:
                ids = json.loads(path.read_text(encoding="utf-8"))["exercises"]
            except (ValueError, KeyError, TypeError) as e:
                raise HomeworkError(f"{path} is damaged ({e}); pass the exercises to grade") from None
            if not (isinstance(ids, list) and all(isinstance(i, str) for i in ids)):
                raise HomeworkError(f"{path} is damaged (no list of ids); pass the exercises to grade")
            return ids, path
    return None, None

