"""Referral's use cases, one module per concern: the network and tokens it keeps, risks that become
referrals, status changes (facilities, the overdue checker, person links), and reads.

Every event id is deterministic: ``referral.made`` from the risk, each ``referral.updated`` from
the referral and the status it records (each status is reached at most once), so a retried
request, a redelivered message or a second replica cannot emit a different copy.
"""
