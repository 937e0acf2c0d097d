"""inbox.tone: tone suggestions, measured on labelled client messages (run with -s to see them).

Four sets, each written before the rules it measures were changed:
- tone_corpus.csv (120): written first, the rules were built and tuned on it (round 1);
- tone_round2.csv (40): written after round 1 and held out then (accuracy 0.55, hostile
  recall 0.20, tense recall 0.00), then tuned on in round 2;
- tone_holdout.csv (40): written after round 2 and held out then (accuracy 0.53, hostile
  precision 1.00, recall 0.10), then tuned on in round 3 (general shapes: blame, ultimatums,
  escalation, rhetorical questions, unmet expectations; the positive threshold calibrated);
- tone_round3_holdout.csv (40): written before round 3 and never tuned on: the honest figures
  (round-2 rules on it: accuracy 0.55, hostile precision 0.50 and recall 0.10).
"""

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inbox.tone import HIGH_CONFIDENCE, suggest_tone
from inbox.tone_report import evaluate, format_report, load_labelled, main

HERE = Path(__file__).parent


def test_the_tuning_corpus_meets_the_floors():
    evaluation = evaluate(load_labelled(HERE / "tone_corpus.csv"))
    print("\n" + format_report(evaluation, "tone_corpus.csv (tuned on)"))
    assert len(evaluation.rows) >= 120
    assert evaluation.precision("hostile", HIGH_CONFIDENCE) >= 0.9
    assert evaluation.recall("hostile") >= 0.85
    assert evaluation.precision("tense") >= 0.8
    assert evaluation.recall("tense") >= 0.8
    assert evaluation.accuracy >= 0.85


@pytest.mark.parametrize(
    "text",
    [
        "Per my last email, the invoice is wrong.",
        "As I already said, the meeting is on Tuesday.",
        "I'm not sure how much clearer I can be about the colours.",
        "This is unacceptable and we will withhold payment.",
        "If this isn't fixed we'll leave a bad review.",
        "You are completely incompetent.",
    ],
)
def test_polite_but_hostile_phrases_are_hostile_with_high_confidence(text):
    suggestion = suggest_tone(text)
    assert suggestion.tone == "hostile"
    assert suggestion.confidence >= HIGH_CONFIDENCE
    assert suggestion.reasons  # says which phrase


@pytest.mark.parametrize(
    "text",
    [
        "The bug is fixed, no more errors.",
        "The crash was caused by an outdated plugin, not your code.",
        "No problem at all, next week is fine.",
        "We fixed the broken link in the footer.",
    ],
)
def test_neutral_messages_with_negative_words_are_not_tense_or_hostile(text):
    assert suggest_tone(text).tone in ("neutral", "positive")


def test_shouting_is_hostile_but_not_confident_enough_to_act_on_alone():
    suggestion = suggest_tone("WHERE ARE THE FILES")
    assert suggestion.tone == "hostile"
    assert suggestion.confidence < HIGH_CONFIDENCE
    assert "shouting (ALL CAPS)" in suggestion.reasons


def test_acronyms_are_not_shouting():
    assert suggest_tone("Please send the PDF and the SVG, thanks.").tone != "hostile"


def test_chasing_is_tense():
    suggestion = suggest_tone("Still waiting on the mockups. Any update?")
    assert suggestion.tone == "tense"
    assert any(reason.startswith("chasing") for reason in suggestion.reasons)


def test_warm_thanks_is_positive():
    assert suggest_tone("Thank you, this is wonderful work!").tone == "positive"


def test_no_text_is_neutral():
    assert suggest_tone("   ").tone == "neutral"


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300))
def test_any_text_gets_a_suggestion_with_a_confidence_between_0_and_1(text):
    suggestion = suggest_tone(text)
    assert 0.0 <= suggestion.confidence <= 1.0
    assert suggestion.tone in ("positive", "neutral", "tense", "hostile")


def test_the_report_command_prints_the_figures(capsys):
    assert main([str(HERE / "tone_corpus.csv")]) == 0
    out = capsys.readouterr().out
    assert "hostile: precision" in out and "confusion" in out


def test_the_round_2_set_meets_the_floors():
    evaluation = evaluate(load_labelled(HERE / "tone_round2.csv"))
    print("\n" + format_report(evaluation, "tone_round2.csv (tuned on in round 2)"))
    assert evaluation.precision("hostile", HIGH_CONFIDENCE) >= 0.9
    assert evaluation.recall("hostile") >= 0.8
    assert evaluation.recall("tense") >= 0.8


def test_the_round_3_tuning_set_meets_the_floors():
    evaluation = evaluate(load_labelled(HERE / "tone_holdout.csv"))
    print("\n" + format_report(evaluation, "tone_holdout.csv (tuned on in round 3)"))
    assert evaluation.precision("hostile", HIGH_CONFIDENCE) >= 0.9
    assert evaluation.recall("hostile") >= 0.8
    assert evaluation.recall("tense") >= 0.8


def test_the_held_out_messages_are_rarely_wrongly_acted_on():
    """Written before round 3 and never tuned on. Measured: accuracy 0.68; hostile precision
    0.75, recall 0.30; at high confidence precision 0.67 (one false alarm: a neutral message
    about a "legal team" reviewing a contract, caught by a round-1 threat phrase), recall 0.20;
    tense precision 1.00, recall 0.60. A phrase list still does not generalise far: most
    hostile messages read as neutral, so "neutral" never means "all is well"."""
    evaluation = evaluate(load_labelled(HERE / "tone_round3_holdout.csv"))
    print("\n" + format_report(evaluation, "tone_round3_holdout.csv (held out)"))
    assert len(evaluation.rows) >= 40
    assert evaluation.predicted_count("hostile", HIGH_CONFIDENCE) >= 2
    assert evaluation.precision("hostile", HIGH_CONFIDENCE) >= 0.6
    assert evaluation.precision("tense") >= 0.9
    assert evaluation.accuracy >= 0.65
