"""The backward half of the notes: for every parameter its chain-rule paths, factor by factor, the
δ recursion that computes the same numbers in one sweep, the check, and the update."""
from __future__ import annotations

import mpmath

from derive import losses, progress
from derive.calculus.depth import depth_section
from derive.errors import NotDifferentiable
from derive.calculus.grad import Backward, backward, param_path_count, path_counts, routes, successors, uses
from derive.calculus.graph import Forward
from derive.latex import partial, tex_name
from derive.steps.layers import TABLE_ROWS, abbreviate, backward_rows, delta_matrix, layers_of, path_facts
from derive.numbers import Num, exact_text, json_decimal
from derive.calculus.symbolic import verify
from derive.texnum import TexNumbers

JSON_MAX_PATHS = 64
JSON_PATH_BUDGET = 2000  # paths listed in JSON over the whole network; past it, counts only
LECTURE_EDGES = 64  # up to this many edges a network lists up to 8 paths per edge


def path_budget(edges: int) -> int:
    """How many chain-rule paths the JSON lists in all (parameters nearest the loss first): up to
    8 per edge for a lecture-size network, tapering from 64 edges to one per two edges by 128, and
    JSON_PATH_BUDGET at most, so that listing paths never costs more than the edges themselves."""
    lecture = min(8 * edges, 8 * LECTURE_EDGES) - 8 * max(0, edges - LECTURE_EDGES)
    return min(JSON_PATH_BUDGET, max(edges // 2, lecture))


def backward_section(net, shown: Forward, exact: Forward, zt, tn: TexNumbers, options) -> dict:
    """Gradients of every parameter (JSON), and for the notes the derivations, the sweep, the check
    and the update; linear in the edges, with paths listed only within budgets."""
    try:
        back = backward(shown)
        back_exact = backward(exact) if exact is not shown else back
    except NotDifferentiable as exc:
        return {"available": False, "reason": str(exc)}
    ctx = _context(net)
    order = _order(net, ctx["uses"])
    progress.stage("gradients", len(order))
    json, budget = {}, path_budget(net.edge_count())
    for i, p in enumerate(order):
        json[p], budget = _json_gradient(net, exact, back_exact, p, ctx, zt, budget)
        progress.advance(i + 1)
    progress.stage("symbolic check")
    check = verify(net, exact.point, back_exact.gradients) if options.verify else None
    with mpmath.workdps(exact.dps):  # at the working precision, like every other value
        updated = {p: _update(net, p, back_exact.gradients[p], ctx["eta"]) for p in net.parameters}
    section = {"available": True, "check": check, "json": json, "updated_exact": updated, "param_count": len(order)}
    if options.detail:
        progress.stage("derivations")
        section.update(_notes(net, shown, back, back_exact, order, ctx, zt, tn, options))
    return section


def _context(net) -> dict:
    """What every parameter's paths need, found once: path counts, uses, successors, edge weights,
    and a cache of chain-rule factors (a factor is shared by every path through its edge)."""
    succ = successors(net)
    weight_of = {(m, k): w for k, out in succ.items() for m, w in out}
    return {"counts": path_counts(net), "uses": uses(net), "succ": succ, "weight_of": weight_of, "factors": {},
            "eta": Num(net.learning_rate)}


def _notes(net, shown, back, back_exact, order, ctx, zt, tn, options) -> dict:
    """The parts of the Markdown and LaTeX notes: derivations of the chosen parameters, the update
    table's rows (at most TABLE_ROWS), the sweep, the depth table, and for a big network (more
    parameters than --max-derivations) the layer-by-layer summary."""
    chosen = explained(order, options.explain, options.max_derivations)
    big = len(order) > options.max_derivations
    rows = set(order[:TABLE_ROWS])
    params = [_derivation(net, shown, back, back_exact, p, ctx, zt, tn, options, p in chosen, p in rows)
              for p in order if p in chosen or p in rows]
    deltas = _deltas(net, shown, back, zt, tn, ctx["succ"], big)
    return {"params": params, "hidden_rows": len(order) - len(rows), "explained": len(chosen),
            "deltas": deltas, "hidden_deltas": len(net.neurons) - len(deltas),
            "depth": depth_section(shown, back, zt, tn),
            "layers": _layer_section(net, shown, back, ctx, tn) if big else None}


def _layer_section(net, fwd, back, ctx, tn) -> dict:
    found = layers_of(net)
    return {"rows": backward_rows(net, fwd, back, ctx["counts"], found, tn), "layered": found.layered,
            "matrix": delta_matrix(net, found) if found.layered else None, "count": len(found.groups),
            "paths": path_facts(net, ctx["counts"], ctx["uses"], list(ctx["uses"]))}  # ties: the first written


def explained(order: list[str], names: list[str] | None, limit: int) -> set[str]:
    """The parameters whose derivation is written out in full: those named, else all up to `limit`,
    else a sample (the one nearest the loss and the six nearest the inputs, where gradients vanish)."""
    if names:
        return set(names)
    return set(order if len(order) <= limit else order[:1] + order[-6:])


def _order(net, all_uses) -> list[str]:
    """Parameters nearest the loss first, as the lecture derives w4 before w1."""
    rank = {n.name: i for i, n in enumerate(net.neurons)}
    position = {p: i for i, p in enumerate(net.parameters)}
    return sorted(net.parameters, key=lambda p: (-max((rank[u.neuron] for u in all_uses[p]), default=-1), position[p]))


def _update(net, p: str, g: Num, eta: Num | None = None) -> Num:
    old = Num(net.parameters[p])
    return old if p in net.freeze else old - g * (eta or Num(net.learning_rate))


# -- factors ------------------------------------------------------------------------------------------
def _factors(fwd: Forward, back: Backward, route: list[str], use, zt, tn: TexNumbers | None, ctx):
    """The chain-rule factors of one path: (symbol, formula, numbers substituted, value, plain label).
    Each factor is found once per edge (or use) and kept in ctx: every path through it shares it."""
    cache, tag = ctx["factors"], (id(back), tn is None)
    head = cache.get(("head", route[0], tag))
    if head is None:
        head = cache[("head", route[0], tag)] = _head(fwd, back, route[0], zt, tn)
    facts = [head]
    for m, k in zip(route, route[1:]):
        link = cache.get(("link", m, k, tag))
        if link is None:
            link = cache[("link", m, k, tag)] = _link(fwd, back, m, k, zt, tn, ctx["weight_of"])
        facts.append(link)
    tail = cache.get(("tail", use, tag))
    if tail is None:
        tail = cache[("tail", use, tag)] = _tail(fwd, back, use, zt, tn)
    facts.append(tail)
    return facts


def _fmt(tn, x: Num) -> str:
    return tn.arg(x) if tn else ""


def _head(fwd, back, o, zt, tn):
    net = fwd.net
    O, k = tex_name(o), len(net.outputs)
    idx = net.outputs.index(o)
    y = "y" if k == 1 else f"y_{{{idx + 1}}}"
    yv = fwd.targets()[idx]
    if net.neuron(o).activation.name == "softmax":
        value = back.delta[o]
        if net.loss == "categorical_cross_entropy" and sum(fwd.point.targets) == 1:
            return (partial("L", zt[o]), f"{O} - {y}",
                    f"{_fmt(tn, fwd.neurons[o].O)} - {_fmt(tn, yv)}" if tn else "", value, f"dL/dz({o})")
        return (partial("L", zt[o]), rf"{O}\left({partial('L', O)} - \sum_j {partial('L', 'O_j')}\, O_j\right)",
                "", value, f"dL/dz({o})")
    formula = losses.tex_gradient(net.loss, O, y, k)
    subst = losses.tex_gradient(net.loss, _fmt(tn, fwd.neurons[o].O), _fmt(tn, yv), k) if tn else ""
    return (partial("L", O), formula, subst, back.dL_dyhat[o], f"dL/d{o}")


def _local(fwd, back, n: str, zt, tn, multiplier_tex: str, multiplier_num: str):
    """f′(z_n) written in the textbook form, times a multiplier, in symbols and in numbers."""
    neuron = fwd.net.neuron(n)
    v = fwd.neurons[n]
    act = neuron.activation
    form = act.tex_derivative("z", tex_name(n), v.z)
    nums = act.tex_derivative("z", _fmt(tn, v.O), v.z) if tn else ""
    if form == "1":
        return multiplier_tex or "1", multiplier_num or "1"
    prime = act.tex_prime(zt[n])
    if not multiplier_tex:
        return rf"{prime} = {form}", nums
    return rf"{prime} \cdot {multiplier_tex} = {form} \cdot {multiplier_tex}", rf"{nums} \cdot {multiplier_num}"


def _link(fwd, back, m, k, zt, tn, weight_of):
    net = fwd.net
    w = weight_of[(m, k)]
    wv = fwd.weight(w)
    w_tex = tex_name(w) if isinstance(w, str) else _fmt(tn, wv)
    if net.neuron(m).activation.name == "softmax":
        return (partial(zt[m], tex_name(k)), w_tex, _fmt(tn, wv), wv, f"dz({m})/d{k}")
    formula, subst = _local(fwd, back, m, zt, tn, w_tex, _fmt(tn, wv))
    return (partial(tex_name(m), tex_name(k)), formula, subst, back.fprime[m] * wv, f"d{m}/d{k}")


def _tail(fwd, back, use, zt, tn):
    n, p = use.neuron, use.param
    net = fwd.net
    src_tex = tex_name(use.source) if use.source else ""
    src_val = fwd.value(use.source) if use.source else Num(1)
    if net.neuron(n).activation.name == "softmax":
        return (partial(zt[n], tex_name(p)), src_tex or "1", _fmt(tn, src_val), src_val, f"dz({n})/d{p}")
    formula, subst = _local(fwd, back, n, zt, tn, src_tex, _fmt(tn, src_val) if use.source else "")
    return (partial(tex_name(n), tex_name(p)), formula, subst, back.fprime[n] * src_val, f"d{n}/d{p}")


def _paths(fwd, back, use_list, limit, zt, tn, ctx):
    found = []
    for use in use_list:
        for route in routes(fwd.net, use.neuron, limit, ctx["succ"], ctx["counts"]):
            facts = _factors(fwd, back, route, use, zt, tn, ctx)
            product = facts[0][3]
            for f in facts[1:]:
                product = product * f[3]
            found.append((use, route, facts, product))
    return found


# -- one parameter ------------------------------------------------------------------------------------
def _derivation(net, fwd, back, back_exact, p, ctx, zt, tn, options, full: bool, row: bool = True) -> dict:
    use_list = ctx["uses"][p]
    count = param_path_count(net, use_list, ctx["counts"])
    g = back.gradients[p]
    d = {"name": p, "tex": tex_name(p), "kind": "bias" if all(u.source is None for u in use_list) else "weight",
         "uses": [{"neuron": tex_name(u.neuron), "source": tex_name(u.source) if u.source else None} for u in use_list],
         "path_count": count, "paths": None, "value": tn.text(g), "eq": tn.eq(g),
         "full_value": tn.text(back_exact.gradients[p]), "frozen": p in net.freeze,
         "tied": len(use_list) > 1, "sum_line": None, "delta_uses": None, "full": full, "row": row}
    if full and count <= options.max_paths:
        with mpmath.workdps(fwd.dps):
            paths = _paths(fwd, back, use_list, count, zt, tn, ctx)
            total = sum((x[3] for x in paths), Num(0))
        _assert_close(total, g, p)
        d["paths"] = [_path_dict(p, route, facts, product, tn) for _, route, facts, product in paths]
        if len(paths) > 1:
            d["sum_line"] = " + ".join(tn.arg(x[3]) for x in paths) + f" {tn.eq(total)}"
    elif full:
        d["delta_uses"] = [_delta_use(u, fwd, back, zt, tn) for u in use_list]
    old = Num(net.parameters[p])
    with mpmath.workdps(fwd.dps):
        new = _update(net, p, g, ctx["eta"])
    d["update_line"] = (rf"{tex_name(p)}^{{\text{{new}}}} = {tn.text(old)} - {tn.text(ctx['eta'])} \cdot {tn.arg(g)} {tn.eq(new)}"
                        if p not in net.freeze else rf"{tex_name(p)}^{{\text{{new}}}} = {tn.text(old)}")
    d["new"] = tn.text(new)
    d["old"] = tn.text(old)
    return d


def _path_dict(p, route, facts, product, tn) -> dict:
    return {
        "route": " \\to ".join(["L"] + [tex_name(r) for r in route] + [tex_name(p)]),
        "chain": r" \cdot ".join(f[0] for f in facts),
        "factors": [{"symbol": f[0], "formula": f[1], "substituted": f[2] if f[2] not in (f[1], tn.text(f[3])) else "",
                     "value": tn.text(f[3]), "eq": tn.eq(f[3])} for f in facts],
        "product_line": r" \cdot ".join(tn.arg(f[3]) for f in facts) + f" {tn.eq(product)}",
        "product": tn.text(product),
    }


def _delta_use(u, fwd, back, zt, tn) -> dict:
    delta = zt[u.neuron].replace("z_", r"\delta_", 1)
    src = tex_name(u.source) if u.source else "1"
    srcv = fwd.value(u.source) if u.source else Num(1)
    return {"line": rf"{partial('L', tex_name(u.param))} \mathrel{{+}}= {delta} \cdot {src} = {tn.arg(back.delta[u.neuron])} \cdot {tn.arg(srcv)}"}


def _deltas(net, fwd, back, zt, tn, succ, big: bool = False) -> list[dict]:
    """One row per neuron, from the outputs back: as many rows as the notes show (TABLE_ROWS) are
    written out, and for a big network a long sum is shortened to its first terms and its last."""
    rows = []
    for n in list(reversed(net.neurons))[:TABLE_ROWS]:
        delta = zt[n.name].replace("z_", r"\delta_", 1)
        terms = [rf"{tex_name(w) if isinstance(w, str) else tn.arg(fwd.weight(w))}\,{zt[m].replace('z_', chr(92) + 'delta_', 1)}"
                 for m, w in succ[n.name]]
        if n.name in net.outputs:
            terms.insert(0, partial("L", tex_name(n.name)))
        prime = "" if n.activation.name in ("softmax", "linear") else n.activation.tex_prime(zt[n.name])
        rows.append({"neuron": tex_name(n.name), "delta": delta, "sum": " + ".join(abbreviate(terms) if big else terms),
                     "prime": prime, "value": tn.text(back.delta[n.name]), "eq": tn.eq(back.delta[n.name]),
                     "softmax": n.activation.name == "softmax"})
    return rows


def _assert_close(a: Num, b: Num, p: str) -> None:
    scale = max(abs(b.mp), mpmath.mpf(10) ** -40)
    if abs(a.mp - b.mp) / scale > mpmath.mpf(10) ** -35:
        raise AssertionError(f"path sum and back-propagation disagree for {p}: {a} vs {b}")


def _json_gradient(net, fwd, back, p, ctx, zt, budget: int) -> tuple[dict, int]:
    """The gradient of `p` for JSON, with its paths while they fit the remaining budget."""
    use_list = ctx["uses"][p]
    g = back.gradients[p]
    count = param_path_count(net, use_list, ctx["counts"])
    out = {"value": json_decimal(g), "exact": exact_text(g), "path_count": count, "paths": None}
    if count <= min(JSON_MAX_PATHS, budget):
        with mpmath.workdps(fwd.dps):
            paths = _paths(fwd, back, use_list, count, zt, None, ctx)
        out["paths"] = [{"route": ["L"] + route + [p], "factors": [_json_factor(f, ctx) for f in facts],
                         "product": json_decimal(product)} for _, route, facts, product in paths]
        budget -= count
    return out, budget


def _json_factor(f, ctx) -> dict:
    """A factor as JSON, written once however many paths share it (the entry keeps the factor alive,
    so its id stays its own)."""
    cache = ctx.setdefault("json_factors", {})
    got = cache.get(id(f))
    if got is None or got[0] is not f:
        got = cache[id(f)] = (f, {"label": f[4], "value": json_decimal(f[3])})
    return got[1]
