"""The lesson's pictures (lesson sections "Log-Mel spectrogram", "Audio Q-former" and exercise 5): what each
figure shows, in the one layout of base.figure, with the truth under it.

- log_mel_png: the log-Mel (T, n_mels), time in seconds, frequency in Hz at the mel positions of 0, 500,
  1k, 2k, 4k and 8k (the rows are mel bins, so equal steps up the picture are equal steps in pitch);
- attention_png: where each Q-former query looks, one row per query, over the same seconds;
- who_spoke_when_png: one lane per speaker found, the reference's lanes under them when there is one.
Both lesson figures carry the same strips: the scene's truth (speech / music / sound) and the Listener's
timeline, so the eye can check each picture against what is known and what the model heard.
"""
from ..base.errors import AudiollmError
from ..base.figure import Strip, figure_png, nice_ticks
from ..front.mel import FRAMES_PER_SECOND, SAMPLE_RATE, hz_to_mel
from .diarize import der

MEL_TICKS_HZ = (0, 500, 1000, 2000, 4000, 8000)  # librosa's specshow marks a mel axis at about these
LOG_MEL_UNIT = "log-Mel value"  # Whisper's (log10(power) + 4) / 4: 1 is a power of 1, each 0.25 ten times more
ATTENTION_UNIT = "attention weight"


def mel_ticks(n_mels, sample_rate=SAMPLE_RATE):
    """Ticks for a mel axis of n_mels rows spanning 0..sample_rate/2 Hz: [(fraction of the height, label)].

    Row k is the mel filter centred on the (k + 1)-th of n_mels + 2 points evenly spaced in (Slaney) mels from
    0 to the Nyquist frequency (mel.mel_filters); row k fills fractions k/n_mels to (k + 1)/n_mels of the
    height, so f sits at (mel(f) / step - 1/2) / n_mels, clipped to the picture (0 Hz and Nyquist lie half a
    row beyond its edges)."""
    nyquist = sample_rate / 2
    step = hz_to_mel(nyquist) / (n_mels + 1)
    return [(min(max((hz_to_mel(f) / step - 0.5) / n_mels, 0.0), 1.0), f"{f // 1000}k" if f >= 1000 else str(f))
            for f in MEL_TICKS_HZ if f <= nyquist]


def query_ticks(n_queries, most=9):
    """Ticks for one row per query, query 0 at the bottom: [(fraction, label)], at most `most` round numbers."""
    return [((q + 0.5) / n_queries, label) for q, label in nice_ticks(0, n_queries - 1, most)]


def lesson_strips(truth, heard):
    """The strips under a lesson figure: the scene's truth [(name, start_s, end_s)] (environment shown as
    "sound"), then what the Listener heard [(start_s, end_s, label)], silences left blank; either may be empty."""
    strips = []
    if truth:
        strips.append(Strip("truth", [(start, end, "sound" if name == "environment" else name)
                                      for name, start, end in truth]))
    if heard:
        strips.append(Strip("heard", [segment for segment in heard if segment[2] != "silence"]))
    return strips


def strips_note(truth, heard):
    """The line of a lesson figure's title that says what its strips are."""
    shown = [what for what, there in (("the known segments (truth)", truth),
                                      ("what the trained Listener heard (blank: silence)", heard)) if there]
    return f"\nUnder it: {' and '.join(shown)}." if shown else ""


def log_mel_png(path, log_mel, clip, truth=(), heard=()):
    """The log-Mel (T frames of n_mels, 100 frames a second, 16-kHz audio) of `clip` (its name) as a figure."""
    n_frames, n_mels = len(log_mel), len(log_mel[0])
    title = (f"log-Mel spectrogram of {clip}: what Whisper's encoder reads\n"
             f"{n_mels} mel bins, a frame every 10 ms.\nColour: (log10(mel power) + 4) / 4, as Whisper scales it: "
             "each +0.25 is ten times the power." + strips_note(truth, heard))
    figure_png(path, title, n_frames / FRAMES_PER_SECOND, log_mel, "Hz", mel_ticks(n_mels), LOG_MEL_UNIT,
               strips=lesson_strips(truth, heard))
    return path


def masked_frames(weights):
    """How many frames at the end of weights (n_queries, n_frames) no query looks at: Whisper's padding, masked."""
    n_frames = len(weights[0])
    return next((k for k in range(n_frames) if any(row[n_frames - 1 - k] for row in weights)), n_frames)


def attention_png(path, weights, step_s, clip, truth=(), heard=(), trained=True):
    """A Q-former's cross-attention over `clip`: weights (n_queries, n_frames), the frames step_s apart."""
    n_queries, n_frames = len(weights), len(weights[0])
    model, frames = (("the trained Listener's", "pooled encoder frame") if trained else
                     ("a random (untrained) Q-former's", "encoder frame"))
    frames += "s" * (n_frames != 1)
    padding = masked_frames(weights)
    masked = f" The last {padding * step_s:g} s are padding, masked: weight 0." if padding else ""
    title = (f"Where each of {model} {n_queries} queries looks in {clip}\n"
             f"A row per query: its attention weights (summing to 1) over {n_frames} {frames}, {step_s * 1000:g} ms "
             f"apart.{masked}" + strips_note(truth, heard))
    figure_png(path, title, n_frames * step_s, [list(column) for column in zip(*weights)], "query",
               query_ticks(n_queries), ATTENTION_UNIT, vmin=0.0, strips=lesson_strips(truth, heard))
    return path


def _lanes(turns):
    """One Strip per speaker, in the order they first speak."""
    speakers = list(dict.fromkeys(speaker for _, _, speaker in sorted(turns)))
    return [Strip(s, [(start, end, s) for start, end, speaker in turns if speaker == s], False) for s in speakers]


def who_spoke_when_png(path, turns, seconds, clip, reference=None, reference_name="the reference"):
    """Who spoke when in `clip` (seconds long): a lane per speaker found in `turns` [(start_s, end_s, speaker)],
    and under them a lane per speaker of `reference` (turns, from an RTTM file) when one is given."""
    n_speakers = len({speaker for _, _, speaker in turns})
    title = (f"Who spoke when in {clip}: {n_speakers} speaker{'s' * (n_speakers != 1)} found, "
             f"{len(turns)} turn{'s' * (len(turns) != 1)}\nOne lane per speaker, a bar per turn.")
    heading = ("found by the diarizer (SPEAKER_n in the order they first speak)" if turns else
               "found by the diarizer: no speech")
    strips = [heading, *_lanes(turns)]
    if reference is not None:
        try:
            score = f"; diarization error rate (DER) {der(reference, turns)['der']:.3f}, 0.25-s collar"
        except AudiollmError:  # nothing left to score outside the collars
            score = ""
        title += f"\nUnder them: the true turns{score}."
        strips += [f"reference: {reference_name}", *_lanes(reference)]
    figure_png(path, title, seconds, strips=strips)
    return path
