"""Earnings reports, play listings and payment history from the catalogue."""
