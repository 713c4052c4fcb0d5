"""The reports the measuring commands write under outputs/, and the README's headline table that quotes them:
every figure the README shows is found, as written, in the row of the report it names."""
import pathlib
import re

import pytest

from audiollm.base.files import markdown_table, write_report
from audiollm.learn.align import CANDIDATES, held_out_table, lesson_item, prepare_all, write_align_report
from audiollm.model.listener import DEFAULT_WEIGHTS, load_listener
from audiollm.use.evaluate import untrained_twin

ROOT = pathlib.Path(__file__).resolve().parent.parent
NUMBER = re.compile(r"\d+(?:\.\d+)?")


def headline_rows(readme):
    """[(result, figure, report path, report row label, command)] of the README's "Headline results" table."""
    section = readme.split("## Headline results", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or cells[0] in ("result", "---"):
            continue
        path = re.search(r"`(outputs/[^`]+\.md)`", cells[2])
        label = re.search(r'"(.+)"', cells[2])
        assert path and label, f"a headline row must name its report and the report's row: {line}"
        rows.append((cells[0], cells[1], path.group(1), label.group(1), cells[3].strip("`")))
    return rows


def report_row(text, label):
    """The cells of the first table row of a report whose first cell is `label`."""
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0] == label:
            return cells
    raise AssertionError(f"no row {label!r}")


def figures_not_in_report(readme, root):
    """The README headline figures that the named report row does not hold, as (result, figure) pairs."""
    missing = []
    for result, figure, path, label, _ in headline_rows(readme):
        numbers = NUMBER.findall(figure)
        if not numbers:  # a row that only points at its report
            continue
        report = root / path
        held = set(NUMBER.findall(" ".join(report_row(report.read_text(encoding="utf-8"), label)[1:]))) \
            if report.exists() else set()
        missing += [(result, n) for n in numbers if n not in held]
    return missing


README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_headline_figure_equals_its_reports():
    rows = headline_rows(README)
    assert len(rows) >= 6 and sum(bool(NUMBER.findall(figure)) for _, figure, _, _, _ in rows) >= 5
    assert figures_not_in_report(README, ROOT) == []


def test_every_headline_row_names_the_command_its_report_says_wrote_it():
    """The report's "Written by" command is the row's command, with any options the report spells out."""
    for _, _, path, _, command in headline_rows(README):
        script = command.split()[1]
        assert command.startswith("python3 ") and (ROOT / script).exists(), command
        report = ROOT / path
        if report.exists():
            written_by = re.search(r"^Written by `([^`]+)`", report.read_text(encoding="utf-8"), flags=re.M)
            assert written_by is None or written_by.group(1).startswith(command), (path, command)


def test_a_figure_that_differs_from_its_report_is_caught(tmp_path):
    (tmp_path / "outputs").mkdir()
    write_report(tmp_path / "outputs" / "r.md", "R", "python3 x.py", markdown_table(["row", "v"], [["a", "0.920"]]))
    table = "## Headline results\n\n| result | figure | report, row | regenerate with |\n|---|---|---|---|\n"
    good = table + '| A | 0.920 | `outputs/r.md`, "a" | `python3 x.py` |\n'
    assert figures_not_in_report(good, tmp_path) == []
    assert figures_not_in_report(good.replace("0.920", "0.92"), tmp_path) == [("A", "0.92")]
    assert figures_not_in_report(good.replace("r.md", "gone.md"), tmp_path) == [("A", "0.920")]
    assert figures_not_in_report(good.replace("0.920", "see the report"), tmp_path) == []
    with pytest.raises(AssertionError):
        figures_not_in_report(good.replace('"a"', '"b"'), tmp_path)


def test_write_report_names_its_command_and_is_deterministic(tmp_path):
    path = tmp_path / "report.md"
    body = markdown_table(["split", "DER"], [["all", "0.090"]])
    write_report(path, "Title", "python3 code/x.py", body)
    first = path.read_bytes()
    write_report(path, "Title", "python3 code/x.py", body)
    assert path.read_bytes() == first
    assert first.decode().splitlines()[:5] == ["# Title", "", "Written by `python3 code/x.py`; rerun it to "
                                               "regenerate this file.", "", "| split | DER |"]


def test_the_alignment_report_measures_the_shipped_weights_without_training(tmp_path):
    model = load_listener(DEFAULT_WEIGHTS)
    rows = held_out_table(model, untrained_twin(model), prepare_all("val", CANDIDATES, 4.0, 1), [lesson_item()])
    names = [name for name, _, _, _ in rows]
    assert names[0] == f"retrieval recall@1 ({CANDIDATES} val clips, {CANDIDATES} candidates)"
    assert names[-1] == "timeline frame accuracy, the lesson scene (lesson_scene(0))"
    lesson = rows[-1]
    assert lesson[2] > 0.85 > lesson[1]  # trained against untrained, on the lesson scene
    path = write_align_report(tmp_path / "align.md", model, rows, "python3 code/evaluate.py")
    text = path.read_text(encoding="utf-8")
    assert f"| {lesson[0]} | {lesson[1]:.3f} | {lesson[2]:.3f} | 0.250 |" in text
    shipped = (ROOT / "outputs" / "align_report.md").read_text(encoding="utf-8")
    assert report_row(shipped, lesson[0])[1:] == [f"{lesson[1]:.3f}", f"{lesson[2]:.3f}", "0.250"]
