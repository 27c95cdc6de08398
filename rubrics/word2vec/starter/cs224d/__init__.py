"""Stand-in for the starter's cs224d package (CS224d problem set 1)."""
