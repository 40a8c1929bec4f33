"""deskpet: a desktop pet with a local MLX brain that keeps an eye on your coding agents."""

__version__ = "0.1.0"
