"""``ctm bdm`` and ``ctm local``: scores of strings longer than a table's outputs.

Both read inputs as ``ctm query`` does and print a line per input, NA and the reason in
place of a value. The scoring modules are imported when a command runs.
"""

from __future__ import annotations

import json
import math
import warnings

import click

from pipeline.commands.batch import (
    ALPHABET,
    DATA_DIR,
    FILE,
    GRID,
    JSON,
    STRICT,
    STRINGS,
    TABLE,
    VERSION,
    finish,
    gather,
    line,
    looks_2d,
    na,
)
from pipeline.errors import CTMError


def _measure(normalized: bool, entropy: bool, acss: bool) -> str:
    if acss:
        return "acss_bdm"
    return ("n" if normalized else "") + ("ent" if entropy else "bdm")


def _scores(inputs: list[str], options: dict, measure: str, ndim: int = 1):
    """(values, reasons, standard-error bounds, imputed shares, intervals, the settings
    that produced them) for one measure; bounds and shares are None where the measure has
    none, intervals (BDM_low, BDM_high) None except for BDM on an exact_upto table."""
    from pipeline.query import open_or_na

    if measure == "acss_bdm":
        from pipeline.measures import acss_bdm

        block, shift = options["block"] or 10, options["shift"] or options["block"] or 10
        alphabet = options["alphabet"] or (None if options["table"] else 9)
        where = {k: options[k] for k in ("table", "version", "data_dir")}
        values = acss_bdm(inputs, block, alphabet, shift, errors="ignore", **where)
        tab, _ = open_or_na(options["table"], options["version"], alphabet, options["data_dir"])
        settings = {
            "table": tab.label if tab else None,
            "block": block,
            "delta": shift,
            "alphabet": alphabet or tab.symbols,
        }
        none = [None] * len(inputs)
        return values.tolist(), values.attrs["reasons"], none, none, none, settings
    from pipeline.bdm import BDM, _warn_imputed
    from pipeline.inputs import NA, item, show

    chosen = {k: v for k, v in options.items() if v is not None}
    scorer = BDM(**chosen, ndim=ndim)
    values, reasons, se, share, interval, imputed = [], [], [], [], [], {}
    entries = [item(text, ndim) for text in inputs]
    texts = [scorer.checked(entry.text) if entry.ok else entry.na for entry in entries]
    if "bdm" in measure:  # every block of the batch in one lookup
        scorer.prefetch([t for t in texts if not isinstance(t, NA)])
    for entry, checked in zip(entries, texts):
        if isinstance(checked, NA):
            found = None, checked
        else:
            details = scorer.details(checked, "ent" if "ent" in measure else "bdm", measure.startswith("n"))
            imputed[show(entry.label)] = details.imputed
            found = details, details.na
        details, reason = found
        values.append(details.value if details is not None and reason is None else None)
        reasons.append(None if reason is None else reason.detail)
        scored = details is not None and reason is None and "bdm" in measure
        se.append(details.se if scored else None)
        share.append(details.imputed_share if scored else None)
        interval.append(details.interval if scored else None)
    _warn_imputed(imputed, scorer.tab, stacklevel=2)
    settings = {"table": scorer.tab.label, "block": scorer.block, "strategy": scorer.strategy}
    if scorer.strategy == "correlated":
        settings["shift"] = scorer.shift
    settings["sampled"] = scorer.tab.sampled
    return values, reasons, se, share, interval, settings


def _value(
    measure: str, value: float, se: float | None, share: float | None, sampled: bool, interval: tuple | None = None
) -> str:
    """A score as a line shows it: the value, its interval on an exact_upto table, its
    standard error's bound on a sampled table, and the share of it imputed when there is one."""
    text = f"{measure}={value:.6f}"
    if interval is not None:
        text += f" in [{interval[0]:.6f}, {interval[1]:.6f}]"
    if se is not None and sampled:
        text += f" (se <= {se:.6f}, an upper bound)"
    if share:
        text += f" ({share:.0%} of it from imputed blocks)"
    return text


@click.command()
@STRINGS
@FILE
@click.option(
    "--block",
    "-b",
    type=click.IntRange(1),
    default=None,
    help="Block length, e.g. 8, or side of a square block with --2d [default: 12; 4 with --2d; 10 with --acss].",
)
@click.option(
    "--strategy",
    "-s",
    type=click.Choice(["ignore", "recursive", "correlated"]),
    default=None,
    help="pybdm's partition: drop a short tail, keep it, or slide a window [default: ignore].",
)
@click.option(
    "--shift",
    type=click.IntRange(1),
    default=None,
    help="Step of the correlated window (acss's delta with --acss) [default: 1; the block with --acss].",
)
@click.option(
    "--min-length", type=click.IntRange(1), default=None, help="Shortest tail kept by recursive [default: 2]."
)
@click.option(
    "--missing",
    type=click.Choice(["impute", "error"]),
    default=None,
    help="A block the table never produced: 1 + the largest K of its length (pybdm), or NA [default: impute].",
)
@click.option(
    "--normalized",
    "-n",
    is_flag=True,
    help="Normalised to [0, 1]: pybdm's bounds over the values BDM uses, imputed blocks included (ignore, recursive).",
)
@click.option(
    "--entropy", "-e", is_flag=True, help="Block entropy (pybdm's ent; nent with --normalized) instead of BDM."
)
@click.option(
    "--acss",
    is_flag=True,
    help="acss's bdm(): blocks every --shift, the short last block kept, repeats in base --alphabet [default 9, acss's].",
)
@GRID
@TABLE
@VERSION
@ALPHABET
@JSON
@STRICT
@DATA_DIR
def bdm(
    strings,
    source,
    block,
    strategy,
    shift,
    min_length,
    missing,
    normalized,
    entropy,
    acss,
    grid,
    table,
    version,
    alphabet,
    as_json,
    strict,
    data_dir,
):
    """Block Decomposition Method (pybdm's definitions) of each STRING.

    Strings of any length: each is cut into blocks whose K the table gives, and
    BDM = sum over distinct blocks of K + log2(times it occurs). On an exact_upto table
    (e.g. d3x2-s10-upto6), whose K is known within [K_low, K_high], BDM is given with its
    interval [BDM_low, BDM_high] (JSON: BDM_low, BDM_high). An input that cannot
    be scored (too many symbols, shorter than the block under ignore) gets a line saying
    why, and the others are still scored. A string starting with '-' goes after --.

    \b
    Examples:
      ctm bdm 010101010101010101010101 000000000000111111111111
      ctm bdm --file strings.txt --json > bdm.json
      ctm bdm --strategy recursive --normalized --file strings.txt
      ctm bdm --entropy --block 4 OXXOXOOXXOXO
      ctm bdm --acss --alphabet 2 --block 12 010101010101010101
      ctm bdm --2d 00000000-00000000-11111111-11111111-00000000-00000000-11111111-11111111
      cut -d, -f1 data.csv | tail -n +2 | ctm bdm -f -
    """
    if acss and grid:
        raise CTMError("--acss scores strings (acss's bdm() has no 2-D form); leave out --2d")
    if acss and (strategy or min_length or missing or normalized or entropy):
        raise CTMError(
            "--acss takes --block, --shift and --alphabet only (acss's bdm() has no strategy, normalisation or entropy)"
        )
    measure = _measure(normalized, entropy, acss)
    inputs = gather(strings, source)
    if grid is None:
        grid = not acss and looks_2d(inputs)
    options = {
        "block": block,
        "strategy": strategy,
        "shift": shift,
        "min_length": min_length,
        "missing": missing,
        "alphabet": alphabet,
        "table": table,
        "version": version,
        "data_dir": data_dir,
    }
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        values, reasons, se, share, interval, settings = _scores(inputs, options, measure, 2 if grid else 1)
    sampled = settings.pop("sampled", False)
    for warning in caught:  # imputed blocks (pybdm's rule), pybdm's block: said once, as a note
        click.echo(f"note: {warning.message}", err=True)
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "string": s,
                        measure: None if r else v,
                        "reason": r,
                        "settings": settings,
                        **({"se_bound": e, "imputed_share": f} if "bdm" in measure and measure != "acss_bdm" else {}),
                        **({"BDM_low": i[0] if i else None, "BDM_high": i[1] if i else None} if any(interval) else {}),
                    }
                    for s, v, r, e, f, i in zip(inputs, values, reasons, se, share, interval)
                ],
                indent=1,
            )
        )
    else:
        width, shown = max(map(len, inputs)), ", ".join(f"{k} {v}" for k, v in settings.items())
        click.echo(
            "\n".join(
                line(s, width, na(r) if r else f"{_value(measure, v, e, f, sampled, i)}  ({shown})")
                for s, v, r, e, f, i in zip(inputs, values, reasons, se, share, interval)
            )
        )
    finish(reasons, strict)


@click.command()
@STRINGS
@FILE
@click.option("--span", type=click.IntRange(1), default=5, show_default=True, help="Window length, e.g. 4.")
@TABLE
@VERSION
@ALPHABET
@JSON
@STRICT
@DATA_DIR
def local(strings, source, span, table, version, alphabet, as_json, strict, data_dir):
    """Local complexity (acss's local_complexity): K of every window of --span symbols.

    Each line gives the mean K over the string's windows, then each window's K in
    order. A window the table never produced (or, in a sampled table, knows only with
    a standard error above 0.5 bits) is NA, and so is the mean then. With a sampled
    table (alphabets 4, 5, 6, 9) an upper bound on the mean's standard error follows it.

    \b
    Examples:
      ctm local --span 5 XXXXXXXOOOOXXXOOOOOOO
      ctm local --span 4 --file strings.txt --json > local.json
      ctm local --alphabet 6 --span 4 1266116453
    """
    from pipeline.inputs import item
    from pipeline.measures import check_span, mean_se, windows_of
    from pipeline.query import open_or_na

    inputs = gather(strings, source)
    tab, no_table = open_or_na(table, version, alphabet, data_dir)
    span = check_span(tab, span)
    found = [windows_of(tab, item(text), span, no_table) for text in inputs]
    reasons = [None if r is None else r.detail for *_, r in found]
    sampled = tab is not None and tab.sampled
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "string": text,
                        "span": span,
                        "mean": None if r else sum(K) / len(K),
                        "windows": windows,
                        "K": [None if math.isnan(k) else k for k in K],
                        "reason": r,
                        **({"mean_se": None if r else mean_se(errors)} if sampled else {}),
                    }
                    for text, (windows, K, errors, _), r in zip(inputs, found, reasons)
                ],
                indent=1,
            )
        )
    else:
        width = max(map(len, inputs))
        click.echo(
            "\n".join(
                line(
                    text,
                    width,
                    na(r)
                    if r
                    else f"mean={sum(K) / len(K):.6f}"
                    + (f" (se <= {mean_se(errors):.6f}, an upper bound)" if sampled else "")
                    + "  K="
                    + " ".join(f"{k:.4f}" for k in K),
                )
                for text, (_, K, errors, _), r in zip(inputs, found, reasons)
            )
        )
    finish(reasons, strict)
