"""Anchors for derive's start-up and reading (issue 16), measured side by side in one run: what Python
itself costs, what `derive --help` and the seed's notes cost on top, and derive's YAML reading
against the bare library's.

    python bench/anchors.py [--repeat N]     # only the anchors; bench/run.py measures them too
    python bench/anchors.py --before REV     # and the same processes of an earlier commit, side by side
    python bench/anchors.py --before REV --after REV2   # two commits (not the working tree) side by side

Every process is started fresh; each is run `--repeat` times and the fastest counts (wall time; the
CPU time, user + system, of that run beside it). Prints a table and the ratios, and puts them in
bench/results.md (its "Anchors" section, the rest left as it is).
"""

from __future__ import annotations

import json
import os
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


def timed(cmd: list[str], env: dict, repeat: int, cwd: Path = ROOT) -> dict:
    """The fastest of `repeat` runs of `cmd`: wall seconds, CPU seconds (user + system) and peak MiB."""
    best: dict | None = None
    for _ in range(repeat):
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"failed: {' '.join(cmd)}\n{err[-2000:]}")
        got = {"seconds": wall, "cpu": usage.ru_utime + usage.ru_stime, "mib": usage.ru_maxrss / 1024}
        if best is None or got["seconds"] < best["seconds"]:
            best = got
    assert best is not None
    return best


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
    py = sys.executable
    return {
        "python": [py, "-c", "pass"],
        "python_imports": [py, "-c", "import sympy, mpmath, yaml, jinja2, click"],
        "help": [*derive, "--help"],
        "check_help": [*derive, "check", "--help"],
        "train_help": [*derive, "train", "--help"],
        "seed_json": [*derive, str(SEED), "-f", "json", "-o", str(scratch / "seed.json")],
        "seed_json_noverify": [*derive, str(SEED), "-f", "json", "--no-verify", "-o", str(scratch / "nv.json")],
        "seed_md": [*derive, str(SEED), "-o", str(scratch / "seed.md")],
        "seed_md_plain": [*derive, str(SEED), "--no-pictures", "--no-verify", "-o", str(scratch / "plain.md")],
    }


def measure(repeat: int = 5, before: str | None = None, after: str | None = None) -> dict:
    """Every anchor, of the working tree or of commit `after`; with `before`, the same processes of
    that commit too, under "before"."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # bytecode cached, as for an installed package
    derive = derive_command()
    py = sys.executable
    out: dict = {"before_rev": before, "after_rev": after}
    with tempfile.TemporaryDirectory(prefix="derive-anchors-") as tmp:
        scratch = Path(tmp)
        setups = [("after", derive, env, ROOT)]
        if after:
            new = export(after, scratch)
            setups = [("after", derive_command(new), {**env, "PYTHONPATH": str(new)}, new)]
        if before:  # run from its own folder: `python -m` puts the working folder first on the path
            old = export(before, scratch)
            setups.append(("before", derive_command(old), {**env, "PYTHONPATH": str(old)}, old))
        for _, cmd, e, cwd in setups:  # fill the bytecode and template caches, as a second run finds them
            for args in (["-o", str(scratch / "warm.md")], ["-f", "json", "-o", str(scratch / "warm.json")]):
                subprocess.run([*cmd, str(SEED), *args], cwd=cwd, env=e, capture_output=True)
        big = explicit_file(scratch, env, "256,128,1", 2)  # near the 1 MB limit
        mid = explicit_file(scratch, env, "128,128,1", 6)  # the explicit [128, 128, 1]
        for tag, cmd, e, cwd in setups:
            probe = [sys.executable, "-c", "import derive; print(derive.__file__)"]
            check = subprocess.run(probe, cwd=cwd, env=e, capture_output=True, text=True).stdout.strip()
            out.setdefault("modules", {})[tag] = check  # which derive was measured
            runs = processes(cmd, scratch)
            runs["mid_json"] = [*cmd, str(mid), "-f", "json", "--no-verify", "-o", str(scratch / "mid.json")]
            got = {}
            for key, args in runs.items():
                print(f"anchors ({tag}): {key} …", file=sys.stderr, flush=True)
                got[key] = timed(args, e, repeat if key != "mid_json" else max(1, repeat // 2), cwd)
            out[tag] = got
        for key, path in (("read_big", big), ("read_mid", mid)):
            print(f"anchors: {key} …", file=sys.stderr, flush=True)
            times = scratch / f"{key}.json"
            subprocess.run([py, str(HERE / "read_yaml.py"), str(path), str(times), "3"], cwd=ROOT, env=env, check=True)
            out[key] = json.loads(times.read_text())
        out["mid_edges"] = 128 * 128 + 128
    return out


ROWS = [
    ("`python -c pass` (the interpreter alone)", "python"),
    ("`python -c 'import sympy, mpmath, yaml, jinja2, click'`", "python_imports"),
    ("`derive --help`", "help"),
    ("`derive check --help`", "check_help"),
    ("`derive train --help`", "train_help"),
    ("seed JSON, `derive examples/pass_fail.yaml -f json` (SymPy check)", "seed_json"),
    ("seed JSON without the check (`--no-verify`)", "seed_json_noverify"),
    ("seed Markdown, `derive examples/pass_fail.yaml` (diagrams, descent plot, SymPy check)", "seed_md"),
    ("seed Markdown, `--no-pictures --no-verify`", "seed_md_plain"),
    ("JSON of the explicit [128, 128, 1] file (`--no-verify`)", "mid_json"),
]


def table(a: dict) -> str:
    """The anchors as Markdown tables, with the ratios to Python's own start-up."""
    after, before = a["after"], a.get("before")
    py = after["python"]["cpu"]
    head = f"| whole process | {a.get('after_rev') or 'now'}: wall s | CPU s | × python (CPU) | peak MiB |"
    rule = "|---|---|---|---|---|"
    if before:
        head += f" before ({a['before_rev']}): wall s | CPU s |"
        rule += "---|---|"
    lines = [head, rule]
    for label, key in ROWS:
        m = after[key]
        row = f"| {label} | {m['seconds']:.3f} | {m['cpu']:.3f} | {m['cpu'] / py:.1f}× | {m['mib']:.0f} |"
        if before:
            b = before[key]
            row += f" {b['seconds']:.3f} | {b['cpu']:.3f} |"
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

    return "\n".join(
        [
            verdict("help", 0.3, "`derive --help`"),
            verdict("seed_json", 0.4, "seed JSON"),
            verdict("seed_md", 0.5, "seed Markdown"),
            f"- YAML reading of the near-1 MB file: derive's compose {big['derive_compose']:.3f} s against "
            f"{big['derive_compose_pure']:.3f} s with the pure-Python parser "
            f"({big['derive_compose_pure'] / big['derive_compose']:.1f}× faster), and {big['yaml_c_load']:.3f} s for a "
            f"bare `yaml.load` with libyaml (derive's compose {big['derive_compose'] / big['yaml_c_load']:.1f}× that, "
            f"its whole load_network {big['derive_load'] / big['yaml_c_load']:.1f}×)",
        ]
    )


def section(a: dict, cmd: str, machine: str) -> str:
    return f"{START}\n## Anchors (issue 16)\n\nMeasured by `{cmd}` on {machine}.\n\n{table(a)}\n\n{ratios(a)}\n{END}"


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
    cmd = f"python bench/anchors.py --repeat {args.repeat}" + "".join(
        f" --{k} {v}" for k, v in (("before", args.before), ("after", args.after)) if v
    )
    if args.json:
        Path(args.json).write_text(json.dumps({**a, "command": cmd, "machine": where}, indent=1))
    text = section(a, cmd, where)
    print(text)
    put_in_results(HERE / "results.md", text)


if __name__ == "__main__":
    main()
