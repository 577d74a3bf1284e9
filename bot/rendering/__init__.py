"""Renderers: one module per output, each `render(thread, options)`. Pure: no I/O."""
