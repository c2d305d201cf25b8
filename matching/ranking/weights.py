"""The weights of the ranking factors: the one place they live.

A match's score is the weighted mean of its factor values (each in [0, 1]), so it is in [0, 1]
too, and each factor's contribution, `weight * value / sum of weights`, is what the explanation
shows: the contributions add up to the score. Only the ratios between weights matter. Feedback
is a penalty (`PENALTIES`): subtracted, and left out of the sum of weights.

Staff tune them in the admin (`matching.models.RankingWeights`, one row with a field per factor);
without that row (or before its table exists) the defaults below apply.

The weights were re-balanced against the labelled set of benchmarks/matching_quality.py (graded
judgements made before the ranker ran; benchmarks/README.md): only factors that tell a strong
match from a weak one weigh much. The policy factors (context, South-South, availability,
evidence) are small on purpose: they order solutions that are about equally relevant, and must
not lift an off-topic entry above a relevant one.

What each factor measures, and why it weighs what it does:

- text (0.30): BM25 of the need's title and description against the entry, from the search
  index, as a share of the best BM25 in the catalogue for that need. What the need is about,
  but words mislead across languages and in short texts, and reach only entries in a language
  sharing them.
- taxonomy (0.55): shared SDG targets (most), themes and SDG goals (little: a goal or a theme
  covers a broad field), confirmed by the authors; tags suggested from the need's text count
  about a third. Tags carry meaning across languages: a French need reaches a Spanish solution
  through them. The largest weight: a shared target is the surest sign of the same problem.
- support (0.05): the kinds of support the need seeks against those the entry offers, stated or
  implied by its kind (a training need favours trainings and expert rosters).
- context (0.04): same sub-region (or region), shared language, similar country group (SIDS,
  LDC, landlocked): what makes a solution transferable.
- south_south (0.02): Southern providers first; triangular entries are flagged, not hidden;
  entries with Northern providers only come last; UN entities are neutral (left out).
- availability (0.02): open opportunities and upcoming events before closed or past ones;
  recently confirmed entries before stale ones. Undated entries count as open.
- evidence (0.02): verified by programme staff, and matches of the entry that were completed.
  Small: few entries have any yet, and it must not bury new solutions.
- feedback (0.30, a penalty): 0 unless the entry was declined as "not relevant"; declined for
  this need, the full 0.30 comes off; each decline for a similar need (sharing SDG targets or
  themes) half of it. An entry nobody declined gains nothing from it.
"""

import time

from django.apps import apps
from django.db import DatabaseError, connection
from django.db.models import Model

FACTOR_NAMES: tuple[str, ...] = (
    "text",
    "taxonomy",
    "support",
    "context",
    "south_south",
    "availability",
    "evidence",
    "feedback",
)

# Factors whose value is a penalty: subtracted, and left out of the sum of weights.
PENALTIES: frozenset[str] = frozenset({"feedback"})

DEFAULT_WEIGHTS: dict[str, float] = {
    "text": 0.30,
    "taxonomy": 0.55,
    "support": 0.05,
    "context": 0.04,
    "south_south": 0.02,
    "availability": 0.02,
    "evidence": 0.02,
    "feedback": 0.30,
}

# Tables found, for good; tables missing, with when they were looked for.
_tables_seen: set[str] = set()
_tables_missing: dict[str, float] = {}
MISSING_TABLE_RECHECK = 60.0


def table_ready(app_label: str, model_name: str) -> type[Model] | None:
    """The model if it exists in the code and its table in the database, else None. Looking
    the table up (rather than querying it and catching the error) keeps the caller's
    transaction usable; a missing table is looked for again after MISSING_TABLE_RECHECK s."""
    try:
        model = apps.get_model(app_label, model_name)
    except LookupError:
        return None
    table = model._meta.db_table
    if table in _tables_seen:
        return model
    missing_since = _tables_missing.get(table)
    if missing_since is not None and time.monotonic() - missing_since < MISSING_TABLE_RECHECK:
        return None
    try:
        names = connection.introspection.table_names()
    except DatabaseError:
        return None
    if table not in names:
        _tables_missing[table] = time.monotonic()
        return None
    _tables_seen.add(table)
    _tables_missing.pop(table, None)
    return model


def current_weights() -> dict[str, float]:
    """The weights in force: the staff-tuned row when there is one, else `DEFAULT_WEIGHTS`.
    A negative or missing value falls back to its default; all zero gives the defaults."""
    model = table_ready("matching", "RankingWeights")
    row = model._default_manager.order_by("pk").first() if model is not None else None
    if row is None:
        return dict(DEFAULT_WEIGHTS)
    weights = {}
    for name, default in DEFAULT_WEIGHTS.items():
        value = getattr(row, name, None)
        weights[name] = float(value) if isinstance(value, int | float) and value >= 0 else default
    if not any(weights.values()):
        return dict(DEFAULT_WEIGHTS)
    return weights
