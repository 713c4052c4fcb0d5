"""What a question needs from the audio (lesson: "Cascaded vs end-to-end", "2026 production recipe").

The picker decides from the set of needs a question expresses, each found on its own: the spoken words,
how they are said (paralinguistics), several speakers, music, environmental sound, timing, streaming
speech in and out, and a novel judgement (deepfake, spoofing, artifacts). find_needs() reads the question
word by word against one vocabulary:

- data/sound_words.txt for music and environmental sound, derived from the AudioSet ontology's class
  names (CC BY-SA 4.0; data/make_sound_words.py derives it);
- hand-made tables below for every need (for music and sound, product words such as "tempo" and
  "background sound", which AudioSet's class names lack, and "song": the ontology has a Song class, but
  make_sound_words.py skips it on purpose so that the hand table's strong music entry decides); a hand
  entry replaces an AudioSet one with the same words;
- cues, which say the question is about audio without asking anything of it ("recording", "voicemail"),
  persons ("the caller", "she"), negations ("no", "without", "ignore") and neutral phrases that keep a
  word from being read as a sound ("language model", "sales pitch").

Words match whole, in any inflection (bark, barks, barking, barked), never as substrings. At each word the
longest entry wins, so "background music" is music and not the background, "key points" are words and not
a musical key. A weak entry ("~": a dog, a car, the rain, a feeling) counts only if the question also says
it is about audio (a cue or a strong entry; for the needs in PERSON_NEEDS a person will do), so
"will it rain tomorrow" finds nothing while "is it raining in this recording" finds environmental sound.

    found = find_needs("Is there glass breaking in this security recording?")
    found.needs     # frozenset({'environment'})
    found.evidence  # (('environment', ('glass breaking',)),)
"""
import os
import re
from dataclasses import dataclass
from functools import lru_cache

NEEDS = {
    "words": "the spoken words",
    "paralinguistics": "how it is said: emotion, tone, speaker identity, accent, gender, age",
    "speakers": "several speakers: who spoke, how many, turns",
    "music": "music",
    "environment": "environmental sound, acoustic scene",
    "timing": "when things happen (temporal grounding)",
    "streaming": "streaming speech in, speech out",
    "novel": "a judgement of authenticity or artifacts (deepfake, spoofing, artifacts) that general audio-LLMs "
             "are not trained for: open anti-spoofing models exist, a new artifact needs fine-tuning",
}
ACOUSTIC = frozenset({"paralinguistics", "speakers", "music", "environment", "novel"})  # a transcript loses these
SOUND = frozenset({"music", "environment", "novel"})  # where Whisper's speech-dominant training is weak
PERSON_NEEDS = frozenset({"words", "paralinguistics", "speakers", "timing"})  # "did she sound nervous"
MARKERS = {  # entries that are no need; what each says
    "cue": "says the question is about audio",
    "speech": "says the audio is speech, a voicemail or a podcast: its words are the default question",
    "event": "names a spoken event (a meeting, a call): about audio, and speech if a cue says it was recorded",
    "person": "names a person (enough context for words, paralinguistics, speakers, timing)",
    "general": "asks for everything in the audio: what was said and what was heard",
    "topic": "after a question about the words or the voice (\"complain about\", \"worried about\"), makes the "
             "need that follows within 3 words a topic, not something to hear",
    "task": "names a task on a thing (buy, learn, fix, record): the need or spoken event that follows within 3 "
            "words is its object, not something to hear",
    "not": "negates the need that follows within 3 words",
    "none": "a neutral phrase: keeps its words from being read as a need",
}
NEGATION_SPAN = 3  # a negation reaches this many words ahead
DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "sound_words.txt")

# The hand-made vocabulary. Entries are comma-separated words or phrases in any inflection; "~" marks a weak
# entry, "#" matches any number, "$" the end of a sentence, "=word" that exact form only (no inflection).
VOCABULARY = {
    "words": """
        transcribe, transcript, transcription, transcriber, subtitle, subtitling, caption, captioning,
        closed captions, dictate, dictation, dictaphone, speech to text, voice to text, stt, asr, speech recognition,
        voice typing, write down, write out, write up, type out, type up, into text, to text, as text, in text,
        in writing, text version, written version, read it, can read, to read, word for word, verbatim, exact words,
        exact wording, what was said, what is said, what is being said, ~say, ~said, ~quote, ~quotation, ~mention,
        ~keyword, ~key words, ~key phrase, ~key term, ~key points, ~main points, ~talking points, ~bullet points,
        ~takeaways, ~summary, ~summarise, ~summarize, ~summarisation, ~summarization, ~sum up, ~recap, ~gist, ~tldr,
        ~tl dr, ~overview, ~outline, ~highlights, meeting minutes, the minutes, take minutes, write minutes,
        minutes of, take notes, meeting notes, lecture notes, show notes, notes from, notes on, ~notes, action items,
        action item, action points, ~to do list, ~to dos, ~todo, ~next steps, ~follow up, ~follow ups, ~decisions,
        ~decided, ~agreed, ~commitments, ~deadline, questions asked, questions were asked, ~what questions,
        ~which questions, ~ask, ~question, ~translate, ~translation, ~translator, ~language, spoken language,
        what language, which language, ~english, ~spanish, ~french, ~german, ~chinese, ~mandarin, ~japanese, ~hindi,
        ~arabic, ~portuguese, ~italian, ~russian, ~korean, ~topic, ~subject, ~discuss, ~discussion, talk about,
        talking about, talked about, speak about, spoke about, ~about $, what is it about, ~content, ~sentiment,
        ~intent, ~complain, ~complaint, profanity, swear words, swearing, curse words, cursing, ~names,
        ~phone number, ~address, ~search, ~instructions, ~answer, ~reply, ~promise, ~claim, fact check, ~words,
        ~word, how many words, wording, ~spell, spelling, ~read, ~reads, read out, ~announce, ~announcement,
        ~explain, ~argument, ~joke
    """,
    "paralinguistics": """
        emotion, emotional, emotive, ~feel, ~feeling, ~felt, ~mood, ~tone, tone of voice, intonation, prosody,
        prosodic, sound like, ~nervous, ~nervousness, ~anxious, ~anxiety, ~confident, ~confidence, ~unsure,
        ~uncertain, ~hesitant, ~hesitation, ~hesitate, ~angry, ~anger, ~furious, ~irritated, ~annoyed, ~frustrated,
        ~frustration, ~upset, ~sad, ~sadness, ~unhappy, ~happy, ~joy, ~joyful, ~cheerful, ~excited, ~excitement,
        ~enthusiastic, ~enthusiasm, ~bored, ~boredom, ~tired, ~exhausted, ~sleepy, ~calm, ~relaxed, ~tense,
        ~stressed, ~stress level, ~scared, ~afraid, ~fear, ~fearful, ~frightened, ~panic, ~worried, ~surprised,
        ~disgust, ~disgusted, ~sarcastic, ~sarcasm, ~ironic, ~joking, ~sincere, ~sincerity, ~honest, ~lying,
        ~deceptive, ~deception, ~polite, ~rude, ~aggressive, ~hostile, ~friendly, ~empathetic, ~empathy, ~satisfied,
        ~dissatisfied, ~satisfaction, ~attitude, ~vibe, ~energy, ~energetic, ~smiling, ~depressed, ~emotional state,
        ~mental state, speaking style, speaking rate, speech rate, speaking speed, ~pace, ~talk fast, ~pitch,
        voice pitch, pitch of voice, high pitched, low pitched, ~emphasis, stutter, stammer, slurred, slurring,
        ~drunk, ~intoxicated, ~sick, hoarse, raspy, breathy, mumble, ~fluent, ~fluency, native speaker, accent,
        dialect, ~regional, ~gender, ~male, ~female, man or woman, woman or man, man or a woman, woman or a man, male or female, female or male,
        ~age, how old, ~young, ~elderly, child or adult, ~adult, speaker identity, identify the speaker,
        who is the speaker, same person, same speaker, same voice, voice match, voiceprint, speaker verification,
        speaker recognition, speaker identification, recognize the voice, recognise the voice, whose voice,
        ~voice of, ~celebrity, ~voice quality, ~personality, voice biometrics
    """,
    "speakers": """
        =speakers, diarize, diarise, diarization, diarisation, who spoke, who speaks, who was speaking,
        who is talking, who was talking, who talks, who talked, speaker turns, speaker change, speaker labels,
        speaker label, each speaker, every speaker, ~which speaker, both speakers, all the speakers, other speaker,
        other person, second speaker, first speaker, # =speakers, # people, # voices, how many people,
        how many speakers, how many voices, how many persons, number of speakers, number of people, number of voices,
        count the speakers, different people, different speakers, different voices, multiple speakers,
        multiple voices, multiple people, several speakers, several voices, several people, people talking,
        people speaking, people are talking, people are speaking, more than one person, more than one speaker,
        more than one voice, interrupt, interruption, talk over, talking over, crosstalk, cross talk,
        overlapping speech, ~overlap, turn taking, take turns, each person, each participant, host and guest,
        interviewer and interviewee, who is who, speaker separation, speaker names, anyone else, anybody else,
        someone else, other people, ~dominate, talked the most, spoke the most, talks the most, speaks the most,
        talk time, talking time, speaking time, share of voice
    """,
    "music": """
        song, tune, ~album, ~playlist, ~artist, ~band, chord progression, what key, which key, musical key,
        key signature, tempo, bpm, beats per minute, rhythm, time signature, instrumental, instrumentation, singer,
        vocals, vocalist, sing, sung, rapper, karaoke, remix, ~dj, ~mix, music video, theme song, intro music,
        outro music, ~chorus, ~verse, what note, which note, notes played, note played, high note, low note,
        symphony, concerto, sonata, ~concert, live music, ~cover, style of music, what song, which song,
        name that tune, shazam, ~melodic, ~musician
    """,
    "environment": """
        background sound, ~background, in the background, ambient noise, ambient sound, ambience, ambiance,
        soundscape, acoustic scene, sound event, audio event, acoustic event, audio scene, sound classification,
        sound detection, what sounds, which sounds, any sounds, other sounds, non speech sounds, the sounds,
        identify sounds, what sound, which sound, what kind of sound, noisy, ~environment, ~surroundings, ~setting,
        ~scene, ~location, where was this recorded, where was it recorded, where is this, recorded in, indoors,
        outdoors, ~inside or outside, ~outside, ~inside, ~street, ~office, ~kitchen, ~restaurant, ~cafe, ~park,
        ~beach, ~forest, ~airport, ~station, ~factory, ~construction, ~party, glass breaking, breaking glass,
        glass shattering, shattering glass, broken glass, alarm going off, car crash, ~accident, ~collision, scream,
        ~machine, machinery, ~appliance, ~wildlife, ~species, ~weather, reverb, room acoustics, ~acoustics, ~fall,
        ~fell
    """,
    "timing": """
        ~when, ~at what time, ~what time, what second, which second, what minute, which minute, at minute #,
        minute #, # minute, # second, # min, # sec, # hour, #time, timestamp, time stamp, time stamped, timecode,
        time code, ~timing, ~timeline, ~how long, ~duration, ~how often, ~how many times, first minute, last minute,
        first second, last # minutes, first # minutes, at the beginning, at the start, at the end, in the beginning,
        in the middle, ~start, ~begin, ~before, ~after, right before, right after, just before, just after,
        in what order, ~order, ~sequence, ~locate, where in, at which point, at what point, ~moment, ~segment,
        ~onset, ~chronological, ~earlier, ~later, ~intro, ~outro, ~second half, ~first half, ~halfway, ~until, ~since
    """,
    "streaming": """
        real time, realtime, ~live, ~streaming, ~stream, low latency, ~latency, ~instant, ~instantly, as i speak,
        while i speak, while i talk, as they speak, as it happens, on the fly, voice assistant, voice agent,
        voice bot, voicebot, voice chatbot, ~assistant, ~chatbot, talk back, speak back, answer out loud,
        respond out loud, reply out loud, reply by voice, respond by voice, answer by voice, speech to speech,
        voice to voice, full duplex, duplex, barge in, ~conversational agent, conversational ai, ~ivr, phone bot,
        ~simultaneous interpretation, voice interface, voice mode, voice chat, ~talk to, ~talk with, ~alexa, ~siri,
        ~spoken dialogue, hands free
    """,
    "novel": """
        deepfake, deep fake, ~fake, spoof, spoofing, anti spoofing, ~synthetic, synthetic voice, synthetic speech,
        ~synthesized, ~synthesised, ai generated, generated by ai, made by ai, made with ai, created by ai, ai voice, voice changer, machine generated, generated voice, generated speech,
        computer generated, voice clone, voice cloning, cloned voice, ~cloned, ~clone, ~real or fake,
        real or generated, ~human or ai, ~human or machine, ~authentic, authenticity, ~genuine, ~tampered, tampering,
        ~manipulated, ~edited, splice, spliced, splicing, ~forged, forgery, ~artifact, artefact,
        compression artifact, codec artifact, ~codec, ~glitch, ~clipping, ~audio quality, quality assessment,
        ~watermark, watermarking, replay attack, liveness, voice conversion, impersonation, impersonate, ~robotic,
        ~anomaly, ~anomalous, ~abnormal
    """,
}
MULTI = {  # entries that express two needs at once
    "lyrics": ("words", "music"),
    "lyric": ("words", "music"),
    "pronunciation": ("words", "paralinguistics"),
    "pronounce": ("words", "paralinguistics"),
    "mispronounce": ("words", "paralinguistics"),
    "who said": ("words", "speakers"),
    "who says": ("words", "speakers"),
    "who said what": ("words", "speakers"),
    "who is speaking": ("paralinguistics", "speakers"),
    "who is this speaker": ("paralinguistics", "speakers"),
    "live captions": ("words", "streaming"),
    "live transcription": ("words", "streaming"),
    "live translation": ("words", "streaming"),
    "live subtitles": ("words", "streaming"),
    "simultaneous translation": ("words", "streaming"),
    "the part where": ("words", "timing"),
    "chapters": ("words", "timing"),
    "chapter markers": ("words", "timing"),
    "song about": ("words", "music"),
}
MARKER_WORDS = {
    "cue": """
        audio, sound, hear, listen, audible, clip, audio clip, sound clip, snippet, wav, m4a, flac, ogg, tape,
        footage, cctv, mic, headset, earbuds, voice, vocal, talking, speak, speaking, spoke, spoken, dialogue,
        dialog, discussion, broadcast, tv, video, movie, film, youtube, loud, loudly, quiet, quietly, volume,
        acoustic, microphone, baby monitor, intercom, dashcam, bodycam, =playing, =plays, track
    """,
    "speech": """
        voicemail, voice mail, voice message, voice note, voice memo, podcast, audiobook, dictation, newscast,
        radio show, talk show, narration, monologue, phone call, sales call, support call, earnings call,
        call center, call centre, contact center, contact centre
    """,
    "event": """
        episode, lecture, meeting, call, interview, sermon, presentation, webinar, conversation, debate, panel,
        keynote, briefing, standup, stand up, press conference, hearing, testimony, deposition, talk, consultation,
        class, session, seminar, workshop, tutorial, course, town hall, all hands, appointment, therapy, negotiation,
        lesson, q and a, ama, hotline
    """,
    "person": """
        he, she, him, her, his, they, them, someone, somebody, anyone, anybody, person, people, man, woman, men,
        women, guy, lady, boy, girl, child, kid, baby, speaker, caller, customer, client, agent, rep, representative,
        operator, host, guest, narrator, presenter, announcer, interviewer, interviewee, candidate, patient, student,
        teacher, professor, lecturer, doctor, nurse, pilot, witness, suspect, officer, ceo, employee, participant,
        attendee, everyone, actor, actress
    """,
    "general": """
        ~describe, ~description, what is in this, what is in the, ~what happened, ~what happens, ~what is happening,
        ~what is going on, what can you hear, what do you hear, what did you hear, ~what is this, ~tell me about,
        audio caption, audio captioning, sound caption, ~analyze, ~analyse, ~analysis, ~understand, ~make sense of,
        ~tag, ~label, ~classify, ~categorize, ~categorise
    """,
    "topic": "about, regarding, concerning",
    "task": "buy, purchase, sell, learn, teach, fix, repair, cook, bake, =record, how to record",
    "not": """
        no, without, ignore, ignoring, except, excluding, skip, minus, don't, dont, do not, no need to, no need for,
        not interested in, rather than, instead of, other than, apart from, not asking about
    """,
    "none": """
        whisper, beats, moshi, qwen, salmonn, flamingo, audio flamingo, language model, large language model, llm,
        q former, qformer, sales pitch, elevator pitch, pitch deck, keep track, track of, track who, track how,
        track when, on track, key point, sound good, sounds good, sound right, no one, last time, this time,
        next time, at the same time, in time, any time, from scratch, the end of the day, in the end, in order to,
        live in, where do you live, how to say, say hello, training, trained, write a song, write me a song,
        compose a song, write a poem
    """,
}
NUMBER_WORDS = frozenset("""
one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen
eighteen nineteen twenty thirty forty fifty sixty ninety hundred
""".split())
TOKEN = re.compile(r"\d+:\d+|\d+(?:\.\d+)?(?:s|sec|secs|m|min|mins|h)\b|[a-z0-9]+(?:'[a-z]+)?|[.?!;]")
TIME = re.compile(r"\d+:\d+|\d+(?:\.\d+)?(?:s|sec|secs|m|min|mins|h)")
ENDS = frozenset(".?!;")
CONTRACTIONS = ("'s", "'re", "'ll", "'ve", "'m", "'d")


def tokens(text):
    """Lower-case words of text, in order: possessives and contractions cut ("caller's" -> "caller"), a time
    ("1:23", "90s", "3min") as "#time", a number as itself, the end of each sentence (and of the text) as "$"."""
    out = []
    for tok in TOKEN.findall(text.lower().replace("\u2019", "'")):
        if tok in ENDS:
            tok = "$"
        elif TIME.fullmatch(tok):
            tok = "#time"
        elif tok.endswith(CONTRACTIONS):
            tok = tok[:tok.rindex("'")]
        if tok != "$" or (out and out[-1] != "$"):
            out.append(tok)
    if out and out[-1] != "$":
        out.append("$")
    return out


@lru_cache(maxsize=4096)
def forms(word):
    """The base forms a word may be an inflection of, itself included: the plural -s, -es, -ies, the -ing
    and -ed of a verb (a doubled consonant undone, a dropped e put back), adverbs in -ly, nouns in -ness.

    Two words match when their forms meet: "barking" -> {barking, bark, barke} meets "bark"; "note" and
    "not" never meet (no rule removes an e), so matching is by whole words, never by substrings.
    """
    out = {word}
    if len(word) <= 3 or not word.isalpha():
        return frozenset(out)
    if word.endswith("ies"):
        out.add(word[:-3] + "y")
    elif word.endswith(("ses", "xes", "zes", "ches", "shes")):
        out.add(word[:-2])
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        out.add(word[:-1])
    if word.endswith("ied"):
        out.add(word[:-3] + "y")
    for suffix in ("ing", "ed"):
        stem = word[:-len(suffix)]
        if word.endswith(suffix) and len(stem) >= 3 and any(v in stem for v in "aeiouy") and not word.endswith("eed"):
            out.update((stem, stem + "e"))
            if stem[-1] == stem[-2] and stem[-1] not in "aeiouls":
                out.add(stem[:-1])
    if word.endswith("ily"):
        out.add(word[:-3] + "y")
    elif word.endswith("ly") and len(word) > 5:
        out.add(word[:-2])
    if word.endswith("ness") and len(word) > 6:
        out.add(word[:-4])
    return frozenset(out)


@dataclass(frozen=True)
class Entry:
    """One vocabulary entry: its words as written, what it signals (needs, or one MARKERS key), whether it
    is weak, and where it comes from ("hand" or "AudioSet")."""

    words: tuple
    needs: tuple
    weak: bool
    source: str


def parse_entries(text):
    """Comma-separated entries -> [(words tuple, weak)]; "~" marks a weak entry."""
    out = []
    for item in text.replace("\n", " ").split(","):
        item = " ".join(item.split())
        if item:
            weak = item.startswith("~")
            out.append((tuple(item.lstrip("~").replace("-", " ").split()), weak))
    return out


def read_sound_words(path=DATA):
    """data/sound_words.txt -> [(words, need, weak, branch)] in file order."""
    out, need, branch = [], None, None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("["):
                branch, need = line[1:].split("] ")
                continue
            for words, weak in parse_entries(line.split("<-")[0]):
                out.append((words, need, weak, branch))
    return out


@lru_cache(maxsize=1)
def lexicon():
    """Every entry, keyed by its words; a hand entry replaces an AudioSet one with the same words."""
    table = {}
    for words, need, weak, _ in read_sound_words():
        table[words] = Entry(words, (need,), weak, "AudioSet")
    for need, text in VOCABULARY.items():
        for words, weak in parse_entries(text):
            table[words] = Entry(words, (need,), weak, "hand")
    for phrase, needs in MULTI.items():
        table[tuple(phrase.split())] = Entry(tuple(phrase.split()), needs, False, "hand")
    for marker, text in MARKER_WORDS.items():
        for words, weak in parse_entries(text):
            table[words] = Entry(words, (marker,), weak, "hand")
    return table


@lru_cache(maxsize=1)
def _index():
    """First-word base form -> the entries starting with it (the lookup of the matcher)."""
    index = {}
    for entry in lexicon().values():
        for form in _word_forms(entry.words[0]):
            index.setdefault(form, []).append(entry)
    return index


def _word_forms(word):
    """The forms a vocabulary word matches: "=word" only itself, "#" a number, else its inflection forms."""
    if word.startswith("="):
        return frozenset({word})
    return forms(word)


def _token_forms(token):
    """The forms a question word offers: its inflection forms, "=" + itself, and "#" for a number."""
    extra = {"=" + token}
    if token.isdigit() or token in NUMBER_WORDS:
        extra.add("#")
    return forms(token) | extra


def _match_at(toks, i):
    """The best entry starting at toks[i]: (entry, n_words) or None. Longest first; then the one whose
    words are matched exactly rather than as inflections; then a hand entry over an AudioSet one."""
    best, best_key = None, None
    for form in _token_forms(toks[i]):
        for entry in _index().get(form, ()):
            n = len(entry.words)
            if i + n > len(toks):
                continue
            if all(_word_forms(w) & _token_forms(t) for w, t in zip(entry.words, toks[i:i + n])):
                exact = sum(w in (t, "=" + t) for w, t in zip(entry.words, toks[i:i + n]))
                key = (n, exact, entry.source == "hand")
                if best_key is None or key > best_key:
                    best, best_key = entry, key
    return None if best is None else (best, len(best.words))


@dataclass(frozen=True)
class Found:
    """What a question needs.

    needs: frozenset of NEEDS keys. evidence: ((need, (phrase, ...)), ...) in NEEDS order, the question's
    own words behind each need. implied: ((need, why), ...) for needs added by the fallbacks of
    find_needs. ignored: ((phrase, why), ...) for entries found but not counted (negated, a topic, or weak
    without audio context).
    """

    needs: frozenset
    evidence: tuple
    implied: tuple
    ignored: tuple


SCOPES = {"not": "negated", "topic": "a topic, not something to hear", "task": "a topic, not something to hear"}


def _scan(toks):
    """Greedy longest-match over the words: [(entry, surface phrase, why it is not counted or "")] in question
    order. A "not" or "task" marker reaches the first need entry within NEGATION_SPAN words after it; so does
    a "topic" marker ("about") that follows a need for the words or the voice ("she complained about ...")."""
    hits, i, scope, until = [], 0, None, -1
    while i < len(toks):
        match = _match_at(toks, i)
        if match is None:
            i += 1
            continue
        entry, n = match
        surface, kind = " ".join(toks[i:i + n]), entry.needs[0]
        if kind in SCOPES and (kind != "topic" or any(
                not why and {"words", "paralinguistics"} & set(e.needs) for e, _, why in hits)):
            scope, until = kind, i + n + NEGATION_SPAN
        elif i < until and (kind in NEEDS or (scope == "task" and kind in ("speech", "event"))):
            hits.append((entry, surface, SCOPES[scope]))
            until = -1
        else:
            hits.append((entry, surface, ""))
        i += n
    return hits


def find_needs(question):
    """The needs a question expresses, each with the words that triggered it (a Found).

    Then three fallbacks, each recorded in Found.implied: streaming with nothing else to do needs the words
    (a voice assistant hears what is said); timing or a general ask ("what happened", "describe this")
    with no content need locates or describes what was said and heard (words and environmental sound),
    or only what was said if the audio is named as speech (a voicemail, or a meeting a cue says was
    recorded); a question that names speech and asks nothing else wants its words. No need at all: an
    empty Found, never a guess.
    """
    hits = _scan(tokens(question))
    markers = {entry.needs[0] for entry, _, why in hits if entry.needs[0] in MARKERS and not why}
    strong = any(not e.weak and not scoped and e.needs[0] in NEEDS for e, _, scoped in hits)
    audio = strong or bool(markers & {"cue", "speech", "event"})
    speech = "speech" in markers or {"event", "cue"} <= markers
    evidence, ignored = {}, []
    general = False
    for entry, surface, scoped in hits:
        kind = entry.needs[0]
        context = audio or ("person" in markers and any(n in PERSON_NEEDS for n in entry.needs))
        if kind == "general":
            general = general or audio or not entry.weak
        elif kind not in NEEDS:
            continue
        elif scoped:
            ignored.append((surface, scoped))
        elif entry.weak and not context:
            ignored.append((surface, "weak, and nothing says the question is about audio"))
        else:
            for need in entry.needs:
                evidence.setdefault(need, []).append(surface)
    implied = []
    content = set(evidence) - {"timing", "streaming"}
    if not content and "streaming" in evidence:
        implied.append(("words", "a streaming voice interface hears what is said"))
    elif not content and (general or "timing" in evidence or speech):
        if speech:
            implied.append(("words", "the audio is named as speech, so its words are what is asked"))
        else:
            implied += [("words", "what to find is not named: it may be something said"),
                        ("environment", "or something heard")]
    needs = frozenset(evidence) | {need for need, _ in implied}
    return Found(
        needs=needs,
        evidence=tuple((n, tuple(dict.fromkeys(evidence[n]))) for n in NEEDS if n in evidence),
        implied=tuple(implied), ignored=tuple(ignored))
