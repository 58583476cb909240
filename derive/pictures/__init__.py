"""Diagrams (SVG and TikZ from one layout) and plots (matplotlib), drawn at render time."""
