"""Headline figures from announcement text: numbers in prose, what they count, and in what scope.

``extract(text)`` is the one entry point; the modules are ``numbers`` (reading numbers, money,
weights and durations in prose), ``scope`` (sentences and national/regional/force/case cues) and
``extract`` (classifying each number into a metric of the figure vocabulary).
"""

from monitor.figures.extract import EXTRACTOR_VERSION, extract

__all__ = ["EXTRACTOR_VERSION", "extract"]
