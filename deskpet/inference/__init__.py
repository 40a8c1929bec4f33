"""The model: deskpet's own Llama forward pass on MLX, loading, chat, generation, the worker.

Nothing in this package imports Qt.
"""
