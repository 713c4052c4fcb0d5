"""The lesson script (lesson sections "Use It" and "Ship It"): `python3 code/main.py` runs the whole arc.

    waveform -> 16 kHz -> padded to 30 s -> STFT -> mel -> log-Mel (3000, 80) -> encoder (1500, d)
    -> Q-former tokens (64, d) -> LLM embeddings (64, d_llm)

then what the trained Listener heard (audiollm.listen, the committed weights; main.py never trains): a
timeline of speech / music / sound / silence, beside the truth for the lesson scene; then the bridge cost
table and the picker's plans for the lesson's five tasks, and writes the skill markdown, outputs/log_mel.png
and outputs/qformer_attention.png (the trained Q-former's queries over the clip), the committed copies. A
run on your own file or with other options writes to the git-ignored outputs/runs/<name>/ unless --out says
where. It needs no install: it puts its own folder on sys.path. The default clip is
synth.lesson_scene(): speech, then music, then rain and door knocks, 10 s. The stage table's encoder and
Q-former are toy-sized with random (seeded) weights: they show shapes, masking and cost; the Listener
shows trained behaviour.

    python3 code/main.py                       # the default scene, every stage
    python3 code/main.py --audio talk.wav      # any WAV; longer than 30 s goes window by window
    python3 code/main.py --task "what emotion is the speaker expressing"
    python3 code/main.py --diarize call.wav    # who spoke when, also written as RTTM
    python3 code/main.py --experiment          # the toy cascaded vs end-to-end experiment
    python3 code/main.py --audio talk.wav --ask "is there music" --think   # the micro audio-LLM answers
"""
import argparse
import os
import re
import shutil
import sys
import tempfile
import textwrap
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from audiollm.bridges import QFormer, bridge_costs, format_cost_table  # noqa: E402
from audiollm.diarize import diarize, format_turns, to_rttm  # noqa: E402
from audiollm.encoder import FrameEncoder, frame_mask, output_length  # noqa: E402
from audiollm.errors import AudiollmError, check_text  # noqa: E402
from audiollm.experiment import (format_llm_report, format_report, run_experiment,  # noqa: E402
                                 run_llm_experiment, write_report)
from audiollm.files import write_atomic  # noqa: E402
from audiollm.listen import DEFAULT_WEIGHTS, attention, format_timeline, heard, load_listener  # noqa: E402
from audiollm.lm import MAX_QUESTION, ask, ask_file, format_answers, load_models  # noqa: E402
from audiollm.mel import (HOP_LENGTH, N_FFT, N_SAMPLES, SAMPLE_RATE, log_mel_spectrogram,  # noqa: E402
                          log_mel_windows, pad_or_trim)
from audiollm.picker import RULES, SKILL_PATH, format_plan, pick, write_skill  # noqa: E402
from audiollm.png import heatmap_png, text_preview  # noqa: E402
from audiollm.resample import resample  # noqa: E402
from audiollm.synth import lesson_scene  # noqa: E402
from audiollm.wav import open_wav, read_wav  # noqa: E402

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
MAX_QUERIES = 1500  # more queries than the 1500 encoder frames of a window is no bottleneck at all

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


def timed(fn, *args):
    """fn(*args) and the seconds it took."""
    start = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - start


def shape(x):
    """'(rows, columns)' of a list of rows, '(n,)' of a flat list."""
    return f"({len(x)}, {len(x[0])})" if x and isinstance(x[0], (list, tuple)) else f"({len(x)},)"


def stage(name, dims, seconds, what):
    """One line of the stage table; seconds None = done inside the timed line below it."""
    took = "" if seconds is None else f"{seconds * 1000:.0f} ms"
    print(f"{name:<16}{dims:<13}{took:>8}  {what}")


def real_frames(n_samples):
    """Log-Mel frames that hold audio (frame t is centred on sample t * 160), at least 1."""
    return max(1, -(-n_samples // HOP_LENGTH))


def print_header():
    """The stage table's column titles."""
    print(f"\n{'stage':<16}{'shape':<13}{'time':>8}  what it did")


def default_clip(seed):
    """The lesson scene at 16 kHz: (samples, segments), printed as the waveform stage."""
    (samples, segments), seconds = timed(lesson_scene, seed)
    print("the lesson scene: " + ", ".join(f"{name} {start:g}-{end:g} s" for name, start, end in segments))
    print_header()
    stage("waveform", shape(samples), seconds, f"lesson_scene(seed={seed}): {len(samples) / SAMPLE_RATE:g} s "
          f"synthesised at {SAMPLE_RATE // 1000} kHz")
    stage("16 kHz", shape(samples), 0.0, "already 16 kHz: a file at another rate goes through resample()")
    return samples, segments


def file_clip(path, reader):
    """A WAV of at most 30 s read whole, mixed to mono and resampled to 16 kHz; printed as two stages."""
    samples, seconds = timed(reader.read, reader.n_frames)
    stage("waveform", shape(samples), seconds, f"read {shown(os.path.basename(path))}: {reader.sample_rate} Hz, "
          f"{'mono' if reader.channels == 1 else f'{reader.channels} channels mixed to mono'}, "
          f"{reader.n_frames / reader.sample_rate:.2f} s")
    if reader.sample_rate == SAMPLE_RATE:
        stage("16 kHz", shape(samples), 0.0, "already 16 kHz: nothing to resample")
        return samples
    samples, seconds = timed(resample, samples, reader.sample_rate, SAMPLE_RATE)
    stage("16 kHz", shape(samples), seconds, f"resample({reader.sample_rate} -> {SAMPLE_RATE}): Kaiser "
          "windowed sinc, zero delay")
    return samples


def front_end(samples, n_mels):
    """Samples (<= 30 s at 16 kHz) -> (3000, n_mels) log-Mel, printing pad, STFT, mel and log-Mel."""
    padded, seconds = timed(pad_or_trim, samples)
    stage("padded to 30 s", shape(padded), seconds, f"pad_or_trim: {len(padded) - len(samples)} zeros appended; "
          "Whisper always hears 30 s")
    log_mel, seconds = timed(log_mel_spectrogram, padded, n_mels)
    stage("STFT", f"({len(log_mel) + 1}, {N_FFT // 2 + 1})", None, f"periodic Hann {N_FFT} (25 ms), hop "
          f"{HOP_LENGTH} (10 ms), |X|^2; the last frame is dropped")
    stage("mel", shape(log_mel), None, f"{n_mels} Slaney triangle filters, 0-{SAMPLE_RATE // 2} Hz")
    stage("log-Mel", shape(log_mel), seconds, "log10, floor at max - 8, (x + 4) / 4; the three steps are "
          "log_mel_spectrogram")
    return log_mel


def encode(log_mel, n_valid, encoder, qformer):
    """One 30-s window through the toy encoder and Q-former.

    Returns encoded (1500, d), tokens (n_queries, d_llm), weights (n_queries, 1500), and the encoder's
    and the Q-former's seconds.
    """
    encoded, t_encoder = timed(encoder.forward, log_mel, n_valid)
    (tokens, weights), t_qformer = timed(qformer.forward, encoded, frame_mask(len(log_mel), n_valid))
    return encoded, tokens, weights, t_encoder, t_qformer


def print_model_stages(encoded, tokens, n_valid, t_encoder, t_qformer, encoder, qformer):
    """The encoder, Q-former and LLM-embedding lines of the stage table."""
    n_real = output_length(n_valid)
    stage("encoder", shape(encoded), t_encoder, f"FrameEncoder: 2 convs (stride 2: 100 -> 50 Hz), {N_LAYERS} block "
          f"of width {D_MODEL}; {len(encoded) - n_real} padding frames masked")
    stage("Q-former tokens", f"({len(tokens)}, {qformer.d_model})", t_qformer, f"QFormer: {len(tokens)} learned "
          f"queries cross-attend over the {n_real} real frames")
    stage("LLM embeddings", shape(tokens), None, f"the Q-former's output projection Linear({qformer.d_model} -> "
          f"{qformer.d_llm}) to the LLM's width (a 7B LLM: 4096)")


def run_short(samples, n_mels, encoder, qformer, listener):
    """One window, every stage on its own line, then what the Listener heard. Returns (log_mel, n_valid,
    weights, timeline) for the pictures."""
    log_mel = front_end(samples, n_mels)
    n_valid = real_frames(len(samples))
    encoded, tokens, weights, t_encoder, t_qformer = encode(log_mel, n_valid, encoder, qformer)
    print_model_stages(encoded, tokens, n_valid, t_encoder, t_qformer, encoder, qformer)
    return log_mel, n_valid, weights, listen(listener, log_mel[:min(n_valid, len(samples) // HOP_LENGTH)], 0.0)


def listen(listener, log_mel, offset_s):
    """The Listener's timeline of one window's real log-Mel (80 mels; None for other n_mels), timed."""
    if listener is None or not log_mel:
        return []
    segments, seconds = timed(heard, listener, log_mel, offset_s)
    stage("heard", f"({len(segments)},)", seconds, "Listener: SummaryEncoder -> frame tagger -> timeline, detail "
          "by zero-shot retrieval (trained weights)")
    return segments


def run_long(path, reader, n_mels, encoder, qformer, listener):
    """A WAV longer than 30 s, window by window (log_mel_windows reads one window at a time, as AF3 does).

    Prints one line per window; returns the first window's (log_mel, n_valid, weights) for the pictures and
    every window's timeline.
    """
    total = -(-reader.n_frames * SAMPLE_RATE // reader.sample_rate)  # samples at 16 kHz
    n_windows = -(-total // N_SAMPLES)
    stage("waveform", f"({reader.n_frames},)", None, f"{shown(os.path.basename(path))}: {reader.sample_rate} Hz, "
          f"{reader.n_frames / reader.sample_rate:.2f} s: {n_windows} windows of {WINDOW_S} s, each resampled, "
          "padded and turned into log-Mel on its own")
    first, n_tokens, segments = None, 0, []
    start = time.perf_counter()
    for k, log_mel in enumerate(log_mel_windows(path, WINDOW_S, n_mels)):
        t_mel = time.perf_counter() - start
        n_real = min(N_SAMPLES, total - k * N_SAMPLES)
        n_valid = real_frames(n_real)
        encoded, tokens, weights, t_encoder, t_qformer = encode(log_mel, n_valid, encoder, qformer)
        segments += listen(listener, log_mel[:min(n_valid, n_real // HOP_LENGTH)], k * WINDOW_S)
        if first is None:
            first = (log_mel, n_valid, weights)
            stage("log-Mel", shape(log_mel), t_mel, f"window 1, 0-{WINDOW_S} s (the pictures show this window)")
            print_model_stages(encoded, tokens, n_valid, t_encoder, t_qformer, encoder, qformer)
        else:
            stage(f"window {k + 1}", shape(tokens), t_mel + t_encoder + t_qformer, f"{k * WINDOW_S}-"
                  f"{min((k + 1) * N_SAMPLES, total) / SAMPLE_RATE:g} s: log-Mel {shape(log_mel)}, encoder "
                  f"{shape(encoded)}, {n_valid} real frames")
        n_tokens += len(tokens)
        start = time.perf_counter()
    stage("all windows", f"({n_tokens}, {qformer.d_llm})", None, f"{n_windows} windows x {qformer.n_queries} "
          "tokens, in time order: what the LLM reads for the whole file")
    return (*first, segments)


def timeline(segments, seconds, width):
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
    print(timeline(segments, n_valid / 100, width))
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


def run_diarize(path, out):
    """Who spoke when in a WAV: print the turns, write them as RTTM to out/<name>.rttm."""
    samples, sr = read_wav(path)
    turns, seconds = timed(diarize, samples, sr)
    speakers = sorted({turn.speaker for turn in turns})
    print(f"who spoke when in {path} ({len(samples) / sr:.2f} s): {len(speakers)} speaker"
          f"{'s' * (len(speakers) != 1)}, {len(turns)} turn{'s' * (len(turns) != 1)}, found in {seconds:.1f} s")
    print(format_turns(turns) if turns else "no speech found")
    name = "_".join(os.path.splitext(os.path.basename(path))[0].split()) or "audio"
    print(f"wrote {write_atomic(os.path.join(out, name + '.rttm'), to_rttm(turns, name))}")


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
        print(format_answers(ask_file(args.audio, question, args.think)))
    else:
        print(format_answers(ask(lesson_scene(args.seed)[0], question, args.think)))


def print_answers(samples):
    """The micro audio-LLM's answers to LESSON_QUESTIONS about the lesson scene."""
    models = load_models()
    print(f"\nthe micro audio-LLM answers ({os.path.relpath(models[1]['path'])}; ask your own: --ask):")
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
    out = make_out(args.out if args.out is not None else run_folder(args))
    if args.diarize is not None:
        run_diarize(args.diarize, out)
        return
    if args.experiment:
        run_toy_experiment(args.seed, out)
        return
    listener = load_listener(DEFAULT_WEIGHTS) if args.n_mels == 80 else None  # trained on 80 mels
    encoder = FrameEncoder(args.n_mels, D_MODEL, N_HEADS, N_LAYERS, seed=args.seed)
    qformer = QFormer(D_MODEL, D_MODEL, N_HEADS, 1, args.queries, D_LLM, seed=args.seed)
    segments = ()
    if args.audio is None:
        samples, segments = default_clip(args.seed)
        picture = run_short(samples, args.n_mels, encoder, qformer, listener)
    else:
        with open_wav(args.audio) as reader:
            print_header()
            if reader.n_frames > WINDOW_S * reader.sample_rate:
                picture = run_long(args.audio, reader, args.n_mels, encoder, qformer, listener)
            else:
                picture = run_short(file_clip(args.audio, reader), args.n_mels, encoder, qformer, listener)
    log_mel, n_valid, weights, heard_segments = picture
    print_heard(heard_segments, segments, listener)
    if args.audio is None and listener is not None:
        print_answers(samples)
    if listener is not None:  # the picture shows the trained queries over the real audio
        weights = attention(listener, log_mel[:n_valid])[0]

    def write(folder):
        pictures = show_pictures(log_mel, n_valid, weights, segments, folder, args.images)
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
    parser.add_argument("--ask", metavar="QUESTION", help="only answer this question about --audio (default: the "
                        "lesson scene) with the micro audio-LLM, one 'answer:' line per 30-s window")
    parser.add_argument("--think", action="store_true", help="with --ask: a thought (the heard timeline) first")
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
    if args.ask is not None and (args.task is not None or args.diarize is not None or args.experiment):
        parser.error("--ask goes with --audio only")
    if args.think and args.ask is None:
        parser.error("--think needs --ask")
    return args


def main(argv=None):
    """Run the lesson script; returns the exit status (0 ok, 2 bad input, 130 interrupted, 1 when stdout was
    closed early). A failing run prints one line on stderr, with the warnings that came before it folded in."""
    for stream in (sys.stdout, sys.stderr):  # a file name with non-UTF-8 bytes prints as \\udcNN, no traceback
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    caught = []
    try:
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
