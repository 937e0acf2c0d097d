"""A tone suggestion for what a client wrote: positive, neutral, tense or hostile.

The sync calls :func:`suggest_tone` on a message's ``new_text`` (quoted history removed, see
:mod:`inbox.message`) and stores the suggestion on the interaction. It is a suggestion, shown
to the freelancer; the app acts on its own (e.g. raises a flag) only on a *hostile* tone with
``confidence >= HIGH_CONFIDENCE``.

How it decides: VADER (``vaderSentiment``, a lexicon-based sentiment model that works
offline) gives the overall polarity, and two small lists of our own patterns catch what VADER
misses in client email: polite-but-hostile phrases ("Per my last email", "As I already
said"), threats (withholding payment, bad reviews, lawyers), insults, ALL-CAPS shouting and
"!!!"; and the tense ones (chasing, delays, disappointment, urgency). Each signal has a
weight; signals of one kind combine like independent evidence (1 - Π(1 - w)), which is the
confidence. ``python -m inbox.tone_report tests/inbox/tone_corpus.csv`` measures it.

Round 3 added general shapes beside the phrases: "you" with a damning verb ("you've wasted",
"clearly you can't"), ultimatums ("fix it or we're done"), escalation (complaints, "stop
ignoring"), rhetorical questions ("how hard can it be"), unmet expectations and worry; one of
them alone is a suggestion, two together are confident. The positive threshold on VADER's
compound score was calibrated on the 200 tuning messages (swept 0.35–0.5).

Measured limits (see tests/inbox/test_tone.py), on 40 messages written before round 3 and
never tuned on: accuracy 0.68 (0.55 with the round-2 rules); hostile precision 0.75, recall
0.30 (0.50 and 0.10 before); at high confidence precision 0.67, recall 0.20; tense precision
1.00, recall 0.60 (0.30 before). Most hostile messages phrased in ways the lists do not know
are still read as neutral. So: a confident hostile suggestion is usually right (the rules act
only on it, or on the freelancer's own choice), and "neutral" never means "all is well".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from vaderSentiment.vaderSentiment import (  # type: ignore[import-untyped]
    SentimentIntensityAnalyzer,
)

__all__ = ["HIGH_CONFIDENCE", "TONES", "Tone", "ToneSuggestion", "suggest_tone"]

Tone = Literal["positive", "neutral", "tense", "hostile"]
TONES: tuple[Tone, ...] = ("positive", "neutral", "tense", "hostile")

#: The app acts automatically on a hostile tone only at or above this confidence.
HIGH_CONFIDENCE = 0.8
#: A kind of tone is suggested when its combined evidence reaches this.
SUGGEST_AT = 0.5
#: VADER compound scores at or beyond these count as evidence (the positive one calibrated on
#: the tuning sets in round 3).
POSITIVE_COMPOUND = 0.41
NEGATIVE_COMPOUND = -0.5


@dataclass(frozen=True, slots=True)
class ToneSuggestion:
    """``tone`` with a ``confidence`` in [0, 1] and the ``reasons`` that led to it."""

    tone: Tone
    confidence: float
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Signal:
    pattern: re.Pattern[str]
    weight: float
    reason: str


def _signals(weight: float, reason: str, *patterns: str) -> list[_Signal]:
    return [_Signal(re.compile(p, re.I), weight, reason) for p in patterns]


_YOU = r"(?:you|you've|you're|your)"

HOSTILE: list[_Signal] = [
    *_signals(
        0.8,
        "passive-aggressive",
        r"\bper my (?:last|previous|earlier) (?:e-?mail|message|note)",
        r"\bas (?:i|we) (?:have )?(?:already|previously) (?:said|mentioned|stated|explained|told you)",
        r"\bas (?:previously|already) (?:stated|mentioned|explained|said)",
        r"\bnot sure how (?:much )?(?:clearer|more clearly) i can be",
        r"\blet me be (?:crystal |very |absolutely )?clear\b",
        r"\bi (?:shouldn't|should not) have to (?:repeat|say|ask|explain)",
        r"\bdo you (?:even|actually|ever) read\b",
        r"\bwhich you would know if\b",
        r"\bthanks for nothing\b",
        r"\bonce again,? you(?:'ve| have)? (?:let|failed|ignored)",
    ),
    *_signals(
        0.85,
        "threat",
        r"\b(?:withhold|withdraw|stop|cancel|freeze)(?:ing)? (?:the |all |any |your )?payment",
        r"\b(?:will|are|am|be) not (?:be )?pay(?:ing)?\b|\bwon't (?:be )?pay(?:ing)?\b|\bnot paying\b",
        r"\bwon't see a (?:cent|penny|dime)\b",
        r"\b(?:full )?refund\b",
        r"\b(?:charge ?back|dispute the (?:charge|payment))\b",
        r"\b(?:lawyer|solicitor|attorney|legal action|sue you|court)\b",
        r"\b(?:bad|negative|terrible|1-star|one-star|one star) review\b",
        r"\breport(?:ed|ing)? you\b",
        r"\b(?:terminate|cancel) (?:the |our |this )?contract\b|\bfinal warning\b",
        r"\btell (?:everyone|everybody|all my)\b|\bavoid you\b|\beveryone in (?:our|my|the)\b",
        r"\bdon't (?:ever )?contact me\b",
        r"\blegal (?:team|department|counsel|advisers?|advisors?)\b",
        r"\b(?:want|expect|demand|get) (?:my|our|the) (?:money|deposit|fee|payment) back\b",
        r"\b(?:cancel|cancelling|canceling|terminat\w*|end(?:ing)?) (?:the|this|our|your)"
        r" (?:project|contract|agreement|engagement|retainer)\b",
        r"\b(?:won't|will not|never) (?:get|see|receive) (?:another|any more|any other|more)"
        r" (?:project|work|business|jobs?)\b",
        r"\bnever (?:hire|use|work with|recommend) you\b",
        r"\blosses you caused\b|\b(?:pay|compensate) (?:us )?for the (?:damage|losses)\b",
    ),
    *_signals(
        0.8,
        "insult",
        r"\b(?:incompetent|incompetence|amateur(?:ish)?|pathetic|useless|clueless|idiot(?:ic)?"
        r"|stupid|moron|disgrace(?:ful)?|garbage|rubbish|crap|shit\w*|fuck\w*)\b",
        rf"\bno idea what {_YOU} (?:are )?doing\b",
        r"\b(?:my|a) (?:nephew|niece|kid|child|son|daughter|grandma) could\b",
        r"\bwaste of (?:our|my) (?:money|time)\b",
        r"\b(?:ashamed of yourself|should be ashamed)\b",
        rf"\b(?:are|were) {_YOU} (?:incapable|unable) of\b",
        r"\bworst (?:\w+ ){0,3}(?:ever|i have|i've)\b",
        r"\bwhat a joke\b",
        r"\bunprofessional\b",
        r"\b(?:a|my|any) (?:child|kid|toddler|monkey|intern)\b[^.!?]{0,40}\b(?:could|would) have\b",
        r"\bjust do your job\b|\bdo your (?:job|work) properly\b",
        r"\b(?:every(?:thing| single thing)?) you touch\b",
        r"\bwhat is wrong with you\b|\bare you (?:kidding|serious|joking)\b",
    ),
    # Round 3: general shapes rather than sentences ("you" + a damning verb, ultimatums,
    # escalation, rhetorical questions), weighted so that one alone is a suggestion and two
    # together are confident.
    *_signals(
        0.6,
        "blame",
        rf"\b{_YOU}(?: have| had)? (?:clearly |obviously |simply |just )?(?:wasted|ruined|failed|"
        r"ignored|botched|messed up|screwed up|broken|destroyed|let (?:us|me) down)\b",
        r"\b(?:clearly|obviously|apparently),? you (?:don't|do not|didn't|can't|cannot|never|"
        r"aren't|are not|won't)\b",
        r"\byou (?:don't|do not|never|didn't) (?:care|listen|read|bother|pay attention)\b",
        r"\bif you can't\b[^.?!]{0,60}\b(?:say so|someone|somebody|elsewhere|competent)\b",
        r"\bwasted (?:three|two|\w+) (?:weeks|months) of\b|\bon nothing\b",
    ),
    *_signals(
        0.8,
        "ultimatum",
        r"\bor (?:we(?:'re| are)|i'm|i am) (?:done|finished|through|out)\b",
        r"\b(?:fix|sort|finish|deliver)\b[^.?!]{0,40}\bor (?:we|i)(?:'ll| will| are|'re)\b",
        r"\b(?:i'm|i am|we're|we are) done being\b|\bi(?:'ve| have) had it\b",
    ),
    *_signals(
        0.85,
        "escalation",
        r"\b(?:file|filing|lodge|lodging|make|making|raise|raising) a (?:formal )?complaint\b",
        r"\bprofessional body\b|\bombudsman\b|\btrading standards\b|\bharass\w*",
        r"\ban insult to\b|\binsulting\b",
        r"\b(?:don't|do not) waste (?:my|our) time\b|\bwasted (?:enough of )?(?:my|our) "
        r"(?:time|money|budget)\b",
        r"\bstop ignoring\b",
    ),
    *_signals(
        0.7,
        "rhetorical question",
        r"\bhow hard (?:can|could|is) it (?:be|to)\b",
        r"\bis it (?:really )?(?:that|so) (?:hard|difficult)\b",
        r"\bwhat (?:exactly )?(?:am i|are we) paying (?:you )?for\b",
    ),
    *_signals(
        0.7,
        "blunt rejection",
        r"\bunacceptable\b",
        r"\b(?:stop making|another|more|no more) excuses?\b",
        r"\bridiculous\b|\bunbelievable\b|\bi've had enough\b|\bi have had enough\b",
        r"^\s*seriously\s*\?",
    ),
]

TENSE: list[_Signal] = [
    *_signals(
        0.6,
        "expectation not met",
        r"\b(?:expect(?:ing|ed)|promised|agreed|supposed to|planned)\b[^.?!]{0,60}\b(?:but|and) "
        r"(?:it's|it is|it was|still|now|we (?:haven't|have not|still))\b",
        r"\b(?:were|was) promised\b",
        r"\bhasn't been \w+ yet\b|\bhave(?:n't| not) (?:had|seen|received|got) (?:one|any)\b",
        r"\b(?:is|are) still not\b|\bstill (?:isn't|aren't|not live|not done|not fixed)\b",
    ),
    *_signals(
        0.6,
        "repeated problem",
        r"\b(?:second|third|fourth|fifth)\b[^.?!]{0,40}\b(?:wrong|mistake|error|bug|problem|"
        r"issue)s?\b",
        r"\bhow many (?:bugs|errors|issues|mistakes|problems)\b",
    ),
    *_signals(
        0.6,
        "worry",
        r"\b(?:nervous|anxious|uneasy)\b",
        r"\b(?:don't|do not|can't|cannot) understand why\b",
        r"\bwhy (?:does|do|would|did) (?:this|it|that)\b[^.?!]{0,40}\b(?:need|take|cost)\b",
        r"\b(?:ceo|boss|board|director|investors?)\b[^.?!]{0,50}\b(?:asked|asking|asks|"
        r"wants to know)\b",
        r"\b(?:had|have) no answer\b",
        r"\buntil (?:the )?(?:open )?(?:issues|bugs|problems) are (?:fixed|solved|resolved)\b",
    ),
    *_signals(
        0.6,
        "chasing",
        r"\bstill (?:waiting|haven't|have not|no)\b",
        r"\bany (?:update|news|progress)\b",
        r"\b(?:emailed|asked|written|called|chased|reminded) (?:you )?(?:twice|three times|"
        r"several times|again|multiple times)\b",
        r"\bhaven't heard back\b|\bplease (?:respond|reply|answer)\b",
        r"\bchasing\b",
        r"\breminder,? again\b",
        r"\b(?:haven't|have not|still not|not yet) (?:seen|received|heard|got(?:ten)?) (?:anything|a reply|back|an answer)",
        r"\b(?:reply|respond|answer|hear back) (?:today|now|asap|by (?:today|tonight|tomorrow))",
    ),
    *_signals(
        0.6,
        "delay",
        r"\btaking (?:much |far |way )?longer\b|\btook (?:much |far )?longer\b",
        r"\bthe deadline was\b|\bmissed the deadline\b|\bpast the deadline\b",
        r"\bdelays?\b(?! is fine)",
        r"\bmoving the deadline\b|\bstill have nothing\b",
        r"\bkeeps? (?:slipping|getting pushed|being delayed|happening|breaking)\b",
        r"\bbehind (?:schedule|plan)\b|\b(?:real|actual|realistic) (?:delivery )?date\b",
    ),
    *_signals(
        0.6,
        "dissatisfaction",
        r"\b(?:disappointed|disappointing|unhappy|frustrat\w*|annoy\w*|fed up|tired of)\b",
        r"\bnot (?:happy|satisfied|pleased)\b",
        r"\b(?:concerned|worried|worrying)\b",
        r"\b(?:isn't|is not|wasn't|not) what (?:we|i) (?:asked|wanted|agreed)",
        r"\bexpected (?:better|more)\b",
        r"\b(?:being )?ignored\b",
        r"\bneed an explanation\b|\bwhy (?:wasn't|weren't|didn't) (?:i|we)\b",
        r"\bnot sure why\b",
        r"\b(?:uneasy|uncomfortable|not comfortable)\b",
        r"\bnot quite (?:what|right)\b|\bis there a reason\b",
        r"\bto be (?:frank|honest)\b|\bhonestly\b",
        r"\b(?:a lot of|lots of|much) (?:fixing|rework|correcting)\b",
        r"\bstop (?:changing|sending|doing|adding)\b",
        r"\bwe need to talk about\b",
        r"\b(?:much |far |way )?(?:higher|more) than (?:the |what we |we )?(?:quote|quoted|agreed|estimated|estimate)\b",
    ),
    *_signals(
        0.55,
        "pressure",
        r"\burgent(?:ly)?\b|\basap\b|\bas soon as possible\b|\bat the latest\b",
        r"\b(?:at risk|losing (?:sales|money|customers|clients))\b",
        r"\bover budget\b|\bhas doubled\b",
        r"\b(?:third|fourth|fifth|umpteenth) time\b|\bcome back again\b|\bdown again\b",
        r"\bbroke (?:the|our)\b|\bbecoming a problem\b",
        r"\bpressure\b",
        r"\bcannot keep\b|\bcan't keep\b|\brethink\b",
    ),
]

_CAPS_WORD = re.compile(r"\b[A-Z]{2,}\b")
_KNOWN_ACRONYMS = frozenset(
    [
        "ASAP",
        "PDF",
        "URL",
        "FAQ",
        "CEO",
        "CTO",
        "UI",
        "UX",
        "SEO",
        "API",
        "PR",
        "HR",
        "IT",
        "OK",
        "UK",
        "US",
        "EU",
        "USA",
        "CSV",
        "PNG",
        "JPG",
        "SVG",
        "VAT",
        "AM",
        "PM",
        "CC",
        "FYI",
        "ETA",
        "QA",
        "CMS",
    ]
)


def _shouting(text: str) -> bool:
    """Three or more ALL-CAPS words (not acronyms), or a mostly upper-case message."""
    words = [w for w in _CAPS_WORD.findall(text) if w not in _KNOWN_ACRONYMS]
    letters = [c for c in text if c.isalpha()]
    mostly = len(letters) >= 12 and sum(c.isupper() for c in letters) / len(letters) > 0.7
    return len(words) >= 3 or mostly


@lru_cache(maxsize=1)
def _analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


def _combine(weights: list[float]) -> float:
    remaining = 1.0
    for weight in weights:
        remaining *= 1.0 - weight
    return 1.0 - remaining


def _matches(signals: list[_Signal], text: str) -> list[tuple[float, str]]:
    found: list[tuple[float, str]] = []
    for signal in signals:
        match = signal.pattern.search(text)
        if match:
            found.append((signal.weight, f'{signal.reason}: "{match.group(0)}"'))
    return found


def suggest_tone(text: str) -> ToneSuggestion:
    """Suggest the tone of ``text`` (a message's new text); never raises."""
    text = (text or "").strip()
    if not text:
        return ToneSuggestion("neutral", 1.0, ("no text",))
    compound = float(_analyzer().polarity_scores(text[:5000])["compound"])
    vader = f"VADER compound {compound:+.2f}"

    hostile = _matches(HOSTILE, text)
    tense = _matches(TENSE, text)
    shouting = _shouting(text)
    marks = re.search(r"[!?]{3,}|\?!|!\?", text)
    if shouting:
        hostile.append((0.6, "shouting (ALL CAPS)"))
    if marks:
        (hostile if hostile else tense).append((0.3, f'repeated punctuation "{marks.group(0)}"'))
    if compound <= NEGATIVE_COMPOUND:
        (hostile if hostile else tense).append((0.3, f"strongly negative ({vader})"))

    candidates: tuple[tuple[Tone, list[tuple[float, str]]], ...] = (
        ("hostile", hostile),
        ("tense", tense),
    )
    for kind, found in candidates:
        confidence = _combine([w for w, _ in found])
        if confidence >= SUGGEST_AT:
            return ToneSuggestion(kind, round(confidence, 3), tuple(r for _, r in found))
    if compound >= POSITIVE_COMPOUND and not tense:
        return ToneSuggestion("positive", round(min(0.95, 0.5 + compound / 2), 3), (vader,))
    return ToneSuggestion("neutral", round(max(0.5, 1.0 - abs(compound)), 3), (vader,))
