"""A web worker starts light: charts (matplotlib) and the Japanese analyser load on first use."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("matplotlib", "numpy", "sudachipy", "openpyxl")


def test_the_app_starts_without_loading_charts_or_the_analyser(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'start.db'}"}
    env = {k: v for k, v in env.items() if not k.startswith("LINE_")}
    probe = "import json, sys, wsgi; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    loaded = set(json.loads(done.stdout.strip().splitlines()[-1]))
    assert "flask" in loaded and "bot.console.surveys" in loaded  # the console is there
    assert not [m for m in HEAVY if m in loaded]


def test_a_chart_still_draws_japanese_when_asked_for():
    from handlers import charts

    png = charts.hbar("地域の魅力", ["自然が豊か", "交通が便利"], [0.6, 0.4], note="回答 10人")
    assert png.startswith(b"\x89PNG")
    assert charts.FONT == "IPAexGothic"


def test_threads_share_one_dictionary_and_get_the_same_words():
    """One Sudachi dictionary per process (about 80 MB), a tokenizer per thread."""
    import threading

    from handlers import textmining

    text = "駅前の街灯が暗いので、子どもの通学が心配です"
    found: list[list[str]] = []
    threads = [
        threading.Thread(target=lambda: found.append(textmining.words(text))) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(found) == 4 and all(words == found[0] for words in found)
    assert "街灯" in found[0]
    first = textmining._dictionary
    assert first is not None
    threading.Thread(target=lambda: textmining.words(text)).start()
    assert textmining._dictionary is first
