/* zhitong — the payer port (batch.h: struct zt_payer_port) made of the
 * gateways (gateway.h) and the configuration: what the CLI and the
 * service pass to zt_batch_send and zt_batch_poll.
 *
 *     struct zt_gateway_port gp;
 *     zt_gateway_port_init(&gp, cfg);
 *     rc = zt_batch_send(s, &req, &gp.port, &res);
 *     zt_gateway_port_free(&gp);
 *
 * The port chooses the gateway of the batch's fund ([fund F] gateway =
 * http or folder, with its settings) and translates the gateway's result
 * into the engine's answer: a result of the payer (accepted, records
 * rejected, refused whole, pending), a transport failure (FAILED), or a
 * failure before anything left this machine (a negative code). */
#ifndef ZHITONG_PAYER_PORT_H
#define ZHITONG_PAYER_PORT_H

#include "zhitong/batch.h"
#include "zhitong/config.h"
#include "zhitong/gateway.h"

struct zt_gateway_port {
	struct zt_payer_port port;      /* pass &gp.port */
	const struct zt_config *cfg;
	struct zt_gateway_config gw;    /* of the bound fund */
	struct zt_gateway_result result; /* the last call's */
	struct zt_batch_reject *rejects;
};
void zt_gateway_port_init(struct zt_gateway_port *gp, const struct zt_config *cfg);
void zt_gateway_port_free(struct zt_gateway_port *gp);

/* The gateway settings of fund `fund` ([fund F]); ZT_EINVAL when it has
 * none or a value is out of range. */
int zt_gateway_config_of(struct zt_gateway_config *g, const struct zt_config *cfg,
                         const char *fund);
/* A gateway's result as the engine's answer (strings and rejects point
 * into gp, valid until its next call): 0, or gw_rc when nothing left this
 * machine (a configuration or a local failure). */
int zt_gateway_port_answer(struct zt_gateway_port *gp, int gw_rc, struct zt_batch_answer *out);
/* An ack document received by other means (`batch ack`), read for
 * `batch_id` and translated; its gateway is left NULL ("manual"). */
int zt_gateway_port_ack(struct zt_gateway_port *gp, const char *xml, size_t len,
                        const char *name, const char *batch_id, struct zt_batch_answer *out);

#endif
