"""Reference solutions: plain numpy, run only in the grader process."""
