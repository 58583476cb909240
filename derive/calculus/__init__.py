"""The maths: forward pass, back-propagation, chain-rule paths, the independent symbolic check."""
