"""Benchmark of `derive exercise`: the same class generated with one process and with every core, the
time per sheet of each, the speed-up, and a check that both produced the same files.

    python bench/exercise_bench.py [--count 40] [--formats md,pdf] [--jobs N]

A "sheet" is one student's whole folder: sheet, blank answers file, network and answer key in every
format asked for (with md,pdf: two PDFs per student, which is most of the time).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

from derive.exercise import counted, generate, load_exercise  # noqa: E402

EXERCISE = ROOT / "examples" / "exercises" / "pass_fail_homework.yaml"


def timed(ex, students, out: Path, formats: set[str], jobs: int) -> float:
    start = time.perf_counter()
    generate(ex, students, 2026, str(out), formats, jobs)
    return time.perf_counter() - start


def same_files(a: Path, b: Path) -> tuple[int, list[str]]:
    """How many files both runs wrote, and those that differ. PDFs carry their creation time, so
    they are compared only when SOURCE_DATE_EPOCH fixes it."""
    compare_pdfs = "SOURCE_DATE_EPOCH" in os.environ
    names = sorted(str(p.relative_to(a)) for p in a.rglob("*") if p.is_file())
    differ = [n for n in names if (compare_pdfs or not n.endswith(".pdf"))
              and (not (b / n).is_file() or (a / n).read_bytes() != (b / n).read_bytes())]
    return len(names), differ


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=40, help="students (default 40)")
    parser.add_argument("--formats", default="md,pdf", help="as derive exercise --formats (default md,pdf)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="processes (default: every core)")
    args = parser.parse_args()
    formats = set(args.formats.split(","))
    ex = load_exercise(str(EXERCISE))
    students = counted(args.count)
    with tempfile.TemporaryDirectory(prefix="derive-bench-") as scratch:
        base = Path(scratch)
        timed(ex, counted(1), base / "warm-up", {"md"}, 1)  # imports and caches, outside the timings
        one = timed(ex, students, base / "one", formats, 1)
        many = timed(ex, students, base / "many", formats, args.jobs)
        files, differ = same_files(base / "one", base / "many")
    print(f"{args.count} sheets ({','.join(sorted(formats))}) of {EXERCISE.relative_to(ROOT)} "
          f"on a machine with {os.cpu_count()} cores")
    print(f"  1 process:    {one:7.1f} s   {one / args.count:6.2f} s per sheet")
    print(f"  {args.jobs} processes: {many:7.1f} s   {many / args.count:6.2f} s per sheet")
    print(f"  speed-up:     {one / many:7.2f}x")
    print(f"  identical output: {'yes' if not differ else 'NO: ' + ', '.join(differ[:5])} ({files} files each)")


if __name__ == "__main__":
    main()
