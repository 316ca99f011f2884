"""cnncalc: output volumes, parameters, MACs and receptive fields of convolutional networks, from a YAML spec."""

__version__ = "0.1.0"
