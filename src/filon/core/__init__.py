"""The pure domain: money, calendar, rates, schedules and rule evaluation. Imports nothing from Django."""
