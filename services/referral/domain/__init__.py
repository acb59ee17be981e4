"""Referral's pure domain: the facility network, routing, and the referral lifecycle.

No I/O here: every function takes values and returns values, so it is tested without a broker or
a database. ``routing_table`` is the data (which risk needs which capability and level),
``routing`` walks the network, ``lifecycle`` is the state machine and the overdue rule,
``messages`` the validated HTTP body with the *rujuk balik* feedback.
"""
