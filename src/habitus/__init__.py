"""Habitus: a self-hostable habit tracker."""

__version__ = "0.1.0"
