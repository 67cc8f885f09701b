"""The work behind train.py, eval.py and export_embeddings.py: train, evaluate, export, resume, runtime, errors.

Importing it changes nothing global: the entry points call ``resolvers.register_resolvers`` (before Hydra composes
a config that uses them) and ``quiet.quiet_noise`` themselves.
"""
