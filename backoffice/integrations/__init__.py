"""The integration kit: what every app talking to an external system shares — the client base and the
registry (base, registry), the errors, the HTTP client, and the sandbox (sandbox)."""
