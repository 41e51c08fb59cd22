"""Shared infrastructure for the domain packages: database, users, roles, audit, units.

Nothing here imports aiogram or ``bot``: handlers call into it, never the other way round.
"""
