"""The work behind ``train.py`` and ``eval.py``."""
