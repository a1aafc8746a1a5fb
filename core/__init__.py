"""Cross-app plumbing with a name: keyset pages, the API's list encoder and renderer."""
