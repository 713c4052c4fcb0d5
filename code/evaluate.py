"""Score the shipped models on the espeak-ng / sox scenes, audio no training stage reads:
python3 code/evaluate.py

Writes outputs/align_report.md, the shipped Listener's held-out table: caption retrieval on 100 val clips, and
timeline frame accuracy (trained against its untrained twin and chance) on those clips, the lesson scene, the six
committed scenes and the four fresh ones no design choice looked at. Then prints the share of "is there speech /
music" questions the micro audio-LLM answers right on those and the three scenes_llm scenes (5 phrasings each).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from audiollm.learn.align import format_table, held_out_table, lesson_item, prepare_all, write_align_report  # noqa: E402
from audiollm.use.ask import load_models  # noqa: E402
from audiollm.use.evaluate import scene_accuracy, timeline_table, untrained_twin  # noqa: E402

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "fixtures")
SCENE_SETS = {"espeak/sox scenes": os.path.join(FIXTURES, "scenes", "scenes.json"),
              "fresh espeak/sox scenes": os.path.join(FIXTURES, "scenes", "fresh", "scenes.json")}
ALIGN_REPORT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "outputs", "align_report.md")
N_VAL = 100  # val clips, in groups of align.CANDIDATES
LLM_SCENES = (*SCENE_SETS.values(), os.path.join(FIXTURES, "scenes_llm", "scenes.json"))


def main():
    model, _, listener = load_models()
    twin = untrained_twin(listener, seed=0)  # listener.json's seed
    rows = held_out_table(listener, twin, prepare_all("val", N_VAL, 4.0), [lesson_item()])
    rows += timeline_table(listener, twin, SCENE_SETS)
    print(format_table(rows))
    print(f"wrote {write_align_report(ALIGN_REPORT, listener, rows, 'python3 code/evaluate.py')}")
    print(f"micro audio-LLM, 'is there speech / music' right on {len(LLM_SCENES)} scene sets: "
          f"{scene_accuracy(model, listener, LLM_SCENES):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
