"""Training the Listener (layer "learn"; lesson: the Q-former's alignment stage, BLIP-2 stage 1 / CLAP).

    corpus clips (seeded) -> SummaryEncoder frames, computed once per clip and reused every step
    each step: B clips -> Q-former audio embeddings, B captions -> text embeddings,
               symmetric InfoNCE over the B x B cosine similarities (temperature TAU)
             + cross-entropy of the frame tagger on TAGGER_FRAMES_PER_STEP encoder frames with their corpus labels
               (and, for the tagger only, a few synth.two_speaker_dialogue clips: speech or silence)
    Adam; the weights written atomically with nn.save_weights.

Everything is drawn from random.Random(seed) in a fixed order, and clips are made in worker processes
whose results come back in seed order, so a seed gives the same bytes. code/train.py is the command line.
"""
import contextlib
import functools
import math
import random
import time
from multiprocessing import Pool

from ..base.errors import check_int, quiet_worker
from ..base.files import markdown_table, write_report
from ..front.mel import log_mel_spectrogram
from ..model.autograd import Adam, Tensor, concat_rows, cross_entropy, matmul_t, no_grad, scale
from ..model.nn import gc_paused, save_weights
from ..model.encoder import SummaryEncoder
from ..model.vocab import KINDS
from ..model.listener import TAU, Listener, timeline_labels
from ..synthetic.synth import lesson_scene, two_speaker_dialogue
from ..synthetic.corpus import caption, clip_seeds, frame_labels, make_clip

BATCH = 16              # clips (and captions) per contrastive step
TAGGER_FRAMES_PER_STEP = 512   # encoder frames per tagger step
DIALOGUE_SEED = 1000    # two_speaker_dialogue seeds from here (the lesson scene is lesson_scene(0), its own generator)
LR = 2e-3
N_PHRASINGS = 4         # captions per clip: its own and 3 more phrasings of the same segments
CANDIDATES = 10         # retrieval: each held-out clip against the captions of 10 held-out clips
WORKERS = 2


def prepare(seed, seconds):
    """One corpus clip -> (encoder frames (n, 240), 10-ms labels (KINDS indices), captions): what training
    keeps of it."""
    clip = make_clip(seed, seconds)
    log_mel = log_mel_spectrogram(clip.samples)
    labels = frame_labels(clip.segments, len(log_mel))
    captions = [clip.caption] + [caption(clip.segments, clip.overlays, seed * N_PHRASINGS + k)
                                 for k in range(1, N_PHRASINGS)]
    return SummaryEncoder()(log_mel), labels, captions


def prepare_all(split, n, seconds, workers=WORKERS, progress=None):
    """prepare() for the first n clips of `split`, in seed order (worker processes when workers > 1).
    progress(done, n): called after each clip, when given."""
    seeds = list(clip_seeds(split, n))
    return in_order(functools.partial(prepare, seconds=seconds), seeds, workers, progress)


def in_order(fn, seeds, workers, progress):
    """[fn(seed) for seed in seeds], on `workers` processes when more than one (Ctrl-C: the parent answers)."""
    out = []
    with contextlib.ExitStack() as stack:
        if workers > 1 and len(seeds) > 1:
            mapped = stack.enter_context(Pool(workers, initializer=quiet_worker)).imap(fn, seeds, chunksize=4)
        else:
            mapped = map(fn, seeds)
        for item in mapped:
            out.append(item)
            if progress is not None:
                progress(len(out), len(seeds))
    return out


def prepare_dialogue(seed):
    """A synth.two_speaker_dialogue clip (about 20 s) -> (encoder frames, 10-ms labels: speech in the turns,
    silence between them, no captions). The corpus' talker has consonants; this one (the lesson scene's
    vowel-syllable talker) has none, and without it the tagger calls the lesson scene's speech a hum."""
    samples, turns = two_speaker_dialogue(seed)
    log_mel = log_mel_spectrogram(samples)
    return SummaryEncoder()(log_mel), truth_indices([(a, b, "speech") for a, b, _ in turns], len(log_mel)), None


def prepare_dialogues(n, workers=WORKERS, progress=None):
    """prepare_dialogue for n seeds from DIALOGUE_SEED, in order; progress(done, n) after each, when given."""
    return in_order(prepare_dialogue, list(range(DIALOGUE_SEED, DIALOGUE_SEED + n)), workers, progress)


def fit_normalisation(model, clips):
    """Set model.shift / scale to the mean and 1 / standard deviation of every encoder frame of `clips`."""
    rows = [row for frames, _, _ in clips for row in frames]
    n = len(rows)
    mean = [math.fsum(c) / n for c in zip(*rows)]
    dev = [math.sqrt(math.fsum((v - m) ** 2 for v in c) / n) for c, m in zip(zip(*rows), mean)]
    model.shift.data = [mean]
    model.scale.data = [[1.0 / d if d > 1e-6 else 1.0 for d in dev]]


def contrastive_loss(model, pooled, texts):
    """Symmetric InfoNCE: audio i should pick caption i among the batch's, and caption i audio i."""
    audio = concat_rows([model.embed_audio(p)[0] for p in pooled])
    text = concat_rows([model.embed_text(t) for t in texts])
    targets = list(range(len(texts)))
    return (cross_entropy(scale(matmul_t(audio, text), 1.0 / TAU), targets)
            + cross_entropy(scale(matmul_t(text, audio), 1.0 / TAU), targets)) * 0.5


def train(n_clips=1000, steps=1600, n_queries=8, seed=0, seconds=4.0, batch=BATCH, workers=WORKERS, log=None,
          clips=None, dialogues=()):
    """Train a Listener from scratch. Returns (model, history of (step, loss), clips used).

    log: None or a function given one progress line (step, loss, clips/s, ETA) every few steps.
    clips: prepared training clips to reuse (else n_clips are made from the train split).
    dialogues: prepare_dialogues() items, for the tagger only.
    """
    check_int("n_clips", n_clips, 2)
    check_int("steps", steps, 1)
    batch = min(batch, len(clips) if clips is not None else n_clips)
    check_int("batch", batch, 2)
    rng = random.Random(seed)
    model = Listener(n_queries, seed)
    clips = clips if clips is not None else prepare_all("train", n_clips, seconds, workers)
    fit_normalisation(model, clips)
    tagged = [*clips, *dialogues]
    frames = [model.normalise(f) for f, _, _ in tagged]
    pooled = [model.pooled(f) for f in frames[:len(clips)]]
    pool = [(i, t) for i, (f, _, _) in enumerate(tagged) for t in range(len(f))]
    opt = Adam(model.trainable(), lr=LR)
    history, start = [], time.perf_counter()
    with gc_paused():
        for step in range(1, steps + 1):
            picks = rng.sample(range(len(clips)), batch)
            texts = [rng.choice(clips[i][2]) for i in picks]
            picked = [pool[rng.randrange(len(pool))] for _ in range(TAGGER_FRAMES_PER_STEP)]
            tag_loss = cross_entropy(model.tag_logits(Tensor([frames[i][t] for i, t in picked])),
                                     [tagged[i][1][2 * t] for i, t in picked])
            loss = contrastive_loss(model, [pooled[i] for i in picks], texts) + tag_loss
            opt.zero_grad()
            loss.backward()
            opt.step()
            history.append((step, loss.item()))
            if log is not None and (step % 10 == 0 or step == steps):
                elapsed = time.perf_counter() - start
                log(f"step {step}/{steps}  loss {loss.item():.3f}  {step * batch / elapsed:.1f} clips/s  "
                    f"ETA {elapsed / step * (steps - step):.0f} s")
    return model, history, clips


def retrieval(model, clips, candidates=CANDIDATES):
    """Audio-to-caption retrieval on held-out clips: in groups of `candidates` clips, each clip's audio ranks
    the group's captions (each clip's own corpus caption). Returns (recall@1, recall@5)."""
    with no_grad():
        audio = [model.embed_audio(model.pooled(model.normalise(f)))[0].data[0] for f, _, _ in clips]
        text = [model.embed_text(c[0]).data[0] for _, _, c in clips]
    hits1 = hits5 = n = 0
    for g in range(0, len(clips) - candidates + 1, candidates):
        for i in range(g, g + candidates):
            sims = [sum(a * b for a, b in zip(audio[i], text[j])) for j in range(g, g + candidates)]
            rank = sum(s > sims[i - g] for s in sims)
            hits1 += rank < 1
            hits5 += rank < 5
            n += 1
    return hits1 / n, hits5 / n


def frame_accuracy(model, items):
    """Share of 10-ms frames the smoothed timeline labels right. items: (raw encoder frames, the true KINDS
    index of every 10-ms mel frame) pairs."""
    right = total = 0
    for frames, truth in items:
        predicted = timeline_labels(model, frames, len(truth))
        right += sum(p == KINDS[t] for p, t in zip(predicted, truth))
        total += len(truth)
    return right / total


def truth_indices(segments, n_mel_frames):
    """[(start_s, end_s, kind)] -> the KINDS index of each 10-ms frame (frame t centred at t * 10 ms); kind
    "environment" (synth.lesson_scene's name) is "sound"; time past the last segment is silence."""
    out = []
    for t in range(n_mel_frames):
        kind = next((k for s, e, k in segments if s <= t * 0.01 < e), "silence")
        out.append(KINDS.index("sound" if kind == "environment" else kind))
    return out


def audio_item(samples, segments):
    """(raw encoder frames, true 10-ms labels) of 16-kHz samples with their [(start_s, end_s, kind)]."""
    log_mel = log_mel_spectrogram(samples)
    return SummaryEncoder()(log_mel), truth_indices(segments, len(log_mel))


def held_out_table(model, untrained, val_clips, lesson=None, progress=None):
    """The held-out rows: (name, untrained, trained, chance) for retrieval and timeline accuracy on the val
    clips and, given lesson (lesson_item()), the lesson scene. The espeak-ng / sox scenes are scored apart from
    training, by use.evaluate. progress: called (measurements done, measurements in all) after each, or None."""
    steps = [lambda: retrieval(model, val_clips), lambda: retrieval(untrained, val_clips)]
    val_audio = [(f, labels) for f, labels, _ in val_clips]
    for items in [val_audio] + ([lesson] if lesson else []):
        steps += [lambda items=items, m=m: frame_accuracy(m, items) for m in (untrained, model)]
    done = []
    for step in steps:
        done.append(step())
        if progress is not None:
            progress(len(done), len(steps))
    (r1, r5), (u1, u5), *accuracies = done
    n = CANDIDATES
    rows = [(f"retrieval recall@1 ({len(val_clips)} val clips, {n} candidates)", u1, r1, 1 / n),
            (f"retrieval recall@5 ({n} candidates)", u5, r5, 5 / n),
            (f"timeline frame accuracy, {len(val_audio)} val clips", *accuracies[:2], 1 / len(KINDS))]
    if lesson:
        rows.append(("timeline frame accuracy, the lesson scene (lesson_scene(0))", *accuracies[2:], 1 / len(KINDS)))
    return rows


def lesson_item():
    """synth.lesson_scene(0) as a frame_accuracy item (its "environment" counts as sound)."""
    samples, segments = lesson_scene()
    return audio_item(samples, [(a, b, name) for name, a, b in segments])


def format_table(rows):
    """The held-out table as text."""
    lines = [f"{'held out':<58}{'untrained':>10}{'trained':>9}{'chance':>8}"]
    lines += [f"{name:<58}{u:>10.3f}{t:>9.3f}{c:>8.3f}" for name, u, t, c in rows]
    return "\n".join(lines)


def write(model, path, meta):
    """The weights, atomically (nn.save_weights)."""
    return save_weights(path, model, meta)


def write_align_report(path, model, rows, command):
    """The alignment stage's report (markdown, atomically): the held-out table of `model` and how it was
    measured."""
    table = markdown_table(["held out", "untrained", "trained", "chance"],
                           [(name, f"{u:.3f}", f"{t:.3f}", f"{c:.3f}") for name, u, t, c in rows])
    body = f"""The shipped Listener (`code/audiollm/weights/listener.json`, {model.n_params():,} parameters,
{model.qformer.n_queries} queries), scored on data no training step saw.

{table}

- **Retrieval**: the val clips in groups of {CANDIDATES}; each clip's audio embedding ranks the {CANDIDATES} captions
  of its group (each clip's own corpus caption) by cosine; recall@k is the share whose own caption is in the
  top k; chance is k / {CANDIDATES}.
- **Timeline frame accuracy**: 10-ms frames whose smoothed label (speech / music / sound / silence) equals the
  truth: the corpus segments of the val clips; `scenes.json` of the espeak-ng / sox scenes
  (`tests/fixtures/scenes`) and of the fresh ones (`tests/fixtures/scenes/fresh`, held out from every design
  choice); the lesson scene's speech 0-3.5 s, music 3.5-7 s, environment (as sound) 7-10 s.
- **Untrained**: the same architecture at its seeded initial weights, with the trained model's input
  normalisation; its tagger calls nearly everything one kind, hence below chance.
"""
    return write_report(path, "The alignment stage: the Listener, held out", command, body)
