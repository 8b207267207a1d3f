"""The Reglas de Operación as versioned, schema-validated data."""

from filon.rules.loader import (
    NoRuleSetInForce,
    RuleSetError,
    RuleSetProblem,
    available_rulesets,
    check_ruleset_dir,
    load_ruleset_dir,
    load_ruleset_for_date,
    load_ruleset_version,
    rules_dir,
)
from filon.rules.schema import RuleSet

__all__ = [
    "NoRuleSetInForce",
    "RuleSet",
    "RuleSetError",
    "RuleSetProblem",
    "available_rulesets",
    "check_ruleset_dir",
    "load_ruleset_dir",
    "load_ruleset_for_date",
    "load_ruleset_version",
    "rules_dir",
]
