"""Benchmark: every stage of the audio-LLM path on realistic sizes, in pure CPython.

    python3 code/bench.py            # every row, median of 5 runs (about six minutes)
    python3 code/bench.py --runs 3 --only log-mel resample
    python3 code/bench.py --runs 1 --only training   # the Listener trained from scratch, once (minutes)
    python3 code/bench.py --report                   # every row, then writes outputs/bench_report.md

Each row prints the input, the median wall time, the target from the issues, and, when numpy / torch /
whisper / librosa / soxr happen to be importable, how many times slower we are than them on the same input.
The literal rows (the STFT and the log-Mel as the lesson states them) take the median of half the runs; the
fast row under each computes the same numbers.
Memory rows run in a fresh subprocess and report its peak resident set size (ru_maxrss).
"""
import importlib
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import wave

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from audiollm.base.files import write_report  # noqa: E402
from audiollm.model import bridges, encoder  # noqa: E402
from audiollm.front import mel, wav  # noqa: E402
from audiollm.model.autograd import Adam, Tensor, cross_entropy, no_grad  # noqa: E402
from audiollm.synthetic.corpus import make_split  # noqa: E402
from audiollm.use.diarize import diarize  # noqa: E402
from audiollm.use.experiment import ACOUSTIC_TYPES, run_experiment, run_llm_experiment  # noqa: E402
from audiollm.use.evaluate import scene_accuracy  # noqa: E402
from audiollm.use.ask import load_models  # noqa: E402
from audiollm.use import cli  # noqa: E402
from audiollm.front.fft import fft_columns  # noqa: E402
from audiollm.front.resample import resample  # noqa: E402
from audiollm.front.stft import power_columns, power_spectrum, stft  # noqa: E402
from audiollm.synthetic.synth import two_speaker_dialogue  # noqa: E402

SR = mel.SAMPLE_RATE
SECONDS = 30


def _signal(seconds, sr, seed=0):
    """Speech-band test audio: a few tones with vibrato plus noise, deterministic, in [-1, 1)."""
    rng = random.Random(seed)
    return [0.3 * math.sin(2 * math.pi * 220 * t / sr + 3 * math.sin(t / sr * 5))
            + 0.2 * math.sin(2 * math.pi * 1250 * t / sr) + 0.05 * rng.uniform(-1, 1) for t in range(int(seconds * sr))]


def _median_time(fn, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _installed(*names):
    """The named packages if every one is installed, else None.

    The reference packages are optional: audiollm never needs them, the benchmark only compares against
    them when a learner happens to have them (e.g. in a scratch venv). Hence importlib, not import lines.
    """
    try:
        return [importlib.import_module(name) for name in names]
    except ImportError:
        return None


def _reference(name, packages, setup, runs):
    """(name, median time) of setup(*packages)(), or None when a package is missing."""
    modules = _installed(*packages)
    if modules is None:
        return None
    fn = setup(*modules)
    fn()  # warm-up: librosa compiles with numba, torch sets up its kernels, on the first call
    return name, _median_time(fn, runs)


def _soundfile(path, runs):
    return _reference("soundfile", ["soundfile"], lambda soundfile: lambda: soundfile.read(path), runs)


def _soxr(x, runs):
    return _reference("soxr", ["soxr"], lambda soxr: lambda: soxr.resample(x, 48000, SR, "VHQ"), runs)


def _torch_stft(x, runs):
    def setup(torch):
        audio, window = torch.tensor(x), torch.hann_window(400, dtype=torch.float64)
        return lambda: torch.stft(audio, 400, 160, window=window, return_complex=True)
    return _reference("torch.stft", ["torch"], setup, runs)


def _librosa_mel(x, runs):
    def setup(librosa, numpy):
        audio = numpy.array(x)
        return lambda: librosa.feature.melspectrogram(y=audio, sr=SR, n_fft=400, hop_length=160, n_mels=80,
                                                      pad_mode="reflect")
    return _reference("librosa", ["librosa", "numpy"], setup, runs)


def _whisper_log_mel(x, runs):
    def setup(torch, whisper):
        audio = torch.tensor(x, dtype=torch.float32)
        return lambda: whisper.log_mel_spectrogram(audio)
    return _reference("whisper", ["torch", "whisper"], setup, runs)


def _peak_rss_mb(code):
    """Peak RSS in MB of a fresh `python3 -c code` run with code/ on the path.

    Read from the child's own /proc/self/status VmHWM: its ru_maxrss would start at the parent's size,
    because Linux carries the high-water mark across the vfork + exec that subprocess uses.
    """
    probe = f"import sys; sys.path.insert(0, {HERE!r})\n{code}\n" \
            "print(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1])"
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True).stdout
    return int(out.split()[-1]) / 1024


class Bench:
    def __init__(self, runs, only):
        self.runs, self.only, self.rows = runs, only, []
        self.tmp = tempfile.mkdtemp(prefix="audiollm-bench-")

    def wanted(self, key):
        return not self.only or key in self.only

    def row(self, key, stage, size, seconds, target, refs=(), unit="s"):
        ratios = ", ".join(f"{seconds / t:.{0 if seconds >= 10 * t else 1}f}x {name}"
                           for name, t in filter(None, refs) if t > 0)
        value = f"{seconds:.3f} {unit}" if unit == "s" else f"{seconds:.0f} {unit}"
        line = f"| {stage} | {size} | {value} | {target} | {ratios or '-'} |"
        self.rows.append(line)
        print(line, flush=True)

    def run(self):
        print("| stage | input | median | target | slower than (when importable) |")
        print("|---|---|---|---|---|", flush=True)
        self.path16 = os.path.join(self.tmp, "30s_16k.wav")
        wav.write_wav(self.path16, _signal(SECONDS, SR), SR, bits=16)
        # One method per group, so each group's inputs are freed before the next one is timed.
        self.front_end()
        if self.wanted("model"):
            self.model()
        if self.wanted("train"):
            self.train()
        if self.wanted("main"):
            t = _median_time(lambda: subprocess.run([sys.executable, os.path.join(HERE, "main.py"), "--out",
                                                     os.path.join(self.tmp, "out")], check=True,
                                                    capture_output=True), self.runs)
            self.row("main", "python3 code/main.py", "no arguments", t, "<= 6 s")
            t = _median_time(lambda: subprocess.run([sys.executable, os.path.join(HERE, "main.py"), "--audio",
                                                     self.path16, "--out", os.path.join(self.tmp, "out")],
                                                    check=True, capture_output=True), self.runs)
            self.row("main", "python3 code/main.py --audio (timeline)", "30 s, 16 kHz", t, "<= 10 s")
        if self.wanted("training"):  # one run: it takes minutes
            start = time.perf_counter()
            subprocess.run([sys.executable, os.path.join(HERE, "train.py"), "--out",
                            os.path.join(self.tmp, "listener.json")], check=True, capture_output=True)
            self.row("training", "python3 code/train.py (1 run)", "the shipped weights, from scratch",
                     time.perf_counter() - start, "<= 900 s")
        if self.wanted("experiment"):
            start = time.perf_counter()
            run_experiment()
            self.row("experiment", "run_experiment() (1 run)", "210 clips of 1.02 s", time.perf_counter() - start,
                     "<= 60 s")
        if self.wanted("corpus"):
            start = [0]  # new seeds every run: each clip is made once, as in a training run

            def clips():
                make_split("train", 50, start=start[0])
                start[0] += 50
            t = _median_time(clips, self.runs)
            self.row("corpus", "corpus.make_split (4-s clips)", "50 clips", t, "<= 4 s (3000 in 2 min on 2 cores)")
        if self.wanted("windows"):
            self.windows_memory()
        if self.wanted("diarize"):
            self.diarize_long()
        if self.wanted("llm"):
            self.llm()
        if self.wanted("instruct-training"):  # one run: it takes minutes
            start = time.perf_counter()
            subprocess.run([sys.executable, os.path.join(HERE, "train.py"), "--stage", "instruct", "--out",
                            os.path.join(self.tmp, "lm.json"), "--report", os.path.join(self.tmp, "report.md")],
                           check=True, capture_output=True)
            self.row("instruct-training", "python3 code/train.py --stage instruct (1 run)",
                     "the shipped lm.json, from scratch, with its held-out report", time.perf_counter() - start,
                     "<= 2400 s")

    def front_end(self):
        """Issue 2's stages on 30 s of audio."""
        x16 = wav.read_wav(self.path16)[0]
        if self.wanted("read"):
            t = _median_time(lambda: wav.read_wav(self.path16), self.runs)
            refs = [_soundfile(self.path16, self.runs)]
            self.row("read", "read_wav", "30 s, 16-bit, 16 kHz", t, "<= 0.2 s", refs)
        if self.wanted("resample"):
            x48 = _signal(SECONDS, 48000, seed=1)
            t = _median_time(lambda: resample(x48, 48000, SR), self.runs)
            refs = [_soxr(x48, self.runs)]
            self.row("resample", "resample 48k -> 16k", "30 s at 48 kHz", t, "<= 2.5 s", refs)
            del x48
        if self.wanted("fft"):
            columns = [list(map(complex, x16[p:p + 320 * 1499:320])) for p in range(400)]
            t = _median_time(lambda: fft_columns(columns), self.runs)
            self.row("fft", "fft_columns (400-point)", "1499 signals", t, "-")
            del columns
        if self.wanted("stft"):
            # The literal STFT (frame by frame) and the fast power path the mel stage uses: the same power.
            refs = [_torch_stft(x16, self.runs)]
            t = _median_time(lambda: power_spectrum(stft(x16)), max(1, self.runs // 2))
            self.row("stft", "power_spectrum(stft), literal", "30 s, 16 kHz", t, "-", refs)
            t = _median_time(lambda: power_columns(x16), self.runs)
            self.row("stft", "power_columns, fast", "30 s, 16 kHz", t, "-", refs)
        if self.wanted("mel"):
            t = _median_time(lambda: mel.melspectrogram(x16), self.runs)
            refs = [_librosa_mel(x16, self.runs)]
            self.row("mel", "melspectrogram (80 mels)", "30 s, 16 kHz", t, "-", refs)
        if self.wanted("log-mel"):
            refs = [_whisper_log_mel(x16, self.runs)]
            t = _median_time(lambda: mel.log_mel_literal(x16), max(1, self.runs // 2))
            self.row("log-mel", "log_mel_literal (80), literal", "30 s of audio", t, "-", refs)
            t = _median_time(lambda: mel.log_mel_spectrogram(x16), self.runs)
            self.row("log-mel", "log_mel_spectrogram (80), fast", "30 s of audio", t, "<= 0.6 s", refs)
            clip = mel.pad_or_trim(x16[:10 * SR])
            t = _median_time(lambda: mel.log_mel_spectrogram(clip), self.runs)
            self.row("log-mel", "log_mel_spectrogram (80)", "10 s padded to 30 s", t, "-")

    def windows_memory(self):
        """log_mel_windows on a 10-minute file vs a 30-second file: peak RSS should barely move."""
        long_path = os.path.join(self.tmp, "10min.wav")
        with open(self.path16, "rb") as f:
            pcm = f.read()[44:]  # write_wav's 16-bit mono header is 44 bytes
        with wave.open(long_path, "wb") as out:  # 20 copies of the 30-s clip, written block by block
            out.setnchannels(1), out.setsampwidth(2), out.setframerate(SR)
            for _ in range(20):
                out.writeframes(pcm)
        code = "from audiollm.front.mel import log_mel_windows\nfor _ in log_mel_windows({!r}): pass"
        short = _peak_rss_mb(code.format(self.path16))
        start = time.perf_counter()
        long = _peak_rss_mb(code.format(long_path))
        elapsed = time.perf_counter() - start
        self.row("windows", "log_mel_windows peak RSS", "30 s file", short, "-", unit="MB")
        self.row("windows", f"log_mel_windows peak RSS ({long / short:.2f}x of 30 s; {elapsed:.0f} s)",
                 "10 min file", long, "<= 1.5x the 30 s file", unit="MB")

    def _dialogue_file(self, name, sr, channels, width, minutes=10):
        """A WAV of `minutes` of synth.two_speaker_dialogue (two voices taking turns), written block by block."""
        block, _ = two_speaker_dialogue(seed=0, n_turns=10, sr=sr)
        full = 2 ** (8 * width - 1) - 1
        ints = [round(x * full) for x in block]
        frames = b"".join(v.to_bytes(width, "little", signed=True) * channels for v in ints)
        path = os.path.join(self.tmp, name)
        with wave.open(path, "wb") as out:
            out.setnchannels(channels), out.setsampwidth(width), out.setframerate(sr)
            for _ in range(math.ceil(minutes * 60 * sr / len(block))):
                out.writeframes(frames)
        return path

    def diarize_long(self):
        """Issue 11: a 10-minute dialogue diarized (time), and the peak RSS for a 48-kHz 24-bit stereo file."""
        path16 = self._dialogue_file("10min_16k.wav", SR, 1, 2)
        t = _median_time(lambda: diarize(path16), max(1, self.runs // 3))
        self.row("diarize", "diarize (speaker count found)", "10 min, 16 kHz mono", t, "<= 60 s")
        path48 = self._dialogue_file("10min_48k_24bit_stereo.wav", 48000, 2, 3)
        start = time.perf_counter()
        rss = _peak_rss_mb(f"import importlib\nimportlib.import_module('audiollm.use.diarize').diarize({path48!r})")
        elapsed = time.perf_counter() - start
        self.row("diarize", f"diarize peak RSS (the run took {elapsed:.0f} s)", "10 min, 48 kHz 24-bit stereo", rss,
                 "<= 300 MB", unit="MB")
        os.unlink(path48)

    def model(self):
        """Encoder, bridges and the whole log-Mel -> tokens path (issue 3 targets)."""
        clip = mel.pad_or_trim(_signal(10, SR))
        frames = mel.log_mel_spectrogram(clip)
        n_valid = 10 * mel.FRAMES_PER_SECOND
        enc = encoder.FrameEncoder(n_mels=80, d_model=64, n_heads=4, n_layers=1)
        t = _median_time(lambda: enc.forward(frames, n_valid=n_valid), self.runs)
        self.row("model", "FrameEncoder d=64, 1 block, masked", "30 s window, 10 s real", t, "<= 2 s")
        t = _median_time(lambda: enc.forward(frames), max(1, self.runs // 2))
        self.row("model", "FrameEncoder d=64, 1 block, unmasked", "30 s window", t, "report")
        rng = random.Random(1)
        encoded = [[rng.gauss(0, 1) for _ in range(64)] for _ in range(1500)]
        for name, bridge in (("QFormer 64 queries, 1 block, width 64", bridges.QFormer(n_queries=64)),
                             ("QFormer 32 queries, 1 block, width 64", bridges.QFormer(n_queries=32)),
                             ("WindowQFormer (17-frame windows)", bridges.WindowQFormer()),
                             ("PooledMLPAdapter", bridges.PooledMLPAdapter())):
            t = _median_time(lambda: bridge.forward(encoded), self.runs)
            self.row("model", name, "1500 x 64 frames", t, "<= 0.7 s" if "64 queries" in name else "-")
        qformer = bridges.QFormer(n_queries=64)
        mask = encoder.frame_mask(len(frames), n_valid)

        def path():
            qformer.forward(enc.forward(mel.log_mel_spectrogram(clip), n_valid=n_valid), key_mask=mask)
        t = _median_time(path, self.runs)
        self.row("model", "log-Mel -> encoder -> 64 Q-former tokens", "30 s window, 10 s real", t, "-")
        rss = _peak_rss_mb(
            "from audiollm.model import bridges, encoder\nfrom audiollm.front import mel\nimport math\n"
            "x = [0.3 * math.sin(t / 7) for t in range(480000)]\n"
            "f = mel.log_mel_spectrogram(x)\n"
            "e = encoder.FrameEncoder().forward(f, n_valid=3000)\n"
            "bridges.QFormer().forward(e)")
        self.row("model", "peak RSS, whole path, unmasked", "30 s of audio", rss, "<= 300 MB", unit="MB")


    def llm(self):
        """The micro audio-LLM: --ask on a 30-s window, and its measured targets (accuracy rows, in %)."""
        for think in ((), ("--think",)):
            t = _median_time(lambda: subprocess.run([sys.executable, os.path.join(HERE, "main.py"), "--audio",
                                                     self.path16, "--ask", "what do you hear", *think],
                                                    check=True, capture_output=True), self.runs)
            self.row("llm", f"python3 code/main.py --ask 'what do you hear' {' '.join(think)}".rstrip(),
                     "30 s, 16 kHz (1 window)", t, "<= 3 s")
        model, meta, listener = load_models()
        held = meta["held_out"]
        for column in ("end-to-end", "hybrid"):
            k = held["columns"].index(column)
            scores = [values[k] for values in held["rows"].values()]
            self.row("llm", f"held-out accuracy, {column}, mean over the question types (lm.json meta)",
                     f"{held['n_test']} test-split clips", 100 * sum(scores) / len(scores), ">= 75 %", unit="%")
        scenes = [os.path.join(HERE, os.pardir, "tests", "fixtures", folder, "scenes.json")
                  for folder in ("scenes", "scenes_llm")]
        self.row("llm", "'is there speech / music' right, 9 espeak-ng/sox scenes x 5 phrasings", "90 questions",
                 100 * scene_accuracy(model, listener, scenes), ">= 95 %", unit="%")
        llm = run_llm_experiment()
        for i, name in ((2, "cascaded LLM"), (3, "end-to-end LLM")):
            rows = [r for r in llm.rows if r[0] in ACOUSTIC_TYPES]
            self.row("llm", f"experiment rerun: {name}, acoustic types (chance "
                     f"{100 * sum(r[1] for r in rows) / len(rows):.0f} %)", f"{llm.n_test} test questions per type",
                     100 * sum(r[i] for r in rows) / len(rows), ">= 80 % end-to-end, chance cascaded", unit="%")
            self.row("llm", f"experiment rerun: {name}, the words question (content)", "",
                     100 * llm.rows[0][i], "cascaded >= end-to-end", unit="%")

    def train(self):
        """A training step of the Q-former at the size the training issue uses: the forward with the graph,
        the loss, backward through every op, and Adam."""
        rng = random.Random(2)
        qformer = bridges.QFormer(d_audio=32, d_model=32, n_heads=2, n_layers=1, n_queries=16, d_llm=32)
        frames = Tensor([[rng.gauss(0, 1) for _ in range(32)] for _ in range(150)])
        targets = [rng.randrange(32) for _ in range(16)]
        opt = Adam(qformer.parameters())
        name, size = "QFormer d=32, 2 heads, 16 queries, 1 block", "150 x 32 frames"

        def forward():
            with no_grad():
                qformer.forward(frames)

        def forward_backward():
            qformer.zero_grad()
            cross_entropy(qformer.forward(frames)[0], targets).backward()

        def step():
            loss = cross_entropy(qformer.forward(frames)[0], targets)
            opt.zero_grad()
            loss.backward()
            opt.step()
        runs = 5 * self.runs  # milliseconds each: more runs for a steady median
        self.row("train", f"{name}: forward (no graph)", size, _median_time(forward, runs), "-")
        self.row("train", f"{name}: forward + backward", size, _median_time(forward_backward, runs), "-")
        self.row("train", f"{name}: training step with Adam ({qformer.n_params()} params)", size,
                 _median_time(step, runs), "-")


def main(argv=None):
    parser = cli.OneLineParser(prog="bench.py", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per row; the median is reported (default 5)")
    parser.add_argument("--only", nargs="*", default=[],
                        choices=["read", "resample", "fft", "stft", "mel", "log-mel", "model", "train", "main",
                                 "experiment", "corpus", "windows", "training", "diarize", "llm",
                                 "instruct-training"],
                        help="run only these rows")
    parser.add_argument("--report", action="store_true", help="write the table to outputs/bench_report.md")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    machine = f"Python {sys.version.split()[0]}, {os.cpu_count()} cores, median of {args.runs}"
    print(f"# audiollm benchmark: {machine}")
    bench = Bench(args.runs, set(args.only))
    bench.run()
    if args.report:
        command = " ".join(["python3 code/bench.py", *sys.argv[1:]])
        load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
        table = "\n".join(["| stage | input | median | target | slower than (when importable) |",
                           "|---|---|---|---|---|", *bench.rows])
        path = os.path.join(os.path.dirname(HERE), "outputs", "bench_report.md")
        body = f"{machine}; load average {load} at the end of the run (the machine's other work slows rows).\n\n{table}"
        print(f"wrote {write_report(path, 'Benchmark', command, body)}")


if __name__ == "__main__":  # bad options: one line, exit 2; Ctrl-C: one line, exit 130
    sys.exit(cli.run_command("bench.py", main))
