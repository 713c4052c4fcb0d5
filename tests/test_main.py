"""code/main.py end to end, in a subprocess run from a foreign folder: exit status, the Whisper shapes in
the printout, the files it writes (skill equal to the committed copy, valid PNGs), --task, --audio
(short and longer than 30 s) and the one-line error exits."""
import functools
import importlib.util
import math
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import warnings
import zlib
from pathlib import Path

import pytest

from audiollm.use import cli, experiment
from audiollm.model.bridges import bridge_costs, format_cost_table
from audiollm.model.listener import load_listener
from audiollm.use.picker import SKILL_PATH, format_plan, pick, render_skill
from audiollm.base.png import PNG_SIGNATURE, viridis
from audiollm.front.wav import write_wav

ROOT = Path(__file__).resolve().parents[1]
MAIN = ROOT / "code" / "main.py"
LESSON_TASKS = ("transcription", "music tagging", "emotion inference", "multi-speaker diarization",
                "environment classification")
REFRESH = "run `python3 code/main.py` to refresh the committed outputs/"


def run_main(cwd, *args):
    return subprocess.run([sys.executable, str(MAIN), *map(str, args)], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def stage_shape(stdout, name):
    """The shape printed in the stage table for `name`, e.g. '(3000, 80)'."""
    match = re.search(rf"^{re.escape(name)}\s+(\([\d, ]+\))", stdout, re.MULTILINE)
    assert match, f"no stage {name!r} in the output"
    return match.group(1)


def read_png(path):
    """Check signature, chunk order and every CRC; return (width, height, rows of RGB bytes)."""
    data = Path(path).read_bytes()
    assert data[:8] == PNG_SIGNATURE
    pos, kinds, idat = 8, [], b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert crc == zlib.crc32(kind + body), f"bad CRC in {kind!r}"
        kinds.append(kind)
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert (depth, colour, interlace) == (8, 2, 0)
        idat += body if kind == b"IDAT" else b""
        pos += 12 + length
    assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND" and b"IDAT" in kinds
    raw = zlib.decompress(idat)
    stride = 1 + 3 * width
    assert len(raw) == height * stride
    assert all(raw[y * stride] == 0 for y in range(height))  # filter type 0 on every row
    return width, height, [raw[y * stride + 1:(y + 1) * stride] for y in range(height)]


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "new" / "outputs"  # --out is created if missing
    result = run_main(tmp_path_factory.mktemp("cwd"), "--out", out)
    return result, out


def test_default_run_exits_0_and_prints_the_whisper_shapes(default_run):
    result, _ = default_run
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    out = result.stdout
    assert len(out.splitlines()) < 120
    assert "speech 0-3.5 s, music 3.5-7 s, environment 7-10 s" in out
    assert stage_shape(out, "waveform") == "(160000,)"
    assert stage_shape(out, "padded to 30 s") == "(480000,)"
    assert stage_shape(out, "STFT") == "(3001, 201)"
    assert stage_shape(out, "log-Mel") == "(3000, 80)"
    assert re.fullmatch(r"\(1500, \d+\)", stage_shape(out, "encoder"))
    assert re.fullmatch(r"\(64, \d+\)", stage_shape(out, "Q-former tokens"))
    assert re.fullmatch(r"\(64, \d+\)", stage_shape(out, "LLM embeddings"))
    assert "1000 padding frames masked" in out and "over the 500 real frames" in out


def test_the_stage_table_times_every_row_and_says_which_model_is_which(default_run):
    """Every row of the stage table has its own time; the random Whisper-shaped models and the trained
    Listener are named above their rows."""
    lines = default_run[0].stdout.split("\n\nwhat the model heard")[0].splitlines()
    table = lines[lines.index(next(line for line in lines if line.startswith("stage "))) + 1:]
    rows = [line for line in table if not line.startswith(" ")]
    assert [row[:16].strip() for row in rows] == ["waveform", "16 kHz", "padded to 30 s", "STFT", "mel",
                                                            "log-Mel", "encoder", "Q-former tokens",
                                                            "LLM embeddings", "heard"]
    assert all(re.search(r"\) +\d+ ms  ", row) for row in rows)
    notes = [line.strip() for line in table if line.startswith(" ")]
    assert notes[0].startswith("random weights: a Whisper-shaped FrameEncoder and QFormer")
    assert notes[1].startswith(f"trained: the Listener, its own SummaryEncoder and "
                               f"{load_listener().qformer.n_queries}-query Q-former")
    assert table.index(" " * 16 + notes[0]) == table.index(rows[6]) - 1  # right above the encoder
    assert table.index(" " * 16 + notes[1]) == table.index(rows[9]) - 1  # right above what it heard


def test_default_run_prints_the_bridge_table_and_the_five_plans(default_run):
    out = default_run[0].stdout
    assert format_cost_table(bridge_costs()) in out
    for task in LESSON_TASKS:
        assert f"- {task}: {pick(task).pipeline};" in out
    assert "reject cascaded" in out


def test_default_run_previews_the_scene_in_text(default_run):
    lines = default_run[0].stdout.splitlines()
    axis = next(k for k, line in enumerate(lines) if line.startswith("|speech"))
    assert re.fullmatch(r"\|speech +\|music +\|environment", lines[axis])
    preview = lines[axis - 12:axis]
    assert all(len(line) == 72 for line in preview)
    music, environment = lines[axis].index("|music"), lines[axis].index("|environment")
    held = [line[music + 2:environment - 2] for line in preview]  # inside the chord, away from its edges
    assert all(len(set(row)) == 1 for row in held)  # a held chord: every band is steady in time
    assert len({row[0] for row in held}) > 3  # ... and the bands differ: harmonics, not a flat block
    assert any(len(set(line[:music])) > 3 for line in preview)  # syllables and pauses: speech varies


def test_default_run_writes_the_committed_skill(default_run):
    _, out = default_run
    written = (out / Path(SKILL_PATH).name).read_bytes()
    assert written == render_skill().encode("utf-8")
    assert written == (ROOT / SKILL_PATH).read_bytes(), REFRESH


def plot_rows(rows, width):
    """The rows of a figure that cross its heatmap: those holding a run of `width` viridis pixels."""
    colours = {bytes(viridis(level / 255)) for level in range(256)}
    return [row for row in rows if sum(row[i:i + 3] in colours for i in range(0, len(row), 3)) >= width]


def test_default_run_writes_valid_pngs_equal_to_the_committed_ones(default_run):
    _, out = default_run
    width, height, rows = read_png(out / "log_mel.png")
    assert width <= 1400 and height <= 600  # a figure: title, axes, colour bar and strips around the heatmap
    assert len(plot_rows(rows, 1000)) == 240  # 1000 real frames x 80 mel bins scaled by 3
    width, height, rows = read_png(out / "qformer_attention.png")  # the trained Listener's queries
    n_queries = load_listener().qformer.n_queries
    assert width <= 1400 and height <= 600
    assert len(plot_rows(rows, 62 * 16)) == 256 // n_queries * n_queries  # 62 pooled frames (160 ms) of 10 s
    for name in ("log_mel.png", "qformer_attention.png"):
        assert (out / name).read_bytes() == (ROOT / "outputs" / name).read_bytes(), REFRESH


def test_task_prints_only_the_plan(tmp_path):
    question = "what emotion is the speaker expressing"
    result = run_main(tmp_path, "--task", question, "--out", tmp_path / "out")
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout == format_plan(pick(question)) + "\n"
    assert "\nneeds: paralinguistics (emotion)\n" in result.stdout
    assert not (tmp_path / "out").exists()


def test_task_without_a_match_says_so(tmp_path):
    result = run_main(tmp_path, "--task", "bake a cake")
    assert result.returncode == 0
    assert "no need found in 'bake a cake'" in result.stdout and "transcription" in result.stdout


def test_audio_short_stereo_8khz(tmp_path):
    sr = 8000
    tone = [0.3 * math.sin(2 * math.pi * 440 * i / sr) for i in range(12000)]  # 1.5 s
    write_wav(tmp_path / "clip.wav", [tone, tone[::-1]], sr)
    result = run_main(tmp_path, "--audio", "clip.wav", "--n-mels", 128, "--queries", 32, "--no-images",
                      "--out", "out")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "8000 Hz, 2 channels mixed to mono, 1.50 s" in out and "resample(8000 -> 16000)" in out
    assert stage_shape(out, "waveform") == "(12000,)"
    assert stage_shape(out, "16 kHz") == "(24000,)"
    assert stage_shape(out, "log-Mel") == "(3000, 128)"
    assert re.fullmatch(r"\(1500, \d+\)", stage_shape(out, "encoder"))
    assert stage_shape(out, "LLM embeddings") == "(32, 128)"
    assert "1425 padding frames masked" in out  # 150 real log-Mel frames -> 75 encoder frames
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [Path(SKILL_PATH).name]


def test_audio_longer_than_30_s_goes_window_by_window(tmp_path):
    sr = 8000
    write_wav(tmp_path / "long.wav", [0.2 * math.sin(2 * math.pi * 300 * i / sr) for i in range(31 * sr)], sr)
    result = run_main(tmp_path, "--audio", "long.wav", "--no-images", "--out", "out")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "31.00 s: 2 windows of 30 s" in out
    assert stage_shape(out, "log-Mel") == "(3000, 80)"
    assert "0 padding frames masked" in out
    assert re.search(r"^window 2 +\(64, 128\) .* 30-31 s: log-Mel \(3000, 80\), encoder \(1500, \d+\), 100 real "
                     r"frames$", out, re.MULTILINE)
    assert stage_shape(out, "all windows") == "(128, 128)"
    heard = out.split("what the model heard")[1].split("\n\n")[0].splitlines()[1:]  # one line per segment
    line = r"\[\d\d:\d\d\.\d - \d\d:\d\d\.\d\] (speech|music|sound|silence)(: [a-z ]+)?"
    assert all(re.fullmatch(line, h) for h in heard)
    assert " - 00:31.0] " in heard[-1]  # the second window's timeline, at its own time
    assert any(h.startswith("[00:30.0 - ") for h in heard)


def test_default_run_prints_what_the_model_heard_beside_the_truth(default_run):
    out = default_run[0].stdout
    heard = out.split("what the model heard")[1].split("\n\n")[0].splitlines()[1:]
    assert heard[0].split() == ["heard", "truth"]
    assert heard[1].startswith("[00:00.0 - ") and heard[1].endswith("[00:00.0 - 00:03.5] speech")
    assert "[00:07.0 - 00:10.0] sound" in heard[3]


def _empty_wav(path):
    write_wav(path, [], 16000)
    return path


def _pcm16_wav(rate, data_size, data):
    """A mono 16-bit WAV whose header says `rate` Hz and `data_size` bytes of samples, holding `data`."""
    fmt = struct.pack("<HHIIHH", 1, 1, rate, 2 * rate, 2, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", data_size) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


@pytest.mark.parametrize("args, message", [
    (("--audio", "missing.wav"), "missing.wav: no such file"),
    (("--audio", "notes.txt"), "not a WAV file"),
    (("--audio", "empty.wav"), "holds no samples"),
    (("--audio", "4hz.wav"), "4hz.wav: fmt chunk says sample rate 4 Hz; audio is recorded at 1000 to 768000 Hz"),
    # A reader's warning joins the error line: one line on stderr, not two.
    (("--audio", "cut.wav"), "cut.wav holds no samples (after a warning: cut.wav: data chunk claims 20 bytes but "
                             "the file holds only 1"),
    (("--audio", "bell\a.wav"), "bell\\x07.wav: no such file"),  # control characters are escaped
    (("--n-mels", "64"), "argument --n-mels: invalid choice: 64"),
    (("--queries", "0"), "argument --queries: expected an integer from 1 to"),
    (("--out", "notes.txt"), "--out: notes.txt is a file, not a folder"),
    (("--out", ""), "--out: an empty folder name"),
    (("--out", "notes.txt/sub"), "--out: cannot write in notes.txt/sub (Not a directory)"),
    (("--audio", "cut100.wav", "--out", ""), "--out: an empty folder name (after a warning: cut100.wav: data chunk"),
    (("--task", "music tagging", "--diarize", "notes.txt"), "not allowed with argument"),
    (("--diarize", "short.wav"), "short.wav: 0.30 s of audio (at 16 kHz) is shorter than 0.5 s"),
    (("--diarize", "missing.wav"), "missing.wav: no such file"),
    (("--diarize", "short.wav", "--n-speakers", "0"), "argument --n-speakers: expected an integer from 1 to 20"),
    (("--diarize", "short.wav", "--max-speakers", "x"), "argument --max-speakers: expected an integer"),
    (("--n-speakers", "2"), "--n-speakers goes with --diarize"),
    (("--reference", "notes.txt"), "--reference goes with --diarize"),
    (("--diarize", "short.wav", "--n-speakers", "2", "--max-speakers", "3"), "--n-speakers fixes the count"),
    (("--diarize", "short.wav", "--min-speakers", "3", "--max-speakers", "2"),
     "--min-speakers (3) is more than --max-speakers (2)"),
    (("--diarize", "loud.wav", "--out", "out"), "loud.wav: holds samples that are not finite or beyond +-1e+150"),
])
def test_bad_input_is_one_stderr_line_and_exit_2(tmp_path, args, message):
    (tmp_path / "notes.txt").write_text("not audio\n")
    _empty_wav(tmp_path / "empty.wav")
    (tmp_path / "4hz.wav").write_bytes(_pcm16_wav(4, 100_000, b"\0" * 100_000))  # 7 hours at 16 kHz
    (tmp_path / "cut.wav").write_bytes(_pcm16_wav(8000, 20, b"\1"))  # claims 10 frames, holds half of one
    (tmp_path / "cut100.wav").write_bytes(_pcm16_wav(8000, 2000, b"\1\0" * 100))  # claims 1000 frames, holds 100
    runs = ROOT / "outputs" / "runs"
    before = sorted(runs.iterdir()) if runs.exists() else []
    write_wav(tmp_path / "short.wav", [0.0] * 2400, 8000)
    values = [0.0] * 16000 + [1e152] * 10  # float64 holds them; their power overflows
    fmt = struct.pack("<HHIIHH", 3, 1, 16000, 16000 * 8, 8, 64)
    data = struct.pack(f"<{len(values)}d", *values)
    riff = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    (tmp_path / "loud.wav").write_bytes(b"RIFF" + struct.pack("<I", len(riff)) + riff)
    result = run_main(tmp_path, *args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("main.py: error: ")
    assert (sorted(runs.iterdir()) if runs.exists() else []) == before  # no folder for a run that could not start
    assert message in result.stderr
    assert "Traceback" not in result.stderr and "\x07" not in result.stderr


@pytest.mark.skipif(not os.path.isdir("/sys") or os.access("/sys", os.W_OK) and os.geteuid() != 0,
                    reason="needs a folder nobody may write in")
def test_an_unwritable_out_is_found_before_any_work(tmp_path):
    result = run_main(tmp_path, "--out", "/sys")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == "main.py: error: --out: cannot write in /sys (Permission denied)\n"


def test_control_characters_in_the_task_are_escaped(tmp_path):
    result = run_main(tmp_path, "--task", "bake\x1b[31m a cake\x07")
    assert result.returncode == 0
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert result.stdout.startswith("task: bake\\x1b[31m a cake\\x07\n")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file names are bytes")
def test_non_utf8_arguments_print_escaped_under_a_strict_utf8_stdout(tmp_path):
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    (tmp_path / "notes.txt").write_text("not audio\n")
    for args, expected in (((b"--task", b"\xffnotes"), b"task: \\udcffnotes\n"),
                           ((b"--out", b"notes.txt/\xff"), b"error: --out: cannot write in notes.txt/\\udcff")):
        result = subprocess.run([sys.executable, str(MAIN), *args], cwd=tmp_path, capture_output=True, env=env)
        assert expected in result.stdout + result.stderr and b"Traceback" not in result.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT")
def test_ctrl_c_prints_one_line_and_exits_130(tmp_path):
    command = [sys.executable, "-u", str(MAIN), "--out", str(tmp_path / "out")]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
        assert process.stdout.readline().startswith("the lesson scene")  # the run has started
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert stderr == "main.py: interrupted\n"
    assert not [p for p in os.listdir(tmp_path / "out") if p.startswith(".tmp")]  # no half-written files left


@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGSTOP and SIGINT")
def test_ctrl_c_while_the_modules_import_prints_one_line_and_exits_130():
    """Issue 13: Ctrl-C in the first 0.1 s, while main.py imports audiollm. -X importtime prints a line as each
    module finishes importing; the process is stopped at the first audiollm one, sent SIGINT and continued, so
    the interrupt lands inside the imports."""
    command = [sys.executable, "-X", "importtime", str(MAIN), "--task", "music tagging"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0) as process:
        seen = b""
        while b"audiollm" not in seen:  # byte by byte (unbuffered), so nothing past this line is read yet
            seen += process.stderr.readline()
        for sent in (signal.SIGSTOP, signal.SIGINT, signal.SIGCONT):
            process.send_signal(sent)
        stdout, rest = process.communicate(timeout=60)
    lines = (seen + rest).decode().splitlines()
    assert process.returncode == 130 and stdout == b""
    assert [line for line in lines if not line.startswith("import time:")] == ["main.py: interrupted"]
    assert not any(line.endswith("| audiollm.base.png") for line in lines)  # imported late: the imports were cut short


@pytest.fixture(scope="module")
def lesson_main():
    """code/main.py imported as a module (it is a script, not part of the package)."""
    spec = importlib.util.spec_from_file_location("lesson_main", MAIN)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_only_the_lesson_run_writes_the_committed_outputs(lesson_main):
    def folder(*argv):
        return cli.run_folder(cli.parse_lesson_args(list(argv)), lesson_main.OUTPUTS)
    outputs, runs = ROOT / "outputs", ROOT / "outputs" / "runs"
    assert folder() == folder("--no-images") == folder("--experiment") == str(outputs)
    assert folder("--audio", "recordings/my talk (take 2).wav") == str(runs / "my_talk_take_2")
    assert folder("--diarize", "call.wav") == str(runs / "call")
    assert folder("--audio", "%%.wav") == str(runs / "audio")  # nothing left after sanitising
    assert folder("--seed", "1") == str(runs / "lesson-seed1-mels80-queries64")
    assert folder("--n-mels", "128", "--queries", "32") == str(runs / "lesson-seed0-mels128-queries32")
    assert folder("--experiment", "--seed", "3") == str(runs / "experiment-seed3")
    assert {"outputs/runs/", "outputs/.tmp-*"} <= set((ROOT / ".gitignore").read_text().splitlines())


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file names are bytes")
def test_audio_without_out_writes_to_its_run_folder(tmp_path):
    """On a copy of code/, so that the test leaves the repository's outputs/ alone. The file name is Latin-1,
    not UTF-8, and stdout is strictly UTF-8: the name prints escaped."""
    shutil.copytree(ROOT / "code", tmp_path / "code", ignore=shutil.ignore_patterns("__pycache__"))
    name = b"caf\xe9 clip.wav"
    write_wav(os.fsdecode(tmp_path / os.fsdecode(name)), [0.1 * math.sin(i / 3) for i in range(8000)], 8000)
    result = subprocess.run([sys.executable, str(tmp_path / "code" / "main.py"), "--audio", name, "--queries", "2"],
                            cwd=tmp_path, capture_output=True, env=dict(os.environ, PYTHONIOENCODING="utf-8"),
                            timeout=300)
    assert result.returncode == 0 and result.stderr == b""
    assert b"read caf\\udce9 clip.wav: 8000 Hz" in result.stdout
    folder = tmp_path / "outputs" / "runs" / "caf_clip"
    assert f"wrote {folder / 'log_mel.png'}\n".encode() in result.stdout
    assert os.listdir(tmp_path / "outputs") == ["runs"]
    assert sorted(os.listdir(folder)) == ["log_mel.png", "qformer_attention.png", Path(SKILL_PATH).name]


def test_the_pictures_and_skill_are_moved_in_only_when_all_are_written(tmp_path):
    (tmp_path / "log_mel.png").write_bytes(b"old")

    def fails_half_way(folder):
        (Path(folder) / "log_mel.png").write_bytes(b"new")
        raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        cli.write_as_set(str(tmp_path), fails_half_way)
    assert os.listdir(tmp_path) == ["log_mel.png"] and (tmp_path / "log_mel.png").read_bytes() == b"old"

    def writes_two(folder):
        for name in ("log_mel.png", "qformer_attention.png"):
            (Path(folder) / name).write_bytes(b"new")
        return "done"
    assert cli.write_as_set(str(tmp_path), writes_two) == "done"
    assert sorted(os.listdir(tmp_path)) == ["log_mel.png", "qformer_attention.png"]
    assert (tmp_path / "log_mel.png").read_bytes() == b"new"


def test_diarize_prints_the_turns_and_writes_rttm(tmp_path):
    wav = ROOT / "tests" / "fixtures" / "diarize_two_voices.wav"
    result = run_main(tmp_path, "--diarize", wav, "--out", "out")
    assert result.returncode == 0, result.stderr
    assert "2 speakers, 4 turns" in result.stdout
    turns = re.findall(r"^\[\d\d:\d\d\.\d\d - \d\d:\d\d\.\d\d\] (SPEAKER_\d)$", result.stdout, re.MULTILINE)
    assert turns == ["SPEAKER_1", "SPEAKER_2", "SPEAKER_1", "SPEAKER_2"]
    rttm = (tmp_path / "out" / "diarize_two_voices.rttm").read_text().splitlines()
    assert [line.split()[7] for line in rttm] == turns
    assert all(line.startswith("SPEAKER diarize_two_voices 1 ") for line in rttm)
    assert "stage" not in result.stdout
    assert sorted(os.listdir(tmp_path / "out")) == ["diarize_two_voices.rttm", "diarize_two_voices_who_spoke_when.png"]
    width, height, _ = read_png(tmp_path / "out" / "diarize_two_voices_who_spoke_when.png")
    assert width <= 1400 and height <= 600
    assert "wrote out/diarize_two_voices_who_spoke_when.png\n" in result.stdout


def test_diarize_against_a_reference_prints_its_der_and_draws_it_under_the_turns(tmp_path):
    fixtures = ROOT / "tests" / "fixtures"
    args = ("--diarize", fixtures / "diarize_two_voices.wav", "--out", "out")
    result = run_main(tmp_path, *args, "--reference", fixtures / "diarize_two_voices.rttm")
    assert result.returncode == 0, result.stderr
    assert f"against {fixtures / 'diarize_two_voices.rttm'}: DER 0.000 (missed 0.000, " in result.stdout
    for name in ("diarize_two_voices.rttm", "diarize_two_voices_who_spoke_when.png"):  # the README's example
        assert (tmp_path / "out" / name).read_bytes() == (ROOT / "outputs" / name).read_bytes(), (
            "run `python3 code/main.py --diarize tests/fixtures/diarize_two_voices.wav --reference "
            "tests/fixtures/diarize_two_voices.rttm --out outputs` to refresh the committed outputs/")
    with_reference = read_png(tmp_path / "out" / "diarize_two_voices_who_spoke_when.png")
    assert run_main(tmp_path, *args).returncode == 0
    alone = read_png(tmp_path / "out" / "diarize_two_voices_who_spoke_when.png")
    assert with_reference[0] == alone[0] and with_reference[1] > alone[1] + 2 * 24  # two more lanes, a heading
    result = run_main(tmp_path, *args, "--no-images")
    assert result.returncode == 0 and "who_spoke_when" not in result.stdout


@pytest.mark.parametrize("reference, message", [
    ("missing.rttm", "missing.rttm: cannot read it as RTTM"),
    ("two.rttm", "two.rttm: no turns for 'diarize_two_voices' (it has a, b)"),
])
def test_a_bad_reference_is_refused_before_any_work(tmp_path, reference, message):
    (tmp_path / "two.rttm").write_text("SPEAKER a 1 0.0 1.0 <NA> <NA> A <NA> <NA>\n"
                                       "SPEAKER b 1 0.0 1.0 <NA> <NA> B <NA> <NA>\n")
    wav = ROOT / "tests" / "fixtures" / "diarize_two_voices.wav"
    result = run_main(tmp_path, "--diarize", wav, "--reference", reference, "--out", "out")
    assert result.returncode == 2 and result.stdout == "" and message in result.stderr
    assert len(result.stderr.splitlines()) == 1 and not (tmp_path / "out").exists()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file names are bytes")
def test_diarize_writes_its_picture_into_the_runs_folder_never_over_a_committed_file(tmp_path):
    """On a copy of code/ and the committed outputs/, so that the test leaves the repository alone. The WAV is
    named like a committed picture: the committed log_mel.png stays as it is."""
    shutil.copytree(ROOT / "code", tmp_path / "code", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "outputs", tmp_path / "outputs", ignore=shutil.ignore_patterns("runs", ".tmp-*"))
    committed = {path.name: path.read_bytes() for path in (tmp_path / "outputs").iterdir()}
    shutil.copy(ROOT / "tests" / "fixtures" / "diarize_two_voices.wav", tmp_path / "log_mel.wav")
    main = tmp_path / "code" / "main.py"
    for out in ((), ("--out", "outputs")):
        result = subprocess.run([sys.executable, str(main), "--diarize", "log_mel.wav", *out], cwd=tmp_path,
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr
        assert {path.name: path.read_bytes() for path in (tmp_path / "outputs").iterdir()
                if path.name in committed} == committed
    folder = tmp_path / "outputs" / "runs" / "log_mel"
    assert sorted(os.listdir(folder)) == ["log_mel.rttm", "log_mel_who_spoke_when.png"]
    assert (folder / "log_mel_who_spoke_when.png").read_bytes() == \
        (tmp_path / "outputs" / "log_mel_who_spoke_when.png").read_bytes()  # and the picture is deterministic


def test_diarize_with_a_known_number_of_speakers(tmp_path):
    wav = ROOT / "tests" / "fixtures" / "diarize_eval" / "t11_meeting3.wav"
    result = run_main(tmp_path, "--diarize", wav, "--n-speakers", "2", "--out", "out")
    assert result.returncode == 0, result.stderr
    assert "t11_meeting3.wav (8.56 s): 2 speakers," in result.stdout
    result = run_main(tmp_path, "--diarize", wav, "--max-speakers", "1", "--out", "out")
    assert result.returncode == 0 and ": 1 speaker," in result.stdout


def test_diarize_a_file_whose_name_is_not_utf8(tmp_path):
    """Bytes that are not UTF-8 in the name (issue 13: UnicodeEncodeError, exit 1) are shown as \\xNN escapes."""
    name = b"caf\xe9 call.wav"
    source = (ROOT / "tests" / "fixtures" / "diarize_two_voices.wav").read_bytes()
    with open(os.path.join(os.fsencode(tmp_path), name), "wb") as f:
        f.write(source)
    result = subprocess.run([sys.executable, str(MAIN), "--diarize", name, "--out", "out"], cwd=tmp_path,
                            capture_output=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert b"who spoke when in caf\\xe9 call.wav" in result.stdout
    rttm = (tmp_path / "out" / "caf\\xe9_call.rttm").read_text(encoding="utf-8").splitlines()
    assert len(rttm) == 4 and all(line.startswith("SPEAKER caf\\xe9_call 1 ") for line in rttm)


def test_experiment_prints_and_writes_the_report(lesson_main, tmp_path, monkeypatch, capsys):
    """In-process with a 4 + 1 question split: the full default run is issue 5's 30-s benchmark."""
    monkeypatch.setattr(cli, "run_experiment", functools.partial(experiment.run_experiment, n_train=4, n_test=1))
    monkeypatch.setattr(cli, "run_llm_experiment", functools.partial(experiment.run_llm_experiment, n_train=1,
                                                                     n_test=1, steps=1))
    monkeypatch.setattr(warnings, "formatwarning", warnings.formatwarning)  # main() sets a one-line format
    assert lesson_main.main(["--experiment", "--seed", "3", "--out", str(tmp_path / "out")]) == 0
    printed = capsys.readouterr().out
    report = (tmp_path / "out" / "cascade_vs_e2e.md").read_text(encoding="utf-8")
    assert report.startswith("# Toy experiment: cascaded vs end-to-end (seed 3)\n")
    assert printed.startswith(report)
    assert all(f"| {kind} |" in report for kind in experiment.QUESTIONS)
    assert "## The same micro audio-LLM on both sides (seed 3)" in report


def test_default_run_shows_the_truth_beside_the_micro_llms_answers(default_run):
    """Issue 20 item 10: the answers were printed with no truth beside them."""
    lines = default_run[0].stdout.splitlines()
    start = next(k for k, line in enumerate(lines) if line.startswith("the micro audio-LLM answers"))
    assert re.fullmatch(r"question\? answer +truth", lines[start + 1])
    truth = {"what do you hear": "speech then music then sound", "is there music": "yes",
             "when does the music start": "3.5 seconds"}
    for line, (question, true) in zip(lines[start + 2:start + 5], truth.items()):
        assert line.startswith(question + "? ") and line.endswith("  " + true)


def test_main_is_the_lesson_in_about_250_lines():
    """Issue 18 point 3: the arc and its printing, nothing else; no noqa, stages not string keys of a clock."""
    text = MAIN.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 260
    assert "noqa" not in text and "Clock" not in text and text.count('"16 kHz"') <= 1
