"""Wizards: the go-live gate."""
