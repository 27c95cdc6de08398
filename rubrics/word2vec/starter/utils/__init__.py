"""Stand-in for the starter's utils package (CS224n assignment 2)."""
