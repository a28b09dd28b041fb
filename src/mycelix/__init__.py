"""Mycelix Music: a self-hostable music platform where every song carries its own economics."""

__version__ = "0.1.0"
