/* bpci_ledger_entry_parse(): the fields of a stored entry, for display. */
#include <string.h>

#include <jansson.h>

#include "bpci/ledger.h"
#include "common/alloc.h"

static char *field(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	char *dumped, *copy;

	if (json_is_string(v))
		return bpci__strdup(json_string_value(v));
	if ((dumped = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY)) == NULL)
		return NULL;
	copy = bpci__strdup(dumped);
	free(dumped);
	return copy;
}

int bpci_ledger_entry_parse(bpci_ledger_entry_info *out, const char *entry, size_t len)
{
	json_t *obj, *seq;

	if (out == NULL || entry == NULL)
		return BPCI_EINVAL;
	memset(out, 0, sizeof(*out));
	obj = json_loadb(entry, len, 0, NULL);
	seq = json_object_get(obj, "seq");
	if (!json_is_object(obj) || !json_is_integer(seq) || json_integer_value(seq) < 0 ||
	    !json_is_string(json_object_get(obj, "time")) ||
	    !json_is_string(json_object_get(obj, "type")) || !json_object_get(obj, "details")) {
		json_decref(obj);
		return BPCI_EPARSE;
	}
	out->seq = (uint64_t)json_integer_value(seq);
	out->time = field(obj, "time");
	out->type = field(obj, "type");
	out->actor = field(obj, "actor");
	out->subject = field(obj, "subject");
	out->details = field(obj, "details");
	json_decref(obj);
	if (!out->time || !out->type || !out->actor || !out->subject || !out->details) {
		bpci_ledger_entry_info_clear(out);
		return BPCI_ENOMEM;
	}
	return 0;
}

void bpci_ledger_entry_info_clear(bpci_ledger_entry_info *info)
{
	if (info == NULL)
		return;
	bpci__free(info->time);
	bpci__free(info->type);
	bpci__free(info->actor);
	bpci__free(info->subject);
	bpci__free(info->details);
	memset(info, 0, sizeof(*info));
}
