"""The package's shape: layers as folders in the arc's order, nothing importing from a later layer, every module
reachable by its layered name, and everything exported exists."""
import ast
import importlib
import pathlib
import re

import pytest

import audiollm

PACKAGE = pathlib.Path(audiollm.__file__).parent
LAYERS = ("base", "front", "model", "synthetic", "learn", "use")  # the order a clip travels


def _layer_imports(path):
    """The layers a module imports from: its relative imports resolved against its folder, and absolute
    `audiollm.<layer>` imports."""
    layer = path.parent.name
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            parts = [layer] if node.level == 1 else []
            parts += (node.module or "").split(".")
            found.add(parts[0] if parts[0] else layer)
            if node.level == 2 and not node.module:  # from .. import x: x is a layer
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("audiollm."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("audiollm."))
    return found


def test_the_layers_are_the_folders_in_the_arcs_order():
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert folders == set(LAYERS)
    assert not [p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py"]  # every module is in a layer


def test_nothing_imports_from_a_later_layer():
    later = []
    for path in sorted(PACKAGE.glob("*/*.py")):
        if path.parent.name not in LAYERS:
            continue  # data/ holds scripts that make package data, run by hand
        rank = LAYERS.index(path.parent.name)
        for layer in _layer_imports(path):
            assert layer in LAYERS, f"{path}: imports from {layer!r}, not a layer"
            if LAYERS.index(layer) > rank:
                later.append(f"{path.parent.name}/{path.name} imports from {layer}")
    assert later == []


def test_the_import_direction_check_can_fail(tmp_path):
    bad = tmp_path / "model" / "bad.py"
    bad.parent.mkdir()
    bad.write_text("from ..use.timeline import timeline\nfrom .nn import Linear\nimport audiollm.learn.align\n")
    assert _layer_imports(bad) == {"use", "model", "learn"}


@pytest.mark.parametrize("name", ["front.fft", "front.stft", "front.resample", "use.diarize", "front.mel", "front.wav",
                                  "model.encoder", "model.bridges"])
def test_a_module_is_reached_by_its_layered_name(name):
    module = importlib.import_module(f"audiollm.{name}")
    namespace = {}
    exec(f"import audiollm.{name} as imported", namespace)  # `import audiollm.use.diarize as D`
    assert namespace["imported"] is module and module.__name__ == f"audiollm.{name}"


def test_every_exported_name_exists_once():
    assert all(hasattr(audiollm, name) for name in audiollm.__all__)
    assert len(set(audiollm.__all__)) == len(audiollm.__all__)


def _path_strings(path):
    """The string constants of a module that look like paths (no spaces: not prose or docstrings)."""
    return [node.value for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and " " not in node.value]


def test_training_reads_nothing_under_tests():
    """The training stages (learn/ and code/train.py) name no path under tests/: the espeak-ng / sox scenes are
    scored apart from training, by use.evaluate (python3 code/evaluate.py)."""
    sources = [*sorted(PACKAGE.glob("learn/*.py")), PACKAGE.parent / "train.py"]
    named = [(path.name, s) for path in sources for s in _path_strings(path)
             if s in ("tests", "fixtures") or "tests/" in s or "fixtures/" in s]
    assert named == []


CHECKED_MODULES = ("front/fft.py", "front/stft.py", "front/mel.py", "model/nn.py", "model/encoder.py", "model/bridges.py")
CHECK_LINE = re.compile(r"\braise\s|check_\w*\s*\(")  # a raise, or a call of a check function


def check_lines(path):
    """Lines of a module that raise or call a check_ function (definitions are not calls)."""
    return sum(1 for line in path.read_text(encoding="utf-8").splitlines()
               if CHECK_LINE.search(line) and not line.lstrip().startswith("def "))


def test_checks_stay_at_the_doors():
    """Issue 18: the front end and the model layers check at their doors only (137 such lines before, 79 after);
    internal layers (nn.Linear, Embedding, MultiHeadAttention, sinusoids ...) trust their callers."""
    counts = {name: check_lines(PACKAGE / name) for name in CHECKED_MODULES}
    assert sum(counts.values()) <= 80, counts
