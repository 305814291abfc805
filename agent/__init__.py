"""agent: an autonomous coding agent for the terminal.

The public pieces are small modules with one job each; see docs/architecture.md.
"""

__version__ = "0.1.0"
