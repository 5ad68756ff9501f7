"""The OECD DAC criteria (2019) as the English framing of the same indicators.

Each indicator of the system names the criterion it answers (column ``dac``);
:func:`dac_summary` adds up the scoring table by criterion. Definitions: OECD DAC Network
on Development Evaluation, *Better Criteria for Better Evaluation* (2019).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

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
    t = table.assign(_s=np.where(table["scored"], table["score"], 0.0),
                     _w=np.where(table["scored"], table["weight"], 0.0), _u=~table["scored"].astype(bool))
    g = t.groupby("dac").agg(weight=("weight", "sum"), score=("_s", "sum"), scored_weight=("_w", "sum"),
                             n_unscored=("_u", "sum"))
    rows = [{"dac": d, "criterion": DAC_LABELS[d][0], "question": DAC_LABELS[d][2], **g.loc[d].to_dict()}
            for d in DAC if d in g.index]
    return pd.DataFrame(rows, columns=["dac", "criterion", "question", "weight", "score", "scored_weight",
                                       "n_unscored"])
