# Matrices as the 2-D kernel keeps them (rows joined by SEP, top row first): turned by
# one of the grid's symmetries, and ordered as Python orders their texts.
from libc.stdint cimport int64_t, uint8_t

from tmsim_ext._grid_types cimport SEP


cdef inline int64_t turn(const uint8_t* key, int64_t n, const int* mat, uint8_t* out) noexcept nogil:
    """Write into ``out`` the matrix ``key`` (rows joined by SEP) turned by the symmetry
    whose matrix is ``mat`` = (a, b, c, d).

    Row r (0 = top) and column k hold the cell (x, y) = (k, -r); the symmetry maps it to
    (ax + by, cx + dy). Returns the turned key's length (its rows may be columns now,
    so its separators are as many as its rows less one)."""
    cdef int64_t rows = 1, cols = 0, i, r, k, nrows, ncols
    cdef int a = mat[0], b = mat[1], cc = mat[2], d = mat[3]
    cdef int64_t x2, y2, xmin, ymax
    for i in range(n):
        if key[i] == SEP:
            rows += 1
    cols = (n - (rows - 1)) // rows
    # the turned rectangle: rows and columns swap when g swaps the axes
    nrows = cols if b != 0 else rows
    ncols = rows if b != 0 else cols
    # the corners give the turned bounding box: its least x' and largest y'
    xmin = 0
    ymax = 0
    for r in range(2):
        for k in range(2):
            x2 = a * k * (cols - 1) - b * r * (rows - 1)
            y2 = cc * k * (cols - 1) - d * r * (rows - 1)
            xmin = min(xmin, x2)
            ymax = max(ymax, y2)
    for r in range(rows):
        for k in range(cols):
            x2 = a * k - b * r
            y2 = cc * k - d * r
            out[(ymax - y2) * (ncols + 1) + (x2 - xmin)] = key[r * (cols + 1) + k]
    for r in range(1, nrows):
        out[r * (ncols + 1) - 1] = SEP
    return nrows * (ncols + 1) - 1


cdef inline int text_order(const uint8_t* a, int64_t na, const uint8_t* b, int64_t nb) noexcept nogil:
    """Compare two keys as Python compares their texts ('-' before the digits)."""
    cdef int64_t i
    cdef int x, y
    for i in range(min(na, nb)):
        x = 0 if a[i] == SEP else a[i] + 1
        y = 0 if b[i] == SEP else b[i] + 1
        if x != y:
            return -1 if x < y else 1
    return -1 if na < nb else (1 if na > nb else 0)
