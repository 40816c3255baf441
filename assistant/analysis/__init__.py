"""Korean text analysis shared by chunking (sentences, token counts), retrieval and answering."""

from assistant.analysis.kiwi import Sentence, count_tokens, get_kiwi, respace, split_sentences, tokenize

__all__ = ["Sentence", "count_tokens", "get_kiwi", "respace", "split_sentences", "tokenize"]
