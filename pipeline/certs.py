"""TLS for a Dask cluster reached over a network: a private certificate authority, one
certificate per role (scheduler, worker, client), and the ``Security`` that uses them.

Dask's TLS is mutual when a CA file is given: each side presents a certificate signed by
the CA and checks the other's (``distributed.security.Security``, whose contexts use
``ssl.CERT_REQUIRED``), so a peer without a certificate from this CA is refused before it
can send a task. Host names are not checked by Dask; the certificates still name them.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import CTMError

CONNECT_TIMEOUT = 10.0
"""Seconds a scheduler has to answer as Dask (connect, TLS and handshake) before a one-line
error; here, not in pipeline.run, so that the commands' options load without Dask."""

ROLES = ("scheduler", "worker", "client")
"""One key pair per role; each file pair is ``ROLE.pem`` (certificate) and ``ROLE.key``."""

VALID_DAYS = 825
"""Lifetime of the certificates made here (days)."""


def _key():
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.generate_private_key(ec.SECP256R1())


def _write(path: Path, data: bytes, secret: bool) -> None:
    """Write ``data`` to ``path``; a secret file is created readable by its owner only."""
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600 if secret else 0o644)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def make_certs(folder: Path, hosts: list[str] | None = None, owner: tuple[int, int] | None = None) -> list[Path]:
    """Make a CA and a certificate per role in ``folder``; the files written.

    Parameters
    ----------
    folder : Path
        Created if missing; ``ca.pem``, ``ca.key`` and ``ROLE.pem``/``ROLE.key`` for each
        of ROLES are written there (existing ones replaced). Keys are mode 0600.
    hosts : list of str, optional
        DNS names or IP addresses put in the scheduler's and workers' subjectAltName
        (default ``scheduler``, ``localhost``, ``127.0.0.1``).
    owner : (uid, gid), optional
        Give the files to this user and group (needs root, or the same user), e.g. the
        uid the containers run as, so they can read the keys.

    Raises
    ------
    CTMError
        When the folder cannot be written or the owner cannot be set.
    """
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    hosts = hosts or ["scheduler", "localhost", "127.0.0.1"]
    names = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    now = datetime.datetime.now(datetime.timezone.utc)
    start, end = now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=VALID_DAYS)

    def name(common: str) -> x509.Name:
        return x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ctm-pipeline"),
                x509.NameAttribute(NameOID.COMMON_NAME, common),
            ]
        )

    def pem_key(key) -> bytes:
        return key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    ca_key = _key()
    ca = (
        x509.CertificateBuilder()
        .subject_name(name("ctm-pipeline CA"))
        .issuer_name(name("ctm-pipeline CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    files = {"ca.pem": (ca.public_bytes(serialization.Encoding.PEM), False), "ca.key": (pem_key(ca_key), True)}
    for role in ROLES:
        key = _key()
        builder = (
            x509.CertificateBuilder()
            .subject_name(name(f"ctm-pipeline {role}"))
            .issuer_name(ca.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            # every role both serves (workers listen too) and connects
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                critical=False,
            )
        )
        if role != "client":
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        cert = builder.sign(ca_key, hashes.SHA256())
        files[f"{role}.pem"] = (cert.public_bytes(serialization.Encoding.PEM), False)
        files[f"{role}.key"] = (pem_key(key), True)

    folder = Path(folder)
    written = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for file, (data, secret) in files.items():
            _write(folder / file, data, secret)
            written.append(folder / file)
        if owner is not None:
            for path in [folder, *written]:
                os.chown(path, *owner)
    except OSError as exc:
        raise CTMError(f"cannot write the certificates in {folder}: {exc.strerror or exc}") from None
    return written


@dataclass(frozen=True)
class TLSFiles:
    """The files a client presents over TLS; all three, or none (plain TCP)."""

    ca_file: str | None = None
    """The CA certificate that signed the scheduler's certificate (PEM)."""
    cert: str | None = None
    """This client's certificate (PEM), signed by the same CA."""
    key: str | None = None
    """This client's private key (PEM)."""

    def __post_init__(self) -> None:
        given = {
            k: v for k, v in (("--tls-ca-file", self.ca_file), ("--tls-cert", self.cert), ("--tls-key", self.key)) if v
        }
        if given and len(given) < 3:
            missing = sorted({"--tls-ca-file", "--tls-cert", "--tls-key"} - set(given))
            raise CTMError(f"TLS needs all of --tls-ca-file, --tls-cert and --tls-key; missing {', '.join(missing)}")
        for option, path in given.items():
            if not os.access(path, os.R_OK):
                raise CTMError(f"{option} {path}: not a readable file")

    def security(self):
        """A ``distributed.security.Security`` requiring encryption, or None without files."""
        if not self.ca_file:
            return None
        from distributed.security import Security

        return Security(
            tls_ca_file=self.ca_file, tls_client_cert=self.cert, tls_client_key=self.key, require_encryption=True
        )
