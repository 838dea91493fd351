/* zhitong — private helpers shared by the payer gateways. */
#ifndef ZHITONG_GATEWAY_INT_H
#define ZHITONG_GATEWAY_INT_H

#include <stddef.h>

#include "zhitong/gateway.h"

/* Records a failure: sets zt_error_last(), out->failure and out->message
 * (the same line). Returns `code`. */
int zt_gw_fail(struct zt_gateway_result *out, enum zt_gateway_failure failure, int code,
               const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Copies src into dst[cap] whole or cut at a UTF-8 character boundary. */
void zt_gw_copy_utf8(char *dst, size_t cap, const char *src);

/* Checks that `path` names a readable regular file; its size in *size. */
int zt_gw_check_input(struct zt_gateway_result *out, size_t *size, const char *what,
                      const char *path);

int zt_gw_http_send(const struct zt_gateway_config *cfg, const char *batch_id,
                    const char *file_path, const char *sig_path, struct zt_gateway_result *out);
int zt_gw_folder_send(const struct zt_gateway_config *cfg, const char *batch_id,
                      const char *file_path, const char *sig_path, struct zt_gateway_result *out);
int zt_gw_folder_poll(const struct zt_gateway_config *cfg, const char *batch_id,
                      struct zt_gateway_result *out);

#endif
