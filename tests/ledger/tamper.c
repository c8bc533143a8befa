/*
 * Tamper evidence: in a ledger of 20 entries and 2 checkpoints, flip every
 * byte of every segment, tree cache, index and checkpoint file, one at a
 * time, and require bpci_ledger_verify() to fail naming the very record,
 * hash or checkpoint that holds the byte. No byte of these files is
 * redundant: headers are compared whole (the checkpoints header's unused
 * half must be zeros), and every other byte is under a CRC or is a hash
 * that verify recomputes. Then truncated and reordered segments.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ledger_test.h"
#include "test.h"

static char *tmp;
static char dir[512], work[512];

static void setup(void)
{
	tmp = bpci_test_mkdtemp();
	snprintf(dir, sizeof(dir), "%s/ledger", tmp);
	snprintf(work, sizeof(work), "%s/copy", tmp);
}

static void teardown(void)
{
	bpci_test_rmtree(tmp);
	free(tmp);
}

static uint64_t le64(const char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | (uint8_t)p[i];
	return v;
}

static void small_ledger(int checkpoints)
{
	bpci_ledger_options o = lt_options(0);
	bpci_ledger *l = lt_open(dir, &o);
	char *note, subj[16];
	int i;

	for (i = 0; i < 20; i++) {
		snprintf(subj, sizeof(subj), "node-%d", i);
		lt_append(l, subj);
		if (checkpoints && (i == 9 || i == 19)) {
			ck_assert_int_eq(bpci_ledger_checkpoint(&note, l, NULL), 0);
			bpci_free(note);
		}
	}
	bpci_ledger_free(l);
}

/* What verify must name for a flip at @off of @file. */
static void expected_place(char *want, size_t cap, const char *file, size_t off,
			   const uint64_t *offs, const char *ckpt, size_t ckpt_len)
{
	int i;

	if (strcmp(file, "segment-000000.log") == 0) {
		if (off < 16) {
			snprintf(want, cap, "segment-000000.log");
			return;
		}
		for (i = 19; i > 0 && offs[i] > off; i--)
			;
		snprintf(want, cap, "entry %d: ", i);
		return;
	}
	if (strcmp(file, "index.offsets") == 0) {
		snprintf(want, cap, "index.offsets: entry %zu ", off / 8);
		return;
	}
	if (strncmp(file, "tree-", 5) == 0) {
		snprintf(want, cap, "%s: hash %zu ", file, off / 32);
		return;
	}
	if (off < 16) {
		snprintf(want, cap, "checkpoints header");
		return;
	}
	{
		size_t pos = 16, rec = 0, len;

		while (pos < ckpt_len) {
			len = (uint8_t)ckpt[pos] | (size_t)(uint8_t)ckpt[pos + 1] << 8;
			if (off < pos + 8 + len)
				break;
			pos += 8 + len;
			rec++;
		}
		snprintf(want, cap, "checkpoint %zu: ", rec);
	}
}

START_TEST(every_byte_flip_is_detected)
{
	static const char *const files[] = {"segment-000000.log", "tree-00.hashes",
					    "tree-01.hashes", "tree-02.hashes", "tree-03.hashes",
					    "tree-04.hashes", "index.offsets", "checkpoints"};
	char msg[512], want[128], path[600], *idx, *ckpt, *data, *vkey;
	uint64_t offs[20];
	size_t f, off, len, idx_len, ckpt_len, total = 0, missed = 0;
	int fd, i;

	small_ledger(1);
	ck_assert_int_eq(lt_verify(dir, NULL, msg, sizeof(msg)), 0);
	/* The key from key.pub (verify with a given key skips parsing key.pem). */
	vkey = lt_read_file(dir, "key.pub", NULL);
	vkey[strcspn(vkey, "\n")] = '\0';
	lt_copy_dir(dir, work);
	idx = lt_read_file(dir, "index.offsets", &idx_len);
	ck_assert_uint_eq(idx_len, 160);
	for (i = 0; i < 20; i++)
		offs[i] = le64(idx + 8 * i);
	ckpt = lt_read_file(dir, "checkpoints", &ckpt_len);
	for (f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		data = lt_read_file(work, files[f], &len);
		ck_assert_uint_gt(len, 0);
		snprintf(path, sizeof(path), "%s/%s", work, files[f]);
		fd = open(path, O_WRONLY);
		ck_assert(fd >= 0);
		for (off = 0; off < len; off++) {
			char flipped = (char)(data[off] ^ 0xff);

			ck_assert(pwrite(fd, &flipped, 1, (off_t)off) == 1);
			expected_place(want, sizeof(want), files[f], off, offs, ckpt, ckpt_len);
			if (lt_verify(work, vkey, msg, sizeof(msg)) != BPCI_EVERIFY ||
			    strstr(msg, want) == NULL) {
				if (missed++ < 5)
					fprintf(stderr, "%s byte %zu: wanted \"%s\", got \"%s\"\n",
						files[f], off, want, msg);
			}
			ck_assert(pwrite(fd, data + off, 1, (off_t)off) == 1);
			total++;
		}
		close(fd);
		free(data);
	}
	ck_assert_uint_eq(missed, 0);
	ck_assert_uint_gt(total, 4000);
	ck_assert_int_eq(lt_verify(work, NULL, msg, sizeof(msg)), 0);
	free(idx);
	free(ckpt);
	free(vkey);
}
END_TEST

START_TEST(truncated_segment)
{
	char msg[512], path[600];
	bpci_ledger *l = NULL;
	bpci_diag *d;
	struct stat st;
	size_t len;
	char *seg, *idx;

	small_ledger(0);
	seg = lt_read_file(dir, "segment-000000.log", &len);
	snprintf(path, sizeof(path), "%s/segment-000000.log", dir);
	/* One byte short: the last entry is torn, but the cache covers it. */
	ck_assert_int_eq(truncate(path, (off_t)len - 1), 0);
	ck_assert_int_eq(lt_verify(dir, NULL, msg, sizeof(msg)), BPCI_EVERIFY);
	ck_assert_contains(msg, "entry 19: record runs past the end of the file in "
			   "segment-000000.log");
	ck_assert_int_eq(bpci_diag_new(&d), 0);
	ck_assert_int_eq(bpci_ledger_open(&l, dir, NULL, d), BPCI_EVERIFY);
	ck_assert_contains(bpci_diag_last_text(d), "entry 19");
	ck_assert_contains(bpci_diag_last_text(d), "acknowledged");
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_size, (off_t)len - 1); /* not cut */
	/* The whole last record gone. */
	idx = lt_read_file(dir, "index.offsets", NULL);
	lt_write_bytes(dir, "segment-000000.log", seg, (size_t)le64(idx + 19 * 8));
	ck_assert_int_eq(lt_verify(dir, NULL, msg, sizeof(msg)), BPCI_EVERIFY);
	ck_assert_contains(msg, "the segments end after 19 entries, the cache covers 20");
	ck_assert_int_eq(bpci_ledger_open(&l, dir, NULL, d), BPCI_EVERIFY);
	ck_assert_contains(bpci_diag_last_text(d), "entry 19: missing");
	free(idx);
	free(seg);
	bpci_diag_free(d);
}
END_TEST

START_TEST(reordered_segments_and_records)
{
	bpci_ledger_options o = lt_options(4096);
	bpci_ledger *l = lt_open(dir, &o);
	char msg[512], a[600], b[600], c[600], *seg, *swapped, *idx;
	size_t len, r2, r3, r4;
	int i;

	for (i = 0; i < 70; i++)
		lt_append(l, "reorder");
	bpci_ledger_free(l);
	lt_copy_dir(dir, work);
	/* Swap segments 1 and 2. */
	snprintf(a, sizeof(a), "%s/segment-000001.log", work);
	snprintf(b, sizeof(b), "%s/segment-000002.log", work);
	snprintf(c, sizeof(c), "%s/tmp.log", work);
	ck_assert_int_eq(access(b, F_OK), 0);
	ck_assert_int_eq(rename(a, c) | rename(b, a) | rename(c, b), 0);
	ck_assert_int_eq(lt_verify(work, NULL, msg, sizeof(msg)), BPCI_EVERIFY);
	ck_assert_contains(msg, "segment-000002.log");
	ck_assert_contains(msg, "first seq");
	bpci_test_rmtree(work);

	/* Swap records 2 and 3 of segment 0 (both well framed). */
	lt_copy_dir(dir, work);
	seg = lt_read_file(work, "segment-000000.log", &len);
	idx = lt_read_file(work, "index.offsets", NULL);
	r2 = (size_t)le64(idx + 16);
	r3 = (size_t)le64(idx + 24);
	r4 = (size_t)le64(idx + 32);
	swapped = malloc(len);
	memcpy(swapped, seg, len);
	memcpy(swapped + r2, seg + r3, r4 - r3);
	memcpy(swapped + r2 + (r4 - r3), seg + r2, r3 - r2);
	lt_write_bytes(work, "segment-000000.log", swapped, len);
	ck_assert_int_eq(lt_verify(work, NULL, msg, sizeof(msg)), BPCI_EVERIFY);
	ck_assert_contains(msg, "entry 2: seq is 3, expected 2 in segment-000000.log");
	free(seg);
	free(swapped);
	free(idx);
}
END_TEST

START_TEST(middle_damage_is_not_cut_on_open)
{
	char path[600], flipped, *text;
	bpci_ledger *l = NULL;
	bpci_diag *d;
	struct stat st1, st2;
	char *idx;
	int fd;

	small_ledger(0);
	idx = lt_read_file(dir, "index.offsets", NULL);
	snprintf(path, sizeof(path), "%s/segment-000000.log", dir);
	ck_assert_int_eq(stat(path, &st1), 0);
	fd = open(path, O_RDWR);
	ck_assert(pread(fd, &flipped, 1, (off_t)le64(idx + 5 * 8) + 20) == 1);
	flipped ^= 0x20;
	ck_assert(pwrite(fd, &flipped, 1, (off_t)le64(idx + 5 * 8) + 20) == 1);
	close(fd);
	ck_assert_int_eq(bpci_diag_new(&d), 0);
	/* The open trusts the cache and cuts nothing; reading says what is wrong. */
	ck_assert_int_eq(bpci_ledger_open(&l, dir, NULL, d), 0);
	ck_assert_uint_eq(bpci_ledger_size(l), 20);
	ck_assert_int_eq(bpci_ledger_get(&text, NULL, l, 5, d), BPCI_EVERIFY);
	ck_assert_contains(bpci_diag_last_text(d), "entry 5: CRC mismatch");
	bpci_ledger_free(l);
	/* Without the cache the open rescans, and refuses rather than cut. */
	snprintf(path, sizeof(path), "%s/index.offsets", dir);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(bpci_ledger_open(&l, dir, NULL, d), BPCI_EVERIFY);
	ck_assert_contains(bpci_diag_last_text(d), "entry 5: CRC mismatch in segment");
	snprintf(path, sizeof(path), "%s/segment-000000.log", dir);
	ck_assert_int_eq(stat(path, &st2), 0);
	ck_assert_int_eq(st1.st_size, st2.st_size);
	bpci_diag_free(d);
	free(idx);
}
END_TEST

/* A damaged index that leads to another good record is caught on read. */
START_TEST(index_pointing_elsewhere)
{
	bpci_ledger_options o = lt_options(0);
	bpci_ledger *l;
	bpci_diag *d;
	size_t len;
	char *idx = NULL, tmp8[8], *text = NULL, msg[512];

	small_ledger(0);
	idx = lt_read_file(dir, "index.offsets", &len);
	memcpy(tmp8, idx + 3 * 8, 8);
	memcpy(idx + 3 * 8, idx + 4 * 8, 8);
	memcpy(idx + 4 * 8, tmp8, 8);
	lt_write_bytes(dir, "index.offsets", idx, len);
	ck_assert_int_eq(bpci_diag_new(&d), 0);
	l = lt_open(dir, &o);
	ck_assert_int_eq(bpci_ledger_get(&text, NULL, l, 3, d), BPCI_EVERIFY);
	ck_assert_contains(bpci_diag_last_text(d), "entry 3: the index points to offset");
	ck_assert_int_eq(bpci_ledger_get(&text, NULL, l, 5, d), 0);
	bpci_free(text);
	ck_assert_int_eq(bpci_ledger_rebuild_cache(l, d), 0);
	ck_assert_int_eq(bpci_ledger_get(&text, NULL, l, 3, d), 0);
	ck_assert_contains(text, "\"seq\":3,");
	bpci_free(text);
	bpci_ledger_free(l);
	ck_assert_msg(lt_verify(dir, NULL, msg, sizeof(msg)) == 0, "verify: %s", msg);
	bpci_diag_free(d);
	free(idx);
}
END_TEST

TCase *ledger_tamper_tcase(void)
{
	TCase *tc = tcase_create("tamper");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, every_byte_flip_is_detected);
	tcase_add_test(tc, truncated_segment);
	tcase_add_test(tc, reordered_segments_and_records);
	tcase_add_test(tc, middle_damage_is_not_cut_on_open);
	tcase_add_test(tc, index_pointing_elsewhere);
	tcase_set_timeout(tc, 120);
	return tc;
}

/* Replace the last record of segment 0 by @entry, framed with a good CRC. */
static void replace_last(const char *d, size_t last_off, const char *entry)
{
	size_t len, n = strlen(entry);
	char *seg = lt_read_file(d, "segment-000000.log", &len), *out = malloc(last_off + 8 + n);
	uint32_t crc = lt_crc32c(entry, n);
	int i;

	memcpy(out, seg, last_off);
	for (i = 0; i < 4; i++) {
		out[last_off + i] = (char)(n >> (8 * i));
		out[last_off + 4 + i] = (char)(crc >> (8 * i));
	}
	memcpy(out + last_off + 8, entry, n);
	lt_write_bytes(d, "segment-000000.log", out, last_off + 8 + n);
	free(seg);
	free(out);
}

/* Well-framed records whose entry is not canonical are named by verify. */
START_TEST(non_canonical_entries_refused)
{
	static const struct {
		const char *from, *to, *want;
	} cases[] = {
		{"{\"actor\":", "{ \"actor\":", "not a canonical entry"},
		{",\"seq\":19,", ",\"seq\":019,", "seq is not a plain decimal"},
		{",\"seq\":19,", ",\"seq\":18,", "seq is 18, expected 19"},
		{",\"seq\":19,", ",\"seq\":\"19\",", "seq is not a plain decimal"},
		{"\"details\":{\"pid\":42}", "\"details\":[42]", "not a canonical entry"},
		{"\"details\":{\"pid\":42}", "\"details\":{\"pid\":42", "not a canonical entry"},
		{"\"type\":\"node.started\"", "\"type\":\"Node.started\"", "subject, time, type"},
		{"\"type\":\"node.started\"}", "\"type\":\"node.started\"}x", "subject, time, type"},
		{"Z\",\"type\"", "\",\"type\"", "subject, time, type"},
		{"\"actor\":\"test\",\"details\"", "\"details\"", "not a canonical entry"},
	};
	char *idx, *entry, *mutated, msg[512], want[160], *hit;
	bpci_ledger *l;
	bpci_ledger_options o = lt_options(0);
	size_t i, last;

	small_ledger(0);
	idx = lt_read_file(dir, "index.offsets", NULL);
	last = (size_t)le64(idx + 19 * 8);
	l = lt_open(dir, &o);
	ck_assert_int_eq(bpci_ledger_get(&entry, NULL, l, 19, NULL), 0);
	bpci_ledger_free(l);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bpci_test_rmtree(work);
		lt_copy_dir(dir, work);
		hit = strstr(entry, cases[i].from);
		ck_assert_msg(hit != NULL, "case %zu: no \"%s\" in %s", i, cases[i].from, entry);
		mutated = malloc(strlen(entry) + strlen(cases[i].to) + 1);
		memcpy(mutated, entry, (size_t)(hit - entry));
		strcpy(mutated + (hit - entry), cases[i].to);
		strcat(mutated, hit + strlen(cases[i].from));
		replace_last(work, last, mutated);
		ck_assert_int_eq(lt_verify(work, NULL, msg, sizeof(msg)), BPCI_EVERIFY);
		snprintf(want, sizeof(want), "segment-000000.log at offset %zu", last);
		ck_assert_msg(strncmp(msg, "entry 19: ", 10) == 0 && strstr(msg, cases[i].want) &&
				      strstr(msg, want),
			      "case %zu: wanted \"%s\", got \"%s\"", i, cases[i].want, msg);
		free(mutated);
	}
	bpci_free(entry);
	free(idx);
}
END_TEST

TCase *ledger_canonical_tcase(void)
{
	TCase *tc = tcase_create("canonical");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, non_canonical_entries_refused);
	return tc;
}
