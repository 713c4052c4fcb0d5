"""The synthetic audio-caption corpus (layer "synthetic", the data): what a clip holds, its caption, the split by seed.

The lesson's end-to-end route "needs new training data": audio paired with text. SALMONN, Qwen-Audio and Audio
Flamingo 3 train first on captions ("a dog barks while rain falls"), then on questions and answers. This corpus
makes such pairs in pure Python. A clip is a few seconds of 16 kHz audio: 1-4 segments laid end to end, each
speech, music, an environmental sound or silence, at random gains, sometimes over background noise or a steady
sound, in a reverberant room (synthetic.rooms), through a telephone line, over a noise floor or through a mu-law
codec; its caption says what plays, in order ("a calm low voice speaks, then an organ plays a minor chord with
drums"). Real recordings are never as clean as a synthesizer: the rooms, lines, rough voices, played instruments
(vibrato, breath, a piano's stretched partials, a drum kit and a bass line) and tonal alarms are there so the
Listener learns what a sound is rather than which synthesizer made it (issue 19).

Every clip comes from one integer seed, so the same seed gives the same samples, segments and caption. The
train, val and test splits draw from disjoint seed ranges (SPLITS). The ground truth keeps everything a
question could ask: each segment's kind, start and end, and details (speaker, voice, calm or excited; instrument,
chord or melody, major or minor; which sound).

The generators live in `audiollm.synthetic.synth`; this module only decides what to play, when and how loud.
"""
import random
from dataclasses import dataclass

from ..base.errors import AudiollmError, check_int
from ..front.mel import HOP_LENGTH, SAMPLE_RATE
from ..model.vocab import (ACCOMPANIMENT, ADVERBS, CHORD_TEMPLATES, INSTRUMENT_NAMES, JOINS, KINDS, MELODY_TEMPLATES,
                           NEW_SPEAKER_TEMPLATES,
                           ORDINALS, OVERLAY_TEMPLATE, PROMPTS, RETURNING_SPEAKER_TEMPLATES, SILENCE_PHRASES,
                           SOUND_PHRASES, SPEECH_TEMPLATES, WHERE)
from .rooms import reverb, telephone
from .synth import (CHORD_SEMITONES, INSTRUMENTS, PROSODIES, SCALE_SEMITONES, SOUNDS, coloured_noise, interval_hz,
                    key_hz, mu_law, note_hz, play, sound, speech)

SPLIT_SIZE = 1_000_000_000  # seeds per split
SPLITS = {"train": 0, "val": SPLIT_SIZE, "test": 2 * SPLIT_SIZE}  # each split's first seed
DEFAULT_SECONDS = 4.0
MIN_SECONDS, MAX_SECONDS = 1.0, 30.0
KIND_WEIGHTS = (0.3, 0.25, 0.3, 0.2)  # how often each of KINDS is drawn for a segment
MIN_SEGMENT_S = 0.5  # shortest speech, music or sound segment
SILENCE_S = (0.25, 1.0)  # a silence lasts this long: 0.25 s or more, so a pause inside speech (< 0.2 s) is not one
MIN_GAIN_DB = -30.0  # a segment's level: 0 dB is peak 0.9, the quietest 30 dB below
BACKGROUND_P = 0.4  # share of clips with noise under everything but their silences
BACKGROUND_DB = (5.0, 35.0)  # the background sits this far below the segment it is under: a noisy street is 5-10 dB
FLOOR_P = 0.5  # share of clips with a faint noise floor everywhere: real recordings are never digital silence
FLOOR_DB = (50.0, 80.0)  # how far the floor sits below the clip's peak
CODEC_P = 0.4  # share of clips stored as 8-bit mu-law (G.711): a noise floor that follows the signal
BED_P = 0.4  # share of backgrounds that are a steady sound (rain, an engine, a hum ...) rather than plain noise
ROOM_P = 0.35  # share of clips heard in a room: reverberation of RT60_S, WET_LEVEL beside the dry sound
RT60_S = (0.15, 1.0)
WET_LEVEL = (0.1, 0.6)
TELEPHONE_P = 0.12  # share of clips heard through a telephone line (rooms.telephone: 300-3400 Hz)
ACCOMPANIMENT_P = 0.25  # each of drums and a bass line joins a music segment this often
MELODIC = tuple(sorted(i for i in INSTRUMENTS if i != "drums"))  # a music segment's lead; drums only accompany
STEADY_SOUNDS = ("rain", "wind", "engine", "hum", "hiss", "rumble")  # a short sound may happen on top of these
SHORT_SOUNDS = ("knock", "glass", "bark", "clatter")
VOICES = {  # pitch class: (f0 range Hz, formant scale range)
    "low": ((70.0, 150.0), (0.85, 1.1)),
    "high": ((165.0, 300.0), (1.05, 1.35)),
}

@dataclass(frozen=True)
class Segment:
    """A stretch of a clip: kind (one of KINDS), start and end in seconds, level in dB (0 = peak 0.9) and detail:

    speech   {"speaker": 1, 2, ... in order of appearance, "voice": "low"/"high", "prosody": "calm"/"excited",
              "f0_hz", "formant_scale", "rate" (syllables per second)}
    music    {"instrument": a MELODIC name, "form": "chord"/"melody", "quality": "major"/"minor",
              "root": a note name such as "C4", "drums": bool, "bass": bool (the accompaniment under it)}
    sound    {"sound": a synth.SOUNDS name}
    silence  {}
    """

    kind: str
    start: float
    end: float
    detail: dict
    gain_db: float = 0.0


@dataclass(frozen=True)
class Clip:
    """One corpus item: 16 kHz samples, the segments that tile it in time order, short sounds on top of steady
    sounds (overlays, kind "sound"), the caption, the background noise under everything but silence (None, or
    {"exponent": 1/f**exponent, "below_db": how far under each segment}), the noise floor under the whole clip
    (None, or {"exponent", "below_db": how far under the clip's peak}), the codec ("mu-law" or None), the room
    (None, or {"rt60_s", "wet"}: rooms.reverb) and whether a telephone line band-limited it."""

    seed: int
    samples: list
    segments: tuple
    overlays: tuple
    caption: str
    background: dict = None
    floor: dict = None
    codec: str = None
    room: dict = None
    telephone: bool = False

    @property
    def seconds(self):
        """Length in seconds."""
        return len(self.samples) / SAMPLE_RATE

    def events(self):
        """Everything that sounds, segments and overlays but not silence, by start time: for questions such as
        "when does the knock start"."""
        return sorted((s for s in self.segments + self.overlays if s.kind != "silence"), key=lambda s: s.start)

    def n_speakers(self):
        """How many different speakers talk in the clip."""
        return len({s.detail["speaker"] for s in self.segments if s.kind == "speech"})


def clip_seeds(split, n, start=0):
    """The seeds of clips start .. start+n-1 of `split` ("train", "val" or "test"): a range inside its own block
    of SPLIT_SIZE seeds, so the splits never share a clip."""
    if split not in SPLITS:
        raise AudiollmError(f"split must be one of {tuple(SPLITS)}, got {split!r}")
    check_int("start", start, 0, SPLIT_SIZE - 1)
    check_int("n", n, 1, SPLIT_SIZE - start)
    return range(SPLITS[split] + start, SPLITS[split] + start + n)


def make_split(split, n, start=0, seconds=DEFAULT_SECONDS):
    """n clips of `split` (a list of Clip), from seed SPLITS[split] + start on."""
    return [make_clip(seed, seconds) for seed in clip_seeds(split, n, start)]


def _plan(rng, seconds):
    """[(kind, seconds), ...] filling `seconds`: 1-4 segments, never two silences in a row nor a clip of silence."""
    for _ in range(100):
        count = rng.choices((1, 2, 3, 4), (1, 3, 4, 3))[0]
        kinds = []
        for _ in range(count):
            kinds.append(rng.choices(KINDS, KIND_WEIGHTS)[0])
            while kinds[-1] == "silence" and (count == 1 or (len(kinds) > 1 and kinds[-2] == "silence")):
                kinds[-1] = rng.choices(KINDS[:3], KIND_WEIGHTS[:3])[0]
        lengths = [rng.uniform(*SILENCE_S) if kind == "silence" else rng.uniform(0.5, 1.5) for kind in kinds]
        left = seconds - sum(length for kind, length in zip(kinds, lengths) if kind == "silence")
        weight = sum(length for kind, length in zip(kinds, lengths) if kind != "silence")
        lengths = [length if kind == "silence" else left * length / weight for kind, length in zip(kinds, lengths)]
        if min(length for kind, length in zip(kinds, lengths) if kind != "silence") >= MIN_SEGMENT_S:
            return list(zip(kinds, lengths))
    return [(rng.choice(KINDS[:3]), seconds)]


def _voice(rng, pitch):
    """A new speaker: f0, formant scale, speaking rate, breathiness, brightness, jitter (half the voices rough) and
    tilt (synth.speech) for a "low" or "high" voice."""
    (f0_low, f0_high), (scale_low, scale_high) = VOICES[pitch]
    return {"voice": pitch, "f0_hz": rng.uniform(f0_low, f0_high), "formant_scale": rng.uniform(scale_low, scale_high),
            "rate": rng.uniform(2.5, 7.0), "breathiness": rng.uniform(0.0, 0.5), "brightness": rng.uniform(0.0, 2.5),
            "jitter": rng.uniform(0.0, 0.05) * (rng.random() < 0.5), "tilt": rng.uniform(0.0, 0.9)}


def _chord_notes(rng, instrument, quality, root_hz, seconds):
    """(start, Hz, length) notes of a chord filling `seconds`: held, strummed, struck again and again, or broken."""
    notes = [interval_hz(root_hz, s) for s in CHORD_SEMITONES[quality]]
    if rng.random() < 0.5:
        notes.append(root_hz / 2)  # a bass note an octave below
    if rng.random() < 0.3:
        notes.append(root_hz * 2)
    style = rng.choice(("held", "strummed", "repeated", "broken"))
    if style in ("repeated", "broken"):
        every = rng.uniform(0.25, 0.7)
    else:  # struck again before a plucked or struck chord dies away
        every = rng.uniform(0.8, 1.5) if INSTRUMENTS[instrument] in ("pluck", "struck", "bell") else seconds
    out, t = [], 0.0
    while t < seconds - 0.05:
        if style == "broken":  # one chord note after another
            for k, f in enumerate(notes):
                out.append((t + k * every / len(notes), f, every * rng.uniform(0.8, 1.5)))
        else:
            spread = rng.uniform(0.015, 0.05) if style == "strummed" else 0.0
            out += [(t + k * spread, f, every) for k, f in enumerate(notes)]
        t += every
    return out


def _melody_notes(rng, quality, root_hz, seconds):
    """(start, Hz, length) notes of a melody in the root's major or minor scale: steps of 1-2 degrees, beats of
    0.12-0.4 s, the third of the scale included (it tells major from minor), ending on the root."""
    steps = SCALE_SEMITONES[quality]
    beat = rng.uniform(0.12, 0.4)
    degrees, t, starts = [], 0.0, []
    while t < seconds - 0.05:
        starts.append(t)
        degrees.append(0 if not degrees else max(-3, min(9, degrees[-1] + rng.choice((-2, -1, -1, 1, 1, 2)))))
        t += beat * rng.choice((1, 1, 2))
    if 2 not in degrees and len(degrees) > 2:
        degrees[1] = 2
    degrees[-1] = 0 if len(degrees) > 1 else degrees[-1]
    ends = starts[1:] + [seconds]
    legato = rng.uniform(0.7, 1.0)
    return [(s, interval_hz(root_hz, 12 * (d // 7) + steps[d % 7]), (e - s) * legato)
            for s, e, d in zip(starts, ends, degrees)]


def _render(rng, kind, detail, seconds, amplitude):
    """The samples of one segment (speech, music or sound), peak `amplitude`."""
    seed = rng.randrange(2**32)
    if kind == "speech":
        return speech(seconds, detail["f0_hz"], detail["formant_scale"], detail["rate"], detail["prosody"],
                      detail["breathiness"], detail["brightness"], seed, amplitude, jitter=detail["jitter"],
                      tilt=detail["tilt"])
    if kind == "music":
        root = note_hz(detail["root"])
        if detail["form"] == "chord":
            notes = _chord_notes(rng, detail["instrument"], detail["quality"], root, seconds)
        else:
            notes = _melody_notes(rng, detail["quality"], root, seconds)
        out = play(detail["instrument"], notes, seconds, seed, amplitude)
        beat = rng.uniform(0.3, 0.6)
        beats = [k * beat for k in range(int(seconds / beat) + 1) if k * beat < seconds - 0.05]
        if detail["drums"]:  # kick on beats 1 and 3, snare on 2 and 4, a hi-hat every half beat
            hits = [(t, key_hz(38 if k % 2 else 36), min(beat, 0.5)) for k, t in enumerate(beats)]
            hits += [(t + half, key_hz(42), beat / 2) for t in beats for half in (0.0, beat / 2)
                     if t + half < seconds - 0.05]
            out = [a + b for a, b in zip(out, play("drums", hits, seconds, rng.randrange(2**32),
                                                   amplitude * rng.uniform(0.3, 1.2)))]
        if detail["bass"]:  # root, root, fifth, octave on the beats, an octave below the chord or tune
            bass = root / 2 if root / 2 >= 40.0 else root
            line = [(t, interval_hz(bass, (0, 0, 7, 12)[k % 4]), beat) for k, t in enumerate(beats)]
            out = [a + b for a, b in zip(out, play("pluck", line, seconds, rng.randrange(2**32),
                                                   amplitude * rng.uniform(0.3, 0.9)))]
        peak = max(map(abs, out)) or 1.0
        return [v * amplitude / peak for v in out]
    return sound(detail["sound"], seconds, seed, amplitude)


def _phrase(rng, segment, speakers_so_far):
    """The caption's words for one segment."""
    d = segment.detail
    if segment.kind == "speech":
        if d["speaker"] in speakers_so_far:
            templates = RETURNING_SPEAKER_TEMPLATES if len(speakers_so_far) > 1 else SPEECH_TEMPLATES
        else:
            templates = SPEECH_TEMPLATES if d["speaker"] == 1 else NEW_SPEAKER_TEMPLATES
        return rng.choice(templates).format(a="an" if d["prosody"][0] in "aeiou" else "a", prosody=d["prosody"],
                                            voice=d["voice"], adverb=ADVERBS[d["prosody"]],
                                            ordinal=ORDINALS[d["speaker"] - 1])
    if segment.kind == "music":
        templates = CHORD_TEMPLATES if d["form"] == "chord" else MELODY_TEMPLATES
        text = rng.choice(templates).format(instrument=rng.choice(INSTRUMENT_NAMES[d["instrument"]]),
                                            quality=d["quality"])
        return " ".join([text, *(rng.choice(ACCOMPANIMENT[part]) for part in ACCOMPANIMENT if d.get(part))])
    if segment.kind == "sound":
        return rng.choice(SOUND_PHRASES[d["sound"]])
    return rng.choice(SILENCE_PHRASES)


def caption(segments, overlays=(), seed=0):
    """A caption naming every segment in order, short sounds on top with their place ("rain, with a knock in the
    middle"). segments and overlays: lists of Segment (a Clip's); the phrasing is drawn from random.Random(seed)."""
    if not isinstance(segments, (list, tuple)) or not segments or not all(isinstance(s, Segment) for s in segments):
        raise AudiollmError("segments must be a non-empty list of corpus.Segment, e.g. clip.segments")
    if not isinstance(overlays, (list, tuple)) or not all(isinstance(s, Segment) for s in overlays):
        raise AudiollmError("overlays must be a list of corpus.Segment, e.g. clip.overlays")
    check_int("seed", seed, 0)
    rng = random.Random(seed)
    phrases, speakers = [], set()
    for segment in segments:
        text = _phrase(rng, segment, speakers)
        if segment.kind == "speech":
            speakers.add(segment.detail["speaker"])
        for short in overlays:
            if segment.start <= short.start < segment.end:
                third = min(2, int(3 * ((short.start + short.end) / 2 - segment.start) / (segment.end - segment.start)))
                text = OVERLAY_TEMPLATE.format(bed=text, short=rng.choice(SOUND_PHRASES[short.detail["sound"]]),
                                               where=WHERE[third])
        phrases.append(text)
    out = phrases[0]
    for text in phrases[1:]:
        out += rng.choice(JOINS) + text
    return out


def make_clip(seed, seconds=DEFAULT_SECONDS):
    """The corpus clip of `seed` (an int >= 0), `seconds` long (1-30 s): a Clip, the same for the same seed.

    Segments are 0.5 s or longer (silences 0.25-1 s), at levels from 0 to -30 dB; 40 % of clips have coloured
    noise (1/f**0-2.5) or a steady sound (BED_P) 5-35 dB under their speech and music; ROOM_P of them are heard
    in a room (RT60 0.15-1 s), TELEPHONE_P through a telephone line; a quarter of the music has drums, a quarter
    a bass line. Speakers, instruments, chords, melodies and sounds
    are drawn afresh for every clip (see synth.speech, synth.play, synth.sound).
    """
    check_int("seed", seed, 0)
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not MIN_SECONDS <= seconds <= MAX_SECONDS:
        raise AudiollmError(f"seconds must be a number from {MIN_SECONDS} to {MAX_SECONDS}, got {seconds!r}")
    rng = random.Random(seed)
    n = round(seconds * SAMPLE_RATE / HOP_LENGTH) * HOP_LENGTH  # a whole number of 10-ms mel frames
    samples = [0.0] * n
    segments, overlays, voices = [], [], []
    frame = 0  # segment boundaries fall on the 10-ms grid of the log-Mel frames
    plan = _plan(rng, n / SAMPLE_RATE)
    for k, (kind, length) in enumerate(plan):
        end = n // HOP_LENGTH if k == len(plan) - 1 else frame + round(length * SAMPLE_RATE / HOP_LENGTH)
        start_s, end_s = frame * HOP_LENGTH / SAMPLE_RATE, end * HOP_LENGTH / SAMPLE_RATE
        gain_db = 0.0 if kind == "silence" else MIN_GAIN_DB * rng.random() ** 2  # mostly loud, sometimes faint
        before = segments[-1].detail if segments and segments[-1].kind == kind else {}  # differ from it
        if kind == "speech":
            others = [k for k in range(1, len(voices) + 1) if k != before.get("speaker")]
            if others and (rng.random() < 0.5 or len(voices) == len(ORDINALS)):
                speaker = rng.choice(others)
            else:
                voices.append(_voice(rng, rng.choice(tuple(VOICES))))
                speaker = len(voices)
            detail = {"speaker": speaker, **voices[speaker - 1], "prosody": rng.choice(PROSODIES)}
        elif kind == "music":
            form = rng.choice(("chord", "melody"))
            root = rng.choice(("C", "D", "E", "F", "G", "A", "B")) + str(rng.choice((3, 4)) + (form == "melody"))
            instrument = rng.choice([i for i in MELODIC if i != before.get("instrument")])
            quality = rng.choice(tuple(CHORD_SEMITONES))
            detail = {"instrument": instrument, "form": form, "quality": quality, "root": root,
                      "drums": rng.random() < ACCOMPANIMENT_P, "bass": rng.random() < ACCOMPANIMENT_P}
        elif kind == "sound":
            detail = {"sound": rng.choice([name for name in sorted(SOUNDS) if name != before.get("sound")])}
        else:
            detail = {}
        segment = Segment(kind, start_s, end_s, detail, round(gain_db, 2))
        if kind != "silence":
            part = _render(rng, kind, detail, end_s - start_s, 0.9 * 10 ** (gain_db / 20))
            samples[frame * HOP_LENGTH:frame * HOP_LENGTH + len(part)] = part
        if kind == "sound" and detail["sound"] in STEADY_SOUNDS and end_s - start_s >= 1.2 and rng.random() < 0.3:
            short_s = rng.uniform(0.2, 0.6)
            first = frame + round(rng.uniform(0.1, end_s - start_s - short_s - 0.1) * SAMPLE_RATE / HOP_LENGTH)
            last = first + round(short_s * SAMPLE_RATE / HOP_LENGTH)
            short_db = min(0.0, gain_db + rng.uniform(0.0, 10.0))
            short = Segment("sound", first * HOP_LENGTH / SAMPLE_RATE, last * HOP_LENGTH / SAMPLE_RATE,
                            {"sound": rng.choice(SHORT_SOUNDS)}, round(short_db, 2))
            part = _render(rng, "sound", short.detail, short.end - short.start, 0.9 * 10 ** (short_db / 20))
            at = first * HOP_LENGTH
            samples[at:at + len(part)] = [a + b for a, b in zip(samples[at:at + len(part)], part)]
            overlays.append(short)
        segments.append(segment)
        frame = end
    background = None
    if rng.random() < BACKGROUND_P:
        background = {"exponent": round(rng.uniform(0.0, 2.5), 2), "below_db": round(rng.uniform(*BACKGROUND_DB), 1)}
        if rng.random() < BED_P:  # a steady sound under everything: rain on the window, a fridge's hum
            background["sound"] = rng.choice(STEADY_SOUNDS)
            noise = sound(background["sound"], n / SAMPLE_RATE, rng.randrange(2**32), 0.9)
        else:
            noise = coloured_noise(n / SAMPLE_RATE, background["exponent"], rng.randrange(2**32), 0.9)
        for s in segments:
            if s.kind != "silence":
                level = 10 ** ((s.gain_db - background["below_db"]) / 20)
                i, j = round(s.start * SAMPLE_RATE), round(s.end * SAMPLE_RATE)
                samples[i:j] = [a + level * b for a, b in zip(samples[i:j], noise[i:j])]
    room = None
    if rng.random() < ROOM_P:
        room = {"rt60_s": round(rng.uniform(*RT60_S), 2), "wet": round(rng.uniform(*WET_LEVEL), 2)}
        samples = reverb(samples, room["rt60_s"], room["wet"])
    peak = max(map(abs, samples)) or 1.0
    floor = None
    if rng.random() < FLOOR_P:  # a recording's own noise (room, microphone, dither) under everything, silence too
        floor = {"exponent": round(rng.uniform(0.0, 2.0), 2), "below_db": round(rng.uniform(*FLOOR_DB), 1)}
        noise = coloured_noise(n / SAMPLE_RATE, floor["exponent"], rng.randrange(2**32), 0.9)
        level = peak / 0.9 * 10 ** (-floor["below_db"] / 20)
        samples = [a + level * b for a, b in zip(samples, noise)]
    line = rng.random() < TELEPHONE_P
    if line:
        samples = telephone(samples)
        peak = max(map(abs, samples)) or 1.0
    scale = rng.uniform(0.3, 0.95) / peak
    samples = [v * scale for v in samples]
    codec = "mu-law" if rng.random() < CODEC_P else None
    if codec:
        samples = mu_law(samples)
    segments, overlays = tuple(segments), tuple(overlays)
    return Clip(seed, samples, segments, overlays, caption(segments, overlays, rng.randrange(2**32)), background,
                floor, codec, room, line)


def frame_labels(segments, n_frames):
    """The kind of every 10-ms log-Mel frame, as an index into KINDS: (n_frames,) ints.

    Frame t is centred at t * HOP_LENGTH / SAMPLE_RATE seconds (Whisper's STFT is centred); it takes the kind of
    the segment holding that time. Frames past the last segment (padding to 30 s) are silence.
    """
    check_int("n_frames", n_frames, 0)
    if not isinstance(segments, (list, tuple)) or not all(isinstance(s, Segment) for s in segments):
        raise AudiollmError("segments must be a list of corpus.Segment, e.g. clip.segments")
    labels, k = [], 0
    for t in range(n_frames):
        time_s = t * HOP_LENGTH / SAMPLE_RATE
        while k < len(segments) and segments[k].end <= time_s:
            k += 1
        labels.append(KINDS.index(segments[k].kind) if k < len(segments) else KINDS.index("silence"))
    return labels


def label_prompts(field, value):
    """Texts describing one label value, for zero-shot retrieval: label_prompts("sound", "rain") ->
    ("the sound of rain", "rain", ...). field: a key of PROMPTS (kind, sound, instrument, quality, prosody, voice)."""
    if field not in PROMPTS:
        raise AudiollmError(f"field must be one of {tuple(PROMPTS)}, got {field!r}")
    if value not in PROMPTS[field]:
        raise AudiollmError(f"value for {field} must be one of {tuple(PROMPTS[field])}, got {value!r}")
    return PROMPTS[field][value]
