#include "http_test.h"
void add_probe_tests(Suite *s)
{
	(void)s;
}
