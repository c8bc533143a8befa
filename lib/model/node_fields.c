/*
 * The node model's static descriptor tables: each type's parameters, the
 * common fields, enum values with their aliases (the spellings of the
 * original description), CLI flags and defaults.
 */
#include <strings.h>

#include "model/node_internal.h"

#define GIB ((uint64_t)1 << 30)
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Shorthands for table rows: name, flag, kind, item kind, values, min, max,
 * unit, required, help. */
#define F(name, flag, kind, item, values, min, max, unit, req, help) \
	{name, flag, kind, item, values, min, max, unit, req, help}

/* ---- enc-cluster ------------------------------------------------------ */

static const char *const enc_levels[] = {"standard", "military", "quantum", NULL};
static const bpci__alias enc_level_aliases[] = {
	{"military_grade", "military"}, {"military-grade", "military"},
	{"militarygrade", "military"}, {"quantum_resistant", "quantum"},
	{"quantum-resistant", "quantum"}, {"post_quantum", "quantum"},
	{"post-quantum", "quantum"}, {NULL, NULL}};

static const bpci_field_info enc_info[] = {
	F("cluster_id", "cluster-id", BPCI_FIELD_IDENT, 0, NULL, 0, 0, NULL, 1,
	  "ENC cluster identifier"),
	F("encryption_level", "encryption-level", BPCI_FIELD_ENUM, 0, enc_levels, 0, 0,
	  NULL, 1, "encryption level: standard, military or quantum"),
	F("gateway_endpoint", "gateway-endpoint", BPCI_FIELD_URL, 0, NULL, 0, 0, NULL, 0,
	  "gateway URL (http or https)"),
	F("mempool_size", "mempool-size", BPCI_FIELD_UINT, 0, NULL, 1, 10000000, NULL, 0,
	  "mempool capacity in transactions (1..10000000)"),
};
static const bpci__field_ext enc_ext[] = {
	{NULL, 0, NULL, 0, NULL}, {enc_level_aliases, 0, NULL, 0, NULL},
	{NULL, 0, NULL, 0, NULL}, {NULL, 0, NULL, 0, NULL}};

/* ---- oracle ----------------------------------------------------------- */

static const char *const oracle_types[] = {"price-feed", "data", "cross-chain",
					   "governance", NULL};
static const bpci__alias oracle_type_aliases[] = {
	{"price", "price-feed"}, {"price_feed", "price-feed"}, {"pricefeed", "price-feed"},
	{"data-feed", "data"}, {"data_feed", "data"}, {"datafeed", "data"},
	{"cross_chain", "cross-chain"}, {"crosschain", "cross-chain"}, {NULL, NULL}};

static const bpci_field_info oracle_info[] = {
	F("oracle_type", "oracle-type", BPCI_FIELD_ENUM, 0, oracle_types, 0, 0, NULL, 1,
	  "oracle kind: price-feed, data, cross-chain or governance"),
	F("supported_chains", "chains", BPCI_FIELD_LIST, BPCI_FIELD_IDENT, NULL, 1, 0,
	  NULL, 1, "comma-separated chain names (at least one)"),
	F("update_frequency_ms", "frequency", BPCI_FIELD_UINT, 0, NULL, 100, 0, "ms", 0,
	  "update interval in milliseconds (at least 100)"),
	F("reliability_score", "reliability", BPCI_FIELD_NUMBER, 0, NULL, 0, 1, NULL, 0,
	  "minimum reliability score (0..1)"),
};
static const bpci__field_ext oracle_ext[] = {
	{oracle_type_aliases, 0, NULL, 0, NULL}, {NULL, 0, NULL, 0, NULL},
	{NULL, 0, NULL, 0, NULL}, {NULL, 0, NULL, 0, NULL}};

/* ---- shadow-registry -------------------------------------------------- */

static const char *const registry_types[] = {"web2-web3-bridge", "privacy",
					     "compliance", NULL};
static const bpci__alias registry_type_aliases[] = {
	{"web2-bridge", "web2-web3-bridge"}, {"web2_web3_bridge", "web2-web3-bridge"},
	{"web2web3bridge", "web2-web3-bridge"}, {"bridge", "web2-web3-bridge"},
	{NULL, NULL}};

static const bpci_field_info shadow_info[] = {
	F("registry_type", "registry-type", BPCI_FIELD_ENUM, 0, registry_types, 0, 0,
	  NULL, 1, "registry kind: web2-web3-bridge, privacy or compliance"),
	F("web2_endpoints", "web2-endpoints", BPCI_FIELD_LIST, BPCI_FIELD_URL, NULL, 0, 0,
	  NULL, 0, "comma-separated web2 URLs"),
	F("web3_contracts", "web3-contracts", BPCI_FIELD_LIST, BPCI_FIELD_STRING, NULL, 0,
	  0, NULL, 0, "comma-separated contract addresses (0x + 40 hex digits, EIP-55)"),
	F("bridge_capacity", "capacity", BPCI_FIELD_UINT, 0, NULL, 1, 0, NULL, 0,
	  "bridge capacity (at least 1)"),
};
static const bpci__field_ext shadow_ext[] = {
	{registry_type_aliases, 0, NULL, 0, NULL}, {NULL, 0, NULL, 0, NULL},
	{NULL, 0, NULL, BPCI__CHECK_ADDRESS, NULL}, {NULL, 0, NULL, 0, NULL}};

/* ---- pipeline-api ----------------------------------------------------- */

static const bpci_field_info pipeline_info[] = {
	F("pipeline_id", "pipeline-id", BPCI_FIELD_IDENT, 0, NULL, 0, 0, NULL, 1,
	  "pipeline identifier"),
	F("biso_policies", "biso-policies", BPCI_FIELD_LIST, BPCI_FIELD_STRING, NULL, 0, 0,
	  NULL, 0, "comma-separated BISO policy names"),
	F("traffic_light_rules", "traffic-light-rules", BPCI_FIELD_LIST, BPCI_FIELD_STRING,
	  NULL, 0, 0, NULL, 0, "comma-separated traffic-light rules"),
	F("throughput_limit", "throughput-limit", BPCI_FIELD_UINT, 0, NULL, 1, 0, "req/s",
	  0, "requests per second (at least 1)"),
};
static const bpci__field_ext pipeline_ext[] = {
	{NULL, 0, NULL, 0, NULL}, {NULL, 0, NULL, 0, NULL}, {NULL, 0, NULL, 0, NULL},
	{NULL, 0, NULL, 0, NULL}};

/* ---- storage ---------------------------------------------------------- */

static const char *const storage_types[] = {"distributed", "high-performance",
					    "archive", NULL};
static const bpci__alias storage_type_aliases[] = {
	{"high_performance", "high-performance"}, {"highperformance", "high-performance"},
	{NULL, NULL}};

static const bpci_field_info storage_info[] = {
	F("storage_type", "storage-type", BPCI_FIELD_ENUM, 0, storage_types, 0, 0, NULL, 1,
	  "storage tier: distributed, high-performance or archive"),
	F("capacity_gb", "capacity-gb", BPCI_FIELD_SIZE, 0, NULL, (double)GIB, 0, "GiB", 1,
	  "capacity (\"1000\" GiB, \"2Ti\"; at least 1 GiB)"),
	F("replication_factor", "replication-factor", BPCI_FIELD_UINT, 0, NULL, 1, 16, NULL,
	  0, "number of replicas (1..16)"),
	F("encryption_enabled", "encryption", BPCI_FIELD_BOOL, 0, NULL, 0, 0, NULL, 0,
	  "encrypt data at rest"),
};
static const bpci__field_ext storage_ext[] = {
	{storage_type_aliases, 0, NULL, 0, NULL}, {NULL, GIB, NULL, 0, NULL},
	{NULL, 0, NULL, 0, NULL}, {NULL, 0, NULL, 0, NULL}};

/* ---- proof ------------------------------------------------------------ */

static const char *const proof_types[] = {"transaction", "compliance", "identity", NULL};
static const char *const compliance_levels[] = {"basic", "enhanced", "government", NULL};

static const bpci_field_info proof_info[] = {
	F("proof_type", "proof-type", BPCI_FIELD_ENUM, 0, proof_types, 0, 0, NULL, 1,
	  "proof kind: transaction, compliance or identity"),
	F("compliance_level", "compliance-level", BPCI_FIELD_ENUM, 0, compliance_levels, 0,
	  0, NULL, 0, "compliance level: basic, enhanced or government"),
	F("audit_retention_days", "retention-days", BPCI_FIELD_UINT, 0, NULL, 1, 0, "days",
	  0, "days to keep audit records (at least 1)"),
	F("government_endpoints", "government-endpoints", BPCI_FIELD_LIST, BPCI_FIELD_URL,
	  NULL, 0, 0, NULL, 0, "comma-separated government reporting URLs"),
};
static const bpci__field_ext proof_ext[] = {
	{NULL, 0, NULL, 0, NULL}, {NULL, 0, NULL, 0, NULL}, {NULL, 0, NULL, 0, NULL},
	{NULL, 0, NULL, 0, NULL}};

/* ---- audit ------------------------------------------------------------ */

static const char *const audit_scopes[] = {"transaction", "node", "full-system", NULL};
static const bpci__alias audit_scope_aliases[] = {
	{"full_system", "full-system"}, {"fullsystem", "full-system"},
	{"full", "full-system"}, {NULL, NULL}};
static const char *const frameworks[] = {"GDPR", "SOX", "HIPAA", "PCI-DSS", "ISO27001",
					 "SOC2", "CCPA", "NIST-800-53", "FedRAMP",
					 "Basel-III", "MiFID-II", NULL};
static const bpci__alias framework_aliases[] = {
	{"PCI_DSS", "PCI-DSS"}, {"PCIDSS", "PCI-DSS"}, {"ISO-27001", "ISO27001"},
	{"ISO_27001", "ISO27001"}, {"SOC-2", "SOC2"}, {"SOC_2", "SOC2"},
	{"NIST_800_53", "NIST-800-53"}, {"Basel_III", "Basel-III"},
	{"MiFID_II", "MiFID-II"}, {NULL, NULL}};

static const bpci_field_info audit_info[] = {
	F("audit_scope", "audit-scope", BPCI_FIELD_ENUM, 0, audit_scopes, 0, 0, NULL, 1,
	  "what is audited: transaction, node or full-system"),
	F("compliance_frameworks", "frameworks", BPCI_FIELD_LIST, BPCI_FIELD_ENUM,
	  frameworks, 0, 0, NULL, 0, "comma-separated compliance frameworks"),
	F("audit_frequency_hours", "frequency-hours", BPCI_FIELD_UINT, 0, NULL, 1, 0, "h",
	  0, "hours between audits (at least 1)"),
	F("reporting_endpoints", "reporting-endpoints", BPCI_FIELD_LIST, BPCI_FIELD_URL,
	  NULL, 0, 0, NULL, 0, "comma-separated report URLs"),
};
static const bpci__field_ext audit_ext[] = {
	{audit_scope_aliases, 0, NULL, 0, NULL}, {framework_aliases, 0, NULL, 0, NULL},
	{NULL, 0, NULL, 0, NULL}, {NULL, 0, NULL, 0, NULL}};

/* ---- logbook ---------------------------------------------------------- */

static const char *const logbook_types[] = {"auction", "transaction", "compliance", NULL};
const char *const bpci__receipt_sources[] = {"http-cage", "docklock", "enc-cluster",
					     NULL};
const bpci__alias bpci__receipt_source_aliases[] = {
	{"http_cage", "http-cage"}, {"httpcage", "http-cage"}, {"dock-lock", "docklock"},
	{"dock_lock", "docklock"}, {"enc_cluster", "enc-cluster"},
	{"enccluster", "enc-cluster"}, {NULL, NULL}};

static const bpci_field_info logbook_info[] = {
	F("logbook_type", "logbook-type", BPCI_FIELD_ENUM, 0, logbook_types, 0, 0, NULL, 1,
	  "logbook kind: auction, transaction or compliance"),
	F("receipt_sources", "receipt-sources", BPCI_FIELD_LIST, BPCI_FIELD_IDENT,
	  bpci__receipt_sources, 0, 0, NULL, 0,
	  "comma-separated sources: http-cage, docklock, enc-cluster or a node id"),
	F("storage_policy", "storage-policy", BPCI_FIELD_STRING, 0, NULL, 0, 0, NULL, 0,
	  "storage policy name"),
	F("retention_policy", "retention-policy", BPCI_FIELD_DURATION, 0, NULL, 0, 0, "d",
	  0, "how long receipts are kept (\"7y\", \"90d\"; bare number in days)"),
};
static const bpci__field_ext logbook_ext[] = {
	{NULL, 0, NULL, 0, NULL}, {NULL, 0, NULL, BPCI__CHECK_RECEIPT_SOURCE, NULL},
	{NULL, 0, NULL, 0, NULL}, {NULL, 0, "d", 0, NULL}};

/* ---- common fields ---------------------------------------------------- */

static const char *const restart_policies[] = {"permanent", "transient", "temporary",
					       NULL};
static const bpci__alias restart_aliases[] = {
	{"always", "permanent"}, {"on-failure", "transient"}, {"on_failure", "transient"},
	{"never", "temporary"}, {NULL, NULL}};
static const char *const health_types[] = {"notify", "http", "tcp", "exec", "none", NULL};
static const char *const signals[] = {"TERM", "INT", "HUP", "QUIT", "USR1", "USR2",
				      "KILL", NULL};
static const bpci__alias signal_aliases[] = {
	{"SIGTERM", "TERM"}, {"SIGINT", "INT"}, {"SIGHUP", "HUP"}, {"SIGQUIT", "QUIT"},
	{"SIGUSR1", "USR1"}, {"SIGUSR2", "USR2"}, {"SIGKILL", "KILL"}, {NULL, NULL}};

static const bpci_field_info common_info[] = {
	F("id", NULL, BPCI_FIELD_IDENT, 0, NULL, 0, 0, NULL, 0, "node identifier"),
	F("name", "name", BPCI_FIELD_IDENT, 0, NULL, 0, 0, NULL, 0, "display name"),
	F("endpoint", "endpoint", BPCI_FIELD_URL, 0, NULL, 0, 0, NULL, 0,
	  "URL the node serves on"),
	F("command", "command", BPCI_FIELD_ARGV, BPCI_FIELD_STRING, NULL, 0, 0, NULL, 0,
	  "program and arguments (default: the reference program bpci-node)"),
	F("environment", "env", BPCI_FIELD_MAP, BPCI_FIELD_STRING, NULL, 0, 0, NULL, 0,
	  "environment variable KEY=VALUE (repeatable)"),
	F("labels", "label", BPCI_FIELD_MAP, BPCI_FIELD_STRING, NULL, 0, 0, NULL, 0,
	  "label key=value (repeatable)"),
	F("resources.cpu_cores", "cpu-cores", BPCI_FIELD_CPU, 0, NULL, 0, 0, "cores", 0,
	  "CPU reservation (\"8\", \"500m\")"),
	F("resources.memory_gb", "memory-gb", BPCI_FIELD_SIZE, 0, NULL, 0, 0, "GiB", 0,
	  "memory reservation (\"16\" GiB, \"512Mi\")"),
	F("resources.storage_gb", "storage-gb", BPCI_FIELD_SIZE, 0, NULL, 0, 0, "GiB", 0,
	  "storage reservation (\"500\" GiB, \"2Ti\")"),
	F("resources.network_bandwidth_mbps", "network-mbps", BPCI_FIELD_BANDWIDTH, 0,
	  NULL, 0, 0, "Mbit/s", 0, "network reservation (\"1000\", \"1Gbps\")"),
	F("resources.gpu_units", "gpu-units", BPCI_FIELD_UINT, 0, NULL, 0, 0, NULL, 0,
	  "GPU units"),
	F("restart.policy", "restart", BPCI_FIELD_ENUM, 0, restart_policies, 0, 0, NULL, 0,
	  "restart type: permanent, transient or temporary"),
	F("restart.max_restarts", "max-restarts", BPCI_FIELD_UINT, 0, NULL, 0, 1000, NULL,
	  0, "restarts allowed within the period (0..1000)"),
	F("restart.period", "restart-period", BPCI_FIELD_DURATION, 0, NULL, 0, 0, "s", 0,
	  "restart intensity period"),
	F("restart.backoff_initial", "backoff-initial", BPCI_FIELD_DURATION, 0, NULL, 0, 0,
	  "ms", 0, "first restart delay"),
	F("restart.backoff_max", "backoff-max", BPCI_FIELD_DURATION, 0, NULL, 0, 0, "ms", 0,
	  "restart delay cap"),
	F("restart.reset_after", "reset-after", BPCI_FIELD_DURATION, 0, NULL, 0, 0, "s", 0,
	  "stable time after which the backoff resets"),
	F("health.type", "health-check", BPCI_FIELD_ENUM, 0, health_types, 0, 0, NULL, 0,
	  "readiness and liveness check: notify, http, tcp, exec or none"),
	F("health.path", "health-path", BPCI_FIELD_STRING, 0, NULL, 0, 0, NULL, 0,
	  "HTTP path probed by the http check (starts with /)"),
	F("health.command", "health-command", BPCI_FIELD_ARGV, BPCI_FIELD_STRING, NULL, 0,
	  0, NULL, 0, "command run by the exec check"),
	F("health.interval", "health-interval", BPCI_FIELD_DURATION, 0, NULL, 100, 0, "s",
	  0, "time between checks (at least 100ms)"),
	F("health.timeout", "health-timeout", BPCI_FIELD_DURATION, 0, NULL, 0, 0, "s", 0,
	  "time a check may take (less than the interval)"),
	F("health.retries", "health-retries", BPCI_FIELD_UINT, 0, NULL, 1, 100, NULL, 0,
	  "failed checks before the node is unhealthy (1..100)"),
	F("health.start_timeout", "start-timeout", BPCI_FIELD_DURATION, 0, NULL, 0, 0, "s",
	  0, "time allowed to become ready"),
	F("stop.timeout", "stop-timeout", BPCI_FIELD_DURATION, 0, NULL, 0, 0, "s", 0,
	  "time between the stop signal and SIGKILL"),
	F("stop.signal", "stop-signal", BPCI_FIELD_ENUM, 0, signals, 0, 0, NULL, 0,
	  "signal that asks the node to stop"),
	F("working_dir", "working-dir", BPCI_FIELD_STRING, 0, NULL, 0, 0, NULL, 0,
	  "absolute working directory"),
	F("user", "user", BPCI_FIELD_STRING, 0, NULL, 0, 0, NULL, 0, "user to run as"),
	F("group", "group", BPCI_FIELD_STRING, 0, NULL, 0, 0, NULL, 0, "group to run as"),
};
static const bpci__field_ext common_ext[] = {
	{NULL, 0, NULL, 0, NULL},                             /* id */
	{NULL, 0, NULL, 0, NULL},                             /* name */
	{NULL, 0, NULL, 0, NULL},                             /* endpoint */
	{NULL, 0, NULL, 0, NULL},                             /* command */
	{NULL, 0, NULL, BPCI__CHECK_ENV_KEY, NULL},           /* environment */
	{NULL, 0, NULL, BPCI__CHECK_LABEL_KEY, NULL},         /* labels */
	{NULL, 0, NULL, 0, NULL},                             /* cpu */
	{NULL, GIB, NULL, 0, NULL},                           /* memory */
	{NULL, GIB, NULL, 0, NULL},                           /* storage */
	{NULL, 0, NULL, 0, NULL},                             /* network */
	{NULL, 0, NULL, 0, NULL},                             /* gpu */
	{restart_aliases, 0, NULL, 0, "permanent"},           /* restart.policy */
	{NULL, 0, NULL, 0, "5"},                              /* max_restarts */
	{NULL, 0, "s", 0, "60s"},                             /* period */
	{NULL, 0, "ms", 0, "100ms"},                          /* backoff_initial */
	{NULL, 0, "ms", 0, "30s"},                            /* backoff_max */
	{NULL, 0, "s", 0, "60s"},                             /* reset_after */
	{NULL, 0, NULL, 0, "notify"},                         /* health.type */
	{NULL, 0, NULL, BPCI__CHECK_ABS_PATH, "/health"},     /* health.path */
	{NULL, 0, NULL, 0, NULL},                             /* health.command */
	{NULL, 0, "s", 0, "10s"},                             /* interval */
	{NULL, 0, "s", 0, "2s"},                              /* timeout */
	{NULL, 0, NULL, 0, "3"},                              /* retries */
	{NULL, 0, "s", 0, "30s"},                             /* start_timeout */
	{NULL, 0, "s", 0, "10s"},                             /* stop.timeout */
	{signal_aliases, 0, NULL, 0, "TERM"},                 /* stop.signal */
	{NULL, 0, NULL, BPCI__CHECK_ABS_PATH, NULL},          /* working_dir */
	{NULL, 0, NULL, 0, NULL},                             /* user */
	{NULL, 0, NULL, 0, NULL},                             /* group */
};

_Static_assert(ARRAY_LEN(common_info) == ARRAY_LEN(common_ext), "common tables");

#define TABLE(name) {name##_info, name##_ext, ARRAY_LEN(name##_info)}

static const bpci__field_table type_tables[BPCI_NODE_TYPE_COUNT] = {
	TABLE(enc), TABLE(oracle), TABLE(shadow), TABLE(pipeline),
	TABLE(storage), TABLE(proof), TABLE(audit), TABLE(logbook)};
static const bpci__field_table common_table = TABLE(common);

const bpci__field_table *bpci__node_type_table(bpci_node_type type)
{
	if (type < 1 || type > BPCI_NODE_TYPE_COUNT)
		return NULL;
	return &type_tables[type - 1];
}

const bpci__field_table *bpci__node_common_table(void)
{
	return &common_table;
}

int bpci_node_type_fields(const bpci_field_info **out, size_t *count,
			  bpci_node_type type)
{
	const bpci__field_table *t = bpci__node_type_table(type);

	if (!t)
		return BPCI_EINVAL;
	*out = t->info;
	*count = t->count;
	return 0;
}

int bpci_node_common_fields(const bpci_field_info **out, size_t *count)
{
	*out = common_table.info;
	*count = common_table.count;
	return 0;
}

/* ---- node type names -------------------------------------------------- */

static const char *const type_names[BPCI_NODE_TYPE_COUNT] = {
	"enc-cluster", "oracle", "shadow-registry", "pipeline-api",
	"storage", "proof", "audit", "logbook"};

/* The original's spellings; matched case-insensitively like the names. */
static const struct {
	const char *alias;
	bpci_node_type type;
} type_aliases[] = {
	{"enc_cluster", BPCI_NODE_ENC_CLUSTER}, {"enccluster", BPCI_NODE_ENC_CLUSTER},
	{"enc", BPCI_NODE_ENC_CLUSTER}, {"shadow_registry", BPCI_NODE_SHADOW_REGISTRY},
	{"shadowregistry", BPCI_NODE_SHADOW_REGISTRY},
	{"pipeline_api", BPCI_NODE_PIPELINE_API}, {"pipelineapi", BPCI_NODE_PIPELINE_API},
};

int bpci_node_type_parse(bpci_node_type *out, const char *name)
{
	size_t i;

	if (!name)
		return BPCI_EINVAL;
	for (i = 0; i < BPCI_NODE_TYPE_COUNT; i++)
		if (strcasecmp(name, type_names[i]) == 0) {
			*out = (bpci_node_type)(i + 1);
			return 0;
		}
	for (i = 0; i < ARRAY_LEN(type_aliases); i++)
		if (strcasecmp(name, type_aliases[i].alias) == 0) {
			*out = type_aliases[i].type;
			return 0;
		}
	return BPCI_EINVAL;
}

const char *bpci_node_type_name(bpci_node_type type)
{
	if (type < 1 || type > BPCI_NODE_TYPE_COUNT)
		return NULL;
	return type_names[type - 1];
}
