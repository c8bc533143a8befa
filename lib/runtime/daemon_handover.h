/*
 * Internal: handing a running LOCAL child daemon from one parent to
 * another without stopping it (daemon_handover.c).
 *
 * The old parent describes the child (handover), the new parent takes it
 * over by pid and process start time (adopt: it is watched through a
 * pidfd, supervised and restarted from then on, in the state directory it
 * already has), and only then does the old parent forget it (release: no
 * signal). Between adopt and release both parents watch it; should it die
 * then, both try to restart it and the second finds its port taken (the
 * start timeout kills that one), so a crash midway never leaves it
 * unsupervised.
 *
 * The handover record (JSON object):
 *   {"daemon_id","pid","start_time","port","state_dir","restart",
 *    "restarts","spec":{...},"url","token"}
 * state_dir is the child's real state directory. The adopter links
 * ITS_STATE/daemons/ID to it (a symlink) when it lives elsewhere, so that
 * a restart there spawns it with --state-dir ITS_STATE/daemons/ID: the
 * child then finds its new parent's api.url beside that path, as children
 * spawned there do.
 */
#ifndef BPCI_LIB_RUNTIME_DAEMON_HANDOVER_H
#define BPCI_LIB_RUNTIME_DAEMON_HANDOVER_H

#include <stddef.h>

#include "bpci/coordinator.h"
#include "bpci/error.h"

/* The handover record of running local child daemon @id into *@out
 * (bpci__free). BPCI_ENOTFOUND: no such local child; BPCI_EBUSY: it is
 * not running now (starting, restarting, stopping): nothing to hand over;
 * BPCI_EINVAL: @c is not a daemon. */
int bpci__coordinator_daemon_handover(char **out, bpci_coordinator *c, const char *id,
				      bpci_diag *diag);

/* Take over the running daemon a handover @record describes. *@reply
 * (bpci__free): {"daemon_id","parent_url_file"}, the api.url the adopted
 * child should read when this parent moves. Adopting the same process
 * again (same pid and start time) succeeds and changes nothing.
 * BPCI_EPARSE / BPCI_EINVAL: a bad record (the field is named);
 * BPCI_EEXISTS: another daemon of that id is a child here;
 * BPCI_ENOTFOUND: that process no longer runs (or its pid was reused);
 * BPCI_EBUSY: this daemon is shutting down; BPCI_EIO: the state
 * directory link cannot be made. */
int bpci__coordinator_daemon_adopt(char **reply, bpci_coordinator *c, const char *record,
				   size_t len, bpci_diag *diag);

/* Forget local child @id without signalling it (another parent adopted
 * it). Its state directory stays. BPCI_ENOTFOUND: no such child;
 * BPCI_EINVAL: a remote child (it only joined: nothing to release). */
int bpci__coordinator_daemon_release(bpci_coordinator *c, const char *id, bpci_diag *diag);

/* A released child that this process spawned is still its to reap when
 * it exits (else it would stay a zombie, alive to kill(pid, 0)): the
 * pidfd stays watched for that alone. Freed with the daemon handle. */
struct bpci__daemons;
void bpci__d_reapers_free(struct bpci__daemons *d);

#endif
