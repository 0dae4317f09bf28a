"""Re-run the sessions of docs/homework.md and paste their real output into it.

Run from the root of a checkout: ``python docs/make_homework_guide.py``. It
writes only docs/homework.md (and scratch folders under /tmp/hw, the paths
the guide shows). Run it whenever an exercise's lines move (the engine
chapter, ops.py, optim/): tests/homework/test_homework.py checks the guide's
listings against what ``student-copy`` prints.

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
from minigrad.homework import EXERCISES, scan  # noqa: E402

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
course, assignment = HW / "course", HW / "assignment"
STRIP_COURSE = "python -m minigrad student-copy . /tmp/hw/course"
blocks[2] = session((STRIP_COURSE, run(STRIP_COURSE)))
tanh_copy = class_source(course / "minigrad/ops.py", "Tanh")
STRIP_ASSIGN = ("python -m minigrad student-copy . /tmp/hw/assignment --exercise ops.tanh_backward "
                "--exercise optim.sgdm_update")
blocks[4] = session((STRIP_ASSIGN, run(STRIP_ASSIGN)))
c = "python -m minigrad grade . --exercise optim.sgdm_update"
blocks[5] = session((f"cd /tmp/hw/assignment && {c}", run(c, cwd=assignment).splitlines()[0] + "\n..."))
TWO = "--exercise ops.tanh_backward --exercise optim.sgdm_update"
c = f"python -m minigrad grade /tmp/hw/course {TWO}"
blocks[6] = session((c, run(c)))
STUB_TANH = 'raise NotImplementedError("exercise ops.tanh_backward")'
edit(course / "minigrad/ops.py", STUB_TANH, TANH_ANSWER)
out = run(c + " -v").splitlines()
failed = [i for i, line in enumerate(out) if line.startswith("FAILED")]
left_out = len(failed) - 2
blocks[7] = session((c + " -v", "\n".join(out[:failed[0] + 1] + [out[failed[-1]]])))
GREP = 'grep -B1 -A2 "BEGIN SOLUTION ops.tanh_backward" /tmp/hw/assignment/minigrad/ops.py'
edit(assignment / "minigrad/ops.py", STUB_TANH, WRONG_TANH)
c = f"python -m minigrad grade /tmp/hw/assignment {TWO}"
blocks[8] = session((GREP, run(GREP)), (c + " -v", run(c + " -v")))
edit(assignment / "minigrad/ops.py", WRONG_TANH + "\n", TANH_ANSWER + "\n")
blocks[9] = session((c, run(c)))  # NOTE: no grep here: it would print the right answer
c = "python -m minigrad grade ."
blocks[10] = session((c, run(c)))
c = f"python -m pytest {TWO} -q --collect-only"
blocks[11] = session((c, run(c)))
c = "python -m pytest --exercise optim.sgdm_update -q --tb=line"
blocks[12] = session((f"cd /tmp/hw/course && {c}", run(c, cwd=course)))
c = "pytest --exercise optim.sgdm_update -q"
blocks[13] = session((f"cd /tmp/hw/course && {c}", run(c, cwd=course)))
c = "python -m pytest tests/homework --exercise ops.tanhh -q"
stdout14, stderr14 = run(c, stderr_only=True)
blocks[14] = session((c, stderr14.strip()))
no_tests = re.search(r"no tests ran in [\d.]+s", stdout14).group(0)
bad = HW / "bad"
bad.mkdir()
(bad / "demo.py").write_text('def f(x):\n    """Return 2x."""\n    # BEGIN SOLUTION demo.f\n    return 2 * x\n')
blocks[15] = session(("cat -n /tmp/hw/bad/demo.py", run("cat -n /tmp/hw/bad/demo.py")),
                     ("python -m minigrad student-copy /tmp/hw/bad /tmp/hw/bad-copy",
                      run("python -m minigrad student-copy /tmp/hw/bad /tmp/hw/bad-copy")))
cmds = ["python -m minigrad student-copy . ./student", "python -m minigrad student-copy . /tmp/hw/course",
        "python -m minigrad student-copy . /tmp/hw/x --exercise ops.tanh"]
blocks[17] = session(*[(c, run(c)) for c in cmds])
cmds = ["python -m minigrad grade /tmp/hw/bad", "python -m minigrad grade . --exercise nope"]
blocks[18] = session(*[(c, run(c)) for c in cmds])
TANH_EXP = "--exercise ops.tanh_backward --exercise ops.exp_backward"
edit(assignment / "minigrad/ops.py", TANH_ANSWER + "\n", "while True: pass\n")
c = f"python -m minigrad grade /tmp/hw/assignment {TANH_EXP} --timeout 1 -v"
blocks[19] = session((c, run(c)))
edit(assignment / "minigrad/ops.py", "while True: pass\n", "import os; os._exit(1)\n")
c = f"python -m minigrad grade /tmp/hw/assignment {TANH_EXP} -v"
blocks[20] = session((c, run(c)))

# ---------------------------------------------------------------- paste into the guide
doc = DOC.read_text(encoding="utf-8")
found = list(re.finditer(r"```(console|text|python)\n(.*?)```", doc, re.S))
assert len(found) == 21, len(found)
blocks[0] = without_answers(class_source(REPO / "minigrad/ops.py", "Tanh"))
blocks[3] = tanh_copy
for i in sorted(blocks, reverse=True):
    m = found[i]
    doc = doc[:m.start(2)] + blocks[i] + doc[m.end(2):]

rows = ["| # | id | function | file |", "|---|---|---|---|"]
regions = {r.id: r for r in scan(REPO / "minigrad")}
for k, ex in enumerate(EXERCISES, 1):
    r = regions[ex]
    rel = Path(r.path).resolve().relative_to(REPO).as_posix()
    rows.append(f"| {k} | `{ex}` | `{enclosing(r)}` | `{rel}` |")
doc = re.sub(r"\| # \| id \| function \| file \|\n(\|.*\|\n)+", "\n".join(rows) + "\n", doc)
doc = re.sub(r"In the output below, \d+ similar `FAILED` lines are left out",
             f"In the output below, {left_out} similar `FAILED` lines are left out", doc)
doc = re.sub(r"stdout\nonly says `no tests ran in [\d.]+s`", f"stdout\nonly says `{no_tests}`", doc)
doc = re.sub(r"There are \d+ exercises\.", f"There are {len(EXERCISES)} exercises.", doc)
doc = re.sub(r"These are the \d+ exercises of the curriculum", f"These are the {len(EXERCISES)} exercises of the curriculum", doc)
doc = re.sub(r"for each of the \d+ exercises", f"for each of the {len(EXERCISES)} exercises", doc)
doc = re.sub(r"Grading all \d+ exercises", f"Grading all {len(EXERCISES)} exercises", doc)
DOC.write_text(doc, encoding="utf-8")
print("rewrote", DOC, "; FAILED lines left out of block 7:", left_out)
