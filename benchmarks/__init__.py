"""Benchmarks: scripts run from the repository (``python benchmarks/<name>.py``, see README.md)
that print figures, and the small modules they share (``databases``, ``seeding``, ``servers``,
``figures``, ``chat_load``). A package so that the scripts import those as ``benchmarks.<name>``
and mypy tells ``benchmarks/nlu.py`` from the ``nlu`` package."""
