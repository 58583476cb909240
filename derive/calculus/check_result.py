"""What the independent check of back-propagation found, and its size limit: shared by the check
(derive.calculus.symbolic) and its SymPy half (derive.calculus.sympy_forms), which import it, not each other."""

from __future__ import annotations

from dataclasses import dataclass

MAX_CHECK_OPS = 4000


@dataclass(frozen=True)
class Check:
    """The outcome of the independent check of back-propagation. `method` says what checked: "sympy"
    (SymPy's derivative of the composed loss), "numeric" (central differences of the forward pass,
    where SymPy did not check: `skipped` says why), or "" (nothing did: `reason` says why)."""

    done: bool
    agreed: bool = False
    digits: int = 0
    worst: str = ""
    reason: str = ""
    method: str = ""
    skipped: str = ""  # why SymPy did not check, when central differences did instead
    piecewise: bool = False  # SymPy composed each ReLU, leaky ReLU or step as its branch at this point
    step: str = ""  # the numeric check's step h, as TeX
