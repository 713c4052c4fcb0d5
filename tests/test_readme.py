"""Every ```python block of README.md runs as printed, the way a reader runs it from a fresh clone: a new Python
process (no pytest, no PYTHONPATH) in a directory that holds the repository's `code/` folder, where the block's
own first line makes `audiollm` importable. Every top-level `print(...)` line ends with a comment that is exactly
the line it prints, and the block prints nothing else."""
import os
import pathlib
import re
import subprocess
import sys
import tokenize

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
IMPORT_LINE = 'import sys; sys.path.insert(0, "code")'


def expected_lines(block):
    """The printed lines a block promises: the comment ("# " + the line) of each top-level print line, in order."""
    lines = block.splitlines(keepends=True)
    comments = {tok.start[0]: tok.string for tok in tokenize.generate_tokens(iter(lines).__next__)
                if tok.type == tokenize.COMMENT}
    promised = []
    for number, line in enumerate(lines, 1):
        if line.startswith("print("):
            assert number in comments, f"a print line without its output as a comment: {line}"
            promised.append(comments[number].removeprefix("# "))
    return promised


def run_as_a_reader(block, folder):
    """Run `block` with python3 -c in `folder`, which holds a link to the repository's code/ (a clone's layout)."""
    (folder / "code").symlink_to(ROOT / "code", target_is_directory=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run([sys.executable, "-c", block], cwd=folder, env=env, capture_output=True, text=True,
                          timeout=600)


def test_readme_has_examples_and_each_states_the_import_line():
    assert len(BLOCKS) >= 9
    for block in BLOCKS:
        assert block.startswith(IMPORT_LINE), block.splitlines()[0]


def test_expected_lines_reads_the_comments():
    block = 'x = 1   # not a print\nprint(x, "a # b")   # 1 a # b\nfor i in range(2):\n    print(i)\n'
    assert expected_lines(block) == ["1 a # b"]
    with pytest.raises(AssertionError):
        expected_lines("print(1)\n")


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_example_prints_what_it_says(index, tmp_path):
    done = run_as_a_reader(BLOCKS[index], tmp_path)
    assert done.returncode == 0, done.stderr
    promised = expected_lines(BLOCKS[index])
    assert promised, "every example prints what it shows"
    assert done.stdout.splitlines() == promised
