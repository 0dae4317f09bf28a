"""Re-run the sessions of docs/homework.md and paste their real output into it.

Run from the root of a checkout: ``python docs/make_homework_guide.py``. It
writes only docs/homework.md (and scratch folders under /tmp/hw, the paths
the guide shows). Run it whenever an exercise's lines move (the engine
chapter, ops.py, optim/), an exercise gains a test, or the curriculum or the
catalogue of mistakes changes: tests/homework/test_homework.py checks the
guide's listings against what ``student-copy`` prints, and its 100% table
against what ``grade`` prints.

Each block the script writes follows a line ``<!-- generated: NAME -->`` in
the guide: a code block (its body is replaced) or a table (its rows are).

The guide (and this script) ship with the student copy, so neither may hold
an answer: the simulated student's right answers are read from the answer
key (the regions of the instructor's tree) at run time, and the guide shows
exercise bodies only as the copy has them.
"""
import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path.cwd()
DOC = REPO / "docs" / "homework.md"
HW = Path("/tmp/hw")
sys.path.insert(0, str(REPO))
from minigrad.homework import EXERCISES, LEVELS, MISTAKES, scan  # noqa: E402

ENV = {**os.environ}
ENV.pop("PYTHONPATH", None)


def run(cmd, cwd=REPO, stderr_only=False):
    r = subprocess.run(cmd, shell=True, cwd=cwd, capture_output=True, text=True, env=ENV)
    if stderr_only:
        return r.stdout, r.stderr
    return (r.stdout + r.stderr).rstrip("\n")


def session(*pairs):
    """[(command shown, output)] -> the console block body."""
    return "\n".join(f"$ {c}\n{o}" if o else f"$ {c}" for c, o in pairs) + "\n"


def edit(path, old, new):
    p = Path(path)
    t = p.read_text(encoding="utf-8")
    assert old in t, (path, old)
    p.write_text(t.replace(old, new), encoding="utf-8")


def class_source(path, name):
    text = Path(path).read_text(encoding="utf-8")
    for node in ast.parse(text).body:
        if isinstance(node, ast.ClassDef) and node.name == name:
            rows = text.splitlines()
            end = node.end_lineno  # the AST ends at the last statement: add the END marker comment
            while end < len(rows) and rows[end].startswith(" ") and rows[end].strip().startswith("#"):
                end += 1
            return "\n".join(rows[node.lineno - 1:end]) + "\n"
    raise LookupError(name)


def without_answers(source):
    """``source`` with each exercise body replaced by one line saying how long it is."""
    out, body = [], None  # body: the number of lines of the region being read
    for row in source.split("\n"):
        marker = row.strip()
        if marker.startswith("# END SOLUTION"):
            indent = row[:len(row) - len(row.lstrip())]
            out.append(f"{indent}...  # the answer: {body} line(s), left out of this guide")
            body = None
        elif body is not None:
            body += 1
            continue
        elif marker.startswith("# BEGIN SOLUTION"):
            body = 0
        out.append(row)
    return "\n".join(out)


def enclosing(region):
    tree = ast.parse(Path(region.path).read_text(encoding="utf-8"))
    best = None
    for cls in [None] + [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]:
        body = tree.body if cls is None else cls.body
        for fn in body:
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) and \
                    fn.lineno < region.begin <= fn.end_lineno:
                best = f"{cls.name}.{fn.name}" if cls else fn.name
    return best


# ---------------------------------------------------------------- the sessions
if HW.exists():
    shutil.rmtree(HW)
HW.mkdir()
blocks = {}
KEY = {r.id: r for r in scan(REPO / "minigrad")}  # the answer key: its bodies are never written here
TANH_ANSWER = KEY["ops.tanh_backward"].body[0].strip()
WRONG_TANH = "return g * (1 - self.y)"           # the simulated student's slip: 1 - y, not 1 - y²
STUB_TANH = 'raise NotImplementedError("exercise ops.tanh_backward")'
STUB_TOPOSORT = 'raise NotImplementedError("exercise function.toposort")'
course, assignment = HW / "course", HW / "assignment"

STRIP_COURSE = "python -m minigrad student-copy . /tmp/hw/course"
blocks["copy-course"] = session((STRIP_COURSE, run(STRIP_COURSE)))
blocks["tanh-copy"] = class_source(course / "minigrad/ops.py", "Tanh")
STRIP_ASSIGN = ("python -m minigrad student-copy . /tmp/hw/assignment --exercise ops.tanh_backward "
                "--exercise optim.sgdm_update")
blocks["copy-assignment"] = session((STRIP_ASSIGN, run(STRIP_ASSIGN)))
c = "python -m minigrad grade . --exercise optim.sgdm_update"
blocks["grade-inside"] = session((f"cd /tmp/hw/assignment && {c}", run(c, cwd=assignment).splitlines()[0] + "\n..."))
TWO = "--exercise ops.tanh_backward --exercise optim.sgdm_update"
c = f"python -m minigrad grade /tmp/hw/course {TWO}"
blocks["grade-untouched"] = session((c, run(c)))

# the course: tanh and toposort answered right (from the answer key), function.apply not yet
edit(course / "minigrad/ops.py", STUB_TANH, TANH_ANSWER)
toposort = KEY["function.toposort"]
edit(course / "minigrad/function.py", toposort.indent + STUB_TOPOSORT, "\n".join(toposort.body))
c = "python -m minigrad grade /tmp/hw/course --exercise ops.tanh_backward --exercise function.toposort"
blocks["grade-waiting"] = session((c, run(c)))

GREP = 'grep -B1 -A2 "BEGIN SOLUTION ops.tanh_backward" /tmp/hw/assignment/minigrad/ops.py'
edit(assignment / "minigrad/ops.py", STUB_TANH, WRONG_TANH)
c = f"python -m minigrad grade /tmp/hw/assignment {TWO}"
blocks["grade-wrong"] = session((GREP, run(GREP)), (c + " -v", run(c + " -v")))
edit(assignment / "minigrad/ops.py", WRONG_TANH + "\n", TANH_ANSWER + "\n")
blocks["grade-right"] = session((c, run(c)))  # NOTE: no grep here: it would print the right answer
c = "python -m minigrad grade ."
blocks["grade-original"] = session((c, run(c)))

c = f"python -m pytest {TWO} -q --collect-only"
blocks["pytest-collect"] = session((c, run(c)))
c = "python -m pytest --exercise optim.sgdm_update -q --tb=line"
blocks["pytest-in-copy"] = session((f"cd /tmp/hw/course && {c}", run(c, cwd=course)))
c = "pytest --exercise optim.sgdm_update -q"
blocks["pytest-plain"] = session((f"cd /tmp/hw/course && {c}", run(c, cwd=course)))
c = "python -m pytest tests/homework --exercise ops.tanhh -q"
stdout_unknown, stderr_unknown = run(c, stderr_only=True)
blocks["pytest-unknown"] = session((c, stderr_unknown.strip()))
no_tests = re.search(r"no tests ran in [\d.]+s", stdout_unknown).group(0)

bad = HW / "bad"
bad.mkdir()
(bad / "demo.py").write_text('def f(x):\n    """Return 2x."""\n    # BEGIN SOLUTION demo.f\n    return 2 * x\n')
blocks["bad-marker"] = session(("cat -n /tmp/hw/bad/demo.py", run("cat -n /tmp/hw/bad/demo.py")),
                               ("python -m minigrad student-copy /tmp/hw/bad /tmp/hw/bad-copy",
                                run("python -m minigrad student-copy /tmp/hw/bad /tmp/hw/bad-copy")))
cmds = ["python -m minigrad student-copy . ./student", "python -m minigrad student-copy . /tmp/hw/course",
        "python -m minigrad student-copy . /tmp/hw/x --exercise ops.tanh"]
blocks["refusals-copy"] = session(*[(c, run(c)) for c in cmds])
cmds = ["python -m minigrad grade /tmp/hw/bad", "python -m minigrad grade . --exercise nope"]
blocks["refusals-grade"] = session(*[(c, run(c)) for c in cmds])

TANH_EXP = "--exercise ops.tanh_backward --exercise ops.exp_backward"
edit(assignment / "minigrad/ops.py", TANH_ANSWER + "\n", "while True: pass\n")
c = f"python -m minigrad grade /tmp/hw/assignment {TANH_EXP} --timeout 1 -v"
blocks["timeout"] = session((c, run(c)))
edit(assignment / "minigrad/ops.py", "while True: pass\n", "import os; os._exit(1)\n")
c = f"python -m minigrad grade /tmp/hw/assignment {TANH_EXP} -v"
blocks["crash"] = session((c, run(c)))
blocks["tanh-key"] = without_answers(class_source(REPO / "minigrad/ops.py", "Tanh"))

# ---------------------------------------------------------------- the tables
level_of = {ex: k for k, (_, _, ids) in enumerate(LEVELS, 1) for ex in ids}
rows = ["| # | level | id | function | file |", "|---|---|---|---|---|"]
for k, ex in enumerate(EXERCISES, 1):
    r = KEY[ex]
    rel = Path(r.path).resolve().relative_to(REPO).as_posix()
    rows.append(f"| {k} | {level_of[ex]} | `{ex}` | `{enclosing(r)}` | `{rel}` |")
tables = {"curriculum": rows}
rows = ["| exercise | mistake | hint |", "|---|---|---|"]
rows += [f"| `{m.exercise}` | `{m.slug}` | {m.hint.replace('|', '∣')} |" for m in MISTAKES]
tables["mistakes"] = rows

# ---------------------------------------------------------------- paste into the guide
doc = DOC.read_text(encoding="utf-8")
marked = re.findall(r"<!-- generated: ([a-z0-9-]+) -->", doc)
assert sorted(marked) == sorted(list(blocks) + list(tables)), set(marked) ^ set(blocks) | set(tables)
for name, body in blocks.items():
    doc = re.sub(rf"(<!-- generated: {name} -->\n```[a-z]*\n).*?(```)",
                 lambda m: m.group(1) + body + m.group(2), doc, count=1, flags=re.S)
for name, rows in tables.items():
    doc = re.sub(rf"(<!-- generated: {name} -->\n)(\|.*\|\n)+", lambda m: m.group(1) + "\n".join(rows) + "\n",
                 doc, count=1)
doc = re.sub(r"stdout\nonly says `no tests ran in [\d.]+s`", f"stdout\nonly says `{no_tests}`", doc)
n = len(EXERCISES)
doc = re.sub(r"There\nare \d+ exercises\.", f"There\nare {n} exercises.", doc)
doc = re.sub(r"These are the \d+ exercises of the curriculum", f"These are the {n} exercises of the curriculum", doc)
doc = re.sub(r"for each of the \d+ exercises", f"for each of the {n} exercises", doc)
doc = re.sub(r"Grading all \d+ exercises", f"Grading all {n} exercises", doc)
DOC.write_text(doc, encoding="utf-8")
print("rewrote", DOC)
