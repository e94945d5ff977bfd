"""Microsoft's Kusto language service, driven from the tests (Node.js harness)."""
