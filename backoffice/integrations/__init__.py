"""The integration kit: what every app talking to an external system shares (errors, the HTTP client)."""
