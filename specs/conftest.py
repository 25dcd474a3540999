"""Registers the property chapters' hypothesis profiles (``ci``, ``dev``, ``thorough``) and makes
``ci`` the default: a conformance verdict must depend on the engine, not on which examples were
drawn, so plain ``pytest`` (what the README runs, and CI) uses fixed examples. ``dev`` and
``thorough`` draw new ones (``--hypothesis-profile=dev``). Hypothesis's plugin loads a profile
named on the command line in ``pytest_configure``, after this file is imported and before any
spec module is, so the option still overrides this default."""

from hypothesis import settings

from conformance.specs.strategies import register_profiles

register_profiles()
settings.load_profile("ci")
