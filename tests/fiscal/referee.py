"""The independent referee of every signature: Debian's xmlsec1 (libxmlsec1 over OpenSSL), not the
signxml that made it (a wrong signature can look valid to its own library: NFE_NOTES pitfall 1)."""

import shutil
import subprocess
from pathlib import Path


def xmlsec1(document: bytes, id_element: str, certificate, tmp_path: Path) -> subprocess.CompletedProcess:
    """xmlsec1's verdict on `document`'s signature of the element `id_element` (infNFe, infEvento,
    infInut) — returncode 0 when it holds — trusting `certificate` (a fiscal.certificates.Certificate,
    the test ones are self-signed) as its own root."""
    assert shutil.which("xmlsec1"), "xmlsec1 is needed (apt-get install xmlsec1; .ci/run installs it)"
    (tmp_path / "doc.xml").write_bytes(document)
    (tmp_path / "cert.pem").write_bytes(certificate.pem()[0])
    return subprocess.run(["xmlsec1", "--verify", "--id-attr:Id", id_element, "--trusted-pem",
                           str(tmp_path / "cert.pem"), str(tmp_path / "doc.xml")], capture_output=True, text=True)
