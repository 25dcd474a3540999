"""Registers the property chapters' hypothesis profiles (``ci``, ``thorough``), so that
``--hypothesis-profile=ci`` finds them: hypothesis's plugin loads a profile in
``pytest_configure``, after this file is imported and before any spec module is."""

from specs.strategies import register_profiles

register_profiles()
