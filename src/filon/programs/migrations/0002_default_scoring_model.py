"""The default parametric evaluation model of the special programs, as the Comité Interno approves it.

Illustrative, like the illustrative spreads: the Rules ask for a parametric evaluation (P-2 2.9,
P-3 3.14, P-4 4.5) but do not print its factors; these weights and bands stand until the Comité Interno
loads its own version (`filon.programs.services.scoring_model_load`). Frozen here as data.
"""

from django.db import migrations

DEFAULT_MODEL = {
    "code": "parametrico_programas",
    "version": "1",
    "name": "Evaluación paramétrica de los programas especiales (ilustrativa)",
    "committee_agreement": "Comité Interno de Crédito, modelo ilustrativo",
    "approved_on": "2011-04-27",
    "pass_mark": "70",
    "notes": (
        "Modelo ilustrativo: factores, pesos y rangos de referencia hasta que el Comité Interno de Crédito "
        "apruebe los suyos. Los pesos suman 100; cada rango otorga de 0 a 100 puntos del factor."
    ),
    "factors": [
        {
            "code": "dscr",
            "label": "Capacidad de pago (cobertura del servicio de la deuda, veces)",
            "weight": "35",
            "bands": [
                {"min": None, "max": "1", "points": "0"},
                {"min": "1", "max": "1.2", "points": "40"},
                {"min": "1.2", "max": "1.5", "points": "70"},
                {"min": "1.5", "max": None, "points": "100"},
            ],
        },
        {
            "code": "leverage",
            "label": "Apalancamiento (pasivo total / capital contable)",
            "weight": "15",
            "bands": [
                {"min": None, "max": "1", "points": "100"},
                {"min": "1", "max": "2", "points": "70"},
                {"min": "2", "max": "3", "points": "40"},
                {"min": "3", "max": None, "points": "0"},
            ],
        },
        {
            "code": "experience_years",
            "label": "Experiencia en la actividad (años con ventas)",
            "weight": "10",
            "bands": [
                {"min": None, "max": "1", "points": "0"},
                {"min": "1", "max": "2", "points": "40"},
                {"min": "2", "max": "5", "points": "70"},
                {"min": "5", "max": None, "points": "100"},
            ],
        },
        {
            "code": "bureau_keys",
            "label": "Buró de crédito (claves de prevención en la última consulta)",
            "weight": "15",
            "bands": [
                {"min": None, "max": "1", "points": "100"},
                {"min": "1", "max": "2", "points": "50"},
                {"min": "2", "max": None, "points": "0"},
            ],
        },
        {
            "code": "coverage",
            "label": "Cobertura de garantías (veces)",
            "weight": "15",
            "bands": [
                {"min": None, "max": "1", "points": "0"},
                {"min": "1", "max": "1.5", "points": "60"},
                {"min": "1.5", "max": None, "points": "100"},
            ],
        },
        {
            "code": "technical_opinion",
            "label": "Opinión técnica (1 favorable, 0 desfavorable)",
            "weight": "10",
            "bands": [
                {"min": None, "max": "1", "points": "0"},
                {"min": "1", "max": None, "points": "100"},
            ],
        },
    ],
}


def load_default(apps, schema_editor):
    ScoringModel = apps.get_model("programs", "ScoringModel")
    data = dict(DEFAULT_MODEL)
    ScoringModel.objects.get_or_create(code=data.pop("code"), version=data.pop("version"), defaults=data)


def unload_default(apps, schema_editor):
    ScoringModel = apps.get_model("programs", "ScoringModel")
    ScoringModel.objects.filter(
        code=DEFAULT_MODEL["code"], version=DEFAULT_MODEL["version"], evaluations__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("programs", "0001_programs_budget_steps_scoring")]

    operations = [migrations.RunPython(load_default, unload_default)]
