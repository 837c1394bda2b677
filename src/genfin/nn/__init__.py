"""Neural network architectures as plain ``torch.nn.Module`` classes: no training, no data files."""

from genfin.nn.activations import make_activation
from genfin.nn.dense import DenseAutoencoder, dense_stack

__all__ = ["DenseAutoencoder", "dense_stack", "make_activation"]
