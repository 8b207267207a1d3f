"""The first PDF of a fresh process, cold and after the fonts' warm-up (filon.documents.warmup).

Each round starts a new Python process (`django.setup()`, no database needed) and times the first render of
a two-page document built on the documents' own template and styles: once cold, as a server process without
the warm-up answered its first PDF, and once after `fonts_warm()` (what the server's processes and the
worker do on a thread at start). Run with `make bench`; the figures are the medians of the rounds.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROUNDS = 3
ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import json, os, sys, time
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "filon.settings")
os.environ.setdefault("DATABASE_URL", "sqlite:///var/bench-first-pdf.sqlite3")
import django
django.setup()
from django.template import engines
from django.utils import timezone
from filon.documents import pdf, warmup
warm = None
if sys.argv[1] == "warm":
    warm = warmup.fonts_warm()
rows = "".join(
    f"<tr><td>{n}</td><td>Amortización {n}</td><td class='num'>${n * 1234567 / 100:,.2f}</td></tr>"
    for n in range(1, 80)
)
html = engines["django"].from_string(
    '{% extends "documents/base.html" %}{% block content %}<h1>Estado de cuenta</h1>'
    '<table class="grid"><thead><tr><th>Núm.</th><th>Concepto</th><th class="num">Importe</th></tr></thead>'
    "<tbody>{{ rows|safe }}</tbody></table>{% endblock %}"
).render({"title": "Prueba", "subject": "Primer PDF", "generated_at": timezone.now(),
          "generated_by": "Filón", "rows": rows})
started = time.perf_counter()
pdf.render_pdf(html)
print(json.dumps({"warm_up": warm, "first_pdf": time.perf_counter() - started}))
"""


def _round(kind: str) -> dict[str, float | None]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, kind],
        cwd=ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        check=True,
    )
    last: dict[str, float | None] = json.loads(out.stdout.strip().splitlines()[-1])
    return last


def main() -> None:
    (ROOT / "var").mkdir(exist_ok=True)
    cold = [_round("cold")["first_pdf"] or 0.0 for _ in range(ROUNDS)]
    warmed = [_round("warm") for _ in range(ROUNDS)]
    warm_up = statistics.median(r["warm_up"] or 0.0 for r in warmed)
    after = statistics.median(r["first_pdf"] or 0.0 for r in warmed)
    print(
        f"Primer PDF de un proceso, sin preparar las fuentes: {statistics.median(cold):.2f} s (mediana de {ROUNDS})"
    )
    print(f"Preparación de las fuentes al iniciar (en un hilo): {warm_up:.2f} s")
    print(f"Primer PDF después de la preparación: {after:.2f} s")


if __name__ == "__main__":
    main()
