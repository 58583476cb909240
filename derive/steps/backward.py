"""The backward half of the notes: for every parameter its chain-rule paths, factor by factor, the
δ recursion that computes the same numbers in one sweep, the check, and the update."""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from itertools import pairwise

import mpmath

from derive import losses, progress
from derive.calculus.depth import depth_section
from derive.calculus.grad import Backward, Use, backward, param_path_count, path_counts, routes, successors, uses
from derive.calculus.graph import Forward
from derive.calculus.symbolic import verify
from derive.errors import NotDifferentiable
from derive.latex import delta_names, partial, tex_name, top_level_split
from derive.numbers import Num, exact_text, json_decimal, minus_product
from derive.steps.document import Alike, AlikeRow, BackwardSection, DeltaRow, DeltaUse, Derivation, Factor, Path, UseTex
from derive.steps.layers import TABLE_ROWS, abbreviate, backward_rows, delta_matrix, layers_of, path_facts
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


def backward_section(net, shown: Forward, exact: Forward, zt, tn: TexNumbers, options) -> BackwardSection:
    """Gradients of every parameter (JSON), and for the notes the derivations, the sweep, the check
    and the update; linear in the edges, with paths listed only within budgets."""
    try:
        back = backward(shown)
        back_exact = backward(exact) if exact is not shown else back
    except NotDifferentiable as exc:
        return BackwardSection(available=False, reason=str(exc))
    ctx = _context(net)
    order = _order(net, ctx.uses)
    progress.stage("gradients", len(order))
    json, budget = {}, path_budget(net.edge_count())
    chain = _Chain(exact, back_exact, zt, None, ctx.weight_of)
    stepped = {}  # each parameter's update, in the same pass as its gradient's JSON
    with mpmath.workdps(exact.dps):  # at the working precision, like every other value
        for i, p in enumerate(order):
            json[p], budget = _json_gradient(net, chain, p, ctx, budget)
            stepped[p] = _update(net, p, back_exact.gradients[p], ctx.eta)
            progress.advance(i + 1)
    updated = {p: stepped[p] for p in net.parameters}  # in the file's order
    progress.stage("independent check")
    check = verify(net, exact.point, back_exact.gradients, budget=options.verify_budget) if options.verify else None
    carried = {}
    if back is not back_exact:  # a hand calculation's carried values: their gradients and updates too
        with mpmath.workdps(shown.dps):
            carried = {
                "gradients": {p: json_decimal(back.gradients[p]) for p in order},
                "updated": {p: json_decimal(_update(net, p, back.gradients[p], ctx.eta)) for p in net.parameters},
            }
    section = BackwardSection(
        available=True, check=check, json=json, updated_exact=updated, param_count=len(order), carried=carried
    )
    if options.detail:
        progress.stage("derivations")
        section = _notes(section, net, shown, back, back_exact, order, ctx, zt, tn, options)
    return section


@dataclass(frozen=True)
class _Context:
    """What every parameter's paths need, found once: path counts, uses, successors, edge weights."""

    counts: dict[str, int]
    uses: dict[str, list[Use]]
    succ: dict
    weight_of: dict[tuple[str, str], str | Fraction]
    eta: Num


def _context(net) -> _Context:
    succ = successors(net)
    weight_of = {(m, k): w for k, out in succ.items() for m, w in out}
    return _Context(path_counts(net), uses(net), succ, weight_of, Num(net.learning_rate))


def _notes(
    section: BackwardSection, net, shown, back, back_exact, order, ctx: _Context, zt, tn, options
) -> BackwardSection:
    """The parts of the Markdown and LaTeX notes: derivations of the chosen parameters, the update
    table's rows (at most TABLE_ROWS), the sweep, the depth table, and for a big network (more
    parameters than --max-derivations) the layer-by-layer summary."""
    names = options.explain or list(net.explain) or None
    full, alike, like = choose(net, order, ctx, names, options.max_derivations)
    big = len(order) > options.max_derivations
    rows = set(order[:TABLE_ROWS])
    chain = _Chain(shown, back, zt, tn, ctx.weight_of)
    dt = delta_names([n.name for n in net.neurons])
    chosen = set(full)
    made = {
        p: _derivation(chain, tn, back_exact, p, ctx, dt, options.max_paths, p in chosen, p in rows)
        for p in order
        if p in chosen or p in rows or any(p in same for same in alike.values())
    }
    derived = tuple(
        replace(
            made[p],
            alike=_alike(chain, tn, p, alike[p], made, ctx, zt) if alike.get(p) else None,
            like=tex_name(like[p]) if p in like else None,
        )
        for p in full
    )
    deltas = tuple(_deltas(net, shown, back, zt, dt, tn, ctx.succ, big))
    return replace(
        section,
        params=tuple(made[p] for p in order if p in chosen or p in rows),
        derived=derived,
        alike_count=sum(len(same) for same in alike.values()),
        hidden_rows=len(order) - len(rows),
        explained=len(chosen),
        deltas=deltas,
        hidden_deltas=len(net.neurons) - len(deltas),
        depth=depth_section(shown, back, zt, tn),
        layers=_layer_section(net, shown, back, ctx, tn) if big else None,
    )


def _layer_section(net, fwd, back, ctx, tn) -> dict:
    found = layers_of(net)
    return {
        "rows": backward_rows(net, fwd, back, ctx.counts, found, tn),
        "layered": found.layered,
        "matrix": delta_matrix(net, found) if found.layered else None,
        "count": len(found.groups),
        "paths": path_facts(net, ctx.counts, ctx.uses, list(ctx.uses)),
    }  # ties: the first written


def featured(net, order: list[str], ctx: _Context) -> list[str]:
    """The lecture's two derivations: the weight nearest the loss (its w4: one short path), then the
    input weight that reaches the loss along the most paths (its w1: the longest chains, and the
    sum over paths when there are several)."""
    weights = [p for p in order if any(u.source is not None for u in ctx.uses[p])]
    if not weights:
        return order[:1]
    position = {p: i for i, p in enumerate(net.parameters)}
    inputs = [p for p in weights if any(u.source in net.inputs for u in ctx.uses[p])] or weights
    deepest = max(inputs, key=lambda p: (param_path_count(net, ctx.uses[p], ctx.counts), -position[p]))
    return list(dict.fromkeys([weights[0], deepest]))


def choose(net, order: list[str], ctx: _Context, names: list[str] | None, limit: int):
    """The parameters derived in full, in the order the notes give them, and for each the parameters
    with the same breakdown (they enter the same neuron, so only the last input differs), which the
    notes summarise after it. Named ones (`--explain` or the file's `render: {explain: …}`) come first
    and are the only full ones; else the lecture's two, then one parameter per neuron. A network
    with more parameters than `limit` gets a sample and no summaries."""

    def neuron(p: str) -> str | None:  # a tied parameter has no single neuron: never "the same"
        return ctx.uses[p][0].neuron if len(ctx.uses[p]) == 1 else None

    first = featured(net, order, ctx)
    depth: dict[str, int] = {}  # links from a neuron to the loss, along its longest route
    for n in reversed(net.neurons):
        depth[n.name] = 1 + max((depth[m] for m, _ in ctx.succ.get(n.name, ())), default=-1)
    position = {p: i for i, p in enumerate(net.parameters)}
    order = sorted(order, key=lambda p: (min((depth[u.neuron] for u in ctx.uses[p]), default=len(depth)), position[p]))
    if len(order) > limit:
        sample = list(names) if names else first + order[:1] + order[-6:]
        return list(dict.fromkeys(sample)), {}, {}
    full: list[str] = []
    shown: dict[str, str] = {}  # neuron -> the parameter derived for it
    alike: dict[str, list[str]] = {}
    for p in list(names or first) + [q for q in order if q not in (names or first)]:
        n = neuron(p)
        if n is not None and n in shown:
            if p not in (names or ()):
                alike[shown[n]].append(p)
            continue
        if names is None or p in names:
            full.append(p)
            alike[p] = []
            if n is not None:
                shown[n] = p
    like: dict[str, str] = {}  # brief derivation -> the full one of the same shape
    if names is None:
        written: dict[tuple, str] = {}
        for p in full:
            key = _shape(net, p, ctx)
            if p not in first and key is not None and key in written:
                like[p] = written[key]
            elif key is not None:
                written.setdefault(key, p)
    return full, alike, like


def _shape(net, p: str, ctx: _Context) -> tuple | None:
    """What a derivation looks like: how many paths, through which activations, shared or not. Two
    parameters of one shape differ only in which neurons they pass and how long the chains are."""
    count = param_path_count(net, ctx.uses[p], ctx.counts)
    if count > 8:
        return None
    acts: set[str] = set()
    for u in ctx.uses[p]:
        for route in routes(net, u.neuron, count, ctx.succ, ctx.counts):
            acts.update(net.neuron(n).activation.name for n in route)
    kinds = tuple(sorted(u.source is None for u in ctx.uses[p]))
    return (len(ctx.uses[p]) > 1, count, kinds, tuple(sorted(acts)))


def _alike(chain: _Chain, tn: TexNumbers, p: str, same: list[str], made: dict, ctx: _Context, zt) -> Alike:
    """What the notes say after `p`'s derivation about the parameters that enter its neuron too."""
    fwd, back = chain.fwd, chain.back
    n = ctx.uses[p][0].neuron
    shared = partial("L", zt[n])
    delta = back.delta[n]

    def source(q: str) -> tuple[str, Num]:
        src = ctx.uses[q][0].source
        return (tex_name(src), fwd.value(src)) if src else ("1", Num(Fraction(1)))

    rows = []
    for q in same:
        src_tex, src_val = source(q)
        line = rf"{shared} \cdot {src_tex} = {tn.arg(delta)} \cdot {tn.arg(src_val)} {tn.eq(back.gradients[q])}"
        rows.append(AlikeRow(tex_name(q), src_tex, line, made[q].value, made[q].new, made[q].frozen, made[q].zero))
    return Alike(tex_name(n), source(p)[0], shared, tn.eq(delta), made[p].path_count, tuple(rows))


def _order(net, all_uses) -> list[str]:
    """Parameters nearest the loss first, as the lecture derives w4 before w1."""
    rank = {n.name: i for i, n in enumerate(net.neurons)}
    position = {p: i for i, p in enumerate(net.parameters)}
    return sorted(net.parameters, key=lambda p: (-max((rank[u.neuron] for u in all_uses[p]), default=-1), position[p]))


def _update(net, p: str, g: Num, eta: Num | None = None) -> Num:
    """The parameter after one step, old − η·g (unchanged when frozen)."""
    old = net.parameters[p]
    return Num(old) if p in net.freeze else minus_product(old, g, eta or Num(net.learning_rate))


# -- factors ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Term:
    """A chain-rule factor as computed: symbol, formula, numbers substituted (TeX), its value, and a
    plain label for JSON."""

    symbol: str
    formula: str
    substituted: str
    value: Num
    label: str


class _Chain:
    """The chain-rule factors of one backward pass (shown with TeX numbers, or exact for JSON when
    `tn` is None). A factor belongs to an edge or a use, not to a path: each is found once, keyed by
    ("head", output), ("link", neuron, source) or ("tail", use), and shared by every path through it."""

    def __init__(self, fwd: Forward, back: Backward, zt: dict[str, str], tn: TexNumbers | None, weight_of):
        self.fwd, self.back, self.zt, self.tn, self.weight_of = fwd, back, zt, tn, weight_of
        self._terms: dict[tuple, Term] = {}
        self._json: dict[tuple, dict] = {}

    @staticmethod
    def keys(route: list[str], use: Use) -> list[tuple]:
        return [("head", route[0])] + [("link", m, k) for m, k in pairwise(route)] + [("tail", use)]

    def term(self, key: tuple) -> Term:
        got = self._terms.get(key)
        if got is None:
            fwd, back, zt, tn = self.fwd, self.back, self.zt, self.tn
            if key[0] == "head":
                got = _head(fwd, back, key[1], zt, tn)
            elif key[0] == "link":
                got = _link(fwd, back, key[1], key[2], zt, tn, self.weight_of)
            else:
                got = _tail(fwd, back, key[1], zt, tn)
            self._terms[key] = got
        return got

    def json(self, key: tuple) -> dict:
        """A factor as JSON, written once however many paths share it."""
        got = self._json.get(key)
        if got is None:
            t = self.term(key)
            got = self._json[key] = {"label": t.label, "value": json_decimal(t.value)}
        return got


def _fmt(tn, x: Num) -> str:
    return tn.arg(x) if tn else ""


def _head(fwd, back, o, zt, tn) -> Term:
    net = fwd.net
    O, k = tex_name(o), len(net.outputs)
    idx = net.outputs.index(o)
    y = "y" if k == 1 else f"y_{{{idx + 1}}}"
    yv = fwd.targets()[idx]
    if net.neuron(o).activation.couples_outputs:
        value = back.delta[o]
        if losses.of(net.loss).softmax_shortcut(fwd.point.targets):
            return Term(
                partial("L", zt[o]),
                f"{O} - {y}",
                f"{_fmt(tn, fwd.neurons[o].O)} - {_fmt(tn, yv)}" if tn else "",
                value,
                f"dL/dz({o})",
            )
        return Term(
            partial("L", zt[o]),
            rf"{O}\left({partial('L', O)} - \sum_j {partial('L', 'O_j')}\, O_j\right)",
            "",
            value,
            f"dL/dz({o})",
        )
    formula = losses.tex_gradient(net.loss, O, y, k)
    subst = losses.tex_gradient(net.loss, _fmt(tn, fwd.neurons[o].O), _fmt(tn, yv), k) if tn else ""
    return Term(partial("L", O), formula, subst, back.dL_dyhat[o], f"dL/d{o}")


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
    return (
        rf"{prime} \cdot {multiplier_tex} = {_grouped(form)} \cdot {multiplier_tex}",
        rf"{_grouped(nums)} \cdot {multiplier_num}",
    )


def _grouped(tex: str) -> str:
    """`tex` in brackets when it is a sum or difference (or a case, ReLU's "1 (z > 0)") at its top level,
    so that multiplying it keeps its meaning: (1 − O²)·x, not 1 − O²·x."""
    return rf"\left({tex}\right)" if len(top_level_split(tex, (" - ", " + ", "\\;"))) > 1 else tex


def _link(fwd, back, m, k, zt, tn, weight_of) -> Term:
    net = fwd.net
    w = weight_of[(m, k)]
    wv = fwd.weight(w)
    w_tex = tex_name(w) if isinstance(w, str) else _fmt(tn, wv)
    if net.neuron(m).activation.couples_outputs:
        return Term(partial(zt[m], tex_name(k)), w_tex, _fmt(tn, wv), wv, f"dz({m})/d{k}")
    formula, subst = _local(fwd, back, m, zt, tn, w_tex, _fmt(tn, wv))
    return Term(partial(tex_name(m), tex_name(k)), formula, subst, back.fprime[m] * wv, f"d{m}/d{k}")


def _tail(fwd, back, use, zt, tn) -> Term:
    n, p = use.neuron, use.param
    net = fwd.net
    src_tex = tex_name(use.source) if use.source else ""
    src_val = fwd.value(use.source) if use.source else Num(Fraction(1))
    if net.neuron(n).activation.couples_outputs:
        return Term(partial(zt[n], tex_name(p)), src_tex or "1", _fmt(tn, src_val), src_val, f"dz({n})/d{p}")
    formula, subst = _local(fwd, back, n, zt, tn, src_tex, _fmt(tn, src_val) if use.source else "")
    return Term(partial(tex_name(n), tex_name(p)), formula, subst, back.fprime[n] * src_val, f"d{n}/d{p}")


@dataclass(frozen=True)
class _Found:
    """One path as computed: its route of neurons, its factors' keys, and their product."""

    route: list[str]
    keys: list[tuple]
    product: Num


def _paths(chain: _Chain, use_list, limit, ctx: _Context) -> list[_Found]:
    found = []
    for use in use_list:
        for route in routes(chain.fwd.net, use.neuron, limit, ctx.succ, ctx.counts):
            keys = chain.keys(route, use)
            product = chain.term(keys[0]).value
            for key in keys[1:]:
                product = product * chain.term(key).value
            found.append(_Found(route, keys, product))
    return found


# -- one parameter ------------------------------------------------------------------------------------
def _derivation(
    chain: _Chain,
    tn: TexNumbers,
    back_exact,
    p,
    ctx: _Context,
    dt: dict[str, str],
    max_paths: int,
    full: bool,
    row: bool = True,
) -> Derivation:
    """One parameter's derivation; `tn` is the chain's own (the notes' chain shows numbers, JSON's does not)."""
    fwd, back = chain.fwd, chain.back
    net = fwd.net
    use_list = ctx.uses[p]
    count = param_path_count(net, use_list, ctx.counts)
    g = back.gradients[p]
    paths = sum_line = delta_uses = None
    if full and count <= max_paths:
        with mpmath.workdps(fwd.dps):
            found = _paths(chain, use_list, count, ctx)
            total = sum((x.product for x in found), Num(Fraction(0)))
        _assert_close(total, g, p)
        paths = tuple(_path(chain, tn, p, x) for x in found)
        if len(found) > 1:
            sum_line = " + ".join(tn.arg(x.product) for x in found) + f" {tn.eq(total)}"
    elif full:
        delta_uses = tuple(_delta_use(u, fwd, back, dt, tn) for u in use_list)
    old = Num(net.parameters[p])
    with mpmath.workdps(fwd.dps):
        new = _update(net, p, g, ctx.eta)
    frozen = p in net.freeze
    head = rf"{tex_name(p)}^{{\text{{new}}}} = {tn.text(old)}"
    update_line = head if frozen else rf"{head} - {tn.text(ctx.eta)} \cdot {tn.arg(g)} {tn.eq(new)}"
    return Derivation(
        name=p,
        tex=tex_name(p),
        kind="bias" if all(u.source is None for u in use_list) else "weight",
        uses=tuple(UseTex(tex_name(u.neuron), tex_name(u.source) if u.source else None) for u in use_list),
        path_count=count,
        value=tn.text(g),
        eq=tn.eq(g),
        full_value=tn.text(back_exact.gradients[p]),
        frozen=frozen,
        tied=len(use_list) > 1,
        full=full,
        row=row,
        update_line=update_line,
        old=tn.text(old),
        new=tn.text(new),
        paths=paths,
        sum_line=sum_line,
        delta_uses=delta_uses,
        zero=g.exact == 0,
    )


def _path(chain: _Chain, tn: TexNumbers, p: str, found: _Found) -> Path:
    terms = [chain.term(k) for k in found.keys]
    factors = tuple(_factor(t, tn, _on(k)) for t, k in zip(terms, found.keys, strict=True))
    return Path(
        route=" \\to ".join(["L"] + [tex_name(r) for r in found.route] + [tex_name(p)]),
        chain=r" \cdot ".join(t.symbol for t in terms),
        factors=factors,
        product_line=r" \cdot ".join(tn.arg(t.value) for t in terms) + f" {tn.eq(found.product)}",
        product=tn.text(found.product),
        on=tuple(dict.fromkeys(x for f in factors for x in f.on)),
    )


def _on(key: tuple) -> tuple[str, ...]:
    """The diagram's edges ("source>target") and nodes a factor is about: ∂L/∂O the output's edge to
    the loss, ∂O_m/∂O_k the edge k→m, ∂O_n/∂p the parameter's own edge (a bias: its neuron)."""
    if key[0] == "head":
        return (f"{key[1]}>L", key[1], "L")
    if key[0] == "link":
        return (f"{key[2]}>{key[1]}", key[1], key[2])
    use = key[1]
    return (f"{use.source}>{use.neuron}", use.neuron, use.source) if use.source else (use.neuron,)


def _factor(t: Term, tn: TexNumbers, on: tuple[str, ...] = ()) -> Factor:
    shown = tn.text(t.value)
    substituted = t.substituted if t.substituted not in (t.formula, shown) else ""
    return Factor(t.symbol, t.formula, substituted, shown, tn.eq(t.value), on)


def _delta_use(u, fwd, back, dt, tn) -> DeltaUse:
    delta = dt[u.neuron]
    src = tex_name(u.source) if u.source else "1"
    srcv = fwd.value(u.source) if u.source else Num(Fraction(1))
    return DeltaUse(
        rf"{partial('L', tex_name(u.param))} \mathrel{{+}}= {delta} \cdot {src} = {tn.arg(back.delta[u.neuron])} \cdot {tn.arg(srcv)}"
    )


def _deltas(net, fwd, back, zt, dt, tn, succ, big: bool = False) -> list[DeltaRow]:
    """One row per neuron, from the outputs back: as many rows as the notes show (TABLE_ROWS) are
    written out, and for a big network a long sum is shortened to its first terms and its last."""
    rows = []
    for n in list(reversed(net.neurons))[:TABLE_ROWS]:
        delta = dt[n.name]
        terms = [rf"{tex_name(w) if isinstance(w, str) else tn.arg(fwd.weight(w))}\,{dt[m]}" for m, w in succ[n.name]]
        if n.name in net.outputs:
            terms.insert(0, partial("L", tex_name(n.name)))
        act = n.activation
        prime = "" if act.couples_outputs or act.derivative_is_one else act.tex_prime(zt[n.name])
        rows.append(
            DeltaRow(
                neuron=tex_name(n.name),
                delta=delta,
                z=zt[n.name],
                sum=" + ".join(abbreviate(terms) if big else terms),
                prime=prime,
                value=tn.text(back.delta[n.name]),
                eq=tn.eq(back.delta[n.name]),
                softmax=act.couples_outputs,
            )
        )
    return rows


def _assert_close(a: Num, b: Num, p: str) -> None:
    scale = max(abs(b.mp), mpmath.mpf(10) ** -40)
    if abs(a.mp - b.mp) / scale > mpmath.mpf(10) ** -35:
        raise AssertionError(f"path sum and back-propagation disagree for {p}: {a} vs {b}")


def _json_gradient(net, chain: _Chain, p, ctx: _Context, budget: int) -> tuple[dict, int]:
    """The gradient of `p` for JSON, with its paths while they fit the remaining budget."""
    use_list = ctx.uses[p]
    g = chain.back.gradients[p]
    count = param_path_count(net, use_list, ctx.counts)
    out: dict[str, object] = {"value": json_decimal(g), "exact": exact_text(g), "path_count": count, "paths": None}
    if count <= min(JSON_MAX_PATHS, budget):
        with mpmath.workdps(chain.fwd.dps):
            found = _paths(chain, use_list, count, ctx)
        out["paths"] = [
            {
                "route": ["L", *x.route, p],
                "factors": [chain.json(k) for k in x.keys],
                "product": json_decimal(x.product),
            }
            for x in found
        ]
        budget -= count
    return out, budget
