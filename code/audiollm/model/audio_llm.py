"""The audio-LLM put together (lesson: "Use It"): one window of audio -> the trained Listener's frames and tags,
the music encoder's summary and the Listener's timeline (listen) -> the trained micro-LLM (decoder.MicroLM) ->
an answer; and loading the trained micro-LLM from its weights file.

The question is text and never control: lexicon.known_words maps its words to known ones, lexicon.answer_form
reads the form its answer must take, and only the caller's think flag puts <think> into the prompt.
"""
import hashlib

from ..base.errors import AudiollmError, WeightsFileError, check_text
from ..front.mel import log_mel_spectrogram
from .autograd import no_grad, softmax
from .nn import load_weights, read_weights
from .vocab import KINDS, SOUND_PHRASES
from .listener import ENCODER_HZ, smooth
from .music import D_MUSIC, music_summary
from .lexicon import EOS, answer_form, answer_grammar, known_words, placed, words_of
from .decoder import MAX_QUESTION, WEIGHTS_PATH, MicroLM, split_answer

OUTSIDE = "that question is outside what i was trained on"
ROWS_PER_STEP = 8       # encoder frames (20 ms each) averaged into one row the bridge reads: 160 ms
MIN_HEARD_S = 1.0       # a stretch of the Listener's timeline under 1 s is left out of the <heard> words


def sha256_file(path):
    """The sha256 hex digest of a file's bytes: lm.json records which Listener weights it was trained on."""
    with open(path, "rb") as stream:
        return hashlib.sha256(stream.read()).hexdigest()


def bridge_width(listener):
    """The width of the rows the bridge reads: the encoder's frame width, the tagger's probabilities and the
    music encoder's summary (240 + 4 + 77 = 321)."""
    return listener.encoder.d_model + len(KINDS) + D_MUSIC


def listen(listener, samples, log_mel, frames=None):
    """One window of audio as the micro-LLM takes it: 16-kHz samples and their log-Mel (n_frames, 80) (frames:
    the Listener's raw encoder frames of that log-Mel, when already made) -> (audio rows (n // 16 * 2, 321),
    heard words).

    Each row is ROWS_PER_STEP normalised encoder frames with the tagger's probabilities appended, averaged
    (160 ms), then the window's music summary; an even number of rows, whole pairs for the adaptor. The heard
    words are the tagger's smoothed timeline (listener.smooth), each stretch of MIN_HEARD_S or more that is not
    silence as its kind, first and last second."""
    frames = listener.encoder(log_mel) if frames is None else frames
    normalised = listener.normalise(frames)
    with no_grad():
        tags = softmax(listener.tag_logits(normalised)).data
    summary = music_summary(samples, log_mel, tags)
    step = ROWS_PER_STEP
    rows = [[sum(col) / step for col in zip(*(a + b for a, b in zip(normalised[i:i + step], tags[i:i + step])))]
            + summary for i in range(0, len(frames) - step + 1, step)]
    heard = []
    for first, stop, label in smooth([max(range(len(KINDS)), key=row.__getitem__) for row in tags]):
        if KINDS[label] != "silence" and stop - first >= MIN_HEARD_S * ENCODER_HZ:
            heard += [KINDS[label], str(round(first / ENCODER_HZ)), str(round(stop / ENCODER_HZ))]
    return rows[:len(rows) // 2 * 2], heard


def load_lm(path=WEIGHTS_PATH, listener_path=None):
    """The trained micro audio-LLM from its weights file; meta says its vocabulary and size.

    listener_path: the Listener weights the audio comes from; their sha256 must be the one the LLM was trained
    on (meta["listener_sha256"]), else WeightsFileError says to rerun the instruction stage."""
    weights = read_weights(path, trained_by="python3 code/train.py --stage instruct")
    meta = weights[1]
    try:
        words, config = meta["words"], meta["config"]
    except KeyError:
        raise WeightsFileError(f"weights file {path}: not an audiollm micro-LLM weights file") from None
    if listener_path is not None and meta.get("listener_sha256") != sha256_file(listener_path):
        raise WeightsFileError(f"weights file {path}: trained on other Listener weights than {listener_path}; "
                               "rerun the instruction stage: python3 code/train.py --stage instruct")
    try:
        model = MicroLM(words, config["d_audio"], config["d_model"], config["n_heads"], config["n_layers"])
    except (KeyError, TypeError, AudiollmError) as error:
        raise WeightsFileError(f"weights file {path}: bad config in meta ({error})") from None
    load_weights(path, model, weights)
    return model, meta


def read_question(model, question, lexicon=True):
    """A question -> (the words the model reads, the answer's form), or (None, the refusal) when the question
    names nothing the model was trained to answer about (lexicon.placed). lexicon=False (for measuring what the
    lexicon adds): the words as typed, an unknown one read as <unk>, refused when more than half are unknown."""
    question = check_text("question", question, MAX_QUESTION)
    typed = words_of(question)
    if lexicon:
        words, dropped = known_words(typed, model.ids)
        refuse = not placed(words)
    else:
        words, dropped = typed, [w for w in typed if w not in model.ids]
        refuse = not words or 2 * len(dropped) > len(words)
    if refuse:
        return None, f"{OUTSIDE} (unknown words: {' '.join(dropped) or question})"
    return words, answer_form(words, typed)


PRESENCE_WORDS = {"music": {"music", "instrument", "playing", "play", "plays"},  # music first: "is someone playing"
                  "speech": {"speech", "speaking", "speak", "speaks", "talk", "voice", "someone", "anyone"}}
SOUND_WORDS = {name: set(words_of(phrases[0])) - {"a", "an", "the", "of"} for name, phrases in SOUND_PHRASES.items()}


def asked_about(words):
    """What a yes/no question asks is there: a sound's name ("bark": "is there a dog barking"), "speech",
    "music" or None."""
    for name, named in SOUND_WORDS.items():
        if named & set(words):
            return name
    for kind, named in PRESENCE_WORDS.items():
        if named & set(words):
            return kind
    return None


ORDER_WORDS = {"first": {"first", "start", "begin", "beginning"}, "last": {"last", "end"}}  # which heard kind
INSTRUMENT_WORDS = {"instrument", "instruments"}  # the one open question whose answer is not a heard kind


def heard_kinds(heard):
    """The kinds of the heard words' stretches in time order, none twice in a row: ["speech", "music", "sound"]."""
    kinds = []
    for kind in heard[::3]:
        if not kinds or kinds[-1] != kind:
            kinds.append(kind)
    return kinds


def evidence_grammar(grammar, form, words, heard):
    """Its ears and its words agree (constrained decoding: an answer that contradicts what it heard, the <heard>
    timeline of stretches of MIN_HEARD_S or more, is not allowed; where the timeline settles the answer, the
    timeline gives it, and the model's own answer is what outputs/llm_eval.md reports as unconstrained):

    yes/no about a kind or sound (asked_about): "yes" when the timeline shows it and, after a thought, "yes"
      exactly when the thought names it; otherwise as the model says;
    an open question (but "which instrument"): the heard kinds, the first alone ("what comes first"), the last
      alone ("what comes last") or all in order ("what do you hear");
    "when does the music / the speech start": the second its first heard stretch starts.
    With nothing heard (or end to end: heard is []) the answer's grammar alone."""
    about = asked_about(words) if form[0] in ("yes/no", "seconds") else None
    kinds = heard_kinds(heard)
    if form[0] == "yes/no":
        shown = set(kinds)

        def agreeing(so_far, thought=None):
            if so_far or about is None:
                return grammar(so_far, thought)
            if thought is not None:
                return ("yes",) if about in thought else ("no",)
            return ("yes",) if about in shown else grammar(so_far, thought)
        return agreeing
    if form[0] == "seconds" and about in kinds:
        start = heard[heard.index(about) + 1]
        return lambda so_far, thought=None: (start,) if not so_far else grammar(so_far, thought)
    if form[0] != "open" or not kinds or INSTRUMENT_WORDS & set(words):
        return grammar
    order = next((which for which, named in ORDER_WORDS.items() if named & set(words)), None)
    expected = {"first": kinds[:1], "last": kinds[-1:]}.get(order, kinds)

    def listing(so_far, thought=None):
        named = [w for w in so_far if w in KINDS]
        if so_far and so_far[-1] in KINDS:  # after a kind: on to the next heard one, or stop after the last
            return ("then",) if len(named) < len(expected) and "then" in grammar(so_far, thought) else (EOS,)
        return (expected[len(named)],)
    return listing


def reply(model, rows, heard, question, think=False, hybrid=True, lexicon=True, agree=True):
    """The answer to a question about audio already through listen(): (thought words or None, answer text).
    hybrid: the heard words go into the prompt (False: audio tokens only, end to end); think: a thought first;
    agree=False (for measuring the model alone): no evidence_grammar."""
    words, form = read_question(model, question, lexicon)
    if words is None:
        return None, form
    if model.n_audio(rows) == 0:
        return None, "the audio is too short to answer (under 0.32 s)"
    prompt = model.prompt_ids(model.n_audio(rows), words, heard if hybrid else None, think)
    grammar = answer_grammar(form)
    if agree:
        grammar = evidence_grammar(grammar, form, words, heard if hybrid else [])
    thought, out = split_answer(model.generate(rows, prompt, grammar))
    return thought, " ".join(out) or "(no answer)"


def answer(model, listener, samples, question, think=False, hybrid=True):
    """Ask one window: its 16-kHz samples and a question -> (thought words or None, answer text), as reply().

    A question that names nothing the model knows gets OUTSIDE and the words it did not know, rather than an
    invented answer; audio under 0.32 s (one adaptor token) gets "too short"."""
    if read_question(model, question)[0] is None:
        return reply(model, [], [], question)
    return reply(model, *listen(listener, samples, log_mel_spectrogram(samples)), question, think, hybrid)
