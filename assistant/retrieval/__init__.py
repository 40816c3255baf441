"""Stage 4: a question -> ranked hits over the chunks."""

from assistant.retrieval.retriever import Hit, LexicalRetriever

__all__ = ["Hit", "LexicalRetriever"]
