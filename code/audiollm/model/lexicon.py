"""Questions phrased any way (lesson: "Instruction stage"; what a real audio-LLM gets from its pre-trained text
model for free): a learner's words mapped to the micro audio-LLM's before it reads them, and the form the
answer must take.

A word the model was never trained on would reach it as <unk>. Instead, before the model:
    1. each word it knows stays;
    2. an unknown word or phrase in data/question_words.txt (hand-written synonyms: "talking" -> "speaking",
       "song" -> "music", "end" -> "last") becomes the known words it stands for; a music word of the picker's
       AudioSet-derived data/sound_words.txt ("guitar", "violin", "orchestra") becomes "music";
    3. an unknown word that is an inflection of a known one ("instruments", "barked") becomes that one;
    4. any other word is dropped (and reported).
The question must still name something the model was trained to answer about (PLACES: speech, music, a sound,
first or last, instrument, mode, mood, a time, speakers, or what is heard); if it names none, the model is not
asked: the answer is the refusal.

The answer's form follows the question's (answer_form), and decoding is held to it (answer_grammar): "is there
...", "does ...", "can you hear ..." take yes or no; "x or y" takes x or y; "how many" a count; "when" a number
of seconds; any other question the answer words (kinds in order, an instrument, a mode, a mood).
"""
import os
import re

from .vocab import SOUND_PHRASES

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data")
QUESTION_WORDS = os.path.join(DATA, "question_words.txt")
SOUND_WORDS = os.path.join(DATA, "sound_words.txt")
KIND_WORDS = ("speech", "music", "sound", "silence")
COUNTS = ("none", "one", "two", "three", "four")
SECONDS = tuple(str(s) for s in range(31))
OPEN_WORDS = ("speech", "music", "sound", "nothing", "organ", "clarinet", "string", "flute", "brass", "sine",
              "sawtooth", "square", "triangle", "pluck", "piano", "bell", "major", "minor", "calm", "excited")
ANSWER_WORDS = ("yes", "no", "then", "seconds", *COUNTS, *SECONDS, *OPEN_WORDS)
YES_NO_OPENERS = frozenset("is are was were does do did can could will would has have had any there".split())
MAX_LIST = 6      # kinds in a "then" list at most
EOS = "<eos>"
PLACES = frozenset("hear heard describe happens happen speech speaking speak speaks voice voices someone anyone talk "
                   "music instrument playing play plays first last start begin major minor key calm excited when "
                   "time speakers people how many sound sounds contain clip recording".split()) | \
    {w for phrases in SOUND_PHRASES.values() for p in phrases for w in re.findall("[a-z]+", p)} - \
    {"a", "an", "the", "of", "on", "someone", "people"}
WORD = re.compile(r"[a-z0-9]+")


def words_of(text):
    """Lower-case words and numbers of a text, punctuation dropped: "Is there MUSIC?" -> ["is", "there", "music"]."""
    return WORD.findall(text.lower())


def read_synonyms(path=QUESTION_WORDS, sound_path=SOUND_WORDS):
    """{other word or phrase (tuple of words): known words (tuple)} from question_words.txt, with every music
    entry of sound_words.txt (its sections whose need is "music") standing for ("music",)."""
    table = {}
    with open(path, encoding="utf-8") as stream:
        for line in stream:
            if line.strip() and not line.startswith("#"):
                known, others = line.split("<-")
                for other in others.split(","):
                    table[tuple(words_of(other))] = tuple(words_of(known))
    need = None
    with open(sound_path, encoding="utf-8") as stream:
        for line in stream:
            line = line.strip()
            if line.startswith("["):
                need = line.rsplit(" ", 1)[1]
            elif line and not line.startswith("#") and need == "music":
                for entry in line.split("<-")[0].split(","):
                    table.setdefault(tuple(words_of(entry.replace("~", ""))), ("music",))
    return table


_SYNONYMS = {}


def synonyms():
    """read_synonyms(), read once."""
    if not _SYNONYMS:
        _SYNONYMS.update(read_synonyms())
    return _SYNONYMS


def _stem(word, known):
    """A known word that `word` inflects (plural, -ing, -ed, 's), or None."""
    for suffix, repl in (("s", ""), ("es", ""), ("ing", ""), ("ing", "e"), ("ed", ""), ("ed", "e"), ("d", "")):
        if word.endswith(suffix) and len(word) > len(suffix) + 2 and word[:-len(suffix)] + repl in known:
            return word[:-len(suffix)] + repl
    return None


def known_words(words, known, table=None):
    """A question's words -> (the words the model reads, the words dropped). known: the model's vocabulary (a
    set or dict). At each position the longest synonym phrase holding an unknown word wins."""
    table = synonyms() if table is None else table
    longest = max(map(len, table), default=1)
    out, dropped, i = [], [], 0
    while i < len(words):
        for n in range(min(longest, len(words) - i), 0, -1):
            phrase = tuple(words[i:i + n])
            if phrase in table and (n > 1 and not all(w in known for w in phrase) or n == 1 and phrase[0] not in known):
                out += [w for w in table[phrase] if w in known]
                i += n
                break
        else:
            word = words[i]
            stem = word if word in known else _stem(word, known)
            if stem is None:
                dropped.append(word)
            else:
                out.append(stem)
            i += 1
    return out, dropped


def placed(words):
    """Whether the (known) words name something the model was trained to answer about."""
    return any(w in PLACES or w in OPEN_WORDS for w in words)


def answer_form(words, typed=None):
    """The form a question's answer must take, from its (known) words and the words as typed (the opener may
    be one the model does not know: "did", "were"): ("yes/no",), ("choice", a, b), ("count",), ("seconds",)
    or ("open",)."""
    if "or" in words:
        k = words.index("or")
        before = [w for w in words[:k] if w in OPEN_WORDS]
        after = [w for w in words[k + 1:] if w in OPEN_WORDS]
        if before and after and before[-1] != after[0]:
            return ("choice", before[-1], after[0])
    pairs = list(zip(words, words[1:]))
    if ("how", "many") in pairs:
        k = pairs.index(("how", "many"))
        return ("seconds",) if words[k + 2:k + 3] == ["seconds"] else ("count",)
    if "when" in words or ("what", "time") in pairs:
        return ("seconds",)
    if words and words[0] in YES_NO_OPENERS or typed and typed[0] in YES_NO_OPENERS:
        return ("yes/no",)
    return ("open",)


def answer_grammar(form):
    """The answer's grammar: a function of (the answer words so far, the thought or None) -> the words allowed
    next (EOS ends the answer)."""
    kind = form[0]
    if kind in ("yes/no", "choice", "count"):
        first = {"yes/no": ("yes", "no"), "count": COUNTS}.get(kind, form[1:])
        return lambda so_far, thought=None: first if not so_far else (EOS,)
    if kind == "seconds":
        return lambda so_far, thought=None: SECONDS if not so_far else ("seconds",) if len(so_far) == 1 else (EOS,)

    def open_answer(so_far, thought=None):
        if so_far and so_far[-1] == "then":  # a list names each change of kind: never one kind twice in a row
            return tuple(w for w in KIND_WORDS[:3] if w != so_far[-2])
        if not so_far:
            return OPEN_WORDS
        if so_far[-1] in KIND_WORDS and len(so_far) < 2 * MAX_LIST - 1:
            return ("then", EOS)
        return (EOS,)
    return open_answer
