"""The lesson script (lesson sections "Use It" and "Ship It"): `python3 code/main.py` runs the whole arc.

Read `arc` first: the lesson's arc on one screen, one 30-s window at a time,

    WAV -> 16 kHz -> padded to 30 s -> STFT -> mel -> log-Mel (3000, 80) -> encoder (1500, d)
    -> Q-former tokens (64, d_llm) -> LLM embeddings,

every stage its own timed call, nothing printed; the print_* functions below it show what it computed.
Two kinds of model run in it, and the stage table says which row is which:
- a Whisper-shaped FrameEncoder and a 64-query QFormer with random (seeded) weights, toy-sized: they show
  the shapes, masking and cost of a real encoder and bridge, nothing learned;
- the trained Listener (audiollm.model.listener, the committed weights; main.py never trains), with its own
  SummaryEncoder and 8-query Q-former: what it heard, a timeline of speech / music / sound / silence,
  beside the truth for the lesson scene.
Then the bridge cost table and the picker's plans for the lesson's five tasks; it writes the skill
markdown, outputs/log_mel.png and outputs/qformer_attention.png (the trained Q-former's queries over the
clip), the committed copies. A run on your own file or with other options writes to the git-ignored
outputs/runs/<name>/ unless --out says where. It needs no install: it puts its own folder on sys.path.
The default clip is synth.lesson_scene(): speech, then music, then rain and door knocks, 10 s.

    python3 code/main.py                       # the default scene, every stage
    python3 code/main.py --audio talk.wav      # any WAV; longer than 30 s goes window by window
    python3 code/main.py --task "what emotion is the speaker expressing"
    python3 code/main.py --diarize call.wav    # who spoke when, also written as RTTM
    python3 code/main.py --diarize call.wav --n-speakers 2   # when you know how many spoke
    python3 code/main.py --experiment          # the toy cascaded vs end-to-end experiment
    python3 code/main.py --audio talk.wav --ask "is there music" --think   # the micro audio-LLM answers
"""
import signal
import sys


def interrupted(*_):
    """Ctrl-C before main() takes over (while the modules below import): one line, status 130, no traceback."""
    print("main.py: interrupted", file=sys.stderr)
    raise SystemExit(130)


if __name__ == "__main__":
    signal.signal(signal.SIGINT, interrupted)

import argparse  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import textwrap  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from audiollm.model.bridges import QFormer, bridge_costs, format_cost_table  # noqa: E402
from audiollm.use.diarize import MAX_SPEAKERS, check_length, diarize, format_turns, to_rttm  # noqa: E402
from audiollm.model.encoder import FrameEncoder, frame_mask, output_length  # noqa: E402
from audiollm.base.errors import AudiollmError, check_text  # noqa: E402
from audiollm.use.experiment import (format_llm_report, format_report, run_experiment,  # noqa: E402
                                     run_llm_experiment, write_report)
from audiollm.base.files import write_atomic  # noqa: E402
from audiollm.model.listener import DEFAULT_WEIGHTS, load_listener  # noqa: E402
from audiollm.use.timeline import format_timeline, heard, query_attention  # noqa: E402
from audiollm.model.decoder import MAX_QUESTION  # noqa: E402
from audiollm.use.ask import ask, ask_file, format_answers, load_models  # noqa: E402
from audiollm.front.mel import (HOP_LENGTH, N_FFT, N_SAMPLES, SAMPLE_RATE, filter_power,  # noqa: E402
                                pad_or_trim, read_window, time_major_log)
from audiollm.use.picker import MAX_QUERIES, RULES, SKILL_PATH, format_plan, pick, write_skill  # noqa: E402
from audiollm.base.png import heatmap_png, text_preview  # noqa: E402
from audiollm.front.resample import resample, resampled_length  # noqa: E402
from audiollm.front.stft import power_columns  # noqa: E402
from audiollm.synthetic.synth import lesson_scene  # noqa: E402
from audiollm.front.wav import open_wav  # noqa: E402

DEFAULT_OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "outputs")
RUNS_OUT = os.path.join(DEFAULT_OUT, "runs")  # git-ignored: where runs on your own audio or options write
LESSON_OPTIONS = {"seed": 0, "n_mels": 80, "queries": 64}  # the run whose outputs are committed under outputs/
LESSON_TASKS = ("transcription", "music tagging", "emotion inference", "multi-speaker diarization",
                "environment classification")
WINDOW_S = N_SAMPLES // SAMPLE_RATE  # Whisper hears 30-s windows

# Toy sizes: a full 30-s window of self-attention over 1500 frames costs seconds in pure Python even
# at width 32; Whisper-large is 32 blocks of width 1280, and a 7B LLM is 4096 wide.
D_MODEL = 32
N_HEADS = 2
N_LAYERS = 1
D_LLM = 128

WRAP = 120  # picker reasons are wrapped to this many columns
PICTURE_PIXELS = 1000  # the pictures are scaled up to about this many pixels wide
PREVIEW_WIDTH, PREVIEW_HEIGHT = 72, 12
LOG_MEL_PNG = "log_mel.png"
ATTENTION_PNG = "qformer_attention.png"
REPORT_MD = "cascade_vs_e2e.md"
CONTROL_CHARACTERS = {c: f"\\x{c:02x}" for c in [*range(32), *range(127, 160)] if c != 10}  # all but newline


def shown(text):
    """text with control characters (ESC, BEL, ...) written as \\xNN: echoed input cannot drive the terminal."""
    return text.translate(CONTROL_CHARACTERS)


class Clock:
    """clock(name, fn, *args) calls fn(*args), keeps its result and seconds under `name` (in call order) and
    returns the result: one window's stages, computed and timed, nothing printed."""

    def __init__(self):
        self.stages = {}  # name -> (result, seconds)

    def __call__(self, name, fn, *args):
        start = time.perf_counter()
        result = fn(*args)
        self.stages[name] = (result, time.perf_counter() - start)
        return result

    def __getitem__(self, name):
        return self.stages[name][0]


def arc(load, n_windows, n_mels, encoder, qformer, listener):
    """The lesson's arc, one 30-s window at a time, every stage its own timed call; nothing is printed.

    load(clock, k) gives window k's 16-kHz samples (stages "waveform", "16 kHz"). Yields each window's Clock as
    soon as it is done (a long file holds one window at a time), then the Clock of the LLM embeddings.
    """
    tokens = []
    for k in range(n_windows):
        clock = Clock()
        samples = load(clock, k)                                                 # WAV -> 16-kHz samples
        n_valid = real_frames(len(samples))                                      # mel frames holding audio
        padded = clock("padded to 30 s", pad_or_trim, samples)                   # Whisper always hears 30 s
        power = clock("STFT", power_columns, padded, N_FFT, HOP_LENGTH)          # |X|^2, (201 bins, 3001 frames)
        mel = clock("mel", filter_power, power, n_mels)                          # filters @ power, (n_mels, 3000)
        log_mel = clock("log-Mel", time_major_log, mel)                          # log10, floor, (x + 4) / 4
        # Whisper-shaped FrameEncoder and QFormer with random weights: the shapes of a real encoder and bridge.
        encoded = clock("encoder", encoder.forward, log_mel, n_valid)            # (1500, d), padding masked
        tokens += clock("Q-former tokens", qformer.forward, encoded, frame_mask(len(log_mel), n_valid))[0]
        # The trained Listener, its own SummaryEncoder and 8-query Q-former: what it heard in the real audio.
        if listener is not None and len(samples) >= HOP_LENGTH:
            clock("heard", heard, listener, log_mel[:len(samples) // HOP_LENGTH], k * WINDOW_S)
        yield clock
    llm = Clock()
    llm("LLM embeddings", list, tokens)  # windows in time order, each window's tokens in query order
    yield llm


def timed(fn, *args):
    """fn(*args) and the seconds it took."""
    start = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - start


def real_frames(n_samples):
    """Log-Mel frames that hold audio (frame t is centred on sample t * 160), at least 1."""
    return max(1, -(-n_samples // HOP_LENGTH))


def scene(seed):
    """(load, say, n_windows) for run_arc: the lesson scene, synthesised at 16 kHz, one window."""
    def load(clock, k):
        samples, _ = clock("waveform", lesson_scene, seed)
        return clock("16 kHz", resample, samples, SAMPLE_RATE, SAMPLE_RATE)

    def say(clock):
        truth = ", ".join(f"{name} {start:g}-{end:g} s" for name, start, end in clock["waveform"][1])
        return [f"the lesson scene: {truth}"], {
            "waveform": f"lesson_scene(seed={seed}): {len(clock['16 kHz']) / SAMPLE_RATE:g} s synthesised at "
                        f"{SAMPLE_RATE // 1000} kHz",
            "16 kHz": "already 16 kHz (resample copies it); a file at another rate is resampled"}
    return load, say, 1


def wav_file(path, reader):
    """(load, say, n_windows) for run_arc: an open WAV of at most 30 s read whole, mixed to mono, resampled to
    16 kHz; a longer one read and resampled window by window (mel.read_window), as Whisper and AF3 hear it."""
    n_windows = -(-reader.n_frames // (WINDOW_S * reader.sample_rate))
    seconds = f"{shown(os.path.basename(path))}: {reader.sample_rate} Hz, {reader.n_frames / reader.sample_rate:.2f} s"

    def load(clock, k):
        if n_windows > 1:
            return clock("16 kHz", read_window, reader, k, N_SAMPLES)
        samples = clock("waveform", reader.read, reader.n_frames)
        return clock("16 kHz", resample, samples, reader.sample_rate, SAMPLE_RATE)

    def say(clock):
        if n_windows > 1:
            return [], {"16 kHz": f"read {seconds}: {n_windows} windows of {WINDOW_S} s, each read and resampled "
                                  "on its own; this is window 1 (the pictures show it)"}
        mixed = "mono" if reader.channels == 1 else f"{reader.channels} channels mixed to mono"
        return [], {"waveform": f"read {seconds.replace(' Hz,', f' Hz, {mixed},')}",
                    "16 kHz": "already 16 kHz (resample copies it)" if reader.sample_rate == SAMPLE_RATE else
                    f"resample({reader.sample_rate} -> {SAMPLE_RATE}): Kaiser windowed sinc, zero delay"}
    return load, say, n_windows


def shape(x):
    """'(rows, columns)' of a list of rows, '(n,)' of a flat list."""
    return f"({len(x)}, {len(x[0])})" if x and isinstance(x[0], (list, tuple)) else f"({len(x)},)"


def stage(name, dims, seconds, what):
    """One line of the stage table."""
    print(f"{name:<16}{dims:<13}{seconds * 1000:>5.0f} ms  {what}")


def print_header():
    """The stage table's column titles."""
    print(f"\n{'stage':<16}{'shape':<13}{'time':>8}  what it did")


def print_window(clock, say, qformer):
    """One window's rows of the stage table: each stage's result shape, its time and what it did."""
    n_valid = real_frames(len(clock["16 kHz"]))
    n_real = output_length(n_valid)
    n_mels = len(clock["mel"])
    intro, source = say(clock)
    for line in intro:
        print(line)
    print_header()
    what = {**source,
            "padded to 30 s": f"pad_or_trim: {len(clock['padded to 30 s']) - len(clock['16 kHz'])} zeros appended; "
                              "Whisper always hears 30 s",
            "STFT": f"power_columns: periodic Hann {N_FFT} (25 ms), hop {HOP_LENGTH} (10 ms), |X|^2",
            "mel": f"filter_power: the last STFT frame dropped, {n_mels} Slaney triangle filters, "
                   f"0-{SAMPLE_RATE // 2} Hz",
            "log-Mel": "time_major_log: log10, floor at max - 8, (x + 4) / 4 (the three: log_mel_spectrogram)",
            "encoder": f"FrameEncoder: 2 convs (stride 2: 100 -> 50 Hz), {N_LAYERS} block of width {D_MODEL}; "
                       f"{len(clock['encoder']) - n_real} padding frames masked",
            "Q-former tokens": f"QFormer: {qformer.n_queries} queries cross-attend over the {n_real} real frames, "
                               f"then Linear({qformer.d_model} -> {qformer.d_llm}) to the LLM's width"}
    for name, (result, seconds) in clock.stages.items():
        if name == "encoder":
            print(f"{'':<16}random weights: a Whisper-shaped FrameEncoder and QFormer, the shapes and cost of real "
                  "ones")
        if name in ("STFT", "mel"):  # held frequency-major, as Whisper holds them; shown (frames, bins)
            stage(name, f"({len(result[0])}, {len(result)})", seconds, what[name])
        elif name != "heard":  # printed after the LLM embeddings, with the trained model's rows
            stage(name, shape(result[0] if isinstance(result, tuple) else result), seconds, what[name])


def print_llm(clock, n_windows, qformer):
    """The stage table's last row of the random models: every window's Q-former tokens, window after window."""
    tokens, seconds = clock.stages["LLM embeddings"]
    if n_windows == 1:
        stage("LLM embeddings", shape(tokens), seconds, f"the {len(tokens)} tokens in query order (a global "
              f"Q-former's tokens have no time order): the LLM reads them as embeddings of its width "
              f"({qformer.d_llm} here; a 7B LLM: 4096)")
    else:
        stage("all windows", shape(tokens), seconds, f"LLM embeddings: {n_windows} windows x {qformer.n_queries} "
              "tokens, windows in time order, tokens in query order: what the LLM reads for the whole file")


def print_listener(listener, segments, seconds):
    """The trained Listener's row: what it heard, over every window."""
    print(f"{'':<16}trained: the Listener, its own SummaryEncoder and {listener.qformer.n_queries}-query Q-former "
          f"({os.path.basename(DEFAULT_WEIGHTS)})")
    stage("heard", f"({len(segments)},)", seconds, "SummaryEncoder (50 Hz) -> frame tagger -> timeline; detail: "
          "the family of prompts nearest the Q-former's audio embedding, named when sure")


def run_arc(load, say, n_windows, n_mels, encoder, qformer, listener):
    """Run the arc and print its stage table window by window: every stage of the first window, one line for
    each later one. Returns the first window's Clock (for the pictures) and what the Listener heard."""
    first, heard_segments, heard_seconds = None, [], 0.0
    for k, clock in enumerate(arc(load, n_windows, n_mels, encoder, qformer, listener)):
        if "LLM embeddings" in clock.stages:
            print_llm(clock, n_windows, qformer)
            continue
        if k == 0:
            first = clock
            print_window(clock, say, qformer)
        else:
            samples, log_mel = clock["16 kHz"], clock["log-Mel"]
            stage(f"window {k + 1}", shape(clock["Q-former tokens"][0]), sum(t for _, t in clock.stages.values()),
                  f"{k * WINDOW_S}-{k * WINDOW_S + len(samples) / SAMPLE_RATE:g} s: log-Mel {shape(log_mel)}, "
                  f"encoder {shape(clock['encoder'])}, {real_frames(len(samples))} real frames")
        if "heard" in clock.stages:
            heard_segments += clock["heard"]
            heard_seconds += clock.stages["heard"][1]
    if listener is not None:
        print_listener(listener, heard_segments, heard_seconds)
    return first, heard_segments


def ruler(segments, seconds, width):
    """A line under the text preview: segment names at their start columns, or 0 s ... end for a file."""
    if not segments:
        end = f"{seconds:g} s"
        return "0 s" + end.rjust(width - 3)
    line = ""
    for name, start, _ in segments:
        line = line.ljust(round(start / seconds * width)) + "|" + name + " "
    return line.rstrip()


def print_heard(heard_segments, truth, listener):
    """The Listener's timeline, one line per segment; beside the truth when there is one (the lesson scene)."""
    if listener is None:
        print("\nwhat the model heard: the Listener is trained on 80 mels; run with --n-mels 80")
        return
    print(f"\nwhat the model heard (the trained Listener, {os.path.relpath(DEFAULT_WEIGHTS)}):")
    lines = format_timeline(heard_segments).splitlines()
    if not truth:
        print("\n".join(lines))
        return
    width = max(map(len, lines), default=0) + 4
    truth_lines = format_timeline([(start, end, "sound" if name == "environment" else name)
                                   for name, start, end in truth]).splitlines()
    print(f"{'heard':<{width}}truth")
    for k in range(max(len(lines), len(truth_lines))):
        left = lines[k] if k < len(lines) else ""
        print(f"{left:<{width}}{truth_lines[k] if k < len(truth_lines) else ''}".rstrip())


def show_pictures(log_mel, n_valid, weights, segments, folder, images):
    """Text preview of the real frames; the two PNGs into `folder` unless images is False.

    Returns {file name: what it shows} for the "wrote" lines.
    """
    real = log_mel[:n_valid]
    width = min(PREVIEW_WIDTH, n_valid)
    print(f"\nlog-Mel of the {n_valid / 100:g} s of audio (time ->, low frequencies at the bottom):")
    print(text_preview(real, width, PREVIEW_HEIGHT))
    print(ruler(segments, n_valid / 100, width))
    if not images:
        return {}
    heatmap_png(os.path.join(folder, LOG_MEL_PNG), real, max(1, PICTURE_PIXELS // n_valid), 3)
    attention = list(zip(*weights))  # (frames, queries): frames along x, query 0 at the bottom
    heatmap_png(os.path.join(folder, ATTENTION_PNG), attention, max(1, PICTURE_PIXELS // len(attention)),
                max(1, 256 // len(weights)))
    padding = max(0, len(attention) - output_length(n_valid))
    masked = f"; the {padding} masked padding frames are dark, weight exactly 0" if padding else ""
    return {LOG_MEL_PNG: "", ATTENTION_PNG: f" (queries x {len(attention)} frames{masked})"}


def print_bridges(n_queries):
    """The real-scale cost table of the four bridges."""
    print(f"\nthe bridges at real scale (this run's toy Q-former has {n_queries} queries): bridge_costs() counts "
          "from the shapes,\nnot measured, for Whisper-large frames into a 7B LLM (4096 wide, 32 layers)")
    print(format_cost_table(bridge_costs()))


def print_plans():
    """For each lesson task: the plan in one line, then the rules that struck options or chose the pipeline."""
    print("\npicker, the lesson's five tasks (every reason: python3 code/main.py --task NAME):")
    for task in LESSON_TASKS:
        plan = pick(task)
        bridge = f"{plan.bridge} ({plan.audio_tokens} tokens / 30 s)" if plan.bridge else "transcript"
        print(f"- {task}: {plan.pipeline}; {' + '.join(plan.encoders)} -> {bridge} -> {plan.llm}; "
              f"thinking {'on' if plan.thinking else 'off'}")
        for rule in (r for r in RULES if r.name in plan.fired):
            if rule.kind != "choose" or "pipeline" in dict(rule.sets):
                print(textwrap.fill(f"{rule.name}: {rule.then}", WRAP, initial_indent="    ",
                                    subsequent_indent="      "))


def printable(path):
    """A path as text any terminal and file take: bytes that are not UTF-8 shown as \\xNN escapes."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def run_diarize(path, out, n_speakers=None, min_speakers=1, max_speakers=MAX_SPEAKERS):
    """Who spoke when in a WAV: print the turns, write them as RTTM to out/<name>.rttm.

    The header gives the length before any sample is read; diarize then reads the file 10 s at a time.
    """
    with open_wav(path) as reader:
        seconds = reader.n_frames / reader.sample_rate
    turns, took = timed(lambda: diarize(path, n_speakers=n_speakers, min_speakers=min_speakers,
                                        max_speakers=max_speakers))
    speakers = sorted({turn.speaker for turn in turns})
    print(f"who spoke when in {printable(path)} ({seconds:.2f} s): {len(speakers)} speaker"
          f"{'s' * (len(speakers) != 1)}, {len(turns)} turn{'s' * (len(turns) != 1)}, found in {took:.1f} s")
    print(format_turns(turns) if turns else "no speech found")
    name = "_".join(printable(os.path.splitext(os.path.basename(path))[0]).split()) or "audio"
    print(f"wrote {printable(write_atomic(os.path.join(out, name + '.rttm'), to_rttm(turns, name)))}")


def run_toy_experiment(seed, out):
    """The toy cascaded vs end-to-end experiment: print its report, write it to out/cascade_vs_e2e.md."""
    result, seconds = timed(run_experiment, seed)
    llm, llm_seconds = timed(run_llm_experiment, seed)  # the same question again, answered by two micro-LLMs
    print(format_report(result) + "\n" + format_llm_report(llm))
    path = os.path.join(out, REPORT_MD)
    write_report(path, result, llm)
    print(f"wrote {shown(path)} (the experiment took {seconds:.0f} s, the micro-LLMs {llm_seconds:.0f} s)")


LESSON_QUESTIONS = ("what do you hear", "is there music", "when does the music start")


def run_ask(args):
    """--ask: the micro audio-LLM's answer for each 30-s window of --audio (default: the lesson scene)."""
    question = check_text("--ask", args.ask, MAX_QUESTION)
    if args.audio is not None:
        print(format_answers(ask_file(args.audio, question, args.think, hybrid=not args.end_to_end)))
    else:
        print(format_answers(ask(lesson_scene(args.seed)[0], question, args.think, hybrid=not args.end_to_end)))


def print_answers(samples):
    """The micro audio-LLM's answers to LESSON_QUESTIONS about the lesson scene."""
    models = load_models()
    print(f"\nthe micro audio-LLM answers ({os.path.relpath(models[1]['path'])}, hearing the audio tokens and the "
          "timeline above as words; ask your own: --ask):")
    for question in LESSON_QUESTIONS:
        print(f"{question}? {format_answers(ask(samples, question, models=models))}")


def run_folder(args):
    """Where a run writes without --out: outputs/ for the lesson runs whose results are committed there,
    outputs/runs/<name>/ (git-ignored) for your own audio or other options, so trying them changes no
    committed file."""
    source = args.audio if args.audio is not None else args.diarize
    if source is not None:
        stem = os.path.splitext(os.path.basename(os.path.normpath(source)))[0]
        return os.path.join(RUNS_OUT, re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._")[:80] or "audio")
    if args.experiment:
        committed = args.seed == LESSON_OPTIONS["seed"]
        return DEFAULT_OUT if committed else os.path.join(RUNS_OUT, f"experiment-seed{args.seed}")
    if all(getattr(args, name) == value for name, value in LESSON_OPTIONS.items()):
        return DEFAULT_OUT
    return os.path.join(RUNS_OUT, f"lesson-seed{args.seed}-mels{args.n_mels}-queries{args.queries}")


def make_out(out):
    """Create the output folder (and its parents) unless it exists and check that files can be written in it,
    before any work. Returns out."""
    if not out:
        raise AudiollmError("--out: an empty folder name")
    if os.path.exists(out) and not os.path.isdir(out):
        raise AudiollmError(f"--out: {out} is a file, not a folder")
    try:
        os.makedirs(out, exist_ok=True)
        handle, probe = tempfile.mkstemp(dir=out, prefix=".tmp-probe-")
        os.close(handle)
        os.unlink(probe)
    except OSError as error:
        raise AudiollmError(f"--out: cannot write in {out} ({error.strerror or error})") from None
    return out


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


def run(args):
    """Do what the options ask; bad input raises AudiollmError (or OSError for the file system)."""
    if args.task is not None:
        print(shown(format_plan(pick(args.task))))
        return
    if args.ask is not None:
        run_ask(args)
        return
    source = args.audio if args.audio is not None else args.diarize
    if source is not None:
        with open_wav(source) as reader:  # a missing, broken or empty file is reported before any folder is made
            if reader.n_frames == 0:
                option = "--audio" if args.audio is not None else "--diarize"
                raise AudiollmError(f"{option}: {source} holds no samples")
            if args.diarize is not None:  # too short or too long to diarize, from the header alone
                check_length(reader.path, resampled_length(reader.n_frames, reader.sample_rate))
    out = make_out(args.out if args.out is not None else run_folder(args))
    if args.diarize is not None:
        run_diarize(args.diarize, out, args.n_speakers, args.min_speakers, args.max_speakers)
        return
    if args.experiment:
        run_toy_experiment(args.seed, out)
        return
    listener = load_listener(DEFAULT_WEIGHTS) if args.n_mels == 80 else None  # trained on 80 mels
    encoder = FrameEncoder(args.n_mels, D_MODEL, N_HEADS, N_LAYERS, seed=args.seed)
    qformer = QFormer(D_MODEL, D_MODEL, N_HEADS, 1, args.queries, D_LLM, seed=args.seed)
    if args.audio is None:
        first, heard_segments = run_arc(*scene(args.seed), args.n_mels, encoder, qformer, listener)
        truth = first["waveform"][1]
    else:
        with open_wav(args.audio) as reader:
            first, heard_segments = run_arc(*wav_file(args.audio, reader), args.n_mels, encoder, qformer, listener)
        truth = ()
    print_heard(heard_segments, truth, listener)
    if args.audio is None and listener is not None:
        print_answers(first["16 kHz"])
    log_mel, n_valid = first["log-Mel"], real_frames(len(first["16 kHz"]))
    # the attention picture: the trained Listener's queries over the real audio, else the random Q-former's
    weights = query_attention(listener, log_mel[:n_valid])[0] if listener is not None else first["Q-former tokens"][1]

    def write(folder):
        pictures = show_pictures(log_mel, n_valid, weights, truth, folder, args.images)
        print_bridges(args.queries)
        print_plans()
        write_skill(os.path.join(folder, os.path.basename(SKILL_PATH)))
        return pictures

    pictures = write_as_set(out, write)
    print()
    for name, what in [*pictures.items(), (os.path.basename(SKILL_PATH), "")]:
        print(f"wrote {shown(os.path.join(out, name))}{what}")


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a bad option in one line on stderr (exit status 2), without the usage block."""

    def error(self, message):
        self.exit(2, shown(f"{self.prog}: error: {message} (see --help)") + "\n")


def int_in(low, high):
    """An argparse type: an integer from low to high."""
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"expected an integer from {low} to {high}, got {value}")
        return value
    return parse


def parse_args(argv):
    """The command line (argv: list of str, None for sys.argv) as an argparse.Namespace; bad options exit 2."""
    parser = OneLineParser(prog="main.py", description="Run the audio-LLM arc (WAV -> log-Mel -> encoder -> "
                           "Q-former -> LLM embeddings), compare the bridges, pick pipelines, write the skill.")
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--audio", metavar="PATH", help="a WAV file (any rate, channels and PCM/float/mu-law/A-law "
                      "format; longer than 30 s goes window by window) instead of the synthetic lesson scene")
    only.add_argument("--task", metavar="TEXT", help="print only the picker's plan for this task: the needs found "
                      "in it and the words behind each, then the pipeline; a question such as 'is there glass "
                      "breaking in this recording' or a profile name")
    only.add_argument("--diarize", metavar="PATH", help="only diarize this WAV (who spoke when): print the speaker "
                      "turns and write them to OUT/<name>.rttm")
    only.add_argument("--experiment", action="store_true", help="only run the toy cascaded vs end-to-end "
                      "experiment (about 30 s): print its accuracy table, write it to OUT/" + REPORT_MD)
    parser.add_argument("--n-speakers", metavar="K", type=int_in(1, MAX_SPEAKERS),
                        help="with --diarize: the number of speakers, if you know it (exactly K come out)")
    parser.add_argument("--min-speakers", metavar="K", type=int_in(1, MAX_SPEAKERS), default=1,
                        help="with --diarize: at least K speakers when the count is found (default 1)")
    parser.add_argument("--max-speakers", metavar="K", type=int_in(1, MAX_SPEAKERS), default=MAX_SPEAKERS,
                        help=f"with --diarize: at most K speakers when the count is found (default {MAX_SPEAKERS})")
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
                        help="skip the two PNG pictures (the text preview is still printed)")
    args = parser.parse_args(argv)
    counts = {"--n-speakers": args.n_speakers is not None, "--min-speakers": args.min_speakers != 1,
              "--max-speakers": args.max_speakers != MAX_SPEAKERS}
    if any(counts.values()) and args.diarize is None:
        parser.error(f"{next(k for k, v in counts.items() if v)} goes with --diarize")
    if counts["--n-speakers"] and (counts["--min-speakers"] or counts["--max-speakers"]):
        parser.error("--n-speakers fixes the count: give it, or --min-speakers / --max-speakers, not both")
    if args.min_speakers > args.max_speakers:
        parser.error(f"--min-speakers ({args.min_speakers}) is more than --max-speakers ({args.max_speakers})")
    if args.ask is not None and (args.task is not None or args.diarize is not None or args.experiment):
        parser.error("--ask goes with --audio only")
    if (args.think or args.end_to_end) and args.ask is None:
        parser.error("--think and --end-to-end need --ask")
    return args


def main(argv=None):
    """Run the lesson script; returns the exit status (0 ok, 2 bad input, 130 interrupted, 1 when stdout was
    closed early). A failing run prints one line on stderr, with the warnings that came before it folded in."""
    for stream in (sys.stdout, sys.stderr):  # a file name with non-UTF-8 bytes prints as \\udcNN, no traceback
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    caught = []
    try:
        if signal.getsignal(signal.SIGINT) is interrupted:  # from here on Ctrl-C is a KeyboardInterrupt, below
            signal.signal(signal.SIGINT, signal.default_int_handler)
        args = parse_args(argv)
        with warnings.catch_warnings(record=True) as caught:
            run(args)
    except KeyboardInterrupt:
        print("main.py: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (| head): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except (AudiollmError, OSError) as error:
        notes = one_line_each(caught)
        after = f" (after {'a warning' if len(notes) == 1 else 'warnings'}: {'; '.join(notes)})" if notes else ""
        print(shown("main.py: error: " + " ".join(str(error).split()) + after), file=sys.stderr)
        return 2
    for note in one_line_each(caught):
        print(shown("main.py: warning: " + note), file=sys.stderr)
    return 0


def one_line_each(caught):
    """The distinct messages of caught warnings, each on one line (a file opened twice warns twice)."""
    return list(dict.fromkeys(" ".join(str(w.message).split()) for w in caught))


if __name__ == "__main__":
    sys.exit(main())
