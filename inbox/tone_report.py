"""Measure :func:`inbox.tone.suggest_tone` on a labelled CSV (columns ``text,label``).

``python -m inbox.tone_report tests/inbox/tone_corpus.csv [more.csv …]`` prints precision and
recall for hostile and tense (and the others), hostile precision and recall at
``HIGH_CONFIDENCE``, a confusion matrix and the misclassified messages. The tests call
:func:`evaluate` and assert floors on the same figures.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from inbox.tone import HIGH_CONFIDENCE, TONES, Tone, ToneSuggestion, suggest_tone

__all__ = ["Evaluation", "evaluate", "format_report", "load_labelled", "main"]


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Predictions against labels, with the usual figures derived from them."""

    rows: tuple[tuple[str, Tone, ToneSuggestion], ...] = field(default=())

    def count(self, actual: Tone, predicted: Tone) -> int:
        return sum(1 for _, label, s in self.rows if label == actual and s.tone == predicted)

    def precision(self, tone: Tone, min_confidence: float = 0.0) -> float:
        predicted = [
            label for _, label, s in self.rows if s.tone == tone and s.confidence >= min_confidence
        ]
        return sum(label == tone for label in predicted) / len(predicted) if predicted else 0.0

    def recall(self, tone: Tone, min_confidence: float = 0.0) -> float:
        actual = [s for _, label, s in self.rows if label == tone]
        hits = [s for s in actual if s.tone == tone and s.confidence >= min_confidence]
        return len(hits) / len(actual) if actual else 0.0

    def predicted_count(self, tone: Tone, min_confidence: float = 0.0) -> int:
        return sum(1 for _, _, s in self.rows if s.tone == tone and s.confidence >= min_confidence)

    @property
    def accuracy(self) -> float:
        return sum(label == s.tone for _, label, s in self.rows) / len(self.rows)

    @property
    def mistakes(self) -> list[tuple[str, Tone, ToneSuggestion]]:
        return [row for row in self.rows if row[1] != row[2].tone]


def load_labelled(path: Path | str) -> list[tuple[str, Tone]]:
    """Rows of a ``text,label`` CSV; an unknown label is an error."""
    rows: list[tuple[str, Tone]] = []
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            label = row["label"].strip()
            if label not in TONES:
                raise ValueError(f"{path}: unknown label {label!r}")
            rows.append((row["text"], label))
    return rows


def evaluate(labelled: Iterable[tuple[str, Tone]]) -> Evaluation:
    return Evaluation(tuple((text, label, suggest_tone(text)) for text, label in labelled))


def format_report(evaluation: Evaluation, title: str = "") -> str:
    lines = [f"== {title} ({len(evaluation.rows)} messages)" if title else ""]
    lines.append(f"accuracy {evaluation.accuracy:.2f}")
    for tone in ("hostile", "tense", "positive", "neutral"):
        lines.append(
            f"{tone:>8}: precision {evaluation.precision(tone):.2f}  "
            f"recall {evaluation.recall(tone):.2f}  (predicted {evaluation.predicted_count(tone)})"
        )
    lines.append(
        f"hostile at confidence >= {HIGH_CONFIDENCE}: "
        f"precision {evaluation.precision('hostile', HIGH_CONFIDENCE):.2f}  "
        f"recall {evaluation.recall('hostile', HIGH_CONFIDENCE):.2f}  "
        f"(predicted {evaluation.predicted_count('hostile', HIGH_CONFIDENCE)})"
    )
    lines.append("confusion (rows: label, columns: suggested)")
    lines.append(" " * 10 + "".join(f"{t:>10}" for t in TONES))
    for actual in TONES:
        counts = "".join(f"{evaluation.count(actual, p):>10}" for p in TONES)
        lines.append(f"{actual:>10}{counts}")
    if evaluation.mistakes:
        lines.append("misclassified:")
        for text, label, s in evaluation.mistakes:
            lines.append(f"  [{label} -> {s.tone} {s.confidence:.2f}] {text}")
    return "\n".join(line for line in lines if line is not None)


def main(argv: Sequence[str] | None = None) -> int:
    paths = list(sys.argv[1:] if argv is None else argv)
    if not paths:
        print("usage: python -m inbox.tone_report labelled.csv [more.csv …]", file=sys.stderr)
        return 2
    for path in paths:
        print(format_report(evaluate(load_labelled(path)), title=str(path)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
