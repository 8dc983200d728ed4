/* The command's data files (tools/data.c): .npy files written here byte by
 * byte, and by NumPy itself where it is installed; CSV text; and every kind
 * of bad file, refused with a message that names the file and the problem. */
#include "common.h"

#include "cli.h"
#include "data.h"

#include <math.h>
#include <unistd.h>

static char *dir; /* this run's temporary directory */

/* dir/name, held. */
static char *path_of(const char *name)
{
    size_t size = strlen(dir) + strlen(name) + 2;
    char *path = hold_alloc(size);
    snprintf(path, size, "%s/%s", dir, name);
    return path;
}

/* A string literal, without its NUL, to dir/name. */
#define PUT_TEXT(name, literal) put_bytes(name, literal, sizeof literal - 1)

/* Writes len bytes to dir/name; returns the path, held. */
static char *put_bytes(const char *name, const void *bytes, size_t len)
{
    char *path = path_of(name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    return path;
}

/* A .npy file as NumPy lays it out: magic, version, the header length (2
 * bytes in 1.0, 4 after), the dict padded with blanks and a '\n' to a
 * multiple of 64 bytes, then the body. *len is the whole size; held. */
static unsigned char *npy_bytes(unsigned major, const char *dict, const void *body, size_t body_len,
                                size_t *len)
{
    size_t field = major == 1 ? 2 : 4, preamble = 8 + field;
    size_t header_len = strlen(dict) + 1;
    header_len += (64 - (preamble + header_len) % 64) % 64;
    *len = preamble + header_len + body_len;
    unsigned char *b = hold_alloc(*len);
    memcpy(b, "\x93NUMPY", 6);
    b[6] = (unsigned char)major;
    b[7] = 0;
    for (size_t i = 0; i < field; i++)
        b[8 + i] = (unsigned char)(header_len >> (8 * i));
    memset(b + preamble, ' ', header_len);
    memcpy(b + preamble, dict, strlen(dict));
    b[preamble + header_len - 1] = '\n';
    if (body_len)
        memcpy(b + preamble + header_len, body, body_len);
    return b;
}

static char *put_npy(const char *name, unsigned major, const char *dict, const void *body,
                     size_t body_len)
{
    size_t len;
    unsigned char *b = npy_bytes(major, dict, body, body_len, &len);
    return put_bytes(name, b, len);
}

static void release_table(void *t)
{
    cli_table_free(t);
    free(t);
}

/* What the reader printed on stderr the last time. */
static char messages[4096];

/* cli_read_table_part (parts > 1) or cli_read_table on path with "--data",
 * its messages caught in messages[]; the table is held, *total the file's
 * rows (NULL: not asked). */
static int read_part(const char *path, size_t max_bytes, size_t part, size_t parts,
                     cli_table **table, size_t *total)
{
    *table = hold(calloc(1, sizeof **table), release_table);
    assert_non_null(*table);
    FILE *caught = tmpfile();
    assert_non_null(caught);
    fflush(stderr);
    int saved = dup(2);
    assert_true(saved >= 0);
    assert_true(dup2(fileno(caught), 2) >= 0);
    size_t rows = 0;
    int rc = parts > 1 ? cli_read_table_part("--data", path, max_bytes, part, parts, *table, &rows)
                       : cli_read_table("--data", path, max_bytes, *table);
    if (total)
        *total = rows;
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    rewind(caught);
    size_t got = fread(messages, 1, sizeof messages - 1, caught);
    messages[got] = '\0';
    fclose(caught);
    if (*messages)
        print_message("%s", messages); /* so a failing run shows what was said */
    return rc;
}

static int read_table(const char *path, size_t max_bytes, cli_table **table)
{
    return read_part(path, max_bytes, 0, 1, table, NULL);
}

/* The file is refused as bad input, with a message that names the option,
 * the file and `problem`, and nothing is left in the table. */
static void assert_refused(const char *path, size_t max_bytes, const char *problem)
{
    cli_table *t;
    int rc = read_table(path, max_bytes, &t);
    assert_int_equal(rc, EXIT_USAGE);
    assert_null(t->values);
    assert_int_equal(t->rows, 0);
    assert_int_equal(t->cols, 0);
    char quoted[4200];
    snprintf(quoted, sizeof quoted, "'%s'", path);
    if (strncmp(messages, "clbfgs: --data: ", 16) != 0 || !strstr(messages, quoted))
        fail_msg("the message does not name --data and %s: %s", quoted, messages);
    if (!strstr(messages, problem))
        fail_msg("the message does not say '%s': %s", problem, messages);
}

/* ---- .npy files that are read ---- */

static void a_version_1_float64_matrix_is_read_row_major(void **state)
{
    (void)state;
    const double body[] = {1, 2.5, -3, 1e-300, (double)NAN, -(double)INFINITY};
    const char *path =
        put_npy("m.npy", 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", body,
                sizeof body);
    cli_table *t;
    assert_int_equal(read_table(path, CLI_MAX_DATA_BYTES, &t), EXIT_OK);
    assert_string_equal(messages, "");
    assert_int_equal(t->rows, 2);
    assert_int_equal(t->cols, 3);
    for (size_t i = 0; i < 4; i++)
        assert_memory_equal(&t->values[i], &body[i], sizeof(double));
    assert_true(isnan(t->values[4])); /* passed through: the objective says what it means */
    assert_true(isinf(t->values[5]) && t->values[5] < 0);
}

static void a_version_2_float32_vector_is_widened_to_double(void **state)
{
    (void)state;
    float body[1000];
    for (size_t i = 0; i < 1000; i++)
        body[i] = (float)i / 7.0f - 50.0f;
    const char *path =
        put_npy("v.npy", 2, "{'descr': '<f4', 'fortran_order': False, 'shape': (1000,), }", body,
                sizeof body);
    cli_table *t;
    assert_int_equal(read_table(path, CLI_MAX_DATA_BYTES, &t), EXIT_OK);
    assert_int_equal(t->rows, 1000);
    assert_int_equal(t->cols, 1);
    for (size_t i = 0; i < 1000; i++)
        if (t->values[i] != (double)body[i])
            fail_msg("value %zu: %.17g, not %.17g", i, t->values[i], (double)body[i]);
}

/* ---- parts of a file, as MPI ranks read them ---- */

static void parts_of_an_npy_matrix_are_its_rows_split_evenly(void **state)
{
    (void)state;
    double body[14];
    for (size_t i = 0; i < 14; i++)
        body[i] = 0.5 * (double)i - 3;
    const char *path = put_npy(
        "p.npy", 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (7, 2), }", body, sizeof body);
    const size_t want[3] = {3, 2, 2}; /* 7 rows in 3 parts: the first one longer */
    size_t row = 0;
    for (size_t part = 0; part < 3; part++) {
        cli_table *t;
        size_t total;
        assert_int_equal(read_part(path, CLI_MAX_DATA_BYTES, part, 3, &t, &total), EXIT_OK);
        assert_int_equal(total, 7);
        assert_int_equal(t->rows, want[part]);
        assert_int_equal(t->cols, 2);
        assert_memory_equal(t->values, body + 2 * row, t->rows * 2 * sizeof(double));
        row += t->rows;
    }
    assert_int_equal(row, 7);
}

static void a_part_of_a_float32_vector_is_widened_and_more_parts_than_rows_leave_some_empty(
    void **state)
{
    (void)state;
    const float body[5] = {1.5f, -2.25f, 1e-30f, 7.0f, 3.0e30f};
    const char *path = put_npy(
        "pf.npy", 2, "{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }", body, sizeof body);
    cli_table *t;
    size_t total;
    assert_int_equal(read_part(path, CLI_MAX_DATA_BYTES, 1, 2, &t, &total), EXIT_OK);
    assert_int_equal(total, 5);
    assert_int_equal(t->rows, 2); /* rows 3 and 4 */
    assert_true(t->values[0] == (double)body[3] && t->values[1] == (double)body[4]);
    /* 5 rows, 7 parts: parts 5 and 6 hold none */
    assert_int_equal(read_part(path, CLI_MAX_DATA_BYTES, 6, 7, &t, &total), EXIT_OK);
    assert_int_equal(t->rows, 0);
    assert_null(t->values);
    assert_int_equal(total, 5);
    assert_int_equal(read_part(path, CLI_MAX_DATA_BYTES, 4, 7, &t, &total), EXIT_OK);
    assert_int_equal(t->rows, 1);
    assert_true(t->values[0] == (double)body[4]);
}

static void a_part_read_checks_the_whole_files_length_and_the_part(void **state)
{
    (void)state;
    const double body[5] = {1, 2, 3, 4, 5};
    const char *dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }";
    cli_table *t;
    for (size_t len = 24; len <= 40; len += 16) { /* short, then long */
        size_t mark = held_mark();
        assert_int_equal(read_part(put_npy("pl.npy", 1, dict, body, len), CLI_MAX_DATA_BYTES, 0,
                                   2, &t, NULL),
                         EXIT_USAGE);
        assert_null(t->values);
        assert_non_null(strstr(messages, "the header says 4 x 1 values (32 bytes) but the file"));
        release_held_since(mark);
    }
    const char *path = put_npy("pk.npy", 1, dict, body, 32);
    assert_int_equal(read_part(path, CLI_MAX_DATA_BYTES, 2, 2, &t, NULL), EXIT_USAGE);
    assert_non_null(strstr(messages, "part 2 of 2 does not exist"));
    /* the cap is the part's (and the header's), not the file's: the 128
     * bytes of preamble and header and 2 rows of 8 fit in 144, the whole
     * file (160 bytes) does not */
    assert_int_equal(read_part(path, 144, 1, 2, &t, NULL), EXIT_OK);
    assert_int_equal(t->rows, 2);
    assert_true(t->values[0] == 3 && t->values[1] == 4);
    assert_int_equal(read_table(path, 144, &t), EXIT_USAGE);
    const double more[40] = {0};
    path = put_npy("pc.npy", 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (40,), }",
                   more, sizeof more);
    assert_int_equal(read_part(path, 150, 0, 2, &t, NULL), EXIT_USAGE); /* 160 bytes a part */
    assert_non_null(strstr(messages, "more than the 150 bytes"));
}

static void a_part_of_csv_is_cut_from_the_whole(void **state)
{
    (void)state;
    const char *path = PUT_TEXT("p.csv", "1,2\n3,4\n# a comment\n5,6\n7,8\n9,10\n");
    cli_table *t;
    size_t total;
    assert_int_equal(read_part(path, CLI_MAX_DATA_BYTES, 1, 2, &t, &total), EXIT_OK);
    assert_int_equal(total, 5);
    assert_int_equal(t->rows, 2);
    assert_int_equal(t->cols, 2);
    const double want[4] = {7, 8, 9, 10};
    assert_memory_equal(t->values, want, sizeof want);
}

static void a_header_is_read_in_any_key_order_and_spacing(void **state)
{
    (void)state;
    const double body[] = {4, 5, 6};
    const char *dicts[] = {
        "{\"shape\":(3,),\"fortran_order\":False,\"descr\":\"<f8\"}",
        "{ 'fortran_order' : False , 'shape' : ( 3 , ) , 'descr' : '=f8' , }",
        "{'shape': (3), 'descr': '<f8', 'fortran_order': False}",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 3), }",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (3L,), }", /* Python 2's NumPy */
    };
    for (unsigned v = 1; v <= 3; v++) {
        for (size_t i = 0; i < sizeof dicts / sizeof dicts[0]; i++) {
            size_t mark = held_mark();
            const char *path = put_npy("k.npy", v, dicts[i], body, sizeof body);
            cli_table *t;
            if (read_table(path, CLI_MAX_DATA_BYTES, &t) != EXIT_OK)
                fail_msg("version %u, %s: %s", v, dicts[i], messages);
            assert_int_equal(t->rows * t->cols, 3);
            assert_true(t->values[0] == 4 && t->values[2] == 6);
            release_held_since(mark);
        }
    }
}

static void an_upper_case_extension_is_still_npy(void **state)
{
    (void)state;
    const double body[] = {7};
    const char *path = put_npy(
        "U.NPY", 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", body, sizeof body);
    cli_table *t;
    assert_int_equal(read_table(path, CLI_MAX_DATA_BYTES, &t), EXIT_OK);
    assert_true(t->rows == 1 && t->values[0] == 7);
}

/* ---- .npy files that are refused ---- */

static const char f8_2x2[] = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }";

static void dtypes_other_than_little_endian_float64_and_float32_are_refused(void **state)
{
    (void)state;
    const double body[4] = {0};
    struct {
        const char *dict, *problem;
    } cases[] = {
        {"{'descr': '<i8', 'fortran_order': False, 'shape': (2, 2), }",
         "dtype '<i8' (integers) is not supported: save float64 or float32"},
        {"{'descr': '>f8', 'fortran_order': False, 'shape': (2, 2), }",
         "dtype '>f8' is big-endian"},
        {"{'descr': '>f4', 'fortran_order': False, 'shape': (2, 4), }",
         "dtype '>f4' is big-endian"},
        {"{'descr': '|O', 'fortran_order': False, 'shape': (4,), }", "'|O' (Python objects)"},
        {"{'descr': '<f2', 'fortran_order': False, 'shape': (16,), }",
         "'<f2' (floats of another size)"},
        {"{'descr': '<c16', 'fortran_order': False, 'shape': (2,), }", "'<c16' (complex numbers)"},
        {"{'descr': [('x', '<f8'), ('y', '<f8')], 'fortran_order': False, 'shape': (2,), }",
         "a structured dtype (a list of fields) is not supported"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t mark = held_mark();
        assert_refused(put_npy("d.npy", 1, cases[i].dict, body, sizeof body), CLI_MAX_DATA_BYTES,
                       cases[i].problem);
        release_held_since(mark);
    }
}

static void fortran_order_is_refused(void **state)
{
    (void)state;
    const double body[4] = {0};
    assert_refused(put_npy("f.npy", 1, "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 2), }",
                           body, sizeof body),
                   CLI_MAX_DATA_BYTES, "the array is in Fortran order: save it in C order");
}

static void shapes_of_0_or_more_than_2_dimensions_and_empty_arrays_are_refused(void **state)
{
    (void)state;
    const double body[8] = {0};
    struct {
        const char *dict;
        size_t body_len;
        const char *problem;
    } cases[] = {
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (), }", 8, "the array is 0-d"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2, 2), }", 64,
         "shape (2, 2, 2) has 3 dimensions: only 1 (items) or 2 (items x values)"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (0,), }", 0,
         "the array is empty (shape (0,))"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (4, 0), }", 0,
         "the array is empty (shape (4, 0))"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t mark = held_mark();
        assert_refused(put_npy("s.npy", 1, cases[i].dict, body, cases[i].body_len),
                       CLI_MAX_DATA_BYTES, cases[i].problem);
        release_held_since(mark);
    }
}

static void a_truncated_body_is_refused_with_both_sizes(void **state)
{
    (void)state;
    const double body[4] = {1, 2, 3, 4};
    assert_refused(put_npy("t.npy", 1, f8_2x2, body, 20), CLI_MAX_DATA_BYTES,
                   "the header says 2 x 2 float64 values (32 bytes) but the file has 20 bytes "
                   "after it");
    assert_refused(put_npy("t0.npy", 2, f8_2x2, body, 0), CLI_MAX_DATA_BYTES,
                   "(32 bytes) but the file has 0 bytes after it");
}

static void bytes_after_the_body_are_refused(void **state)
{
    (void)state;
    const double body[5] = {1, 2, 3, 4, 5};
    assert_refused(put_npy("x.npy", 1, f8_2x2, body, sizeof body), CLI_MAX_DATA_BYTES,
                   "the header says 2 x 2 float64 values (32 bytes) but the file has 40 bytes "
                   "after it");
    assert_refused(
        put_npy("x1.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (7,), }", body, 29),
        CLI_MAX_DATA_BYTES,
        "the header says 7 float32 values (28 bytes) but the file has 29 bytes after "
        "it");
}

static void a_file_past_the_cap_is_refused_before_it_is_read(void **state)
{
    (void)state;
    const double body[4] = {1, 2, 3, 4};
    size_t len;
    npy_bytes(1, f8_2x2, body, sizeof body, &len);
    const char *path = put_npy("c.npy", 1, f8_2x2, body, sizeof body);
    cli_table *t;
    assert_int_equal(read_table(path, len, &t), EXIT_OK); /* exactly the cap */
    assert_refused(path, len - 1, "is larger than");
    /* A shape that multiplies past 64 bits is not allocated either. */
    assert_refused(put_npy("o.npy", 1,
                           "{'descr': '<f8', 'fortran_order': False, "
                           "'shape': (4294967296, 4294967296), }",
                           body, sizeof body),
                   CLI_MAX_DATA_BYTES, "shape (4294967296, 4294967296) of float64 is larger than");
    assert_refused(put_npy("o2.npy", 1,
                           "{'descr': '<f8', 'fortran_order': False, "
                           "'shape': (99999999999999999999,), }",
                           body, sizeof body),
                   CLI_MAX_DATA_BYTES, "a dimension too large for 64 bits");
    /* and bytes after the body that run on past the cap are not read to their end */
    const double longer[5] = {1, 2, 3, 4, 5};
    assert_refused(put_npy("r.npy", 1, f8_2x2, longer, sizeof longer), len + 3,
                   "the file goes on past");
    assert_refused(PUT_TEXT("z.npy", "\x93NUMPY\x01\x00\x60\x00"), 100, "is larger than 100 bytes");
}

static void a_bad_preamble_is_refused(void **state)
{
    (void)state;
    size_t len;
    const double body[4] = {0};
    unsigned char *b = npy_bytes(1, f8_2x2, body, sizeof body, &len);
    assert_refused(PUT_TEXT("e.npy", ""), CLI_MAX_DATA_BYTES, "the file is empty");
    assert_refused(put_bytes("short.npy", b, 5), CLI_MAX_DATA_BYTES,
                   "it is 5 bytes long, too short for a .npy file");
    b[0] = 'X';
    assert_refused(put_bytes("m.npy", b, len), CLI_MAX_DATA_BYTES, "it is not a .npy file");
    b[0] = 0x93;
    b[6] = 4;
    assert_refused(put_bytes("v4.npy", b, len), CLI_MAX_DATA_BYTES,
                   ".npy format version 4.0 is not one this reader knows");
    b[6] = 1;
    b[7] = 1;
    assert_refused(put_bytes("v11.npy", b, len), CLI_MAX_DATA_BYTES, "version 1.1");
    b[7] = 0;
    assert_refused(put_bytes("p.npy", b, 9), CLI_MAX_DATA_BYTES,
                   "the file ends inside its 10-byte preamble");
    /* a header length that runs past the end of the file */
    b[8] = 0x00;
    b[9] = 0x10;
    assert_refused(put_bytes("h.npy", b, len), CLI_MAX_DATA_BYTES,
                   "its header is 4096 bytes long but the file ends 150 bytes into it");
    assert_int_equal(len, 160); /* so 150 after the 10-byte preamble */
    b[8] = b[9] = 0xff;
    b[6] = 2;
    memset(b + 10, 0xff, 2);
    assert_refused(put_bytes("h2.npy", b, len), CLI_MAX_DATA_BYTES,
                   "its header length is 4294967295 bytes");
}

static void a_header_that_is_not_numpys_dict_is_refused(void **state)
{
    (void)state;
    const double body[4] = {0};
    struct {
        const char *dict, *problem;
    } cases[] = {
        {"'descr': '<f8'", "'{' expected"},
        {"{'descr': '<f8', 'fortran_order': False}", "its header has no 'shape'"},
        {"{'descr': '<f8', 'shape': (4,)}", "its header has no 'fortran_order'"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (4,), 'descr': '<f8'}",
         "the key 'descr' twice"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (4,), 'extra': 1}",
         "its header has the key 'extra'"},
        {"{'descr': '<f8', 'fortran_order': false, 'shape': (4,)}", "True or False expected"},
        {"{'descr': '<f8' 'fortran_order': False, 'shape': (4,)}", "',' or '}' expected"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': [4]}", "a tuple expected"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (4,,)}", "a whole number expected"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (-4,)}", "a whole number expected"},
        {"{'descr' '<f8', 'fortran_order': False, 'shape': (4,)}", "':' expected"},
        {"{'descr': '<f8, 'fortran_order': False, 'shape': (4,)}", "',' or '}' expected"},
        {"{descr: '<f8', 'fortran_order': False, 'shape': (4,)}", "a quoted string expected"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (4,)} x", "text after the dictionary"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (4,)", "',' or '}' expected"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t mark = held_mark();
        assert_refused(put_npy("h.npy", 1, cases[i].dict, body, sizeof body), CLI_MAX_DATA_BYTES,
                       cases[i].problem);
        release_held_since(mark);
    }
}

static void a_missing_file_or_an_npz_archive_is_refused(void **state)
{
    (void)state;
    assert_refused(path_of("absent.npy"), CLI_MAX_DATA_BYTES, "cannot open");
    assert_refused(path_of("absent.csv"), CLI_MAX_DATA_BYTES, "cannot open");
    assert_refused(PUT_TEXT("a.npz", "PK\x03\x04"), CLI_MAX_DATA_BYTES,
                   "an .npz archive is not supported");
}

/* ---- text ---- */

static void csv_takes_commas_blanks_comments_and_blank_lines(void **state)
{
    (void)state;
    const char *path = PUT_TEXT("a.csv", "# x, y, z\n"
                                         "1, 2, 3\n"
                                         "\n"
                                         "4 5\t6\r\n"
                                         "   # indented comment\n"
                                         "  7,8 ,  -9e-3\n"
                                         "nan,inf,-inf"); /* no '\n' at the end */
    cli_table *t;
    assert_int_equal(read_table(path, CLI_MAX_DATA_BYTES, &t), EXIT_OK);
    assert_int_equal(t->rows, 4);
    assert_int_equal(t->cols, 3);
    const double want[] = {1, 2, 3, 4, 5, 6, 7, 8, -9e-3};
    for (size_t i = 0; i < 9; i++)
        assert_true(t->values[i] == want[i]);
    assert_true(isnan(t->values[9]) && isinf(t->values[10]) && t->values[11] < 0);
}

static void one_number_a_line_is_one_column(void **state)
{
    (void)state;
    const char *path = PUT_TEXT("c.txt", "0.5\n1.5\n2.5\n");
    cli_table *t;
    assert_int_equal(read_table(path, CLI_MAX_DATA_BYTES, &t), EXIT_OK);
    assert_true(t->rows == 3 && t->cols == 1 && t->values[2] == 2.5);
}

static void ragged_rows_name_both_lines(void **state)
{
    (void)state;
    assert_refused(PUT_TEXT("r.csv", "# c\n1 2 3\n\n4 5\n"), CLI_MAX_DATA_BYTES,
                   "line 4 has 2 fields, line 2 had 3");
    assert_refused(PUT_TEXT("r2.csv", "1\n2,3\n"), CLI_MAX_DATA_BYTES,
                   "line 2 has 2 fields, line 1 had 1");
}

static void a_field_that_is_not_a_number_is_named(void **state)
{
    (void)state;
    assert_refused(PUT_TEXT("n.csv", "1,2\n3,abc\n"), CLI_MAX_DATA_BYTES,
                   "line 2, field 2, 'abc', is not a number");
    assert_refused(PUT_TEXT("h.csv", "x,y\n1,2\n"), CLI_MAX_DATA_BYTES,
                   "line 1, field 1, 'x', is not a number (a heading must be a '#' line)");
    assert_refused(PUT_TEXT("o.csv", "1e999\n"), CLI_MAX_DATA_BYTES,
                   "'1e999', is out of the range of a double");
    assert_refused(PUT_TEXT("e.csv", "1,,2\n"), CLI_MAX_DATA_BYTES, "line 1, field 2 is empty");
    assert_refused(PUT_TEXT("t.csv", "1,2,\n"), CLI_MAX_DATA_BYTES, "line 1, field 3 is empty");
    assert_refused(PUT_TEXT("s.csv", "1;2\n"), CLI_MAX_DATA_BYTES, "'1;2', is not a number");
}

static void a_text_file_without_numbers_is_refused(void **state)
{
    (void)state;
    assert_refused(PUT_TEXT("e.csv", ""), CLI_MAX_DATA_BYTES, "the file is empty");
    assert_refused(PUT_TEXT("c.csv", "# only\n\n  \n"), CLI_MAX_DATA_BYTES,
                   "it holds no numbers, only blank and '#' lines");
}

static void a_text_file_past_the_cap_is_refused(void **state)
{
    (void)state;
    const char *path = PUT_TEXT("long.txt", "1\n2\n3\n4\n5\n");
    cli_table *t;
    assert_int_equal(read_table(path, 10, &t), EXIT_OK); /* exactly the cap */
    assert_int_equal(t->rows, 5);
    assert_refused(path, 9, "is larger than 9 bytes");
}

/* ---- NumPy's own files ---- */

static void files_written_by_numpy_read_back_the_same_values(void **state)
{
    (void)state;
    const char *py = getenv("PYTHON");
    if (!py || !*py)
        py = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
    char *command = hold_alloc(8192);
    snprintf(command, 8192, "'%s' -c 'import numpy' 2> /dev/null", py);
    if (system(command) != 0) {
        print_message("NumPy not found: skipped\n");
        skip();
    }
    snprintf(command, 8192,
             "'%s' -c '\n"
             "import sys, numpy as np\n"
             "from numpy.lib import format\n"
             "d = sys.argv[1]\n"
             "a = np.arange(12).reshape(4, 3) / 7\n"
             "np.save(d + \"/a.npy\", a)\n"
             "np.save(d + \"/b.npy\", (np.arange(12) / 7).astype(np.float32))\n"
             "with open(d + \"/c.npy\", \"wb\") as f: format.write_array(f, a, version=(2, 0))\n"
             "np.save(d + \"/f.npy\", np.asfortranarray(a))\n"
             "np.save(d + \"/i.npy\", np.arange(5))\n"
             "np.save(d + \"/big.npy\", a.astype(\">f8\"))\n"
             "np.save(d + \"/s.npy\", a[:, :2].copy().view([(\"x\", \"<f8\"), (\"y\", \"<f8\")]))\n"
             "' '%s'",
             py, dir);
    assert_int_equal(system(command), 0);
    const char *names[] = {"a.npy", "b.npy", "c.npy"};
    for (size_t k = 0; k < 3; k++) {
        cli_table *t;
        if (read_table(path_of(names[k]), CLI_MAX_DATA_BYTES, &t) != EXIT_OK)
            fail_msg("%s: %s", names[k], messages);
        assert_int_equal(t->rows * t->cols, 12);
        assert_int_equal(t->cols, k == 1 ? 1 : 3);
        for (int i = 0; i < 12; i++) {
            double want = k == 1 ? (double)(float)(i / 7.0) : i / 7.0;
            if (t->values[i] != want)
                fail_msg("%s, value %d: %.17g, not %.17g", names[k], i, t->values[i], want);
        }
    }
    assert_refused(path_of("f.npy"), CLI_MAX_DATA_BYTES, "Fortran order");
    assert_refused(path_of("i.npy"), CLI_MAX_DATA_BYTES, "dtype '<i8' (integers)");
    assert_refused(path_of("big.npy"), CLI_MAX_DATA_BYTES, "dtype '>f8' is big-endian");
    assert_refused(path_of("s.npy"), CLI_MAX_DATA_BYTES, "a structured dtype");
}

static int make_dir(void **state)
{
    (void)state;
    dir = make_temp_dir();
    return 0;
}

static int remove_dir(void **state)
{
    (void)state;
    remove_temp_dir(dir);
    free(dir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        held_test(a_version_1_float64_matrix_is_read_row_major),
        held_test(a_version_2_float32_vector_is_widened_to_double),
        held_test(a_header_is_read_in_any_key_order_and_spacing),
        held_test(an_upper_case_extension_is_still_npy),
        held_test(dtypes_other_than_little_endian_float64_and_float32_are_refused),
        held_test(fortran_order_is_refused),
        held_test(shapes_of_0_or_more_than_2_dimensions_and_empty_arrays_are_refused),
        held_test(a_truncated_body_is_refused_with_both_sizes),
        held_test(parts_of_an_npy_matrix_are_its_rows_split_evenly),
        held_test(a_part_of_a_float32_vector_is_widened_and_more_parts_than_rows_leave_some_empty),
        held_test(a_part_read_checks_the_whole_files_length_and_the_part),
        held_test(a_part_of_csv_is_cut_from_the_whole),
        held_test(bytes_after_the_body_are_refused),
        held_test(a_file_past_the_cap_is_refused_before_it_is_read),
        held_test(a_bad_preamble_is_refused),
        held_test(a_header_that_is_not_numpys_dict_is_refused),
        held_test(a_missing_file_or_an_npz_archive_is_refused),
        held_test(csv_takes_commas_blanks_comments_and_blank_lines),
        held_test(one_number_a_line_is_one_column),
        held_test(ragged_rows_name_both_lines),
        held_test(a_field_that_is_not_a_number_is_named),
        held_test(a_text_file_without_numbers_is_refused),
        held_test(a_text_file_past_the_cap_is_refused),
        held_test(files_written_by_numpy_read_back_the_same_values),
    };
    return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
