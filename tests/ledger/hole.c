/*
 * A power loss's hole: with two writer lanes, the pages of the last batch
 * can be lost while those of the batch after it reach the disk, leaving a
 * damaged record followed by complete ones. An open cuts such a hole when
 * it lies where unacknowledged batches can be (after everything the index,
 * a checkpoint or a snapshot covers, and within two batches of the
 * writer's recorded bound of the end), keeping the cut bytes; older damage
 * is refused, and bpci_ledger_repair() cuts it on the operator's word.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ledger_test.h"
#include "test.h"

#define SEG "segment-000000.log"

static char *tmp;
static char dir[512];

static void setup(void)
{
	tmp = bpci_test_mkdtemp();
	snprintf(dir, sizeof(dir), "%s/ledger", tmp);
}

static void teardown(void)
{
	bpci_test_rmtree(tmp);
	free(tmp);
}

/* Offset of entry @seq's record, from the index. */
static uint64_t rec_off(uint64_t seq)
{
	char *idx = lt_read_file(dir, "index.offsets", NULL);
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | (uint8_t)idx[seq * 8 + (uint64_t)i];
	free(idx);
	return v;
}

/* What a power loss leaves of the derived data: index and cache cover
 * only the first @n entries. */
static void cache_covers(uint64_t n)
{
	char path[600];
	unsigned k;

	snprintf(path, sizeof(path), "%s/index.offsets", dir);
	ck_assert_int_eq(truncate(path, (off_t)(n * 8)), 0);
	for (k = 0; k < 8; k++) {
		snprintf(path, sizeof(path), "%s/tree-%02u.hashes", dir, k);
		if (access(path, F_OK) == 0)
			ck_assert_int_eq(truncate(path, (off_t)((n >> k) * 32)), 0);
	}
}

static void put_bytes(uint64_t off, int value, size_t n)
{
	char path[600], buf[64];
	int fd;

	ck_assert_uint_le(n, sizeof(buf));
	snprintf(path, sizeof(path), "%s/" SEG, dir);
	fd = open(path, O_RDWR);
	ck_assert(fd >= 0);
	if (value < 0) { /* flip */
		ck_assert(pread(fd, buf, n, (off_t)off) == (ssize_t)n);
		for (size_t j = 0; j < n; j++)
			buf[j] = (char)~buf[j];
	} else {
		memset(buf, value, n);
	}
	ck_assert(pwrite(fd, buf, n, (off_t)off) == (ssize_t)n);
	close(fd);
}

static off_t seg_size(void)
{
	char path[600];
	struct stat st;

	snprintf(path, sizeof(path), "%s/" SEG, dir);
	ck_assert_int_eq(stat(path, &st), 0);
	return st.st_size;
}

/* Verifies @dir; every diagnostic's text, one a line, goes to @out. */
static int verify_all(char *out, size_t cap)
{
	const bpci_diag_entry *e;
	bpci_diag *d;
	size_t i, n = 0;
	int rc;

	ck_assert_int_eq(bpci_diag_new(&d), 0);
	rc = bpci_ledger_verify(dir, NULL, d, NULL, NULL);
	out[0] = '\0';
	for (i = 0; (e = bpci_diag_get(d, i)) != NULL && n < cap; i++)
		n += (size_t)snprintf(out + n, cap - n, "%s\n", e->text);
	bpci_diag_free(d);
	return rc;
}

static void append_batch(bpci_ledger *l, int n, uint64_t want_first)
{
	bpci_ledger_event ev[16];
	char subj[16][16];
	uint64_t first = 0;
	int i;

	ck_assert_int_le(n, 16);
	for (i = 0; i < n; i++) {
		bpci_ledger_event e = BPCI_LEDGER_EVENT_INIT;

		snprintf(subj[i], sizeof(subj[i]), "batch-%d", i);
		e.type = "node.started";
		e.subject = subj[i];
		ev[i] = e;
	}
	ck_assert_int_eq(bpci_ledger_append_many(&first, l, ev, (size_t)n, NULL), 0);
	ck_assert_uint_eq(first, want_first);
}

static void singles(bpci_ledger *l, int n)
{
	char subj[16];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(subj, sizeof(subj), "node-%d", i);
		lt_append(l, subj);
	}
}

START_TEST(hole_in_last_batch_is_cut)
{
	bpci_ledger_options o = lt_options(0);
	bpci_ledger *l = lt_open(dir, &o);
	char msg[1024], want[160], *bound, *tail, *kept, *text;
	size_t tail_len, kept_len, seg_len;
	bpci_diag *d;
	uint64_t off, i;

	singles(l, 20);
	append_batch(l, 10, 20);
	bpci_ledger_free(l);
	/* The batch of 10 raised the bound durably before it was written
	 * (by a factor of 16 from the 1 of the open). */
	bound = lt_read_file(dir, "batch-bound", NULL);
	ck_assert_str_eq(bound, "bpci-ledger-batch-bound 16\n");
	free(bound);
	/* Power loss: the cache lost the last batch; record 23's page did not
	 * reach the disk, those of 24..29 did. */
	off = rec_off(23);
	cache_covers(20);
	put_bytes(off + 8 + 10, 0, 30);
	tail = lt_read_file(dir, SEG, &seg_len);
	tail_len = seg_len - off;

	ck_assert_int_eq(verify_all(msg, sizeof(msg)), 0);
	snprintf(want, sizeof(want), "torn record at offset %llu after entry 23",
		 (unsigned long long)off);
	ck_assert_contains(msg, want);
	ck_assert_contains(msg, "7 entries from seq 23 on were never acknowledged");

	ck_assert_int_eq(bpci_diag_new(&d), 0);
	ck_assert_int_eq(bpci_ledger_open(&l, dir, &o, d), 0);
	ck_assert_uint_eq(bpci_ledger_size(l), 23);
	ck_assert_contains(bpci_diag_last_text(d), "cut 7 unacknowledged entries from seq 23 on");
	snprintf(want, sizeof(want), "kept in " SEG ".torn-%llu", (unsigned long long)off);
	ck_assert_contains(bpci_diag_last_text(d), want);
	ck_assert_int_eq(seg_size(), (off_t)off);
	snprintf(want, sizeof(want), SEG ".torn-%llu", (unsigned long long)off);
	kept = lt_read_file(dir, want, &kept_len);
	ck_assert_uint_eq(kept_len, tail_len);
	ck_assert(memcmp(kept, tail + off, tail_len) == 0);
	/* Every entry before the hole is intact. */
	for (i = 0; i < 23; i++) {
		char subj[32];

		ck_assert_int_eq(bpci_ledger_get(&text, NULL, l, i, d), 0);
		if (i < 20)
			snprintf(subj, sizeof(subj), "\"subject\":\"node-%llu\"", (unsigned long long)i);
		else
			snprintf(subj, sizeof(subj), "\"subject\":\"batch-%llu\"",
				 (unsigned long long)(i - 20));
		ck_assert_contains(text, subj);
		bpci_free(text);
	}
	ck_assert_uint_eq(lt_append(l, "after"), 23);
	bpci_ledger_free(l);
	/* The open lowered the bound again, after syncing the segment. */
	bound = lt_read_file(dir, "batch-bound", NULL);
	ck_assert_str_eq(bound, "bpci-ledger-batch-bound 1\n");
	free(bound);
	ck_assert_msg(lt_verify(dir, NULL, msg, sizeof(msg)) == 0, "verify: %s", msg);
	l = lt_open(dir, &o);
	ck_assert_uint_eq(bpci_ledger_size(l), 24);
	bpci_ledger_free(l);
	bpci_diag_free(d);
	free(kept);
	free(tail);
}
END_TEST

/* Bit rot far from the end: more entries follow than two batches of the
 * recorded bound (1: every append was a batch of one) could hold. */
START_TEST(old_damage_with_many_after_is_refused)
{
	bpci_ledger_options o = lt_options(0);
	bpci_ledger_repair_report r = BPCI_LEDGER_REPAIR_REPORT_INIT;
	bpci_ledger *l = lt_open(dir, &o);
	char msg[512], want[700];
	bpci_diag *d;
	uint64_t off;
	off_t before;

	singles(l, 100);
	bpci_ledger_free(l);
	off = rec_off(10);
	cache_covers(0); /* the cache does not even vouch for them */
	put_bytes(off + 30, -1, 1);
	before = seg_size();
	ck_assert_int_eq(bpci_diag_new(&d), 0);
	ck_assert_int_eq(bpci_ledger_open(&l, dir, &o, d), BPCI_EVERIFY);
	snprintf(want, sizeof(want), "entry 10: CRC mismatch in " SEG " at offset %llu; not cut",
		 (unsigned long long)off);
	ck_assert_contains(bpci_diag_last_text(d), want);
	ck_assert_contains(bpci_diag_last_text(d), "at least follow it");
	ck_assert_contains(bpci_diag_last_text(d), "at most 1 (the writer's bound)");
	ck_assert_int_eq(seg_size(), before);
	snprintf(want, sizeof(want), "%s/" SEG ".torn-%llu", dir, (unsigned long long)off);
	ck_assert_int_ne(access(want, F_OK), 0);
	ck_assert_int_eq(lt_verify(dir, NULL, msg, sizeof(msg)), BPCI_EVERIFY);
	ck_assert_contains(msg, "entry 10: CRC mismatch in " SEG);

	/* The operator's repair: a dry run changes nothing. */
	ck_assert_int_eq(bpci_ledger_repair(&r, dir, BPCI_LEDGER_REPAIR_DRY_RUN, d), 0);
	ck_assert_int_eq(r.damaged, 1);
	ck_assert_int_eq(r.cut, 0);
	ck_assert_int_eq(r.in_flight, 0);
	ck_assert_uint_eq(r.first_cut, 10);
	ck_assert_uint_eq(r.last_seen, 99);
	ck_assert_uint_eq(r.offset, off);
	ck_assert_uint_eq(r.bytes, (uint64_t)before - off);
	ck_assert_str_eq(r.segment, SEG);
	ck_assert_str_eq(r.damage, "CRC mismatch");
	ck_assert_int_eq(seg_size(), before);
	/* No checkpoint or snapshot: no force needed. */
	ck_assert_int_eq(bpci_ledger_repair(&r, dir, 0, d), 0);
	ck_assert_int_eq(r.cut, 1);
	snprintf(want, sizeof(want), SEG ".torn-%llu", (unsigned long long)off);
	ck_assert_str_eq(r.kept, want);
	ck_assert_int_eq(seg_size(), (off_t)off);
	ck_assert_msg(lt_verify(dir, NULL, msg, sizeof(msg)) == 0, "verify: %s", msg);
	l = lt_open(dir, &o);
	ck_assert_uint_eq(bpci_ledger_size(l), 10);
	ck_assert_uint_eq(lt_append(l, "again"), 10);
	/* A writer holds it: the repair waits for it to stop. */
	ck_assert_int_eq(bpci_ledger_repair(&r, dir, 0, d), BPCI_EBUSY);
	bpci_ledger_free(l);
	ck_assert_int_eq(bpci_ledger_repair(&r, dir, 0, d), 0);
	ck_assert_int_eq(r.damaged, 0);
	bpci_diag_free(d);
}
END_TEST

/* A checkpoint was signed over durable entries: no hole below it. */
START_TEST(no_cut_below_a_checkpoint)
{
	bpci_ledger_options o = lt_options(0);
	bpci_ledger_repair_report r = BPCI_LEDGER_REPAIR_REPORT_INIT;
	bpci_ledger *l = lt_open(dir, &o);
	char msg[512], *note, *ckpt;
	size_t ckpt_len, len2;
	bpci_diag *d;
	uint64_t off;
	off_t before;

	singles(l, 30);
	ck_assert_int_eq(bpci_ledger_checkpoint(&note, l, NULL), 0);
	bpci_free(note);
	bpci_ledger_free(l);
	ckpt = lt_read_file(dir, "checkpoints", &ckpt_len);
	off = rec_off(29);
	cache_covers(28);
	put_bytes(off + 8, 0, 40);
	before = seg_size();
	ck_assert_int_eq(bpci_diag_new(&d), 0);
	ck_assert_int_eq(bpci_ledger_open(&l, dir, &o, d), BPCI_EVERIFY);
	ck_assert_contains(bpci_diag_last_text(d), "entry 29: CRC mismatch");
	ck_assert_contains(bpci_diag_last_text(d), "checkpoint 0 covers 30 entries");
	ck_assert_int_eq(seg_size(), before);

	ck_assert_int_eq(bpci_ledger_repair(&r, dir, 0, d), BPCI_EINVAL);
	ck_assert_contains(bpci_diag_last_text(d), "force is needed: the cut at entry 29 goes "
			   "below a signed checkpoint of 30 entries");
	ck_assert_uint_eq(r.checkpoint_size, 30);
	ck_assert_int_eq(r.cut, 0);
	ck_assert_int_eq(seg_size(), before);
	ck_assert_int_eq(bpci_ledger_repair(&r, dir, BPCI_LEDGER_REPAIR_FORCE, d), 0);
	ck_assert_int_eq(r.cut, 1);
	ck_assert_uint_eq(r.checkpoints_cut, 1);
	snprintf(msg, sizeof(msg), SEG ".torn-%llu", (unsigned long long)off);
	ck_assert_str_eq(r.kept, msg);
	ck_assert_int_eq(seg_size(), (off_t)off);
	note = lt_read_file(dir, "checkpoints.torn-16", &len2);
	ck_assert_uint_eq(len2, ckpt_len - 16);
	ck_assert(memcmp(note, ckpt + 16, len2) == 0);
	free(note);
	ck_assert_msg(lt_verify(dir, NULL, msg, sizeof(msg)) == 0, "verify: %s", msg);
	l = lt_open(dir, &o);
	ck_assert_uint_eq(bpci_ledger_size(l), 29);
	ck_assert_uint_eq(bpci_ledger_checkpoint_count(l), 0);
	bpci_ledger_free(l);
	bpci_diag_free(d);
	free(ckpt);
}
END_TEST

/* A snapshot covers durable entries too; damage in an early segment cuts
 * the later segments whole (renamed aside) and needs force under it. */
START_TEST(snapshot_floor_and_later_segments)
{
	bpci_ledger_options o = lt_options(4096);
	bpci_ledger_repair_report r = BPCI_LEDGER_REPAIR_REPORT_INIT;
	bpci_ledger *l = lt_open(dir, &o);
	char path[700], msg[512];
	bpci_diag *d;
	uint64_t off;

	singles(l, 90); /* about 140 bytes each: three segments or more */
	ck_assert_int_eq(bpci_ledger_snapshot_write(l, "state", "x", 1, 40, NULL), 0);
	bpci_ledger_free(l);
	snprintf(path, sizeof(path), "%s/segment-000002.log", dir);
	ck_assert_int_eq(access(path, F_OK), 0);
	off = rec_off(3); /* in segment 0 */
	put_bytes(off + 12, -1, 1);
	cache_covers(0);
	ck_assert_int_eq(bpci_diag_new(&d), 0);
	ck_assert_int_eq(bpci_ledger_open(&l, dir, &o, d), BPCI_EVERIFY);
	ck_assert_contains(bpci_diag_last_text(d), "entry 3: CRC mismatch in " SEG);

	ck_assert_int_eq(bpci_ledger_repair(&r, dir, BPCI_LEDGER_REPAIR_DRY_RUN, d), 0);
	ck_assert_uint_eq(r.snapshot_size, 40);
	ck_assert_uint_eq(r.last_seen, 89);
	ck_assert_int_eq(bpci_ledger_repair(&r, dir, 0, d), BPCI_EINVAL);
	ck_assert_contains(bpci_diag_last_text(d), "goes below a snapshot of 40 entries");
	ck_assert_int_eq(bpci_ledger_repair(&r, dir, BPCI_LEDGER_REPAIR_FORCE, d), 0);
	ck_assert_uint_gt(r.segments_cut, 1);
	ck_assert_uint_eq(r.snapshots_cut, 1);
	ck_assert_int_eq(access(path, F_OK), -1);
	snprintf(path, sizeof(path), "%s/segment-000002.log.torn-0", dir);
	ck_assert_int_eq(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/snapshots/state.snap.torn-40", dir);
	ck_assert_int_eq(access(path, F_OK), 0);
	ck_assert_msg(lt_verify(dir, NULL, msg, sizeof(msg)) == 0, "verify: %s", msg);
	l = lt_open(dir, &o);
	ck_assert_uint_eq(bpci_ledger_size(l), 3);
	ck_assert_uint_eq(lt_append(l, "after"), 3);
	bpci_ledger_free(l);
	bpci_diag_free(d);
}
END_TEST

/* Damage verify blames on the tree cache: the repair rebuilds it. */
START_TEST(repair_rebuilds_a_damaged_cache)
{
	bpci_ledger_options o = lt_options(0);
	bpci_ledger_repair_report r = BPCI_LEDGER_REPAIR_REPORT_INIT;
	bpci_ledger *l = lt_open(dir, &o);
	char msg[512], path[600], c;
	int fd;

	singles(l, 20);
	bpci_ledger_free(l);
	snprintf(path, sizeof(path), "%s/tree-00.hashes", dir);
	fd = open(path, O_RDWR);
	ck_assert(fd >= 0);
	ck_assert(pread(fd, &c, 1, 5 * 32 + 3) == 1);
	c ^= 0x40;
	ck_assert(pwrite(fd, &c, 1, 5 * 32 + 3) == 1);
	close(fd);
	ck_assert_int_eq(lt_verify(dir, NULL, msg, sizeof(msg)), BPCI_EVERIFY);
	ck_assert_contains(msg, "tree-00.hashes: hash 5 ");
	ck_assert_int_eq(bpci_ledger_repair(&r, dir, BPCI_LEDGER_REPAIR_DRY_RUN, NULL), 0);
	ck_assert_int_eq(r.damaged, 0);
	ck_assert_int_eq(r.rebuilt, 0);
	ck_assert_int_eq(lt_verify(dir, NULL, msg, sizeof(msg)), BPCI_EVERIFY);
	ck_assert_int_eq(bpci_ledger_repair(&r, dir, 0, NULL), 0);
	ck_assert_int_eq(r.damaged, 0);
	ck_assert_int_eq(r.cut, 0);
	ck_assert_int_eq(r.rebuilt, 1);
	ck_assert_msg(lt_verify(dir, NULL, msg, sizeof(msg)) == 0, "verify: %s", msg);
}
END_TEST

/* The bound follows the batches actually written: none for a lone
 * appender, batch_max for a batch that fits it, more for a bigger
 * append_many(); an open lowers it again. */
START_TEST(bound_follows_batches)
{
	bpci_ledger_options o = lt_options(0);
	bpci_ledger *l;
	char *bound;

	o.batch_max_entries = 12;
	l = lt_open(dir, &o);
	singles(l, 5);
	bound = lt_read_file(dir, "batch-bound", NULL);
	ck_assert_str_eq(bound, "bpci-ledger-batch-bound 1\n");
	free(bound);
	append_batch(l, 3, 5); /* 1 * 16 > 12, and 3 fits batch_max: 12 */
	bound = lt_read_file(dir, "batch-bound", NULL);
	ck_assert_str_eq(bound, "bpci-ledger-batch-bound 12\n");
	free(bound);
	append_batch(l, 14, 8); /* more than batch_max in one call: 12 * 16 */
	bound = lt_read_file(dir, "batch-bound", NULL);
	ck_assert_str_eq(bound, "bpci-ledger-batch-bound 192\n");
	free(bound);
	bpci_ledger_free(l);
	l = lt_open(dir, &o);
	bound = lt_read_file(dir, "batch-bound", NULL);
	ck_assert_str_eq(bound, "bpci-ledger-batch-bound 1\n");
	free(bound);
	bpci_ledger_free(l);
}
END_TEST

TCase *ledger_hole_tcase(void)
{
	TCase *tc = tcase_create("hole");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, hole_in_last_batch_is_cut);
	tcase_add_test(tc, old_damage_with_many_after_is_refused);
	tcase_add_test(tc, no_cut_below_a_checkpoint);
	tcase_add_test(tc, snapshot_floor_and_later_segments);
	tcase_add_test(tc, repair_rebuilds_a_damaged_cache);
	tcase_add_test(tc, bound_follows_batches);
	tcase_set_timeout(tc, 60);
	return tc;
}
