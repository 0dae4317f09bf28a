"""Markers: exercise regions and spoilers in a source tree, found and checked line by line.

An exercise is one function body, framed by two comment lines of its own:
``# BEGIN SOLUTION <id>`` just below the docstring and ``# END SOLUTION``
after the body, both at the body's indentation. Code elsewhere that gives an
exercise away (a NumPy reference in a test, a figure's formula) is framed by
``# BEGIN SPOILER <id> [<id> ...]`` and ``# END SPOILER``. Anything that
looks like a marker but is not exactly one is an error, so that a typo can
never leave a solution in a student copy.
"""

import dataclasses
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from .curriculum import _order

__all__ = ["HomeworkError", "Region", "Spoiler", "scan", "find_spoilers", "find_exercises"]

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


class HomeworkError(ValueError):
    """Bad markers (with file:line), an unknown exercise id, or a refused SRC/DST pair."""



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
    >>> import pathlib, tempfile
    >>> from minigrad.homework import find_spoilers
    >>> ref = pathlib.Path(tempfile.mkdtemp()) / "ref.py"
    >>> _ = ref.write_text("def both(x):\\n    # BEGIN " "SPOILER demo.sq demo.cube\\n"
    ...                    "    return x * x, x ** 3\\n    # END " "SPOILER\\n")
    >>> [(s.ids, s.begin, s.end) for s in find_spoilers(ref)]
    [(('demo.sq', 'demo.cube'), 2, 4)]
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
    ['ops.exp_backward', 'ops.log_backward', 'ops.tanh_backward', 'ops.mul_backward']
    """
    return [r.id for r in scan(src)]


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

