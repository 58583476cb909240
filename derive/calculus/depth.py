"""How the gradient's size changes with depth along the network's longest chain (the vanishing, or
exploding, gradient): each link multiplies it by f′(z)·w, and σ′ never exceeds 0.25."""

from __future__ import annotations

from fractions import Fraction

from derive.calculus.grad import Backward, successors
from derive.calculus.graph import Forward
from derive.latex import tex_name
from derive.numbers import Num

MIN_NEURONS = 3


def longest_chain(net) -> list[str]:
    """The longest route of neurons from a first-layer neuron to an output, output first."""
    succ = successors(net)
    best: dict[str, list[str]] = {}
    for n in reversed(net.neurons):
        tails = [best[m] for m, _ in succ[n.name] if m in best]
        longest = max(tails, key=len, default=[])
        best[n.name] = [n.name, *longest] if longest or n.name in net.outputs else []
    chain = max(best.values(), key=len, default=[])
    return list(reversed(chain))


def depth_section(fwd: Forward, back: Backward, zt, tn) -> dict | None:
    """Rows from the output back along the longest chain, or None for shallow networks."""
    net = fwd.net
    chain = longest_chain(net)
    acts = [net.neuron(n).activation for n in chain]
    if len(chain) < MIN_NEURONS or any(a.couples_outputs or not a.differentiable for a in acts):
        return None
    rows = []
    for i, n in enumerate(chain):
        neuron = net.neuron(n)
        upstream = chain[i + 1] if i + 1 < len(chain) else None
        w = next((e.weight for e in neuron.edges if e.source == upstream), None) if upstream else None
        link = back.fprime[n] * fwd.weight(w) if w is not None else None
        rows.append(
            {
                "neuron": tex_name(n),
                "prime": neuron.activation.tex_prime(zt[n]),
                "fprime": tn.eq(back.fprime[n]),
                "bound": neuron.activation.derivative_bound,
                "weight": (tex_name(w) if isinstance(w, str) else tn.text(Num(w))) if w is not None else "",
                "link": tn.text(link) if link is not None else "",
                "delta": tn.text(abs(back.delta[n])),
            }
        )
    first, last = abs(back.delta[chain[0]]), abs(back.delta[chain[-1]])
    ratio = tn.text(last / first) if not first.is_zero() else None
    sigmoid = all(net.neuron(n).activation.name == "sigmoid" for n in chain)
    return {
        "rows": rows,
        "links": len(chain) - 1,
        "ratio": ratio,
        "all_sigmoid": sigmoid,
        "max_sigmoid_product": tn.text(Num(Fraction(1, 4 ** (len(chain) - 1)))),
        "first": tex_name(chain[-1]),
        "output": tex_name(chain[0]),
    }
