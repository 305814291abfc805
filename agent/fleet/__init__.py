"""Fleets: `agent batch` over many repositories, on local processes or a Ray cluster (docs/fleets.md)."""
