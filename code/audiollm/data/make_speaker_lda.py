"""Learn speaker_lda.txt, the speaker discriminant projection of audiollm.use.diarize, from espeak-ng voices.

    python3 code/audiollm/data/make_speaker_lda.py       # about 2 minutes on 2 cores; needs espeak-ng and sox

The same command gives the same file, byte for byte, with the same espeak-ng and sox (here 1.51 and 14.4.2).

1. Corpus: each of VOICES (espeak-ng's male and female variants and most of its named voices, never one
   the evaluation's "new" split uses) at pitches 35, 50 and 65 says N_SENTENCES of SENTENCES (never a
   sentence of the evaluation set), trimmed like the evaluation clips. A voice at one pitch is a speaker.
2. Conditions: every utterance is featurised twice, as diarize would: clean, and in pink noise at 10-20
   dB SNR, with 0.3 s of silence around it. (Adding telephone versions, 300-3400 Hz 8-kHz mu-law, made the
   tuning clips worse: CMVN already removes most of a telephone line.) Variation within a speaker was tried
   and not kept (tune: the 12 tune clips, 6 tune meetings and 6 varied tune clips of make_eval.py; held out:
   held, new, fresh). Each sentence at its own pitch (+-4 -p units) and speed (140-210), 4 sentences a
   speaker, also on the telephone and in sox's reverb: tune count right 14 -> 10 of 24 (mean DER 0.155 ->
   0.203; given the count 0.065 -> 0.075; on the 3x versions 0.056 -> 0.046), held 0.110 -> 0.136, new
   0.027 -> 0.069, the varied clips mixed (tune 4 -> 3 of 6 right, held 2 -> 3 of 4). Only the pitch moved
   (+-3, 6, 10), on this corpus: 14, 15, 11 of 24 right, no trend, and at +-6 held and new got worse. An LDA
   fitted to the tune clips' own pieces separated held-out voices less than this one: the limit is the 25
   numbers, not how they are projected.
3. Recordings: PAIRS times, two speakers and one condition make a recording. Its voiced frames are
   normalised as diarize normalises a recording (CMVN, pitch from the median), and every utterance is cut
   into pieces of about 1 s; a piece's vector is the mean of its frames' 25 numbers.
4. LDA: S_w is the scatter of pieces around their speaker's mean, S_b the scatter of the two speakers'
   means around theirs, both within recordings (a recording's offset is what CMVN removes). Solving
   S_b v = lambda S_w v keeps the directions in which voices differ most, relative to how much one voice
   differs between its sentences. The LDA_DIMS largest are written, scaled so that v' S_w v = 1.
"""
import importlib
import math
import os
import random
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))

from audiollm.base.files import write_atomic  # noqa: E402
from audiollm.front.wav import read_wav  # noqa: E402

D = importlib.import_module("audiollm.use.diarize")  # the module: the package's `diarize` is the function
OUT = os.path.join(HERE, "speaker_lda.txt")
SR = 16000
SEED = 0
PAIRS = 800
N_SENTENCES = 3
PITCHES = (35, 50, 65)
VOICES = ["m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "f1", "f2", "f3", "f4", "f5",
          "adam", "Alex", "Alicia", "Andrea", "anika", "announcer", "antonio", "aunty", "belinda", "benjamin",
          "boris", "caleb", "david", "Denis", "Diogo", "ed", "edward", "Gene", "grandma", "grandpa", "gustave",
          "Henrique", "Hugo", "iven", "Jacky", "Lee", "Marco", "Mario", "max", "Michael", "michel", "miguel",
          "Mike", "norbert", "pablo", "paul", "pedro", "quincy", "rob", "sandro", "shelby", "travis"]
SENTENCES = ["The weather was strange this week.", "I need to finish the reading first.",
             "Could you open the window please?", "We walked along the river for hours.",
             "My sister moved to a new city.", "The kitchen smells of fresh bread.",
             "Nobody knows where the keys went.", "Let us meet after the lecture.",
             "The bus stops right in front of it.", "I think the answer is somewhere else.",
             "She painted the fence in one day.", "Turn left at the second light."]
TRIM = ["silence", "1", "0.05", "1%", "reverse", "silence", "1", "0.05", "1%", "reverse"]
CONDITIONS = ("clean", "noise")
PAD_S = 0.3


def utterance(voice, pitch, speed, text, workdir):
    """16-kHz samples of `text` in an espeak-ng voice, scaled by 0.8 and trimmed where the voice is."""
    raw, trimmed = os.path.join(workdir, "raw.wav"), os.path.join(workdir, "trimmed.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-p", str(pitch), "-s", str(speed), "-w", raw, text], check=True)
    subprocess.run(["sox", "-D", raw, "-b", "16", trimmed, "vol", "0.8", "rate", str(SR), *TRIM], check=True)
    samples, rate = read_wav(trimmed)
    assert rate == SR and samples, (voice, text)
    return samples


def pink_noise(n, rng):
    """n samples of pink (1/f) noise: Paul Kellet's economy filter on seeded white noise, unit mean square."""
    b0 = b1 = b2 = 0.0
    out = []
    for _ in range(n):
        white = rng.uniform(-1.0, 1.0)
        b0 = 0.99765 * b0 + white * 0.0990460
        b1 = 0.96300 * b1 + white * 0.2965164
        b2 = 0.57000 * b2 + white * 1.0526913
        out.append(b0 + b1 + b2 + white * 0.1848)
    rms = math.sqrt(math.fsum(v * v for v in out) / n)
    return [v / rms for v in out]


def add_noise(samples, speech, snr_db, rng):
    """samples plus pink noise at snr_db under the mean power of `speech` (the voice's own samples)."""
    level = math.sqrt(math.fsum(v * v for v in speech) / len(speech)) * 10 ** (-snr_db / 20)
    return [s + level * n for s, n in zip(samples, pink_noise(len(samples), rng))]


def frame_features(audio):
    """diarize's front end on a path or 16-kHz samples -> [(N_CEPS cepstra, pitch)] of its voiced speech."""
    rec = D._Recording()
    rec.heard_speech = D.MIN_HEARD_S  # known speech: the Listener's check (diarize's only use of it) is skipped
    for samples, _ in D._windows(audio, SR):
        rec.add(samples)
    active = D._active(rec.speech)
    return [(list(rec.cepstra[i * D.N_CEPS:(i + 1) * D.N_CEPS]), rec.pitch[i])
            for i, t in enumerate(rec.voiced) if active[t]]


def corpus(rng, workdir):
    """{(voice, pitch): {condition: [frames of one utterance, ...]}} for every speaker, with a progress line."""
    speakers = [(v, p) for v in VOICES for p in PITCHES]
    out, start = {}, time.time()
    for n, (voice, pitch) in enumerate(speakers, 1):
        out[voice, pitch] = {c: [] for c in CONDITIONS}
        for text in rng.sample(SENTENCES, N_SENTENCES):
            spoken = utterance(f"{rng.choice(['en-us', 'en'])}+{voice}", pitch, rng.choice([160, 175, 185]), text,
                               workdir)
            padded = [0.0] * round(PAD_S * SR) + spoken + [0.0] * round(PAD_S * SR)
            noisy = add_noise(padded, spoken, rng.uniform(10, 20), rng)
            for condition, audio in (("clean", padded), ("noise", noisy)):
                out[voice, pitch][condition].append(frame_features(audio))
        rate = n / (time.time() - start)
        print(f"\rcorpus: speaker {n}/{len(speakers)} ({voice} p{pitch}), {rate * 60:.1f} speakers/min, "
              f"ETA {(len(speakers) - n) / rate / 60:.1f} min", end="", flush=True)
    print()
    return out


def piece_vectors(utterances, middle, means, scales):
    """Each utterance's frames, normalised like diarize's, cut into ~1-s pieces -> mean vectors (25 numbers)."""
    size = round(D.PIECE_S / D.FRAME_S * 0.6)  # about 60% of speech frames are voiced
    vectors = []
    for frames in utterances:
        for start in range(0, max(len(frames) - size // 2, 1), size):
            part = frames[start:start + size]
            if len(part) < D.MIN_PIECE_VOICED:
                continue
            rows = [[(c - m) * s for c, m, s in zip(cepstra, means, scales)] + [(p - middle) * 12.0 / D.PITCH_UNIT]
                    for cepstra, p in part]
            vectors.append([math.fsum(column) / len(rows) for column in zip(*rows)])
    return vectors


def scatter(rng, data):
    """Within- and between-speaker scatter matrices (25 x 25) over PAIRS two-speaker recordings."""
    dims = D.N_CEPS + 1
    within = [[0.0] * dims for _ in range(dims)]
    between = [[0.0] * dims for _ in range(dims)]
    n_within = n_between = 0
    speakers = sorted(data)
    for _ in range(PAIRS):
        a, b = rng.sample(speakers, 2)
        condition = rng.choice(CONDITIONS)
        frames = [f for s in (a, b) for u in data[s][condition] for f in u]
        columns = list(zip(*(c for c, _ in frames)))
        means = [math.fsum(col) / len(frames) for col in columns]
        scales = [1.0 / math.sqrt(max(math.fsum(v * v for v in col) / len(frames) - m * m, 1e-12))
                  for col, m in zip(columns, means)]
        middle = sorted(p for _, p in frames)[len(frames) // 2]
        centres = []
        for s in (a, b):
            vectors = piece_vectors(data[s][condition], middle, means, scales)
            centre = [math.fsum(col) / len(vectors) for col in zip(*vectors)]
            for v in vectors:
                d = [x - c for x, c in zip(v, centre)]
                for i in range(dims):
                    within[i] = [w + d[i] * dj for w, dj in zip(within[i], d)]
            n_within += len(vectors)
            centres.append(centre)
        d = [(x - y) / 2 for x, y in zip(*centres)]  # each mean's offset from the pair's midpoint
        for i in range(dims):
            between[i] = [w + 2 * d[i] * dj for w, dj in zip(between[i], d)]
        n_between += 2
    return ([[v / n_within for v in row] for row in within], [[v / n_between for v in row] for row in between])


def cholesky(a):
    """Lower-triangular L with L L' = a (a symmetric positive definite)."""
    n = len(a)
    low = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i + 1):
            s = a[i][j] - math.fsum(low[i][k] * low[j][k] for k in range(j))
            low[i][j] = math.sqrt(s) if i == j else s / low[j][j]
    return low


def jacobi_eigen(a, tol=1e-24, max_sweeps=100):
    """Eigenvalues and eigenvectors of a symmetric matrix by Jacobi rotations -> (values, columns of vectors)."""
    n = len(a)
    a = [row[:] for row in a]
    v = [[float(i == j) for j in range(n)] for i in range(n)]
    for _ in range(max_sweeps):
        off = math.fsum(a[i][j] ** 2 for i in range(n) for j in range(n) if i != j)
        if off <= tol * math.fsum(a[i][i] ** 2 for i in range(n)):
            break
        for p in range(n - 1):
            for q in range(p + 1, n):
                if a[p][q] == 0.0:
                    continue
                theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q])
                t = math.copysign(1.0, theta) / (abs(theta) + math.sqrt(theta * theta + 1.0))
                c = 1.0 / math.sqrt(t * t + 1.0)
                s = t * c
                for k in range(n):  # rotate columns p and q, then rows p and q
                    akp, akq = a[k][p], a[k][q]
                    a[k][p], a[k][q] = c * akp - s * akq, s * akp + c * akq
                for k in range(n):
                    apk, aqk = a[p][k], a[q][k]
                    a[p][k], a[q][k] = c * apk - s * aqk, s * apk + c * aqk
                for k in range(n):
                    vkp, vkq = v[k][p], v[k][q]
                    v[k][p], v[k][q] = c * vkp - s * vkq, s * vkp + c * vkq
    return [a[i][i] for i in range(n)], v


def lda(within, between, n_dims):
    """The n_dims largest solutions of between v = lambda within v -> (eigenvalues, vectors), v' within v = 1.

    With within = L L' (Cholesky) and v = L'^-1 u, the problem becomes the symmetric L^-1 between L'^-1 u =
    lambda u, solved by Jacobi rotations; the u are orthonormal, so v' within v = u' u = 1.
    """
    n = len(within)
    low = cholesky(within)
    inv = [[0.0] * n for _ in range(n)]  # L^-1, column by column (forward substitution)
    for j in range(n):
        for i in range(n):
            s = (1.0 if i == j else 0.0) - math.fsum(low[i][k] * inv[k][j] for k in range(i))
            inv[i][j] = s / low[i][i]
    left = [[math.fsum(inv[i][k] * between[k][j] for k in range(n)) for j in range(n)] for i in range(n)]
    m = [[math.fsum(left[i][k] * inv[j][k] for k in range(n)) for j in range(n)] for i in range(n)]
    m = [[(m[i][j] + m[j][i]) / 2 for j in range(n)] for i in range(n)]  # symmetric up to rounding
    values, u = jacobi_eigen(m)
    order = sorted(range(n), key=lambda k: -values[k])[:n_dims]
    vectors = [[math.fsum(inv[k][i] * u[k][j] for k in range(n)) for i in range(n)] for j in order]  # L'^-1 u
    signs = [1.0 if max(v, key=abs) > 0 else -1.0 for v in vectors]  # a fixed sign, for a reproducible file
    return [values[j] for j in order], [[s * x for x in v] for s, v in zip(signs, vectors)]


def main():
    rng = random.Random(SEED)
    with tempfile.TemporaryDirectory() as workdir:
        data = corpus(rng, workdir)
    within, between = scatter(rng, data)
    values, vectors = lda(within, between, D.LDA_DIMS)
    header = [f"# audiollm.diarize speaker LDA: {D.N_CEPS + 1} inputs (lines: cepstra c1..c{D.N_CEPS} after CMVN, then "
              f"pitch in {D.PITCH_UNIT:g}-semitone units from the median) -> {D.LDA_DIMS} outputs (columns)",
              f"# {len(VOICES)} espeak-ng voices x {len(PITCHES)} pitches x {N_SENTENCES} sentences x "
              f"{len(CONDITIONS)} conditions, {PAIRS} two-speaker recordings (seed {SEED})",
              "# between/within variance of each direction: " + " ".join(f"{v:.2f}" for v in values),
              "# made by: python3 code/audiollm/data/make_speaker_lda.py"]
    rows = [" ".join(f"{vectors[j][i]:+.6f}" for j in range(D.LDA_DIMS)) for i in range(D.N_CEPS + 1)]
    write_atomic(OUT, "\n".join(header + rows) + "\n")
    print(f"wrote {OUT}; between/within per direction: " + " ".join(f"{v:.2f}" for v in values))


if __name__ == "__main__":
    main()
