"""The lesson script (lesson sections "Use It" and "Ship It"): `python3 code/main.py` runs the whole arc.

Read `arc` first, one 30-s window at a time, every stage a timed call; `print_window` shows each stage's shape,
time and what it did, in the same order. A Whisper-shaped FrameEncoder and QFormer with random weights show the
shapes, masking and cost of real ones; the trained Listener (committed weights; nothing trains here) says what it
heard, beside the truth, and the micro audio-LLM answers, beside the true answers. Then the bridges' costs, the
picker's plans, and the files: the skill and two labelled figures (log_mel.png, qformer_attention.png), in
outputs/ (committed) or the git-ignored outputs/runs/<name>/ for your own audio or options. The command line
(options, run folders, Ctrl-C, escaping, --ask, --diarize, --experiment) is audiollm/use/cli.py; `python3
code/main.py --help` lists it. After `pip install .` this script is the `audiollm-lesson` command.
"""
import os
import signal
import sys
from contextlib import nullcontext
from types import SimpleNamespace

try:  # Ctrl-C while the package imports (the first 0.1 s) is one line and status 130, as it is later
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started with it ignored (nohup)
    if not __package__:  # run as `python3 code/main.py`: the package is the folder beside this file
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from audiollm.base.errors import WeightsFileError
    from audiollm.base.png import text_preview
    from audiollm.front.mel import (HOP_LENGTH, N_FFT, N_SAMPLES, SAMPLE_RATE, filter_power, pad_or_trim,
                                    read_window, time_major_log)
    from audiollm.front.resample import resample
    from audiollm.front.stft import power_columns
    from audiollm.front.wav import open_wav
    from audiollm.model.bridges import QFormer, bridge_costs, format_cost_table
    from audiollm.model.encoder import FrameEncoder, frame_mask, output_length
    from audiollm.model.listener import DEFAULT_WEIGHTS, load_listener
    from audiollm.synthetic.synth import lesson_scene
    from audiollm.use import cli
    from audiollm.use.ask import ask, load_models
    from audiollm.use.pictures import attention_png, log_mel_png
    from audiollm.use.picker import SKILL_PATH, format_summary, pick, write_skill
    from audiollm.use.timeline import format_timeline, heard, query_attention
except KeyboardInterrupt:
    print("main.py: interrupted", file=sys.stderr)
    sys.exit(130)

# Where the lesson run writes: outputs/ beside code/ in a checkout, ./outputs when run as the installed command.
OUTPUTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))) if not __package__ else
                       os.getcwd(), "outputs")
LESSON_TASKS = ("transcription", "music tagging", "emotion inference", "multi-speaker diarization",
                "environment classification")
LESSON_QUESTIONS = ("what do you hear", "is there music", "when does the music start")
WINDOW_S = N_SAMPLES // SAMPLE_RATE  # Whisper hears 30-s windows
# Toy sizes (Whisper-large: 32 blocks of width 1280; a 7B LLM: 4096 wide): 1500 frames cost seconds in Python.
D_MODEL, N_HEADS, N_LAYERS, D_LLM = 32, 2, 1, 128
PREVIEW_WIDTH, PREVIEW_HEIGHT, LOG_MEL_PNG, ATTENTION_PNG = 72, 12, "log_mel.png", "qformer_attention.png"


def arc(source, n_mels, encoder, qformer, listener):
    """The lesson's arc, one 30-s window at a time, every stage timed (cli.timed: .result, .seconds); nothing is
    printed. Yields each window as soon as it is done (a long file holds one window at a time)."""
    embeddings = []
    for k in range(source.n_windows):
        w = SimpleNamespace(k=k)
        w.waveform, w.at_16k = source.load(k)                                   # WAV -> 16-kHz samples (n,)
        samples = w.at_16k.result
        w.n_valid = max(1, -(-len(samples) // HOP_LENGTH))                      # mel frames holding audio
        w.padded = cli.timed(pad_or_trim, samples)                              # (480000,): Whisper hears 30 s
        w.stft = cli.timed(power_columns, w.padded.result, N_FFT, HOP_LENGTH)   # |X|^2, (201 bins, 3001 frames)
        w.mel = cli.timed(filter_power, w.stft.result, n_mels)                  # filters @ power, (n_mels, 3000)
        w.log_mel = cli.timed(time_major_log, w.mel.result)                     # log10, floor, (3000, n_mels)
        log_mel = w.log_mel.result
        # Whisper-shaped FrameEncoder and QFormer with random weights: the shapes of a real encoder and bridge.
        w.encoder = cli.timed(encoder.forward, log_mel, w.n_valid)              # (1500, d), padding masked
        w.tokens = cli.timed(qformer.forward, w.encoder.result, frame_mask(len(log_mel), w.n_valid))  # (64, d_llm)
        w.embeddings = cli.timed(lambda: embeddings + w.tokens.result[0])  # windows in time order, tokens by query
        embeddings = w.embeddings.result                                        # the LLM reads them as embeddings
        # The trained Listener, its own SummaryEncoder and 8-query Q-former: what it heard in the real audio.
        w.heard = cli.timed(heard, listener, log_mel[:len(samples) // HOP_LENGTH], k * WINDOW_S) if (
            listener is not None and len(samples) >= HOP_LENGTH) else cli.Timed([], 0.0)
        yield w


def scene(seed):
    """The lesson scene as arc's source: synthesised at 16 kHz, one window; its truth kept for the timeline."""
    def load(k):
        made = cli.timed(lesson_scene, seed)
        source.truth = made.result[1]
        return cli.Timed(made.result[0], made.seconds), cli.timed(resample, made.result[0], SAMPLE_RATE, SAMPLE_RATE)
    source = SimpleNamespace(n_windows=1, load=load, truth=(), clip="the lesson scene", says=lambda w: (
        f"lesson_scene(seed={seed}): {len(w.at_16k.result) / SAMPLE_RATE:g} s synthesised at {SAMPLE_RATE // 1000} "
        "kHz", "already 16 kHz (resample copies it); a file at another rate is resampled"))
    return source


def wav_file(path, reader):
    """An open WAV as arc's source: at most 30 s read whole, mixed to mono, resampled to 16 kHz; a longer one read
    and resampled window by window (mel.read_window), as Whisper and AF3 hear it."""
    n_windows, total = -(-reader.n_frames // (WINDOW_S * reader.sample_rate)), reader.n_frames / reader.sample_rate
    rate = f"{cli.shown(os.path.basename(path))}: {reader.sample_rate} Hz"
    seconds, mixed = f"{total:.2f} s", f"{reader.channels} channels mixed to mono"
    resampled = "already 16 kHz (resample copies it)" if reader.sample_rate == SAMPLE_RATE else \
        f"resample({reader.sample_rate} -> {SAMPLE_RATE}): Kaiser windowed sinc, zero delay"

    def load(k):
        if n_windows > 1:
            return None, cli.timed(read_window, reader, k, N_SAMPLES)
        waveform = cli.timed(reader.read, reader.n_frames)
        return waveform, cli.timed(resample, waveform.result, reader.sample_rate, SAMPLE_RATE)
    clip = cli.printable(os.path.basename(path)) + f" (its first {WINDOW_S} s of {total:.0f})" * (n_windows > 1)
    return SimpleNamespace(n_windows=n_windows, load=load, truth=(), clip=clip, says=lambda w: (None, (
        f"read {rate}, {seconds}: {n_windows} windows of {WINDOW_S} s, each read and resampled on its own; this is "
        "window 1 (the pictures show it)")) if n_windows > 1 else (
        f"read {rate}, {'mono' if reader.channels == 1 else mixed}, {seconds}", resampled))


def row(name, shape, timed, what):
    """One line of the stage table: the stage, its result's shape, its time and what it did."""
    print(f"{name:<16}{shape:<13}{timed.seconds * 1000:>5.0f} ms  {what}")


def print_window(w, source, qformer):
    """The first window's rows of the stage table, in the arc's order; a later window gets one line."""
    n_real, shape = output_length(w.n_valid), cli.shape
    if w.k > 0:
        took = cli.Timed(None, sum(t.seconds for t in vars(w).values() if isinstance(t, cli.Timed)))
        return row(f"window {w.k + 1}", shape(w.tokens.result[0]), took, f"{w.k * WINDOW_S}-"
                   f"{w.k * WINDOW_S + len(w.at_16k.result) / SAMPLE_RATE:g} s: log-Mel {shape(w.log_mel.result)}, "
                   f"encoder {shape(w.encoder.result)}, {w.n_valid} real frames")
    read, at_16k = source.says(w)
    truth = ", ".join(f"{name} {start:g}-{end:g} s" for name, start, end in source.truth)
    print(f"the lesson scene: {truth}\n" * bool(truth) + f"\n{'stage':<16}{'shape':<13}{'time':>8}  what it did")
    if read is not None:
        row("waveform", shape(w.waveform.result), w.waveform, read)
    row("16 kHz", shape(w.at_16k.result), w.at_16k, at_16k)
    row("padded to 30 s", shape(w.padded.result), w.padded, f"pad_or_trim: "
        f"{len(w.padded.result) - len(w.at_16k.result)} zeros appended; Whisper always hears 30 s")
    row("STFT", shape(w.stft.result, transposed=True), w.stft,  # held frequency-major, shown (frames, bins)
        f"power_columns: periodic Hann {N_FFT} (25 ms), hop {HOP_LENGTH} (10 ms), |X|^2")
    row("mel", shape(w.mel.result, transposed=True), w.mel, f"filter_power: the last STFT frame dropped, "
        f"{len(w.mel.result)} Slaney triangle filters, 0-{SAMPLE_RATE // 2} Hz")
    row("log-Mel", shape(w.log_mel.result), w.log_mel,
        "time_major_log: log10, floor at max - 8, (x + 4) / 4 (the three: log_mel_spectrogram)")
    print(f"{'':<16}random weights: a Whisper-shaped FrameEncoder and QFormer, the shapes and cost of real ones")
    row("encoder", shape(w.encoder.result), w.encoder, f"FrameEncoder: 2 convs (stride 2: 100 -> 50 Hz), "
        f"{N_LAYERS} block of width {D_MODEL}; {len(w.encoder.result) - n_real} padding frames masked")
    row("Q-former tokens", shape(w.tokens.result[0]), w.tokens, f"QFormer: {qformer.n_queries} queries cross-attend "
        f"over the {n_real} real frames, then Linear({qformer.d_model} -> {qformer.d_llm}) to the LLM's width")


def run_arc(source, n_mels, encoder, qformer, listener):
    """Run the arc, print its stage table window by window, then the LLM embeddings and the Listener's rows.
    Returns the first window (for the pictures) and what the Listener heard in every window."""
    first, heard_segments, heard_seconds = None, [], 0.0
    for w in arc(source, n_mels, encoder, qformer, listener):
        first = first or w
        print_window(w, source, qformer)
        heard_segments += w.heard.result
        heard_seconds += w.heard.seconds
    n, one = len(w.embeddings.result), source.n_windows == 1
    row("LLM embeddings" if one else "all windows", cli.shape(w.embeddings.result), w.embeddings, f"the {n} tokens "
        "in query order (a global Q-former's tokens have no time order): the LLM reads them as embeddings of its "
        f"width ({qformer.d_llm} here; a 7B LLM: 4096)" if one else f"LLM embeddings: {source.n_windows} windows x "
        f"{qformer.n_queries} tokens, windows in time order, tokens in query order: what the LLM reads for the whole "
        "file")
    if listener is not None:
        print(f"{'':<16}trained: the Listener, its own SummaryEncoder and {listener.qformer.n_queries}-query "
              f"Q-former ({os.path.basename(DEFAULT_WEIGHTS)})")
        row("heard", f"({len(heard_segments)},)", cli.Timed(None, heard_seconds), "SummaryEncoder (50 Hz) -> "
            "frame tagger -> timeline; detail: the family of prompts nearest the Q-former's audio embedding, named "
            "when sure")
    return first, heard_segments


def print_heard(heard_segments, truth, listener):
    """The Listener's timeline, one line per segment; beside the truth when there is one (the lesson scene)."""
    if listener is None:
        return print("\nwhat the model heard: the Listener is trained on 80 mels; run with --n-mels 80")
    print(f"\nwhat the model heard (the trained Listener, {os.path.relpath(DEFAULT_WEIGHTS)}):")
    truth = [(start, end, cli.kind(name)) for name, start, end in truth]
    print(cli.side_by_side(format_timeline(heard_segments).splitlines(), format_timeline(truth).splitlines(),
                           ("heard", "truth") if truth else None))


def print_answers(samples, truth):
    """The micro audio-LLM's answers to LESSON_QUESTIONS about the lesson scene, each beside the true answer.
    Unusable LLM weights are one line on stderr; the rest of the lesson goes on."""
    try:
        models = load_models()
    except WeightsFileError as error:
        return print(f"main.py: warning: the micro audio-LLM cannot answer: {error}", file=sys.stderr, flush=True)
    print(f"\nthe micro audio-LLM answers ({os.path.relpath(models[1]['path'])}; audio tokens and the timeline above):")
    answers = [f"{question}? {ask(samples, question, models=models)[0][3]}" for question in LESSON_QUESTIONS]
    print(cli.side_by_side(answers, [true_answer(question, truth) for question in LESSON_QUESTIONS],
                           ("question? answer", "truth")))


def true_answer(question, truth):
    """The lesson scene's true answer to one of LESSON_QUESTIONS, in the micro-LLM's words."""
    kinds, music = [cli.kind(name) for name, _, _ in truth], [start for name, start, _ in truth if name == "music"]
    return {"what do you hear": " then ".join(kinds), "is there music": "yes" if music else "no",
            "when does the music start": f"{music[0]:g} seconds" if music else "no music"}[question]


def print_preview(log_mel, n_valid, segments):
    """The real frames of the log-Mel as text, with the segment names (or the seconds) under it."""
    width = min(PREVIEW_WIDTH, n_valid)
    print(f"\nlog-Mel of the {n_valid / 100:g} s of audio (time ->, low frequencies at the bottom):")
    print(text_preview(log_mel[:n_valid], width, PREVIEW_HEIGHT) + "\n" + cli.ruler(segments, n_valid / 100, width))


def write_pictures(folder, log_mel, n_valid, attention, source, heard):
    """The two figures of source.clip into `folder`, source.truth and heard under each: {file name: what it shows}."""
    weights, step_s, trained = attention
    log_mel_png(os.path.join(folder, LOG_MEL_PNG), log_mel[:n_valid], source.clip, source.truth, heard)
    attention_png(os.path.join(folder, ATTENTION_PNG), weights, step_s, source.clip, source.truth, heard, trained)
    padding = max(0, len(weights[0]) - output_length(n_valid))
    masked = f"; the {padding} masked padding frames are dark, weight exactly 0" if padding else ""
    return {LOG_MEL_PNG: "", ATTENTION_PNG: f" (queries x {len(weights[0])} frames{masked})"}


def print_bridges_and_plans(n_queries):
    """The real-scale cost table of the four bridges; then each lesson task's plan in one line and the rules that
    struck options or chose its pipeline."""
    print(f"\nthe bridges at real scale (this run's toy Q-former has {n_queries} queries): bridge_costs() counts "
          "from the shapes,\nnot measured, for Whisper-large frames into a 7B LLM (4096 wide, 32 layers)")
    print(format_cost_table(bridge_costs()))
    print("\npicker, the lesson's five tasks (every reason: python3 code/main.py --task NAME):")
    print("\n".join(format_summary(pick(task)) for task in LESSON_TASKS))


def lesson(args, out):
    """The lesson: the arc and its stage table, what the Listener heard, the micro-LLM's answers, the pictures,
    the bridges, the plans and the skill file, written into the folder `out`."""
    listener = load_listener(DEFAULT_WEIGHTS) if args.n_mels == 80 else None  # trained on 80 mels
    encoder = FrameEncoder(args.n_mels, D_MODEL, N_HEADS, N_LAYERS, seed=args.seed)
    qformer = QFormer(D_MODEL, D_MODEL, N_HEADS, 1, args.queries, D_LLM, seed=args.seed)
    with open_wav(args.audio) if args.audio is not None else nullcontext() as reader:  # a long file: window by window
        source = scene(args.seed) if reader is None else wav_file(args.audio, reader)
        first, heard_segments = run_arc(source, args.n_mels, encoder, qformer, listener)
    print_heard(heard_segments, source.truth, listener)
    if args.audio is None and listener is not None:
        print_answers(first.at_16k.result, source.truth)
    log_mel, n_valid = first.log_mel.result, first.n_valid
    print_preview(log_mel, n_valid, source.truth)
    print_bridges_and_plans(args.queries)
    # the attention picture: the trained Listener's queries over the real audio, else the random Q-former's
    attention = ((*query_attention(listener, log_mel[:n_valid]), True) if listener is not None else
                 (first.tokens.result[1], 2 * HOP_LENGTH / SAMPLE_RATE, False))  # (weights, seconds apart, trained)

    def write(folder):  # the files of the run, written into a fresh folder and moved into `out` as a set
        written = write_pictures(folder, log_mel, n_valid, attention, source, heard_segments) if args.images else {}
        write_skill(os.path.join(folder, os.path.basename(SKILL_PATH)))
        return {**written, os.path.basename(SKILL_PATH): ""}
    written = cli.write_as_set(out, write)
    print("\n" + "\n".join(f"wrote {cli.shown(os.path.join(out, name))}{what}" for name, what in written.items()))


def main(argv=None):
    """Run the lesson script: the exit status (0 ok, 2 bad input, 130 interrupted, 1 when stdout was closed)."""
    return cli.run_command("main.py", lambda arguments: cli.dispatch(arguments, lesson, OUTPUTS), argv)


if __name__ == "__main__":
    sys.exit(main())
