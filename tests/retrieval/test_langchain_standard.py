"""The LangChain adapter passes LangChain's own standard retriever suite (langchain-tests 1.1.x)."""

import pytest
from langchain_tests.integration_tests import RetrieversIntegrationTests

from assistant.retrieval.langchain import AssistantRetriever


class TestAssistantRetriever(RetrieversIntegrationTests):
    @pytest.fixture(autouse=True)
    def _index(self, corpus_index):
        self.index_dir = str(corpus_index)

    @property
    def retriever_constructor(self) -> type[AssistantRetriever]:
        return AssistantRetriever

    @property
    def retriever_constructor_params(self) -> dict:
        return {"index_dir": self.index_dir}

    @property
    def retriever_query_example(self) -> str:
        return "학술행사 담당자 전화번호"


def test_documents_carry_the_chunk_metadata(corpus_index):
    docs = AssistantRetriever(index_dir=str(corpus_index), k=3).invoke("학술행사 담당자 전화번호")
    assert len(docs) == 3
    top = docs[0].metadata
    assert {"doc_id", "title", "section", "kind", "rank", "ranks", "chunk_id"} <= set(top)
    assert top["rank"] == 1 and docs[0].id == top["chunk_id"]
