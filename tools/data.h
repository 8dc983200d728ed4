/* Data files for the command: a table of numbers read from a NumPy .npy file
 * or from CSV text: the data of `clbfgs minimize --terms ... --data FILE`. */
#ifndef CLBFGS_TOOLS_DATA_H
#define CLBFGS_TOOLS_DATA_H

#include <stddef.h>
#include <stdint.h>

/* The most a data file is read: observation records are large (10^8 float64
 * items are 800 MB), far beyond CLI_MAX_FILE_BYTES, yet /dev/zero or a wrong
 * file must not make the command read forever. Where size_t has 32 bits a
 * table of that size could not be addressed, so the cap is 1 GiB there. */
#if SIZE_MAX > 0xffffffffu
#define CLI_MAX_DATA_BYTES ((size_t)4 << 30)
#else
#define CLI_MAX_DATA_BYTES ((size_t)1 << 30)
#endif

/* A table of numbers: rows x cols doubles, row-major; a 1-D .npy array is
 * rows x 1. Never empty once read (rows and cols are both at least 1). */
typedef struct cli_table {
    double *values;
    size_t rows, cols;
} cli_table;

/* Reads the file at path into *out, reading at most max_bytes of it
 * (CLI_MAX_DATA_BYTES for the command; the tests pass less).
 *
 * A file whose name ends in .npy (in any case) is read as .npy: format 1.0,
 * 2.0 or 3.0; dtype '<f8' or '<f4' (float32 converted to double; '=' is
 * taken as this machine's order, as NumPy reads it);
 * 'fortran_order': False; a shape of 1 or 2 dimensions; a body exactly as
 * long as the shape says. Anything else is read as text: one row per line,
 * numbers separated by a comma (with optional blanks around it) or by blanks
 * alone, blank lines and lines starting with '#' skipped, every row as many
 * numbers as the first, each number read whole (cli_strict_double). NaN and
 * inf are passed through: what they mean is the objective's to say.
 *
 * Returns EXIT_OK; or, after a message that names the option, the file and
 * the problem ("--data: 'x.npy': dtype '<i8' (integers) is not supported:
 * save float64 or float32", as cli_read_file names a file; an .npz archive
 * is refused by its name), EXIT_USAGE for bad input and EXIT_HOST when memory
 * ran out. *out is zeroed on failure. */
int cli_read_table(const char *option, const char *path, size_t max_bytes, cli_table *out);

/* Part `part` (from 0) of `parts` of the table, for a run over MPI ranks:
 * rows [lo, hi) split as evenly as can be (the first rows % parts parts one
 * row longer), and in *total the file's rows. A .npy file is checked whole
 * (its header, and its length against the shape) and only the part's bytes
 * are read; text is read whole and cut. A part may hold no rows (rows 0,
 * values NULL) where parts > rows; max_bytes caps the part, not the file.
 * parts = 1 is cli_read_table. */
int cli_read_table_part(const char *option, const char *path, size_t max_bytes, size_t part,
                        size_t parts, cli_table *out, size_t *total);

/* Frees the values and zeroes the table; a zeroed table is fine. */
void cli_table_free(cli_table *t);

#endif /* CLBFGS_TOOLS_DATA_H */
