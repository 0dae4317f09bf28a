"""Homework: exercises marked in minigrad's own source, a student copy, a grader.

An exercise is one function body, framed by two comment lines of its own:
a line ``# BEGIN SOLUTION <id>`` just below the docstring and a line
``# END SOLUTION`` after the body, both at the body's indentation (see
``docs/homework.md`` for a picture). The signature and the docstring (the
task) stay outside, and the code between the markers is the normal, tested
implementation. Three tools use the markers:

- :func:`student_copy` copies a source tree and replaces every region's body
  by ``raise NotImplementedError("exercise <id>")`` at the marker's
  indentation. It keeps the two marker lines, so a student knows where to
  write, and a copy can be graded or stripped again; everything else is
  byte-identical.
- Code elsewhere that gives an exercise's answer away (a NumPy reference in
  a test, a benchmark's hand-written update, a figure's formula) is framed
  the same way with ``# BEGIN SPOILER <id> [<id> ...]`` and
  ``# END SPOILER``: it is withheld from every copy that strips one of the
  ids it names (:func:`find_spoilers`).
- Tests carry ``@pytest.mark.exercise("<id>")``; ``pytest --exercise <id>``
  runs just those (``tests/conftest.py``).
- :func:`grade` runs the *instructor's* exercise tests (the ``tests/`` folder
  next to the minigrad package the grader runs from) against a student copy,
  in a subprocess whose import path is the copy, with a per-test and an
  overall time limit, and scores each exercise.

:data:`EXERCISES` is the curriculum: each exercise's tests use only the
exercises before it, so a student can work through them in this order.
``docs/homework.md`` is the instructor's guide.
"""

import collections.abc
import dataclasses
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["EXERCISES", "ASSIGNMENT", "HomeworkError", "GradingError", "Region", "Spoiler",
           "ExerciseResult", "GradeReport", "scan", "find_exercises", "find_spoilers", "student_copy",
           "grade", "student_copy_command", "grade_command"]

#: The curriculum, in the order a student should solve it: the engine chapter
#: first (``minigrad/function.py``: ``Function.apply``, ``unbroadcast``,
#: ``toposort``, the backward loop ``backward_pass``), then op derivatives,
#: then ``nn``, the mini-batch regime, the optimizers, and last a Hessian-vector
#: product from two calls of ``minigrad.grad``. The tests of an
#: exercise use only the exercises before it.
EXERCISES = (
    # engine
    "function.apply", "function.unbroadcast", "function.toposort", "function.backward_pass",
    # op derivatives
    "ops.mul_backward", "ops.matmul_backward", "ops.exp_backward", "ops.log_backward",
    "ops.tanh_backward", "ops.sum_backward", "ops.softmax_backward", "ops.log_softmax_backward",
    # modules and losses
    "nn.module_parameters", "nn.cross_entropy_backward",
    # training regimes
    "optim.minibatches",
    # optimizers, in the lecture's order; Adam's moments are shared by RAdam and SWATS
    "optim.sgd_update", "optim.sgdm_update", "optim.adagrad_update", "optim.rmsprop_update",
    "optim.adam_moments", "optim.adam_update", "optim.amsgrad_second_moment",
    "optim.radam_update", "optim.swats_update",
    # gradients of gradients: a Hessian-vector product from two calls of minigrad.grad
    "higher_order.hvp",
)

# Folders and files never copied: caches and build products hold the solutions
# (compiled .pyc files, build/lib, wheels), .git holds their history.
_SKIP_DIRS = {"__pycache__", ".git", ".hg", ".svn", ".pytest_cache", ".hypothesis", ".mypy_cache",
              ".ruff_cache", ".ipynb_checkpoints", ".tox", ".nox", ".venv", ".eggs"}
_SKIP_TOP_DIRS = {"build", "dist"}  # only at the top of SRC: setuptools' output folders
_SKIP_SUFFIXES = (".egg-info", ".pyc", ".pyo")

# A marker is a whole comment line. _LOOSE finds anything that looks like one
# (any case, any spacing) so that a typo is an error, never a silent leak.
_LOOSE = re.compile(r"[ \t]*#[ \t]*(BEGIN|END)[ \t]*(SOLUTION|SPOILER)\b", re.IGNORECASE)
_ID = r"[A-Za-z_][A-Za-z0-9_.]*"
_BEGIN = re.compile(rf"([ \t]*)# BEGIN (SOLUTION) ({_ID})[ \t]*\r?")
_BEGIN_SPOILER = re.compile(rf"([ \t]*)# BEGIN (SPOILER) ({_ID}(?: {_ID})*)[ \t]*\r?")
_END = re.compile(r"([ \t]*)# END (SOLUTION|SPOILER)[ \t]*\r?")
_STUB = 'raise NotImplementedError("exercise {}")'
_SPOILER_STUB = 'raise NotImplementedError("withheld from the student copy: it gives away {}")'
#: The file, at the top of a student copy, that records which exercises it was made for.
ASSIGNMENT = ".minigrad-assignment.json"


class HomeworkError(ValueError):
    """Bad markers (with file:line), an unknown exercise id, or a refused SRC/DST pair."""


class GradingError(RuntimeError):
    """The grader could not grade: wrong code imported, no instructor tests, a crashed run."""


@dataclass(frozen=True)
class Region:
    """One exercise region of a source file.

    Attributes
    ----------
    id : str
        The exercise id, e.g. ``"ops.tanh_backward"``.
    path : str
        The file: the scanned folder joined with its path inside it.
    begin, end : int
        Line numbers (from 1) of the ``BEGIN`` and ``END`` marker lines.
    indent : str
        The whitespace before the ``BEGIN`` marker (the stub's indentation).
    body : tuple of str
        The lines between the markers, without line ends.
    """

    id: str
    path: str
    begin: int
    end: int
    indent: str
    body: tuple

    @property
    def stubbed(self):
        """True when the body is only the stub that :func:`student_copy` writes."""
        return [line.rstrip() for line in self.body if line.strip()] == [self.indent + self.stub]

    @property
    def stub(self):
        """The line (without indentation) that replaces the body in a student copy."""
        return _STUB.format(self.id)

    def withheld_for(self, chosen):
        """True when a copy that strips the exercises ``chosen`` strips this region."""
        return self.id in chosen


@dataclass(frozen=True)
class Spoiler:
    """Code outside the exercises that gives the answer of some away, withheld with them.

    A NumPy reference in a test, a benchmark's hand-written update or a
    figure's formula, framed by ``# BEGIN SPOILER <id> [<id> ...]`` and
    ``# END SPOILER`` in a ``.py`` file or in a code cell of a notebook
    (``.ipynb``: a jupytext pair is stripped alike in both files). A
    student copy that strips any of the exercises
    ``ids`` replaces the body by ``raise NotImplementedError("withheld from
    the student copy: it gives away <ids>")``; code that needs it then fails
    in the copy with that message, and only there.

    Attributes
    ----------
    ids : tuple of str
        The exercises whose answers the code gives away.
    path, begin, end, indent, body
        As for :class:`Region`.
    cell : int or None
        In a notebook, the index of the code cell (``begin`` and ``end``
        count lines in it); None in a ``.py`` file.
    """

    ids: tuple
    path: str
    begin: int
    end: int
    indent: str
    body: tuple
    cell: object = None  # in a notebook: the index of its code cell (begin and end count in it)

    @property
    def stubbed(self):
        """True when the body is only the stub that :func:`student_copy` writes."""
        return [line.rstrip() for line in self.body if line.strip()] == [self.indent + self.stub]

    @property
    def stub(self):
        """The line (without indentation) that replaces the body in a student copy."""
        return _SPOILER_STUB.format(", ".join(self.ids))

    def withheld_for(self, chosen):
        """True when a copy that strips the exercises ``chosen`` strips this code."""
        return any(ex_id in chosen for ex_id in self.ids)


# ---------------------------------------------------------------- markers

def _parse(text, shown):
    """Regions and spoilers of one file's text; ``shown`` is the file's name for messages."""
    found, open_ = [], None  # open_: (kind, ids, line, indent) of an unclosed BEGIN
    lines = text.split("\n")
    for number, line in enumerate(lines, start=1):
        if not _LOOSE.match(line):
            continue
        begin = _BEGIN.fullmatch(line) or _BEGIN_SPOILER.fullmatch(line)
        end = _END.fullmatch(line)
        if begin:
            indent, kind, ids = begin[1], begin[2], begin[3]
            if open_:
                what = {"SOLUTION": "exercise", "SPOILER": "spoiler"}
                nesting = "exercises" if kind == open_[0] == "SOLUTION" else "markers"
                raise HomeworkError(
                    f"{shown}:{number}: BEGIN {kind} {ids} inside {what[open_[0]]} {open_[1]} "
                    f"(opened at line {open_[2]}): {nesting} cannot nest; close it with "
                    f"'# END {open_[0]}' first")
            open_ = (kind, ids, number, indent)
        elif end:
            if not open_ or open_[0] != end[2]:
                raise HomeworkError(f"{shown}:{number}: END {end[2]} without a BEGIN {end[2]} "
                                    f"before it" + (f" (BEGIN {open_[0]} {open_[1]} at line "
                                                    f"{open_[2]} is open)" if open_ else ""))
            kind, ids, first, indent = open_
            if end[1] != indent:
                raise HomeworkError(
                    f"{shown}:{number}: END {kind} indented {end[1]!r} but its BEGIN {kind} "
                    f"{ids} at line {first} is indented {indent!r}; they must match")
            body = tuple(row.rstrip("\r") for row in lines[first:number - 1])
            if kind == "SOLUTION":
                found.append(Region(ids, shown, first, number, indent, body))
            else:
                found.append(Spoiler(tuple(ids.split()), shown, first, number, indent, body))
            open_ = None
        else:
            raise HomeworkError(
                f"{shown}:{number}: malformed marker {line.strip()!r}; a marker is a whole line "
                f"'# BEGIN SOLUTION <id>' (id: letters, digits, '_' and '.'), '# END SOLUTION', "
                f"'# BEGIN SPOILER <id> [<id> ...]' or '# END SPOILER'")
    if open_:
        raise HomeworkError(f"{shown}:{open_[2]}: BEGIN {open_[0]} {open_[1]} has no END {open_[0]} "
                            f"(unbalanced markers)")
    return found


def _strip(text, regions, chosen):
    """``text`` with the body of every region (or spoiler) withheld for ``chosen`` replaced by its stub."""
    lines = text.split("\n")
    for r in reversed(regions):  # from the bottom up, so earlier line numbers stay valid
        if r.withheld_for(chosen):
            eol = "\r" if lines[r.begin - 1].endswith("\r") else ""
            lines[r.begin:r.end - 1] = [r.indent + r.stub + eol]
    return "\n".join(lines)


def _walk(src):
    """Yield (relative path, absolute path) of every file to copy under ``src``, sorted."""
    for folder, dirs, files in os.walk(src):
        rel_folder = os.path.relpath(folder, src)
        keep = []
        for d in sorted(dirs):
            if d in _SKIP_DIRS or d.endswith(_SKIP_SUFFIXES) or \
                    (rel_folder == "." and d in _SKIP_TOP_DIRS) or \
                    os.path.isfile(os.path.join(folder, d, "pyvenv.cfg")):  # a virtual environment
                continue
            if os.path.islink(os.path.join(folder, d)):
                raise HomeworkError(f"{os.path.join(folder, d)}: a symbolic link to a folder; "
                                    f"student_copy copies real folders only")
            keep.append(d)
        dirs[:] = keep
        for name in sorted(files):
            if name.endswith(_SKIP_SUFFIXES):
                continue
            rel = os.path.normpath(os.path.join(rel_folder, name))
            yield rel.replace(os.sep, "/"), os.path.join(folder, name)


def _read_regions(path, shown):
    """(regions, text) of one .py file; (None, None) when it holds no marker at all."""
    raw = Path(path).read_bytes()
    if b"SOLUTION" not in raw.upper() and b"SPOILER" not in raw.upper():
        return None, None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise HomeworkError(f"{shown}: holds a SOLUTION marker but is not UTF-8 text ({e})") from None
    return _parse(text, shown), text


def _read_notebook(path, shown):
    """(spoilers, text) of a notebook's code cells; (None, None) when they hold no marker."""
    raw = Path(path).read_bytes()
    if b"SOLUTION" not in raw.upper() and b"SPOILER" not in raw.upper():
        return None, None
    try:
        text = raw.decode("utf-8")
        cells = json.loads(text)["cells"]
        sources = [(i, _cell_text(cell)) for i, cell in enumerate(cells) if cell.get("cell_type") == "code"]
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise HomeworkError(f"{shown}: holds a marker but is not a notebook that can be read ({e})") from None
    found = []
    for i, source in sources:
        for r in _parse(source, f"{shown} (cell {i + 1})"):
            if isinstance(r, Region):
                raise HomeworkError(f"{r.path}:{r.begin}: an exercise belongs in a .py file, where it is "
                                    f"graded; a notebook may hold spoilers (# BEGIN SPOILER) only")
            found.append(dataclasses.replace(r, path=shown, cell=i))
    return (found, text) if found else (None, None)


def _cell_text(cell):
    """A notebook cell's source as one string (nbformat stores a string or a list of lines)."""
    source = cell.get("source", "")
    return source if isinstance(source, str) else "".join(source)


def _strip_notebook(text, spoilers, chosen, shown):
    """A notebook's text with its spoilers withheld for ``chosen``, written as nbformat writes it."""
    notebook = json.loads(text)
    for i in sorted({s.cell for s in spoilers}):
        cell = notebook["cells"][i]
        old = _cell_text(cell)
        new = _strip(old, [s for s in spoilers if s.cell == i], chosen)
        # NOTE: IPython's magics (%matplotlib, !pip) are not Python; they are left out of the check
        _check_compiles(*(re.sub(r"(?m)^[ \t]*[%!].*$", "", t) for t in (old, new)), f"{shown} (cell {i + 1})")
        cell["source"] = new if isinstance(cell["source"], str) else new.splitlines(keepends=True)
    return json.dumps(notebook, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def _scan_tree(src):
    """{relative path: (regions, text)} of the .py files and notebooks of ``src`` that hold markers."""
    src = Path(src)
    if src.is_file():
        read = _read_notebook if src.suffix == ".ipynb" else _read_regions
        regions, text = read(src, str(src))
        return {src.name: (regions, text)} if regions is not None else {}
    if not src.is_dir():
        raise HomeworkError(f"source {str(src)!r} is not a folder or a .py file")
    found = {}
    for rel, path in _walk(src):
        if rel.endswith((".py", ".ipynb")):
            read = _read_regions if rel.endswith(".py") else _read_notebook
            regions, text = read(path, str(src / rel))
            if regions is not None:
                found[rel] = (regions, text)
    _check_unique(r for regions, _ in found.values() for r in regions)
    return found


def _check_unique(regions):
    """Refuse two exercise regions with one id (spoilers may name an exercise any number of times)."""
    seen = {}
    for r in regions:
        if isinstance(r, Spoiler):
            continue
        if r.id in seen:
            other = seen[r.id]
            raise HomeworkError(f"{r.path}:{r.begin}: duplicate exercise id {r.id!r}, already "
                                f"used at {other.path}:{other.begin}")
        seen[r.id] = r


def _order(ids):
    """Curriculum order: ids of :data:`EXERCISES` first, in its order, then the rest as found."""
    rank = {ex_id: i for i, ex_id in enumerate(EXERCISES)}
    return sorted(ids, key=lambda ex_id: rank.get(ex_id, len(rank)))  # stable for the rest


def scan(src):
    """Every exercise region under ``src`` (a folder or one ``.py`` file), in curriculum order.

    Parameters
    ----------
    src : str or os.PathLike
        A source tree (a repository or the ``minigrad`` package folder), or a file.

    Returns
    -------
    list of Region
        Ordered as :func:`find_exercises` orders their ids. ``Region.path``
        is shown as ``src`` joined with the file's relative path.

    Raises
    ------
    HomeworkError
        Unbalanced, nested, malformed or duplicate markers, with file:line.

    Examples
    --------
    >>> from pathlib import Path
    >>> import minigrad as mg
    >>> from minigrad.homework import scan
    >>> r = next(r for r in scan(Path(mg.__file__).parent) if r.id == "ops.tanh_backward")
    >>> r.path.endswith("ops.py"), r.end - r.begin - 1   # file, body lines
    (True, 1)
    """
    regions = [r for regions, _ in _scan_tree(src).values() for r in regions if isinstance(r, Region)]
    rank = {ex_id: i for i, ex_id in enumerate(_order([r.id for r in regions]))}
    return sorted(regions, key=lambda r: rank[r.id])


def find_spoilers(src):
    """Every spoiler under ``src`` (a folder or one ``.py`` file): code that gives an exercise away.

    A spoiler is framed by ``# BEGIN SPOILER <id> [<id> ...]`` and ``# END
    SPOILER``; :func:`student_copy` withholds it whenever it strips one of
    the ids it names.

    Returns
    -------
    list of Spoiler
        In file order (files sorted by path, then by line).

    Raises
    ------
    HomeworkError
        Unbalanced, nested or malformed markers, with file:line.

    Examples
    --------
    >>> from pathlib import Path
    >>> import minigrad as mg
    >>> from minigrad.homework import find_spoilers
    >>> [s.ids for s in find_spoilers(Path(mg.__file__).parent / "figures.py")]
    [('optim.radam_update',)]
    """
    return [s for regions, _ in _scan_tree(src).values() for s in regions if isinstance(s, Spoiler)]


def find_exercises(src):
    """The ids of the exercises marked under ``src``, in curriculum order.

    Ids listed in :data:`EXERCISES` come first, in its order; ids it does not
    list follow in file order (files sorted by path, then by line).

    Examples
    --------
    >>> from pathlib import Path
    >>> import minigrad as mg
    >>> from minigrad.homework import find_exercises
    >>> find_exercises(Path(mg.__file__).parent)[:4]
    ['function.apply', 'function.unbroadcast', 'function.toposort', 'function.backward_pass']
    """
    return [r.id for r in scan(src)]


# ---------------------------------------------------------------- the student copy

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


def _check_compiles(old, new, shown):
    """Refuse a region placed so that its stub is not valid Python (e.g. mid-expression)."""
    try:
        compile(old, str(shown), "exec", dont_inherit=True)
    except SyntaxError:
        return  # the original does not compile either: not the markers' doing
    try:
        compile(new, str(shown), "exec", dont_inherit=True)
    except SyntaxError as e:
        raise HomeworkError(f"{shown}:{e.lineno}: the stripped file is not valid Python ({e.msg}); "
                            f"put the markers around a whole function body") from None


# ---------------------------------------------------------------- grading

@dataclass(frozen=True)
class ExerciseResult:
    """The score of one exercise: ``passed`` of ``total`` tests, ``score`` = passed / total."""

    passed: int
    total: int

    @property
    def score(self):
        """Fraction of the exercise's tests passed, in [0, 1] (0 when it has no test)."""
        return self.passed / self.total if self.total else 0.0

    def __iter__(self):  # unpacks as (passed, total, score)
        return iter((self.passed, self.total, self.score))


@dataclass
class GradeReport(collections.abc.Mapping):
    """What :func:`grade` found: a read-only mapping exercise id → :class:`ExerciseResult`.

    Attributes
    ----------
    path : str
        The graded copy.
    minigrad_file : str or None
        ``minigrad.__file__`` as the test run imported it (inside ``path``);
        None if ``import minigrad`` failed there.
    results : dict
        Exercise id → ExerciseResult, in curriculum order.
    tests : dict
        Test node id → (exercise id, outcome, message); outcome is
        ``"passed"``, ``"failed"``, ``"timeout"``, ``"crashed"`` (the test
        process died during it), ``"skipped"`` or ``"not run"``.
    problems : list of str
        Run-level problems (``import minigrad`` failed, collection errors,
        the overall time limit), each one line.
    """

    path: str
    minigrad_file: object
    results: dict
    tests: dict = field(default_factory=dict)
    problems: list = field(default_factory=list)

    def __getitem__(self, ex_id):
        return self.results[ex_id]

    def __iter__(self):
        return iter(self.results)

    def __len__(self):
        return len(self.results)

    @property
    def passed(self):
        """Tests passed, over all graded exercises."""
        return sum(r.passed for r in self.results.values())

    @property
    def total(self):
        """Tests run, over all graded exercises."""
        return sum(r.total for r in self.results.values())

    @property
    def score(self):
        """The mean of the exercises' scores, in [0, 1]: every exercise weighs the same."""
        return sum(r.score for r in self.results.values()) / len(self.results) if self.results else 0.0

    def table(self):
        """The report as text: one row per exercise (passed/total, score) and a total row."""
        width = max([len("exercise"), len("total")] + [len(e) for e in self.results])
        rows = [f"{'exercise':<{width}}  {'passed':>9}  {'score':>6}"]
        for ex_id, r in self.results.items():
            rows.append(f"{ex_id:<{width}}  {f'{r.passed}/{r.total}':>9}  {100 * r.score:5.1f}%")
        rows.append(f"{'total':<{width}}  {f'{self.passed}/{self.total}':>9}  "
                    f"{100 * self.score:5.1f}%")
        return "\n".join(rows)


def _instructor_root():
    """The source tree the grader runs from: the folder holding this minigrad package."""
    return Path(__file__).resolve().parent.parent


def _copy_root(path):
    """The folder to put on the import path: it must hold ``minigrad/__init__.py``."""
    root = Path(path)
    if (root / "minigrad" / "__init__.py").is_file():
        return root.resolve()
    if root.name == "minigrad" and (root / "__init__.py").is_file():
        return root.resolve().parent
    raise HomeworkError(f"{str(path)!r} holds no minigrad package (no minigrad/__init__.py in it)")


def _refuse_links(package):
    """Refuse a package that is, or holds, a symbolic link: it would load code from outside the copy."""
    links = [package] if package.is_symlink() else []
    for folder, dirs, files in os.walk(package):
        links += [Path(folder, name) for name in sorted(dirs + files) if os.path.islink(os.path.join(folder, name))]
    if links:
        where = f"{links[0]} -> {os.readlink(links[0])}"
        more = f" (and {len(links) - 1} more link(s))" if len(links) > 1 else ""
        raise HomeworkError(f"the submission holds a symbolic link, {where}{more}: its code would come "
                            f"from outside the copy; replace the link with the file itself to grade")


def _import_folder(root, tmp):
    """A folder holding only a link to ``root/minigrad``: the test run's import path and working folder.

    NOTE: putting ``root`` itself first on the path would let any stray module
    at the top of the copy (a student's ``random.py`` or ``numpy.py``) shadow
    what the tests import. Where links cannot be made (Windows without the
    privilege), ``root`` is used as before.
    """
    folder = Path(tmp) / "import"
    folder.mkdir()
    try:
        os.symlink(root / "minigrad", folder / "minigrad", target_is_directory=True)
    except (OSError, NotImplementedError):
        return root
    return folder


def _clean_env(root, path, report, per_test):
    """The environment of a test run: only ``root`` provides minigrad, through ``path``."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTHONSTARTUP", "PYTHONHOME")}
    others = [p for p in env.get("PYTHONPATH", "").split(os.pathsep)
              if p and not (Path(p) / "minigrad" / "__init__.py").exists()]
    env["PYTHONPATH"] = os.pathsep.join([str(path)] + others)
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # write nothing into either tree
    env["MINIGRAD_GRADE_ROOT"] = str(root)
    env["MINIGRAD_GRADE_REPORT"] = str(report)
    env["MINIGRAD_TEST_TIMEOUT"] = str(per_test)
    return env


_MARKED = re.compile(rb"mark\.exercise\(")


def _exercise_files(tests):
    """The test files under ``tests`` that mark exercise tests (collecting only these is faster)."""
    files = sorted(p for p in tests.rglob("*.py") if "__pycache__" not in p.parts and
                   (p.name.startswith("test_") or p.name.endswith("_test.py")))
    return [p for p in files if _MARKED.search(p.read_bytes())]


def _read_records(path, offset):
    """The whole JSON lines of ``path`` from byte ``offset`` on, and the offset after them."""
    records = []
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            chunk = f.read()
    except FileNotFoundError:
        return records, offset
    whole = chunk[:chunk.rfind(b"\n") + 1]  # a line still being written waits for the next read
    for line in whole.splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            pass  # a line cut off by a kill
    return records, offset + len(whole)


def _stop(proc):
    """Kill a test run and anything it started."""
    if hasattr(os, "killpg"):
        os.killpg(proc.pid, signal.SIGKILL)
    else:  # Windows: no process groups here; stop the run itself
        proc.kill()
    proc.wait()


def _tail(path, lines=15):
    """The last ``lines`` lines of a (possibly huge) output file."""
    with open(path, "rb") as f:
        f.seek(0, os.SEEK_END)
        f.seek(max(0, f.tell() - 16384))
        text = f.read().decode("utf-8", "replace")
    return "\n".join(text.strip().splitlines()[-lines:])


def _how_it_died(code):
    """``"SIGSEGV"`` for a run killed by a signal, else ``"exit status 3"``."""
    if code is not None and code < 0:
        try:
            return signal.Signals(-code).name
        except ValueError:
            return f"signal {-code}"
    return f"exit status {code}"


def _interruption(tail):
    """What a test did to end its pytest session early, read from the run's last lines of output."""
    if "KeyboardInterrupt" in tail:
        return "raised KeyboardInterrupt"
    exit_call = re.search(r"Exit: (.*?) !+$", tail, re.M)
    if exit_call:
        return f"called pytest.exit({exit_call[1]!r})"
    return "stopped the test session"


def _watch(cmd, cwd, env, out, report, stall, deadline):
    """Run one pytest process, watching its report; returns (records, returncode, stopped).

    ``stopped`` is None, ``"deadline"`` (the whole run's time is up) or
    ``"stalled"`` (a test outlived the per-test limit without the alarm
    stopping it, e.g. stuck in C code); the process is then killed.
    """
    records, offset, stopped = [], 0, None
    running, since = None, None  # the test in progress and when it started
    with open(out, "ab") as sink:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=sink, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    while True:
        try:
            proc.wait(timeout=0.1)
        except subprocess.TimeoutExpired:
            pass
        new, offset = _read_records(report, offset)
        records += new
        for r in new:
            if "started" in r:
                running, since = r["started"], time.monotonic()
            elif r.get("nodeid") == running:
                running = None
        if proc.returncode is not None:
            return records, proc.returncode, stopped
        if time.monotonic() > deadline:
            stopped = "deadline"
        elif stall and running is not None and time.monotonic() - since > stall:
            stopped = "stalled"
        if stopped:
            _stop(proc)


def _run_pytest(root, tests, args, per_test, overall):
    """Run pytest on the instructor's ``tests`` with ``root`` on the import path.

    Returns (records, returncode, output tail, timed_out, notes); records are
    the JSON lines the grading hooks of ``tests/conftest.py`` wrote. If the
    test process dies during a test (a segfault, ``os._exit``, a kill) or a
    test outlives the per-test limit without the alarm stopping it, that test
    is recorded as ``"crashed"`` or ``"timeout"`` and the tests not yet run go
    on in a fresh process; ``notes`` says what happened, one line each.
    """
    deadline = time.monotonic() + overall
    stall = 3 * per_test + 10 if per_test else None  # three phases, then some slack
    records, notes, done, owners, strikes = [], [], set(), {}, {}
    with tempfile.TemporaryDirectory(prefix="minigrad-grade-") as tmp:
        out, resume = Path(tmp) / "output.txt", Path(tmp) / "resume.json"
        path = _import_folder(root, tmp)
        files = [str(p) for p in _exercise_files(tests)] or [str(tests)]
        cmd = [sys.executable, "-s", "-m", "pytest", *files, "-q", "-p", "no:cacheprovider",
               "--rootdir", str(tests.parent), "-o", "addopts=", "--import-mode=importlib",
               "--show-capture=no", *args]
        for attempt in itertools.count():
            report = Path(tmp) / f"report-{attempt}.jsonl"
            env = _clean_env(root, path, report, per_test)
            if done:
                resume.write_text(json.dumps({"done": sorted(done), "strikes": strikes}),
                                  encoding="utf-8")
                env["MINIGRAD_GRADE_RESUME"] = str(resume)
            new, code, stopped = _watch(cmd, path, env, out, report, stall, deadline)
            records += new
            finished = {r["nodeid"] for r in new if "nodeid" in r}
            running = [r["started"] for r in new if "started" in r and r["started"] not in finished]
            ended = any("finished" in r for r in new)  # the session itself came to its end
            if stopped == "deadline" or not running:  # not running: died outside any test, or done
                break
            nodeid = running[-1]
            if stopped == "stalled":
                outcome, why = "timeout", (f"ran past the time limit without stopping (stuck "
                                           f"outside Python?), so its process was killed after {stall:g} s")
            elif ended:  # NOTE: KeyboardInterrupt or pytest.exit() in a test ends the whole session
                outcome, why = "crashed", f"{_interruption(_tail(out))}, which ends a pytest run"
            else:
                outcome, why = "crashed", f"ended the test process ({_how_it_died(code)})"
            records.append({"nodeid": nodeid, "outcome": outcome, "message": f"this test {why}"})
            notes.append(f"{nodeid} {why}; the tests after it ran in a new process")
            for r in new:
                owners.update(r.get("collected", ()))
            strikes = collections.Counter(owners.get(r["nodeid"]) for r in records
                                          if r.get("outcome") in ("timeout", "crashed"))
            done |= finished | {nodeid}
        timed_out = stopped == "deadline"
        tail = _tail(out)
    return records, code, tail, timed_out, notes


_COLLECTED = {}  # cache of the instructor's test list: key -> {node id: exercise id}


def _expected_tests(tests):
    """{test node id: exercise id} of every exercise test, collected with the grader's own minigrad."""
    files = sorted(p for p in tests.rglob("*.py") if "__pycache__" not in p.parts)
    key = (str(tests), tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files))
    if key not in _COLLECTED:
        root = _instructor_root()
        records, code, tail, _, _ = _run_pytest(root, tests, ["-m", "exercise", "--collect-only"],
                                                per_test=0, overall=300)
        _fatal(records, root, tail, "collecting the instructor's tests")
        collected = next((r["collected"] for r in records if "collected" in r), None)
        problems = [r["collect_error"] for r in records if "collect_error" in r]
        if collected is None or problems:
            raise GradingError(f"the instructor's exercise tests in {tests} do not collect "
                               f"(exit status {code}): {'; '.join(problems) or tail}")
        _COLLECTED[key] = {nodeid: ex_id for nodeid, ex_id in collected}
    return _COLLECTED[key]


def _fatal(records, root, tail, doing):
    """Raise GradingError when the run imported minigrad from outside ``root``."""
    for r in records:
        if "wrong_minigrad" in r:
            raise GradingError(f"{doing}: the test run imported {r['wrong_minigrad']}, not the "
                               f"minigrad in {root} (an installed minigrad, or a copy that puts "
                               f"another one on sys.path, must not stand in for the copy graded)")
    if not any("minigrad_file" in r or "import_error" in r for r in records):
        raise GradingError(f"{doing}: the test run stopped before reporting anything:\n{tail}")


def grade(path, exercises=None, timeout=10.0, total_timeout=600.0, tests=None):
    """Run the instructor's exercise tests against the student copy at ``path``; score each.

    The tests are those under the ``tests/`` folder next to the minigrad
    package that this function belongs to (the instructor's tree), never the
    copy's own tests. They run in a subprocess whose working folder and
    ``PYTHONPATH`` are a folder holding only a link to the copy's
    ``minigrad`` (so that nothing else at the top of the copy, such as a
    stray ``random.py``, shadows what the tests import); inside it, the test session checks that
    ``minigrad`` (and each of its modules) was imported from the copy, and
    the grader fails loudly otherwise, so an installed original cannot make
    empty stubs pass.

    Parameters
    ----------
    path : str or os.PathLike
        The student copy: a folder that holds ``minigrad/``.
    exercises : list of str, optional
        Grade only these ids. Default: the exercises the copy was made for,
        as :func:`student_copy` recorded them in the copy's
        ``.minigrad-assignment.json`` (named in ``report.problems``), or,
        without that file, every exercise that has tests.
    timeout : float, default 10
        Seconds per test phase (setup, call, teardown); a test over it fails
        as ``"timeout"`` and the run goes on. After two of an exercise's tests
        have timed out or crashed, its remaining tests fail unrun (``"not
        run"``), so that one hanging stub cannot use up the whole run.
    total_timeout : float, default 600
        Seconds for the whole run; tests not reached by then count as failed
        (``"not run"``).
    tests : str or os.PathLike, optional
        The instructor's test folder (default ``tests/`` next to the package).

    Returns
    -------
    GradeReport
        Mapping exercise id → ``ExerciseResult(passed, total)`` with
        ``.score``; ``report.score`` is the mean over exercises. A test
        counts as passed only if it passed in the copy; the totals come from
        the instructor's own collection, so tests that fail to import or
        never run count as failed. A skipped test counts as not passed and
        is named in ``report.problems``: grading tests need nothing beyond
        minigrad's own dependencies, so a skip is the student's code calling
        ``pytest.skip`` or raising ``unittest.SkipTest``.

    Raises
    ------
    HomeworkError
        ``path`` holds no minigrad package, or an unknown exercise id.
    GradingError
        The instructor's tests are missing or do not collect, or the run
        imported minigrad from somewhere other than ``path``.

    Notes
    -----
    A test that kills the test process (a segfault, ``os._exit``) or ends
    the pytest session (``KeyboardInterrupt``, ``pytest.exit``) counts as
    ``"crashed"``, with what it did as its message, and the tests after it
    run in a new process; a test stuck where the time limit cannot interrupt
    it (in C code) is killed after three times ``timeout`` plus 10 s and
    counts as ``"timeout"``. Each is named in ``report.problems``.

    This keeps honest mistakes from passing (a stub that hangs, a test
    module that does not import, an installed minigrad shadowing the copy);
    it is not a sandbox. The student's code runs with the tests in one
    process and could tamper with them; review suspicious submissions. A
    copy whose top folder holds ``sitecustomize.py`` or ``usercustomize.py``
    is refused, since Python would run it before the tests, and so is a
    symbolic link in its ``minigrad`` package (the message names it): the
    code graded must be the copy's own.
    """
    root = _copy_root(path)
    for name in ("sitecustomize.py", "usercustomize.py"):
        if (root / name).exists():
            raise HomeworkError(f"{root / name} would run before the tests; remove it to grade")
    _refuse_links(root / "minigrad")
    tests = Path(tests).resolve() if tests is not None else _instructor_root() / "tests"
    if not tests.is_dir():
        raise GradingError(f"no instructor tests at {tests}: run the grader from a minigrad "
                           f"source tree (with its tests/ folder), or pass tests=")
    expected = _expected_tests(tests)
    known = _order(dict.fromkeys(expected.values()))
    problems = []
    if exercises is None:
        exercises, recorded = _assignment(root)
        if recorded is not None:
            missing = [e for e in exercises if e not in known]
            exercises = [e for e in exercises if e in known]
            problems.append(f"graded the {len(exercises)} exercise(s) this copy was made for, as "
                            f"recorded in {recorded}; pass exercises (--exercise) to choose others")
            if missing:
                problems.append(f"no tests for {', '.join(missing)} (in the assignment): not graded")
    chosen = _choose(exercises, known, "the exercises with tests are")
    args = ["-m", "exercise"] + [a for e in chosen for a in ("--exercise", e)]
    records, code, tail, timed_out, notes = _run_pytest(root, tests, args, timeout, total_timeout)
    _fatal(records, root, tail, f"grading {root}")

    minigrad_file = next((r["minigrad_file"] for r in records if "minigrad_file" in r), None)
    run_problems = [f"import minigrad failed: {r['import_error']}" for r in records if "import_error" in r]
    run_problems += [f"collection error: {r['collect_error']}" for r in records if "collect_error" in r]
    if timed_out:
        run_problems.append(f"the run exceeded {total_timeout:g} s and was stopped; the tests not "
                            f"reached count as failed (raise it with --total-timeout)")
    problems += run_problems + notes
    outcomes = {r["nodeid"]: (r["outcome"], r.get("message", "")) for r in records if "nodeid" in r}
    # a test the run never reached: say why, as far as the run tells
    never_ran = ("not run", run_problems[0] if run_problems else "the test run ended before reaching it")
    tests_seen, results = {}, {}
    for ex_id in chosen:
        passed = total = 0
        skipped = collections.Counter()  # reason -> count
        for nodeid, owner in expected.items():
            if owner != ex_id:
                continue
            outcome, message = outcomes.get(nodeid, never_ran)
            tests_seen[nodeid] = (ex_id, outcome, message)
            if outcome == "skipped":  # NOTE: grading tests need nothing optional: the student's doing
                skipped[message.removeprefix("Skipped: ")] += 1
            total += 1
            passed += outcome == "passed"
        results[ex_id] = ExerciseResult(passed, total)
        problems += [f"{n} test(s) of {ex_id} skipped, counted as not passed (a grading test never "
                     f"skips on its own): {reason or 'no reason given'}" for reason, n in skipped.items()]
    return GradeReport(str(root), minigrad_file, results, tests_seen, problems)


# ---------------------------------------------------------------- command line hooks

def _ids(args):
    """The exercise ids of a command line, or None for all.

    Accepts ``args.exercise`` (repeated ``--exercise ID``: a list, or one str)
    and ``args.exercises`` (``--exercises a,b``: a list, or a comma-separated str).
    """
    ids = []
    for name in ("exercise", "exercises"):
        value = getattr(args, name, None)
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",")]
        ids += [v for v in value or () if v]
    return ids or None


def student_copy_command(args):
    """``python -m minigrad student-copy SRC DST [--exercise ID ...]``; returns the exit status.

    ``args`` is the argparse Namespace, with ``src``, ``dst`` and ``exercise``
    (a list of ids or None) or ``exercises`` (a list, or ids separated by commas). Prints what was
    stripped, one line per exercise, then one line per spoiler withheld. A refused copy prints
    one line to stderr and returns 2.
    """
    try:
        stripped = student_copy(args.src, args.dst, _ids(args))
        regions = {r.id: r for r in scan(args.dst)}
        withheld = [s for s in find_spoilers(args.dst) if s.stubbed]
    except (HomeworkError, OSError) as e:
        print(f"minigrad student-copy: error: {e}", file=sys.stderr)
        return 2
    print(f"wrote a student copy of {args.src} to {args.dst}: {len(stripped)} exercise(s) stripped")
    width = max((len(e) for e in stripped), default=0)
    for ex_id in stripped:
        r = regions[ex_id]
        where = os.path.relpath(r.path, args.dst).replace(os.sep, "/")
        print(f"  {ex_id:<{width}}  {where}:{r.begin}")
    if withheld:
        print(f"withheld {len(withheld)} spoiler(s), code elsewhere that gives these exercises away:")
        for s in withheld:
            where = os.path.relpath(s.path, args.dst).replace(os.sep, "/")
            cell = f" (cell {s.cell + 1})" if s.cell is not None else ""
            print(f"  {where}:{s.begin}{cell}  ({', '.join(s.ids)})")
    return 0


def grade_command(args):
    """``python -m minigrad grade PATH [--exercise ID ...]``; returns the exit status.

    ``args`` is the argparse Namespace, with ``path`` and ``exercise`` (a list
    of ids, one id, or None; or ``exercises``), and optionally ``timeout`` (seconds per test),
    ``total_timeout`` (seconds for the run) and ``verbose`` (also list each failed test). Prints the table. Returns
    0 when every graded test passed, 1 when some failed or grading was
    impossible, 2 for a bad PATH or id.
    """
    kwargs = {}
    for name in ("timeout", "total_timeout"):
        if getattr(args, name, None) is not None:
            kwargs[name] = getattr(args, name)
    try:
        report = grade(args.path, _ids(args), **kwargs)
    except HomeworkError as e:
        print(f"minigrad grade: error: {e}", file=sys.stderr)
        return 2
    except GradingError as e:
        print(f"minigrad grade: cannot grade: {e}", file=sys.stderr)
        return 1
    print(f"grading {report.path} with the tests in {_instructor_root() / 'tests'}")
    print(report.table())
    for problem in report.problems:
        print(f"note: {problem}")
    failed = [(n, t) for n, t in report.tests.items() if t[1] != "passed"]
    if failed and getattr(args, "verbose", False):
        for nodeid, (ex_id, outcome, message) in failed:
            print(f"{outcome.upper()} [{ex_id}] {nodeid}" + (f": {message}" if message else ""))
    return 0 if not failed and report.total else 1
