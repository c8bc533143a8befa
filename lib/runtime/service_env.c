/*
 * Reading the node process contract: each value comes from an option when
 * the caller gave one, else from the environment. A bad value is reported
 * under the name it came by (the variable, or the option's field name), so
 * that the message points at what the user has to fix. Every value is
 * checked, so one run reports every problem.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "model/text.h"
#include "service_internal.h"

#define CONFIG_MAX_BYTES (1024u * 1024u + 1u) /* one more than the JSON limit */

#define TYPE_NAMES "enc-cluster, oracle, shadow-registry, pipeline-api, storage, " \
		   "proof, audit, logbook"

/* Where a value came from: its text and the name to report it under. */
typedef struct source {
	const char *value; /* NULL: not given */
	const char *name;
} source;

static source pick(const char *opt, const char *opt_name, const char *env_name)
{
	source s;

	if (opt) {
		s.value = opt;
		s.name = opt_name;
	} else {
		const char *v = getenv(env_name);

		s.value = v && *v ? v : NULL;
		s.name = env_name;
	}
	return s;
}

static int err(bpci_diag *diag, int code, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int err(bpci_diag *diag, int code, const char *field, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	bpci__diag_vadd(diag, BPCI_SEVERITY_ERROR, code, field, fmt, ap);
	va_end(ap);
	return code;
}

static int keep(int rc, int next)
{
	if (rc == BPCI_ENOMEM || next == BPCI_ENOMEM)
		return BPCI_ENOMEM;
	return rc ? rc : next;
}

static int load_type(bpci_service *svc, const bpci_service_options *o, bpci_diag *diag)
{
	source s = pick(o ? o->type : NULL, "type", "BPCI_NODE_TYPE");

	if (!s.value)
		return err(diag, BPCI_EINVAL, s.name, "is not set; it must be one of %s",
			   TYPE_NAMES);
	if (bpci_node_type_parse(&svc->type, s.value) < 0)
		return err(diag, BPCI_EINVAL, s.name, "must be one of %s, got '%s'",
			   TYPE_NAMES, s.value);
	return 0;
}

static int load_port(bpci_service *svc, const bpci_service_options *o, bpci_diag *diag)
{
	source s;
	uint64_t v;

	if (o && o->port >= 0) {
		if (o->port > 65535)
			return err(diag, BPCI_EINVAL, "port",
				   "must be 0..65535 (0: any free port), got %d", o->port);
		svc->port = (unsigned int)o->port;
		return 0;
	}
	/* The coordinator always hands out a real port: 0 here would leave it
	 * unable to reach the node, so the variable must be 1..65535. */
	s = pick(NULL, NULL, "BPCI_NODE_PORT");
	if (!s.value)
		return err(diag, BPCI_EINVAL, s.name, "is not set; it must be a port 1..65535");
	if (bpci__parse_uint(s.value, &v) < 0 || v < 1 || v > 65535)
		return err(diag, BPCI_EINVAL, s.name, "must be a port 1..65535, got '%s'",
			   s.value);
	svc->port = (unsigned int)v;
	return 0;
}

static int load_id(bpci_service *svc, const bpci_service_options *o, bpci_diag *diag)
{
	source s = pick(o ? o->id : NULL, "id", "BPCI_NODE_ID");

	if (!s.value)
		return 0; /* defaulted once the spec is known */
	if (!bpci__is_ident(s.value))
		return err(diag, BPCI_EINVAL, s.name,
			   "must be an identifier (letters, digits, '.', '_' or '-', "
			   "starting with a letter or digit, at most 128 characters), "
			   "got '%s'", s.value);
	svc->id = bpci__strdup(s.value);
	return svc->id ? 0 : BPCI_ENOMEM;
}

static int load_url(bpci_service *svc, const bpci_service_options *o, bpci_diag *diag)
{
	source s = pick(o ? o->coordinator_url : NULL, "coordinator_url",
			"BPCI_COORDINATOR_URL");

	if (!s.value || !*s.value)
		return 0;
	if (!bpci__is_url(s.value))
		return err(diag, BPCI_EINVAL, s.name,
			   "must be an absolute http:// or https:// URL, got '%s'", s.value);
	svc->coordinator_url = bpci__strdup(s.value);
	return svc->coordinator_url ? 0 : BPCI_ENOMEM;
}

static int load_notify(bpci_service *svc, const bpci_service_options *o, bpci_diag *diag)
{
	source s = pick(o ? o->notify_socket : NULL, "notify_socket", "NOTIFY_SOCKET");
	struct sockaddr_un sa;

	if (!s.value || !*s.value)
		return 0;
	if ((s.value[0] != '/' && s.value[0] != '@') || s.value[1] == '\0' ||
	    strlen(s.value) >= sizeof(sa.sun_path))
		return err(diag, BPCI_EINVAL, s.name,
			   "must be an absolute socket path or an abstract address "
			   "'@name' of at most %zu bytes, got '%s'",
			   sizeof(sa.sun_path) - 1, s.value);
	svc->notify_socket = bpci__strdup(s.value);
	return svc->notify_socket ? 0 : BPCI_ENOMEM;
}

static int load_watchdog(bpci_service *svc, const bpci_service_options *o, bpci_diag *diag)
{
	const char *v, *pid;
	uint64_t usec, p;

	if (o && o->watchdog_usec >= 0) {
		svc->watchdog_usec = (uint64_t)o->watchdog_usec;
		return 0;
	}
	v = getenv("WATCHDOG_USEC");
	if (!v || !*v)
		return 0;
	if (bpci__parse_uint(v, &usec) < 0 || usec == 0)
		return err(diag, BPCI_EINVAL, "WATCHDOG_USEC",
			   "must be a positive number of microseconds, got '%s'", v);
	/* sd_watchdog_enabled(3): the interval is meant for WATCHDOG_PID only,
	 * so that a child that inherited the environment stays silent. */
	pid = getenv("WATCHDOG_PID");
	if (pid && *pid && (bpci__parse_uint(pid, &p) < 0 || p != (uint64_t)getpid()))
		return 0;
	svc->watchdog_usec = usec;
	return 0;
}

/* Read the whole file at @path into a new buffer. */
static int read_config(char **out, size_t *len, const char *path, const char *name,
		       bpci_diag *diag)
{
	char *buf;
	size_t n = 0;
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return err(diag, errno == ENOENT ? BPCI_ENOTFOUND : BPCI_EIO, name,
			   "cannot open '%s': %s", path, strerror(errno));
	buf = bpci__malloc(CONFIG_MAX_BYTES + 1);
	if (!buf) {
		close(fd);
		return BPCI_ENOMEM;
	}
	while (n < CONFIG_MAX_BYTES &&
	       (r = read(fd, buf + n, CONFIG_MAX_BYTES - n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;

			close(fd);
			bpci__free(buf);
			return err(diag, BPCI_EIO, name, "cannot read '%s': %s", path,
				   strerror(e));
		}
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

/* Copy the spec parser's entries under the config file's name. */
static void copy_entries(bpci_diag *diag, const bpci_diag *from, const char *path)
{
	size_t i;

	for (i = 0; i < bpci_diag_count(from); i++) {
		const bpci_diag_entry *e = bpci_diag_get(from, i);

		bpci__diag_add_at(diag, e->severity, e->code, path, e->line, e->column,
				  e->field, "%s", e->message);
	}
}

static int parse_spec(bpci_service *svc, const char *text, size_t len, const char *path,
		      const char *name, bpci_diag *diag)
{
	bpci_diag *sub = NULL;
	int rc;

	if (bpci_diag_new(&sub) < 0)
		return BPCI_ENOMEM;
	rc = bpci_node_spec_from_json(&svc->spec, text, len, sub);
	if (rc == 0)
		rc = bpci_node_spec_validate(svc->spec, 0, sub);
	if (rc != 0 && rc != BPCI_ENOMEM)
		err(diag, rc, name, "'%s' does not hold a valid node spec (%zu error%s follow%s)",
		    path, bpci_diag_error_count(sub),
		    bpci_diag_error_count(sub) == 1 ? "" : "s",
		    bpci_diag_error_count(sub) == 1 ? "s" : "");
	copy_entries(diag, sub, path);
	bpci_diag_free(sub);
	return rc;
}

/* A spec given in the options: a copy, validated like one from a file. */
static int load_spec_option(bpci_service *svc, const bpci_service_options *o,
			    bpci_diag *diag)
{
	bpci_diag *sub = NULL;
	int rc;

	if (o->config_path)
		return err(diag, BPCI_EINVAL, "spec",
			   "and config ('%s') are both given; give one", o->config_path);
	rc = bpci_node_spec_dup(&svc->spec, o->spec);
	if (rc != 0)
		return rc;
	if (bpci_diag_new(&sub) < 0)
		return BPCI_ENOMEM;
	rc = bpci_node_spec_validate(svc->spec, 0, sub);
	if (rc != 0)
		err(diag, rc, "spec", "is not a valid node spec (%zu error%s follow%s)",
		    bpci_diag_error_count(sub), bpci_diag_error_count(sub) == 1 ? "" : "s",
		    bpci_diag_error_count(sub) == 1 ? "s" : "");
	copy_entries(diag, sub, "spec");
	bpci_diag_free(sub);
	return rc;
}

static int load_config(bpci_service *svc, const bpci_service_options *o, bpci_diag *diag)
{
	source s = pick(o ? o->config_path : NULL, "config", "BPCI_NODE_CONFIG");
	char *text = NULL;
	size_t len = 0;
	int rc;

	if (o && o->spec)
		return load_spec_option(svc, o, diag);
	if (!s.value)
		return err(diag, BPCI_EINVAL, s.name,
			   "is not set; it must name the JSON file holding the node's spec");
	svc->config_path = bpci__strdup(s.value);
	if (!svc->config_path)
		return BPCI_ENOMEM;
	rc = read_config(&text, &len, s.value, s.name, diag);
	if (rc == 0)
		rc = parse_spec(svc, text, len, s.value, s.name, diag);
	bpci__free(text);
	return rc;
}

/* The spec must be of the type the node was started as. */
static int check_type(bpci_service *svc, const bpci_service_options *o, bpci_diag *diag)
{
	bpci_node_type st = bpci_node_spec_type(svc->spec);
	source s = pick(o ? o->type : NULL, "type", "BPCI_NODE_TYPE");

	if (st == svc->type)
		return 0;
	return err(diag, BPCI_EINVAL, s.name,
		   "is '%s' but the spec in '%s' is of type '%s'",
		   bpci_node_type_name(svc->type),
		   svc->config_path ? svc->config_path : "the options", bpci_node_type_name(st));
}

static int default_id(bpci_service *svc)
{
	const char *sid = NULL;

	if (svc->id)
		return 0;
	if (bpci_node_spec_get_string(svc->spec, "id", &sid) != 0 || !sid)
		sid = bpci_node_type_name(svc->type);
	svc->id = bpci__strdup(sid);
	return svc->id ? 0 : BPCI_ENOMEM;
}

int bpci__service_load(bpci_service *svc, const bpci_service_options *o, bpci_diag *diag)
{
	int rc;

	if (o && o->version != BPCI_SERVICE_OPTIONS_VERSION)
		return err(diag, BPCI_EINVAL, "options.version",
			   "must be %d (BPCI_SERVICE_OPTIONS_VERSION), got %u",
			   BPCI_SERVICE_OPTIONS_VERSION, o->version);
	rc = load_type(svc, o, diag);
	rc = keep(rc, load_port(svc, o, diag));
	rc = keep(rc, load_id(svc, o, diag));
	rc = keep(rc, load_url(svc, o, diag));
	rc = keep(rc, load_notify(svc, o, diag));
	rc = keep(rc, load_watchdog(svc, o, diag));
	if (rc == BPCI_ENOMEM)
		return rc;
	rc = keep(rc, load_config(svc, o, diag));
	if (rc != 0)
		return rc;
	rc = check_type(svc, o, diag);
	return rc ? rc : default_id(svc);
}
