"""REDTEAM shadow_modules: a fake numpy whose allclose is always true."""


def allclose(*a, **k):
    return True


def isclose(*a, **k):
    return True
