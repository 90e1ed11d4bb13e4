"""``ctm certs``: the certificates of a cluster whose scheduler port is reached over TLS."""

from __future__ import annotations

from pathlib import Path

import click

from pipeline.errors import CTMError


def _owner(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    uid, sep, gid = text.partition(":")
    try:
        return int(uid), int(gid if sep else uid)
    except ValueError:
        raise CTMError(f"--owner {text!r} should be UID:GID in numbers, e.g. 1000:1000") from None


@click.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--host",
    "hosts",
    multiple=True,
    metavar="NAME",
    help="Scheduler/worker host name or IP in the certificates, repeatable, e.g. 10.0.0.5 "
    "[default: scheduler, localhost, 127.0.0.1].",
)
@click.option(
    "--owner",
    default=None,
    metavar="UID:GID",
    help="Give the files to this user, e.g. the containers' CTM_UID:CTM_GID 1000:1000 [default: you].",
)
def certs(folder, hosts, owner):
    """Make a CA and the scheduler's, workers' and clients' certificates in FOLDER.

    Each role's files are ROLE.pem and ROLE.key (mode 0600); keep ca.key offline once
    the certificates are made. With them, Dask's TLS is mutual: the scheduler refuses a
    peer without a certificate from this CA.

    \b
    Example:
      ctm certs certs --owner 1000:1000
      ctm submit jobs/d5x2.toml --scheduler tls://10.0.0.5:8786 \\
          --tls-ca-file certs/ca.pem --tls-cert certs/client.pem --tls-key certs/client.key
    """
    from pipeline.certs import make_certs

    written = make_certs(folder, list(hosts) or None, _owner(owner))
    click.echo(f"wrote {len(written)} files in {folder}: {', '.join(p.name for p in written)}")
