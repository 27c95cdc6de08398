"""Stand-in for the starter's cs224d.data_utils: importable, but the dataset is not shipped."""

_WHY = ("the Stanford Sentiment Treebank is not available while grading; keep code that "
        "loads it under `if __name__ == \"__main__\":`")


class StanfordSentiment:
    """Placeholder of the course's dataset class: it can be created, but every use raises."""

    def __init__(self, path=None, tablesize=1000000):
        self.path = path
        self.tablesize = tablesize

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        raise RuntimeError("StanfordSentiment.%s: %s" % (name, _WHY))
