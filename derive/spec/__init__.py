"""The input: YAML read with positions, validated into frozen model objects (spec → calculus → steps → render)."""
