"""Stage 4: a question -> ranked hits over the chunks."""

from assistant.retrieval.hybrid import FusionSettings, HybridRetriever
from assistant.retrieval.retriever import Hit

__all__ = ["FusionSettings", "Hit", "HybridRetriever"]
