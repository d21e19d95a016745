"""Pure booking logic with no I/O: time spans, availability, links and calendar files."""
