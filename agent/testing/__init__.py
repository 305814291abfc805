"""Test doubles that ship with the package: the replay server and an in-process scripted model."""
