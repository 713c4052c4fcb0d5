"""Train the Listener from scratch (the Q-former's alignment stage): python3 code/train.py

Makes the corpus clips, trains with a progress line (step, loss, clips/s, ETA), prints the held-out table
(retrieval recall against the untrained model and chance; timeline accuracy on held-out clips and on the lesson
scene) and writes the weights atomically. With the defaults it writes the committed file,
code/audiollm/weights/listener.json; the same seed gives the same bytes. Training reads nothing under tests/: the
espeak-ng / sox scenes are scored by python3 code/evaluate.py.

    python3 code/train.py                            # the shipped weights, a few minutes on 2 cores
    python3 code/train.py --queries 32 --out /tmp/listener-32.json
    python3 code/train.py --clips 8 --steps 3 --val 10 --out /tmp/tiny.json   # seconds: a smoke test

The instruction stage (the micro audio-LLM on the frozen Listener, audiollm.learn.instruct) has its own options:

    python3 code/train.py --stage instruct           # the shipped code/audiollm/weights/lm.json and
                                                     # outputs/instruct_report.md, under 40 minutes on 2 cores
    python3 code/train.py --stage instruct --clips 40 --steps 30 --val 8 --out /tmp/lm.json --report /tmp/r.md
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from audiollm.base.errors import AudiollmError, check_int  # noqa: E402
from audiollm.learn.instruct import STEPS, format_table as format_instruct_table, run_stage  # noqa: E402
from audiollm.model.listener import DEFAULT_WEIGHTS, Listener  # noqa: E402
from audiollm.model.decoder import WEIGHTS_PATH as LM_WEIGHTS  # noqa: E402
from audiollm.learn.align import (CANDIDATES, fit_normalisation, format_table, held_out_table, lesson_item,  # noqa: E402
                                  prepare_all, prepare_dialogues, train, write)

REPORT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "outputs", "instruct_report.md")

STAGES = ("align", "instruct")
MAX_WORKERS = 64


def stage_of(argv):
    """(--stage, the other arguments): "align" (the Listener, the default) or "instruct" (the micro audio-LLM)."""
    parser = argparse.ArgumentParser(prog="train.py", add_help=False)
    parser.add_argument("--stage", choices=STAGES, default="align")
    known, rest = parser.parse_known_args(argv)
    return known.stage, rest


def parse_instruct_args(argv):
    parser = argparse.ArgumentParser(prog="train.py --stage instruct", description="Train the micro audio-LLM "
                                     "(the instruction stage) on the frozen Listener.")
    parser.add_argument("--seed", type=int, default=0, help="seed of the initial weights and the batches; default 0")
    parser.add_argument("--clips", type=int, default=600, help="training clips (3-30 s); default 600")
    parser.add_argument("--steps", type=int, default=STEPS, help=f"Adam steps of 16 examples; default {STEPS}")
    parser.add_argument("--d-model", type=int, default=32, help="the LLM's width; default 32")
    parser.add_argument("--layers", type=int, default=2, help="the LLM's transformer blocks; default 2")
    parser.add_argument("--val", type=int, default=60, help="held-out clips (test split); default 60")
    parser.add_argument("--workers", type=int, default=2, help="processes making clips and training; default 2")
    parser.add_argument("--cache", help="folder to keep the clips' audio rows in and reuse; default none")
    parser.add_argument("--out", default=LM_WEIGHTS, help="weights file; default the committed one")
    parser.add_argument("--report", default=REPORT, help="the training report (markdown); default "
                        "outputs/instruct_report.md")
    return parser.parse_args(argv)


def check_counts(args, **minimums):
    """Each named integer option at least its minimum, and --workers at most MAX_WORKERS (AudiollmError naming
    the option): before any clip is made."""
    for name, minimum in minimums.items():
        check_int(f"--{name}", getattr(args, name), minimum, MAX_WORKERS if name == "workers" else None)


def main_instruct(argv):
    args = parse_instruct_args(argv)
    check_counts(args, clips=1, steps=1, val=1, workers=1)
    _, result = run_stage(args.out, args.clips, args.steps, args.d_model, args.layers, args.seed, args.val,
                          args.workers, args.cache, log=lambda line: print(line, file=sys.stderr, flush=True),
                          report=args.report)
    print(format_instruct_table(result))
    print(f"wrote {args.out} and {args.report}")
    return 0


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="train.py", description=__doc__.splitlines()[0])
    parser.add_argument("--stage", choices=STAGES, default="align", help="align: the Listener (default); "
                        "instruct: the micro audio-LLM (see --stage instruct --help)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the initial weights and the batches; default 0")
    parser.add_argument("--clips", type=int, default=400, help="training clips (4 s each); default 400")
    parser.add_argument("--steps", type=int, default=800, help="Adam steps of 16 clips; default 800")
    parser.add_argument("--dialogues", type=int, default=14, help="two_speaker_dialogue clips for the tagger; "
                        "default 14")
    parser.add_argument("--queries", type=int, default=8, help="Q-former queries; default 8")
    parser.add_argument("--val", type=int, default=100, help="held-out clips (val split), groups of 10; default 100")
    parser.add_argument("--workers", type=int, default=2, help="processes making clips; default 2")
    parser.add_argument("--out", default=DEFAULT_WEIGHTS, help="weights file; default the committed one")
    return parser.parse_args(argv)


def main_align(argv):
    args = parse_args(argv)
    untrained = Listener(args.queries, args.seed)  # bad sizes are refused before any clip is made
    check_counts(args, clips=2, steps=1, val=CANDIDATES, dialogues=0, workers=1)  # val: one group of candidates
    start = time.perf_counter()
    print(f"making {args.clips} training and {args.val} held-out clips ...", flush=True)
    clips = prepare_all("train", args.clips, 4.0, args.workers)
    val = prepare_all("val", args.val, 4.0, args.workers)
    dialogues = prepare_dialogues(args.dialogues, args.workers) if args.dialogues else []
    print(f"clips ready in {time.perf_counter() - start:.0f} s", flush=True)
    model, history, _ = train(args.clips, args.steps, args.queries, args.seed, clips=clips,
                              dialogues=dialogues, log=lambda line: print(line, flush=True))
    fit_normalisation(untrained, clips)
    rows = held_out_table(model, untrained, val, [lesson_item()])
    took = time.perf_counter() - start
    meta = {"n_queries": args.queries, "seed": args.seed, "clips": args.clips, "steps": args.steps,
            "command": f"python3 code/train.py --seed {args.seed} --clips {args.clips} --steps {args.steps} "
                       f"--queries {args.queries} --dialogues {args.dialogues}",
            "held_out": {name: round(trained, 3) for name, _, trained, _ in rows}}
    write(model, args.out, meta)
    print(format_table(rows))
    print(f"{model.n_params()} parameters; trained from scratch in {took:.0f} s; wrote {args.out}")
    return 0


def main(argv=None):
    """Either stage; bad options or files are one line on stderr and exit status 2."""
    stage, rest = stage_of(sys.argv[1:] if argv is None else argv)
    try:
        return main_instruct(rest) if stage == "instruct" else main_align(rest)
    except AudiollmError as error:
        print(f"train.py: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
