/*
 * Internal: the one spelling of every metric family libbpci exposes, with
 * its type and help text. The names follow the original description's
 * "Prometheus Metrics" (node_distribution_*) and, per node, the fields of
 * its BpiNodeMetrics in Prometheus' base units (bytes, seconds). This table
 * only names families; whoever fills one measures it, or leaves it absent.
 * BpiNodeMetrics' network_throughput_mbps, requests_per_second and
 * error_rate_percent have no family: nothing in /proc measures them for a
 * node, and a node program would have to report them itself.
 *
 * Per-node families carry the labels BPCI__METRIC_LABEL_NODE_ID and
 * BPCI__METRIC_LABEL_NODE_TYPE; node_distribution_nodes carries
 * BPCI__METRIC_LABEL_STATUS.
 */
#ifndef BPCI_LIB_RUNTIME_METRIC_NAMES_H
#define BPCI_LIB_RUNTIME_METRIC_NAMES_H

#include "runtime/metrics.h"

#define BPCI__METRIC_LABEL_NODE_ID "node_id"
#define BPCI__METRIC_LABEL_NODE_TYPE "node_type"
#define BPCI__METRIC_LABEL_STATUS "status"

/* Buckets of node_distribution_node_startup_time_seconds: fine below one
 * second (a local node is ready in milliseconds) up to the original's 30 s
 * target and beyond. */
#define BPCI__METRIC_STARTUP_BUCKETS \
	{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120}

/* X(ID, TYPE, name, help) */
#define BPCI__METRIC_FAMILIES(X) \
	X(TOTAL_NODES, GAUGE, "node_distribution_total_nodes", \
	  "Nodes known to the coordinator or cluster manager, in any status.") \
	X(ACTIVE_NODES, GAUGE, "node_distribution_active_nodes", \
	  "Nodes whose status is running (started, ready and healthy).") \
	X(NODES_BY_STATUS, GAUGE, "node_distribution_nodes", \
	  "Nodes by status (pending, starting, running, unhealthy, stopping, stopped, failed).") \
	X(DAEMON_TREE_HEALTH, GAUGE, "node_distribution_daemon_tree_health", \
	  "Fraction (0..1) of the daemons in the tree that are healthy.") \
	X(RESOURCE_UTILIZATION_CPU, GAUGE, "node_distribution_resource_utilization_cpu", \
	  "CPU time used by the nodes over the last interval, as a fraction (0..1) of the host's CPUs.") \
	X(RESOURCE_UTILIZATION_MEMORY, GAUGE, "node_distribution_resource_utilization_memory", \
	  "Resident memory of the nodes as a fraction (0..1) of the host's total memory.") \
	X(PORT_UTILIZATION, GAUGE, "node_distribution_port_utilization", \
	  "Fraction (0..1) of the dynamic port range that is allocated.") \
	X(AUDIT_EVENTS_TOTAL, COUNTER, "node_distribution_audit_events_total", \
	  "Audit events appended to the ledger.") \
	X(AGREEMENT_DEPLOYMENTS_TOTAL, COUNTER, "node_distribution_agreement_deployments_total", \
	  "Agreements deployed.") \
	X(NODE_STARTUP_TIME_SECONDS, HISTOGRAM, "node_distribution_node_startup_time_seconds", \
	  "Time from spawning a node to its readiness, in seconds.") \
	X(HEARTBEAT_SUCCESS_RATE, GAUGE, "node_distribution_heartbeat_success_rate", \
	  "Fraction (0..1) of expected heartbeats (watchdog messages or probes) that arrived in time.") \
	X(NODE_RESTARTS_TOTAL, COUNTER, "node_distribution_node_restarts_total", \
	  "Restarts of a node by its supervisor.") \
	X(NODE_CPU_SECONDS_TOTAL, COUNTER, "node_distribution_node_cpu_seconds_total", \
	  "User and system CPU time of the node's process group, in seconds.") \
	X(NODE_CPU_USAGE_PERCENT, GAUGE, "node_distribution_node_cpu_usage_percent", \
	  "CPU use of the node's process group since the previous sample, in percent of one CPU.") \
	X(NODE_MEMORY_USAGE_BYTES, GAUGE, "node_distribution_node_memory_usage_bytes", \
	  "Resident memory of the node's process group (sum of RSS), in bytes.") \
	X(NODE_DISK_USAGE_BYTES, GAUGE, "node_distribution_node_disk_usage_bytes", \
	  "Disk space allocated under the node's data directory, in bytes.") \
	X(NODE_ACTIVE_CONNECTIONS, GAUGE, "node_distribution_node_active_connections", \
	  "Established TCP connections held by the node's process group.") \
	X(NODE_UPTIME_SECONDS, GAUGE, "node_distribution_node_uptime_seconds", \
	  "Time since the node's oldest live process started, in seconds.") \
	X(NODE_OPEN_FDS, GAUGE, "node_distribution_node_open_fds", \
	  "Open file descriptors of the node's process group.") \
	X(NODE_THREADS, GAUGE, "node_distribution_node_threads", \
	  "Threads of the node's process group.") \
	X(NODE_PROCESSES, GAUGE, "node_distribution_node_processes", \
	  "Live processes in the node's process group.") \
	X(NODE_IO_READ_BYTES_TOTAL, COUNTER, "node_distribution_node_io_read_bytes_total", \
	  "Bytes the node's process group caused to be read from storage.") \
	X(NODE_IO_WRITE_BYTES_TOTAL, COUNTER, "node_distribution_node_io_write_bytes_total", \
	  "Bytes the node's process group caused to be written to storage.") \
	X(HOST_CPUS, GAUGE, "node_distribution_host_cpus", \
	  "Online CPUs of the host.") \
	X(HOST_CPU_UTILIZATION, GAUGE, "node_distribution_host_cpu_utilization", \
	  "Busy fraction (0..1) of the host's CPU time over the last interval.") \
	X(HOST_MEMORY_TOTAL_BYTES, GAUGE, "node_distribution_host_memory_total_bytes", \
	  "Total memory of the host (MemTotal), in bytes.") \
	X(HOST_MEMORY_AVAILABLE_BYTES, GAUGE, "node_distribution_host_memory_available_bytes", \
	  "Memory available for new work on the host (MemAvailable), in bytes.") \
	X(HOST_LOAD1, GAUGE, "node_distribution_host_load1", \
	  "Host load average over 1 minute.") \
	X(HOST_LOAD5, GAUGE, "node_distribution_host_load5", \
	  "Host load average over 5 minutes.") \
	X(HOST_LOAD15, GAUGE, "node_distribution_host_load15", \
	  "Host load average over 15 minutes.")

typedef enum bpci__metric_id {
#define BPCI__METRIC_ENUM_(id, type, name, help) BPCI__MID_##id,
	BPCI__METRIC_FAMILIES(BPCI__METRIC_ENUM_)
#undef BPCI__METRIC_ENUM_
	BPCI__MID_COUNT
} bpci__metric_id;

/* The definition of family @id (borrowed, static), or NULL if out of range. */
const bpci__metrics_def *bpci__metric_def(bpci__metric_id id);

#endif
