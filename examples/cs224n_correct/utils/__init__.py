"""The CS224n assignment 2 starter's helper package (utils/), as a student hands it in."""
