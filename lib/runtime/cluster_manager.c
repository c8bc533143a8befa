/*
 * The cluster manager handle: opening a state directory (ledger,
 * coordinator, state file), the journal-then-persist helpers every
 * mutation goes through, and closing.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>

#include "bpci/daemon.h"
#include "common/alloc.h"
#include "common/diag.h"
#include "model/cluster_internal.h"
#include "runtime/cluster_internal.h"
#include "runtime/cluster_ship.h"
#include "runtime/coordinator_journal.h"
#include "runtime/fsutil.h"
#include "runtime/procstat.h"

uint64_t bpci__cm_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void bpci__cm_emit(bpci_cluster_manager *cm, bpci_cluster_event_kind kind, const char *id,
		   const char *detail, unsigned int port)
{
	bpci_cluster_event ev;

	if (!cm->on_event)
		return;
	ev.kind = kind;
	ev.id = id ? id : "";
	ev.detail = detail ? detail : "";
	ev.port = port;
	cm->on_event(&ev, cm->event_payload);
}

int bpci__cm_journal(bpci_cluster_manager *cm, const char *type, const char *subject,
		     const char *details_json, bpci_diag *diag)
{
	bpci_ledger_event ev = BPCI_LEDGER_EVENT_INIT;
	int rc;

	ev.type = type;
	ev.actor = cm->cluster_id;
	ev.subject = subject;
	ev.details_json = details_json;
	rc = bpci_ledger_append(NULL, cm->ledger, &ev, diag);
	if (rc == 0) {
		cm->journaled++;
		bpci__cm_ship_notify(cm);
	}
	return rc;
}

int bpci__cm_persist(bpci_cluster_manager *cm, bpci_diag *diag)
{
	char *text = bpci__cm_state_json(cm);
	int rc;

	if (!text)
		return BPCI_ENOMEM;
	rc = bpci__write_file_atomic(cm->state_path, text, strlen(text), 0600, diag);
	bpci__free(text);
	return rc;
}

/* The root daemon's capacity: the host's CPUs and memory, the state
 * directory's file system. Network is not measured, so not reserved. */
static int measure_capacity(bpci_cluster_manager *cm, bpci_diag *diag)
{
	bpci__hoststat hs;
	struct statvfs vfs;

	memset(&hs, 0, sizeof(hs));
	if (bpci__hoststat_sample(&hs) != 0 || !(hs.present & BPCI__HS_CPUS) ||
	    !(hs.present & BPCI__HS_MEMORY))
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "capacity",
				      "cannot measure the host's CPUs and memory");
	if (statvfs(cm->state_dir, &vfs) != 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "capacity",
				      "statvfs %s: %s", cm->state_dir, strerror(errno));
	cm->capacity.cpu_millicores = hs.cpus * 1000u;
	cm->capacity.memory_bytes = hs.mem_total_bytes;
	cm->capacity.storage_bytes = (uint64_t)vfs.f_blocks * vfs.f_frsize;
	return 0;
}

static void on_node_event(const bpci_node_event *event, void *payload)
{
	bpci_cluster_manager *cm = payload;

	if (cm->adding && !strcmp(cm->adding, event->node_id))
		return;
	if (bpci__cm_find_replica(cm, event->node_id) >= 0)
		bpci__cm_emit(cm, BPCI_CLUSTER_REPLICA_STATUS, event->node_id,
			      bpci_node_state_name(event->new_state), 0);
}

/* Heartbeat interval and failover timeout (version 2 fields): a daemon
 * is given up only after more than one interval of silence. */
static int check_timing(const bpci_cluster_manager_options *o, bpci_diag *diag)
{
	uint64_t hb = o->heartbeat_interval_ms ? o->heartbeat_interval_ms : 1000;
	uint64_t fo = o->failover_timeout_ms ? o->failover_timeout_ms : 3000;

	if (hb < 10 || hb > 3600000)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL,
				      "heartbeat_interval_ms", "must be 10..3600000 ms, got %llu",
				      (unsigned long long)hb);
	if (fo <= hb || fo > 86400000)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL,
				      "failover_timeout_ms", "must be longer than the heartbeat "
				      "interval (%llu ms) and at most 86400000 ms, got %llu",
				      (unsigned long long)hb, (unsigned long long)fo);
	return 0;
}

static int check_opts(const bpci_cluster_manager_options *o, bpci_diag *diag)
{
	size_t i, n;

	if (!o || o->version < 1 || o->version > BPCI_CLUSTER_MANAGER_OPTIONS_VERSION)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "version",
				      "unknown cluster manager options version %u (1..%d)",
				      o ? o->version : 0u, BPCI_CLUSTER_MANAGER_OPTIONS_VERSION);
	if (!o->state_dir || !*o->state_dir)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "state_dir",
				      "is required");
	n = o->cluster_id ? strlen(o->cluster_id) : 0;
	if (n == 0 || n > 128)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "cluster_id",
				      "must be an identifier of 1..128 characters, got \"%s\"",
				      o->cluster_id ? o->cluster_id : "");
	for (i = 0; i < n; i++) {
		char ch = o->cluster_id[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || (i > 0 && strchr("._-", ch))))
			return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL,
					      "cluster_id", "must match [A-Za-z0-9][A-Za-z0-9._-]*, "
					      "got \"%s\"", o->cluster_id);
	}
	if (o->max_utilization_percent > 100)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL,
				      "max_utilization_percent", "must be 1..100, got %u",
				      o->max_utilization_percent);
	return o->version >= 2 ? check_timing(o, diag) : 0;
}

static int copy_command(bpci_cluster_manager *cm, const char *const *argv)
{
	size_t n = 0, i;

	if (!argv)
		return 0;
	while (argv[n])
		n++;
	cm->replica_command = bpci__calloc(n + 1, sizeof(char *));
	if (!cm->replica_command)
		return BPCI_ENOMEM;
	for (i = 0; i < n; i++)
		if (!(cm->replica_command[i] = bpci__strdup(argv[i])))
			return BPCI_ENOMEM;
	return 0;
}

/* Reads DIR/cluster.json when present; 1 when there is none. */
static int load_state(bpci_cluster_manager *cm, bpci_diag *diag)
{
	FILE *f = fopen(cm->state_path, "rb");
	char *buf = NULL;
	size_t cap = 0, len = 0, got;
	int rc;

	if (!f)
		return errno == ENOENT ? 1 : bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO,
							    "state", "cannot read %s: %s",
							    cm->state_path, strerror(errno));
	do {
		if (bpci__grow((void **)&buf, &cap, len + 4097, 1) != 0) {
			fclose(f);
			bpci__free(buf);
			return BPCI_ENOMEM;
		}
		got = fread(buf + len, 1, 4096, f);
		len += got;
	} while (got > 0);
	fclose(f);
	buf[len] = '\0';
	rc = bpci__cm_state_load(cm, buf, len, diag);
	bpci__free(buf);
	return rc;
}

static int open_parts(bpci_cluster_manager *cm, const bpci_cluster_manager_options *o,
		      bpci_diag *diag)
{
	bpci_coordinator_options co = BPCI_COORDINATOR_OPTIONS_INIT;
	bpci_ledger_options lo = BPCI_LEDGER_OPTIONS_INIT;
	bpci_port_pool_options po = BPCI_PORT_POOL_OPTIONS_INIT;
	char *ledger_dir;
	int rc, fresh;

	if (mkdir(cm->state_dir, 0700) != 0 && errno != EEXIST)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "state_dir",
				      "cannot create %s: %s", cm->state_dir, strerror(errno));
	/* Before anything is read: a standby reads the state the primary
	 * left, not a state it is still writing. */
	rc = bpci__cm_lock(cm, o->standby, diag);
	if (rc == 0)
		rc = measure_capacity(cm, diag);
	if (rc != 0)
		return rc;
	ledger_dir = bpci__asprintf("%s/ledger", cm->state_dir);
	if (!ledger_dir)
		return BPCI_ENOMEM;
	lo.actor = cm->cluster_id;
	rc = bpci_ledger_open(&cm->ledger, ledger_dir, &lo, diag);
	bpci__free(ledger_dir);
	if (rc != 0)
		return rc;
	rc = load_state(cm, diag);
	fresh = rc == 1;
	if (rc == 1) {
		po.ranges = o->port_ranges;
		po.reserved = o->reserved_ports;
		rc = bpci_port_pool_new(&cm->pool, &po, diag);
	}
	if (rc == 0)
		rc = bpci__cm_tree_ready(cm, diag);
	if (rc != 0)
		return rc;
	co.state_dir = cm->state_dir;
	co.handle_signals = o->handle_signals;
	co.on_event = on_node_event;
	co.event_payload = cm;
	/* DIR/ledger is ours: the coordinator journals beside it */
	rc = bpci__coordinator_new_journal(&cm->c, &co, "coordinator-ledger", diag);
	/* A new cluster records its id at once, so that another cluster
	 * cannot open the directory by mistake. */
	if (rc == 0 && fresh)
		rc = bpci__cm_persist(cm, diag);
	if (rc == 0)
		rc = bpci__cm_start_missing(cm, diag);
	return rc;
}

int bpci_cluster_manager_new(bpci_cluster_manager **out,
			     const bpci_cluster_manager_options *opts, bpci_diag *diag)
{
	bpci_cluster_manager *cm;
	int rc;

	if (!out)
		return BPCI_EINVAL;
	rc = check_opts(opts, diag);
	if (rc != 0)
		return rc;
	cm = bpci__calloc(1, sizeof(*cm));
	if (!cm)
		return BPCI_ENOMEM;
	cm->ceiling = opts->max_utilization_percent ? opts->max_utilization_percent : 80;
	cm->on_event = opts->on_event;
	if (opts->version >= 2) {
		cm->hb_ms = opts->heartbeat_interval_ms;
		cm->failover_timeout_ms = opts->failover_timeout_ms;
	}
	cm->event_payload = opts->event_payload;
	cm->next_replica = cm->next_node = 1;
	cm->lock_fd = -1;
	cm->cluster_id = bpci__strdup(opts->cluster_id);
	cm->state_dir = bpci__strdup(opts->state_dir);
	cm->state_path = bpci__asprintf("%s/cluster.json", opts->state_dir);
	rc = (!cm->cluster_id || !cm->state_dir || !cm->state_path) ? BPCI_ENOMEM
		: copy_command(cm, opts->replica_command);
	if (rc == 0)
		rc = open_parts(cm, opts, diag);
	if (rc != 0) {
		bpci_cluster_manager_free(cm);
		return rc;
	}
	*out = cm;
	return 0;
}

int bpci_cluster_manager_shutdown(bpci_cluster_manager *cm, bpci_diag *diag)
{
	size_t i;
	int rc = 0, r;

	if (!cm)
		return BPCI_EINVAL;
	/* The local subtree first: each child daemon stops its own nodes and
	 * children on SIGTERM (SIGKILL after its stop timeout), in reverse
	 * start order. Remote daemons run on other hosts and keep running:
	 * they join the manager again when it returns. */
	if (cm->daemon_on) {
		r = bpci_coordinator_stop_daemons(cm->c, diag);
		if (r != 0)
			rc = r;
	}
	for (i = cm->nreplicas; i-- > 0;) {
		r = bpci_coordinator_stop_node(cm->c, cm->replicas[i].id, diag);
		if (r != 0 && r != BPCI_ENOTFOUND)
			rc = r;
	}
	return rc;
}

bpci_coordinator *bpci_cluster_manager_coordinator(bpci_cluster_manager *cm)
{
	return cm ? cm->c : NULL;
}

const char *bpci_cluster_manager_state_dir(const bpci_cluster_manager *cm)
{
	return cm ? cm->state_dir : NULL;
}

void bpci_cluster_manager_free(bpci_cluster_manager *cm)
{
	size_t i;

	if (!cm)
		return;
	bpci_coordinator_free(cm->c);
	bpci__cm_ship_free(cm); /* it reads the ledger */
	bpci_ledger_free(cm->ledger);
	bpci_port_pool_free(cm->pool);
	bpci_daemon_tree_free(cm->tree);
	for (i = 0; i < cm->nreplicas; i++) {
		bpci__free(cm->replicas[i].id);
		bpci__free(cm->replicas[i].name);
		bpci__free(cm->replicas[i].daemon);
	}
	bpci__free(cm->replicas);
	for (i = 0; i < cm->nnodes; i++) {
		bpci__free(cm->nodes[i].id);
		bpci_cluster_node_free(cm->nodes[i].node);
	}
	bpci__free(cm->nodes);
	for (i = 0; i < cm->nservices; i++)
		bpci__free(cm->services[i].service);
	bpci__free(cm->services);
	for (i = 0; cm->replica_command && cm->replica_command[i]; i++)
		bpci__free(cm->replica_command[i]);
	bpci__free(cm->replica_command);
	bpci__free(cm->cluster_id);
	bpci__free(cm->state_dir);
	bpci__free(cm->state_path);
	bpci__free(cm->url);
	bpci__free(cm->token);
	/* Last: a standby waiting on the lock must find everything closed. */
	if (cm->lock_fd >= 0)
		close(cm->lock_fd);
	bpci__free(cm);
}
