"""Running a plan: one unit (inputs, evaluation, results) and a batch (sources, columns, the
vector backend, cohorts)."""
