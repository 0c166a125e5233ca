"""Views of the v1 API: each parses its input, calls one service or selector, and renders."""
