/* zhitong — the payer port made of the gateways (payer_port.h). */
#include "zhitong/payer_port.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zhitong/error.h"

int zt_gateway_config_of(struct zt_gateway_config *g, const struct zt_config *cfg,
                         const char *fund)
{
	static const struct {
		const char *key;
		int64_t max;
	} ints[] = {{"connect-timeout-ms", 3600000}, {"total-timeout-ms", 86400000},
	            {"max-attempts", 100}, {"backoff-initial-ms", 3600000},
	            {"backoff-max-ms", 3600000}};
	int64_t v[5];
	char sec[32];
	snprintf(sec, sizeof sec, "fund %s", fund);
	memset(g, 0, sizeof *g);
	g->kind = zt_config_get(cfg, sec, "gateway");
	if (!g->kind)
		return zt_error_set(ZT_EINVAL, "no gateway for fund %s: set [fund %s] gateway = http or "
		                    "folder in the configuration%s%s", fund, fund,
		                    zt_config_path(cfg)[0] ? " " : " (none given: --config PATH)",
		                    zt_config_path(cfg));
	g->url = zt_config_get(cfg, sec, "url");
	g->ca_file = zt_config_get(cfg, sec, "ca-file");
	g->client_cert = zt_config_get(cfg, sec, "client-cert");
	g->client_key = zt_config_get(cfg, sec, "client-key");
	g->outbox_dir = zt_config_get(cfg, sec, "outbox");
	g->inbox_dir = zt_config_get(cfg, sec, "inbox");
	for (size_t i = 0; i < sizeof ints / sizeof *ints; i++) {
		int rc = zt_config_int(cfg, sec, ints[i].key, 0, 0, ints[i].max, &v[i]);
		if (rc)
			return rc;
	}
	g->connect_timeout_ms = (long)v[0];
	g->total_timeout_ms = (long)v[1];
	g->max_attempts = (int)v[2];
	g->backoff_initial_ms = (long)v[3];
	g->backoff_max_ms = (long)v[4];
	return 0;
}

static void reset(struct zt_gateway_port *gp)
{
	zt_gateway_result_free(&gp->result);
	memset(&gp->result, 0, sizeof gp->result);
	free(gp->rejects);
	gp->rejects = NULL;
}

int zt_gateway_port_answer(struct zt_gateway_port *gp, int gw_rc, struct zt_batch_answer *out)
{
	const struct zt_gateway_result *r = &gp->result;
	*out = (struct zt_batch_answer){.receipt = r->receipt_id, .attempts = r->attempts,
	                                .http_status = r->http_status, .message = r->message};
	if (gw_rc < 0) {
		if (r->failure == ZT_GW_FAIL_CONFIG || r->failure == ZT_GW_FAIL_LOCAL)
			return gw_rc; /* nothing left this machine */
		out->outcome = ZT_BATCH_OUT_FAILED;
		out->error = gw_rc;
	} else if (r->status == ZT_GW_ACCEPTED) {
		out->outcome = ZT_BATCH_OUT_ACCEPTED;
	} else if (r->status == ZT_GW_PENDING) {
		out->outcome = ZT_BATCH_OUT_PENDING;
	} else if (r->reject_count == 0) {
		out->outcome = ZT_BATCH_OUT_REFUSED;
	} else {
		out->outcome = ZT_BATCH_OUT_REJECTED;
		if (!(gp->rejects = calloc(r->reject_count, sizeof *gp->rejects)))
			return zt_error_set(ZT_ENOMEM, "out of memory");
		for (size_t i = 0; i < r->reject_count; i++)
			gp->rejects[i] = (struct zt_batch_reject){r->rejects[i].record_id,
			                                          r->rejects[i].reason};
		out->rejects = gp->rejects;
		out->reject_count = r->reject_count;
	}
	return 0;
}

static int port_bind(void *ctx, const char *fund_code, const char **gateway_name)
{
	struct zt_gateway_port *gp = ctx;
	int rc = zt_gateway_config_of(&gp->gw, gp->cfg, fund_code);
	*gateway_name = rc ? NULL : gp->gw.kind;
	return rc;
}

static int port_send(void *ctx, const char *batch_id, const char *file, const char *sig,
                     struct zt_batch_answer *out)
{
	struct zt_gateway_port *gp = ctx;
	reset(gp);
	return zt_gateway_port_answer(gp, zt_gateway_send(&gp->gw, batch_id, file, sig, &gp->result),
	                              out);
}

static int port_poll(void *ctx, const char *batch_id, struct zt_batch_answer *out)
{
	struct zt_gateway_port *gp = ctx;
	reset(gp);
	return zt_gateway_port_answer(gp, zt_gateway_poll(&gp->gw, batch_id, &gp->result), out);
}

void zt_gateway_port_init(struct zt_gateway_port *gp, const struct zt_config *cfg)
{
	memset(gp, 0, sizeof *gp);
	gp->cfg = cfg;
	gp->port = (struct zt_payer_port){gp, port_bind, port_send, port_poll};
}

void zt_gateway_port_free(struct zt_gateway_port *gp)
{
	reset(gp);
}

int zt_gateway_port_ack(struct zt_gateway_port *gp, const char *xml, size_t len,
                        const char *name, const char *batch_id, struct zt_batch_answer *out)
{
	reset(gp);
	int rc = zt_gateway_parse_ack(&gp->result, xml, len, name, batch_id);
	if (rc)
		return rc;
	return zt_gateway_port_answer(gp, 0, out);
}
