"""Anchors for derive's start-up, pictures, reading and back-propagation (issue 16), measured side by
side in one run: what Python itself costs, what `derive --help` and the seed's notes cost on top
(the plots' cache warm and empty), the Markdown of [8, 8, 8, 1] against its JSON, derive's JSON of an
explicit [128, 128, 1] file against a 30-line mpmath back-propagation of the same file
(bench/mpmath_script.py), NumPy float64 and, where installed, PyTorch float64 autograd
(bench/float_script.py), and derive's YAML reading against the bare library's.

    python bench/anchors.py [--repeat N]     # only the anchors; bench/run.py measures them too
    python bench/anchors.py --before REV     # and the same processes of an earlier commit, side by side
    python bench/anchors.py --before REV --after REV2   # two commits (not the working tree) side by side

Every process is started fresh; each is run `--repeat` times and the medians count: CPU time (user +
system, from os.wait4) and wall time, with the largest peak memory. derive's cache folder
(XDG_CACHE_HOME) is one of the run's own: filled by a first run ("warm", as a second run of the day
finds it), or empty for every run ("empty cache": templates compiled and plots drawn, as the first
run after installing). Prints a table and the ratios, and puts them in bench/results.md (its
"Anchors" section, the rest left as it is).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SEED = ROOT / "examples" / "pass_fail.yaml"
START, END = "<!-- anchors -->", "<!-- /anchors -->"


def derive_command(source: Path | None = None) -> list[str]:
    """The installed console script beside this Python (what a user types), else `python -m derive.cli`;
    for the checkout `source` (an earlier commit), `python -m derive.cli` with it first on the path."""
    script = Path(sys.executable).parent / "derive"
    return [str(script)] if script.exists() and source is None else [sys.executable, "-m", "derive.cli"]


def export(rev: str, into: Path) -> Path:
    """The tree of commit `rev` written under `into` (git archive), to measure as it was."""
    folder = into / f"at-{rev}"
    folder.mkdir()
    archive = subprocess.run(["git", "archive", rev], cwd=ROOT, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


NOT_INSTALLED = 3  # bench/float_script.py's exit status when its library is missing


def timed(cmd: list[str], env: dict, repeat: int, cwd: Path = ROOT, empty_cache: Path | None = None) -> dict:
    """`repeat` runs of `cmd`: the median wall seconds and CPU seconds (user + system), the fastest
    CPU, and the largest peak MiB; {"missing": True} when a float_script's library is not installed.
    With `empty_cache`, every run gets a new empty cache folder under it."""
    walls, cpus, mibs = [], [], []
    for k in range(repeat):
        run_env = env
        if empty_cache is not None:
            run_env = {**env, "XDG_CACHE_HOME": str(empty_cache / f"run{k}-{time.monotonic_ns()}")}
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=run_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        code = os.waitstatus_to_exitcode(status)
        if code == NOT_INSTALLED and "float_script" in " ".join(cmd):
            return {"missing": True, "why": err.strip()}
        if code != 0:
            raise SystemExit(f"failed: {' '.join(cmd)}\n{err[-2000:]}")
        walls.append(wall)
        cpus.append(usage.ru_utime + usage.ru_stime)
        mibs.append(usage.ru_maxrss / 1024)
    return {
        "seconds": statistics.median(walls),
        "cpu": statistics.median(cpus),
        "cpu_min": min(cpus),
        "mib": max(mibs),
        "runs": repeat,
    }


def explicit_file(scratch: Path, env: dict, sizes: str, decimals: int) -> Path:
    """The explicit form (`derive --expand`) of a dense sigmoid network, written in `scratch`."""
    n = int(sizes.split(",")[0])
    xs = ", ".join(f"{(i % 7 - 3) / 10:g}" for i in range(n))
    short = scratch / f"dense_{sizes.replace(',', '_')}.yaml"
    short.write_text(
        f"title: dense [{sizes}]\nlayers: [{sizes}]\nactivation: sigmoid\n"
        f"parameters:\n  random: {{seed: 7, low: -1, high: 1, decimals: {decimals}}}\n"
        f"data:\n  - {{x: [{xs}], y: 1}}\n"
    )
    out = scratch / f"explicit_{sizes.replace(',', '_')}.yaml"
    subprocess.run(
        [*derive_command(), str(short), "--expand", "-o", str(out)], cwd=ROOT, env=env, check=True, capture_output=True
    )
    return out


def processes(derive: list[str], scratch: Path) -> dict[str, list[str]]:
    """derive's processes, by key (the same for the working tree and an earlier commit)."""
    py = sys.executable
    d8 = ROOT / "bench" / "networks" / "dense_8_8_8_1.yaml"
    return {
        "python": [py, "-c", "pass"],
        "python_imports": [py, "-c", "import sympy, mpmath, yaml, jinja2, click"],
        "help": [*derive, "--help"],
        "check_help": [*derive, "check", "--help"],
        "train_help": [*derive, "train", "--help"],
        "seed_json": [*derive, str(SEED), "-f", "json", "-o", str(scratch / "seed.json")],
        "seed_json_noverify": [*derive, str(SEED), "-f", "json", "--no-verify", "-o", str(scratch / "nv.json")],
        "seed_md": [*derive, str(SEED), "-o", str(scratch / "seed.md")],
        "seed_md_cold": [*derive, str(SEED), "-o", str(scratch / "seed-cold.md")],
        "seed_md_plain": [*derive, str(SEED), "--no-pictures", "--no-verify", "-o", str(scratch / "plain.md")],
        "d8_json": [*derive, str(d8), "-f", "json", "-o", str(scratch / "d8.json")],
        "d8_md": [*derive, str(d8), "-o", str(scratch / "d8" / "d8.md")],
        "d8_md_plain": [*derive, str(d8), "--no-pictures", "-o", str(scratch / "d8" / "d8-plain.md")],
    }


SLOW = {"mid_json", "d8_md", "d8_md_plain", "mid_mpmath", "mid_numpy", "mid_torch"}  # run fewer times


def measure(repeat: int = 5, before: str | None = None, after: str | None = None) -> dict:
    """Every anchor, of the working tree or of commit `after`; with `before`, the same processes of
    that commit too, under "before"."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # bytecode cached, as for an installed package
    derive = derive_command()
    py = sys.executable
    out: dict = {"before_rev": before, "after_rev": after, "load_before": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="derive-anchors-") as tmp:
        scratch = Path(tmp)
        env["XDG_CACHE_HOME"] = str(scratch / "cache")  # derive's caches: the run's own, filled below
        setups = [("after", derive, env, ROOT)]
        if after:
            new = export(after, scratch)
            setups = [("after", derive_command(new), {**env, "PYTHONPATH": str(new)}, new)]
        if before:  # run from its own folder: `python -m` puts the working folder first on the path
            old = export(before, scratch)
            setups.append(("before", derive_command(old), {**env, "PYTHONPATH": str(old)}, old))
        d8 = ROOT / "bench" / "networks" / "dense_8_8_8_1.yaml"
        if not d8.exists():  # bench/run.py writes it; the same text
            sys.path.insert(0, str(HERE))
            from run import network_text

            d8.write_text(network_text([8, 8, 8, 1], "dense [8, 8, 8, 1]"))
        for _, cmd, e, cwd in setups:  # fill the bytecode, template and plot caches, as a second run finds them
            for net, args in (
                (SEED, ["-o", str(scratch / "warm.md")]),
                (SEED, ["-f", "json", "-o", str(scratch / "warm.json")]),
                (d8, ["-o", str(scratch / "warm-d8" / "d8.md")]),
            ):
                subprocess.run([*cmd, str(net), *args], cwd=cwd, env=e, capture_output=True)
        big = explicit_file(scratch, env, "256,128,1", 2)  # near the 1 MB limit
        mid = explicit_file(scratch, env, "128,128,1", 6)  # the explicit [128, 128, 1]
        for tag, cmd, e, cwd in setups:
            probe = [sys.executable, "-c", "import derive; print(derive.__file__)"]
            check = subprocess.run(probe, cwd=cwd, env=e, capture_output=True, text=True).stdout.strip()
            out.setdefault("modules", {})[tag] = check  # which derive was measured
            runs = processes(cmd, scratch)
            runs["mid_json"] = [*cmd, str(mid), "-f", "json", "--no-verify", "-o", str(scratch / "mid.json")]
            if tag == "after":  # the hand-written back-propagations of the same file, beside derive's
                runs["mid_mpmath"] = [py, str(HERE / "mpmath_script.py"), str(mid), str(scratch / "mp.json")]
                runs["mid_numpy"] = [py, str(HERE / "float_script.py"), "numpy", str(mid), str(scratch / "np.json")]
                runs["mid_torch"] = [py, str(HERE / "float_script.py"), "torch", str(mid), str(scratch / "pt.json")]
            got = {}
            for key, args in runs.items():
                print(f"anchors ({tag}): {key} …", file=sys.stderr, flush=True)
                n = max(1, min(repeat, 3)) if key in SLOW else repeat
                got[key] = timed(args, e, n, cwd, scratch / "empty" if key.endswith("_cold") else None)
            out[tag] = got
        for key, path in (("read_big", big), ("read_mid", mid)):
            print(f"anchors: {key} …", file=sys.stderr, flush=True)
            times = scratch / f"{key}.json"
            subprocess.run([py, str(HERE / "read_yaml.py"), str(path), str(times), "3"], cwd=ROOT, env=env, check=True)
            out[key] = json.loads(times.read_text())
        out["mid_edges"] = 128 * 128 + 128
    out["load_after"] = os.getloadavg()
    return out


ROWS = [
    ("`python -c pass` (the interpreter alone)", "python"),
    ("`python -c 'import sympy, mpmath, yaml, jinja2, click'`", "python_imports"),
    ("`derive --help`", "help"),
    ("`derive check --help`", "check_help"),
    ("`derive train --help`", "train_help"),
    ("seed JSON, `derive examples/pass_fail.yaml -f json` (SymPy check)", "seed_json"),
    ("seed JSON without the check (`--no-verify`)", "seed_json_noverify"),
    (
        "seed Markdown, `derive examples/pass_fail.yaml` (diagrams, descent plot, SymPy check): plot cache warm",
        "seed_md",
    ),
    (
        "the same, every run with an empty cache folder (templates compiled, the plot drawn by matplotlib)",
        "seed_md_cold",
    ),
    ("seed Markdown, `--no-pictures --no-verify`", "seed_md_plain"),
    ("[8, 8, 8, 1] JSON, `derive bench/networks/dense_8_8_8_1.yaml -f json` (SymPy check)", "d8_json"),
    ("[8, 8, 8, 1] Markdown (9 diagrams, the gradient-by-layer plot; plot cache warm)", "d8_md"),
    ("[8, 8, 8, 1] Markdown, `--no-pictures`", "d8_md_plain"),
    ("JSON of the explicit [128, 128, 1] file (`--no-verify`)", "mid_json"),
    ("the same file: `bench/mpmath_script.py` (C loader, 50-digit back-propagation, JSON)", "mid_mpmath"),
    ("the same file: `bench/float_script.py numpy` (NumPy float64)", "mid_numpy"),
    ("the same file: `bench/float_script.py torch` (PyTorch float64 autograd)", "mid_torch"),
]


def table(a: dict) -> str:
    """The anchors as Markdown tables, with the ratios to Python's own start-up."""
    after, before = a["after"], a.get("before")
    py = after["python"]["cpu"]
    head = f"| whole process (medians) | runs | {a.get('after_rev') or 'now'}: wall s | CPU s | × python (CPU) | peak MiB |"
    rule = "|---|---|---|---|---|---|"
    if before:
        head += f" before ({a['before_rev']}): wall s | CPU s |"
        rule += "---|---|"
    lines = [head, rule]
    for label, key in ROWS:
        m = after.get(key)
        if m is None:
            continue
        if m.get("missing"):
            row = f"| {label} | — | not installed | | | |"
        else:
            row = f"| {label} | {m.get('runs', '')} | {m['seconds']:.3f} | {m['cpu']:.3f} | {m['cpu'] / py:.1f}× | {m['mib']:.0f} |"
        if before:
            b = before.get(key)
            row += f" {b['seconds']:.3f} | {b['cpu']:.3f} |" if b and not b.get("missing") else " — | — |"
        lines.append(row)
    lines += [
        "",
        "| YAML read in the process (fastest of 3) | near-1 MB file: s | × bare libyaml | [128, 128, 1] file: s | × bare libyaml |",
        "|---|---|---|---|---|",
    ]
    reads = [
        ("`yaml.load(text, Loader=yaml.CSafeLoader)`: bare libyaml, Python objects", "yaml_c_load"),
        ("`yaml.compose(text, Loader=yaml.CSafeLoader)`: libyaml's nodes", "yaml_c_compose"),
        ("derive's compose (libyaml's parser, every refusal, marks)", "derive_compose"),
        ("derive's compose with PyYAML's pure-Python parser (the reader before issue 16)", "derive_compose_pure"),
        ("derive's load_network (read, compose, validate)", "derive_load"),
    ]
    big, mid = a["read_big"], a["read_mid"]
    for label, key in reads:
        lines.append(
            f"| {label} | {big[key]:.3f} | {big[key] / big['yaml_c_load']:.1f}× | {mid[key]:.3f} | "
            f"{mid[key] / mid['yaml_c_load']:.1f}× |"
        )
    lines += [
        "",
        f"The near-1 MB file is the explicit form (`derive --expand`) of a dense sigmoid [256, 128, 1] with "
        f"two decimals ({big['bytes']:,} bytes); the [128, 128, 1] file has six ({mid['bytes']:,} bytes, "
        f"{a['mid_edges']:,} edges). libyaml installed: {'yes' if big['libyaml'] else 'no'}. "
        + (
            f"Before and after differ by every commit between them (`git log {a['before_rev']}..{a.get('after_rev') or ''}`), "
            "not only by this issue's. "
            if before
            else ""
        )
        + "; ".join(f"{tag}: derive imported from {_where(path)}" for tag, path in a.get("modules", {}).items())
        + ".",
    ]
    return "\n".join(lines)


def _where(init: str) -> str:
    """The checkout a derive/__init__.py belongs to: an exported commit's folder, or the working tree."""
    folder = Path(init).parent.parent
    return f"`{folder.name}` (git archive)" if folder.name.startswith("at-") else f"the working tree ({folder})"


def ratios(a: dict) -> str:
    after = a["after"]
    py = after["python"]["seconds"]
    big = a["read_big"]

    cpu = after["python"]["cpu"]

    def verdict(key: str, target: float, what: str) -> str:
        s, c = after[key]["seconds"], after[key]["cpu"]
        return (
            f"- {what}: {s:.3f} s wall, {c:.3f} s CPU; {s / py:.1f}× Python's start-up in wall time ({py:.3f} s), "
            f"{c / cpu:.1f}× in CPU time ({cpu:.3f} s) (target < {target:g} s on an idle machine: "
            f"{'met' if s < target else 'not met'} in wall time, {'met' if c < target else 'not met'} in CPU time)"
        )

    def times(key: str, over: str, target: float, what: str) -> str:
        if key not in after or over not in after or after[over].get("missing"):
            return f"- {what}: not measured"
        c, o = after[key]["cpu"], after[over]["cpu"]
        return (
            f"- {what}: {c:.3f} against {o:.3f} s CPU, {c / o:.1f}× (target within {target:g}×: "
            f"{'met' if c / o <= target else 'not met'})"
        )

    torch = after.get("mid_torch", {})
    return "\n".join(
        [
            verdict("help", 0.3, "`derive --help`"),
            verdict("seed_json", 0.4, "seed JSON"),
            verdict("seed_md", 0.5, "seed Markdown, plot cache warm"),
            verdict("seed_md_cold", 0.5, "seed Markdown, empty cache"),
            times("d8_md", "d8_json", 3, "[8, 8, 8, 1] Markdown against its JSON, whole process"),
            times(
                "mid_json",
                "mid_mpmath",
                2,
                "explicit [128, 128, 1]: derive's JSON against the mpmath script, whole process",
            ),
            f"- the float64 anchors on the same file: NumPy {after['mid_numpy']['cpu']:.3f} s CPU; PyTorch "
            + ("not installed" if torch.get("missing") else f"{torch.get('cpu', float('nan')):.3f} s CPU"),
            f"- YAML reading of the near-1 MB file: derive's compose {big['derive_compose']:.3f} s against "
            f"{big['derive_compose_pure']:.3f} s with the pure-Python parser "
            f"({big['derive_compose_pure'] / big['derive_compose']:.1f}× faster), and {big['yaml_c_load']:.3f} s for a "
            f"bare `yaml.load` with libyaml (derive's compose {big['derive_compose'] / big['yaml_c_load']:.1f}× that, "
            f"its whole load_network {big['derive_load'] / big['yaml_c_load']:.1f}×)",
        ]
    )


def section(a: dict, cmd: str, machine: str) -> str:
    parts = [f"{START}\n## Anchors (issue 16)\n\nMeasured by `{cmd}` on {machine}.", table(a), ratios(a)]
    if "load_after" in a:
        parts.append("Load average after the run: " + " ".join(f"{x:.2f}" for x in a["load_after"]) + ".")
    if a.get("training"):
        parts.append(training_table(a["training"]))
    return "\n\n".join(parts) + f"\n{END}"


TRAIN_EPOCHS = (100, 400, 1000, 2000, 10000)


def measure_training(epochs=TRAIN_EPOCHS, formats=("md", "json")) -> dict:
    """`derive train examples/training_pass_fail.yaml` (4 points, batch 1, Adam: 4 steps an epoch) at
    each number of epochs, a whole process each (bench/train_steps.py), with the run's own cache."""
    sys.path.insert(0, str(HERE))
    import train_steps

    rows = []
    with tempfile.TemporaryDirectory(prefix="derive-train-") as tmp:
        folder = Path(tmp)
        old = os.environ.get("XDG_CACHE_HOME")
        os.environ["XDG_CACHE_HOME"] = str(folder / "cache")
        try:
            for fmt in formats:  # a first run fills the bytecode and template caches (not timed); its
                # loss plot (1 epoch) is none of the measured ones, so every measured run draws its own
                train_steps.measure(train_steps.EXAMPLE, 1, fmt, folder, derive_command())
            for fmt in formats:
                for n in epochs:
                    print(f"training: {n} epochs, {fmt} …", file=sys.stderr, flush=True)
                    cpu, wall, mib = train_steps.measure(train_steps.EXAMPLE, n, fmt, folder, derive_command())
                    rows.append({"format": fmt, "epochs": n, "steps": 4 * n, "cpu": cpu, "wall": wall, "mib": mib})
        finally:
            if old is None:
                os.environ.pop("XDG_CACHE_HOME")
            else:
                os.environ["XDG_CACHE_HOME"] = old
    return {"rows": rows, "load": os.getloadavg()}


def training_table(t: dict) -> str:
    lines = [
        "Training by its steps, in the same run: `derive train examples/training_pass_fail.yaml --epochs E -f F` "
        "(4 points, batch 1, Adam: 4 steps an epoch; each run's loss plot drawn by matplotlib, none cached), one whole process each "
        f'(load average after: {" ".join(f"{x:.2f}" for x in t["load"])}). "past first" is (CPU − the first '
        "row's CPU) / (steps − its steps): the cost of one more step.",
        "",
        "| format | epochs | steps | CPU s | wall s | ms/step | ms/step past first | peak MiB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    first: dict = {}
    for r in t["rows"]:
        f = first.setdefault(r["format"], r)
        past = "" if f is r else f"{1000 * (r['cpu'] - f['cpu']) / (r['steps'] - f['steps']):.2f}"
        lines.append(
            f"| {r['format']} | {r['epochs']:,} | {r['steps']:,} | {r['cpu']:.2f} | {r['wall']:.2f} | "
            f"{1000 * r['cpu'] / r['steps']:.2f} | {past} | {r['mib']:.0f} |"
        )
    notes = []
    for fmt in sorted({r["format"] for r in t["rows"]}):
        rows = [r for r in t["rows"] if r["format"] == fmt]
        by = {r["epochs"]: r for r in rows}
        if 400 in by and 10000 in by and rows[0]["epochs"] < 400:
            f = rows[0]
            at = {n: (by[n]["cpu"] - f["cpu"]) / (by[n]["steps"] - f["steps"]) * 1000 for n in (400, 10000)}
            notes.append(
                f"- {fmt}: a step past the first costs {at[10000]:.2f} ms at 10,000 epochs against {at[400]:.2f} ms "
                f"at 400 ({at[10000] / at[400]:.2f}×; target within 1.5×: {'met' if at[10000] <= 1.5 * at[400] else 'not met'})"
            )
        if 1000 in by:
            notes.append(
                f"- {fmt}: 1,000 epochs {by[1000]['cpu']:.2f} s CPU, {by[1000]['wall']:.2f} s wall (target under 10 s: "
                f"{'met' if by[1000]['cpu'] < 10 else 'not met'} in CPU time)"
            )
    return "\n".join(lines + (["", *notes] if notes else []))


def load_average() -> str:
    try:
        return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "load average unknown"


def put_in_results(path: Path, text: str) -> None:
    """Replace the anchors section of results.md (or add it at the end), leaving the rest as it is."""
    old = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    if START in old and END in old:
        new = old[: old.index(START)] + text + old[old.index(END) + len(END) :]
    else:
        new = old.rstrip("\n") + "\n\n" + text + "\n"
    path.write_text(new, encoding="utf-8")


def machine_line() -> str:
    import platform

    cpu = platform.processor()
    info = Path("/proc/cpuinfo")
    if info.exists():
        cpu = next(
            (line.split(":", 1)[1].strip() for line in info.read_text().splitlines() if line.startswith("model name")),
            cpu,
        )
    return (
        f"{time.strftime('%Y-%m-%d %H:%M')} ({load_average()} before the run), {os.cpu_count()} CPUs ({cpu}), "
        f"Python {platform.python_version()}"
    )


def main() -> None:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5, help="runs of each process; the fastest counts (default 5)")
    ap.add_argument("--before", metavar="REV", help="also measure commit REV (git archive), side by side")
    ap.add_argument("--after", metavar="REV", help="measure commit REV instead of the working tree")
    ap.add_argument("--json", metavar="PATH", help="also write the raw measurements to PATH")
    ap.add_argument(
        "--train-epochs", default="", help="also the training scaling at these epochs, e.g. 100,400,1000,10000"
    )
    ap.add_argument("--from-json", metavar="PATH", help="measure nothing: write the tables of a saved --json run")
    args = ap.parse_args()
    if args.from_json:
        a = json.loads(Path(args.from_json).read_text())
        text = section(a, a["command"], a["machine"])
        print(text)
        put_in_results(HERE / "results.md", text)
        return
    where = machine_line()
    a = measure(args.repeat, args.before, args.after)
    if args.train_epochs:
        a["training"] = measure_training([int(e) for e in args.train_epochs.split(",")])
    cmd = f"python bench/anchors.py --repeat {args.repeat}" + "".join(
        f" --{k} {v}"
        for k, v in (("before", args.before), ("after", args.after), ("train-epochs", args.train_epochs))
        if v
    )
    if args.json:
        Path(args.json).write_text(json.dumps({**a, "command": cmd, "machine": where}, indent=1))
    text = section(a, cmd, where)
    print(text)
    put_in_results(HERE / "results.md", text)


if __name__ == "__main__":
    main()
