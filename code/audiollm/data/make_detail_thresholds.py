"""Calibrate the timeline's detail thresholds (use/timeline.py DETAIL_THRESHOLDS) on the corpus' own val clips.

    python3 code/audiollm/data/make_detail_thresholds.py     # about 2 minutes; standard library only

For every music and sound segment of val clips 100-399 (the clips `train.py` reports on are 0-99), the shipped
Listener names the most probable family (timeline.family_probabilities) and the script records its
probability and whether it is right; timeline.calibrated_threshold then gives, per field, the lowest
probability at which named families were right at least DETAIL_TARGET of the time. It prints the two
thresholds (rounded down to 3 decimals) to copy into DETAIL_THRESHOLDS, and the detail's accuracy on val clips
0-99 before (the nearest single instrument or sound, always named) and after (a family, named only above its
threshold).
Audio from other sources (tests/fixtures/other_sources) never enters: it is for evaluation only. Rerun after
retraining the Listener: the thresholds belong to its weights.
"""
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from audiollm.model.listener import ENCODER_HZ, POOL, load_listener  # noqa: E402
from audiollm.model.vocab import FAMILIES, FAMILY_OF  # noqa: E402
from audiollm.synthetic.corpus import make_split  # noqa: E402
from audiollm.use.timeline import (DETAIL_TARGET, DETAIL_THRESHOLDS, calibrated_threshold,  # noqa: E402
                                   detail_confidences, detail_segments, nearest_value)

CALIBRATION = (100, 300)  # val clips 100-399
REPORT = (0, 100)         # val clips 0-99: the clips train.py's held-out table uses


def items(start, n):
    """Val clips start .. start+n-1 as detail_confidences items."""
    return [(clip.samples, [(s.kind, s.start, s.end, s.detail.get("instrument", s.detail.get("sound")))
                            for s in clip.segments]) for clip in make_split("val", n, start)]


def before(model, clips):
    """[(field, right, right family)] for the nearest single value (the old detail), on the same segments."""
    out = []
    for field, value, pooled in detail_segments(model, clips):
        guess = nearest_value(model, pooled, field)
        out.append((field, guess == value, FAMILY_OF[field][guess] == FAMILY_OF[field][value]))
    return out


def main():
    model = load_listener()
    calibration = detail_confidences(model, items(*CALIBRATION))
    thresholds = {}
    for field in FAMILIES:  # rounded down to 3 decimals: the same segments pass
        threshold = calibrated_threshold([(p, ok) for f, p, ok in calibration if f == field])
        thresholds[field] = threshold if threshold == math.inf else math.floor(threshold * 1000) / 1000
    print(f"calibrated on val clips {CALIBRATION[0]}-{sum(CALIBRATION) - 1} (target {DETAIL_TARGET}):")
    for field, threshold in thresholds.items():
        print(f"  {field}: {threshold!r}" + ("" if threshold == DETAIL_THRESHOLDS[field] else
                                             f"  (timeline.py has {DETAIL_THRESHOLDS[field]!r}: copy it there)"))
    report = items(*REPORT)
    old = before(model, report)
    after = detail_confidences(model, report)
    print(f"val clips {REPORT[0]}-{sum(REPORT) - 1}, segments of at least {POOL / ENCODER_HZ:g} s at their true "
          "extent:")
    for field in FAMILIES:
        old_field = [(v, f) for g, v, f in old if g == field]
        new = [ok for g, p, ok in after if g == field and p >= thresholds[field]]
        print(f"  {field}: before, the nearest {field} {sum(v for v, _ in old_field)}/{len(old_field)} right "
              f"({sum(f for _, f in old_field)}/{len(old_field)} in the right family, always named); after, a "
              f"family named {len(new)}/{len(old_field)} times, right {sum(new)}/{len(new)}")


if __name__ == "__main__":
    main()
