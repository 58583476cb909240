"""Training's cost by its number of steps, side by side in one run: `derive train` as a user runs it
(a whole process each), Markdown notes and JSON, with Adam.

For each run: the CPU time of the whole process (user + system, of the child, from os.wait4), the
time per step (that CPU time over the steps) and the time per step past the first run's (the
difference to the first row over the difference in steps, so start-up, imports and the notes'
fixed cost drop out: this is what must stay flat), and the peak resident memory of the process.

Run: python bench/train_steps.py                        # training_pass_fail: 100 to 10,000 epochs
     python bench/train_steps.py --epochs 100,400,1000  # fewer
     python bench/train_steps.py --dense                # also [4,4,1] over 20 points, 1,000 epochs
                                                        # of batch 1 (20,000 steps), Markdown
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "training_pass_fail.yaml"
DERIVE = shutil.which("derive") or "derive"


def dense_4_4_1(points: int = 20) -> str:
    """A [4, 4, 1] sigmoid network (25 parameters) with `points` data points, Adam, batch 1."""
    rows = []
    for i in range(points):
        x = [((i * 7 + k * 3) % 11 - 5) / 10 for k in range(4)]
        rows.append(f"  - {{x: [{', '.join(f'{v:g}' for v in x)}], y: {i % 2}}}")
    return (
        "title: dense [4, 4, 1] over 20 points\nlayers: [4, 4, 1]\nactivation: sigmoid\n"
        "parameters:\n  random: {seed: 7, low: -1, high: 1, decimals: 2}\n"
        "learning_rate: 0.01\noptimizer: adam\nbatch_size: 1\nepochs: 10\ndata:\n" + "\n".join(rows) + "\n"
    )


def measure(network: Path, epochs: int, fmt: str, folder: Path, command: list[str]) -> tuple[float, float, float]:
    """(CPU seconds, wall seconds, peak RSS in MiB) of `derive train NETWORK --epochs E -f FMT`."""
    target = folder / f"run.{fmt}"
    args = [*command, "train", str(network), "--epochs", str(epochs), "-f", fmt, "-o", str(target)]
    start = time.perf_counter()
    # run from the temporary folder: `python -m` puts the working directory first on sys.path, and
    # --command may name another checkout through PYTHONPATH
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=folder)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({proc.returncode}): {err}")
    target.unlink(missing_ok=True)
    return usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss / 1024


def table(
    network: Path, epochs_list: list[int], steps_per_epoch: int, formats: list[str], folder: Path, command: list[str]
) -> None:
    print(
        f"{'format':>6} {'epochs':>7} {'steps':>7} {'CPU s':>8} {'wall s':>8} {'ms/step':>8} "
        f"{'ms/step past first':>19} {'peak RSS MiB':>13}"
    )
    for fmt in formats:
        first: tuple[int, float] | None = None
        for epochs in epochs_list:
            steps = epochs * steps_per_epoch
            cpu, wall, rss = measure(network, epochs, fmt, folder, command)
            past = "" if first is None else f"{1000 * (cpu - first[1]) / (steps - first[0]):.2f}"
            first = first or (steps, cpu)
            print(
                f"{fmt:>6} {epochs:>7,} {steps:>7,} {cpu:>8.2f} {wall:>8.2f} {1000 * cpu / steps:>8.2f} "
                f"{past:>19} {rss:>13.0f}",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", default="100,400,1000,2000,10000", help="comma-separated epoch counts")
    parser.add_argument("--formats", default="md,json", help="comma-separated: md, json")
    parser.add_argument("--dense", action="store_true", help="also [4,4,1] over 20 points, 1,000 epochs, md")
    parser.add_argument(
        "--command",
        default=DERIVE,
        help='how to run derive, e.g. "env PYTHONPATH=/tmp/old python -m derive.cli" for an older checkout',
    )
    a = parser.parse_args()
    command = shlex.split(a.command)
    load = os.getloadavg()
    print(f"{time.strftime('%Y-%m-%d %H:%M %Z')}, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"derive: {a.command}")
    print(f"{EXAMPLE.name}: 4 points, batch 1 (4 steps an epoch), Adam; whole processes, the loss plot drawn")
    with tempfile.TemporaryDirectory(prefix="derive-train-bench-") as tmp:
        folder = Path(tmp)
        table(EXAMPLE, [int(e) for e in a.epochs.split(",")], 4, a.formats.split(","), folder, command)
        if a.dense:
            net = folder / "dense_4_4_1.yaml"
            net.write_text(dense_4_4_1())
            print("\n[4, 4, 1] (25 parameters) over 20 points, batch 1 (20 steps an epoch), Adam")
            table(net, [10, 1000], 20, ["md"], folder, command)


if __name__ == "__main__":
    sys.exit(main())
