"""derive against the naive SymPy approach, network size by network size, in one run on one machine.

    python bench/run.py [--quick] [--limit SECONDS]
    python bench/run.py --anchors      # only the anchors of issue 16 (bench/anchors.py) and the training scaling
    python bench/run.py --anchors --train-epochs 100,400,1000   # fewer epochs ("" for no training)

Every measurement is a fresh process (so imports and peak memory are real): derive's JSON, its
Markdown without pictures or the SymPy check, its default Markdown, and bench/naive.py (compose the
loss in SymPy, diff per parameter, substitute numbers) stopped at --limit seconds; then the anchors
(bench/anchors.py): Python's own start-up, `derive --help`, the seed's JSON and Markdown (plot cache warm
and empty), [8, 8, 8, 1]'s Markdown against its JSON, derive's JSON of an explicit [128, 128, 1] file
against a hand-written mpmath back-propagation of it, NumPy float64 and PyTorch float64 autograd (a
"not installed" row where it is not), derive's YAML reading against a bare `yaml.load` with libyaml,
and the training scaling (bench/train_steps.py's runs, 100 to 10,000 epochs). Prints the tables and
writes bench/results.md.
See bench/README.md for what each column means.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
NETS = HERE / "networks"
SEED = ROOT / "examples" / "pass_fail.yaml"
DENSE = [[4, 4, 4, 1], [8, 8, 8, 1], [32, 32, 32, 1], [100, 100, 10], [256, 256, 1]]
CHAINS = [8, 16, 32, 64]
QUICK_DENSE, QUICK_CHAINS = DENSE[:3], CHAINS[:2]


def network_text(sizes: list[int], title: str) -> str:
    """A dense sigmoid network, weights and biases drawn with seed 7 from [−1, 1] to 2 decimals."""
    xs = ", ".join(f"{(i % 7 - 3) / 10:g}" for i in range(sizes[0]))
    ys = "1" if sizes[-1] == 1 else "[" + ", ".join("1" if i == 0 else "0" for i in range(sizes[-1])) + "]"
    return (f"title: {title}\nlayers: {sizes}\nactivation: sigmoid\n"
            "parameters:\n  random: {seed: 7, low: -1, high: 1, decimals: 2}\n"
            f"data:\n  - {{x: [{xs}], y: {ys}}}\n")


def networks(quick: bool) -> list[tuple[str, Path, str]]:
    """(label, file, family) for every size measured; the files are written under bench/networks."""
    NETS.mkdir(exist_ok=True)
    out = [("seed (pass_fail)", SEED, "seed")]
    for sizes in QUICK_DENSE if quick else DENSE:
        name = "dense_" + "_".join(map(str, sizes))
        out.append((str(sizes), _write(name, network_text(sizes, f"dense {sizes}")), "dense"))
    for depth in QUICK_CHAINS if quick else CHAINS:
        sizes = [2] * (depth + 1) + [1]
        out.append((f"chain of {depth} × 2", _write(f"chain_{depth}", network_text(sizes, f"{depth} layers of 2")), "chain"))
    return out


def _write(name: str, text: str) -> Path:
    path = NETS / f"{name}.yaml"
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return path


def run(cmd: list[str], env: dict, timeout: float | None = None) -> dict:
    """Wall time, peak resident memory (MiB) and exit status of one process; None time on timeout."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = None if timeout is None else start + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if deadline and time.perf_counter() > deadline:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            return {"seconds": None, "mib": usage.ru_maxrss / 1024, "ok": False}
        time.sleep(0.005)
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace")
    ok = proc.returncode == 0
    if not ok:
        print(f"  failed: {' '.join(cmd)}\n{err[-2000:]}", file=sys.stderr)
    return {"seconds": time.perf_counter() - start, "mib": usage.ru_maxrss / 1024, "ok": ok}


def derive(net: Path, args: list[str], env: dict, scratch: Path, tag: str, repeat: int) -> dict:
    """The fastest of `repeat` runs (other work on the machine only ever slows a run down), with the
    largest peak memory of them."""
    times = scratch / f"{tag}.times.json"
    out = scratch / tag / ("notes.json" if "json" in args else "notes.md")
    out.parent.mkdir(parents=True, exist_ok=True)
    best = None
    for _ in range(repeat):
        got = run([sys.executable, str(HERE / "timed.py"), str(times), "--", str(net), "-o", str(out), *args], env)
        if not got["ok"]:
            return got
        got.update(json.loads(times.read_text()), output=out)
        mib = max(got["mib"], best["mib"]) if best else got["mib"]
        best = got if best is None or got["seconds"] < best["seconds"] else best
        best["mib"] = mib
    return best


def naive(net: Path, limit: float, env: dict, scratch: Path, tag: str) -> dict:
    out = scratch / f"{tag}.naive.json"
    got = run([sys.executable, str(HERE / "naive.py"), str(net), "--out", str(out), "--limit", str(limit)],
              env, timeout=limit + 30)
    if got["ok"] and out.exists():
        data = json.loads(out.read_text())
        got["seconds_work"] = data.pop("seconds")["work"]
        got.update(data)
    got["finished"] = got.get("finished", False)
    return got


def max_relative_difference(derive_json: Path, naive_grads: dict) -> float | None:
    """The largest |derive − naive| / |naive| over the gradients naive found (Fractions of the decimals)."""
    ours = json.loads(derive_json.read_text())["gradients"]
    worst = None
    for p, text in naive_grads.items():
        a, b = Fraction(ours[p]["value"]), Fraction(text)
        diff = abs(a - b) / abs(b) if b else abs(a - b)
        worst = diff if worst is None or diff > worst else worst
    return None if worst is None else float(worst)


def environment(scratch: Path) -> dict:
    """Children may write bytecode (derive/__pycache__, ignored by git), as an installed package has
    its modules compiled; a first run before the measurements fills the cache."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONHASHSEED"] = "0"
    return env


def measure(label: str, net: Path, family: str, args, env, scratch, skip_naive: set) -> dict:
    from derive import load_network

    loaded = load_network(str(net))
    row = {"network": label, "family": family, "edges": loaded.edge_count(), "params": len(loaded.parameters)}
    tag = net.stem
    row["json"] = derive(net, ["-f", "json"], env, scratch, tag + "_json", args.repeat)
    if family == "seed":  # the fixed cost of a run, taken out of the work per edge
        row["json_base"] = derive(net, ["-f", "json", "--no-verify"], env, scratch, tag + "_base", args.repeat)
    row["md_plain"] = derive(net, ["--no-pictures", "--no-verify"], env, scratch, tag + "_plain", args.repeat)
    row["md"] = derive(net, [], env, scratch, tag + "_md", args.repeat)
    if family in skip_naive and not (family == "dense" and row["edges"] <= 136):  # naive always runs up to [8, 8, 8, 1]
        row["naive"] = {"seconds": None, "skipped": True, "finished": False}
    else:
        row["naive"] = naive(net, args.limit, env, scratch, tag)
        if not row["naive"]["finished"] and family != "seed":
            skip_naive.add(family)  # a bigger network of the same family takes longer still
    grads = row["naive"].get("gradients")
    row["rel_diff"] = max_relative_difference(row["json"]["output"], grads) if grads and row["json"]["ok"] else None
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="only the seed, [4,4,4,1] to [32,32,32,1] and chains of 8 and 16")
    ap.add_argument("--limit", type=float, default=60, help="seconds the naive approach may take (default 60)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each derive measurement; the fastest counts (default 3)")
    ap.add_argument("--anchors", action="store_true", help="only the anchors (start-up, YAML reading); the rest of results.md is kept")
    ap.add_argument("--before", metavar="REV", help="measure the anchors of commit REV too, side by side")
    ap.add_argument("--train-epochs", default="100,400,1000,2000,10000",
                    help='the training scaling at these epochs, with the anchors ("" for none)')
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    import anchors
    from table import summary, table, write_results

    where = anchors.machine_line()
    train = f" --train-epochs {args.train_epochs}" if args.train_epochs else ' --train-epochs ""'
    if args.anchors:
        found = anchors.measure(max(args.repeat, 5), args.before)
        if args.train_epochs:
            found["training"] = anchors.measure_training([int(e) for e in args.train_epochs.split(",")])
        before = f" --before {args.before}" if args.before else ""
        text = anchors.section(found, f"python bench/run.py --anchors --repeat {args.repeat}{before}{train}", where)
        print(text)
        anchors.put_in_results(HERE / "results.md", text)
        return

    rows = []
    with tempfile.TemporaryDirectory(prefix="derive-bench-") as tmp:
        scratch = Path(tmp)
        env = environment(scratch)
        run([sys.executable, "-m", "derive.cli", str(SEED), "-o", str(scratch / "warm.md")], env)  # fill the bytecode cache
        skip: set = set()
        for label, net, family in networks(args.quick):
            print(f"measuring {label} …", file=sys.stderr, flush=True)
            rows.append(measure(label, net, family, args, env, scratch, skip))
    print("measuring the anchors …", file=sys.stderr, flush=True)
    found = anchors.measure(max(args.repeat, 5), args.before)
    if args.train_epochs:
        found["training"] = anchors.measure_training([int(e) for e in args.train_epochs.split(",")])
    text = table(rows, args.limit)
    notes = summary(rows, args.limit)
    print(text + "\n\n" + notes)
    write_results(HERE / "results.md", text, notes, machine(), args)
    cmd = "python bench/run.py" + (" --quick" if args.quick else "") + f" --limit {args.limit:g} --repeat {args.repeat}"
    section = anchors.section(found, cmd + (f" --before {args.before}" if args.before else "") + train, where)
    print(section)
    anchors.put_in_results(HERE / "results.md", section)


def machine() -> dict:
    import mpmath
    import sympy

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else platform.processor()
    return {"cpus": os.cpu_count(), "cpu": cpu, "python": platform.python_version(), "system": platform.platform(),
            "sympy": sympy.__version__, "mpmath": mpmath.__version__, "date": time.strftime("%Y-%m-%d %H:%M")}


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    main()
