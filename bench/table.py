"""The benchmark's table, its verdict on the targets of issue 7, and bench/results.md."""
from __future__ import annotations

from pathlib import Path

HEAD = ("| network | edges | derive JSON: whole s (imports s, work s) | work µs/edge | Markdown, no pictures/check: s | "
        "Markdown default: s | naive SymPy: s | naive ÷ derive: work (whole) | peak MiB: JSON / md / naive | "
        "max rel. diff vs naive |\n|---|---|---|---|---|---|---|---|---|---|")


def _s(m: dict | None, digits: int = 2) -> str:
    if not m or m.get("seconds") is None:
        return "—"
    return f"{m['seconds']:.{digits}f}"


def per_edge(row: dict, seed: dict) -> float | None:
    """Derive's JSON work (in-process: reading, numbers, JSON, writing) less the seed's without the
    SymPy check, per edge: the fixed cost of a run is taken out, what is left grows with the network."""
    if row is seed or not row["json"].get("ok"):
        return None
    return (row["json"]["work"] - seed["json_base"]["work"]) / row["edges"] * 1e6


def _naive(row: dict, limit: float) -> str:
    n = row["naive"]
    if n.get("skipped"):
        return "skipped (smaller one > limit)"
    if not n.get("finished"):
        done = f", {n['done']} of {n['total']} gradients" if n.get("done") else ""
        return f"> {limit:g}{done}"
    return f"{n['seconds']:.2f} (work {n['seconds_work']:.2f})"


def ratio(row: dict, limit: float) -> str:
    n, d = row["naive"], row["json"]
    if not d.get("ok"):
        return "—"
    if n.get("finished"):
        return f"{n['seconds_work'] / d['work']:.0f}× ({n['seconds'] / d['seconds']:.0f}×)"
    if n.get("skipped"):
        return "—"
    return f"> {limit / d['work']:.0f}× (> {limit / d['seconds']:.0f}×)"


def table(rows: list[dict], limit: float) -> str:
    seed = rows[0]
    lines = [HEAD]
    for r in rows:
        pe = per_edge(r, seed)
        mem = " / ".join(f"{m['mib']:.0f}" if m.get("mib") else "—" for m in (r["json"], r["md"], r["naive"]))
        diff = "—" if r["rel_diff"] is None else f"{r['rel_diff']:.1e}"
        lines.append(f"| {r['network']} | {r['edges']} | {_s(r['json'])} ({r['json'].get('import', 0):.2f}, {r['json'].get('work', 0):.3f}) | "
                     f"{'—' if pe is None else f'{pe:.0f}'} | {_s(r['md_plain'])} | {_s(r['md'])} | {_naive(r, limit)} | "
                     f"{ratio(r, limit)} | {mem} | {diff} |")
    return "\n".join(lines)


def summary(rows: list[dict], limit: float) -> str:
    """Each target of the issue, met or not, from this run's figures."""
    by = {r["network"]: r for r in rows}
    seed, out = rows[0], []
    d8, d32, d256 = by.get("[8, 8, 8, 1]"), by.get("[32, 32, 32, 1]"), by.get("[256, 256, 1]")
    if d8:
        n = d8["naive"]
        r = n["seconds_work"] / d8["json"]["work"] if n.get("finished") else limit / d8["json"]["work"]
        out.append(f"- naive ÷ derive at [8, 8, 8, 1] (work, all gradients with numbers): {'' if n.get('finished') else '> '}"
                   f"{r:.0f}× (target ≥ 200×): {'met' if r >= 200 else 'NOT met'}")
    dense = [r for r in rows if r["family"] == "dense" and r["edges"] >= 136 and per_edge(r, seed)]
    if len(dense) > 1:
        pes = [per_edge(r, seed) for r in dense]
        spread = max(pes) / min(pes)
        out.append(f"- work per edge from {dense[0]['network']} to {dense[-1]['network']}: "
                   f"{', '.join(f'{p:.0f}' for p in pes)} µs, spread {spread:.2f}× (target ≤ 2×): {'met' if spread <= 2 else 'NOT met'}")
    if d32:
        s = d32["json"]["seconds"]
        out.append(f"- [32, 32, 32, 1] JSON, whole process: {s:.2f} s (target < 2 s): {'met' if s < 2 else 'NOT met'}")
    for key, what in (("md_plain", "without pictures and check"), ("md", "default: pictures and SymPy check")):
        m = seed[key]
        out.append(f"- seed Markdown {what}, whole process: {m['seconds']:.2f} s, of which imports {m['import']:.2f} s "
                   f"and work {m['work']:.2f} s (target < 1 s): {'met' if m['seconds'] < 1 else 'NOT met'}")
    if d256:
        mib = max(d256[k]["mib"] for k in ("json", "md_plain", "md"))
        out.append(f"- peak memory at [256, 256, 1]: {mib:.0f} MiB (target < 1024): {'met' if mib < 1024 else 'NOT met'}")
    diffs = [r["rel_diff"] for r in rows if r["rel_diff"] is not None]
    if diffs:
        out.append(f"- largest relative difference from the naive gradients: {max(diffs):.1e} (target ≤ 1e-15): "
                   f"{'met' if max(diffs) <= 1e-15 else 'NOT met'}")
    return "\n".join(out)


def write_results(path: Path, text: str, notes: str, machine: dict, args) -> None:
    cmd = "python bench/run.py" + (" --quick" if args.quick else "") + f" --limit {args.limit:g} --repeat {args.repeat}"
    path.write_text(
        f"# Benchmark results\n\nMeasured by `{cmd}` on {machine['date']}: {machine['cpus']} CPUs ({machine['cpu']}), "
        f"Python {machine['python']}, SymPy {machine['sympy']}, mpmath {machine['mpmath']}, {machine['system']}.\n\n"
        f"{text}\n\n## Targets\n\n{notes}\n\nColumns are explained in [README.md](README.md).\n", encoding="utf-8")
