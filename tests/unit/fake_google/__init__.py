"""Fidelity tests of the Google emulator, driven by Google's own clients."""
