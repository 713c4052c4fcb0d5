"""Derive sound_words.txt, the picker's vocabulary for music and environmental sound, from the AudioSet ontology.

    git clone https://github.com/audioset/ontology /tmp/audioset-ontology
    python3 code/audiollm/data/make_sound_words.py /tmp/audioset-ontology/ontology.json

The ontology (Gemmeke et al. 2017; (c) Google, CC BY-SA 4.0) names 632 sound classes under seven top
branches. Each class name gives its synonyms ("Vehicle horn, car horn, honking"); each synonym becomes an
entry, and a multi-word synonym also gives those of its words that are a sound on their own (SPLIT: "bass"
from "Bass guitar", not "passing" from "Car passing by"). The top branch gives the need; SUBTREES overrides
it below a class (Speech only says the question is about audio, Singing is music, a speech synthesizer is
a deepfake cue). An entry is weak ("~") when the thing it names also exists in silence (a dog, a car, the
rain) or the word has an everyday meaning besides the sound (a bang, a beat): the picker counts it only when
the question also says it is about audio. The tables below are the only hand-made part; running the script
again on the same ontology.json gives the same file, byte for byte.
"""
import hashlib
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from audiollm.base.files import write_atomic  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sound_words.txt")

BRANCHES = {  # top branch -> the need its classes signal
    "Human sounds": "environment",
    "Animal": "environment",
    "Music": "music",
    "Natural sounds": "environment",
    "Sounds of things": "environment",
    "Source-ambiguous sounds": "environment",
    "Channel, environment and background": "environment",
}
SUBTREES = {  # a class and everything below it -> another need ("cue": the question is about audio, no need)
    "Speech": "cue",
    "Speech synthesizer": "novel",
    "Singing": "music",
    "Sound reproduction": "cue",
}
RENAME = {  # names whose commas do not separate synonyms, or whose words would mislead
    "Inside, small room": "small room",
    "Inside, large room or hall": "large room",
    "Inside, public space": "public space",
    "Outside, rural or natural": "countryside",
    "Dishes, pots, and pans": "dishes, pots, pans",
    "Cupboard open or close": "cupboard",
    "Drawer open or close": "drawer",
    "Bee, wasp, etc.": "bee, wasp",
    "Donkey, ass": "donkey",
    "Cattle, bovinae": "cattle",
    "Canidae, dogs, wolves": "wolves",
    "Rodents, rats, mice": "rats, mice",
    "Roaring cats (lions, tigers)": "lions, tigers",
    "Livestock, farm animals, working animals": "livestock, farm animals",
    "Domestic animals, pets": "domestic animals, pets",
    "Chirp, tweet": "chirp",  # a tweet is also a post
    "Walk, footsteps": "footsteps",
    "Hip hop music": "hip hop music, hip hop",
    "Hi-hat": "hi hat, hihat",
    "Musical note": "musical note",  # "note" alone is also a written note: needs.py decides
    "Music genre": "music genre, genre",
}
SKIP = {  # classes that give no entry (their children still do): a container, an everyday word, or a word
    # needs.py gives another need ("voice" and "microphone" say the question is about audio; "song" is music)
    "Human sounds", "Human voice", "Respiratory sounds", "Human locomotion", "Digestive", "Hands",
    "Human group actions", "Run", "Shuffle", "Biting", "Pant", "Bay", "Yak", "Patter", "Natural sounds",
    "Stream", "Steam", "Fire", "Sounds of things", "Mechanisms", "Tools", "Liquid", "Miscellaneous sources",
    "Specific impact sounds", "Sound equipment", "Effects unit", "Electronic tuner", "Microphone", "Arrow",
    "Wobble", "Tap", "Writing", "Printer", "Camera", "Single-lens reflex camera", "Filing (rasp)", "Chop",
    "Crack", "Snap", "Pour", "Spray", "Pump (liquid)", "Stir", "Fill (with liquid)", "Burst, pop",
    "Source-ambiguous sounds", "Generic impact sounds", "Breaking", "Bouncing", "Whip", "Flap",
    "Surface contact", "Scratch", "Rub", "Roll", "Grind", "Deformable shell", "Onomatopoeia", "Brief tone",
    "Puff", "Pulse", "Harmonic", "Other sourceless", "Channel, environment and background",
    "Acoustic environment", "Outside, urban or manmade", "Musical concepts", "Song", "Loop", "Music role",
    "Music mood", "Tapping (guitar technique)", "Scratching (performance technique)",
}
SPLIT = set("""
alarm baby babble bass bells blues bollywood brass capella carnatic children classical clock drill drone drum
dryer engine ensemble flapping flush folk genre gospel guitar gun horn instrument jangling jet kettle
knocking laugh metal microwave mower musical noise oven piano punk razor ringing rock rumble rustling salsa
sewing shaver shouting snapping snare soul soundtrack squealing swing toilet traffic trance vacuum
vocalization woodwind
""".split())  # the words a multi-word synonym may also give on their own (from "Bass guitar": "bass")
WEAK = set("""
alarm aircraft airplane ambulance animal animals artillery baby bathtub bee bicycle bird blender boat boiling
boom bus canoe car cat cats cattle cellphone chainsaw chicken children chipmunk clock coin crash cricket crow
crowd cupboard cutlery dishes dog donkey door dove drawer drill dryer duck echo engine eruption explosion fan
farm faucet fireworks fly flush fowl frog frying gears glass goat goose gull gun hammer helicopter horse
housefly idling infant insect jackhammer jet kayak kettle keyboard keys lions metro mice microwave mosquito
motorboat motorcycle mouse mower ocean oven owl pans pig pigeon police pots propeller pulleys rain rats
ratchet razor rodents rooster rowboat sailboat sailing sanding sawing scissors seagull sewing shaver sheep
ship shuffling silence silverware sink skateboard snake sonar speedboat splinter static subway surf telephone
thunderstorm tigers toilet toothbrush traffic train truck turkey typewriter typing vacuum vehicle velcro
vibration water waterfall waves whale wildfire wind wolves wood zipper countryside pets livestock wild
scrape crushing tearing ping tick bang smash slap smack chopping sniff distortion throbbing
bass band beat bell chant chime chorus classical country drone dub electro electronic folk funk gospel harmony
horn jingle mantra metal organ punk rock salsa sampler soul string swing trance vocal blues bowl
""".split())  # things that also exist in silence, and words with an everyday meaning besides the sound
WORD = re.compile(r"[a-z0-9]+")


def parents(ontology):
    """class id -> list of parent ids."""
    up = {c["id"]: [] for c in ontology}
    for c in ontology:
        for child in c["child_ids"]:
            up[child].append(c["id"])
    return up


def need_of(cid, by_id, up):
    """The need a class signals: that of the nearest class at or above it named in SUBTREES or BRANCHES."""
    needs = {**BRANCHES, **SUBTREES}
    frontier = [cid]
    while True:
        for c in frontier:
            if by_id[c]["name"] in needs:
                return needs[by_id[c]["name"]]
        frontier = [p for c in frontier for p in up[c]]


def branch_of(cid, by_id, up):
    """The top branch a class is under (its first parent's, up to a root)."""
    while up[cid]:
        cid = up[cid][0]
    return by_id[cid]["name"]


def entries_of(name):
    """A class name -> its entries in order: each synonym, then the single words of multi-word synonyms."""
    if name in SKIP:
        return []
    name = re.sub(r"\(.*?\)", "", RENAME.get(name, name))
    out = []
    for synonym in (" ".join(WORD.findall(s.lower())) for s in name.split(",")):
        words = synonym.split()
        out.append(synonym)
        if len(words) > 1:
            out.extend(w for w in words if w in SPLIT)
    return list(dict.fromkeys(out))


def mark(entry):
    """"~" before a weak entry: a word listed in WEAK, or a phrase whose every word is."""
    return "~" + entry if all(w in WEAK for w in entry.split()) else entry


def derive(ontology, digest):
    """ontology.json's list of classes -> the text of sound_words.txt (digest: the json file's sha256)."""
    by_id = {c["id"]: c for c in ontology}
    up = parents(ontology)
    roots = [c for c in ontology if not up[c["id"]]]
    sections = {(root["name"], need): [] for root in roots for need in ("environment", "music", "cue", "novel")}
    seen = set()

    def visit(cid):
        c = by_id[cid]
        new = [e for e in entries_of(c["name"]) if e not in seen]
        seen.update(new)
        if new:
            section = sections[branch_of(cid, by_id, up), need_of(cid, by_id, up)]
            section.append(f"{', '.join(map(mark, new))}  <- {c['name']}")
        for child in c["child_ids"]:
            visit(child)

    for root in roots:
        visit(root["id"])
    n_entries = len(seen)
    lines = [
        "# sound_words.txt: the picker's words for music and environmental sound (audiollm.use.needs reads it).",
        "# Derived from the AudioSet ontology: Gemmeke et al. 2017, \"Audio Set: an ontology and human-labeled",
        "# dataset for audio events\", https://github.com/audioset/ontology (ontology.json, sha256",
        f"# {digest}), (c) Google Inc., licensed CC BY-SA 4.0",
        "# (https://creativecommons.org/licenses/by-sa/4.0/). This file adapts its class names (split into",
        "# synonyms and words, lower-cased, some names dropped or reworded, some entries marked weak) and is",
        "# shared under the same licence.",
        "# Made by: python3 code/audiollm/data/make_sound_words.py ontology.json (the hand-made tables are there).",
        "# Format: \"[top branch] need\" opens a section; each line holds the entries one AudioSet class gives,",
        "# comma-separated, then \"<-\" and the class name. An entry is a word or a phrase in any inflection",
        "# (bark matches barks, barking); \"~\" marks a weak entry, a thing that also exists in silence (dog, car,",
        "# rain), counted only when the question also says it is about audio. Need \"cue\" only says that.",
        f"# {len(ontology)} classes, {n_entries} entries.",
    ]
    for (branch, need), rows in sections.items():
        if rows:
            lines += ["", f"[{branch}] {need}", *rows]
    return "\n".join(lines) + "\n"


def main(argv):
    """Read ontology.json (argv[1]), write sound_words.txt beside this script."""
    if len(argv) != 2:
        sys.exit("usage: make_sound_words.py ontology.json")
    with open(argv[1], "rb") as f:
        raw = f.read()
    text = derive(json.loads(raw), hashlib.sha256(raw).hexdigest())
    print(f"wrote {write_atomic(OUT, text)}")


if __name__ == "__main__":
    main(sys.argv)
