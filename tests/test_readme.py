"""The README tells the truth: its examples run and its printed outputs are what the code prints.

- ``>>>`` examples run as doctests;
- every other ``python`` block runs in a fresh interpreter (the PyTorch one
  only when torch is installed);
- the ``console`` blocks of ``python -m minigrad train`` and ``compare
  --regime minibatch`` are re-run and compared line by line, with the
  seconds (which depend on the machine) masked.
"""

import doctest
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```(\w*)\n(.*?)```", README, re.S)
SCRIPTS = [code for lang, code in BLOCKS if lang == "python" and ">>>" not in code]
CONSOLES = {code.splitlines()[0][2:]: code.splitlines()[1:] for lang, code in BLOCKS
            if lang == "console"}


def _env():
    return {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}


def test_readme_doctests():
    parser = doctest.DocTestParser()
    examples = "\n".join(code for lang, code in BLOCKS if lang == "python" and ">>>" in code)
    test = parser.get_doctest(examples, {}, "README.md", str(ROOT / "README.md"), 0)
    assert test.examples, "the README has no >>> examples"
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert runner.failures == 0


@pytest.mark.parametrize("code", SCRIPTS, ids=[c.strip().splitlines()[-1][:40] for c in SCRIPTS])
def test_readme_python_block_runs(code, tmp_path):
    if "import torch" in code:
        pytest.importorskip("torch")
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                            text=True, timeout=300, env=_env())
    assert result.returncode == 0, result.stderr[-2000:]


def _mask_seconds(lines):
    """Replace timings by ``S``: a compare row's seconds column, ``(0.3 s)`` on train's last line."""
    out = []
    for line in lines:
        line = re.sub(r"\(\d+\.\d+ s\)", "(S s)", line)
        line = re.sub(r"^((?:SGD|SGDM|Adagrad|RMSProp|Adam|AMSGrad|SWATS|RAdam)(?:\s+\S+){4}\s+)"
                      r"\d+\.\d+", r"\1S", line)       # a compare row: name lr loss acc acc SECONDS
        out.append(line.rstrip())
    return out


@pytest.mark.slow
@pytest.mark.parametrize("command", ["python -m minigrad train",
                                     "python -m minigrad compare --regime minibatch"])
def test_readme_console_output_is_what_the_command_prints(command):
    assert command in CONSOLES, f"the README has no console block for `{command}`"
    result = subprocess.run([sys.executable, *command.split()[1:]], cwd=ROOT, env=_env(),
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert _mask_seconds(result.stdout.splitlines()) == _mask_seconds(CONSOLES[command])
