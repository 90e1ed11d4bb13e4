"""``ctm serve``: the local web calculator and its JSON API (pipeline.serve)."""

from __future__ import annotations

import click

from pipeline.commands.batch import DATA_DIR

LOOPBACK_HOSTS = ("127.0.0.1", "localhost")


@click.command()
@click.option(
    "--port", "-p", type=click.IntRange(1, 65535), default=8000, show_default=True, help="TCP port, e.g. 8080."
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; another than loopback (e.g. 0.0.0.0) serves the network, with no authentication.",
)
@click.option(
    "--allow-host",
    "extra_hosts",
    multiple=True,
    help="Another name or address the browser may use to reach the server (Host header), e.g. calc.lab.local; repeatable.",
)
@DATA_DIR
def serve(port, host, extra_hosts, data_dir):
    """A web calculator on http://HOST:PORT: K with standard errors, BDM, local
    complexity and downloads, from pasted strings, uploaded files or a matrix editor,
    plus a JSON API (OpenAPI description at /openapi.json).

    It listens on loopback unless --host names another address. Requests must name
    the server (Host header: loopback, the --host address, or an --allow-host name),
    against DNS rebinding. A new table version in the data root is used at once.

    \b
    Examples:
      ctm serve                       (then open http://127.0.0.1:8000)
      ctm serve --port 8080 --data-dir /scratch/ctm
      ctm serve --host 0.0.0.0 --allow-host calc.lab.local
    """
    import uvicorn

    from pipeline.errors import CTMError
    from pipeline.serve.app import allowed_hosts, create_app

    if ":" in host:
        raise CTMError(
            f"--host {host}: IPv6 addresses are not supported (the Host check reads IPv4 and names); use 127.0.0.1 or 0.0.0.0"
        )
    hosts = allowed_hosts(host, tuple(extra_hosts))
    if host not in LOOPBACK_HOSTS:
        click.echo(
            f"warning: serving on {host}, beyond this machine: the calculator has no authentication, so anyone "
            f"who can reach this address can use it (requests must name one of: {', '.join(hosts)})",
            err=True,
        )
    click.echo(f"ctm calculator on http://{host}:{port} (Ctrl+C stops it)", err=True)
    uvicorn.run(create_app(data_dir, hosts), host=host, port=port, log_level="warning")
