/* zhitong — a table for a terminal: cells are collected, then printed with
 * each column as wide as its widest cell in display columns (libunistring:
 * CJK characters take two, so Chinese and Latin text line up), numbers
 * right-aligned. Private to render/. */
#ifndef ZT_RENDER_TEXT_TABLE_H
#define ZT_RENDER_TEXT_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define ZT_TABLE_COLS_MAX 12

struct zt_table {
	size_t cols, rows, cap;
	bool right[ZT_TABLE_COLS_MAX];
	char **cell; /* rows × cols, each owned */
	bool failed; /* out of memory: printing shows what was kept */
};

/* `right` marks the columns aligned right (amounts, counts); cols ≤
 * ZT_TABLE_COLS_MAX. */
void zt_table_init(struct zt_table *t, size_t cols, const bool right[]);
/* A row of t->cols cells (NULL is empty); the first row is the header. */
void zt_table_row(struct zt_table *t, const char *const cells[]);
/* Prints every row, two spaces between columns, `indent` spaces first;
 * trailing spaces are not written. */
void zt_table_print(const struct zt_table *t, FILE *f, int indent);
void zt_table_free(struct zt_table *t);

/* One cell of a streamed table (rows too many to collect): `s` padded
 * with spaces to `cols` display columns, on the left when `right`; text
 * wider than `cols` is written whole. */
void zt_table_cell(FILE *f, const char *s, int cols, bool right);

#endif
