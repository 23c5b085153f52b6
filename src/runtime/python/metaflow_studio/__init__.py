"""Internals of the embedded runtime: worker, task execution, datastore."""
