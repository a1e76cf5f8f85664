"""The NF-e toolchain: access keys, XML (serialize, validate against the official XSDs, assemble what
SEFAZ's answers complete), signatures; the builder from an invoice lives beside them (build.py)."""
