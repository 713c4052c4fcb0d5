"""Score the shipped models on the espeak-ng / sox scenes, audio no training stage reads:
python3 code/evaluate.py

Prints the Listener's timeline frame accuracy (trained against its untrained twin and chance) on the six
committed scenes and the four fresh ones no design choice looked at, then the share of "is there speech /
music" questions the micro audio-LLM answers right on those and the three scenes_llm scenes (5 phrasings each).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from audiollm.learn.align import format_table  # noqa: E402
from audiollm.use.ask import load_models  # noqa: E402
from audiollm.use.evaluate import scene_accuracy, timeline_table, untrained_twin  # noqa: E402

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "fixtures")
SCENE_SETS = {"espeak/sox scenes": os.path.join(FIXTURES, "scenes", "scenes.json"),
              "fresh espeak/sox scenes": os.path.join(FIXTURES, "scenes", "fresh", "scenes.json")}
LLM_SCENES = (*SCENE_SETS.values(), os.path.join(FIXTURES, "scenes_llm", "scenes.json"))


def main():
    model, _, listener = load_models()
    print(format_table(timeline_table(listener, untrained_twin(listener, seed=0), SCENE_SETS)))  # listener.json's seed
    print(f"micro audio-LLM, 'is there speech / music' right on {len(LLM_SCENES)} scene sets: "
          f"{scene_accuracy(model, listener, LLM_SCENES):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
