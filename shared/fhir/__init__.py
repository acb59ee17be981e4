"""FHIR R4 (SATUSEHAT-shaped) in and out: the one mapping table, Bundle intake, outbound resources.

``codes`` holds every code, system and unit; ``inbound`` maps a Bundle to intake visit dicts,
``outbound`` builds resources, ``outcome`` builds OperationOutcomes and Bundle responses,
``capability`` the CapabilityStatements and ``docs`` renders ``docs/fhir.md`` from the table.
All of it is pure: no HTTP, Kafka or database.
"""
