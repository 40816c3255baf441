"""Korean text analysis shared by chunking (sentences, token counts) and, later, BM25."""

from assistant.analysis.kiwi import Sentence, count_tokens, get_kiwi, respace, split_sentences, tokenize

__all__ = ["Sentence", "count_tokens", "get_kiwi", "respace", "split_sentences", "tokenize"]
