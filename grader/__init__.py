"""grader: autograde numerical homework in isolation and explain every verdict."""

__version__ = "0.1.0"
