/* L-BFGS-B's small dense algebra on the 2m x 2m middle matrix, compiled
 * twice: by the host as C (lib/lbfgsb.c, lb_real = double, LB_SMALL
 * empty) and by the device as OpenCL C (cl/lbfgsb.cl's generalized Cauchy
 * point walk, lb_real = real, LB_SMALL = __global). Matrices are stored by
 * columns with leading dimension ld, as LINPACK's: a(i, j) is a[i + j ld],
 * 0-based. Written from Byrd, Lu, Nocedal & Zhu (1995), section 4, and
 * Byrd, Nocedal & Schnabel (1994): M = [-D  L'; L  theta S'S]^-1, applied
 * through the Cholesky factor J J' = theta S'S + L D^-1 L'.
 *
 * Whoever includes this defines lb_real and LB_SMALL first. */

/* Solves with the upper triangular t (n x n, leading dimension ld), in
 * place: trans = 0 solves t x = b, trans = 1 solves t' x = b (LINPACK's
 * dtrsl jobs 01 and 11). Returns 0, or 1 + the index of a zero diagonal
 * element (nothing solved). */
static int lb_trsv_upper(LB_SMALL const lb_real *t, const int ld, const int n, lb_real *b,
                         const int trans)
{
    for (int i = 0; i < n; i++)
        if (t[i + i * ld] == (lb_real)0)
            return i + 1;
    if (trans) {
        b[0] = b[0] / t[0];
        for (int j = 1; j < n; j++) {
            lb_real dot = 0;
            for (int k = 0; k < j; k++)
                dot += t[k + j * ld] * b[k];
            b[j] = (b[j] - dot) / t[j + j * ld];
        }
    } else {
        b[n - 1] = b[n - 1] / t[(n - 1) + (n - 1) * ld];
        for (int j = n - 2; j >= 0; j--) {
            const lb_real temp = -b[j + 1];
            for (int k = 0; k <= j; k++)
                b[k] = b[k] + temp * t[k + (j + 1) * ld];
            b[j] = b[j] / t[j + j * ld];
        }
    }
    return 0;
}

/* p = M v for the 2 col vector v: sy holds S'Y (its lower triangle and
 * diagonal: L and D), wt the upper Cholesky factor J' of
 * theta S'S + L D^-1 L', both m x m. Returns 0, or non-zero when a
 * triangular system is singular. */
static int lb_bmv(const int m, LB_SMALL const lb_real *sy, LB_SMALL const lb_real *wt,
                  const int col, const lb_real *v, lb_real *p)
{
    if (col == 0)
        return 0;
    /* [D^1/2  0; -L D^-1/2  J] [p1; p2] = [v1; v2]: J p2 = v2 + L D^-1 v1 */
    p[col] = v[col];
    for (int i = 1; i < col; i++) {
        lb_real sum = 0;
        for (int k = 0; k < i; k++)
            sum += sy[i + k * m] * v[k] / sy[k + k * m];
        p[col + i] = v[col + i] + sum;
    }
    int info = lb_trsv_upper(wt, m, col, p + col, 1);
    if (info)
        return info;
    for (int i = 0; i < col; i++)
        p[i] = v[i] / sqrt(sy[i + i * m]);
    /* [-D^1/2  D^-1/2 L'; 0  J'] [p1; p2] = [p1; p2] */
    info = lb_trsv_upper(wt, m, col, p + col, 0);
    if (info)
        return info;
    for (int i = 0; i < col; i++)
        p[i] = -p[i] / sqrt(sy[i + i * m]);
    for (int i = 0; i < col; i++) {
        lb_real sum = 0;
        for (int k = i + 1; k < col; k++)
            sum += sy[k + i * m] * p[col + k] / sy[i + i * m];
        p[i] += sum;
    }
    return 0;
}
