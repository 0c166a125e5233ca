"""Serializers of the v1 API: they parse input and render output, nothing else."""
