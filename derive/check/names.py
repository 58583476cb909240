"""What the names in an answer mean: the network's own names, z and δ of a neuron, targets, L, and
derivatives d(top)/d(bottom). Every SymPy symbol is built with Symbol(name) from a name that was
looked up in the network, never from text SymPy would parse."""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy

from derive.spec.model import Network
from derive.spec.source import close_match

# A node of the derivative graph: ("L",), ("O", neuron), ("z", neuron), ("p", parameter), ("x", input).
Node = tuple
L_NODE = ("L",)
ETA = sympy.Symbol("eta")
LOSS = sympy.Symbol("L")
_INDEXED = re.compile(r"^[A-Za-z]+(\d+(?:_\d+)?)$")


def label(node: Node) -> str:
    """How a node is written in a derivative: L, O2, z(O2), w4, x1."""
    if node[0] == "L":
        return "L"
    return f"z({node[1]})" if node[0] == "z" else node[1]


@dataclass(frozen=True)
class Quantity:
    """Something an answer can give a value for: z or O of a neuron, the loss, the error y − ŷ,
    an updated parameter, or a derivative d(top)/d(bottom)."""

    kind: str  # z | O | L | error | new | d, or unknown: a key of an answers file that names nothing
    name: str = ""
    top: Node = ()
    bottom: Node = ()

    @property
    def key(self) -> str:
        if self.kind == "d":
            return f"d{label(self.top)}/d{label(self.bottom)}"
        return {
            "z": f"z({self.name})",
            "O": self.name,
            "L": "L",
            "new": f"new({self.name})",
            "error": f"error({self.name})" if self.name else "error",
            "unknown": self.name,  # a key that names no quantity: the key as written (an unreadable line)
        }[self.kind]

    @property
    def is_derivative(self) -> bool:
        return self.kind == "d"


class Names:
    """Resolves names written in answers against one network."""

    def __init__(self, net: Network):
        self.net = net
        self.neurons = [n.name for n in net.neurons]
        self.inputs = list(net.inputs)
        self.params = list(net.parameters)
        self.own = set(self.neurons) | set(self.inputs) | set(self.params)
        self.by_index = _unique_indices(self.neurons)
        self.targets = _target_symbols(net)
        self.derivs: dict[sympy.Symbol, tuple[Node, Node]] = {}

    # -- symbols ----------------------------------------------------------------------------------
    def symbol(self, name: str) -> sympy.Symbol:
        """The symbol of a network name (input, neuron output or parameter)."""
        return sympy.Symbol(name)

    def z_symbol(self, neuron: str) -> sympy.Symbol:
        return sympy.Symbol(f"z({neuron})")

    def derivative(self, top: Node, bottom: Node) -> sympy.Symbol:
        """A placeholder standing for d(top)/d(bottom); its meaning is kept in `derivs`."""
        sym = sympy.Symbol(f"d{label(top)}/d{label(bottom)}")
        self.derivs[sym] = (top, bottom)
        return sym

    def resolve(self, text: str):
        """A written name → a SymPy expression, or None when it means nothing in this network."""
        name = canonical(text, self.own)
        if name in self.own:
            return self.symbol(name)
        if name == "e":
            return sympy.E
        if name == "L":
            return LOSS
        if name in ("eta", "η", "\\eta"):
            return ETA
        if name in self.targets:
            return self.targets[name]
        neuron = self.indexed(name, ("z",))
        if neuron:
            return self.z_symbol(neuron)
        neuron = self.indexed(name, ("delta", "\\delta", "δ"))
        if neuron:
            return self.derivative(L_NODE, ("z", neuron))
        return None

    def indexed(self, name: str, prefixes) -> str | None:
        """The neuron meant by z1 / z_21 / zO1 (prefix + index or + neuron name), if exactly one."""
        for prefix in prefixes:
            if name.startswith(prefix) and len(name) > len(prefix):
                rest = name[len(prefix) :].lstrip("_")
                if rest in self.neurons:
                    return rest
                if rest in self.by_index:
                    return self.by_index[rest]
        return None

    def node(self, text: str) -> Node | None:
        """The node meant by the top or bottom of a derivative: L, O2, z(O2), z_2, w4, x1."""
        text = text.strip()
        if text == "L":
            return L_NODE
        m = re.fullmatch(r"z\s*\(\s*(.+?)\s*\)", text)
        if m:
            inner = canonical(m.group(1), self.own)
            return ("z", inner) if inner in self.neurons else None
        name = canonical(text, self.own)
        if name in self.neurons:
            return ("O", name)
        if name in self.params:
            return ("p", name)
        if name in self.inputs:
            return ("x", name)
        neuron = self.indexed(name, ("z",))
        return ("z", neuron) if neuron else None

    def known(self) -> list[str]:
        """The names an answer may use, for messages."""
        extra = ["y"] if len(self.targets) == 1 else sorted(self.targets)
        return self.inputs + self.neurons + self.params + extra + ["L"]

    def suggestion(self, text: str) -> str:
        close = close_match(canonical(text, self.own), self.known())
        head = f"did you mean `{close}`? " if close else ""
        names = self.known()
        shown = ", ".join(names[:16]) + (f", … ({len(names)} in all)" if len(names) > 16 else "")
        return head + f"this network's names are {shown}; z_n, delta_n, eta, e and d/d derivatives are also understood"


def canonical(text: str, own: set[str]) -> str:
    """`w_{4}` → `w4`, `O_{21}` → `O21`, `\\delta_2` → `delta2`: subscripts written the LaTeX way
    mean the plain name, unless the network has a name with the underscore itself (`h_a`)."""
    plain = text.replace("{", "").replace("}", "").strip()
    if plain in own:
        return plain
    plain = plain.replace("\\delta", "delta").replace("δ", "delta").replace("\\eta", "eta").replace("η", "eta")
    if plain in own:
        return plain
    return plain.replace("_", "")


def _unique_indices(neurons: list[str]) -> dict[str, str]:
    """Index digits → neuron (`1` → O1, `21` → O21), kept only where one neuron has that index."""
    found: dict[str, list[str]] = {}
    for n in neurons:
        m = _INDEXED.match(n)
        if m:
            for key in {m.group(1), m.group(1).replace("_", "")}:
                found.setdefault(key, []).append(n)
    return {k: v[0] for k, v in found.items() if len(v) == 1}


def _target_symbols(net: Network) -> dict[str, sympy.Symbol]:
    """`y` for one output; `y1`, `y2`… (also `y_1`) in the order of the outputs for several."""
    if len(net.outputs) == 1:
        return {"y": sympy.Symbol("y")}
    return {f"y{k}": sympy.Symbol(f"y[{k}]") for k in range(1, len(net.outputs) + 1)}


def target_symbol(net: Network, index: int) -> sympy.Symbol:
    """The symbol of the target of output number `index` (0-based)."""
    return sympy.Symbol("y") if len(net.outputs) == 1 else sympy.Symbol(f"y[{index + 1}]")
