"""Surveillance: SKDR early warning of outbreaks (KLB) per village and Puskesmas area, and the signals' lifecycle."""
