"""``ctm serve``: a local web calculator and JSON API over this project's tables.

The calculator does what the Online Algorithmic Complexity Calculator (OACC) does, with
this project's tables: K and D of strings and matrices (with standard errors where a
table is sampled), BDM, normalised BDM and block entropy, local complexity and acss's
likelihoods, from pasted strings or an uploaded CSV, TSV or text file. Modules:

- ``limits``: what one request may hold, and the errors (413, 422) past it;
- ``results``: the public functions' answers as JSON-ready records, read by position;
- ``upload``: an uploaded file as columns of text;
- ``export``: results as CSV (and XLSX) that a spreadsheet keeps as text;
- ``app``: the FastAPI routes, the Host check, the page (``static/``: no asset from
  the internet).
"""
