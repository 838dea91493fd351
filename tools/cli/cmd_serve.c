/* zhitong serve — the HTTP service (docs/spec/service.md, docs/service.md):
 * the core (tools/service/server.c), its builtin routes and the endpoints
 * over the use cases (tools/service/api*.c). Who calls is the store's
 * users' tokens (serve_users.c; `zhitong user`): without users, every route
 * that needs a token answers 401. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "zhitong/pools.h"
#include "api.h"
#include "serve_users.h"
#include "service.h"
#include "session.h"
#include "zhitong/error.h"
#include "zhitong/slip.h"

static const char help[] =
	"usage: zhitong --db PATH [--config C] serve [--listen ADDR:PORT] [--tls-cert CERT.pem --tls-key KEY.pem\n"
	"                              [--client-ca CA.pem]] [--insecure-http]\n"
	"                              [--metrics-listen 127.0.0.1:PORT] [--log FILE]\n"
	"\n"
	"Serves the HTTP API until SIGTERM or SIGINT, which let the requests in flight\n"
	"finish. Default address 127.0.0.1:8440 (port 0: any free port, printed on stderr).\n"
	"Plain HTTP is refused off loopback unless --insecure-http (a TLS proxy on this\n"
	"host in front). TLS is 1.2 or later; --client-ca requires a client certificate\n"
	"issued by that CA. --metrics-listen serves /metrics and /healthz without a token\n"
	"on a loopback address. One line per request goes to --log FILE (default stderr).\n"
	"The [service] section of the configuration sets the rest (docs/service.md):\n"
	"limits, timeouts, rate limits and the trusted proxies whose X-Forwarded-For\n"
	"counts.\n";

int cmd_serve(const struct cli *c, int argc, char **argv)
{
	struct args a;
	int rc = args_parse(&a, argc, argv,
	                    "--listen --tls-cert --tls-key --client-ca --metrics-listen --log",
	                    "--insecure-http");
	if (rc)
		return rc;
	if (a.help) {
		fputs(help, stdout);
		return EXIT_DONE;
	}
	if (a.npos)
		return cli_usage("serve takes no argument ('%s')", a.pos[0]);
	struct zt_config *cfg = NULL;
	struct zt_service *s = NULL;
	struct cli_users_auth *users = NULL;
	struct zt_api app;
	struct zt_sessions *sessions = NULL;
	struct zt_slip_keys *slip_keys = NULL;
	bool app_ok = false;
	int status = EXIT_DONE;
	if (!c->db_path)
		return cli_usage("serve needs --db PATH");
	if ((rc = zt_config_load(&cfg, c->config_path)) != 0) {
		status = cli_fail(rc, "config");
		goto done;
	}
	struct zt_service_opts o;
	zt_service_opts_init(&o);
	if ((rc = zt_service_opts_config(&o, cfg)) != 0) {
		status = cli_fail(rc, "config");
		goto done;
	}
	static const struct {
		const char *opt;
		size_t off;
	} strs[] = {
		{"--listen", offsetof(struct zt_service_opts, listen)},
		{"--tls-cert", offsetof(struct zt_service_opts, tls_cert)},
		{"--tls-key", offsetof(struct zt_service_opts, tls_key)},
		{"--client-ca", offsetof(struct zt_service_opts, client_ca)},
		{"--metrics-listen", offsetof(struct zt_service_opts, metrics_listen)},
		{"--log", offsetof(struct zt_service_opts, log_path)},
	};
	for (size_t i = 0; i < sizeof strs / sizeof *strs; i++) {
		const char *v = args_get(&a, strs[i].opt);
		if (v)
			*(const char **)((char *)&o + strs[i].off) = v;
	}
	o.insecure_http = args_flag(&a, "--insecure-http");
	if ((rc = zt_api_init(&app, c->db_path)) != 0) {
		status = cli_fail(rc, "serve");
		goto done;
	}
	app_ok = true;
	app.config = cfg; /* settle reads [county C] catalog as 'claim submit' does */
	/* the pools' counties and accounts recorded as the configuration says
	 * (pools.h), when the database is there to take them (a database not
	 * there yet or of another version is said by each request, as ever) */
	struct zt_store *ps = NULL;
	struct zt_store_options so;
	cli_store_options(&so, 0);
	if (zt_store_open(&ps, c->db_path, &so) == 0 && ps->ops->check_version(ps) == 0 &&
	    (rc = zt_pools_record(ps, cfg, NULL)) != 0) {
		zt_store_close(ps);
		status = cli_fail(rc, "pools");
		goto done;
	}
	zt_store_close(ps);
	zt_error_clear();
	/* the pool's slip keys: the code on the slips, GET /v1/slips/verify */
	if (!(slip_keys = calloc(1, sizeof *slip_keys))) {
		status = cli_fail(zt_error_set(ZT_ENOMEM, "out of memory"), "serve");
		goto done;
	}
	if ((rc = zt_slip_keys_load(slip_keys, cfg)) != 0) {
		status = cli_fail(rc, "config");
		goto done;
	}
	app.slip_keys = slip_keys;
	/* the web console (api_console.c): password logins' sessions */
	if ((rc = zt_sessions_new(&sessions)) != 0) {
		status = cli_fail(rc, "serve");
		goto done;
	}
	app.sessions = sessions;
	/* the files the service writes (an issued plan's pain.001): [service] files */
	app.files_dir = zt_config_get(cfg, "service", "files");
	if ((rc = zt_service_new(&s, &o)) != 0 || (rc = zt_service_add_builtin_routes(s)) != 0 ||
	    (rc = zt_api_add_routes(&app, s)) != 0) {
		status = cli_fail(rc, "serve");
		goto done;
	}
	/* tokens are the store's users' (serve_users.c) */
	if (cli_users_auth_open(&users, c) == 0) {
		zt_service_set_authenticator(s, cli_users_authenticate, users);
		cli_users_auth_sessions(users, sessions);
		zt_service_set_session_authenticator(s, cli_users_session, users);
	} else
		fprintf(stderr, "zhitong: serve: no users (%s): every request that needs a token "
		        "answers 401\n", zt_error_last());
	if ((rc = zt_service_run(s)) != 0) {
		status = cli_fail(rc, "serve");
		if (rc == ZT_EBUSY) {
			/* requests still hang on: their threads cannot be joined,
			 * and the database is safe whatever they were doing */
			fflush(NULL);
			_exit(status);
		}
	}
done:
	zt_service_free(s);
	cli_users_auth_free(users);
	if (app_ok)
		zt_api_free(&app);
	zt_sessions_free(sessions);
	if (slip_keys) {
		zt_slip_keys_wipe(slip_keys);
		free(slip_keys);
	}
	zt_config_free(cfg);
	return status;
}
