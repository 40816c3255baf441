"""Stage 5: hits -> a reading: answer units (lines, items, key-value lines, table cells) with typed spans, scored
against the analysed question."""

from assistant.reading.reader import Candidate, ReaderWeights, Reading, read
from assistant.reading.spans import Span, find_spans
from assistant.reading.units import AnswerUnit, TableCell, UnitKind, units_of

__all__ = ["AnswerUnit", "Candidate", "Reading", "ReaderWeights", "Span", "TableCell", "UnitKind", "find_spans",
           "read", "units_of"]
