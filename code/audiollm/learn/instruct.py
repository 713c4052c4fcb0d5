"""The instruction stage (layer "learn"; lesson: "Instruction stage: end-to-end, unfreeze LLM"; AF3's on-demand
thinking): templated questions and answers over the synthetic corpus, and the training of the micro audio-LLM
(audiollm.model.decoder) on them with the encoder and the Listener frozen.

SALMONN, LTU and AF3 train their LLM (SALMONN and LTU through LoRA) and adaptor on question-answer pairs about
audio (LTU's OpenAQA-5M; AF3's about 50M audio-text pairs). Here the source is the corpus' ground truth
(corpus.Clip: every segment's kind, time and detail) and the templates are below: several phrasings of each
question type for training, one more per type held out entirely (never trained on), and held-out clips (the
test split's seeds). A question with THINK_SUFFIX asks for a thought first: the heard timeline, each event's
kind, detail and start second, between <think> and </think>, then the answer (AF3 switches thinking on with a
prompt suffix, "Please think and reason about the input audio before you respond."; AF-Think is its data set).

    clips (seeded) -> SummaryEncoder frames, once per clip (cached) -> the bridge's input rows, once per clip
    each step: BATCH (clip, question, answer) examples -> MicroLM logits on the answer's positions ->
               cross-entropy -> Adam (lr 1e-2, cosine decay to 0, gradient norm clipped at 1) on the LLM and
               the bridge (the Listener stays frozen)

Everything is drawn from random.Random(seed) in a fixed order and clips come back from the worker processes in
seed order, so a seed gives the same weights. code/train.py --stage instruct is the command line.
"""
import math
import os
import pickle
import random
import time
from dataclasses import replace

from ..base.errors import check_int
from ..front.mel import log_mel_spectrogram
from ..model.autograd import Adam, clip_grad_norm, cross_entropy
from ..model.nn import gc_paused, save_weights
from ..model.encoder import SummaryEncoder
from ..model.vocab import INSTRUMENT_NAMES, SOUND_PHRASES
from ..model.listener import DEFAULT_WEIGHTS, load_listener
from ..model.decoder import EOS, SPECIALS, END_THINK, THINK, THINK_SUFFIX, MicroLM, split_answer, words_of
from ..model.audio_llm import answer, audio_rows, bridge_width, sha256_file
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
COUNTS = ("none", "one", "two", "three", "four")
SECONDS = (3.0, 4.0, 5.0, 6.0)  # clip lengths, drawn by seed: the LLM sees prompts of several lengths
BATCH = 16
LR = 1e-2
N_HEADS = 4
WORKERS = 2


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


def qa_pairs(clip, rng, held_out=False):
    """Every question type that applies to `clip`: [(type, question, answer)], phrasing drawn from rng (the
    held-out phrasing when held_out). Answers are words: "yes", "speech then music", "organ", "2 seconds"."""
    kinds = _kinds_in_order(clip)
    events = clip.events()

    def phrase(kind, x=None):
        train, held = TEMPLATES[kind]
        return (held if held_out else rng.choice(train)).format(x=x)

    out = [("hear", phrase("hear"), " then ".join(kinds) or "nothing"),
           ("speech", phrase("speech"), "yes" if "speech" in kinds else "no"),
           ("music", phrase("music"), "yes" if "music" in kinds else "no")]
    present = sorted({e.detail["sound"] for e in events if e.kind == "sound"})
    if present and rng.random() < 0.5:
        out.append(("sound", phrase("sound", SOUND_NAME[rng.choice(present)]), "yes"))
    else:
        out.append(("sound", phrase("sound", SOUND_NAME[rng.choice(sorted(set(SOUND_NAME) - set(present)))]), "no"))
    if kinds:
        out += [("first", phrase("first"), kinds[0]), ("last", phrase("last"), kinds[-1])]
    music = [s for s in clip.segments if s.kind == "music"]
    if music:
        out += [("instrument", phrase("instrument"), music[0].detail["instrument"]),
                ("quality", phrase("quality"), music[0].detail["quality"])]
    speech = [s for s in clip.segments if s.kind == "speech"]
    if speech:
        out.append(("prosody", phrase("prosody"), speech[0].detail["prosody"]))
    if events:
        event = rng.choice(events)
        name = {"speech": "the speech", "music": "the music"}.get(event.kind) or SOUND_NAME[event.detail["sound"]]
        first = next(e for e in events if (e.kind, e.detail.get("sound")) == (event.kind, event.detail.get("sound")))
        out.append(("start", phrase("start", name), f"{round(first.start)} seconds"))
    out.append(("speakers", phrase("speakers"), COUNTS[min(clip.n_speakers(), len(COUNTS) - 1)]))
    return out


def examples(clip, seed, think=False, held_out=False):
    """[(type, question, target words)] for one clip; with think, the question ends in THINK_SUFFIX and the
    target starts with the thought."""
    rng = random.Random(seed)
    out = []
    for kind, question, answer in qa_pairs(clip, rng, held_out):
        target = words_of(answer)
        if think:
            question, target = f"{question} {THINK_SUFFIX}", [THINK, *thought(clip), END_THINK, *target]
        out.append((kind, question, target))
    return out


def vocabulary():
    """Every word the instruction data can hold (training phrasings, answers, thoughts), after SPECIALS.
    The held-out phrasings' other words are unknown to the model (<unk>), as a new user's words would be."""
    texts = [THINK_SUFFIX, "then nothing yes no seconds speech music sound calm excited major minor",
             *COUNTS, *SOUND_NAME, *SOUND_NAME.values(), *INSTRUMENT_NAMES, "the speech", "the music"]
    texts += [t.format(x="") for train, _ in TEMPLATES.values() for t in train]
    texts += [str(s) for s in range(31)]
    return [*SPECIALS, *sorted({w for t in texts for w in words_of(t)})]


def prepare(seed):
    """One instruction clip -> (the Clip's truth without samples, raw encoder frames (n, 240))."""
    clip = make_clip(seed, clip_seconds(seed))
    return replace(clip, samples=[]), SummaryEncoder()(log_mel_spectrogram(clip.samples))


def prepare_all(split, n, workers=WORKERS, cache=None, progress=None):
    """prepare() for the first n clips of `split`, in seed order. cache: a folder where the result is kept
    (a pickle named by split, n, SECONDS and the encoder's frame width) and reused: the frozen encoder's frames
    do not change while its code does not (after changing the encoder's code, empty the folder).
    progress(done, n): called after each clip made, when given."""
    lengths = "-".join(f"{s:g}" for s in SECONDS)
    name = f"instruct-{split}-{n}-{lengths}s-{SummaryEncoder().d_model}wide.pickle"
    path = os.path.join(cache, name) if cache else None
    if path and os.path.exists(path):
        with open(path, "rb") as stream:
            return pickle.load(stream)
    items = in_order(prepare, list(clip_seeds(split, n)), workers, progress)
    if path:
        os.makedirs(cache, exist_ok=True)
        with open(path + ".tmp", "wb") as stream:
            pickle.dump(items, stream)
        os.replace(path + ".tmp", path)
    return items


def dataset(items, listener, bridge, think=(False, True), held_out=False):
    """[(type, audio rows, question, target words)] over prepared clips, for each thinking mode in `think`."""
    out = []
    for clip, frames in items:
        rows = audio_rows(listener, frames, bridge)
        for mode in think:
            out += [(kind, rows, q, t) for kind, q, t in examples(clip, clip.seed, mode, held_out)]
    return out


def loss_of(model, batch):
    """Mean cross-entropy of the target words (and <eos>) of a batch of examples given audio and question."""
    packed, targets = [], []
    for _, rows, question, target in batch:
        prompt = model.prompt_ids(model.n_audio(rows), question)
        ids = prompt + [model.ids.get(w, 0) for w in target] + [model.ids[EOS]]
        packed.append((ids[:-1], rows, range(len(prompt) - 1, len(ids) - 1)))
        targets += ids[len(prompt):]
    return cross_entropy(model(packed), targets)


def train(data, words, d_audio, bridge, steps, seed=0, d_model=32, n_layers=1, batch=BATCH, lr=LR, log=None,
          n_heads=N_HEADS):
    """Train a MicroLM from scratch on `data` (dataset()). Returns (model, history of (step, loss)).
    log: None or a function given a progress line (step, loss, examples/s, ETA) every 10 steps."""
    check_int("steps", steps, 1)
    rng = random.Random(seed)
    model = MicroLM(words, d_audio, bridge, d_model, n_heads, n_layers, seed)
    opt = Adam(model.parameters(), lr=lr)
    history, start, smoothed = [], time.perf_counter(), None
    with gc_paused():
        for step in range(1, steps + 1):
            opt.zero_grad()
            loss = loss_of(model, [data[rng.randrange(len(data))] for _ in range(batch)])
            loss.backward()
            total = loss.item()
            clip_grad_norm(model.parameters(), 1.0)
            opt.lr = lr * 0.5 * (1 + math.cos(math.pi * step / steps))  # cosine decay to 0
            opt.step()
            history.append((step, total))
            smoothed = total if smoothed is None else 0.9 * smoothed + 0.1 * total
            if log is not None and (step % 10 == 0 or step == steps):
                elapsed = time.perf_counter() - start
                log(f"step {step}/{steps}  loss {smoothed:.3f}  {step * batch / elapsed:.1f} examples/s  "
                    f"ETA {elapsed / step * (steps - step):.0f} s")
    return model, history


def answer_words(model, rows, question):
    """The model's answer words (after any thought) by greedy decoding."""
    return split_answer(model.generate(rows, question))[1]


def accuracy(model, data):
    """{type: share of examples whose generated answer equals the target answer exactly}."""
    right, total = {}, {}
    for kind, rows, question, target in data:
        truth = split_answer(target)[1]
        total[kind] = total.get(kind, 0) + 1
        right[kind] = right.get(kind, 0) + (answer_words(model, rows, question) == truth)
    return {kind: right[kind] / total[kind] for kind in total}


def prior_accuracy(train_data, test_data):
    """Chance as the prior: {type: accuracy of always giving the training split's most common answer}."""
    counts = {}
    for kind, _, _, target in train_data:
        key = tuple(split_answer(target)[1])
        counts.setdefault(kind, {})[key] = counts.get(kind, {}).get(key, 0) + 1
    common = {kind: max(c, key=c.get) for kind, c in counts.items()}
    right, total = {}, {}
    for kind, _, _, target in test_data:
        total[kind] = total.get(kind, 0) + 1
        right[kind] = right.get(kind, 0) + (tuple(split_answer(target)[1]) == common.get(kind))
    return {kind: right[kind] / total[kind] for kind in total}


def held_out_table(model, untrained, train_data, listener, test_items, bridge):
    """Held-out accuracy per question type: [(type, n, chance, untrained, trained, trained with thinking,
    trained on the held-out phrasing)]; chance is the training split's most common answer (the prior)."""
    plain = dataset(test_items, listener, bridge, think=(False,))
    think = dataset(test_items, listener, bridge, think=(True,))
    held = dataset(test_items, listener, bridge, think=(False,), held_out=True)
    prior = prior_accuracy([d for d in train_data if d[3][0] != THINK], plain)
    scores = [accuracy(untrained, plain), accuracy(model, plain), accuracy(model, think), accuracy(model, held)]
    counts = {kind: sum(d[0] == kind for d in plain) for kind in TYPES}
    return [(kind, counts[kind], prior[kind], *(s[kind] for s in scores)) for kind in TYPES if counts[kind]]


def format_table(rows):
    """The held-out table as text, with the mean over the question types."""
    head = f"{'question type':<14}{'n':>5}{'chance':>8}{'untrained':>10}{'trained':>9}{'+think':>8}{'new phrasing':>14}"
    lines = [head] + [f"{k:<14}{n:>5}{c:>8.2f}{u:>10.2f}{t:>9.2f}{th:>8.2f}{h:>14.2f}" for k, n, c, u, t, th, h in rows]
    means = [sum(r[i] for r in rows) / len(rows) for i in range(2, 7)]
    lines.append(f"{'mean':<14}{'':>5}" + "".join(f"{m:>{w}.2f}" for m, w in zip(means, (8, 10, 9, 8, 14))))
    return "\n".join(lines)


def run_stage(out, clips=600, steps=600, bridge="pooled", d_model=32, n_layers=2, seed=0, val=50,
              workers=WORKERS, cache=None, listener_path=DEFAULT_WEIGHTS, log=print, progress=None):
    """The whole instruction stage: make (or load from `cache`) the clips, train, measure the held-out table
    against chance and the untrained model, write the weights to `out` atomically. Returns (model, rows, meta).
    progress: None, or progress(what) gives a function called with (done, total) after each clip made."""
    start = time.perf_counter()
    listener = load_listener(listener_path)
    d_audio = bridge_width(listener, bridge)
    untrained = MicroLM(vocabulary(), d_audio, bridge, d_model, N_HEADS, n_layers, seed)  # bad sizes: before work
    log(f"making {clips} training and {val} held-out clips (test split) ...")
    items = prepare_all("train", clips, workers, cache, progress and progress("instruct: training clips"))
    test = prepare_all("test", val, workers, cache, progress and progress("instruct: held-out clips"))
    data = dataset(items, listener, bridge)
    log(f"clips ready in {time.perf_counter() - start:.0f} s: {len(data)} examples (half with a thought)")
    trained_at = time.perf_counter()
    model, _ = train(data, vocabulary(), d_audio, bridge, steps, seed, d_model, n_layers, log=log)
    took = time.perf_counter() - trained_at
    rows = held_out_table(model, untrained, data, listener, test, bridge)
    meta = {"words": model.words, "listener_sha256": sha256_file(listener_path),
            "config": {"d_audio": d_audio, "bridge": bridge, "d_model": d_model, "n_heads": N_HEADS,
                       "n_layers": n_layers},
            "command": f"python3 code/train.py --stage instruct --seed {seed} --clips {clips} --steps {steps} "
                       f"--bridge {bridge} --d-model {d_model} --layers {n_layers}",
            "held_out": {r[0]: [round(v, 3) for v in r[2:]] for r in rows}}
    save_weights(out, model, meta)
    log(f"{model.n_params()} parameters; {steps} steps in {took:.0f} s; whole stage {time.perf_counter() - start:.0f} s")
    return model, rows, meta
