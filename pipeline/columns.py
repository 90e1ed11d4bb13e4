"""A table's columns, batch by batch, from its (string, count) rows in table order.

An exact table lists string, length, count, D = count/total and K = -log2 D (docs/ctm.md),
sorted by count descending then string; a 2-D table adds rows, cols and cells, an exact
reading (``exact_upto``) K_low and K_high. D and K are those of exact Python ints,
``c / total`` and ``log2(total) - log2(c)``, computed once per distinct count of a batch,
so a table made batch by batch has the very floats of one made whole.
"""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def table_schema(dims: int, counts_as: pa.DataType, bracket: bool = False) -> pa.Schema:
    """The columns of an exact table: string, (2-D: rows, cols, cells,) length, count,
    D, K (``bracket``: K_low, K_high), with ``counts_as`` the count's type (``tables.count_type``)."""
    fields = [pa.field("string", pa.string())]
    if dims == 2:
        fields += [pa.field("rows", pa.int32()), pa.field("cols", pa.int32()), pa.field("cells", pa.string())]
    fields += [pa.field("length", pa.int32()), pa.field("count", counts_as)]
    fields += [pa.field(name, pa.float64()) for name in ("D", "K", *(("K_low", "K_high") if bracket else ()))]
    return pa.schema(fields)


class TableColumns:
    """Turns batches of (string, count) rows into batches of the table's schema.

    Parameters
    ----------
    total : int
        D's denominator: m*H for a full table, H for a partial one (H_low for an exact reading).
    dims : int
        1 (strings) or 2 (matrices as rows joined by '-').
    counts_as : pyarrow.DataType
        int64 or decimal128(38, 0).
    high : int, optional
        An exact reading's upper denominator (m*H_high): adds K_low (= K) and K_high.

    Raises
    ------
    ZeroDivisionError
        A total of 0 with rows to list (as the plain quotient would).
    """

    def __init__(self, total: int, dims: int, counts_as: pa.DataType, high: int | None = None) -> None:
        self.total, self.dims, self.high = total, dims, high
        self.schema = table_schema(dims, counts_as, high is not None)
        self._log_total = math.log2(total) if total > 0 else None
        self._log_high = math.log2(high) if high else None

    def _floats(self, counts: list[int]) -> list[list[float]]:
        """D, K (and K_high) of each count, as Python computes them on exact ints."""
        out = [[c / self.total for c in counts], [self._log_total - math.log2(c) for c in counts]]
        if self.high is not None:
            out.append([self._log_high - math.log2(c) for c in counts])
        return out

    def batch(self, rows: pa.RecordBatch) -> pa.RecordBatch:
        """The table's columns of ``rows`` (columns string and count, already in table order)."""
        strings = rows.column(0).cast(pa.string())
        counts = rows.column(1).cast(self.schema.field("count").type)
        if pa.types.is_integer(counts.type):
            distinct, where = np.unique(counts.to_numpy(zero_copy_only=False), return_inverse=True)
            floats = [np.asarray(f, dtype=np.float64)[where] for f in self._floats(distinct.tolist())]
        else:
            values = [int(c) for c in counts.to_pylist()]
            distinct = sorted(set(values))
            index = {c: i for i, c in enumerate(distinct)}
            where = np.fromiter((index[c] for c in values), dtype=np.int64, count=len(values))
            floats = [np.asarray(f, dtype=np.float64)[where] for f in self._floats(distinct)]
        columns = [strings]
        if self.dims == 2:
            cells = pc.replace_substring(strings, "-", "")
            dash = pc.find_substring(strings, "-")
            columns += [
                pc.add(pc.count_substring(strings, "-"), 1).cast(pa.int32()),
                pc.if_else(pc.less(dash, 0), pc.utf8_length(strings), dash).cast(pa.int32()),
                cells,
            ]
            columns.append(pc.utf8_length(cells).cast(pa.int32()))
        else:
            columns.append(pc.utf8_length(strings).cast(pa.int32()))
        columns.append(counts)
        if self.high is not None:
            floats.insert(2, floats[1])  # K_low is K
        columns += [pa.array(f, pa.float64()) for f in floats]
        return pa.RecordBatch.from_arrays(columns, schema=self.schema)
