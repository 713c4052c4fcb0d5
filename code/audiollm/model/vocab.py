"""The words the models know (lesson: "Audio Q-former", its alignment stage): the timeline's kinds, the names of
instruments and sounds, the caption language the Listener's text encoder reads and the prompts it names detail by.

The Listener's vocabulary is every word these phrases can write (listener.vocabulary); the synthetic corpus
(audiollm.synthetic.corpus) writes its captions in this language, and the timeline names detail with PROMPTS.
"""
KINDS = ("speech", "music", "sound", "silence")  # the timeline's classes, in frame_labels' index order
QUALITIES = ("major", "minor")  # a chord or melody's mode

# Caption phrases: several for each thing, chosen at random per clip.
INSTRUMENT_NAMES = {
    "organ": ("an organ",), "clarinet": ("a clarinet",), "string": ("a string section", "a bowed string"),
    "flute": ("a flute",), "brass": ("a brass section", "a horn"), "sine": ("a sine-wave synth",),
    "sawtooth": ("a sawtooth synth",),
    "square": ("a square-wave synth",), "triangle": ("a triangle-wave synth",),
    "pluck": ("a plucked string", "a guitar-like pluck"), "piano": ("a piano",), "bell": ("a bell", "chimes"),
    "drums": ("drums", "a drum kit"),
}
ACCOMPANIMENT = {"drums": ("with drums", "over a drum beat"), "bass": ("with a bass line", "over a bass line")}
SOUND_PHRASES = {
    "knock": ("a knock", "knocking", "someone knocking on a door"),
    "rain": ("rain", "rain falling", "the patter of rain"),
    "siren": ("a siren", "a wailing siren"), "bark": ("a dog barking", "barking"),
    "engine": ("an engine", "an engine running"), "applause": ("applause", "people clapping"),
    "glass": ("glass clinking", "clinks of glass"), "wind": ("wind", "wind blowing", "gusts of wind"),
    "hum": ("a hum", "an electrical hum", "a low buzz"), "hiss": ("a hiss", "static", "steady noise"),
    "rumble": ("a rumble", "a low rumble"), "sweep": ("a sweeping tone", "electronic chirps"),
    "whoosh": ("a whoosh", "whooshing"), "clatter": ("clatter", "things clattering"),
    "beep": ("beeping", "an alarm beeping", "electronic beeps"),
    "ring": ("a phone ringing", "a telephone ring", "ringing"),
    "tone": ("a telephone tone", "a ring-back tone", "a busy signal", "a dial tone"),
    "click": ("clicking", "a camera shutter", "keys clicking"),
    "crumple": ("paper crumpling", "rustling", "crumpled paper"),
}
SILENCE_PHRASES = ("a pause", "silence", "a moment of silence", "a short silence")
SPEECH_TEMPLATES = ("{a} {prosody} {voice} voice speaks", "someone speaks {adverb} in a {voice} voice",
                    "a {voice} voice talks {adverb}", "{prosody} speech in a {voice} voice")
NEW_SPEAKER_TEMPLATES = ("another {voice} voice answers {adverb}", "a {ordinal} speaker, {a} {prosody} {voice} voice")
RETURNING_SPEAKER_TEMPLATES = ("the {ordinal} speaker again, {adverb}", "the {ordinal} voice speaks again, {adverb}")
ORDINALS = ("first", "second", "third", "fourth")
CHORD_TEMPLATES = ("{instrument} plays a {quality} chord", "a {quality} chord on {instrument}")
MELODY_TEMPLATES = ("{instrument} plays a short {quality} melody", "a melody in a {quality} key on {instrument}")
OVERLAY_TEMPLATE = "{bed}, with {short} {where}"
WHERE = ("near the start", "in the middle", "near the end")  # which third of the sound the short one falls in
JOINS = (", then ", "; after that, ", ", and then ", ". Then ")
ADVERBS = {"calm": "calmly", "excited": "excitedly"}

# The families the timeline names (issue 19: name only what the model can tell). A real instrument is never called
# by a synthesizer's waveform: every bare oscillator is "synth". Each family pools its members' PROMPTS.
FAMILIES = {
    "instrument": {"keyboard": ("organ", "piano"), "plucked": ("pluck",), "bowed": ("string",),
                   "wind": ("clarinet", "flute", "brass"), "percussion": ("bell", "drums"),
                   "synth": ("sine", "sawtooth", "square", "triangle")},
    "sound": {"nature": ("rain", "wind", "whoosh"), "machine": ("engine", "hum", "hiss", "rumble"),
              "alarm": ("siren", "sweep", "beep", "ring", "tone"),
              "impact": ("knock", "glass", "clatter", "click", "crumple"), "animal": ("bark",),
              "crowd": ("applause",)},
}
FAMILY_OF = {field: {value: family for family, values in families.items() for value in values}
             for field, families in FAMILIES.items()}  # {"instrument": {"piano": "keyboard", ...}, "sound": {...}}

# Texts for zero-shot retrieval (CLAP-style): a few phrasings of each label value.
PROMPTS = {
    "kind": {
        "speech": ("someone speaking", "a person talking", "speech"),
        "music": ("music", "a musical instrument playing", "a melody or a chord"),
        "sound": ("an environmental sound", "a noise in the world", "a sound effect"),
        "silence": ("silence", "nothing at all", "a quiet pause"),
    },
    "sound": {name: (f"the sound of {phrases[0]}", *phrases) for name, phrases in SOUND_PHRASES.items()},
    "instrument": {name: (f"the sound of {names[0]}", f"music played on {names[0]}", *names)
                   for name, names in INSTRUMENT_NAMES.items()},
    "quality": {q: (f"a {q} chord", f"music in a {q} key") for q in QUALITIES},
    "prosody": {"calm": ("a calm voice", "someone speaking calmly"),
                "excited": ("an excited voice", "someone speaking excitedly")},
    "voice": {"low": ("a low voice", "a deep voice"), "high": ("a high voice", "a high-pitched voice")},
}
