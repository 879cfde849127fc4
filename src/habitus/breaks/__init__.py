"""Breaks (D3.2): days off for one habit or for all, that never break a streak."""
