"""The command lines' shared door (lesson: "Ship It"): code/main.py, code/train.py and code/bench.py parse their
options here, check every path and option before any work, and run through `run_command`, which turns bad input
into one line on stderr (exit 2), Ctrl-C into one line (exit 130) and a closed stdout into a quiet exit 1. Also
here: where a run writes (the committed outputs/ or a git-ignored outputs/runs/<name>/), atomic sets of output
files, progress lines on stderr, the escaping that keeps echoed input from driving the terminal, the small text
helpers of main.py's stage table (timed, shape, side_by_side, ruler) and the commands beside the lesson's arc
(--ask, --diarize, --experiment). The lesson itself, the arc and the printing of its stages, is code/main.py.
"""
import argparse
import os
import re
import shutil
import signal
import sys
import tempfile
import time
import warnings
from collections import namedtuple

from ..base.errors import AudiollmError, check_text
from ..base.files import write_atomic
from ..front.resample import resampled_length
from ..front.wav import open_wav
from ..model.decoder import MAX_QUESTION
from ..synthetic.synth import lesson_scene
from .ask import ask, ask_file, format_answers
from .diarize import MAX_SPEAKERS, check_length, der, diarize, format_turns, reference_turns, to_rttm
from .experiment import format_llm_report, format_report, run_experiment, run_llm_experiment, write_report
from .picker import MAX_QUERIES, format_plan, pick
from .pictures import who_spoke_when_png

CONTROL_CHARACTERS = {c: f"\\x{c:02x}" for c in [*range(32), *range(127, 160)] if c != 10}  # all but newline
REPORT_MD = "cascade_vs_e2e.md"
WHO_SPOKE_PNG = "_who_spoke_when.png"  # --diarize's picture: <name>_who_spoke_when.png beside <name>.rttm
LESSON_OPTIONS = {"seed": 0, "n_mels": 80, "queries": 64}  # the run whose files are committed in outputs/


def shown(text):
    """text with control characters (ESC, BEL, ...) written as \\xNN: echoed input cannot drive the terminal."""
    return text.translate(CONTROL_CHARACTERS)


def printable(path):
    """A path as text any terminal and file take: bytes that are not UTF-8 shown as \\xNN escapes."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def safe_name(text):
    """A file or folder name from any text: runs of other characters become "_", at most 80 characters."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._")[:80]


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a bad option in one line on stderr (exit status 2), without the usage block."""

    def error(self, message):
        self.exit(2, shown(f"{self.prog}: error: {message} (see --help)") + "\n")


def int_in(low, high=None):
    """An argparse type: an integer from low to high (no upper bound when high is None)."""
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < low or (high is not None and value > high):
            bound = f"from {low} to {high}" if high is not None else f">= {low}"
            raise argparse.ArgumentTypeError(f"expected an integer {bound}, got {value}")
        return value
    return parse


def make_out(out, option="--out"):
    """Create the output folder (and its parents) unless it exists and check that files can be written in it,
    before any work. Returns out."""
    if not out:
        raise AudiollmError(f"{option}: an empty folder name")
    if os.path.exists(out) and not os.path.isdir(out):
        raise AudiollmError(f"{option}: {out} is a file, not a folder")
    return writable(out, option, make=True)


def writable(folder, option, make=False):
    """Check that files can be written in `folder` (creating it and its parents first when make): a probe file
    made and removed; else AudiollmError naming the option. Returns folder."""
    try:
        if make:
            os.makedirs(folder, exist_ok=True)
        handle, probe = tempfile.mkstemp(dir=folder, prefix=".tmp-probe-")
        os.close(handle)
        os.unlink(probe)
    except OSError as error:
        raise AudiollmError(f"{option}: cannot write in {folder} ({error.strerror or error})") from None
    return folder


def check_out_file(path, option="--out"):
    """A file the command will write at the end: its folder must exist and take files, and the path must not be
    a folder; checked before any work (AudiollmError naming the option). Returns the path."""
    if not path:
        raise AudiollmError(f"{option}: an empty file name")
    if os.path.isdir(path):
        raise AudiollmError(f"{option}: {path} is a folder, not a file")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise AudiollmError(f"{option}: the folder {os.path.dirname(path) or '.'} does not exist")
    writable(folder, option)
    return path


def write_as_set(out, write):
    """Call write(folder) on a fresh temporary folder inside `out`, then move every file it wrote into `out`.

    Returns write's result. POSIX renames one file at a time, so the set cannot move in one step; but the
    files are finished before the first rename and the renames take well under a millisecond, so a kill or
    a second run mixes two runs' files only inside that window, never while the pictures are being drawn.
    (Swapping a symlink would close the window, at the price of outputs/ holding links, not the pictures.)
    """
    folder = tempfile.mkdtemp(dir=out, prefix=".tmp-run-")
    try:
        result = write(folder)
        for name in sorted(os.listdir(folder)):
            os.replace(os.path.join(folder, name), os.path.join(out, name))
        return result
    finally:
        shutil.rmtree(folder, ignore_errors=True)


class Progress:
    """A progress line on stderr for long work, so stdout stays what the command prints: progress(done, total)
    after each part; from 2 s on, at most every 2 s and at the end, "what: done/total, s, ETA s"."""

    def __init__(self, what, stream=None):
        self.what, self.stream = what, stream
        self.start = time.perf_counter()
        self.last = self.start

    def __call__(self, done, total):
        now = time.perf_counter()
        if now - self.start < 2.0 or (done < total and now - self.last < 2.0):
            return
        self.last = now
        eta = f", ETA {(now - self.start) / done * (total - done):.0f} s" if 0 < done < total else ""
        print(f"{self.what}: {done}/{total}, {now - self.start:.0f} s{eta}", file=self.stream or sys.stderr,
              flush=True)


Timed = namedtuple("Timed", "result seconds")


def timed(fn, *args):
    """fn(*args) as a Timed: its result and the seconds it took."""
    start = time.perf_counter()
    result = fn(*args)
    return Timed(result, time.perf_counter() - start)


def shape(x, transposed=False):
    """'(rows, columns)' of a list of rows ('(columns, rows)' when transposed), '(n,)' of a flat list."""
    if not (x and isinstance(x[0], (list, tuple))):
        return f"({len(x)},)"
    return f"({len(x[0])}, {len(x)})" if transposed else f"({len(x)}, {len(x[0])})"


def kind(name):
    """A lesson scene segment's name as the Listener's kind: its "environment" is a sound."""
    return "sound" if name == "environment" else name


def side_by_side(left, right, titles=None):
    """Two columns of lines, the right one starting 4 spaces after the longest left line; titles on top."""
    if titles is None:
        return "\n".join(left)
    width = max(map(len, left), default=0) + 4
    rows = [titles, *((left[k] if k < len(left) else "", right[k] if k < len(right) else "")
                      for k in range(max(len(left), len(right))))]
    return "\n".join(f"{a:<{width}}{b}".rstrip() for a, b in rows)


def ruler(segments, seconds, width):
    """A line under a text preview: segment names at their start columns, or 0 s ... end with no segments."""
    if not segments:
        return "0 s" + f"{seconds:g} s".rjust(width - 3)
    line = ""
    for name, start, _ in segments:
        line = line.ljust(round(start / seconds * width)) + "|" + name + " "
    return line.rstrip()


def one_line_each(caught):
    """The distinct messages of caught warnings, each on one line (a file opened twice warns twice)."""
    return list(dict.fromkeys(" ".join(str(w.message).split()) for w in caught))


def run_command(prog, run, argv=None):
    """Run a command line, run(argv) -> exit status; returns the status to exit with: 2 for bad input (one line
    on stderr: "prog: error: ...", with the warnings that came before it folded in), 130 on Ctrl-C ("prog:
    interrupted"), 1 when stdout was closed early (| head)."""
    signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C is KeyboardInterrupt, even if inherited ignored
    for stream in (sys.stdout, sys.stderr):  # a file name with non-UTF-8 bytes prints as \\udcNN, no traceback
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    caught = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            status = run(argv)
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (| head): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except (AudiollmError, OSError) as error:
        notes = one_line_each(caught)
        after = f" (after {'a warning' if len(notes) == 1 else 'warnings'}: {'; '.join(notes)})" if notes else ""
        print(shown(f"{prog}: error: " + " ".join(str(error).split()) + after), file=sys.stderr)
        return 2
    for note in one_line_each(caught):
        print(shown(f"{prog}: warning: " + note), file=sys.stderr)
    return status or 0


# code/main.py's command line: its options, where a run writes, and the commands beside the lesson's arc.

def parse_lesson_args(argv):
    """main.py's command line (argv: list of str, None for sys.argv) as an argparse.Namespace; bad options exit
    2 in one line."""
    parser = OneLineParser(prog="main.py", description="Run the audio-LLM arc (WAV -> log-Mel -> encoder -> "
                           "Q-former -> LLM embeddings), compare the bridges, pick pipelines, write the skill.")
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--audio", metavar="PATH", help="a WAV file (any rate, channels and PCM/float/mu-law/A-law "
                      "format; longer than 30 s goes window by window) instead of the synthetic lesson scene")
    only.add_argument("--task", metavar="TEXT", help="print only the picker's plan for this task: the needs found "
                      "in it and the words behind each, then the pipeline; a question such as 'is there glass "
                      "breaking in this recording' or a profile name")
    only.add_argument("--diarize", metavar="PATH", help="only diarize this WAV (who spoke when): print the speaker "
                      "turns, write them to OUT/<name>.rttm and draw them in OUT/<name>" + WHO_SPOKE_PNG)
    only.add_argument("--experiment", action="store_true", help="only run the toy cascaded vs end-to-end "
                      "experiment (about 2 minutes, progress on stderr): print its accuracy table, write it to "
                      "OUT/" + REPORT_MD)
    parser.add_argument("--n-speakers", metavar="K", type=int_in(1, MAX_SPEAKERS),
                        help="with --diarize: the number of speakers, if you know it (exactly K come out, or one "
                        "line says why not)")
    parser.add_argument("--min-speakers", metavar="K", type=int_in(1, MAX_SPEAKERS), default=1,
                        help="with --diarize: at least K speakers when the count is found (default 1)")
    parser.add_argument("--max-speakers", metavar="K", type=int_in(1, MAX_SPEAKERS), default=MAX_SPEAKERS,
                        help=f"with --diarize: at most K speakers when the count is found (default {MAX_SPEAKERS})")
    parser.add_argument("--reference", metavar="RTTM", help="with --diarize: the true turns (an RTTM file), "
                        "printed as a DER and drawn under the turns found")
    parser.add_argument("--ask", metavar="QUESTION", help="only answer this question about --audio (default: the "
                        "lesson scene) with the micro audio-LLM, one 'answer:' line per 30-s window")
    parser.add_argument("--think", action="store_true", help="with --ask: a thought (the heard timeline) first")
    parser.add_argument("--end-to-end", action="store_true", help="with --ask: audio tokens only (by default the "
                        "Listener's timeline also goes into the prompt as words: a hybrid)")
    parser.add_argument("--n-mels", type=int, choices=(80, 128), default=80,
                        help="mel bins: 80 (Whisper) or 128 (Whisper large-v3, AF3); default 80")
    parser.add_argument("--queries", metavar="N", type=int_in(1, MAX_QUERIES), default=64,
                        help="Q-former queries, the audio tokens per 30-s window (BLIP-2: 32, the lesson: 64); "
                        "default 64")
    parser.add_argument("--seed", metavar="N", type=int_in(0, 2**32 - 1), default=0,
                        help="seed of the lesson scene and of the random encoder and Q-former weights; default 0")
    parser.add_argument("--out", metavar="DIR",
                        help="folder for the skill markdown, the pictures, RTTM files and the experiment report, "
                        "created if missing; default: outputs/ beside code/ for the lesson run (whose files are "
                        "committed), else the git-ignored outputs/runs/<file name or options>/")
    parser.add_argument("--no-images", dest="images", action="store_false",
                        help="skip the PNG pictures (the text preview is still printed)")
    args = parser.parse_args(argv)
    counts = {"--n-speakers": args.n_speakers is not None, "--min-speakers": args.min_speakers != 1,
              "--max-speakers": args.max_speakers != MAX_SPEAKERS, "--reference": args.reference is not None}
    if any(counts.values()) and args.diarize is None:
        parser.error(f"{next(k for k, v in counts.items() if v)} goes with --diarize")
    if counts["--n-speakers"] and (counts["--min-speakers"] or counts["--max-speakers"]):
        parser.error("--n-speakers fixes the count: give it, or --min-speakers / --max-speakers, not both")
    if args.min_speakers > args.max_speakers:
        parser.error(f"--min-speakers ({args.min_speakers}) is more than --max-speakers ({args.max_speakers})")
    if args.ask is not None:
        others = {"--task": args.task is not None, "--diarize": args.diarize is not None,
                  "--experiment": args.experiment, "--out": args.out is not None, "--n-mels": args.n_mels != 80,
                  "--queries": args.queries != 64, "--no-images": not args.images}
        if any(others.values()):  # --ask prints its answers and writes nothing; the Listener hears 80 mels
            parser.error("--ask goes with --audio, --seed, --think and --end-to-end only, not "
                         + next(k for k, v in others.items() if v))
    if (args.think or args.end_to_end) and args.ask is None:
        parser.error("--think and --end-to-end need --ask")
    return args


def run_folder(args, outputs):
    """Where a run writes without --out: `outputs` for the lesson runs whose results are committed there,
    outputs/runs/<name>/ (git-ignored) for your own audio or other options, so trying them changes no
    committed file."""
    runs = os.path.join(outputs, "runs")
    source = args.audio if args.audio is not None else args.diarize
    if source is not None:
        return os.path.join(runs, safe_name(os.path.splitext(os.path.basename(os.path.normpath(source)))[0])
                            or "audio")
    if args.experiment:
        return outputs if args.seed == LESSON_OPTIONS["seed"] else os.path.join(runs, f"experiment-seed{args.seed}")
    if all(getattr(args, name) == value for name, value in LESSON_OPTIONS.items()):
        return outputs
    return os.path.join(runs, f"lesson-seed{args.seed}-mels{args.n_mels}-queries{args.queries}")


def dispatch(argv, lesson, outputs):
    """main.py's commands: parse and check every option, path and output folder before any work, then run the
    one asked for; lesson(args, out) is the default run. Returns the exit status."""
    args = parse_lesson_args(argv)
    if args.task is not None:
        return print(shown(format_plan(pick(args.task))))
    if args.ask is not None:
        return run_ask(args)
    if args.audio is not None or args.diarize is not None:
        check_source(args)  # a missing, broken or empty file is reported before any folder is made
    reference = None if args.reference is None else (args.reference, reference_turns(args.reference,
                                                                                     file_id(args.diarize)))
    out = make_out(args.out if args.out is not None else run_folder(args, outputs))
    if args.diarize is not None:
        return run_diarize(args.diarize, out, args.n_speakers, args.min_speakers, args.max_speakers, reference,
                           args.images)
    if args.experiment:
        return run_toy_experiment(args.seed, out)
    return lesson(args, out)


def check_source(args):
    """--audio, --diarize or --ask --audio: a missing, broken or empty WAV is refused before any folder is made or
    model loaded; a file to diarize must be long enough and not too long, from its header alone."""
    source = args.audio if args.audio is not None else args.diarize
    with open_wav(source) as reader:
        if reader.n_frames == 0:
            raise AudiollmError(f"{'--audio' if args.audio is not None else '--diarize'}: {source} holds no samples")
        if args.diarize is not None:
            check_length(reader.path, resampled_length(reader.n_frames, reader.sample_rate))


def run_ask(args):
    """--ask: the micro audio-LLM's answer for each 30-s window of --audio (default: the lesson scene)."""
    question = check_text("--ask", args.ask, MAX_QUESTION)
    if args.audio is not None:
        check_source(args)
        print(format_answers(ask_file(args.audio, question, args.think, hybrid=not args.end_to_end,
                                      progress=Progress("--ask: windows"))))
    else:
        print(format_answers(ask(lesson_scene(args.seed)[0], question, args.think, hybrid=not args.end_to_end)))


def file_id(path):
    """The name a WAV's RTTM lines and output files go by: its file name without extension, spaces as _."""
    return "_".join(printable(os.path.splitext(os.path.basename(path))[0]).split()) or "audio"


def run_diarize(path, out, n_speakers=None, min_speakers=1, max_speakers=MAX_SPEAKERS, reference=None, images=True):
    """Who spoke when in a WAV: print the turns, write them as RTTM to out/<name>.rttm and, unless images is
    False, draw them in out/<name>_who_spoke_when.png. reference: (RTTM path, its turns for this file) or None;
    when given, its DER is printed and its turns are drawn under the ones found. With n_speakers given and fewer
    found, one line on stderr says why."""
    with open_wav(path) as reader:
        seconds = reader.n_frames / reader.sample_rate
    start = time.perf_counter()
    turns = diarize(path, n_speakers=n_speakers, min_speakers=min_speakers, max_speakers=max_speakers,
                    progress=Progress("--diarize: 10-s windows"))
    took = time.perf_counter() - start
    speakers = sorted({turn.speaker for turn in turns})
    if not turns:
        print(f"who spoke when in {printable(path)} ({seconds:.2f} s): no speech found")
    else:
        print(f"who spoke when in {printable(path)} ({seconds:.2f} s): {len(speakers)} speaker"
              f"{'s' * (len(speakers) != 1)}, {len(turns)} turn{'s' * (len(turns) != 1)}, found in {took:.1f} s")
        print(format_turns(turns))
    if turns and n_speakers is not None and len(speakers) < n_speakers:
        print(f"main.py: note: --n-speakers {n_speakers}: only {len(speakers)} found, because the recording has "
              f"only {len(speakers)} piece{'s' * (len(speakers) != 1)} of voiced speech long enough to tell voices "
              "apart", file=sys.stderr)
    name = file_id(path)
    print(f"wrote {printable(write_atomic(os.path.join(out, name + '.rttm'), to_rttm(turns, name)))}")
    truth, truth_name = (reference[1], printable(os.path.basename(reference[0]))) if reference else (None, "")
    if images:
        picture = who_spoke_when_png(os.path.join(out, name + WHO_SPOKE_PNG), turns, seconds,
                                     printable(os.path.basename(path)), truth, truth_name)
        print(f"wrote {printable(picture)}")
    if truth is not None:
        scores = der(truth, turns)
        print(f"against {printable(reference[0])}: DER {scores['der']:.3f} (missed {scores['missed']:.3f}, false "
              f"alarm {scores['false_alarm']:.3f}, confusion {scores['confusion']:.3f}; 0.25-s collar)")


def run_toy_experiment(seed, out):
    """The toy cascaded vs end-to-end experiment: print its report, write it to out/cascade_vs_e2e.md."""
    start = time.perf_counter()
    result = run_experiment(seed, progress=Progress("--experiment: the cascade and the bridges, clips"))
    middle = time.perf_counter()
    llm = run_llm_experiment(seed, progress=Progress("--experiment: the two micro-LLMs, clips and steps"))
    print(format_report(result) + "\n" + format_llm_report(llm))
    path = os.path.join(out, REPORT_MD)
    write_report(path, result, llm)
    print(f"wrote {shown(path)} (the experiment took {middle - start:.0f} s, the micro-LLMs "
          f"{time.perf_counter() - middle:.0f} s)")
