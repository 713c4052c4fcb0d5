"""Score the shipped models on the espeak-ng / sox scenes, audio no training stage reads:
python3 code/evaluate.py

Writes outputs/align_report.md, the shipped Listener's held-out table: caption retrieval on 100 val clips, and
timeline frame accuracy (trained against its untrained twin and chance) on those clips, the lesson scene, the six
committed scenes and the four fresh ones no design choice looked at. Then prints the share of "is there speech /
music" questions the micro audio-LLM answers right on those and the three scenes_llm scenes (5 phrasings each),
and writes outputs/llm_eval.md: those per scene set, hybrid and end to end, and a learner's phrasings
(tests/fixtures/llm_phrasings.tsv) on the instruction stage's held-out clips, with and without the lexicon.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from audiollm.learn.align import (format_table, held_out_table, lesson_item, prepare_all,  # noqa: E402
                                  write_align_report)
from audiollm.use.ask import load_models  # noqa: E402
from audiollm.base.files import markdown_table, write_report  # noqa: E402
from audiollm.learn.instruct import dataset, prepare_all as prepare_instruct  # noqa: E402
from audiollm.use.evaluate import phrasing_scores, scene_accuracy, timeline_table, untrained_twin  # noqa: E402

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "fixtures")
SCENE_SETS = {"espeak/sox scenes": os.path.join(FIXTURES, "scenes", "scenes.json"),
              "fresh espeak/sox scenes": os.path.join(FIXTURES, "scenes", "fresh", "scenes.json")}
ALIGN_REPORT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "outputs", "align_report.md")
N_VAL = 100  # val clips, in groups of align.CANDIDATES
LLM_SCENES = (*SCENE_SETS.values(), os.path.join(FIXTURES, "scenes_llm", "scenes.json"))
PHRASINGS_NAME = "tests/fixtures/llm_phrasings.tsv"
PHRASINGS = os.path.join(FIXTURES, "llm_phrasings.tsv")  # a learner's questions for the micro audio-LLM
LLM_REPORT = os.path.join(os.path.dirname(ALIGN_REPORT), "llm_eval.md")
N_INSTRUCT_TEST = 60  # the instruction stage's held-out clips (its --val)


def main():
    model, _, listener = load_models()
    twin = untrained_twin(listener, seed=0)  # listener.json's seed
    rows = held_out_table(listener, twin, prepare_all("val", N_VAL, 4.0), [lesson_item()])
    rows += timeline_table(listener, twin, SCENE_SETS)
    print(format_table(rows))
    print(f"wrote {write_align_report(ALIGN_REPORT, listener, rows, 'python3 code/evaluate.py')}")
    print(f"micro audio-LLM, 'is there speech / music' right on {len(LLM_SCENES)} scene sets: "
          f"{scene_accuracy(model, listener, LLM_SCENES):.3f}")
    print(f"wrote {write_llm_report(model, listener)}")
    return 0


def write_llm_report(model, listener):
    """outputs/llm_eval.md: "is there speech / music" on each scene set (hybrid and end to end) and a learner's
    phrasings on the instruction stage's held-out clips (with and without the lexicon)."""
    rows = [[os.path.relpath(os.path.dirname(path), FIXTURES), f"{scene_accuracy(model, listener, [path]):.3f}",
             f"{scene_accuracy(model, listener, [path], agree=False):.3f}",
             f"{scene_accuracy(model, listener, [path], hybrid=False, agree=False):.3f}"] for path in LLM_SCENES]
    phrasing = phrasing_scores(model, dataset(prepare_instruct("test", N_INSTRUCT_TEST)), PHRASINGS)
    body = "\n".join([
        "## Is there speech / music, on espeak-ng / sox scenes", "",
        "Every training and held-out phrasing of both questions, one 30-s window per scene. **hybrid**: what "
        "main.py asks, the Listener's timeline as words beside the audio tokens, and a yes/no question about speech "
        "or music held to that timeline (audio_llm.evidence_grammar: yes when it shows a second or more); "
        "**unconstrained**: the same model without that rule; **end-to-end**: audio tokens only.", "",
        markdown_table(("scene set", "hybrid (what main.py uses)", "hybrid, unconstrained", "end-to-end"), rows), "",
        f"## A learner's phrasings ({PHRASINGS_NAME}), on {N_INSTRUCT_TEST} held-out clips (test split)", "",
        "Written before the templates were read; each clip is asked one of its type's questions in turn (hybrid). "
        "Wrong form: a count for a yes/no question, a list for a count, ...", "",
        markdown_table(("", "right", "wrong form"), [[name, f"{right:.3f}", f"{wrong:.3f}"]
                                                    for name, (right, wrong) in phrasing.items()])])
    return write_report(LLM_REPORT, "The micro audio-LLM on audio and questions it was not trained on",
                        "python3 code/evaluate.py", body)


if __name__ == "__main__":
    sys.exit(main())
