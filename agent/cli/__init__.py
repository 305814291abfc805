"""The command line: parsing, wiring and rendering (agent.cli.app is the entry point)."""
