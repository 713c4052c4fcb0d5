"""Train the Listener from scratch (the Q-former's alignment stage): python3 code/train.py

Makes the corpus clips (progress on stderr), trains with a progress line (step, loss, clips/s, ETA), prints the
held-out table (retrieval recall against the untrained model and chance; timeline accuracy on held-out clips and
on the lesson scene) and writes the weights atomically. Training reads nothing under tests/: the espeak-ng / sox
scenes are scored by python3 code/evaluate.py.

Training writes the shipped weights only when asked for them. With every option at its default it regenerates
the committed file, code/audiollm/weights/listener.json, byte for byte (the same seed gives the same bytes); any
other configuration writes to the git-ignored outputs/runs/ unless --out names a file. Every option and the
--out path are checked before any clip is made; Ctrl-C stops in one line (status 130) and leaves no partial file.

    python3 code/train.py                            # regenerates code/audiollm/weights/listener.json
    python3 code/train.py --queries 32               # writes outputs/runs/listener-queries32.json
    python3 code/train.py --clips 8 --steps 3 --val 10 --out /tmp/tiny.json   # seconds: a smoke test

The instruction stage (the micro audio-LLM on the frozen Listener, audiollm.learn.instruct) has its own options:

    python3 code/train.py --stage instruct           # the shipped code/audiollm/weights/lm.json and
                                                     # outputs/instruct_report.md, under 40 minutes on 2 cores
    python3 code/train.py --stage instruct --clips 40 --steps 30 --val 8 --out /tmp/lm.json   # and /tmp/lm.md

Weights that no longer belong together (lm.json trained on another listener.json) are put back with
`git checkout code/audiollm/weights/`.
"""
import argparse
import os
import signal
import sys
import time

try:  # Ctrl-C while the package imports is one line and status 130, as it is later
    if __name__ == "__main__":  # also when started with Ctrl-C ignored (nohup, a background job)
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if not __package__:  # run as `python3 code/train.py`: the package is the folder beside this file
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from audiollm.base.errors import MAX_WIDTH, check_int
    from audiollm.learn.align import (CANDIDATES, fit_normalisation, format_table, held_out_table, lesson_item,
                                      prepare_all, prepare_dialogues, train, write)
    from audiollm.learn.instruct import STEPS, format_table as format_instruct_table, run_stage
    from audiollm.model.decoder import WEIGHTS_PATH as LM_WEIGHTS
    from audiollm.model.listener import DEFAULT_WEIGHTS, Listener
    from audiollm.use import cli
    from audiollm.use.ask import RESTORE
except KeyboardInterrupt:
    print("train.py: interrupted", file=sys.stderr)
    sys.exit(130)

OUTPUTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "outputs")
REPORT = os.path.join(OUTPUTS, "instruct_report.md")  # the shipped lm.json's training report
RUNS = os.path.join(OUTPUTS, "runs")  # git-ignored
STAGES = ("align", "instruct")
MAX_WORKERS = 64
NOT_IN_THE_WEIGHTS = ("stage", "out", "report", "workers", "cache", "help", "measure")  # options that leave the bytes alone


def parse_instruct_args(argv):
    parser = cli.OneLineParser(prog="train.py --stage instruct", description="Train the micro audio-LLM "
                               "(the instruction stage) on the frozen Listener.")
    parser.add_argument("--stage", choices=STAGES, default="instruct", help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help="seed of the initial weights and the batches; default 0")
    parser.add_argument("--clips", type=int, default=600, help="training clips (3-30 s); default 600")
    parser.add_argument("--steps", type=int, default=STEPS, help=f"Adam steps of 16 examples; default {STEPS}")
    parser.add_argument("--d-model", type=int, default=32, help="the LLM's width; default 32")
    parser.add_argument("--layers", type=int, default=2, help="the LLM's transformer blocks; default 2")
    parser.add_argument("--val", type=int, default=60, help="held-out clips (test split); default 60")
    parser.add_argument("--workers", type=int, default=2, help="processes making clips and training; default 2")
    parser.add_argument("--cache", help="folder to keep the clips' audio rows in and reuse; default none")
    parser.add_argument("--out", help="weights file; default: with every other option at its default the shipped "
                        "code/audiollm/weights/lm.json, else outputs/runs/lm-<options>.json")
    parser.add_argument("--report", help="the training report (markdown); default: outputs/instruct_report.md for "
                        "the shipped weights, else beside --out with the ending .md")
    parser.add_argument("--measure", action="store_true", help="no training: measure the weights already in the "
                        "weights file again (after a change to how answers are decoded) and rewrite its held-out "
                        "table and the report, as a full run would")
    return parser, parser.parse_args(argv)


def check_counts(args, **minimums):
    """Each named integer option at least its minimum, and --workers at most MAX_WORKERS (AudiollmError naming
    the option): before any clip is made."""
    for name, minimum in minimums.items():
        check_int(f"--{name.replace('_', '-')}", getattr(args, name), minimum,
                  MAX_WORKERS if name == "workers" else None)


def out_path(parser, args, shipped, name):
    """Where the weights go: --out if given; the shipped file when every option that shapes the weights is at
    its default (the run regenerates it); else a git-ignored file under outputs/runs/ named by the options that
    differ. Checked before any work: the folder must exist and take files."""
    if args.out is not None:
        return cli.check_out_file(args.out)
    changed = [f"{key.replace('_', '-')}{value}" for key, value in sorted(vars(args).items())
               if key not in NOT_IN_THE_WEIGHTS and value != parser.get_default(key)]
    if not changed:
        return cli.check_out_file(shipped)
    os.makedirs(RUNS, exist_ok=True)
    return cli.check_out_file(os.path.join(RUNS, cli.safe_name(f"{name}-{'-'.join(changed)}") + ".json"))


def wrote_listener(path):
    """The last line: where the Listener's weights went; over the shipped file, a note that lm.json was trained
    on the file it replaced (the same bytes again unless the configuration or the machine's arithmetic differ)."""
    print(f"wrote {path}")
    if os.path.abspath(path) == os.path.abspath(DEFAULT_WEIGHTS):
        print(f"train.py: note: {LM_WEIGHTS} belongs to the listener.json this run replaced; if the bytes "
              f"changed, put the shipped pair back with {RESTORE}", file=sys.stderr)


def main_instruct(argv):
    parser, args = parse_instruct_args(argv)
    check_counts(args, seed=0, clips=1, steps=1, val=1, workers=1, d_model=1, layers=1)
    if args.cache is not None:
        cli.make_out(args.cache, "--cache")
    out = out_path(parser, args, LM_WEIGHTS, "lm")
    shipped = os.path.abspath(out) == os.path.abspath(LM_WEIGHTS)
    report = cli.check_out_file(args.report or (REPORT if shipped else os.path.splitext(out)[0] + ".md"))
    _, result = run_stage(out, args.clips, args.steps, args.d_model, args.layers, args.seed, args.val,
                          args.workers, args.cache, log=lambda line: print(line, file=sys.stderr, flush=True),
                          report=report, progress=cli.Progress, measure_only=args.measure)
    print(format_instruct_table(result))
    print(f"wrote {out} and {report}")
    return 0


def parse_align_args(argv):
    parser = cli.OneLineParser(prog="train.py", description=__doc__.splitlines()[0])
    parser.add_argument("--stage", choices=STAGES, default="align", help="align: the Listener (default); "
                        "instruct: the micro audio-LLM (see --stage instruct --help)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the initial weights and the batches; default 0")
    parser.add_argument("--clips", type=int, default=1000, help="training clips (4 s each); default 1000")
    parser.add_argument("--steps", type=int, default=1600, help="Adam steps of 16 clips; default 1600")
    parser.add_argument("--dialogues", type=int, default=14, help="two_speaker_dialogue clips for the tagger; "
                        "default 14")
    parser.add_argument("--queries", type=int, default=8, help="Q-former queries; default 8")
    parser.add_argument("--val", type=int, default=100, help="held-out clips (val split), groups of 10; default 100")
    parser.add_argument("--workers", type=int, default=2, help="processes making clips; default 2")
    parser.add_argument("--out", help="weights file; default: with every other option at its default the shipped "
                        "code/audiollm/weights/listener.json, else outputs/runs/listener-<options>.json")
    return parser, parser.parse_args(argv)


def main_align(argv):
    parser, args = parse_align_args(argv)
    check_counts(args, seed=0, clips=2, steps=1, val=CANDIDATES, dialogues=0, workers=1)  # val: one group
    check_int("--queries", args.queries, 1, MAX_WIDTH)
    untrained = Listener(args.queries, args.seed)
    out = out_path(parser, args, DEFAULT_WEIGHTS, "listener")
    start = time.perf_counter()
    print(f"making {args.clips} training and {args.val} held-out clips ...", flush=True)
    clips = prepare_all("train", args.clips, 4.0, args.workers, cli.Progress("align: training clips"))
    val = prepare_all("val", args.val, 4.0, args.workers, cli.Progress("align: held-out clips"))
    dialogues = prepare_dialogues(args.dialogues, args.workers, cli.Progress("align: dialogues"))
    print(f"clips ready in {time.perf_counter() - start:.0f} s", flush=True)
    model, history, _ = train(args.clips, args.steps, args.queries, args.seed, clips=clips,
                              dialogues=dialogues, log=lambda line: print(line, flush=True))
    fit_normalisation(untrained, clips)
    rows = held_out_table(model, untrained, val, [lesson_item()], cli.Progress("align: held-out table"))
    took = time.perf_counter() - start
    meta = {"n_queries": args.queries, "seed": args.seed, "clips": args.clips, "steps": args.steps,
            "command": f"python3 code/train.py --seed {args.seed} --clips {args.clips} --steps {args.steps} "
                       f"--queries {args.queries} --dialogues {args.dialogues}",
            "held_out": {name: round(trained, 3) for name, _, trained, _ in rows}}
    write(model, out, meta)
    print(format_table(rows))
    print(f"{model.n_params()} parameters; trained from scratch in {took:.0f} s")
    wrote_listener(out)
    return 0


def run(argv):
    """Either stage: --stage instruct anywhere on the command line picks the instruction stage."""
    argv = sys.argv[1:] if argv is None else list(argv)
    instruct = any(a in ("--stage=instruct",) or (a == "--stage" and argv[k + 1:k + 2] == ["instruct"])
                   for k, a in enumerate(argv))
    return main_instruct(argv) if instruct else main_align(argv)


def main(argv=None):
    """Either stage; bad options or files are one line on stderr and exit status 2, Ctrl-C one line and 130."""
    return cli.run_command("train.py", run, argv)


if __name__ == "__main__":
    sys.exit(main())
