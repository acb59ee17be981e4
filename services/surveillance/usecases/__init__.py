"""Surveillance's use cases, one module per concern: cases counted from visits and the signals they
raise (``cases``), the signal lifecycle a district admin or the clock moves (``actions``), and reads
for the dashboard (``queries``).
"""
