"""Evaluation: the Q&A set, the systems compared, the metrics and the reports."""

from assistant.evaluation.qa import QAItem, QASetError, check_qa, load_qa
from assistant.evaluation.runner import EvalRun, check_gate, run_evaluation

__all__ = ["EvalRun", "QAItem", "QASetError", "check_gate", "check_qa", "load_qa", "run_evaluation"]
