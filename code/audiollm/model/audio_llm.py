"""The audio-LLM put together (lesson: "Use It"): the trained Listener's frames -> the rows a bridge reads ->
the trained micro-LLM (decoder.MicroLM) -> an answer; and loading the trained micro-LLM from its weights file.
"""
import hashlib

from ..base.errors import AudiollmError, WeightsFileError, check_text
from .autograd import no_grad, softmax
from .nn import load_weights, read_weights
from .vocab import KINDS
from .decoder import MAX_QUESTION, THINK_SUFFIX, WEIGHTS_PATH, MicroLM, split_answer, words_of

OUTSIDE = "that question is outside what i was trained on"
FRAMES_PER_STEP = 8     # the pooled bridge averages 8 encoder frames (160 ms) before the adaptor pools pairs


def sha256_file(path):
    """The sha256 hex digest of a file's bytes: lm.json records which Listener weights it was trained on."""
    with open(path, "rb") as stream:
        return hashlib.sha256(stream.read()).hexdigest()


def bridge_width(listener, bridge):
    """The width of the rows a bridge reads: the Q-former's token width or the encoder's frame width plus
    the tagger's probabilities."""
    return listener.qformer.d_llm if bridge == "qformer" else listener.encoder.d_model + len(KINDS)


def audio_rows(listener, frames, bridge):
    """What a bridge reads, from raw encoder frames (n, 240) of the Listener's frozen encoder (plain lists):
    "qformer": the trained Q-former's query tokens (n_queries, 32); "pooled": each normalised frame with the
    Listener's frame-tag probabilities (speech, music, sound, silence: the alignment stage's trained head on the
    encoder) appended, averaged over FRAMES_PER_STEP, an even number of rows (n // 16 * 2, 244)."""
    normalised = listener.normalise(frames)
    with no_grad():
        if bridge == "qformer":
            return listener.qformer(listener.pooled(normalised))[0]
        tags = softmax(listener.tag_logits(normalised)).data
    frames = [row + tag for row, tag in zip(normalised, tags)]
    step = FRAMES_PER_STEP
    rows = [[sum(col) / step for col in zip(*frames[i:i + step])] for i in range(0, len(frames) - step + 1, step)]
    return rows[:len(rows) // 2 * 2]  # whole pairs for the adaptor


def load_lm(path=WEIGHTS_PATH, listener_path=None):
    """The trained micro audio-LLM from its weights file; meta says its vocabulary, bridge and size.

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
        model = MicroLM(words, config["d_audio"], config["bridge"], config["d_model"], config["n_heads"],
                        config["n_layers"])
    except (KeyError, TypeError, AudiollmError) as error:
        raise WeightsFileError(f"weights file {path}: bad config in meta ({error})") from None
    load_weights(path, model, weights)
    return model, meta


def answer(model, listener, log_mel, question, think=False):
    """Ask one window: its real log-Mel (n_frames, 80) and a question -> (thought words or None, answer text).

    A question whose words are mostly unknown to the model (more than half map to <unk>) gets OUTSIDE and the
    unknown words, rather than an invented answer; audio under 0.32 s (one adaptor token) gets "too short"."""
    question = check_text("question", question, MAX_QUESTION)
    words = words_of(question)
    unknown = [w for w in words if w not in model.ids]
    if not words or 2 * len(unknown) > len(words):
        return None, f"{OUTSIDE} (unknown words: {' '.join(unknown) or question})"
    rows = audio_rows(listener, listener.encoder(log_mel), model.bridge_name)
    if model.n_audio(rows) == 0:
        return None, "the audio is too short to answer (under 0.32 s)"
    thought, words = split_answer(model.generate(rows, f"{question} {THINK_SUFFIX}" if think else question))
    return thought, " ".join(words) or "(no answer)"
