"""The review loop: a queue of the pairs where a person's answer helps most, exported for
reviewers or answered at a terminal, and their answers read back as judgements.

``linkage review`` builds the queue (:func:`review_queue`) from a run folder; ``linkage judge
--import`` reads the answers (:func:`read_answers`) into the store; the next ``linkage run``
applies them (must-links and cannot-links in clustering) and, with enough of them, learns
from them (``[matching] learn_from_judgements``).
"""

from linkage.review.exchange import export_queue, read_answers
from linkage.review.queue import review_queue
from linkage.review.terminal import review_interactively, side_by_side

__all__ = ["export_queue", "read_answers", "review_interactively", "review_queue", "side_by_side"]
