"""Market data: dated reference series (TIIE 28, TIIE de Fondeo, FIX, Term SOFR, UDI, UMA), imported from CSV
or Banxico's SIE API and read by the engine through `selectors.rate_series_get` (SPEC C-5, C-9, C-10)."""
