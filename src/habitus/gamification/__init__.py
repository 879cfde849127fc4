"""Achievements (D10) and rewards (D11): coins, gems on a 7-day cycle, streak freezes.

The rules are pure (`core.achievements`, `core.rewards`); this feature gathers their facts,
keeps the ledger and reacts to the writes of other features through events
(`habitus.wiring`): never by polling their tables.
"""
