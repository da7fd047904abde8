"""Presenting results: terminal tables now; HTML, JUnit and Markdown with later issues."""
