"""``jejaring simulate``: a synthetic but realistic ILP district feeding the visit intake.

A tool beside the services, not a service: it talks to the system only through its public intake
(HTTP, Kafka) and commands, as a facility system and an operator would.

Pure generation (no I/O) lives in :mod:`population` (age-sex pyramid, persons, NIKs),
:mod:`network` (facilities and targets), :mod:`visits` (schedules, measurements and the prevalence
parameters with their sources), :mod:`faults` (offline Posyandu, duplicates, invalid records, clock
skew) and :mod:`truth` (expected indicator values computed from the generated records). The I/O
drivers (JSON lines, HTTP, Kafka) and the token set-up are in :mod:`drivers`; :mod:`cli` is the
command line. See ``docs/simulator.md``.
"""
