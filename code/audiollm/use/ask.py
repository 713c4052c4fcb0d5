"""Ask the micro audio-LLM about a recording (lesson: "Use It"): the shipped models loaded together, a question
answered for each 30-s window of samples or of a WAV file, and the answers as text.
"""
from ..base.errors import WeightsFileError, check_samples, check_text
from ..front.wav import open_wav
from ..front.resample import resampled_length
from ..front.mel import CHUNK_LENGTH, N_SAMPLES, SAMPLE_RATE, sample_windows
from ..model.listener import DEFAULT_WEIGHTS, load_listener
from ..model.decoder import MAX_QUESTION, WEIGHTS_PATH
from ..model.audio_llm import answer, load_lm, sha256_file


RESTORE = "git checkout code/audiollm/weights/"  # in a checkout: puts the shipped pair of weights files back


def load_models(path=WEIGHTS_PATH, listener_path=DEFAULT_WEIGHTS):
    """(micro-LLM, its meta (with "path"), the Listener it was trained on): the shipped files, checked to
    belong together. The Listener is loaded first, so a problem in its file is named as the Listener's; two
    files that do not belong together are both named, with the command that restores the shipped pair."""
    try:
        listener = load_listener(listener_path)
        model, meta = load_lm(path)
    except WeightsFileError as error:
        raise WeightsFileError(f"{error}; the shipped files come back with {RESTORE}") from None
    if meta.get("listener_sha256") != sha256_file(listener_path):
        raise WeightsFileError(f"weights files {path} and {listener_path} do not belong together (the micro-LLM "
                               "was trained on other Listener weights); restore the shipped pair: " + RESTORE +
                               " (or retrain the micro-LLM: python3 code/train.py --stage instruct)")
    return model, {**meta, "path": path}, listener


def ask_windows(windows, question, think=False, models=None, hybrid=True):
    """Answer a question for each window: windows yields (start_s, end_s, the window's 16-kHz samples).
    Returns [(start_s, end_s, thought words or None, answer text)]. models: load_models() output, or None to
    load the shipped files. hybrid: the Listener's timeline goes into the prompt as words (False: audio tokens
    only, end to end)."""
    question = check_text("question", question, MAX_QUESTION)
    model, _, listener = models or load_models()
    return [(start, end, *answer(model, listener, samples, question, think, hybrid)) for start, end, samples in windows]


def ask(samples, question, think=False, models=None, hybrid=True):
    """Answer a question about 16-kHz samples, one 30-s window at a time (the last one shorter), as
    ask_windows."""
    samples = check_samples("samples", samples)
    windows = ((k / SAMPLE_RATE, min(k + N_SAMPLES, len(samples)) / SAMPLE_RATE, samples[k:k + N_SAMPLES])
               for k in range(0, len(samples), N_SAMPLES))
    return ask_windows(windows, question, think, models, hybrid)


def ask_file(path, question, think=False, models=None, hybrid=True, progress=None):
    """Answer a question about a WAV file (any rate and format audiollm.wav reads), window by window as
    mel.sample_windows reads it, as ask_windows. progress(done, n_windows): called after each window."""
    models, results = models or load_models(), []
    with open_wav(path) as reader:
        total = resampled_length(reader.n_frames, reader.sample_rate)  # samples at 16 kHz
        for k, samples in enumerate(sample_windows(reader, N_SAMPLES)):
            window = (k * CHUNK_LENGTH, min((k + 1) * N_SAMPLES, total) / SAMPLE_RATE, samples)
            results += ask_windows([window], question, think, models, hybrid)
            if progress is not None:
                progress(k + 1, -(-total // N_SAMPLES))
    return results


def format_answers(results):
    """ask()'s results as text: per window "thought: ..." (when there is one) and "answer: ...", the window's
    times first when there are several."""
    lines = []
    for start, end, thought, text in results:
        if len(results) > 1:
            lines.append(f"[{start:g} - {end:g} s]")
        if thought is not None:
            lines.append("thought: " + " ".join(thought))
        lines.append("answer: " + text)
    return "\n".join(lines)
