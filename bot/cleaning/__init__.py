"""Cleaning: Thread → Thread steps that make a thread read well. Pure: no I/O."""
