"""Coding-agent events in, one pet mood out. No Qt, no MLX.

Kept empty on purpose: `deskpet-hook` imports this package on every agent event, so nothing
here may cost import time.
"""
