"""The town's default wording and the words in its values that the code reads.

A town file gives its own name and lists; these are the defaults (the age bands as stored,
with their English labels) and the markers an age band is read by (`20代`, `80歳以上`,
`18歳未満`, `15歳以下`). Data, read by handlers/town.py, handlers/survey_rules.py and
handlers/population.py.
"""

from __future__ import annotations

DEFAULT_TOWN_NAME = "まち"
DEFAULT_AGE_BANDS = (
    "15歳以下",
    "16〜19歳",
    "20代",
    "30代",
    "40代",
    "50代",
    "60代",
    "70代",
    "80歳以上",
)
# English labels of the default bands (a town file with its own age_bands gives its own)
DEFAULT_AGE_BANDS_EN = (
    "15 or under",
    "16–19",
    "20s",
    "30s",
    "40s",
    "50s",
    "60s",
    "70s",
    "80 or over",
)
BAND_OVER = "以上"  # 80歳以上: open-ended
BAND_UNDER = "未満"  # 18歳未満: up to the number minus one
BAND_DECADE = "代"  # 20代: 20–29
BAND_UP_TO = "歳以下"  # 15歳以下: up to the number
