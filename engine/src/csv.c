/* zhitong — CSV writer (see csv.h). */
#include "zhitong/csv.h"

#include <string.h>

void zt_csv_init(struct zt_csv *c, FILE *f, bool bom)
{
	c->f = f;
	c->row_started = false;
	if (bom)
		fputs("\xEF\xBB\xBF", f);
}

void zt_csv_header(struct zt_csv *c, const char *names)
{
	fputs(names, c->f);
	fputc('\n', c->f);
	c->row_started = false;
}

bool zt_csv_is_number(const char *v)
{
	const char *p = v;
	if (*p == '-')
		p++;
	if (*p < '0' || *p > '9')
		return false;
	while (*p >= '0' && *p <= '9')
		p++;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return *p == '\0';
}

bool zt_csv_needs_neutralising(const char *v)
{
	return v && strchr("=+-@\t\r", v[0]) && v[0] != '\0' && !zt_csv_is_number(v);
}

void zt_csv_cell(struct zt_csv *c, const char *v)
{
	if (!v)
		v = "";
	if (c->row_started)
		fputc(',', c->f);
	c->row_started = true;
	bool formula = zt_csv_needs_neutralising(v);
	if (!formula && !strpbrk(v, ",\"\r\n")) {
		fputs(v, c->f);
		return;
	}
	fputc('"', c->f);
	if (formula)
		fputc('\'', c->f);
	for (const char *p = v; *p; p++) {
		if (*p == '"')
			fputc('"', c->f);
		fputc(*p, c->f);
	}
	fputc('"', c->f);
}

void zt_csv_end(struct zt_csv *c)
{
	fputc('\n', c->f);
	c->row_started = false;
}

void zt_csv_row(struct zt_csv *c, const char *const *cells, size_t n)
{
	for (size_t i = 0; i < n; i++)
		zt_csv_cell(c, cells[i]);
	zt_csv_end(c);
}
