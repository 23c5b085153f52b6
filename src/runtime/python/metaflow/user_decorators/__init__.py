"""User-written step decorators, step mutators and flow mutators (Metaflow's `metaflow.user_decorators`)."""
