"""Families of ember.nn.functional, one file each (conv, pooling, normalization, ...).

ember.nn.functional imports every module here and re-exports its ``__all__``, so a
new family needs no edit there. Modules may import private helpers from
``ember.nn.functional`` (``_check``, ``_c``, ``_reduce``...): it is initialised by then.
"""
