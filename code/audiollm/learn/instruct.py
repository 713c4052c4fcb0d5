"""The instruction stage (layer "learn"; lesson: "Instruction stage: end-to-end, unfreeze LLM"; AF3's on-demand
thinking): templated questions and answers over the synthetic corpus, and the training of the micro audio-LLM
(audiollm.model.decoder) on them with the encoder and the Listener frozen.

SALMONN, LTU and AF3 train their LLM (SALMONN and LTU through LoRA) and adaptor on question-answer pairs about
audio (LTU's OpenAQA-5M; AF3's about 50M audio-text pairs). Here the source is the corpus' ground truth
(corpus.Clip: every segment's kind, time and detail) and the templates are below: several phrasings of each
question type for training, one more per type held out entirely (never trained on), and held-out clips (the
test split's seeds), 3 to 30 s long (a learner's file comes in 30-s windows). A question asked with a thought
gets the heard timeline first (each event's kind, detail and start second), then </think> and the answer
(AF3-Think's switch, the prompt's <think>).

    clips (seeded) -> the Listener's encoder frames and tags, the music encoder's summary and the Listener's
                      timeline words, once per clip (decoder.listen; cached)
    each step: BATCH examples, the question type drawn first (every type as often), then a clip and a phrasing,
               then the way it is asked: end to end (audio tokens only), hybrid (<heard> timeline words too) or
               hybrid with a thought -> MicroLM logits on the answer's positions -> cross-entropy -> Adam (lr
               1e-2, cosine decay to 0, gradient norm clipped at 1) on the LLM and the bridge (the Listener stays
               frozen). Both cores: each process takes half the batch and the gradients are summed, the first
               half's first (data parallel, a fixed order).

Everything is drawn from random.Random(seed) in a fixed order and clips come back from the worker processes in
seed order, so a seed gives the same weights. code/train.py --stage instruct is the command line; it also writes
the training report (outputs/instruct_report.md: per type chance, a linear probe, the model end to end, hybrid,
thinking and on new phrasings).
"""
import functools
import math
import os
import pickle
import random
import time
from dataclasses import replace
from multiprocessing import Pool

from ..base.errors import check_int, quiet_worker
from ..base.files import markdown_table, write_report
from ..front.mel import log_mel_spectrogram
from ..model.autograd import Adam, Tensor, clip_grad_norm, cross_entropy, no_grad
from ..model.nn import Linear, gc_paused, save_weights
from ..model.encoder import SummaryEncoder
from ..model.vocab import INSTRUMENT_NAMES, KINDS, SOUND_PHRASES
from ..model.listener import DEFAULT_WEIGHTS, load_listener
from ..model.music import D_MUSIC
from ..model.lexicon import ANSWER_WORDS, COUNTS, known_words, words_of
from ..model.decoder import END_THINK, EOS, SPECIALS, MicroLM
from ..model.audio_llm import bridge_width, listen, load_lm, reply, sha256_file
from ..synthetic.corpus import clip_seeds, make_clip
from .align import in_order

TEMPLATES = {  # question type -> (training phrasings, the held-out phrasing); {x} names a sound
    "hear": (("what do you hear", "what can you hear in this recording", "describe the sounds in order",
              "what happens in this clip"), "in order what can you hear in this clip"),
    "speech": (("is there speech", "is anyone speaking", "can you hear a voice", "does someone talk in this recording"),
               "is someone speaking in this clip"),
    "music": (("is there music", "is any music playing", "can you hear an instrument",
               "does music play in this recording"), "can you hear music in this clip"),
    "sound": (("is there {x}", "can you hear {x}", "does the recording contain {x}"), "is {x} in this clip"),
    "first": (("what comes first", "what do you hear first", "what is the first sound"),
              "what can you hear at the start"),
    "last": (("what comes last", "what do you hear last", "what is the last sound"), "what can you hear at the end"),
    "instrument": (("which instrument plays", "what instrument do you hear", "which instrument is playing the music"),
                   "what instrument plays in this clip"),
    "quality": (("is the music major or minor", "major or minor", "does the music sound major or minor"),
                "is the key major or minor"),
    "prosody": (("is the speaker calm or excited", "does the voice sound calm or excited", "calm or excited"),
                "is the voice calm or excited"),
    "start": (("when does {x} start", "at what time does {x} begin", "when do you first hear {x}"),
              "when does {x} begin"),
    "speakers": (("how many speakers are there", "how many people speak", "how many different voices do you hear"),
                 "how many voices are in this clip"),
}
TYPES = tuple(TEMPLATES)
SOUND_NAME = {name: phrases[0] for name, phrases in SOUND_PHRASES.items()}  # "bark" -> "a dog barking"
SECONDS = (3.0, 4.0, 5.0, 6.0, 4.0, 5.0, 10.0, 30.0)  # clip lengths by seed: up to a full 30-s window, mostly short
MODES = (("end-to-end", 0.35), ("hybrid", 0.5), ("think", 0.15))  # how a training example is asked, and how often
BATCH = 16
STEPS = 2400
LR = 1e-2
N_HEADS = 4
WORKERS = 2
PROBE_STEPS = 150


def clip_seconds(seed):
    """The length of instruction clip `seed`."""
    return SECONDS[seed % len(SECONDS)]


def thought(clip):
    """The heard timeline as words: each event (segments and short sounds on top, silence left out) as kind,
    detail, start second: "speech calm 0 music organ minor 2 sound rain 3"."""
    out = []
    for event in clip.events():
        d = event.detail
        detail = {"speech": lambda: [d["prosody"]], "music": lambda: [d["instrument"], d["quality"]],
                  "sound": lambda: [d["sound"]]}[event.kind]()
        out += [event.kind, *detail, str(round(event.start))]
    return out


def _kinds_in_order(clip):
    kinds = []
    for s in clip.segments:
        if s.kind != "silence" and (not kinds or kinds[-1] != s.kind):
            kinds.append(s.kind)
    return kinds


def qa_pairs(clip, rng):
    """Every question type that applies to `clip`: [(type, x, answer)], x the sound or source a template's {x}
    names (drawn from rng) or None. Answers are words: "yes", "speech then music", "organ", "2 seconds"."""
    kinds = _kinds_in_order(clip)
    events = clip.events()
    out = [("hear", None, " then ".join(kinds) or "nothing"),
           ("speech", None, "yes" if "speech" in kinds else "no"),
           ("music", None, "yes" if "music" in kinds else "no")]
    present = sorted({e.detail["sound"] for e in events if e.kind == "sound"})
    if present and rng.random() < 0.5:
        out.append(("sound", SOUND_NAME[rng.choice(present)], "yes"))
    else:
        out.append(("sound", SOUND_NAME[rng.choice(sorted(set(SOUND_NAME) - set(present)))], "no"))
    if kinds:
        out += [("first", None, kinds[0]), ("last", None, kinds[-1])]
    music = [s for s in clip.segments if s.kind == "music"]
    if music:
        out += [("instrument", None, music[0].detail["instrument"]), ("quality", None, music[0].detail["quality"])]
    speech = [s for s in clip.segments if s.kind == "speech"]
    if speech:
        out.append(("prosody", None, speech[0].detail["prosody"]))
    if events:
        event = rng.choice(events)
        name = {"speech": "the speech", "music": "the music"}.get(event.kind) or SOUND_NAME[event.detail["sound"]]
        first = next(e for e in events if (e.kind, e.detail.get("sound")) == (event.kind, event.detail.get("sound")))
        out.append(("start", name, f"{round(first.start)} seconds"))
    out.append(("speakers", None, COUNTS[min(clip.n_speakers(), len(COUNTS) - 1)]))
    return out


def phrase(kind, x, rng=None):
    """A question of type `kind` about x: a training phrasing drawn from rng, or the held-out one (rng None)."""
    train, held = TEMPLATES[kind]
    return (held if rng is None else rng.choice(train)).format(x=x)


def lm_vocabulary():
    """The micro-LLM's words (the Listener's text encoder has its own, listener.vocabulary): every word the
    instruction data can hold (training phrasings, answers, thoughts, the heard timeline), after SPECIALS.
    Other words reach the model only through the lexicon (audiollm.model.lexicon)."""
    texts = [" ".join(ANSWER_WORDS), " ".join(KINDS), *SOUND_NAME, *SOUND_NAME.values(), *INSTRUMENT_NAMES,
             "the speech", "the music"]
    texts += [t.format(x="") for train, _ in TEMPLATES.values() for t in train]
    return [*SPECIALS, *sorted({w for t in texts for w in words_of(t)})]


_LISTENER = []  # the Listener of a process making clips (loaded once per process)


def prepare(seed, listener_path=DEFAULT_WEIGHTS):
    """One instruction clip -> (the Clip's truth without samples, audio rows, heard words) (decoder.listen)."""
    if not _LISTENER:
        _LISTENER.append(load_listener(listener_path))
    clip = make_clip(seed, clip_seconds(seed))
    rows, heard = listen(_LISTENER[0], clip.samples, log_mel_spectrogram(clip.samples))
    return replace(clip, samples=[]), rows, heard


def prepare_all(split, n, workers=WORKERS, cache=None, listener_path=DEFAULT_WEIGHTS, progress=None):
    """prepare() for the first n clips of `split`, in seed order. cache: a folder where the result is kept
    (a pickle named by split, n, SECONDS, the row width and the Listener's sha256) and reused: after changing
    the encoders' code, empty the folder. progress(done, n): called after each clip made, when given."""
    lengths = "-".join(f"{s:g}" for s in SECONDS)
    name = f"instruct-{split}-{n}-{lengths}s-{D_MUSIC}music-{sha256_file(listener_path)[:12]}.pickle"
    path = os.path.join(cache, name) if cache else None
    if path and os.path.exists(path):
        with open(path, "rb") as stream:
            return pickle.load(stream)
    items = in_order(functools.partial(prepare, listener_path=listener_path), list(clip_seeds(split, n)), workers,
                     progress)
    if path:
        os.makedirs(cache, exist_ok=True)
        with open(path + ".tmp", "wb") as stream:
            pickle.dump(items, stream)
        os.replace(path + ".tmp", path)
    return items


def dataset(items):
    """{type: [(clip, rows, heard, x, answer words)]} over prepared clips (the answers from qa_pairs)."""
    out = {kind: [] for kind in TYPES}
    for clip, rows, heard in items:
        for kind, x, answer in qa_pairs(clip, random.Random(clip.seed)):
            out[kind].append((clip, rows, heard, x, words_of(answer)))
    return out


def example(model, item, kind, mode, rng=None):
    """One training or test example: (rows, prompt ids, target words). mode: "end-to-end", "hybrid" or "think";
    rng draws the phrasing (None: the held-out phrasing). The question goes through the lexicon as at use."""
    clip, rows, heard, x, answer = item
    question = known_words(words_of(phrase(kind, x, rng)), model.ids)[0]
    think = mode == "think"
    prompt = model.prompt_ids(model.n_audio(rows), question, None if mode == "end-to-end" else heard, think)
    return rows, prompt, ([*thought(clip), END_THINK] if think else []) + answer


def draw_batch(data, rng, batch=BATCH):
    """BATCH (type, item index, mode) draws: the type uniformly over the types (balanced), then an item."""
    kinds = [k for k in data if data[k]]
    out = []
    for _ in range(batch):
        kind = rng.choice(kinds)
        index = rng.randrange(len(data[kind]))
        r, mode = rng.random(), MODES[-1][0]
        for name, share in MODES:
            if r < share:
                mode = name
                break
            r -= share
        out.append((kind, index, mode, rng.randrange(2**32)))
    return out


def loss_of(model, examples):
    """Mean cross-entropy of the target words (and <eos>) of examples (rows, prompt, target) -> (loss, n)."""
    packed, targets = [], []
    for rows, prompt, target in examples:
        ids = prompt + [model.ids.get(w, 0) for w in target] + [model.ids[EOS]]
        packed.append((ids[:-1], rows, range(len(prompt) - 1, len(ids) - 1)))
        targets += ids[len(prompt):]
    return cross_entropy(model(packed), targets), len(targets)


_WORKER = {}  # the data-parallel helper process: its model copy and the data (inherited at fork)


def _half_gradients(data, model, draws, make):
    """(sum of the target words' losses, number of target words, the gradients of that sum) for draws."""
    model.zero_grad()
    loss, n = loss_of(model, [make(model, data[k][i], k, mode, random.Random(s)) for k, i, mode, s in draws])
    loss.backward()
    return loss.item() * n, n, [[[g * n for g in row] for row in p.grad] if p.grad is not None else None
                                for p in model.parameters()]


def _worker_step(weights, draws):
    model = _WORKER["model"]
    for p, w in zip(model.parameters(), weights):
        p.data = w
    with gc_paused():
        return _half_gradients(_WORKER["data"], model, draws, _WORKER["make"])


def _start_worker(data, config, make):
    quiet_worker()
    _WORKER.update(data=data, model=MicroLM(*config), make=make)


def train(data, words, d_audio, steps, seed=0, d_model=32, n_layers=2, batch=BATCH, lr=LR, log=None,
          n_heads=N_HEADS, workers=WORKERS, make=example):
    """Train a MicroLM from scratch on `data` (dataset(): {type: [items]}; make(model, item, type, mode, rng)
    turns a drawn item into (rows, prompt ids, target words)). Returns (model, history of (step, loss)).
    workers: 2 splits every batch between this process and a helper (data parallel; the gradients are summed
    in a fixed order, so the weights do not depend on timing). log: None or a function given a progress line
    (step, loss, examples/s, ETA) every 10 steps."""
    check_int("steps", steps, 1)
    rng = random.Random(seed)
    config = (words, d_audio, d_model, n_heads, n_layers, seed)
    model = MicroLM(*config)
    params = model.parameters()
    opt = Adam(params, lr=lr)
    history, start, smoothed = [], time.perf_counter(), None
    pool = Pool(1, _start_worker, (data, config, make)) if workers > 1 else None
    try:
        with gc_paused():
            for step in range(1, steps + 1):
                draws = draw_batch(data, rng, batch)
                half = len(draws) // 2 if pool else len(draws)
                job = pool.apply_async(_worker_step, ([p.data for p in params], draws[half:])) if pool else None
                parts = [_half_gradients(data, model, draws[:half], make)]
                if job is not None:
                    parts.append(job.get())
                n = sum(part[1] for part in parts)
                total = sum(part[0] for part in parts) / n
                for k, p in enumerate(params):
                    grads = [part[2][k] for part in parts if part[2][k] is not None]
                    p.grad = None if not grads else [[sum(col) / n for col in zip(*rows)] for rows in zip(*grads)]
                clip_grad_norm(params, 1.0)
                opt.lr = lr * 0.5 * (1 + math.cos(math.pi * step / steps))  # cosine decay to 0
                opt.step()
                history.append((step, total))
                smoothed = total if smoothed is None else 0.9 * smoothed + 0.1 * total
                if log is not None and (step % 10 == 0 or step == steps):
                    elapsed = time.perf_counter() - start
                    log(f"step {step}/{steps}  loss {smoothed:.3f}  {step * batch / elapsed:.1f} examples/s  "
                        f"ETA {elapsed / step * (steps - step):.0f} s")
    finally:
        if pool:
            pool.terminate()
    return model, history


# ---- measuring: held-out clips, chance, a linear probe, the model asked three ways, new phrasings ----

FORMS = {"hear": "words", "speech": "yes/no", "music": "yes/no", "sound": "yes/no", "first": "words",
         "last": "words", "instrument": "words", "quality": "words", "prosody": "words", "start": "seconds",
         "speakers": "count"}  # the form of each type's answer
ASKED = ("end-to-end", "hybrid", "think")
HELD_COLUMNS = ("chance", "probe", "untrained", "end-to-end", "hybrid", "hybrid + think", "held-out phrasing")


def form_of(text):
    """An answer's form: "refusal", "yes/no", "count", "seconds" or "words"."""
    words = text.split()
    if text.startswith("that question is outside") or not words or text.startswith("("):
        return "refusal"
    if words[0] in ("yes", "no"):
        return "yes/no"
    if words[0] in COUNTS:
        return "count"
    if words[-1] == "seconds" or words[0].isdigit():
        return "seconds"
    return "words"


def ask_item(model, item, kind, question, mode="hybrid", lexicon=True):
    """The model's answer text to `question` about a prepared clip, asked end to end, hybrid or with a thought."""
    _, rows, heard, _, _ = item
    return reply(model, rows, heard, question, mode == "think", mode != "end-to-end", lexicon)[1]


def scores(model, data, mode="hybrid", held_out=False, questions=None, lexicon=True):
    """{type: (share right, share of answers of the wrong form)} over the test items; the training phrasing
    drawn per clip, the held-out one, or `questions` ({type: [learner questions]}, one per clip in turn)."""
    out = {}
    for kind, items in data.items():
        right = wrong_form = 0
        for n, item in enumerate(items):
            clip, _, _, x, answer = item
            if questions is not None:
                if not questions.get(kind):
                    continue
                q = questions[kind][n % len(questions[kind])].format(sound=x.split(" ", 1)[-1] if x else "")
            else:
                q = phrase(kind, x, None if held_out else random.Random(clip.seed * len(TYPES) + TYPES.index(kind)))
            text = ask_item(model, item, kind, q, mode, lexicon)
            right += text == " ".join(answer)
            wrong_form += form_of(text) not in (FORMS[kind], "refusal")
        if items and (questions is None or questions.get(kind)):
            out[kind] = (right / len(items), wrong_form / len(items))
    return out


def prior_accuracy(train_data, test_data):
    """Chance as the prior: {type: accuracy of always giving the training split's most common answer}."""
    out = {}
    for kind, items in test_data.items():
        answers = [tuple(item[4]) for item in train_data[kind]]
        if items and answers:
            common = max(sorted(set(answers)), key=answers.count)
            out[kind] = sum(tuple(item[4]) == common for item in items) / len(items)
    return out


def _features(item, columns):
    rows = item[1]
    return [sum(row[c] for row in rows) / len(rows) for c in columns]


def probe(train_items, test_items, columns, steps=PROBE_STEPS, seed=0):
    """A linear probe: logistic regression (Adam, full batch) from the mean of a clip's audio rows (the
    given columns) to the answer, fitted on train_items and scored on test_items (answers never seen in
    training count as wrong)."""
    classes = sorted({tuple(item[4]) for item in train_items})
    index = {c: k for k, c in enumerate(classes)}
    x = [_features(item, columns) for item in train_items]
    mean = [sum(col) / len(x) for col in zip(*x)]
    spread = [math.sqrt(sum((v - m) ** 2 for v in col) / len(x)) or 1.0 for col, m in zip(zip(*x), mean)]

    def standard(rows):
        return Tensor([[(v - m) / s for v, m, s in zip(row, mean, spread)] for row in rows])
    layer = Linear(len(columns), len(classes), random.Random(seed))
    opt = Adam(layer.parameters(), lr=0.05)
    xs, ys = standard(x), [index[tuple(item[4])] for item in train_items]
    with gc_paused():
        for _ in range(steps):
            opt.zero_grad()
            cross_entropy(layer(xs), ys).backward()
            opt.step()
        with no_grad():
            logits = layer(standard([_features(item, columns) for item in test_items])).data
    picks = [classes[max(range(len(classes)), key=row.__getitem__)] for row in logits]
    return sum(p == tuple(item[4]) for p, item in zip(picks, test_items)) / len(test_items)


D_FRAME = SummaryEncoder().d_model + len(KINDS)  # the speech-like part of an audio row: frames and tags, 244
PROBE_INPUTS = {"speech-like encoder + tags": range(0, D_FRAME), "music encoder": range(D_FRAME, D_FRAME + D_MUSIC),
                "both (what the bridge reads)": range(0, D_FRAME + D_MUSIC)}


def _probe_job(args):
    train_items, test_items, columns = args
    return probe(train_items, test_items, columns)


def probe_table(train_data, test_data, workers=WORKERS):
    """{input name: {type: probe accuracy}} for each part of the audio rows (PROBE_INPUTS)."""
    jobs = [(name, kind) for name in PROBE_INPUTS for kind in TYPES if test_data[kind] and train_data[kind]]
    args = [(train_data[k], test_data[k], list(PROBE_INPUTS[name])) for name, k in jobs]
    if workers > 1:
        with Pool(workers, initializer=quiet_worker) as pool:
            results = pool.map(_probe_job, args, chunksize=1)
    else:
        results = [_probe_job(a) for a in args]
    out = {name: {} for name in PROBE_INPUTS}
    for (name, kind), value in zip(jobs, results):
        out[name][kind] = value
    return out


def format_report(result):
    """The training report's body (outputs/instruct_report.md) as markdown."""
    rows, probes = result["rows"], result["probes"]
    means = [sum(r[i] for r in rows if r[i] is not None) / max(1, sum(r[i] is not None for r in rows))
             for i in range(2, 2 + len(HELD_COLUMNS))]
    table = markdown_table(("type", "n", *HELD_COLUMNS),
                           [[r[0], r[1], *("-" if v is None else f"{v:.2f}" for v in r[2:])] for r in rows] +
                           [["**mean**", "", *(f"**{m:.2f}**" for m in means)]])
    kinds = [kind for kind in TYPES if kind in next(iter(probes.values()))]
    probe = markdown_table(("type", *probes), [[kind, *(f"{probes[name][kind]:.2f}" for name in probes)]
                                               for kind in kinds])
    return "\n".join([
        f"{result['n_train']} training clips and {result['n_test']} held-out clips (the test split, never trained "
        f"on), 3-30 s long; {result['steps']} steps of {BATCH} examples, the question type drawn uniformly, on "
        f"{result['workers']} processes.", "",
        "Accuracy per question type on the held-out clips (an answer counts when its words equal the truth). "
        "**chance**: the training split's most common answer; **probe**: a linear probe (logistic regression) on "
        "the mean of the clip's audio rows; **untrained**: the same model before training (hybrid); "
        "**end-to-end**: audio tokens and the question only; **hybrid**: the Listener's timeline as <heard> words "
        "too (what `main.py` uses); **hybrid + think**: a thought first; **held-out phrasing**: each type's "
        "phrasing never trained on (hybrid). A learner's own phrasings and the espeak-ng / sox scenes are scored by "
        "`python3 code/evaluate.py` (training reads nothing under tests/).", "",
        table, "",
        "## What each input carries (linear probes, the same held-out clips)", "",
        "The speech-like encoder's rows (the Listener's frames and tags, averaged over 160 ms), the music "
        "encoder's summary (model/music.py: mode from key-invariant triad templates on a 4096-point chroma, timbre "
        "from MFCC, flatness, centroid, attack and decay under the music and the speech tags), and both.", "",
        probe])


def run_stage(out, clips=600, steps=STEPS, d_model=32, n_layers=2, seed=0, val=60, workers=WORKERS, cache=None,
              listener_path=DEFAULT_WEIGHTS, log=print, report=None, progress=None, measure_only=False):
    """The whole instruction stage: make (or load from `cache`) the clips, train, measure on the held-out clips
    (chance, probes, the untrained model, end to end, hybrid, thinking, the held-out phrasing), write the
    weights (with that table in their meta) to `out` atomically and the report to `report` (None: no report).
    Returns (model, result). progress: None, or progress(what) gives a function called with (done, total) after
    each clip made. measure_only: the weights already in `out` (trained by this stage with these options) instead
    of training; the same table and report as the run that trained them, measured with today's decoding."""
    start = time.perf_counter()
    listener = load_listener(listener_path)
    d_audio = bridge_width(listener)
    untrained = MicroLM(lm_vocabulary(), d_audio, d_model, N_HEADS, n_layers, seed)  # bad sizes: before any work
    log(f"making {clips} training and {val} held-out clips (test split) ...")
    train_data = dataset(prepare_all("train", clips, workers, cache, listener_path,
                                     progress and progress("instruct: training clips")))
    test_data = dataset(prepare_all("test", val, workers, cache, listener_path,
                                    progress and progress("instruct: held-out clips")))
    log(f"clips ready in {time.perf_counter() - start:.0f} s: "
        f"{sum(map(len, train_data.values()))} question-answer pairs")
    trained_at = time.perf_counter()
    if measure_only:
        model = load_lm(out, listener_path)[0]
    else:
        model, _ = train(train_data, lm_vocabulary(), d_audio, steps, seed, d_model, n_layers, log=log,
                         workers=workers)
    took = time.perf_counter() - trained_at
    command = (f"python3 code/train.py --stage instruct --seed {seed} --clips {clips} --steps {steps} "
               f"--d-model {d_model} --layers {n_layers} --val {val}")
    meta = {"words": model.words, "listener_sha256": sha256_file(listener_path),
            "config": {"d_audio": d_audio, "d_model": d_model, "n_heads": N_HEADS, "n_layers": n_layers},
            "command": command}
    save_weights(out, model, meta)
    log(f"{model.n_params()} parameters; " + (f"measuring {out} again ..." if measure_only else
                                              f"{steps} steps in {took:.0f} s; wrote {out}; measuring ..."))
    prior = prior_accuracy(train_data, test_data)
    measure = [lambda: probe_table(train_data, test_data, workers)]  # in this order, as the report was made
    measure += [lambda mode=mode: scores(model, test_data, mode) for mode in ASKED]
    measure += [lambda: scores(untrained, test_data, "hybrid"), lambda: scores(model, test_data, "hybrid", held_out=True)]
    tick, measured = progress and progress("instruct: held-out measurements"), []
    for step in measure:
        measured.append(step())
        if tick:
            tick(len(measured), len(measure))
    probes, *by_mode, untrained_scores, held = measured
    asked = dict(zip(ASKED, by_mode))
    both = list(PROBE_INPUTS)[-1]
    rows = [(kind, len(test_data[kind]), prior[kind], probes[both].get(kind), untrained_scores[kind][0],
             asked["end-to-end"][kind][0], asked["hybrid"][kind][0], asked["think"][kind][0], held[kind][0])
            for kind in TYPES if test_data[kind]]
    meta["held_out"] = {"n_test": val, "columns": list(HELD_COLUMNS),
                        "rows": {r[0]: [None if v is None else round(v, 3) for v in r[2:]] for r in rows}}
    save_weights(out, model, meta)  # again, with the held-out table (main.py --experiment shows it)
    result = {"rows": rows, "probes": probes, "workers": workers, "n_train": clips, "n_test": val, "steps": steps}
    if report:
        write_report(report, "The micro audio-LLM's instruction stage: training report", command,
                     format_report(result))
    log(f"whole stage {time.perf_counter() - start:.0f} s (training {took:.0f} s)")
    return model, result


def format_table(result):
    """The held-out table as text (the report's first table), for the terminal."""
    widths = (8, 7, 10, 11, 8, 8, 10)
    names = ("chance", "probe", "untrained", "end-to-end", "hybrid", "+think", "held-out")
    lines = [f"{'question type':<14}{'n':>4}" + "".join(f"{name:>{w}}" for name, w in zip(names, widths))]
    for r in result["rows"]:
        lines.append(f"{r[0]:<14}{r[1]:>4}" + "".join(f"{v:>{w}.2f}" if v is not None else f"{'-':>{w}}"
                                                       for v, w in zip(r[2:], widths)))
    return "\n".join(lines)
