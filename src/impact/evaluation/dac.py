"""The OECD DAC criteria (2019) as the English framing of the same indicators.

Each indicator of the system names the criterion it answers (column ``dac``);
:func:`dac_summary` adds up the scoring table by criterion. Definitions: OECD DAC Network
on Development Evaluation, *Better Criteria for Better Evaluation* (2019).
"""

from __future__ import annotations

import pandas as pd

from impact.evaluation.scoring import group_sums
from impact.evaluation.system import DAC

#: Criterion -> (English name, Chinese name, the criterion's question).
DAC_LABELS: dict[str, tuple[str, str, str]] = {
    "relevance": ("Relevance", "相关性", "Is the intervention doing the right things?"),
    "coherence": ("Coherence", "协调性", "How well does the intervention fit?"),
    "effectiveness": ("Effectiveness", "有效性", "Is the intervention achieving its objectives?"),
    "efficiency": ("Efficiency", "效率", "How well are resources being used?"),
    "impact": ("Impact", "影响", "What difference does the intervention make?"),
    "sustainability": ("Sustainability", "可持续性", "Will the benefits last?"),
}


def dac_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per DAC criterion (in the DAC order): ``dac, criterion, question, weight, score, scored_weight, n_unscored``."""
    g = group_sums(table, "dac")
    rows = [{"dac": d, "criterion": DAC_LABELS[d][0], "question": DAC_LABELS[d][2], "weight": g[d][0],
             "score": g[d][1], "scored_weight": g[d][2], "n_unscored": float(g[d][3])}
            for d in DAC if d in g]
    return pd.DataFrame(rows, columns=["dac", "criterion", "question", "weight", "score", "scored_weight",
                                       "n_unscored"])
