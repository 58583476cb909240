"""Time per training step of examples/training_pass_fail.yaml (4 points, batch_size 1, Adam) at
100, 400, 1,000 and 10,000 epochs, printed side by side: the time per step must stay flat (the
training state is carried at working precision after the first step, so nothing grows).

Run: python bench/train_steps.py [EPOCHS ...]
It times the library's run (derive.train.run.run) and, separately, the notes built from it
(derive.steps.training.training_doc, Markdown), since both were slow when exact fractions grew.
"""

from __future__ import annotations

import resource
import sys
import time
from dataclasses import replace
from pathlib import Path

from derive.render.training import render
from derive.spec.loader import load
from derive.spec.source import read_text
from derive.steps.training import training_doc
from derive.train.run import run, settings_for

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "training_pass_fail.yaml"


def main(argv: list[str]) -> None:
    epochs_list = [int(a) for a in argv] or [100, 400, 1_000, 10_000]
    net = load(read_text(str(EXAMPLE)), str(EXAMPLE))
    print(f"{EXAMPLE.name}: {len(net.data)} points, optimizer {net.training.optimizer}")
    print(
        f"{'epochs':>8} {'steps':>8} {'run s':>9} {'notes s':>9} {'ms/step (run)':>14} {'ms/step (all)':>14} {'peak RSS MB':>12}"
    )
    for epochs in epochs_list:
        s = replace(settings_for(net), epochs=epochs)
        t0 = time.perf_counter()
        r = run(net, s)
        t1 = time.perf_counter()
        render(training_doc(r, {1}, None), "md")
        t2 = time.perf_counter()
        n = len(r.steps)
        print(
            f"{epochs:>8,} {n:>8,} {t1 - t0:>9.2f} {t2 - t1:>9.2f} {1000 * (t1 - t0) / n:>14.3f} "
            f"{1000 * (t2 - t0) / n:>14.3f} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:>12.0f}",
            flush=True,
        )


if __name__ == "__main__":
    main(sys.argv[1:])
