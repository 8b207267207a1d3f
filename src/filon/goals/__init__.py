"""Yearly targets of the regional offices (SPEC G-1) and the progress against them."""
