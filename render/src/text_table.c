/* zhitong — a table for a terminal (see text_table.h). */
#include "text_table.h"

#include <stdlib.h>
#include <string.h>
#include <unistr.h>
#include <uniwidth.h>

#include "zhitong/alloc.h"

/* The display width of a UTF-8 cell; text that is not UTF-8 (never from the
 * store, which checks it) counts a column a byte. */
static int width(const char *s)
{
	size_t n = strlen(s);
	if (u8_check((const uint8_t *)s, n) != NULL)
		return (int)n;
	return u8_width((const uint8_t *)s, n, "UTF-8");
}

void zt_table_init(struct zt_table *t, size_t cols, const bool right[])
{
	memset(t, 0, sizeof *t);
	t->cols = cols > ZT_TABLE_COLS_MAX ? ZT_TABLE_COLS_MAX : cols;
	for (size_t i = 0; i < t->cols; i++)
		t->right[i] = right && right[i];
}

void zt_table_row(struct zt_table *t, const char *const cells[])
{
	if (t->failed)
		return;
	if (t->rows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		char **c = zt_realloc(t->cell, cap * t->cols * sizeof *c);
		if (!c) {
			t->failed = true;
			return;
		}
		t->cell = c;
		t->cap = cap;
	}
	char **row = t->cell + t->rows * t->cols;
	for (size_t i = 0; i < t->cols; i++) {
		row[i] = zt_strdup(cells[i] ? cells[i] : "");
		if (!row[i]) {
			for (size_t k = 0; k < i; k++)
				free(row[k]);
			t->failed = true;
			return;
		}
	}
	t->rows++;
}

void zt_table_print(const struct zt_table *t, FILE *f, int indent)
{
	int w[ZT_TABLE_COLS_MAX] = {0};
	for (size_t r = 0; r < t->rows; r++)
		for (size_t i = 0; i < t->cols; i++) {
			int c = width(t->cell[r * t->cols + i]);
			if (c > w[i])
				w[i] = c;
		}
	/* the last column that is not empty in a row ends the row: no
	 * trailing spaces */
	for (size_t r = 0; r < t->rows; r++) {
		char *const *row = t->cell + r * t->cols;
		size_t last = t->cols;
		while (last > 0 && !row[last - 1][0] && !t->right[last - 1])
			last--;
		fprintf(f, "%*s", indent, "");
		for (size_t i = 0; i < last; i++) {
			int pad = w[i] - width(row[i]);
			bool end = i + 1 == last;
			if (i)
				fputs("  ", f);
			if (t->right[i])
				fprintf(f, "%*s%s", pad, "", row[i]);
			else
				fprintf(f, "%s%*s", row[i], end ? 0 : pad, "");
		}
		fputc('\n', f);
	}
}

void zt_table_free(struct zt_table *t)
{
	for (size_t i = 0; i < t->rows * t->cols; i++)
		free(t->cell[i]);
	free(t->cell);
	memset(t, 0, sizeof *t);
}

void zt_table_cell(FILE *f, const char *s, int cols, bool right)
{
	int pad = cols - width(s);
	if (right)
		for (; pad > 0; pad--)
			fputc(' ', f);
	fputs(s, f);
	if (!right)
		for (; pad > 0; pad--)
			fputc(' ', f);
}
