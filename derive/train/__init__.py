"""Training runs: optimizers, the perceptron rule, learning-rate and depth studies."""
