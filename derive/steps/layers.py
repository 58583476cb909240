"""Big networks, layer by layer: a layer is a column of neurons at the same longest distance from the
inputs. Per layer the notes give sizes, value ranges, |δ| and |∂L/∂w|, and path counts; for a network
whose edges only join neighbouring layers, the forward pass and the δ recursion in matrix form.
Everything here is one pass over the neurons and edges."""

from __future__ import annotations

from dataclasses import dataclass

import mpmath

from derive.calculus.graph import columns_of
from derive.latex import tex_name
from derive.numbers import Num

TABLE_ROWS = 200  # rows of a per-neuron or per-parameter table before "… N more"
LIST_ROWS = 20  # rows of the inputs and initial values of a big network
KEEP_TERMS = 3  # a long sum is written with its first terms, ⋯, and its last


@dataclass(frozen=True)
class Layers:
    """Neurons by layer (index 0 is layer 1), and whether the network is layered: edges only from
    one layer to the next (the inputs are layer 0), one activation and the same bias rule per layer,
    and every output in the last layer."""

    groups: list[list[str]]
    layered: bool


def layers_of(net) -> Layers:
    column = columns_of(net)
    groups: list[list[str]] = [[] for _ in range(max((column[n.name] for n in net.neurons), default=0))]
    for n in net.neurons:
        groups[column[n.name] - 1].append(n.name)
    layered = all(column[e.source] == column[n.name] - 1 for n in net.neurons for e in n.edges)
    layered = layered and all(column[o] == len(groups) for o in net.outputs)
    for g in groups:
        kinds = {(net.neuron(n).activation, net.neuron(n).bias is None) for n in g}
        layered = layered and len(kinds) == 1
    return Layers(groups, layered)


def abbreviate(terms: list[str], keep: int = KEEP_TERMS) -> list[str]:
    """The first `keep` terms, ⋯, and the last two, when there are more than keep + 3."""
    return terms if len(terms) <= keep + 3 else [*terms[:keep], r"\cdots", *terms[-2:]]


def count_text(n: int) -> str:
    """A count as TeX: in full, with thin spaces, and about how big when it is long."""
    digits = r"\,".join(f"{n:,}".split(","))  # groups of three, thin spaces between
    if n < 10**6:
        return digits
    mantissa, exponent = f"{n:.1e}".split("e")
    return rf"{digits} \approx {mantissa} \times 10^{{{int(exponent)}}}"


def _stats(values: list[Num], tn) -> tuple[str, str]:
    """(mean, max) of |value| as shown numbers."""
    if not values:
        return "", ""
    mags = [abs(v.mp) for v in values]
    return tn.text(Num(None, mpmath.fsum(mags) / len(mags))), tn.text(Num(None, max(mags)))


def forward_rows(fwd, layers: Layers, tn) -> list[dict]:
    """Per layer: size, activation, the range of z and of O."""
    rows = []
    with mpmath.workdps(fwd.dps):
        for i, g in enumerate(layers.groups, 1):
            zs = [fwd.neurons[n].z.mp for n in g]
            os_ = [fwd.neurons[n].O.mp for n in g]
            rows.append(
                {
                    "layer": i,
                    "neurons": len(g),
                    "activation": _activations(fwd.net, g),
                    "z_min": tn.text(Num(None, min(zs))),
                    "z_max": tn.text(Num(None, max(zs))),
                    "O_min": tn.text(Num(None, min(os_))),
                    "O_mean": tn.text(Num(None, mpmath.fsum(os_) / len(os_))),
                    "O_max": tn.text(Num(None, max(os_))),
                }
            )
    return rows


def _activations(net, group: list[str]) -> str:
    return ", ".join(dict.fromkeys(net.neuron(n).activation.name for n in group))


def backward_rows(net, fwd, back, counts: dict[str, int], layers: Layers, tn) -> list[dict]:
    """Per layer: neurons, weighted edges into it, mean and largest |δ| and |∂L/∂w| (over the edges
    into the layer that carry a parameter), and the fewest and most paths from one of those edges'
    weights to the loss."""
    rows = []
    with mpmath.workdps(fwd.dps):
        for i, g in enumerate(layers.groups, 1):
            edges = [(e, n) for n in g for e in net.neuron(n).edges]
            grads = [back.gradients[e.weight] for e, _ in edges if isinstance(e.weight, str)]
            paths = [counts[n] for n in g]
            d_mean, d_max = _stats([back.delta[n] for n in g], tn)
            g_mean, g_max = _stats(grads, tn)
            rows.append(
                {
                    "layer": i,
                    "neurons": len(g),
                    "weights": len(edges),
                    "delta_mean": d_mean,
                    "delta_max": d_max,
                    "grad_mean": g_mean,
                    "grad_max": g_max,
                    "paths_min": count_text(min(paths)),
                    "paths_max": count_text(max(paths)),
                }
            )
    return rows


def _sup(l: int) -> str:
    return f"^{{({l})}}"


def forward_matrix(net, layers: Layers) -> list[str]:
    """z⁽ˡ⁾ = W⁽ˡ⁾ O⁽ˡ⁻¹⁾ + b⁽ˡ⁾ and O⁽ˡ⁾ = f(z⁽ˡ⁾) per layer, with the sizes (O⁽⁰⁾ = x)."""
    lines, before = [], len(net.inputs)
    for l, g in enumerate(layers.groups, 1):
        first = net.neuron(g[0])
        src = "x" if l == 1 else f"O{_sup(l - 1)}"
        bias = "" if first.bias is None else f" + b{_sup(l)}"
        apply = first.activation.tex_apply(f"z{_sup(l)}")  # softmax too: a layer's softmax is one vector function
        lines.append(
            rf"z{_sup(l)} &= W{_sup(l)}\,{src}{bias}, \quad O{_sup(l)} = {apply}"
            rf" && W{_sup(l)} \in \mathbb{{R}}^{{{len(g)} \times {before}}}"
        )
        before = len(g)
    return lines


def delta_matrix(net, layers: Layers) -> list[str]:
    """The δ recursion and the gradients for a whole layer at once, with the sizes."""
    top = len(layers.groups)
    last = net.neuron(layers.groups[-1][0])
    if last.activation.couples_outputs:
        lines = [
            rf"\delta{_sup(top)} &= \frac{{\partial L}}{{\partial z{_sup(top)}}} && \text{{softmax outputs, as above}}"
        ]
    else:
        lines = [
            rf"\delta{_sup(top)} &= {last.activation.tex_prime(f'z{_sup(top)}')} \odot \frac{{\partial L}}{{\partial O{_sup(top)}}}"
            rf" && \delta{_sup(top)} \in \mathbb{{R}}^{{{len(layers.groups[-1])}}}"
        ]
    for l in range(top - 1, 0, -1):
        act = net.neuron(layers.groups[l - 1][0]).activation
        lines.append(
            rf"\delta{_sup(l)} &= {act.tex_prime(f'z{_sup(l)}')} \odot \left(W{_sup(l + 1)}\right)^{{\mathsf T}} \delta{_sup(l + 1)}"
            rf" && \left(W{_sup(l + 1)}\right)^{{\mathsf T}} \in \mathbb{{R}}^{{{len(layers.groups[l - 1])} \times {len(layers.groups[l])}}}"
        )
    lines.append(
        r"\frac{\partial L}{\partial W^{(l)}} &= \delta^{(l)} \left(O^{(l-1)}\right)^{\mathsf T}, \quad"
        r" \frac{\partial L}{\partial b^{(l)}} = \delta^{(l)} && O^{(0)} = x"
    )
    return lines


def path_facts(net, counts: dict[str, int], use_map: dict, order: list[str]) -> dict:
    """The most paths from one parameter to the loss (and which), and the paths over all parameters."""
    per = {p: sum(counts[u.neuron] for u in use_map[p]) for p in order}
    top = max(order, key=lambda p: per[p]) if order else None
    return {
        "most": count_text(per[top]) if top else "0",
        "most_param": tex_name(top) if top else "",
        "total": count_text(sum(per.values())),
        "edges": count_text(net.edge_count()),
    }
