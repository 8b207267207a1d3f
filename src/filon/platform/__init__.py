"""Speed-ups in one place: each module cites the benchmark it won."""
