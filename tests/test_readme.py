"""Every ```python block of README.md runs as written (in a temporary directory), so the examples stay true."""
import os
import pathlib
import re

import pytest

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_readme_has_examples():
    assert len(BLOCKS) >= 13


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_example_runs(index, tmp_path, capsys):
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        exec(compile(BLOCKS[index], f"README.md block {index}", "exec"), {"__name__": "readme"})
    finally:
        os.chdir(cwd)
    assert capsys.readouterr().out.strip(), "every example prints what it shows"
