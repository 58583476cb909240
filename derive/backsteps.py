"""The backward half of the notes: for every parameter its chain-rule paths, factor by factor, the
δ recursion that computes the same numbers in one sweep, the check, and the update."""
from __future__ import annotations

import mpmath

from . import losses
from .depth import depth_section
from .errors import NotDifferentiable
from .grad import Backward, backward, param_path_count, path_counts, routes, successors, uses
from .graph import Forward
from .latex import partial, tex_name
from .numbers import Num, exact_text, json_decimal
from .symbolic import verify
from .texnum import TexNumbers

JSON_MAX_PATHS = 64


JSON_PATH_BUDGET = 2000  # paths listed in JSON over the whole network; past it, counts only


def backward_section(net, shown: Forward, exact: Forward, zt, tn: TexNumbers, options) -> dict:
    try:
        back = backward(shown)
        back_exact = backward(exact) if exact is not shown else back
    except NotDifferentiable as exc:
        return {"available": False, "reason": str(exc)}
    ctx = {"counts": path_counts(net), "uses": uses(net), "succ": successors(net)}
    order = _order(net, ctx["uses"])
    json, budget = {}, JSON_PATH_BUDGET
    for p in order:
        json[p], budget = _json_gradient(net, exact, back_exact, p, ctx, zt, budget)
    check = verify(net, exact.point, back_exact.gradients) if options.verify else None
    updated = {p: _update(net, p, back_exact.gradients[p]) for p in net.parameters}
    section = {"available": True, "check": check, "json": json, "updated_exact": updated}
    if options.detail:
        chosen = explained(order, options.explain, options.max_derivations)
        section.update({
            "params": [_derivation(net, shown, back, back_exact, p, ctx, zt, tn, options, p in chosen) for p in order],
            "explained": len(chosen), "deltas": _deltas(net, shown, back, zt, tn, ctx["succ"]),
            "depth": depth_section(shown, back, zt, tn)})
    return section


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


def _update(net, p: str, g: Num) -> Num:
    old = Num(net.parameters[p])
    return old if p in net.freeze else old - g * net.learning_rate


# -- factors ------------------------------------------------------------------------------------------
def _factors(fwd: Forward, back: Backward, route: list[str], use, zt, tn: TexNumbers | None):
    """The chain-rule factors of one path: (symbol, formula, numbers substituted, value, plain label)."""
    out = route[0]
    facts = [_head(fwd, back, out, zt, tn)]
    for m, k in zip(route, route[1:]):
        facts.append(_link(fwd, back, m, k, zt, tn))
    facts.append(_tail(fwd, back, use, zt, tn))
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


def _link(fwd, back, m, k, zt, tn):
    net = fwd.net
    w = next(e.weight for e in net.neuron(m).edges if e.source == k)
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


def _paths(fwd, back, p, use_list, limit, zt, tn, succ):
    found = []
    for use in use_list:
        for route in routes(fwd.net, use.neuron, limit, succ):
            facts = _factors(fwd, back, route, use, zt, tn)
            product = Num(1)
            for f in facts:
                product = product * f[3]
            found.append((use, route, facts, product))
    return found


# -- one parameter ------------------------------------------------------------------------------------
def _derivation(net, fwd, back, back_exact, p, ctx, zt, tn, options, full: bool) -> dict:
    use_list = ctx["uses"][p]
    count = param_path_count(net, use_list, ctx["counts"])
    g = back.gradients[p]
    d = {"name": p, "tex": tex_name(p), "kind": "bias" if all(u.source is None for u in use_list) else "weight",
         "uses": [{"neuron": tex_name(u.neuron), "source": tex_name(u.source) if u.source else None} for u in use_list],
         "path_count": count, "paths": None, "value": tn.text(g), "eq": tn.eq(g),
         "full_value": tn.text(back_exact.gradients[p]), "frozen": p in net.freeze,
         "tied": len(use_list) > 1, "sum_line": None, "delta_uses": None, "full": full}
    if full and count <= options.max_paths:
        with mpmath.workdps(fwd.dps):
            paths = _paths(fwd, back, p, use_list, count, zt, tn, ctx["succ"])
            total = sum((x[3] for x in paths), Num(0))
        _assert_close(total, g, p)
        d["paths"] = [_path_dict(p, route, facts, product, tn) for _, route, facts, product in paths]
        if len(paths) > 1:
            d["sum_line"] = " + ".join(tn.arg(x[3]) for x in paths) + f" {tn.eq(total)}"
    elif full:
        d["delta_uses"] = [_delta_use(u, fwd, back, zt, tn) for u in use_list]
    old = Num(net.parameters[p])
    new = _update(net, p, g)
    d["update_line"] = (rf"{tex_name(p)}^{{\text{{new}}}} = {tn.text(old)} - {tn.text(Num(net.learning_rate))} \cdot {tn.arg(g)} {tn.eq(new)}"
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


def _deltas(net, fwd, back, zt, tn, succ) -> list[dict]:
    rows = []
    for n in reversed(net.neurons):
        delta = zt[n.name].replace("z_", r"\delta_", 1)
        terms = [rf"{tex_name(w) if isinstance(w, str) else tn.arg(fwd.weight(w))}\,{zt[m].replace('z_', chr(92) + 'delta_', 1)}"
                 for m, w in succ[n.name]]
        if n.name in net.outputs:
            terms.insert(0, partial("L", tex_name(n.name)))
        prime = "" if n.activation.name in ("softmax", "linear") else n.activation.tex_prime(zt[n.name])
        rows.append({"neuron": tex_name(n.name), "delta": delta, "sum": " + ".join(terms), "prime": prime,
                     "value": tn.text(back.delta[n.name]), "eq": tn.eq(back.delta[n.name]),
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
            paths = _paths(fwd, back, p, use_list, count, zt, None, ctx["succ"])
        out["paths"] = [{"route": ["L"] + route + [p],
                         "factors": [{"label": f[4], "value": json_decimal(f[3])} for f in facts],
                         "product": json_decimal(product)} for _, route, facts, product in paths]
        budget -= count
    return out, budget
