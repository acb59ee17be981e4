"""Dashboard's pure domain, no I/O: the indicator registry (``registry``), the PWS arithmetic
(``arithmetic``), access scopes (``access``) and what a published number may show (``publication``)."""
