"""Stage 5: hits -> a cited answer."""

from assistant.answering.extractive import answer_from_hits
from assistant.answering.models import AnswerResponse, Citation

__all__ = ["AnswerResponse", "Citation", "answer_from_hits"]
