"""The lesson script (lesson sections "Use It" and "Ship It"): `python3 code/main.py` runs the whole arc.

    waveform -> 16 kHz -> padded to 30 s -> STFT -> mel -> log-Mel (3000, 80) -> encoder (1500, d)
    -> Q-former tokens (64, d) -> LLM embeddings (64, d_llm)

then prints the bridge cost table and the picker's plans for the lesson's five tasks, and writes the
skill markdown, outputs/log_mel.png and outputs/qformer_attention.png. It needs no install: it puts its
own folder on sys.path. The default clip is synth.lesson_scene(): speech, then music, then rain and
door knocks, 10 s. The encoder and Q-former are toy-sized with random (seeded) weights, so what they
show is shapes, masking and cost, not trained behaviour.

    python3 code/main.py                       # the default scene, every stage
    python3 code/main.py --audio talk.wav      # any WAV; longer than 30 s goes window by window
    python3 code/main.py --task "what emotion is the speaker expressing"
    python3 code/main.py --diarize call.wav    # who spoke when, also written as RTTM
    python3 code/main.py --diarize call.wav --n-speakers 2   # when you know how many spoke
    python3 code/main.py --experiment          # the toy cascaded vs end-to-end experiment
"""
import argparse
import os
import sys
import textwrap
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from audiollm.bridges import QFormer, bridge_costs, format_cost_table  # noqa: E402
from audiollm.diarize import MAX_SPEAKERS, diarize, format_turns, to_rttm  # noqa: E402
from audiollm.encoder import FrameEncoder, frame_mask, output_length  # noqa: E402
from audiollm.errors import AudiollmError  # noqa: E402
from audiollm.experiment import format_report, run_experiment, write_report  # noqa: E402
from audiollm.files import write_atomic  # noqa: E402
from audiollm.mel import (HOP_LENGTH, N_FFT, N_SAMPLES, SAMPLE_RATE, log_mel_spectrogram,  # noqa: E402
                          log_mel_windows, pad_or_trim)
from audiollm.picker import RULES, SKILL_PATH, format_plan, pick, write_skill  # noqa: E402
from audiollm.png import heatmap_png, text_preview  # noqa: E402
from audiollm.resample import resample  # noqa: E402
from audiollm.synth import lesson_scene  # noqa: E402
from audiollm.wav import open_wav  # noqa: E402

DEFAULT_OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "outputs")
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
    stage("waveform", shape(samples), seconds, f"read {os.path.basename(path)}: {reader.sample_rate} Hz, "
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


def run_short(samples, n_mels, encoder, qformer):
    """One window, every stage on its own line. Returns (log_mel, n_valid, weights) for the pictures."""
    log_mel = front_end(samples, n_mels)
    n_valid = real_frames(len(samples))
    encoded, tokens, weights, t_encoder, t_qformer = encode(log_mel, n_valid, encoder, qformer)
    print_model_stages(encoded, tokens, n_valid, t_encoder, t_qformer, encoder, qformer)
    return log_mel, n_valid, weights


def run_long(path, reader, n_mels, encoder, qformer):
    """A WAV longer than 30 s, window by window (log_mel_windows reads one window at a time, as AF3 does).

    Prints one line per window; returns the first window's (log_mel, n_valid, weights) for the pictures.
    """
    total = -(-reader.n_frames * SAMPLE_RATE // reader.sample_rate)  # samples at 16 kHz
    n_windows = -(-total // N_SAMPLES)
    stage("waveform", f"({reader.n_frames},)", None, f"{os.path.basename(path)}: {reader.sample_rate} Hz, "
          f"{reader.n_frames / reader.sample_rate:.2f} s: {n_windows} windows of {WINDOW_S} s, each resampled, "
          "padded and turned into log-Mel on its own")
    first, n_tokens = None, 0
    start = time.perf_counter()
    for k, log_mel in enumerate(log_mel_windows(path, WINDOW_S, n_mels)):
        t_mel = time.perf_counter() - start
        n_valid = real_frames(min(N_SAMPLES, total - k * N_SAMPLES))
        encoded, tokens, weights, t_encoder, t_qformer = encode(log_mel, n_valid, encoder, qformer)
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
    return first


def timeline(segments, seconds, width):
    """A line under the text preview: segment names at their start columns, or 0 s ... end for a file."""
    if not segments:
        end = f"{seconds:g} s"
        return "0 s" + end.rjust(width - 3)
    line = ""
    for name, start, _ in segments:
        line = line.ljust(round(start / seconds * width)) + "|" + name + " "
    return line.rstrip()


def show_pictures(log_mel, n_valid, weights, segments, out, images):
    """Text preview of the real frames; the two PNGs unless images is False."""
    real = log_mel[:n_valid]
    width = min(PREVIEW_WIDTH, n_valid)
    print(f"\nlog-Mel of the {n_valid / 100:g} s of audio (time ->, low frequencies at the bottom):")
    print(text_preview(real, width, PREVIEW_HEIGHT))
    print(timeline(segments, n_valid / 100, width))
    if not images:
        return
    mel_path = os.path.join(out, LOG_MEL_PNG)
    heatmap_png(mel_path, real, max(1, PICTURE_PIXELS // n_valid), 3)
    attention = list(zip(*weights))  # (frames, queries): frames along x, query 0 at the bottom
    attention_path = os.path.join(out, ATTENTION_PNG)
    heatmap_png(attention_path, attention, max(1, PICTURE_PIXELS // len(attention)), max(1, 256 // len(weights)))
    padding = len(attention) - output_length(n_valid)
    masked = f"; the {padding} masked padding frames are dark, weight exactly 0" if padding else ""
    print(f"wrote {mel_path}\nwrote {attention_path} (queries x {len(attention)} encoder frames{masked})")


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
    print(format_report(result))
    path = os.path.join(out, REPORT_MD)
    write_report(path, result)
    print(f"wrote {path} (the experiment took {seconds:.0f} s)")


def make_out(out):
    """Create the output folder (and its parents) unless it exists; a file in its place is an error."""
    if os.path.exists(out) and not os.path.isdir(out):
        raise AudiollmError(f"--out: {out} is a file, not a folder")
    os.makedirs(out, exist_ok=True)


def run(args):
    """Do what the options ask; bad input raises AudiollmError (or OSError for the file system)."""
    if args.task is not None:
        print(format_plan(pick(args.task)))
        return
    make_out(args.out)
    if args.diarize is not None:
        run_diarize(args.diarize, args.out, args.n_speakers, args.min_speakers, args.max_speakers)
        return
    if args.experiment:
        run_toy_experiment(args.seed, args.out)
        return
    encoder = FrameEncoder(args.n_mels, D_MODEL, N_HEADS, N_LAYERS, seed=args.seed)
    qformer = QFormer(D_MODEL, D_MODEL, N_HEADS, 1, args.queries, D_LLM, seed=args.seed)
    segments = ()
    if args.audio is None:
        samples, segments = default_clip(args.seed)
        picture = run_short(samples, args.n_mels, encoder, qformer)
    else:
        with open_wav(args.audio) as reader:
            if reader.n_frames == 0:
                raise AudiollmError(f"--audio: {args.audio} holds no samples")
            print_header()
            if reader.n_frames > WINDOW_S * reader.sample_rate:
                picture = run_long(args.audio, reader, args.n_mels, encoder, qformer)
            else:
                picture = run_short(file_clip(args.audio, reader), args.n_mels, encoder, qformer)
    log_mel, n_valid, weights = picture
    show_pictures(log_mel, n_valid, weights, segments, args.out, args.images)
    print_bridges(args.queries)
    print_plans()
    print(f"\nwrote {write_skill(os.path.join(args.out, os.path.basename(SKILL_PATH)))}")


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a bad option in one line on stderr (exit status 2), without the usage block."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


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
    only.add_argument("--task", metavar="TEXT", help="print only the picker's plan for this task: a profile name "
                      "or a question such as 'what instruments are in this recording'")
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
    parser.add_argument("--n-mels", type=int, choices=(80, 128), default=80,
                        help="mel bins: 80 (Whisper) or 128 (Whisper large-v3, AF3); default 80")
    parser.add_argument("--queries", metavar="N", type=int_in(1, MAX_QUERIES), default=64,
                        help="Q-former queries, the audio tokens per 30-s window (BLIP-2: 32, the lesson: 64); "
                        "default 64")
    parser.add_argument("--seed", metavar="N", type=int_in(0, 2**32 - 1), default=0,
                        help="seed of the lesson scene and of the random encoder and Q-former weights; default 0")
    parser.add_argument("--out", metavar="DIR", default=DEFAULT_OUT,
                        help="folder for the skill markdown, the pictures, RTTM files and the experiment report, "
                        "created if missing; default: outputs/ beside code/")
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
    return args


def main(argv=None):
    """Run the lesson script; returns the exit status (0 ok, 2 bad input, 1 when stdout was closed early)."""
    warnings.formatwarning = lambda message, *_: f"warning: {message}\n"
    args = parse_args(argv)
    try:
        run(args)
    except BrokenPipeError:  # the reader went away (| head): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except (AudiollmError, OSError) as error:
        print("main.py: error: " + " ".join(str(error).split()), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
